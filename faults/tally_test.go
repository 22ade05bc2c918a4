package faults

import "testing"

// The row counts what reached each resident on either of their addresses:
// one message is accepted, more are duplicates, none is lost, and a
// message to an address outside the audience is stray.
func TestTally(t *testing.T) {
	want := map[int64]address{
		1: {phone: "13800000001", openid: "o1"}, // once by WeChat
		2: {phone: "13800000002"},               // twice by SMS
		3: {phone: "13800000003", openid: "o3"}, // WeChat, then SMS too
		4: {phone: "13800000004"},               // nothing
	}
	got := map[string]int{"o1": 1, "13800000002": 2, "o3": 1, "13800000003": 1, "13899999999": 1}
	var r Result
	r.Residents = len(want)
	r.tally(want, got)
	if r.Accepted != 3 || r.Duplicates != 2 || r.Lost != 1 || r.Stray != 1 {
		t.Errorf("tally = accepted %d duplicates %d lost %d stray %d; want 3, 2, 1, 1", r.Accepted, r.Duplicates, r.Lost, r.Stray)
	}
	if r.OK() {
		t.Error("a row with duplicates and a loss is OK")
	}
	clean := Result{Residents: 2, Accepted: 2}
	if !clean.OK() {
		t.Error("a clean row is not OK")
	}
}
