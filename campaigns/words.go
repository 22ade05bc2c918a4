package campaigns

import (
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// WordFilter finds sensitive words (敏感词) in text: an Aho–Corasick
// automaton over runes, built once from a word list, that reports every
// occurrence (overlapping ones included) in one pass over the text.
//
// Matching ignores case and the width of Latin letters and digits, so
// "VX", "vx" and "ＶＸ" all match the word "vx"; Chinese matches as written.
// A nil *WordFilter finds nothing. A WordFilter is immutable once built and
// safe for concurrent use.
type WordFilter struct {
	words []string // as configured, indexed by word number
	lens  []int    // length in runes of each word
	nodes []acNode
}

type acNode struct {
	next map[rune]int32
	fail int32
	out  []int32 // words ending here, including those reached by fail links
}

// Hit is one occurrence of a sensitive word.
type Hit struct {
	Word string // the list entry, as configured
	Text string // the text as written where it matched
	Col  int    // 1-based column of the first rune, counted in runes
	Byte int    // 0-based byte offset of the first rune
}

// NewWordFilter builds a filter from words. Blank entries are ignored and
// entries that fold to the same text are kept once (the first spelling).
func NewWordFilter(words []string) *WordFilter {
	f := &WordFilter{nodes: []acNode{{}}}
	for _, w := range words {
		w = strings.TrimSpace(w)
		if w == "" {
			continue
		}
		s := int32(0)
		n := 0
		for _, r := range w {
			r = fold(r)
			n++
			nx, ok := f.nodes[s].next[r]
			if !ok {
				nx = int32(len(f.nodes))
				f.nodes = append(f.nodes, acNode{})
				if f.nodes[s].next == nil {
					f.nodes[s].next = map[rune]int32{}
				}
				f.nodes[s].next[r] = nx
			}
			s = nx
		}
		if len(f.nodes[s].out) > 0 { // duplicate after folding
			continue
		}
		f.nodes[s].out = []int32{int32(len(f.words))}
		f.words = append(f.words, w)
		f.lens = append(f.lens, n)
	}
	// Breadth-first: a node's fail link is the longest proper suffix of
	// its path that is also a path from the root.
	queue := []int32{0}
	for len(queue) > 0 {
		u := queue[0]
		queue = queue[1:]
		for r, v := range f.nodes[u].next {
			queue = append(queue, v)
			if u == 0 {
				continue // children of the root fail to the root
			}
			fl := f.nodes[u].fail
			for {
				if x, ok := f.nodes[fl].next[r]; ok {
					f.nodes[v].fail = x
					break
				}
				if fl == 0 {
					break
				}
				fl = f.nodes[fl].fail
			}
			f.nodes[v].out = append(f.nodes[v].out, f.nodes[f.nodes[v].fail].out...)
		}
	}
	return f
}

// Len is the number of distinct words in f.
func (f *WordFilter) Len() int {
	if f == nil {
		return 0
	}
	return len(f.words)
}

// Find returns every occurrence of every word in text, ordered by position
// and, at one position, longest word first. It returns nil when there is
// none.
func (f *WordFilter) Find(text string) []Hit {
	if f == nil || len(f.words) == 0 {
		return nil
	}
	var hits []Hit
	var offs []int // byte offset of each rune seen so far
	s := int32(0)
	for i, b := 0, 0; b < len(text); i++ {
		r, size := utf8.DecodeRuneInString(text[b:])
		offs = append(offs, b)
		r = fold(r)
		for {
			if x, ok := f.nodes[s].next[r]; ok {
				s = x
				break
			}
			if s == 0 {
				break
			}
			s = f.nodes[s].fail
		}
		b += size
		for _, w := range f.nodes[s].out {
			start := i - f.lens[w] + 1
			hits = append(hits, Hit{Word: f.words[w], Text: text[offs[start]:b], Col: start + 1, Byte: offs[start]})
		}
	}
	slices.SortStableFunc(hits, func(a, b Hit) int {
		if a.Byte != b.Byte {
			return a.Byte - b.Byte
		}
		return len(b.Text) - len(a.Text)
	})
	return hits
}

// fold maps a rune to the form matching compares: full-width ASCII
// (ＡＢＣ１２３) to ASCII, the ideographic space to a space, then lower case.
func fold(r rune) rune {
	if r >= 0xFF01 && r <= 0xFF5E {
		r -= 0xFEE0
	} else if r == 0x3000 {
		r = ' '
	}
	return unicode.ToLower(r)
}
