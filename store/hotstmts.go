package store

import (
	"context"
	"database/sql"
	"errors"
	"sync"
	"sync/atomic"
)

// hotStmts keeps the ticket desk's hot statements prepared on SQLite, which
// otherwise parses a statement's text on every call: on a resident's
// reply that was a sixth of the desk's CPU time. PostgreSQL needs none of
// it: pgx caches the statements it runs per connection.
//
// Reader statements are prepared on first use. Writer statements are
// prepared all at once by prepareWrites, which a write method calls
// before it begins its transaction: SQLite has one writer connection, and
// preparing on it from inside a transaction would wait for that very
// transaction to end.
type hotStmts struct {
	reads  sync.Map                             // query name → *sql.Stmt on the readers
	mu     sync.Mutex                           // serializes prepareWrites
	writes atomic.Pointer[map[string]*sql.Stmt] // query name → *sql.Stmt on the writer, once prepared
}

// hotWrites are the statements the desk's write methods run in their
// transactions on every reply.
var hotWrites = []string{"InsertInbound", "InsertTicket", "InsertTicketEvent", "LinkInbound",
	"TicketForUpdate", "UpdateTicket", "MarkInboundHandled"}

// cachesStmts reports whether statements are kept prepared: on SQLite with
// separate reader and writer pools (an in-memory database has one).
func (s *Store) cachesStmts() bool { return s.driver == DriverSQLite && s.r != s.w }

// prepareWrites prepares hotWrites on the writer, once. It must not be
// called inside a transaction. A failure leaves the statements to be run
// as text (and is tried again next time).
func (s *Store) prepareWrites(ctx context.Context) {
	if !s.cachesStmts() || s.hot.writes.Load() != nil {
		return
	}
	s.hot.mu.Lock()
	defer s.hot.mu.Unlock()
	if s.hot.writes.Load() != nil {
		return
	}
	m := make(map[string]*sql.Stmt, len(hotWrites))
	for _, name := range hotWrites {
		st, err := s.w.PrepareContext(ctx, s.q.get(name))
		if err != nil {
			for _, st := range m {
				_ = st.Close()
			}
			return
		}
		m[name] = st
	}
	s.hot.writes.Store(&m)
}

// readStmt returns query name prepared on the readers, or nil (run the
// text) when statements are not kept or preparing failed.
func (s *Store) readStmt(ctx context.Context, name string) *sql.Stmt {
	if !s.cachesStmts() {
		return nil
	}
	if st, ok := s.hot.reads.Load(name); ok {
		return st.(*sql.Stmt)
	}
	st, err := s.r.PrepareContext(ctx, s.q.get(name))
	if err != nil {
		return nil
	}
	if prev, loaded := s.hot.reads.LoadOrStore(name, st); loaded {
		_ = st.Close()
		return prev.(*sql.Stmt)
	}
	return st
}

// readRow runs query name on the readers, prepared when it can be.
func (s *Store) readRow(ctx context.Context, name string, args ...any) *sql.Row {
	if st := s.readStmt(ctx, name); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return s.r.QueryRowContext(ctx, s.q.get(name), args...)
}

// writeStmt is query name as prepareWrites left it, or nil.
func (s *Store) writeStmt(name string) *sql.Stmt {
	if m := s.hot.writes.Load(); m != nil {
		return (*m)[name]
	}
	return nil
}

// txRow runs query name in tx, on its prepared statement when there is one.
func (s *Store) txRow(ctx context.Context, tx *sql.Tx, name string, args ...any) *sql.Row {
	if st := s.writeStmt(name); st != nil {
		return tx.StmtContext(ctx, st).QueryRowContext(ctx, args...)
	}
	return tx.QueryRowContext(ctx, s.q.get(name), args...)
}

// txExec executes query name in tx, on its prepared statement when there
// is one.
func (s *Store) txExec(ctx context.Context, tx *sql.Tx, name string, args ...any) (sql.Result, error) {
	if st := s.writeStmt(name); st != nil {
		return tx.StmtContext(ctx, st).ExecContext(ctx, args...)
	}
	return tx.ExecContext(ctx, s.q.get(name), args...)
}

// writeExec executes query name on the writer outside a transaction, on
// its prepared statement when there is one.
func (s *Store) writeExec(ctx context.Context, name string, args ...any) (sql.Result, error) {
	if st := s.writeStmt(name); st != nil {
		return st.ExecContext(ctx, args...)
	}
	return s.w.ExecContext(ctx, s.q.get(name), args...)
}

// closeStmts closes the prepared statements (before the pools close).
func (s *Store) closeStmts() error {
	var errs []error
	s.hot.reads.Range(func(k, v any) bool {
		errs = append(errs, v.(*sql.Stmt).Close())
		s.hot.reads.Delete(k)
		return true
	})
	if m := s.hot.writes.Swap(nil); m != nil {
		for _, st := range *m {
			errs = append(errs, st.Close())
		}
	}
	return errors.Join(errs...)
}
