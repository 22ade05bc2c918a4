package tickets

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/gridcast/gridcast/fault"
)

// Urgency is how soon a ticket must be handled: 紧急, 一般 or 复杂.
type Urgency string

// The urgencies.
const (
	// UrgencyEmergency (紧急): a gas leak, a fire, a missing elderly
	// person, violence, someone hurt. The resident is told at once which
	// number to call, and the ticket goes straight to Triage.Level with
	// Triage.Deadline.
	UrgencyEmergency Urgency = "emergency"
	// UrgencyNormal (一般): the category's deadline, at the category's
	// starting level.
	UrgencyNormal Urgency = "normal"
	// UrgencyComplex (复杂): a matter that needs several departments; it
	// gets Triage.ComplexDeadline.
	UrgencyComplex Urgency = "complex"
)

// Label is the urgency in Chinese.
func (u Urgency) Label() string {
	switch u {
	case UrgencyEmergency:
		return "紧急"
	case UrgencyComplex:
		return "复杂"
	}
	return "一般"
}

// Urgencies lists the urgencies.
var Urgencies = []Urgency{UrgencyEmergency, UrgencyNormal, UrgencyComplex}

// ParseUrgency returns the urgency named s: emergency, normal or complex,
// or 紧急, 一般 or 复杂.
func ParseUrgency(s string) (Urgency, error) {
	s = strings.TrimSpace(s)
	for _, u := range Urgencies {
		if s == string(u) || s == u.Label() {
			return u, nil
		}
	}
	return "", fault.Refuse(fault.ErrInvalid, fmt.Sprintf("urgency %q: want emergency, normal or complex (紧急, 一般, 复杂)", s),
		fmt.Sprintf("紧急程度“%s”无效，可选：紧急、一般、复杂", s), nil)
}

// UrgencyOf is t's urgency as its timeline tells it: the last urgency
// event's, else emergency when the desk opened it as one, else normal.
func UrgencyOf(evs []Event) Urgency {
	u := UrgencyNormal
	for _, ev := range evs {
		switch {
		case ev.Kind == EventUrgency:
			u = Urgency(ev.To)
		case ev.Kind == EventCreated && strings.Contains(ev.Note, "urgency: emergency"):
			u = UrgencyEmergency
		}
	}
	return u
}

// Emergency is one kind of emergency the desk recognises in a message.
type Emergency struct {
	// Name says what it is, for the timeline (gas_leak).
	Name string
	// Label is what it is in Chinese, for the acknowledgement (燃气泄漏).
	Label string
	// Words: any one of them in the message is this emergency.
	Words []string
	// Call is the number to call at once (119, 110, 120).
	Call string
	// Advice is what to do meanwhile, one sentence; optional.
	Advice string
	// Category is the ticket's category when the words decide none (a
	// fight is 治安); optional.
	Category Category
}

// DefaultEmergencies are the built-in emergencies, checked in order: the
// first whose word the message contains decides the number to call.
var DefaultEmergencies = []Emergency{
	{Name: "gas_leak", Label: "燃气泄漏", Call: "119", Category: CategoryHeatingGas,
		Words:  strings.Fields("漏气 煤气味 燃气味 天然气味 臭鸡蛋味 燃气泄漏 煤气泄漏 天然气泄漏 燃气报警器一直在响 气味不对"),
		Advice: "请立即关闭燃气阀门、打开门窗，不要开关电器、不要使用明火，撤离到室外。"},
	{Name: "fire", Label: "火情", Call: "119", Category: CategorySafety,
		Words:  strings.Fields("着火了 起火 失火 火灾 冒烟了 冒火花 烧起来"),
		Advice: "请立即撤离，不要乘坐电梯。"},
	{Name: "violence", Label: "暴力或人身威胁", Call: "110", Category: CategoryPublicSecurity,
		Words:  strings.Fields("打人 砍人 拿着刀 拿刀 持刀 家暴 打我了 被打 殴打 救命 见血 跟踪我 抢劫"),
		Advice: "请先到安全的地方。"},
	{Name: "missing_person", Label: "人员走失", Call: "110",
		Words:  strings.Fields("走丢 走失 找不到人 老人不见了 孩子不见了"),
		Advice: "请准备好走失者的照片和衣着特征。"},
	{Name: "injury", Label: "有人受伤或急病", Call: "120",
		Words:  strings.Fields("摔倒 摔伤 摔了一跤 摔在地上 摔了不敢动 受伤 流血 昏迷 晕倒 不省人事 喘不上气 抽搐 心脏病发 中风"),
		Advice: "请不要随意搬动伤者。"},
}

// Triage configures how emergencies are recognised and handled, and the
// deadlines of the urgencies other than UrgencyNormal. The zero value is
// usable: every field has a default. A Triage is read-only once built and
// safe for concurrent use.
type Triage struct {
	// Emergencies are recognised in order. Nil means DefaultEmergencies;
	// an empty non-nil slice recognises none.
	Emergencies []Emergency
	// Deadline is the time allowed for an emergency, in plain hours
	// whatever the calendar: an emergency does not wait for a working
	// day. Zero means DefaultEmergencyDeadline.
	Deadline time.Duration
	// Level is who gets an emergency: the grid leader by default (the
	// community's duty officer above them when the ticket escalates), not
	// the grid worker's queue. Empty means LevelGridLeader.
	Level Level
	// ComplexDeadline is the time allowed for a complex matter. Zero means
	// DefaultComplexDeadline.
	ComplexDeadline time.Duration
}

// Triage defaults.
const (
	DefaultEmergencyDeadline = 2 * time.Hour
	DefaultComplexDeadline   = 7 * 24 * time.Hour
)

// Emergency returns the first emergency whose word text contains; false
// when it is none. Matching ignores case and the width of Latin letters
// and digits.
func (p Triage) Emergency(text string) (Emergency, bool) {
	list := p.Emergencies
	if list == nil {
		list = DefaultEmergencies
	}
	norm := strings.Join(strings.Fields(strings.ToLower(foldWidth(text))), "")
	for _, e := range list {
		for _, w := range e.Words {
			if nw := normWord(w); nw != "" && strings.Contains(norm, nw) {
				return e, true
			}
		}
	}
	return Emergency{}, false
}

// EmergencyDeadline is Deadline or its default.
func (p Triage) EmergencyDeadline() time.Duration {
	if p.Deadline <= 0 {
		return DefaultEmergencyDeadline
	}
	return p.Deadline
}

// EmergencyLevel is Level or its default.
func (p Triage) EmergencyLevel() Level {
	if p.Level == "" {
		return LevelGridLeader
	}
	return p.Level
}

// Complex is ComplexDeadline or its default.
func (p Triage) Complex() time.Duration {
	if p.ComplexDeadline <= 0 {
		return DefaultComplexDeadline
	}
	return p.ComplexDeadline
}

// Acknowledge is the answer to a resident reporting emergency e: the
// number to call first, what to do meanwhile, then who has been told.
// owner is the worker who has the ticket (name and phone in clear, as in
// every acknowledgement).
func (e Emergency) Acknowledge(ownerLevel Level, ownerName, ownerPhone string) string {
	var b strings.Builder
	b.WriteString(e.Alert())
	who := ownerLevel.Label()
	if n := strings.TrimSpace(ownerName); n != "" {
		who += n
	}
	fmt.Fprintf(&b, "您反映的%s已转%s马上处理", e.Label, who)
	if p := strings.TrimSpace(ownerPhone); p != "" {
		fmt.Fprintf(&b, "，联系电话%s", p)
	}
	b.WriteString("。")
	return b.String()
}

// Alert is the number to call and what to do meanwhile, the part of the
// acknowledgement that is sent even when no ticket can be opened (an
// unknown sender).
func (e Emergency) Alert() string {
	return fmt.Sprintf("【紧急】如情况危急请立即拨打%s！", e.Call) + e.Advice
}

// Validate reports every problem: an emergency without a name, words or a
// number to call, blank words, a negative deadline, a level off the
// ladder.
func (p Triage) Validate() error {
	var errs []error
	for i, e := range p.Emergencies {
		if strings.TrimSpace(e.Name) == "" {
			errs = append(errs, fmt.Errorf("urgency.emergencies[%d].name: required", i))
		}
		if strings.TrimSpace(e.Call) == "" {
			errs = append(errs, fmt.Errorf("urgency.emergencies[%d].call: required (119, 110, 120)", i))
		}
		if len(e.Words) == 0 {
			errs = append(errs, fmt.Errorf("urgency.emergencies[%d].words: at least one word", i))
		}
		for j, w := range e.Words {
			if strings.TrimSpace(w) == "" {
				errs = append(errs, fmt.Errorf("urgency.emergencies[%d].words[%d]: blank", i, j))
			}
		}
	}
	if p.Deadline < 0 {
		errs = append(errs, fmt.Errorf("urgency.emergency_deadline: %s: want zero (the default) or more", p.Deadline))
	}
	if p.ComplexDeadline < 0 {
		errs = append(errs, fmt.Errorf("urgency.complex_deadline: %s: want zero (the default) or more", p.ComplexDeadline))
	}
	if p.Level != "" && p.Level.Rank() < 0 {
		errs = append(errs, fmt.Errorf("urgency.emergency_level: %q: want grid_worker, grid_leader, community or street", p.Level))
	}
	return errors.Join(errs...)
}
