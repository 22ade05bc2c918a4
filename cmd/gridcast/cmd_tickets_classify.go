package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/gridcast/gridcast/tickets"
)

// classifyView is what `gridcast tickets classify --json` prints.
type classifyView struct {
	Category string `json:"category"`
	Label    string `json:"label"`
	Score    int    `json:"score"`
	// Matched are the deciding category's words found, as word:weight.
	Matched []string `json:"matched"`
	// Why says why a message went to 其他: below min_score, or a tie.
	Why      string          `json:"why,omitempty"`
	MinScore int             `json:"min_score"`
	Scores   []classifyScore `json:"scores"`
}

// classifyScore is one category the text scored on.
type classifyScore struct {
	Category string   `json:"category"`
	Label    string   `json:"label"`
	Score    int      `json:"score"`
	Matched  []string `json:"matched"`
}

// ticketsClassify files a text as a resident's message would be filed,
// with the configured words, so that a city can test its words before
// residents write.
func (a *app) ticketsClassify() *cobra.Command {
	var hint string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "classify TEXT... [--hint CATEGORY] [--json]",
		Short: "Show the category a message would be filed under, its score and the words that decided, with the configured words",
		Long: `Classify TEXT with the words of the configuration (tickets.classify) as a resident's
message is classified, and show the category, its score and the matched words
(word:weight), then every category the text scored on. A message below
tickets.classify.min_score, or tied between two categories, goes to 其他 (other) for a
person to sort. --hint is the category of the campaign the message answers, which adds
1 to that category. Nothing is stored or sent.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			dc, err := a.cfg.deskConfig(a.log)
			if err != nil {
				return err
			}
			cls := dc.Tickets.Classifier
			var h tickets.Category
			if hint != "" {
				if h, err = classifierCategory(cls, hint); err != nil {
					return usageError{fmt.Errorf("--hint: %w", err)}
				}
			}
			text := strings.Join(args, " ")
			v := classifyText(cls, text, h)
			if asJSON {
				enc := json.NewEncoder(a.stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(v)
			}
			fmt.Fprintf(a.stdout, "category: %s %s\nscore:    %d (min_score %d)\n", v.Category, v.Label, v.Score, v.MinScore)
			if v.Why != "" {
				fmt.Fprintf(a.stdout, "why:      %s\n", v.Why)
			} else {
				fmt.Fprintf(a.stdout, "matched:  %s\n", strings.Join(v.Matched, " "))
			}
			if len(v.Scores) == 0 {
				return nil
			}
			fmt.Fprintln(a.stdout, "\nscores:")
			tw := tabwriter.NewWriter(a.stdout, 0, 0, 2, ' ', 0)
			for _, s := range v.Scores {
				fmt.Fprintf(tw, "  %s\t%s\t%d\t%s\n", s.Category, s.Label, s.Score, strings.Join(s.Matched, " "))
			}
			return tw.Flush()
		},
	}
	cmd.Flags().StringVar(&hint, "hint", "", "category of the campaign the message answers (adds 1 to it)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

// classifyText is what cls makes of text with hint, for the screen.
func classifyText(cls tickets.Classifier, text string, hint tickets.Category) classifyView {
	got := cls.ClassifyHint(text, hint)
	min := cls.MinScore
	if min <= 0 {
		min = tickets.DefaultMinScore
	}
	v := classifyView{Category: string(got.Category), Label: cls.Label(got.Category), Score: got.Score, MinScore: min,
		Matched: weighted(cls, got.Category, got.Matched), Scores: []classifyScore{}}
	scores := cls.Scores(text, hint)
	for _, s := range scores {
		v.Scores = append(v.Scores, classifyScore{Category: string(s.Category), Label: cls.Label(s.Category), Score: s.Score,
			Matched: weighted(cls, s.Category, s.Matched)})
	}
	if got.Category == tickets.CategoryOther {
		switch {
		case len(scores) == 0:
			v.Why = "no category's words are in the text"
		case len(scores) > 1 && scores[0].Score == scores[1].Score && scores[0].Score >= min:
			v.Why = fmt.Sprintf("%s and %s tie at %d: a person decides", scores[0].Category, scores[1].Category, scores[0].Score)
		default:
			v.Why = fmt.Sprintf("the best, %s, scores %d, below min_score %d", scores[0].Category, scores[0].Score, min)
		}
	}
	return v
}

// weighted writes category c's matched words as word:weight.
func weighted(cls tickets.Classifier, c tickets.Category, words []string) []string {
	rules := cls.Rules
	if rules == nil {
		rules = tickets.DefaultRules
	}
	out := []string{}
	for _, r := range rules {
		if r.Category != c {
			continue
		}
		for _, w := range words {
			wt, ok := r.Weights[w]
			if !ok {
				wt = 1
			}
			out = append(out, fmt.Sprintf("%s:%d", w, wt))
		}
	}
	return out
}

// classifierCategory is the category named s: built in (identifier or
// label) or one cls's rules add.
func classifierCategory(cls tickets.Classifier, s string) (tickets.Category, error) {
	c, err := tickets.ParseCategory(s)
	if err == nil {
		return c, nil
	}
	for _, r := range cls.Rules {
		if string(r.Category) == strings.TrimSpace(s) || (r.Label != "" && r.Label == strings.TrimSpace(s)) {
			return r.Category, nil
		}
	}
	return "", err
}
