package campaigns

import (
	"errors"
	"fmt"
	"time"

	"github.com/gridcast/gridcast/population"
)

// The made-up people a test send (试发) is rendered for. No resident or
// worker of the city is read: an officer sees the wording on their own
// phone without anyone's data, and the worker's number looks masked.
const (
	SampleResidentName = "张三"
	SampleWorkerName   = "李网格"
	SampleWorkerPhone  = "138****0000"
	SampleGridName     = "示例社区第一网格"
)

// ErrNoSMSTemplate is a test send of a campaign that has no SMS template:
// a test send is an SMS.
var ErrNoSMSTemplate = errors.New("campaigns: no SMS template")

// SampleVars are the values c's messages are rendered with for a test
// send at now: a made-up resident (张三, so 张先生) of a made-up grid and a
// made-up worker, and for a visit campaign a slot tomorrow at 09:00
// Shanghai time.
func SampleVars(c Campaign, now time.Time) Vars {
	v := Vars{
		Resident: population.Resident{Name: SampleResidentName, Gender: population.Male, GridCode: "sample"},
		Worker:   population.Worker{Name: SampleWorkerName, Phone: SampleWorkerPhone, Role: population.RoleGridWorker},
		GridName: SampleGridName,
		Campaign: c,
	}
	if c.Kind == KindVisitSchedule {
		day := now.In(Shanghai()).AddDate(0, 0, 1)
		v.Slot = time.Date(day.Year(), day.Month(), day.Day(), 9, 0, 0, 0, Shanghai())
	}
	return v
}

// TestSMS renders c's SMS with template t (as last synced) for the made-up
// people of SampleVars: the parameters the SendSms call carries and the
// whole text the phone shows, signature first. A campaign with no SMS
// template is ErrNoSMSTemplate; a template not synced, or a value that
// does not render, an error naming it.
func TestSMS(c Campaign, t Template, now time.Time) (map[string]string, string, error) {
	if c.SMS.TemplateCode == "" {
		return nil, "", ErrNoSMSTemplate
	}
	if t.Code != c.SMS.TemplateCode {
		return nil, "", fmt.Errorf("campaigns: SMS template %s is not synced (gridcast templates sync)", c.SMS.TemplateCode)
	}
	v := SampleVars(c, now)
	params, err := RenderParams(c.SMS.Params, v)
	if err != nil {
		return nil, "", err
	}
	text, err := PreviewSMS(c, t, v)
	if err != nil {
		return nil, "", err
	}
	return params, text, nil
}
