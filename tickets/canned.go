package tickets

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/gridcast/gridcast/population"
)

// The placeholders a canned reply may use. They render the worker's clear
// name and phone number, which the resident needs to verify the message
// (the seeds report residents distrust unknown senders): a rendered reply is
// personal data to be logged at debug level only.
//
// PlaceholderDeadline renders the ticket's real deadline (SLA.DueText:
// 12月9日（周三）), so that a reply promises what the SLA counts.
const (
	PlaceholderWorkerName  = "{{worker.name}}"
	PlaceholderWorkerPhone = "{{worker.phone}}"
	PlaceholderDeadline    = "{{deadline}}"
)

// DefaultCanned are the built-in acknowledgements sent when a ticket is
// recorded, one per category; CategoryOther's is also the fallback for
// categories without one.
var DefaultCanned = map[Category]string{
	CategoryEmployment:            "您好，您的就业咨询已收到，网格员{{worker.name}}将于{{deadline}}前与您联系，并为您匹配合适的岗位和培训信息。联系电话{{worker.phone}}。",
	CategorySocialAssistance:      "您好，您反映的救助补贴问题已登记，网格员{{worker.name}}将尽快核实情况并告知办理流程。联系电话{{worker.phone}}。",
	CategoryElderlyCare:           "您好，您反映的老人照料问题已登记，网格员{{worker.name}}将于{{deadline}}前上门或电话了解情况。联系电话{{worker.phone}}。",
	CategoryHouseholdRegistration: "您好，您的户籍证件咨询已收到，网格员{{worker.name}}将告知您所需材料和办理地点。联系电话{{worker.phone}}。",
	CategorySchooling:             "您好，您的入学咨询已收到，网格员{{worker.name}}将协助您了解入学政策和报名时间。联系电话{{worker.phone}}。",
	CategoryEnvironment:           "您好，您反映的环境问题已登记，网格员{{worker.name}}将于{{deadline}}前到现场查看处理。联系电话{{worker.phone}}。",
	CategoryDisputes:              "您好，您反映的纠纷已登记，网格员{{worker.name}}将于{{deadline}}前与您联系协调。请保持冷静，如遇紧急情况请拨打110。联系电话{{worker.phone}}。",
	CategoryComplaints:            "您好，您的投诉已受理，我们将于{{deadline}}前核实处理并向您反馈结果。网格员{{worker.name}}，联系电话{{worker.phone}}。",
	CategoryProperty:              "您好，您反映的物业房屋问题已登记，网格员{{worker.name}}将联系物业尽快处理并告知您进展。联系电话{{worker.phone}}。",
	CategoryCityManagement:        "您好，您反映的城市管理问题已登记，网格员{{worker.name}}将到现场查看并协调城管处理。联系电话{{worker.phone}}。",
	CategorySafety:                "您好，您反映的安全隐患已登记，网格长将尽快到现场核查。如有明火或人员被困请立即拨打119。联系电话{{worker.phone}}。",
	CategorySocialInsurance:       "您好，您的社保医保咨询已收到，网格员{{worker.name}}将告知您办理流程和所需材料。联系电话{{worker.phone}}。",
	CategoryFamilyPlanning:        "您好，您的生育登记咨询已收到，网格员{{worker.name}}将告知您所需材料和办理方式。联系电话{{worker.phone}}。",
	CategoryPublicSecurity:        "您好，您反映的治安问题已登记，网格长将尽快核实处理。如正在发生违法犯罪请立即拨打110。联系电话{{worker.phone}}。",
	CategoryHeatingGas:            "您好，您反映的供暖燃气问题已登记，网格员{{worker.name}}将联系供暖燃气单位尽快处理。如闻到燃气味请开窗、勿用明火，并拨打燃气抢修电话或119。联系电话{{worker.phone}}。",
	CategoryStaffComplaint:        "您好，您对工作人员的投诉已受理，将由社区负责人核实处理并向您反馈，不会转交被投诉人。联系电话{{worker.phone}}。",
	CategoryOther:                 "您好，您的留言已收到，网格员{{worker.name}}会尽快与您联系。联系电话{{worker.phone}}。",
}

// Canned holds configured canned replies per category, overriding
// DefaultCanned entry by entry. The zero value (nil) uses the defaults
// only. A Canned is read-only once built and safe for concurrent use.
type Canned map[Category]string

// Text is the unrendered canned reply for category c: the configured one,
// else the default, else the configured then the default CategoryOther
// reply.
func (m Canned) Text(c Category) string {
	for _, k := range []Category{c, CategoryOther} {
		if s := strings.TrimSpace(m[k]); s != "" {
			return s
		}
		if s, ok := DefaultCanned[k]; ok {
			return s
		}
	}
	return ""
}

// Render is the canned reply for c with w's clear name and phone number
// and the deadline (SLA.DueText) filled in. An empty name leaves "网格员"
// on its own; an empty phone renders as 暂无 and an empty deadline as 规定期限
// so that the sentence still reads.
func (m Canned) Render(c Category, w population.Worker, deadline string) string {
	if strings.TrimSpace(deadline) == "" {
		deadline = "规定期限"
	}
	return strings.ReplaceAll(fillWorker(m.Text(c), w), PlaceholderDeadline, deadline)
}

// fillWorker puts w's clear name and phone (暂无 when none) into s.
func fillWorker(s string, w population.Worker) string {
	name := strings.TrimSpace(string(w.Name))
	phone := strings.TrimSpace(string(w.Phone))
	if phone == "" {
		phone = "暂无"
	}
	return strings.NewReplacer(PlaceholderWorkerName, name, PlaceholderWorkerPhone, phone).Replace(s)
}

var placeholderRE = regexp.MustCompile(`\{\{[^{}]*\}\}`)

// Validate reports every configured reply that is blank or uses a
// placeholder other than {{worker.name}}, {{worker.phone}} and
// {{deadline}}.
func (m Canned) Validate() error {
	var errs []error
	for _, c := range sortedWords(asStringMap(m)) {
		s := m[Category(c)]
		if strings.TrimSpace(s) == "" {
			errs = append(errs, fmt.Errorf("canned[%s]: blank reply", c))
		}
		for _, p := range placeholderRE.FindAllString(s, -1) {
			if p != PlaceholderWorkerName && p != PlaceholderWorkerPhone && p != PlaceholderDeadline {
				errs = append(errs, fmt.Errorf("canned[%s]: unknown placeholder %s: want {{worker.name}}, {{worker.phone}} or {{deadline}}", c, p))
			}
		}
	}
	return errors.Join(errs...)
}

func asStringMap(m Canned) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[string(k)] = v
	}
	return out
}
