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

// CreateUser stores u as a new user and returns it with its id and times.
// It refuses, wrapping fault.ErrInvalid, a user that does not validate or
// whose scope names a grid the store does not hold, and, wrapping
// fault.ErrConflict, a name another user has (ignoring case) or a token
// hash another user holds.
func (s *Store) CreateUser(ctx context.Context, u access.User) (access.User, error) {
	u.Grids = access.Scope(u.Grids).Narrowest()
	if err := s.checkUser(ctx, u); err != nil {
		return access.User{}, fmt.Errorf("store: create user: %w", err)
	}
	now := s.now().UTC().Truncate(time.Microsecond)
	u.CreatedAt, u.UpdatedAt = now, now
	err := s.inTx(ctx, "create user", func(tx *sql.Tx) error {
		if err := s.userTaken(ctx, tx, u); err != nil {
			return err
		}
		return tx.QueryRowContext(ctx, s.q.get("InsertUser"), u.Name, nameKey(u.Name), rolesText(u.Roles),
			scopeText(u.Grids), u.Department, u.TokenSHA256[:], u.Disabled, s.ts(now), s.ts(now), u.WorkerCode).Scan(&u.ID)
	})
	if err != nil {
		return access.User{}, err
	}
	return u, nil
}

// UpdateUser stores u's roles, scope, department, token hash and whether
// it is disabled (which ends the user's sessions), found by u.ID; the name stays (it is the actor of the
// user's past acts). The same refusals as CreateUser; fault.ErrNotFound
// when there is no user u.ID.
func (s *Store) UpdateUser(ctx context.Context, u access.User) (access.User, error) {
	u.Grids = access.Scope(u.Grids).Narrowest()
	if err := s.checkUser(ctx, u); err != nil {
		return access.User{}, fmt.Errorf("store: update user: %w", err)
	}
	u.UpdatedAt = s.now().UTC().Truncate(time.Microsecond)
	err := s.inTx(ctx, "update user", func(tx *sql.Tx) error {
		if err := s.userTaken(ctx, tx, u); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, s.q.get("UpdateUser"), rolesText(u.Roles), scopeText(u.Grids), u.Department,
			u.TokenSHA256[:], u.Disabled, s.ts(u.UpdatedAt), u.WorkerCode, u.ID)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n != 1 {
			return errors.Join(err, fault.NotFound(fault.User, u.Name))
		}
		if u.Disabled {
			// A disabled user is signed out everywhere at once.
			_, err = tx.ExecContext(ctx, s.q.get("DeleteUserSessions"), u.ID)
		}
		return err
	})
	if err != nil {
		return access.User{}, err
	}
	return u, nil
}

// checkUser validates u and that every grid of its scope exists.
func (s *Store) checkUser(ctx context.Context, u access.User) error {
	if err := u.Validate(); err != nil {
		return fault.Refuse(fault.ErrInvalid, fmt.Sprintf("user %q: %v", u.Name, err), fmt.Sprintf("用户 %q 无效：%v", u.Name, err), nil)
	}
	if u.TokenSHA256 == [sha256.Size]byte{} {
		return fault.Refuse(fault.ErrInvalid, fmt.Sprintf("user %q has no token", u.Name), fmt.Sprintf("用户 %q 缺少令牌", u.Name), nil)
	}
	for _, code := range u.Grids {
		if code == access.All {
			continue
		}
		if _, err := s.Grid(ctx, code); err != nil {
			if errors.Is(err, fault.ErrNotFound) {
				return fault.Refuse(fault.ErrInvalid, fmt.Sprintf("scope: the store holds no grid %q", code),
					fmt.Sprintf("范围：没有编码为 %q 的网格", code), err)
			}
			return err
		}
	}
	if u.WorkerCode != "" {
		w, err := s.WorkerByCode(ctx, u.WorkerCode)
		if errors.Is(err, fault.ErrNotFound) {
			return fault.Refuse(fault.ErrInvalid, fmt.Sprintf("no worker has the code %q (see gridcast workers list)", u.WorkerCode),
				fmt.Sprintf("没有工号为 %q 的工作人员", u.WorkerCode), err)
		}
		if err != nil {
			return err
		}
		if !u.Scope().Covers(w.GridCode) {
			return fault.Refuse(fault.ErrInvalid, fmt.Sprintf("worker %s serves %s, outside the user's scope %s", w.Code, w.GridCode, u.Scope()),
				fmt.Sprintf("工作人员 %s 负责的网格 %s 不在该用户的范围 %s 内", w.Code, w.GridCode, u.Scope()), nil)
		}
	}
	return nil
}

// userTaken refuses a name another user has or a token hash another user
// holds; u.ID is the user itself (0 for a new one).
func (s *Store) userTaken(ctx context.Context, tx *sql.Tx, u access.User) error {
	other, err := scanUser(tx.QueryRowContext(ctx, s.q.get("UserByName"), nameKey(u.Name)))
	switch {
	case err == nil && other.ID != u.ID:
		return fault.Refuse(fault.ErrConflict, fmt.Sprintf("a user named %q exists", other.Name), fmt.Sprintf("用户 %q 已存在", other.Name), nil)
	case err != nil && !errors.Is(err, sql.ErrNoRows):
		return err
	}
	var holder string
	err = tx.QueryRowContext(ctx, s.q.get("UserByTokenAny"), u.TokenSHA256[:]).Scan(&holder)
	switch {
	case err == nil && nameKey(holder) != nameKey(u.Name):
		return fault.Refuse(fault.ErrConflict, "that token is another user's; make a new one", "该令牌属于其他用户，请重新生成", nil)
	case err != nil && !errors.Is(err, sql.ErrNoRows):
		return err
	}
	return nil
}

// UserByToken returns the enabled user whose token hash is sum;
// fault.ErrNotFound when there is none (an unknown or a disabled token).
// The lookup is by the hash, so its timing tells nothing of the token.
func (s *Store) UserByToken(ctx context.Context, sum [sha256.Size]byte) (access.User, error) {
	u, err := scanUser(s.r.QueryRowContext(ctx, s.q.get("UserByToken"), sum[:]))
	if err != nil {
		return access.User{}, notFound(err, "user by token")
	}
	return u, nil
}

// UserByName returns the user called name (ignoring case), enabled or
// not; a fault.NotFoundError when there is none.
func (s *Store) UserByName(ctx context.Context, name string) (access.User, error) {
	u, err := scanUser(s.r.QueryRowContext(ctx, s.q.get("UserByName"), nameKey(name)))
	if err != nil {
		return access.User{}, missing(err, fault.User, name)
	}
	return u, nil
}

// Users returns every user, disabled ones too, ordered by name.
func (s *Store) Users(ctx context.Context) ([]access.User, error) {
	rows, err := s.r.QueryContext(ctx, s.q.get("Users"))
	if err != nil {
		return nil, fmt.Errorf("store: users: %w", err)
	}
	defer rows.Close()
	var out []access.User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, fmt.Errorf("store: users: %w", err)
		}
		out = append(out, u)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: users: %w", err)
	}
	return out, nil
}

// CountUsers returns how many enabled users there are: none means the API
// runs in its trial mode.
func (s *Store) CountUsers(ctx context.Context) (int, error) {
	var n int
	if err := s.r.QueryRowContext(ctx, s.q.get("CountUsers")).Scan(&n); err != nil {
		return 0, fmt.Errorf("store: count users: %w", err)
	}
	return n, nil
}

func scanUser(sc scanner) (access.User, error) {
	var u access.User
	var roles, grids string
	var hash []byte
	err := sc.Scan(&u.ID, &u.Name, &roles, &grids, &u.Department, &hash, &u.Disabled,
		timeCol{&u.CreatedAt}, timeCol{&u.UpdatedAt}, &u.WorkerCode)
	if err != nil {
		return u, err
	}
	return fillUser(u, roles, grids, hash)
}

// fillUser completes a user scanned from its columns: the roles and grids
// as stored, and the token hash.
func fillUser(u access.User, roles, grids string, hash []byte) (access.User, error) {
	if len(hash) != sha256.Size {
		return u, fmt.Errorf("user %d: token hash of %d bytes", u.ID, len(hash))
	}
	copy(u.TokenSHA256[:], hash)
	for _, r := range scopeList(roles) {
		u.Roles = append(u.Roles, access.Role(r))
	}
	u.Grids = scopeList(grids)
	return u, nil
}

// nameKey is the form in which user names are unique.
func nameKey(name string) string { return strings.ToLower(strings.TrimSpace(name)) }

func rolesText(rs []access.Role) string {
	ss := make([]string, len(rs))
	for i, r := range rs {
		ss[i] = string(r)
	}
	return strings.Join(ss, ",")
}
