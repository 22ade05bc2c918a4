package tickets

import (
	"errors"
	"fmt"
	"strings"

	"github.com/gridcast/gridcast/population"
)

// QuickReplies are a worker's ready answers (常用回复) per category, picked
// by number instead of typed. They may use {{worker.name}} and
// {{worker.phone}}. The zero value (nil) uses DefaultQuickReplies. A
// QuickReplies is read-only once built and safe for concurrent use.
type QuickReplies map[Category][]string

// DefaultQuickReplies are the built-in ready answers: a category's own,
// then CategoryOther's, which fit any ticket.
var DefaultQuickReplies = map[Category][]string{
	CategoryEmployment: {
		"您好，已为您登记求职意向，有合适岗位会第一时间通知您。",
		"您好，本月就业技能培训正在报名，可带身份证到社区服务中心报名。",
	},
	CategorySocialAssistance: {
		"您好，申请需携带身份证、户口本和收入证明到社区服务中心办理。",
		"您好，您的申请材料已提交街道审核，一般15个工作日内有结果。",
	},
	CategoryElderlyCare: {
		"您好，网格员将于今天上门看望，如有紧急情况请拨打120。",
		"您好，已为老人申请助餐服务，明天起每天中午送餐上门。",
	},
	CategoryHouseholdRegistration: {
		"您好，办理需携带户口本、身份证原件到派出所户籍窗口，工作日上午9点至下午5点。",
	},
	CategorySchooling: {
		"您好，入学报名材料为户口本、房产证或租赁备案、预防接种证，请关注教育局报名通知。",
	},
	CategoryEnvironment: {
		"您好，已通知物业和环卫处理，预计24小时内完成。",
		"您好，问题已处理完毕，感谢您的反映。",
	},
	CategoryDisputes: {
		"您好，已约双方明天上午在社区调解室协商，请准时到场。",
	},
	CategoryComplaints: {
		"您好，您反映的情况已核实并督促整改，处理结果将另行告知。",
	},
	CategoryOther: {
		"您好，您的问题已收到，正在处理，请耐心等待。",
		"您好，问题已处理完毕。如还有疑问请直接回复，网格员{{worker.name}}，电话{{worker.phone}}。",
	},
}

// For is the ready answers for category c: the configured (else default)
// ones of c, then those of CategoryOther, without repeats.
func (q QuickReplies) For(c Category) []string {
	list := func(k Category) []string {
		if v, ok := q[k]; ok {
			return v
		}
		return DefaultQuickReplies[k]
	}
	var out []string
	seen := map[string]bool{}
	for _, k := range []Category{c, CategoryOther} {
		for _, s := range list(k) {
			if s = strings.TrimSpace(s); s != "" && !seen[s] {
				seen[s] = true
				out = append(out, s)
			}
		}
		if c == CategoryOther {
			break
		}
	}
	return out
}

// Render is the n-th (1-based) ready answer for category c with w's clear
// name and phone filled in; an error when there is no such answer.
func (q QuickReplies) Render(c Category, n int, w population.Worker) (string, error) {
	list := q.For(c)
	if n < 1 || n > len(list) {
		return "", fmt.Errorf("%w: quick reply %d: %s has %d", errNoQuick, n, c, len(list))
	}
	return fillWorker(list[n-1], w), nil
}

var errNoQuick = errors.New("tickets: no such quick reply")

// Validate reports every blank answer and unknown placeholder.
func (q QuickReplies) Validate() error {
	var errs []error
	for c, list := range q {
		for i, s := range list {
			if strings.TrimSpace(s) == "" {
				errs = append(errs, fmt.Errorf("quick_replies[%s][%d]: blank", c, i))
			}
			for _, p := range placeholderRE.FindAllString(s, -1) {
				if p != PlaceholderWorkerName && p != PlaceholderWorkerPhone {
					errs = append(errs, fmt.Errorf("quick_replies[%s][%d]: unknown placeholder %s", c, i, p))
				}
			}
		}
	}
	return errors.Join(errs...)
}
