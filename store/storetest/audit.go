package storetest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/gridcast/gridcast/api"
	"github.com/gridcast/gridcast/audit"
	"github.com/gridcast/gridcast/fault"
)

// AuditStore is the audit log as its callers use it: the API's reads,
// and the appends and verification of the CLI and the services.
type AuditStore interface {
	api.AuditLog
	AppendAudit(ctx context.Context, e audit.Entry) (audit.Entry, error)
	VerifyAudit(ctx context.Context, expect audit.Head) (audit.Report, error)
}

// auditTests prove the log keeps what it is given, reads it back by every
// filter, and that verification finds a row edited, deleted or forged by
// someone with database access — who must drop the triggers first, since
// the application cannot update or delete a row.
var auditTests = []struct {
	name string
	fn   func(t *testing.T, st Store)
}{
	{"AuditAppendAndRead", testAuditAppendAndRead},
	{"AuditFilters", testAuditFilters},
	{"AuditVerifyClean", testAuditVerifyClean},
	{"AuditDetectsEdit", testAuditDetectsEdit},
	{"AuditDetectsDelete", testAuditDetectsDelete},
	{"AuditDetectsForgery", testAuditDetectsForgery},
	{"AuditDetectsTruncation", testAuditDetectsTruncation},
	{"AuditRefusesChanges", testAuditRefusesChanges},
	{"AuditConcurrentAppends", testAuditConcurrentAppends},
}

// appendAudit appends es in order and returns them as stored.
func appendAudit(t *testing.T, st Store, es ...audit.Entry) []audit.Entry {
	t.Helper()
	out := make([]audit.Entry, len(es))
	for i, e := range es {
		got, err := st.AppendAudit(t.Context(), e)
		if err != nil {
			t.Fatalf("AppendAudit(%+v): %v", e, err)
		}
		out[i] = got
	}
	return out
}

// someAudit is a small log: three campaign acts, an import, an unmasking.
func someAudit(t *testing.T, st Store) []audit.Entry {
	t.Helper()
	return appendAudit(t, st,
		audit.Entry{Actor: "王芳", OSUser: "ops", Source: audit.SourceCLI, Action: audit.ActionCampaignApprove, Subject: "campaign:12"},
		audit.Entry{Actor: "李强", Source: audit.SourceAPI, Action: audit.ActionCampaignSend, Subject: "campaign:12", Detail: "draft → scheduled"},
		audit.Entry{Actor: "李强", OSUser: "ops", Source: audit.SourceCLI, Action: audit.ActionImport, Subject: "file:residents.xlsx",
			Detail: `{"rows":3,"inserted":2,"updated":1,"skipped":0}`},
		audit.Entry{Actor: "王芳", OSUser: "ops", Source: audit.SourceCLI, Action: audit.ActionUnmask, Subject: "resident:34",
			Reason: "社保核对，回电 13812345678"},
		audit.Entry{Actor: "张伟", Source: audit.SourceAPI, Action: audit.ActionCampaignPause, Subject: "campaign:13"},
	)
}

// heads is the head of a log whose newest entries are es.
func heads(es []audit.Entry) audit.Head {
	e := es[len(es)-1]
	return audit.Head{Seq: e.Seq, Hash: e.Hash}
}

func testAuditAppendAndRead(t *testing.T, st Store) {
	ctx := t.Context()
	before := time.Now().Add(-time.Second)
	es := someAudit(t, st)
	for i, e := range es {
		if e.Seq != int64(i+1) {
			t.Errorf("entry %d has seq %d", i, e.Seq)
		}
		if e.At.Before(before) || e.At.After(time.Now().Add(time.Second)) || e.At.Location() != time.UTC {
			t.Errorf("entry %d: At = %v; want now, in UTC", e.Seq, e.At)
		}
	}
	if strings.Contains(es[3].Reason, "13812345678") {
		t.Errorf("a phone number typed in a reason is stored in clear: %q", es[3].Reason)
	}
	got, err := st.AuditEntries(ctx, audit.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(es, got); d != "" {
		t.Errorf("read back (-appended +read):\n%s", d)
	}
	// What is read back verifies as it is: nothing is lost or reformatted
	// between the hash and the row (the time's precision above all).
	if _, err := audit.Verify(got, heads(es)); err != nil {
		t.Errorf("the entries read back do not verify: %v", err)
	}
	// An entry without an actor is refused and writes nothing.
	_, err = st.AppendAudit(ctx, audit.Entry{Source: audit.SourceCLI, Action: audit.ActionExport})
	if !errors.Is(err, fault.ErrInvalid) {
		t.Errorf("AppendAudit without an actor = %v; want ErrInvalid", err)
	}
	if got, _ := st.AuditEntries(ctx, audit.Filter{}); len(got) != len(es) {
		t.Errorf("%d entries after a refused append; want %d", len(got), len(es))
	}
}

func testAuditFilters(t *testing.T, st Store) {
	ctx := t.Context()
	es := someAudit(t, st)
	seqs := func(f audit.Filter) []int64 {
		t.Helper()
		got, err := st.AuditEntries(ctx, f)
		if err != nil {
			t.Fatalf("AuditEntries(%+v): %v", f, err)
		}
		out := []int64{}
		for _, e := range got {
			out = append(out, e.Seq)
		}
		return out
	}
	for _, tc := range []struct {
		name string
		f    audit.Filter
		want []int64
	}{
		{"all", audit.Filter{}, []int64{1, 2, 3, 4, 5}},
		{"actor", audit.Filter{Actor: "李强"}, []int64{2, 3}},
		{"action area", audit.Filter{Action: "campaign"}, []int64{1, 2, 5}},
		{"action area with its dot", audit.Filter{Action: "campaign."}, []int64{1, 2, 5}},
		{"one action", audit.Filter{Action: "campaign.send"}, []int64{2}},
		{"not a prefix of a word", audit.Filter{Action: "camp"}, []int64{}},
		{"wildcards are literal", audit.Filter{Action: "campaign_%"}, []int64{}},
		{"subject", audit.Filter{Subject: "campaign:12"}, []int64{1, 2}},
		{"actor and action", audit.Filter{Actor: "王芳", Action: "pii"}, []int64{4}},
		// Two acts may share a microsecond: the wanted seqs come from the
		// times the store gave.
		{"since", audit.Filter{Since: es[3].At}, seqsWhere(es, func(e audit.Entry) bool { return !e.At.Before(es[3].At) })},
		{"until", audit.Filter{Until: es[1].At}, seqsWhere(es, func(e audit.Entry) bool { return e.At.Before(es[1].At) })},
		{"after", audit.Filter{AfterSeq: 2, Limit: 2}, []int64{3, 4}},
		{"before", audit.Filter{BeforeSeq: 3}, []int64{1, 2}},
		{"newest", audit.Filter{Newest: true, Limit: 2}, []int64{4, 5}},
		{"newest before", audit.Filter{Newest: true, BeforeSeq: 4, Limit: 2}, []int64{2, 3}},
	} {
		if d := cmp.Diff(tc.want, seqs(tc.f)); d != "" {
			t.Errorf("%s (-want +got):\n%s", tc.name, d)
		}
	}
	if _, err := st.AuditEntries(ctx, audit.Filter{Limit: audit.MaxLimit + 1}); !errors.Is(err, fault.ErrInvalid) {
		t.Errorf("an over-large limit = %v; want ErrInvalid", err)
	}
}

func seqsWhere(es []audit.Entry, keep func(audit.Entry) bool) []int64 {
	out := []int64{}
	for _, e := range es {
		if keep(e) {
			out = append(out, e.Seq)
		}
	}
	return out
}

func testAuditVerifyClean(t *testing.T, st Store) {
	ctx := t.Context()
	rep, err := st.VerifyAudit(ctx, audit.Head{})
	if err != nil || rep != (audit.Report{Head: audit.Empty}) {
		t.Errorf("an empty log: %+v, %v; want nothing checked, the empty head", rep, err)
	}
	es := someAudit(t, st)
	rep, err = st.VerifyAudit(ctx, audit.Head{})
	if err != nil || rep != (audit.Report{Checked: 5, Head: heads(es)}) {
		t.Errorf("a clean log: %+v, %v; want 5 checked, head %v", rep, err, heads(es))
	}
	// A head recorded earlier, then more acts: still verifies.
	old := heads(es[:3])
	if _, err := st.VerifyAudit(ctx, old); err != nil {
		t.Errorf("VerifyAudit(an older head) = %v", err)
	}
}

// tamper runs statements as someone with database access: the triggers
// dropped first (the dialect's own statement), the application's pools
// used directly.
func tamper(t *testing.T, st Store, stmts ...string) {
	t.Helper()
	ctx := t.Context()
	drop := []string{"DROP TRIGGER audit_log_no_update", "DROP TRIGGER audit_log_no_delete"}
	if !isSQLite(ctx, st) {
		drop = []string{"DROP TRIGGER audit_log_no_change ON audit_log"}
	}
	for _, q := range append(drop, stmts...) {
		if _, err := st.DB().ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
}

func isSQLite(ctx context.Context, st Store) bool {
	var v string
	return st.DB().QueryRowContext(ctx, "SELECT sqlite_version()").Scan(&v) == nil
}

// wantBreak verifies and wants a break of kind at seq.
func wantBreak(t *testing.T, st Store, expect audit.Head, kind audit.Kind, seq int64) audit.Report {
	t.Helper()
	rep, err := st.VerifyAudit(t.Context(), expect)
	var b *audit.Break
	if !errors.As(err, &b) {
		t.Fatalf("VerifyAudit = %+v, %v; want a %s break at %d", rep, err, kind, seq)
	}
	if b.Kind != kind || b.Seq != seq {
		t.Errorf("VerifyAudit broke %s at %d (%v); want %s at %d", b.Kind, b.Seq, err, kind, seq)
	}
	return rep
}

func testAuditDetectsEdit(t *testing.T, st Store) {
	someAudit(t, st)
	tamper(t, st, "UPDATE audit_log SET actor = '李强' WHERE seq = 4")
	if rep := wantBreak(t, st, audit.Head{}, audit.BreakEdited, 4); rep.Checked != 3 {
		t.Errorf("checked %d before the break; want 3", rep.Checked)
	}
}

func testAuditDetectsDelete(t *testing.T, st Store) {
	someAudit(t, st)
	tamper(t, st, "DELETE FROM audit_log WHERE seq = 2")
	wantBreak(t, st, audit.Head{}, audit.BreakDeleted, 3)
}

// A row inserted after the head, its hash made up: the triggers do not
// stop inserts (the application appends), the chain does.
func testAuditDetectsForgery(t *testing.T, st Store) {
	es := someAudit(t, st)
	h := heads(es)
	tamper(t, st, fmt.Sprintf(`INSERT INTO audit_log (seq, at, actor, os_user, source, action, subject, reason, detail, prev_hash, hash)
		VALUES (%d, '2025-03-01T00:00:00.000000Z', '王芳', '', 'api', 'campaign.approve', 'campaign:13', '', '', '%s', '%s')`,
		h.Seq+1, h.Hash, strings.Repeat("ab", 32)))
	wantBreak(t, st, audit.Head{}, audit.BreakEdited, h.Seq+1)
}

// The newest rows deleted: invisible to the chain, caught by a head
// recorded before.
func testAuditDetectsTruncation(t *testing.T, st Store) {
	ctx := t.Context()
	es := someAudit(t, st)
	tamper(t, st, "DELETE FROM audit_log WHERE seq >= 4")
	if rep, err := st.VerifyAudit(ctx, audit.Head{}); err != nil || rep.Head != heads(es[:3]) {
		t.Errorf("without a recorded head: %+v, %v; want the shorter log to verify (the chain alone cannot tell)", rep, err)
	}
	wantBreak(t, st, heads(es), audit.BreakTruncated, 5)
}

// The application cannot update or delete an entry (nor, on PostgreSQL,
// truncate the table); the log still verifies after the attempts.
func testAuditRefusesChanges(t *testing.T, st Store) {
	ctx := t.Context()
	es := someAudit(t, st)
	stmts := []string{"UPDATE audit_log SET reason = 'x' WHERE seq = 1", "DELETE FROM audit_log WHERE seq = 5", "DELETE FROM audit_log"}
	if !isSQLite(ctx, st) {
		stmts = append(stmts, "TRUNCATE audit_log")
	}
	for _, q := range stmts {
		_, err := st.DB().ExecContext(ctx, q)
		if err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Errorf("%s: %v; want it refused as append-only", q, err)
		}
	}
	if rep, err := st.VerifyAudit(ctx, heads(es)); err != nil || rep.Checked != 5 {
		t.Errorf("after the refused changes: %+v, %v", rep, err)
	}
}

// Many appenders at once make one chain: no seq twice, no fork.
func testAuditConcurrentAppends(t *testing.T, st Store) {
	ctx := t.Context()
	const workers, each = 8, 15
	var wg sync.WaitGroup
	errs := make(chan error, workers*each)
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				_, err := st.AppendAudit(ctx, audit.Entry{Actor: fmt.Sprintf("worker%d", w), Source: audit.SourceSystem,
					Action: audit.ActionExport, Subject: fmt.Sprintf("file:%d", i)})
				if err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("concurrent AppendAudit: %v", err)
	}
	rep, err := st.VerifyAudit(ctx, audit.Head{})
	if err != nil || rep.Checked != workers*each {
		t.Errorf("after %d concurrent appends: %+v, %v", workers*each, rep, err)
	}
}
