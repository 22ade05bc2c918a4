package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/gridcast/gridcast/audit"
)

// auditPage is how many entries VerifyAudit reads per query: the log is
// walked a page at a time, never loaded whole.
const auditPage = 5000

// auditUntil stands for "no upper bound" on At.
var auditUntil = time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)

// AppendAudit appends e to the audit log and returns it as stored: its
// Seq, At (the store's clock), PrevHash and Hash set by audit.Next, its
// texts sanitized (audit.Entry.Sanitize). Reading the head and inserting
// after it happen in one transaction under a lock that serialises every
// appender of the database — PostgreSQL's advisory transaction lock
// AuditLock, SQLite's write lock — so that appends from several
// processes make one chain. An entry that fails audit.Entry.Validate is
// refused with an error wrapping fault.ErrInvalid and nothing is written.
// It is safe for concurrent use.
func (s *Store) AppendAudit(ctx context.Context, e audit.Entry) (audit.Entry, error) {
	if err := e.Sanitize().Validate(); err != nil {
		return audit.Entry{}, fmt.Errorf("store: append audit entry: %w", err)
	}
	// READ COMMITTED is what makes the head read after the lock see the
	// entry its previous holder committed; a stricter default isolation
	// would take the snapshot before the wait.
	var opts *sql.TxOptions
	if s.driver == DriverPostgres {
		opts = &sql.TxOptions{Isolation: sql.LevelReadCommitted}
	}
	tx, err := s.w.BeginTx(ctx, opts)
	if err != nil {
		return audit.Entry{}, fmt.Errorf("store: append audit entry: %w", err)
	}
	defer tx.Rollback()
	out, err := s.appendAudit(ctx, tx, e)
	if err != nil {
		return audit.Entry{}, fmt.Errorf("store: append audit entry: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return audit.Entry{}, fmt.Errorf("store: append audit entry: commit: %w", err)
	}
	return out, nil
}

func (s *Store) appendAudit(ctx context.Context, tx *sql.Tx, e audit.Entry) (audit.Entry, error) {
	if s.driver == DriverPostgres {
		if _, err := tx.ExecContext(ctx, s.q.get("AuditLock")); err != nil {
			return audit.Entry{}, fmt.Errorf("lock: %w", err)
		}
	}
	head := audit.Empty
	err := tx.QueryRowContext(ctx, s.q.get("AuditHead")).Scan(&head.Seq, &head.Hash)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return audit.Entry{}, fmt.Errorf("read head: %w", err)
	}
	out, err := audit.Next(head, e, s.now())
	if err != nil {
		return audit.Entry{}, err
	}
	_, err = tx.ExecContext(ctx, s.q.get("InsertAudit"), out.Seq, s.ts(out.At), out.Actor, out.OSUser,
		string(out.Source), string(out.Action), out.Subject, out.Reason, out.Detail, out.PrevHash, out.Hash)
	if err != nil {
		return audit.Entry{}, fmt.Errorf("insert: %w", err)
	}
	return out, nil
}

// AuditEntries returns the entries f selects, in Seq order: the oldest
// f.PageSize() of them, or the newest with f.Newest. An invalid filter is
// refused with an error wrapping fault.ErrInvalid.
func (s *Store) AuditEntries(ctx context.Context, f audit.Filter) ([]audit.Entry, error) {
	if err := f.Validate(); err != nil {
		return nil, fmt.Errorf("store: audit entries: %w", err)
	}
	exact, under := f.ActionPrefix()
	pattern := ""
	if under != "" {
		pattern = likeEscape(under) + "%"
	}
	until := auditUntil
	if !f.Until.IsZero() {
		until = f.Until
	}
	before := int64(math.MaxInt64)
	if f.BeforeSeq > 0 {
		before = f.BeforeSeq
	}
	name := "AuditEntries"
	if f.Newest {
		name = "AuditEntriesNewest"
	}
	rows, err := s.r.QueryContext(ctx, s.q.get(name), f.Actor, f.Actor, exact, exact, pattern, f.Subject, f.Subject,
		s.ts(f.Since), s.ts(until), f.AfterSeq, before, f.PageSize())
	if err != nil {
		return nil, fmt.Errorf("store: audit entries: %w", err)
	}
	out, err := scanAuditRows(rows, nil)
	if err != nil {
		return nil, fmt.Errorf("store: audit entries: %w", err)
	}
	if f.Newest {
		slices.Reverse(out)
	}
	return out, nil
}

// VerifyAudit walks the whole audit log in Seq order, a page at a time,
// and checks its chain (audit.Verifier) against expect, a head recorded
// earlier (the zero Head: none). It returns how many entries verified and
// the head it reached; on a break, the *audit.Break itself (not wrapped),
// which says what it means; any other error is the database's. Entries
// appended while it runs are verified too, up to where it stops.
func (s *Store) VerifyAudit(ctx context.Context, expect audit.Head) (audit.Report, error) {
	return s.verifyAudit(ctx, expect, auditPage)
}

func (s *Store) verifyAudit(ctx context.Context, expect audit.Head, pageSize int) (audit.Report, error) {
	v := audit.NewVerifier(expect)
	var after int64
	buf := make([]audit.Entry, 0, pageSize)
	for {
		rows, err := s.r.QueryContext(ctx, s.q.get("AuditPage"), after, pageSize)
		if err != nil {
			rep, _ := v.Finish()
			return rep, fmt.Errorf("store: verify audit log: %w", err)
		}
		page, err := scanAuditRows(rows, buf[:0])
		if err != nil {
			rep, _ := v.Finish()
			return rep, fmt.Errorf("store: verify audit log: %w", err)
		}
		for _, e := range page {
			if err := v.Add(e); err != nil {
				return v.Finish()
			}
		}
		if len(page) < pageSize {
			return v.Finish()
		}
		after = page[len(page)-1].Seq
	}
}

// scanAuditRows reads every row into out (appending) and closes rows.
func scanAuditRows(rows *sql.Rows, out []audit.Entry) ([]audit.Entry, error) {
	defer rows.Close()
	for rows.Next() {
		var e audit.Entry
		var source, action string
		if err := rows.Scan(&e.Seq, timeCol{&e.At}, &e.Actor, &e.OSUser, &source, &action, &e.Subject,
			&e.Reason, &e.Detail, &e.PrevHash, &e.Hash); err != nil {
			return nil, err
		}
		e.Source, e.Action = audit.Source(source), audit.Action(action)
		out = append(out, e)
	}
	return out, rows.Err()
}

// likeEscape escapes LIKE's wildcards (and the escape character, a
// backslash, as the queries declare it) in s.
func likeEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}
