package queue

import "testing"

// visitLedger is a Ledger that also books visits, as *store.Store does.
type visitLedger struct {
	Ledger
	VisitStore
}

// Observing a ledger keeps what the queue finds on it by type: a store
// that books visits still books them.
func TestObservedKeepsVisitStore(t *testing.T) {
	noop := func(Move) {}
	if _, ok := observed(visitLedger{}, noop).(VisitStore); !ok {
		t.Error("an observed VisitStore is no longer one: visit campaigns would skip everyone")
	}
	type plain struct{ Ledger }
	if _, ok := observed(plain{}, noop).(VisitStore); ok {
		t.Error("an observed plain Ledger became a VisitStore")
	}
	var l Ledger = plain{}
	if observed(l, nil) != l {
		t.Error("a nil observer must leave the ledger as it is")
	}
}
