package population

import (
	"fmt"
	"regexp"
)

// Category is a population category a resident belongs to (失业登记, 独居老人 …).
// Categories are extensible: any lower-case snake_case word is valid, and the
// constants below are the ones the seeds name.
type Category string

// The categories the field reports name. Their string values are what the
// segment language, the import files and the API use.
const (
	Unemployed         Category = "unemployed"           // 失业登记
	HardToEmploy       Category = "hard_to_employ"       // 就业困难人员
	Trainee            Category = "trainee"              // 培训学员
	ElderlyAlone       Category = "elderly_alone"        // 独居老人
	EmptyNest          Category = "empty_nest"           // 空巢老人
	Subsistence        Category = "subsistence"          // 低保户
	Disabled           Category = "disabled"             // 残疾人
	LeftBehindGuardian Category = "left_behind_guardian" // 留守儿童监护人
	Floating           Category = "floating"             // 流动人口
	NewResident        Category = "new_resident"         // 新居民
)

// KnownCategories lists the built-in categories in a stable order, with their
// Chinese labels for screens and import headers.
var KnownCategories = []struct {
	Category Category
	Label    string
}{
	{Unemployed, "失业登记"},
	{HardToEmploy, "就业困难人员"},
	{Trainee, "培训学员"},
	{ElderlyAlone, "独居老人"},
	{EmptyNest, "空巢老人"},
	{Subsistence, "低保户"},
	{Disabled, "残疾人"},
	{LeftBehindGuardian, "留守儿童监护人"},
	{Floating, "流动人口"},
	{NewResident, "新居民"},
}

var categoryRE = regexp.MustCompile(`^[a-z][a-z0-9_]{0,39}$`)

// ParseCategory accepts a category's identifier or its Chinese label and
// returns the category. Unknown identifiers that are well formed are accepted
// (categories are extensible); anything else is an error.
func ParseCategory(s string) (Category, error) {
	for _, k := range KnownCategories {
		if s == k.Label || s == string(k.Category) {
			return k.Category, nil
		}
	}
	if categoryRE.MatchString(s) {
		return Category(s), nil
	}
	return "", fmt.Errorf("segments: category %q: want a lower-case identifier such as unemployed, or a known label such as 失业登记", s)
}

// Topic is a kind of outreach a resident can opt out of (退订). Opt-out is
// per topic so that a resident who stops job postings still hears about a
// home visit.
type Topic string

// The outreach topics. TopicAll is an opt-out of everything.
const (
	TopicPolicy   Topic = "policy"   // 政策宣传
	TopicJob      Topic = "job"      // 招聘信息
	TopicTraining Topic = "training" // 培训通知
	TopicVisit    Topic = "visit"    // 走访预约
	TopicAll      Topic = "all"
)

// Topics lists every topic in a stable order.
var Topics = []Topic{TopicPolicy, TopicJob, TopicTraining, TopicVisit, TopicAll}

// ParseTopic returns the topic named s or an error listing the valid ones.
func ParseTopic(s string) (Topic, error) {
	for _, t := range Topics {
		if string(t) == s {
			return t, nil
		}
	}
	return "", fmt.Errorf("segments: topic %q: want one of policy, job, training, visit, all", s)
}

// Channel is a way to reach a resident.
type Channel string

// The channels. ChannelNone means "no preference" on a resident.
const (
	ChannelNone   Channel = ""
	ChannelWeChat Channel = "wechat"
	ChannelSMS    Channel = "sms"
)

// ParseChannel returns the channel named s ("" is no preference).
func ParseChannel(s string) (Channel, error) {
	switch Channel(s) {
	case ChannelNone, ChannelWeChat, ChannelSMS:
		return Channel(s), nil
	case "微信":
		return ChannelWeChat, nil
	case "短信":
		return ChannelSMS, nil
	}
	return "", fmt.Errorf("segments: channel %q: want wechat or sms", s)
}

// Gender is a resident's gender as the ID number records it.
type Gender string

// The genders.
const (
	Male   Gender = "M"
	Female Gender = "F"
)

// ParseGender accepts M/F, male/female or 男/女.
func ParseGender(s string) (Gender, error) {
	switch s {
	case "M", "m", "male", "男":
		return Male, nil
	case "F", "f", "female", "女":
		return Female, nil
	}
	return "", fmt.Errorf("segments: gender %q: want M or F (男/女)", s)
}
