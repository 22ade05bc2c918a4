package queue_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/gridcast/gridcast/outbound"
	"github.com/gridcast/gridcast/population"
	"github.com/gridcast/gridcast/queue"
)

// A campaign in progress never messages a resident whose living record
// (活户籍) changes under it: one marked deceased mid-run has their waiting
// message skipped at once, and one who moved out just before a fan-out
// that still wrote their message (its cursor read the store as it was) is
// skipped when the message comes up to send. Everyone else is reached
// once, and a later campaign does not select either of them.
func TestCampaignSkipsResidentsWhoLeft(t *testing.T) {
	forEachDriver(t, func(t *testing.T, driver string) {
		e := setup(t, queue.Config{}, 10, onDriver(driver))
		c0 := e.campaign("probe", time.Hour)
		var reachable []population.Resident
		for _, r := range e.res {
			if expectChannel(r, c0) != "" {
				reachable = append(reachable, r)
			}
		}
		if len(reachable) < 10 {
			t.Fatalf("only %d reachable residents in the fixture", len(reachable))
		}
		movedOut, deceased := reachable[3], reachable[7]
		change := func(r population.Resident, s population.Status) population.Recorded {
			t.Helper()
			cs, err := population.NewChanges(r.ID, map[population.ChangeField]string{population.FieldStatus: string(s)},
				"网格员", population.SourceField, "")
			if err != nil {
				t.Fatal(err)
			}
			rec, err := e.st.RecordChanges(e.ctx, r.ID, cs)
			if err != nil {
				t.Fatal(err)
			}
			return rec
		}
		change(movedOut, population.StatusMovedOut)
		// The run's ledger is written as a fan-out that began before the
		// move would write it: a pending message for everyone, the
		// resident who moved out too.
		c, written := e.writtenRun("活户籍")
		var ids []int64
		wrote := map[int64]bool{}
		for _, m := range written {
			ids = append(ids, m.ID)
			wrote[m.ResidentID] = true
		}
		if !wrote[movedOut.ID] || !wrote[deceased.ID] {
			t.Fatal("the written run misses the residents under test")
		}
		// Mid-run, before the send: the resident dies.
		if rec := change(deceased, population.StatusDeceased); rec.MessagesSkipped != 1 {
			t.Errorf("messages skipped on the change = %d, want 1", rec.MessagesSkipped)
		}
		payload, _ := json.Marshal(map[string]any{"campaign_id": c.ID, "ids": ids})
		cl := asynq.NewClientFromRedisClient(e.rdb)
		defer cl.Close()
		if _, err := cl.Enqueue(asynq.NewTask(queue.TypeSendChunk, payload), asynq.Queue(queue.QueueBulk), asynq.Retention(0)); err != nil {
			t.Fatal(err)
		}
		e.waitFor("settled", 30*time.Second, func() bool { return e.settled(c.ID) })

		sms, wx := e.sentCounts()
		for _, r := range reachable {
			got := sms[r.Phone]
			if r.OpenID != "" {
				got += wx[r.OpenID]
			}
			want := 1
			if r.ID == movedOut.ID || r.ID == deceased.ID {
				want = 0
			}
			if got != want {
				t.Errorf("resident %d got %d messages, want %d", r.ID, got, want)
			}
		}
		f := e.funnel(c.ID)
		if f.Skipped[outbound.SkipDeceased] != 1 || f.Skipped[outbound.SkipMovedOut] != 1 {
			t.Errorf("skipped %v, want one deceased and one moved_out", f.Skipped)
		}
		for _, m := range e.messages(c.ID, outbound.StatusSkipped) {
			want := map[int64]outbound.SkipReason{movedOut.ID: outbound.SkipMovedOut, deceased.ID: outbound.SkipDeceased}[m.ResidentID]
			if m.SkipReason != want {
				t.Errorf("message %d to resident %d skipped as %q, want %q", m.ID, m.ResidentID, m.SkipReason, want)
			}
		}

		// The next campaign's audience leaves them out.
		n, err := e.st.CountSegment(e.ctx, segmentAll)
		if err != nil {
			t.Fatal(err)
		}
		if n != int64(len(e.res)-2) {
			t.Errorf("segment counts %d, want %d", n, len(e.res)-2)
		}
	})
}
