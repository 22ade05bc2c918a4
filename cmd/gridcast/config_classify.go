package main

import (
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/gridcast/gridcast/tickets"
)

// ClassifyConfig is the classifier's words (tickets.Classifier): what a
// city adds to or puts in place of the built-in words of a category, and
// categories of its own. Absent (the default) is tickets.DefaultRules.
type ClassifyConfig struct {
	// MinScore is the lowest score that files a message under a category;
	// below it the message goes to 其他 for a person to sort. Default (0)
	// 2: one telling word, or two that lean.
	MinScore int `yaml:"min_score"`
	// Rules are the categories' words by category identifier (employment,
	// heating_gas …, or a new identifier with a label). Categories not
	// listed keep their built-in words.
	Rules map[string]ClassifyRuleConfig `yaml:"rules"`
}

// ClassifyRuleConfig is one category's words.
type ClassifyRuleConfig struct {
	// Mode is add (the default): the words join the built-in ones, a word
	// already there takes the weight given; or replace: the built-in words,
	// exclusions and needed words are dropped. A new category has nothing
	// to add to: either is the same.
	Mode string `yaml:"mode"`
	// Label is a new category's Chinese name (宠物), required for one and
	// refused for a built-in category, which keeps its own.
	Label string `yaml:"label"`
	// Words are word:weight entries ("招聘:3 岗位:2"; a bare word weighs
	// 1), as one string, a list of such strings, or a list of {word,
	// weight}.
	Words WordList `yaml:"words"`
	// Not are phrases taken out of the text before the words are looked
	// for (工作人员, so that it is not a hit for 工作).
	Not []string `yaml:"not"`
	// Need, when set, are words of which a message must contain one for
	// the category to score at all.
	Need []string `yaml:"need"`
	// Drop removes built-in words of the category (add mode only).
	Drop []string `yaml:"drop"`
}

// WordList is a list of word:weight entries as the file writes them: one
// string of entries separated by spaces, a list of entries, or a list of
// {word, weight} (mixed if need be).
type WordList []string

// UnmarshalYAML reads the three forms of a WordList.
func (l *WordList) UnmarshalYAML(n *yaml.Node) error {
	switch n.Kind {
	case yaml.ScalarNode:
		*l = strings.Fields(n.Value)
		return nil
	case yaml.SequenceNode:
		out := WordList{}
		for _, it := range n.Content {
			switch it.Kind {
			case yaml.ScalarNode:
				out = append(out, it.Value)
			case yaml.MappingNode:
				var word, weight string
				for i := 0; i+1 < len(it.Content); i += 2 {
					switch k, v := it.Content[i].Value, it.Content[i+1].Value; k {
					case "word":
						word = v
					case "weight":
						weight = v
					default:
						return fmt.Errorf("line %d: field %s not found in a word; want word and weight", it.Content[i].Line, k)
					}
				}
				if weight != "" {
					word += ":" + weight
				}
				out = append(out, word)
			default:
				return fmt.Errorf("line %d: want a word:weight string or {word, weight}", it.Line)
			}
		}
		*l = out
		return nil
	}
	return fmt.Errorf("line %d: want a string of word:weight entries or a list of them", n.Line)
}

// categoryKey is the form of a new category's identifier.
var categoryKey = regexp.MustCompile(`^[a-z][a-z0-9_]{0,39}$`)

// newCategories are the categories the section adds to the built-in ones:
// keys that are not built in and carry a label.
func (c ClassifyConfig) newCategories() []tickets.Category {
	var out []tickets.Category
	for _, k := range slices.Sorted(maps.Keys(c.Rules)) {
		if !slices.Contains(tickets.Categories, tickets.Category(k)) && strings.TrimSpace(c.Rules[k].Label) != "" {
			out = append(out, tickets.Category(k))
		}
	}
	return out
}

// classifier builds the classifier the section describes, each problem
// an error naming its key below tickets; with an error the classifier is
// the zero value, so that tickets.Classifier.Validate does not say the
// same again.
func (c ClassifyConfig) classifier() (tickets.Classifier, error) {
	out := tickets.Classifier{MinScore: c.MinScore}
	var errs []error
	if c.MinScore < 0 {
		errs = append(errs, fmt.Errorf("classify.min_score: %d: want 0 (the default, 2) or more", c.MinScore))
	}
	if len(c.Rules) == 0 {
		return out, errors.Join(errs...)
	}
	bad := func(key, format string, a ...any) {
		errs = append(errs, fmt.Errorf("classify.rules[%s]: %s", key, fmt.Sprintf(format, a...)))
	}
	rules := slices.Clone(tickets.DefaultRules)
	for _, k := range slices.Sorted(maps.Keys(c.Rules)) {
		rc := c.Rules[k]
		cat := tickets.Category(k)
		builtIn := slices.Contains(tickets.Categories, cat)
		fail := func(f, format string, a ...any) {
			errs = append(errs, fmt.Errorf("classify.rules[%s].%s: %s", k, f, fmt.Sprintf(format, a...)))
		}
		switch {
		case cat == tickets.CategoryOther:
			bad(k, "其他 is what no category's words decide: it takes no words")
			continue
		case !builtIn && strings.TrimSpace(rc.Label) == "":
			bad(k, "unknown category; want one of %s, or give a label to add a category of your own", categoryNames())
			continue
		case !builtIn && !categoryKey.MatchString(k):
			bad(k, "a new category's identifier is lower-case letters, digits and _, starting with a letter (e.g. pets)")
			continue
		case builtIn && rc.Label != "":
			fail("label", "%s is built in and keeps its name %s; a label is for a category of your own", k, cat.Label())
		case !builtIn:
			if taken, err := tickets.ParseCategory(rc.Label); err == nil {
				fail("label", "%q is the name of %s already", rc.Label, taken)
			}
			for _, o := range c.newCategories() {
				if o != cat && strings.TrimSpace(c.Rules[string(o)].Label) == strings.TrimSpace(rc.Label) {
					fail("label", "%q is the name of %s already", rc.Label, o)
				}
			}
		}
		mode := strings.TrimSpace(rc.Mode)
		if mode != "" && mode != "add" && mode != "replace" {
			fail("mode", "%q: want add (the default) or replace", rc.Mode)
		}
		r := tickets.Rule{Category: cat, Label: strings.TrimSpace(rc.Label), Weights: map[string]int{}}
		i := slices.IndexFunc(rules, func(r tickets.Rule) bool { return r.Category == cat })
		if i >= 0 && mode != "replace" {
			base := rules[i]
			r.Words, r.Not, r.Need = slices.Clone(base.Words), slices.Clone(base.Not), slices.Clone(base.Need)
			for _, w := range base.Words {
				if wt, ok := base.Weights[w]; ok {
					r.Weights[w] = wt
				}
			}
		} else if len(rc.Drop) > 0 {
			fail("drop", "only adds to built-in words: with mode replace, or for a new category, leave the words out instead")
		}
		if (i < 0 || mode == "replace") && len(rc.Words) == 0 {
			fail("words", "at least one word:weight entry (e.g. \"招聘:3 岗位:2\")")
		}
		for j, e := range rc.Words {
			w, wt, err := tickets.ParseWord(e)
			if err != nil {
				fail(fmt.Sprintf("words[%d]", j), "%v", err)
				continue
			}
			if !slices.Contains(r.Words, w) {
				r.Words = append(r.Words, w)
			}
			r.Weights[w] = wt
		}
		for j, w := range rc.Drop {
			w = strings.TrimSpace(w)
			switch {
			case slices.ContainsFunc(rc.Words, func(e string) bool { x, _, _ := tickets.ParseWord(e); return x == w }):
				fail(fmt.Sprintf("drop[%d]", j), "%q is in words too: drop it or give its weight, not both", w)
				continue
			case !slices.Contains(r.Words, w):
				fail(fmt.Sprintf("drop[%d]", j), "%q is not one of %s's built-in words", w, k)
				continue
			}
			r.Words = slices.DeleteFunc(r.Words, func(x string) bool { return x == w })
			delete(r.Weights, w)
		}
		for _, list := range []struct {
			name  string
			words []string
			into  *[]string
		}{{"not", rc.Not, &r.Not}, {"need", rc.Need, &r.Need}} {
			for j, w := range list.words {
				if strings.TrimSpace(w) == "" {
					fail(fmt.Sprintf("%s[%d]", list.name, j), "empty phrase")
					continue
				}
				*list.into = append(*list.into, strings.TrimSpace(w))
			}
		}
		if i >= 0 {
			rules[i] = r
		} else {
			rules = append(rules, r)
		}
	}
	if len(errs) > 0 {
		return tickets.Classifier{}, errors.Join(errs...)
	}
	out.Rules = rules
	return out, nil
}

// categoryNames lists the built-in categories' identifiers.
func categoryNames() string {
	names := make([]string, 0, len(tickets.Categories))
	for _, c := range tickets.Categories {
		names = append(names, string(c))
	}
	return strings.Join(names, ", ")
}
