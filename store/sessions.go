package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/gridcast/gridcast/access"
	"github.com/gridcast/gridcast/fault"
)

// LoginCredentials returns the enabled user called name (ignoring case)
// with what a sign-in checks of them; fault.ErrNotFound when there is
// none.
func (s *Store) LoginCredentials(ctx context.Context, name string) (access.User, access.Credentials, error) {
	u, c, err := scanCredentials(s.r.QueryRowContext(ctx, s.q.get("LoginCredentials"), nameKey(name)))
	if err != nil {
		return access.User{}, access.Credentials{}, notFound(err, "login credentials")
	}
	return u, c, nil
}

// CredentialsByID returns user id, enabled or not, with their
// credentials; a fault.NotFoundError when there is none.
func (s *Store) CredentialsByID(ctx context.Context, id int64) (access.User, access.Credentials, error) {
	u, c, err := scanCredentials(s.r.QueryRowContext(ctx, s.q.get("LoginCredentialsByID"), id))
	if err != nil {
		return access.User{}, access.Credentials{}, missing(err, fault.User, fmt.Sprintf("#%d", id))
	}
	return u, c, nil
}

func scanCredentials(sc scanner) (access.User, access.Credentials, error) {
	var u access.User
	var c access.Credentials
	var roles, grids string
	var hash []byte
	err := sc.Scan(&u.ID, &u.Name, &roles, &grids, &u.Department, &hash, &u.Disabled,
		timeCol{&u.CreatedAt}, timeCol{&u.UpdatedAt}, &u.WorkerCode, &c.PasswordHash, &c.Failures, timeCol{&c.LockedUntil})
	if err != nil {
		return u, c, err
	}
	u, err = fillUser(u, roles, grids, hash)
	return u, c, err
}

// RecordLoginFailure counts a wrong password for user id at now: the
// p.MaxFailures-th in a row locks the user until now+p.Lockout and starts
// the count again. It returns the credentials as they now stand. The
// count moves in one transaction, so that two processes' guesses are
// both counted.
func (s *Store) RecordLoginFailure(ctx context.Context, id int64, now time.Time, p access.LoginPolicy) (access.Credentials, error) {
	var c access.Credentials
	err := s.inTx(ctx, "record login failure", func(tx *sql.Tx) error {
		var err error
		if _, c, err = scanCredentials(tx.QueryRowContext(ctx, s.q.get("LoginCredentialsByID"), id)); err != nil {
			return missing(err, fault.User, fmt.Sprintf("#%d", id))
		}
		c.Failures++
		if p.MaxFailures > 0 && c.Failures >= p.MaxFailures {
			c.Failures, c.LockedUntil = 0, now.Add(p.Lockout).UTC().Truncate(time.Microsecond)
		}
		_, err = tx.ExecContext(ctx, s.q.get("SetLoginFailures"), c.Failures, s.tsOrNull(c.LockedUntil), id)
		return err
	})
	return c, err
}

// RecordLoginSuccess clears user id's count of wrong passwords and any
// lockout, as UnlockUser does: a right password after the lockout ended
// starts afresh.
func (s *Store) RecordLoginSuccess(ctx context.Context, id int64) error { return s.UnlockUser(ctx, id) }

// SetPassword stores hash (made by access.HashPassword; "" removes the
// password) as user id's, ends any lockout and ends every session the
// user had open: whoever knew the old password is signed out.
func (s *Store) SetPassword(ctx context.Context, id int64, hash string) error {
	return s.inTx(ctx, "set password", func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, s.q.get("SetPassword"), hash, s.ts(s.now()), id)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n != 1 {
			return fmt.Errorf("store: %w", fault.NotFound(fault.User, fmt.Sprintf("#%d", id)))
		}
		_, err = tx.ExecContext(ctx, s.q.get("DeleteUserSessions"), id)
		return err
	})
}

// UnlockUser ends user id's lockout and clears their count of wrong
// passwords.
func (s *Store) UnlockUser(ctx context.Context, id int64) error {
	res, err := s.w.ExecContext(ctx, s.q.get("SetLoginFailures"), 0, nil, id)
	if err != nil {
		return fmt.Errorf("store: unlock user: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return fmt.Errorf("store: %w", fault.NotFound(fault.User, fmt.Sprintf("#%d", id)))
	}
	return nil
}

// CreateSession stores a new session.
func (s *Store) CreateSession(ctx context.Context, se access.Session) error {
	_, err := s.w.ExecContext(ctx, s.q.get("InsertSession"), se.IDSHA256[:], se.UserID, se.CSRF, se.Method,
		clip(se.Remote, 100), clip(se.Agent, 300), s.ts(se.CreatedAt), s.ts(se.SeenAt), s.ts(se.ExpiresAt))
	if err != nil {
		return fmt.Errorf("store: create session: %w", err)
	}
	return nil
}

// SessionByID returns the session whose secret's SHA-256 is sum and its
// user, while that user is enabled; fault.ErrNotFound otherwise. Whether
// it is still live is the caller's policy (access.LoginPolicy.Live).
func (s *Store) SessionByID(ctx context.Context, sum [sha256.Size]byte) (access.Session, access.User, error) {
	se := access.Session{IDSHA256: sum}
	var u access.User
	var roles, grids string
	var hash []byte
	err := s.r.QueryRowContext(ctx, s.q.get("SessionByID"), sum[:]).Scan(&se.UserID, &se.CSRF, &se.Method, &se.Remote, &se.Agent,
		timeCol{&se.CreatedAt}, timeCol{&se.SeenAt}, timeCol{&se.ExpiresAt},
		&u.ID, &u.Name, &roles, &grids, &u.Department, &hash, &u.Disabled, timeCol{&u.CreatedAt}, timeCol{&u.UpdatedAt}, &u.WorkerCode)
	if err != nil {
		return access.Session{}, access.User{}, notFound(err, "session")
	}
	u, err = fillUser(u, roles, grids, hash)
	return se, u, err
}

// TouchSession records the session's use at at.
func (s *Store) TouchSession(ctx context.Context, sum [sha256.Size]byte, at time.Time) error {
	if _, err := s.w.ExecContext(ctx, s.q.get("TouchSession"), s.ts(at), sum[:]); err != nil {
		return fmt.Errorf("store: touch session: %w", err)
	}
	return nil
}

// DeleteSession ends one session (signing out); none is not an error.
func (s *Store) DeleteSession(ctx context.Context, sum [sha256.Size]byte) error {
	if _, err := s.w.ExecContext(ctx, s.q.get("DeleteSession"), sum[:]); err != nil {
		return fmt.Errorf("store: delete session: %w", err)
	}
	return nil
}

// DeleteUserSessions ends every session of user id and says how many.
func (s *Store) DeleteUserSessions(ctx context.Context, id int64) (int, error) {
	res, err := s.w.ExecContext(ctx, s.q.get("DeleteUserSessions"), id)
	if err != nil {
		return 0, fmt.Errorf("store: delete user sessions: %w", err)
	}
	n, err := res.RowsAffected()
	return int(n), err
}

// UserSessions returns user id's sessions, the last used first (expired
// ones too, until PurgeSessions removes them).
func (s *Store) UserSessions(ctx context.Context, id int64) ([]access.Session, error) {
	rows, err := s.r.QueryContext(ctx, s.q.get("UserSessions"), id)
	if err != nil {
		return nil, fmt.Errorf("store: user sessions: %w", err)
	}
	defer rows.Close()
	var out []access.Session
	for rows.Next() {
		var se access.Session
		var sum []byte
		if err := rows.Scan(&sum, &se.UserID, &se.CSRF, &se.Method, &se.Remote, &se.Agent,
			timeCol{&se.CreatedAt}, timeCol{&se.SeenAt}, timeCol{&se.ExpiresAt}); err != nil {
			return nil, fmt.Errorf("store: user sessions: %w", err)
		}
		copy(se.IDSHA256[:], sum)
		out = append(out, se)
	}
	return out, rows.Err()
}

// PurgeSessions deletes the sessions past their life at now or unused
// since idleSince, and says how many.
func (s *Store) PurgeSessions(ctx context.Context, now, idleSince time.Time) (int, error) {
	res, err := s.w.ExecContext(ctx, s.q.get("PurgeSessions"), s.ts(now), s.ts(idleSince))
	if err != nil {
		return 0, fmt.Errorf("store: purge sessions: %w", err)
	}
	n, err := res.RowsAffected()
	return int(n), err
}

// UserByIdentity returns the enabled user whom provider knows as subject;
// fault.ErrNotFound when none is linked.
func (s *Store) UserByIdentity(ctx context.Context, provider, subject string) (access.User, error) {
	u, err := scanUser(s.r.QueryRowContext(ctx, s.q.get("UserByIdentity"), provider, subject))
	if err != nil {
		return access.User{}, notFound(err, "user by identity")
	}
	return u, nil
}

// LinkIdentity records that provider knows user id as subject; a subject
// already linked (to anyone) is refused wrapping fault.ErrConflict.
func (s *Store) LinkIdentity(ctx context.Context, id int64, provider, subject string) error {
	provider, subject = strings.TrimSpace(provider), strings.TrimSpace(subject)
	if provider == "" || subject == "" {
		return fmt.Errorf("store: link identity: %w", fault.Refuse(fault.ErrInvalid, "say the provider and the subject", "请注明身份提供方和其用户标识", nil))
	}
	err := s.inTx(ctx, "link identity", func(tx *sql.Tx) error {
		_, err := scanUser(tx.QueryRowContext(ctx, s.q.get("UserByIdentity"), provider, subject))
		switch {
		case err == nil:
			return fault.Refuse(fault.ErrConflict, "this identity is linked to a user already", "该身份已关联到其他用户", nil)
		case !errors.Is(err, sql.ErrNoRows):
			return err
		}
		_, err = tx.ExecContext(ctx, s.q.get("InsertIdentity"), provider, subject, id, s.ts(s.now()))
		return err
	})
	if err != nil {
		return fmt.Errorf("store: link identity: %w", err)
	}
	return nil
}

// clip cuts s to at most n characters.
func clip(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n])
	}
	return s
}
