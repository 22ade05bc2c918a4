package outbound_test

import (
	"testing"

	"github.com/gridcast/gridcast/outbound"
)

// Every purpose is handled on purpose: the desk's are composed and the
// desk's own, a test send is composed but no desk's, and campaign messages
// and reminders are prepared at send time. Each has a Chinese label.
func TestPurposes(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		p              outbound.Purpose
		desk, composed bool
	}{
		{outbound.PurposeCampaign, false, false},
		{outbound.PurposeReminder, false, false},
		{outbound.PurposeAck, true, true},
		{outbound.PurposeConfirm, true, true},
		{outbound.PurposeBindCode, true, true},
		{outbound.PurposeReply, true, true},
		{outbound.PurposeRatingRequest, true, true},
		{outbound.PurposeNotify, true, true},
		{outbound.PurposeTest, false, true},
		{"other", false, false},
	} {
		if got := tc.p.Desk(); got != tc.desk {
			t.Errorf("%s.Desk() = %v, want %v", tc.p, got, tc.desk)
		}
		if got := tc.p.Composed(); got != tc.composed {
			t.Errorf("%s.Composed() = %v, want %v", tc.p, got, tc.composed)
		}
	}
	for _, p := range outbound.Purposes {
		if p.Label() == string(p) {
			t.Errorf("purpose %s has no Chinese label", p)
		}
	}
	if got := outbound.PurposeTest.Label(); got != "测试发送" {
		t.Errorf("the test send's label = %q", got)
	}
}
