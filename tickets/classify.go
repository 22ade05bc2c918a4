package tickets

import (
	"errors"
	"fmt"
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

// Rule assigns a category to texts containing its words.
type Rule struct {
	Category Category
	// Words count one hit each when the text contains them (matching
	// ignores case and the width of Latin letters and digits).
	Words []string
	// Not are phrases removed from the text before this rule's Words are
	// looked for, so that 工作人员 ("staff") is not a hit for 工作
	// ("job"). Optional.
	Not []string
}

// DefaultRules are the built-in classification rules, in tie-break order.
// Complaints come last among the specific categories on purpose: 投诉 in
// "投诉楼上噪音" counts once for complaints and once for environment, and
// the tie goes to environment, the department that will act.
var DefaultRules = []Rule{
	{Category: CategoryEmployment,
		Words: []string{"工作", "招聘", "失业", "培训", "就业", "岗位", "求职", "找活", "上班"},
		Not:   []string{"工作人员", "工作日", "工作时间"}},
	{Category: CategorySocialAssistance,
		Words: []string{"低保", "补贴", "救助", "补助", "特困", "困难户", "残疾"}},
	{Category: CategoryElderlyCare,
		Words: []string{"老人", "养老", "独居", "助餐", "老年", "高龄", "助浴", "护理"}},
	{Category: CategoryHouseholdRegistration,
		Words: []string{"户口", "落户", "身份证", "居住证", "户籍", "迁户"}},
	{Category: CategorySchooling,
		Words: []string{"上学", "入学", "学校", "幼儿园", "学位", "转学"}},
	{Category: CategoryEnvironment,
		Words: []string{"垃圾", "噪音", "污水", "绿化", "漏水", "异味", "油烟", "堵塞", "路灯", "卫生"}},
	{Category: CategoryDisputes,
		Words: []string{"纠纷", "吵架", "邻居", "矛盾", "打架", "调解"}},
	{Category: CategoryComplaints,
		Words: []string{"投诉", "举报", "不满", "态度差", "不作为"}},
}

// Classification is the outcome of classifying a text.
type Classification struct {
	Category Category
	// Matched are the winning rule's words found in the text, in the
	// rule's order, each once; nil for CategoryOther.
	Matched []string
}

// Classifier assigns a category to a resident's message. The zero value
// uses DefaultRules. A Classifier is read-only once built and safe for
// concurrent use.
type Classifier struct {
	// Rules are tried in order. Nil means DefaultRules; an empty non-nil
	// slice classifies everything as other.
	Rules []Rule
}

// Classify classifies text with DefaultRules.
func Classify(text string) Classification { return Classifier{}.Classify(text) }

// Classify scores every rule by the number of its distinct words the text
// contains (repeating a word is emphasis, not a second topic) and returns
// the highest; a tie goes to the rule listed first. No hit at all is
// CategoryOther.
func (c Classifier) Classify(text string) Classification {
	rules := c.Rules
	if rules == nil {
		rules = DefaultRules
	}
	norm := strings.ToLower(foldWidth(text))
	var best Classification
	for _, r := range rules {
		t := norm
		for _, n := range r.Not {
			if n = normWord(n); n != "" {
				t = strings.ReplaceAll(t, n, " ")
			}
		}
		var hits []string
		for _, w := range r.Words {
			nw := strings.ToLower(foldWidth(strings.TrimSpace(w)))
			if nw != "" && strings.Contains(t, nw) && !slices.Contains(hits, w) {
				hits = append(hits, w)
			}
		}
		if len(hits) > len(best.Matched) {
			best = Classification{Category: r.Category, Matched: hits}
		}
	}
	if best.Category == "" {
		best.Category = CategoryOther
	}
	return best
}

// Validate reports every problem with the rules: a missing category, a
// rule without words, blank words.
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
