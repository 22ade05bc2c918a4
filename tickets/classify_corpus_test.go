package tickets_test

import (
	"bufio"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/gridcast/gridcast/tickets"
)

// corpusMessage is one labelled message of testdata/messages.tsv.
type corpusMessage struct {
	line     int
	want     tickets.Category
	text     string
	heldOut  bool
	position int
}

// readCorpus reads testdata/messages.tsv: category<TAB>message per line,
// # comments. Every 5th message is held out: its misses were never used to
// adjust the rules.
func readCorpus(t *testing.T) []corpusMessage {
	t.Helper()
	return readMessages(t, "testdata/messages.tsv")
}

// readMessages reads a file of labelled messages (see readCorpus).
func readMessages(t *testing.T, name string) []corpusMessage {
	t.Helper()
	f, err := os.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []corpusMessage
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		cat, text, ok := strings.Cut(line, "\t")
		if !ok {
			t.Fatalf("%s:%d: want category<TAB>message", name, n)
		}
		c, err := tickets.ParseCategory(cat)
		if err != nil {
			t.Fatalf("%s:%d: %v", name, n, err)
		}
		pos := len(out) + 1
		out = append(out, corpusMessage{line: n, want: c, text: text, heldOut: pos%5 == 0, position: pos})
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestClassifierCorpus runs the hand-labelled messages through the default
// classifier, prints the accuracy per category for the messages whose
// misses tuned the rules and for the held-out ones, and fails below 90%
// overall or 80% on the held-out messages.
func TestClassifierCorpus(t *testing.T) {
	t.Parallel()
	msgs := readCorpus(t)
	if len(msgs) < 300 {
		t.Fatalf("%d messages, want at least 300", len(msgs))
	}
	type tally struct{ ok, n, okHeld, nHeld int }
	per := map[tickets.Category]*tally{}
	var all tally
	var misses []string
	for _, m := range msgs {
		got := tickets.Classify(m.text)
		tl := per[m.want]
		if tl == nil {
			tl = &tally{}
			per[m.want] = tl
		}
		hit := got.Category == m.want
		for _, x := range []*tally{tl, &all} {
			if m.heldOut {
				x.nHeld++
				if hit {
					x.okHeld++
				}
			} else {
				x.n++
				if hit {
					x.ok++
				}
			}
		}
		if !hit {
			held := ""
			if m.heldOut {
				held = " (held out)"
			}
			misses = append(misses, fmt.Sprintf("messages.tsv:%d%s: %q: got %s %v, want %s", m.line, held, m.text, got.Category, got.Matched, m.want))
		}
	}
	pct := func(ok, n int) string {
		if n == 0 {
			return "   -  "
		}
		return fmt.Sprintf("%5.1f%%", 100*float64(ok)/float64(n))
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%-18s %12s %12s %12s\n", "category", "tuned on", "held out", "all")
	for _, c := range tickets.Categories {
		tl := per[c]
		if tl == nil {
			continue
		}
		fmt.Fprintf(&b, "%-18s %s %5d %s %5d %s %5d\n", c, pct(tl.ok, tl.n), tl.n, pct(tl.okHeld, tl.nHeld), tl.nHeld,
			pct(tl.ok+tl.okHeld, tl.n+tl.nHeld), tl.n+tl.nHeld)
	}
	fmt.Fprintf(&b, "%-18s %s %5d %s %5d %s %5d\n", "overall", pct(all.ok, all.n), all.n, pct(all.okHeld, all.nHeld), all.nHeld,
		pct(all.ok+all.okHeld, all.n+all.nHeld), all.n+all.nHeld)
	t.Logf("classifier accuracy on testdata/messages.tsv:\n%s", b.String())
	for _, m := range misses {
		t.Log(m)
	}
	if got := float64(all.ok+all.okHeld) / float64(all.n+all.nHeld); got < 0.90 {
		t.Errorf("overall accuracy %.1f%%, want at least 90%%", 100*got)
	}
	if got := float64(all.okHeld) / float64(all.nHeld); got < 0.80 {
		t.Errorf("held-out accuracy %.1f%%, want at least 80%%", 100*got)
	}
}

// TestIssueCases are the sixteen messages the issue found misfiled, each
// with the category a community worker would choose.
func TestIssueCases(t *testing.T) {
	t.Parallel()
	msgs := readCorpus(t)
	for _, m := range msgs[:16] {
		if got := tickets.Classify(m.text); got.Category != m.want {
			t.Errorf("%q: got %s %v, want %s", m.text, got.Category, got.Matched, m.want)
		}
	}
}

// TestClassifierFresh runs the messages written after the classifier's
// words were fixed, which measure it on wording it was not built from, and
// prints per category how many it filed right, how many it left to a
// person (其他) and how many it misfiled. testdata/messages_fresh.tsv came
// first and has since been used to improve the words;
// testdata/messages_fresh2.tsv was written before that improvement and
// never used for it, so it stays the honest measure. On unseen wording the
// classifier leaves many messages to a person; what it must not do is file
// them in the wrong category, where nobody looks again: the test fails when
// more than 15% of either file are misfiled.
func TestClassifierFresh(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"messages_fresh.tsv", "messages_fresh2.tsv"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			msgs := readMessages(t, "testdata/"+name)
			type tally struct{ ok, other, wrong int }
			per := map[tickets.Category]*tally{}
			var all tally
			for _, m := range msgs {
				got := tickets.Classify(m.text)
				tl := per[m.want]
				if tl == nil {
					tl = &tally{}
					per[m.want] = tl
				}
				switch {
				case got.Category == m.want:
					tl.ok++
					all.ok++
					continue
				case got.Category == tickets.CategoryOther:
					tl.other++
					all.other++
				default:
					tl.wrong++
					all.wrong++
				}
				t.Logf("%s:%d: %q: got %s %v, want %s", name, m.line, m.text, got.Category, got.Matched, m.want)
			}
			pct := func(k, n int) string { return fmt.Sprintf("%5.1f%%", 100*float64(k)/float64(n)) }
			var b strings.Builder
			fmt.Fprintf(&b, "%-22s %7s %7s %7s %5s\n", "category", "right", "other", "wrong", "n")
			row := func(name string, tl tally) {
				n := tl.ok + tl.other + tl.wrong
				fmt.Fprintf(&b, "%-22s %s %s %s %5d\n", name, pct(tl.ok, n), pct(tl.other, n), pct(tl.wrong, n), n)
			}
			for _, c := range tickets.Categories {
				if tl := per[c]; tl != nil {
					row(string(c), *tl)
				}
			}
			row("overall", all)
			t.Logf("unseen wording, testdata/%s:\n%s", name, b.String())
			if n := len(msgs); float64(all.wrong)/float64(n) > 0.15 {
				t.Errorf("%d of %d unseen messages misfiled, want at most 15%%", all.wrong, n)
			}
		})
	}
}
