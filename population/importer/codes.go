package importer

import (
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/gridcast/gridcast/pii"
	"github.com/gridcast/gridcast/population"
)

// shown is how a cell's value appears in a message: quoted, with anything
// shaped like a mobile or ID number masked, since a shifted column puts one
// where a grid code or a category belongs.
func shown(s string) string { return strconv.Quote(pii.MaskText(s)) }

// category returns the category s names — a built-in one by identifier or
// Chinese label, or one of extra by identifier — and whether it is accepted.
func category(s string, extra []population.Category) (population.Category, bool) {
	for _, k := range population.KnownCategories {
		if s == k.Label || s == string(k.Category) {
			return k.Category, true
		}
	}
	if slices.Contains(extra, population.Category(s)) {
		return population.Category(s), true
	}
	return "", false
}

// acceptedCategories lists what a categories cell may hold, for a message:
// "unemployed (失业登记), hard_to_employ (就业困难人员), …" and the extras.
func acceptedCategories(extra []population.Category) string {
	var b strings.Builder
	for i, k := range population.KnownCategories {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(string(k.Category) + " (" + k.Label + ")")
	}
	for _, c := range extra {
		b.WriteString(", " + string(c))
	}
	return b.String()
}

// nearGrids is how many known grid codes a refusal of an unknown one names.
const nearGrids = 3

// gridIndex answers which known grids are nearest to an unknown code. It is
// built once per Parser by NewParser and remembers its answers, since the
// rows of one file tend to repeat the same mistaken code. Safe for
// concurrent use.
type gridIndex struct {
	codes []string // the LevelGrid codes, sorted

	mu   sync.Mutex
	seen map[string][]string
}

func newGridIndex(grids map[string]population.Level) *gridIndex {
	ix := &gridIndex{seen: map[string][]string{}}
	for code, lvl := range grids {
		if lvl == population.LevelGrid {
			ix.codes = append(ix.codes, code)
		}
	}
	slices.Sort(ix.codes)
	return ix
}

// nearest returns up to nearGrids grid codes closest to code by edit
// distance (ties in code order).
func (ix *gridIndex) nearest(code string) []string {
	ix.mu.Lock()
	near, ok := ix.seen[code]
	ix.mu.Unlock()
	if ok {
		return near
	}
	type scored struct {
		code string
		d    int
	}
	best := make([]scored, 0, nearGrids+1)
	for _, c := range ix.codes {
		d := editDistance(code, c)
		i := len(best)
		for i > 0 && best[i-1].d > d {
			i--
		}
		if i < nearGrids {
			best = slices.Insert(best, i, scored{c, d})
			if len(best) > nearGrids {
				best = best[:nearGrids]
			}
		}
	}
	near = make([]string, len(best))
	for i, s := range best {
		near[i] = s.code
	}
	ix.mu.Lock()
	if len(ix.seen) < 10_000 { // a file of random codes must not grow it without end
		ix.seen[code] = near
	}
	ix.mu.Unlock()
	return near
}

// under returns up to n grid codes below code (its subtree) and how many
// there are in all.
func (ix *gridIndex) under(code string, n int) ([]string, int) {
	var out []string
	total := 0
	for _, c := range ix.codes {
		if strings.HasPrefix(c, code+"-") {
			if total < n {
				out = append(out, c)
			}
			total++
		}
	}
	return out, total
}

// editDistance is the Levenshtein distance between a and b, by character.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}
