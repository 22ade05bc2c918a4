package tickets

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// Category is what a ticket is about (分类整理). It decides the SLA and the
// canned reply. Categories are extensible through configured Rules; the
// constants are the built-in ones.
type Category string

// The built-in categories.
const (
	CategoryEmployment            Category = "employment"             // 就业
	CategorySocialAssistance      Category = "social_assistance"      // 社会救助
	CategoryElderlyCare           Category = "elderly_care"           // 养老服务
	CategoryHouseholdRegistration Category = "household_registration" // 户籍证件
	CategorySchooling             Category = "schooling"              // 入学
	CategoryEnvironment           Category = "environment"            // 环境卫生
	// CategoryDisputes is 邻里纠纷/噪音: quarrels between neighbours and
	// the noise that causes most of them. The identifier is the one the
	// category had as 矛盾纠纷, so stored tickets keep reading.
	CategoryDisputes Category = "disputes"
	// CategoryComplaints is 投诉举报: a report about someone other than
	// the community's own staff (a shop, a company, a scam). Complaints
	// about staff are CategoryStaffComplaint.
	CategoryComplaints      Category = "complaints"
	CategoryProperty        Category = "property"         // 物业/房屋: lifts, leaks, repairs, the property company
	CategoryCityManagement  Category = "city_management"  // 城市管理: illegal building, street stalls, parking on the road
	CategorySafety          Category = "safety"           // 安全隐患/消防: blocked fire lanes, e-bikes charged indoors
	CategorySocialInsurance Category = "social_insurance" // 社保医保: medical and pension insurance
	CategoryFamilyPlanning  Category = "family_planning"  // 计生/生育: birth registration, maternity
	CategoryPublicSecurity  Category = "public_security"  // 治安: theft, fights, suspicious people
	CategoryHeatingGas      Category = "heating_gas"      // 供暖/燃气: heating, gas supply and leaks
	// CategoryStaffComplaint is 投诉(对工作人员): a complaint about a grid
	// worker or community staff. It goes to the community, never to the
	// worker complained about.
	CategoryStaffComplaint Category = "staff_complaint"
	CategoryOther          Category = "other" // 其他: for a person to sort
)

// Categories lists the built-in categories in a stable order: the ones
// tickets had before the taxonomy grew first, so that stored tickets and
// configurations keep their meaning, then the community-work ones.
var Categories = []Category{
	CategoryEmployment, CategorySocialAssistance, CategoryElderlyCare,
	CategoryHouseholdRegistration, CategorySchooling, CategoryEnvironment,
	CategoryDisputes, CategoryComplaints,
	CategoryProperty, CategoryCityManagement, CategorySafety, CategorySocialInsurance,
	CategoryFamilyPlanning, CategoryPublicSecurity, CategoryHeatingGas, CategoryStaffComplaint,
	CategoryOther,
}

// ParseCategory returns the category named s: its identifier
// (heating_gas) or its Chinese label (供暖/燃气, or the label before the
// category was renamed, 矛盾纠纷). Unknown names are an error listing the
// built-in identifiers.
func ParseCategory(s string) (Category, error) {
	s = strings.TrimSpace(s)
	for _, c := range Categories {
		if s == string(c) || s == c.Label() {
			return c, nil
		}
	}
	if c, ok := formerLabels[s]; ok {
		return c, nil
	}
	names := make([]string, len(Categories))
	for i, c := range Categories {
		names[i] = string(c)
	}
	return "", fmt.Errorf("tickets: category %q: want one of %s", s, strings.Join(names, ", "))
}

// formerLabels are labels categories had before, still accepted.
var formerLabels = map[string]Category{"矛盾纠纷": CategoryDisputes}

// Rule scores a text for one category by the words it contains.
type Rule struct {
	Category Category
	// Label is the Chinese name of a configured category that is not
	// built in (宠物); empty for the built-in ones, which keep theirs
	// (Category.Label), and for a configured one shown as its key.
	Label string
	// Words count when the text contains them (matching ignores case and
	// the width of Latin letters and digits), each once however often it
	// appears: repeating a word is emphasis, not a second topic.
	Words []string
	// Weights gives a word of Words its weight; a word not in the map
	// weighs 1. A decisive phrase (漏气, 消防通道) weighs 3 and outweighs
	// a passing word (楼上); more than that is for words that must win
	// whatever else the message mentions (诈骗).
	Weights map[string]int
	// Not are phrases removed from the text before this rule's words are
	// looked for, so that 工作人员 ("staff") is not a hit for 工作
	// ("job"). Optional.
	Not []string
	// Need, when set, are words of which the text must contain at least
	// one (after Not) for the rule to score at all: a complaint about staff
	// needs someone of the staff named. Optional.
	Need []string
}

// Classification is the outcome of classifying a text.
type Classification struct {
	Category Category
	// Matched are the winning rule's words found in the text, in the
	// rule's order, each once; nil for CategoryOther.
	Matched []string
	// Score is the winning rule's score (the weights of Matched, plus the
	// hint's); 0 for CategoryOther.
	Score int
}

// Classifier assigns a category to a resident's message. The zero value
// uses DefaultRules and DefaultMinScore. A Classifier is read-only once
// built and safe for concurrent use.
type Classifier struct {
	// Rules are the categories' words. Nil means DefaultRules; an empty
	// non-nil slice classifies everything as other.
	Rules []Rule
	// MinScore is the lowest score that decides a category; below it the
	// message goes to CategoryOther for a person to sort. Zero means
	// DefaultMinScore.
	MinScore int
}

// DefaultMinScore is the default Classifier.MinScore: one decisive word, or
// two passing ones.
const DefaultMinScore = 2

// HintWeight is what the category of the campaign a message answers adds
// to that category's score (see Classifier.ClassifyHint): enough to break a
// tie, not enough to decide on its own.
const HintWeight = 1

// Classify classifies text with DefaultRules.
func Classify(text string) Classification { return Classifier{}.Classify(text) }

// Classify is ClassifyHint without a hint.
func (c Classifier) Classify(text string) Classification { return c.ClassifyHint(text, "") }

// ClassifyHint scores every rule by the weights of its distinct words the
// text contains, adds HintWeight to the rule of category hint (the topic
// of the campaign the message answers; "" for none), and returns the
// highest. A score below MinScore, or a tie for the highest, is
// CategoryOther: a person decides.
func (c Classifier) ClassifyHint(text string, hint Category) Classification {
	rules := c.Rules
	if rules == nil {
		rules = DefaultRules
	}
	min := c.MinScore
	if min <= 0 {
		min = DefaultMinScore
	}
	norm := strings.ToLower(foldWidth(text))
	var best Classification
	tie := false
	for _, r := range rules {
		hits, score := r.score(norm)
		if score > 0 && r.Category == hint {
			score += HintWeight
		}
		switch {
		case score > best.Score:
			best, tie = Classification{Category: r.Category, Matched: hits, Score: score}, false
		case score == best.Score && score > 0 && r.Category != best.Category:
			tie = true
		}
	}
	if tie || best.Score < min {
		return Classification{Category: CategoryOther}
	}
	return best
}

// Scores is every rule that text scores on, highest first (rules of
// equal score in their order), each with its matched words and score, the
// hint's HintWeight included: what ClassifyHint chose among, for someone
// testing the words. MinScore and ties are not applied.
func (c Classifier) Scores(text string, hint Category) []Classification {
	rules := c.Rules
	if rules == nil {
		rules = DefaultRules
	}
	norm := strings.ToLower(foldWidth(text))
	var out []Classification
	for _, r := range rules {
		hits, score := r.score(norm)
		if score == 0 {
			continue
		}
		if r.Category == hint {
			score += HintWeight
		}
		out = append(out, Classification{Category: r.Category, Matched: hits, Score: score})
	}
	slices.SortStableFunc(out, func(a, b Classification) int { return b.Score - a.Score })
	return out
}

// Label is category cat's Chinese name: the Label of the rule that
// configures it, else Category.Label.
func (c Classifier) Label(cat Category) string {
	for _, r := range c.Rules {
		if r.Category == cat && r.Label != "" {
			return r.Label
		}
	}
	return cat.Label()
}

// score is the words of r that norm (lower-cased, width-folded) contains
// and the sum of their weights.
func (r Rule) score(norm string) ([]string, int) {
	t := norm
	for _, n := range r.Not {
		if n = normWord(n); n != "" {
			t = strings.ReplaceAll(t, n, " ")
		}
	}
	if len(r.Need) > 0 && !slices.ContainsFunc(r.Need, func(w string) bool {
		nw := normWord(w)
		return nw != "" && strings.Contains(t, nw)
	}) {
		return nil, 0
	}
	var hits []string
	score := 0
	for _, w := range r.Words {
		nw := normWord(w)
		if nw == "" || !strings.Contains(t, nw) || slices.Contains(hits, w) {
			continue
		}
		hits = append(hits, w)
		if wt, ok := r.Weights[w]; ok {
			score += wt
		} else {
			score++
		}
	}
	return hits, score
}

// Validate reports every problem with the rules: a missing category, a
// rule without words, blank words, weights that are not positive or name
// no word of the rule, a negative MinScore.
func (c Classifier) Validate() error {
	var errs []error
	for i, r := range c.Rules {
		if r.Category == "" {
			errs = append(errs, fmt.Errorf("rules[%d].category: required", i))
		}
		if len(r.Words) == 0 {
			errs = append(errs, fmt.Errorf("rules[%d].words: at least one word", i))
		}
		for j, w := range r.Words {
			if strings.TrimSpace(w) == "" {
				errs = append(errs, fmt.Errorf("rules[%d].words[%d]: blank", i, j))
			}
		}
		for _, w := range slices.Sorted(maps.Keys(r.Weights)) {
			if r.Weights[w] <= 0 {
				errs = append(errs, fmt.Errorf("rules[%d].weights[%s]: %d: want 1 or more", i, w, r.Weights[w]))
			}
			if !slices.Contains(r.Words, w) {
				errs = append(errs, fmt.Errorf("rules[%d].weights[%s]: not one of the rule's words", i, w))
			}
		}
	}
	if c.MinScore < 0 {
		errs = append(errs, fmt.Errorf("min_score: %d: want zero (the default) or more", c.MinScore))
	}
	if len(errs) > 0 {
		errs = append([]error{errors.New("tickets: classification rules")}, errs...)
	}
	return errors.Join(errs...)
}

var categoryLabels = map[Category]string{
	CategoryEmployment: "就业", CategorySocialAssistance: "社会救助", CategoryElderlyCare: "养老服务",
	CategoryHouseholdRegistration: "户籍证件", CategorySchooling: "入学", CategoryEnvironment: "环境卫生",
	CategoryDisputes: "邻里纠纷/噪音", CategoryComplaints: "投诉举报",
	CategoryProperty: "物业/房屋", CategoryCityManagement: "城市管理", CategorySafety: "安全隐患/消防",
	CategorySocialInsurance: "社保医保", CategoryFamilyPlanning: "计生/生育", CategoryPublicSecurity: "治安",
	CategoryHeatingGas: "供暖/燃气", CategoryStaffComplaint: "投诉(对工作人员)",
	CategoryOther: "其他",
}

// Label is the category's Chinese name for messages and screens; a
// configured category without a built-in name is shown as its key.
func (c Category) Label() string {
	if s, ok := categoryLabels[c]; ok {
		return s
	}
	return string(c)
}
