package fault_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/gridcast/gridcast/fault"
)

var errStale = fault.Refuse(fault.ErrConflict, "the ticket moved on", "工单已变化", nil)

func TestExplain(t *testing.T) {
	detail := errors.New("owner: required\nexpires_at: in the past")
	for _, tc := range []struct {
		name    string
		err     error
		en, zh  string
		refusal bool
		is      []error
	}{
		{"not found, wrapped with the chain", fmt.Errorf("store: %w", fault.NotFound(fault.Ticket, 999)),
			"ticket 999 not found", "工单 999 不存在", true, []error{fault.ErrNotFound}},
		{"a refusal wrapped with context", fmt.Errorf("desk: reply to ticket 12: %w", errStale),
			"the ticket moved on", "工单已变化", true, []error{fault.ErrConflict, errStale}},
		{"a refined refusal says its detail and still matches", errStale.Because(detail, true),
			"the ticket moved on: owner: required; expires_at: in the past", "工单已变化：owner: required; expires_at: in the past",
			true, []error{fault.ErrConflict, errStale, detail}},
		{"the outermost sentence wins", fault.Refuse(fault.ErrInvalid, "outer", "外层", errStale),
			"outer", "外层", true, []error{fault.ErrInvalid, fault.ErrConflict, errStale}},
		{"a bare sentinel", fmt.Errorf("store: segment name: %w", fault.ErrInvalid),
			"refused: the input is invalid", "操作未执行：输入有误", true, []error{fault.ErrInvalid}},
		{"an internal failure says nothing of its chain", fmt.Errorf("store: ticket 12: %w", errors.New("database is locked")),
			"internal error (see the log)", "系统内部错误，请稍后重试或联系管理员", false, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			en, refusal := fault.Explain(tc.err, fault.English)
			zh, _ := fault.Explain(tc.err, fault.Chinese)
			if en != tc.en || zh != tc.zh || refusal != tc.refusal {
				t.Errorf("Explain = %q / %q, %v; want %q / %q, %v", en, zh, refusal, tc.en, tc.zh, tc.refusal)
			}
			for _, target := range tc.is {
				if !errors.Is(tc.err, target) {
					t.Errorf("errors.Is(%v, %v) = false", tc.err, target)
				}
			}
		})
	}
	if other := fault.Refuse(fault.ErrConflict, "x", "x", nil); errors.Is(errStale.Because(nil, false), other) {
		t.Error("a refined refusal matches an unrelated one")
	}
}
