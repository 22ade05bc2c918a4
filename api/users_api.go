package api

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gridcast/gridcast/access"
	"github.com/gridcast/gridcast/audit"
	"github.com/gridcast/gridcast/fault"
)

// UserAdmin is what the user administration needs of the user directory,
// beyond UserDirectory: *store.Store satisfies it. The routes
// /api/v1/users are mounted when Config.Users also satisfies UserAdmin.
type UserAdmin interface {
	UserDirectory
	// Users returns every user, disabled ones too, ordered by name.
	Users(ctx context.Context) ([]access.User, error)
	// CreateUser stores a new user.
	CreateUser(ctx context.Context, u access.User) (access.User, error)
	// UpdateUser stores a user's roles, scope, department, token hash and
	// whether it is disabled, found by its ID.
	UpdateUser(ctx context.Context, u access.User) (access.User, error)
}

// UserView is a user as GET /api/v1/users shows them: never their token,
// nor its hash.
type UserView struct {
	ID         int64         `json:"id"`
	Name       string        `json:"name"`
	Roles      []access.Role `json:"roles"`
	Grids      []string      `json:"grids"`
	Department string        `json:"department,omitempty"`
	// WorkerCode is the grid worker the user is (their 工号), if linked.
	WorkerCode string    `json:"worker_code,omitempty"`
	Disabled   bool      `json:"disabled"`
	CreatedAt  time.Time `json:"created_at"`
	UpdatedAt  time.Time `json:"updated_at"`
}

// IssuedToken is the answer to a creation or a new token: the user and
// their token, shown this once (the server keeps only its SHA-256).
type IssuedToken struct {
	User  UserView `json:"user"`
	Token string   `json:"token"`
}

// UserRequest is the body of POST /api/v1/users (name, roles, grids,
// department, worker code) and of /grant and /revoke (roles and grids to
// add or take, a worker code to link on /grant; All disables the user on
// /revoke; taking the worker role drops the link).
type UserRequest struct {
	Name       string   `json:"name,omitempty"`
	Roles      []string `json:"roles,omitempty"`
	Grids      []string `json:"grids,omitempty"`
	Department string   `json:"department,omitempty"`
	WorkerCode string   `json:"worker_code,omitempty"`
	All        bool     `json:"all,omitempty"`
}

func userView(u access.User) UserView {
	v := UserView{ID: u.ID, Name: u.Name, Roles: u.Roles, Grids: u.Grids, Department: u.Department, WorkerCode: u.WorkerCode,
		Disabled: u.Disabled, CreatedAt: u.CreatedAt, UpdatedAt: u.UpdatedAt}
	if v.Roles == nil {
		v.Roles = []access.Role{}
	}
	if v.Grids == nil {
		v.Grids = []string{}
	}
	return v
}

// mountUsers mounts the user administration, for administrators: the
// same changes as `gridcast users`, recorded on the audit log alike.
//
// Scope rule: an administrator manages the users whose scope lies within
// their own, before and after the change; a user with no grid (a
// department's) or a change that gives or takes the admin role needs a
// whole-city administrator. The last enabled whole-city administrator
// cannot be disabled nor lose the role or the whole city (409), so that
// nobody locks the city out.
func (s *server) mountUsers(v1 mountFunc) {
	dir, ok := s.cfg.Users.(UserAdmin)
	if !ok {
		return
	}
	v1("GET /api/v1/users", func(w http.ResponseWriter, r *http.Request) { s.listUsers(w, r, dir) }, access.RoleAdmin)
	v1("POST /api/v1/users", func(w http.ResponseWriter, r *http.Request) { s.createUser(w, r, dir) }, access.RoleAdmin)
	for _, act := range []string{"grant", "revoke", "token"} {
		v1("POST /api/v1/users/{id}/"+act, func(w http.ResponseWriter, r *http.Request) { s.changeUser(w, r, dir, act) }, access.RoleAdmin)
	}
	if s.auth.sessions != nil {
		v1("POST /api/v1/users/{id}/password", func(w http.ResponseWriter, r *http.Request) { s.setUserPassword(w, r, dir) }, access.RoleAdmin)
		v1("POST /api/v1/users/{id}/unlock", func(w http.ResponseWriter, r *http.Request) { s.unlockUser(w, r, dir) }, access.RoleAdmin)
	}
}

// managedUser finds user id among the users the caller manages; false
// when the refusal has been answered.
// The users read (all of them) come back too.
func (s *server) managedUser(w http.ResponseWriter, r *http.Request, dir UserAdmin, id int64) (access.User, []access.User, bool) {
	us, err := dir.Users(r.Context())
	if err != nil {
		s.writeError(w, r, err)
		return access.User{}, nil, false
	}
	i := slices.IndexFunc(us, func(u access.User) bool { return u.ID == id })
	if i < 0 {
		s.writeError(w, r, fault.NotFound(fault.User, "#"+strconv.FormatInt(id, 10)))
		return access.User{}, nil, false
	}
	if !manages(r, us[i]) {
		s.outOfScope(w, r, "user "+us[i].Name)
		return access.User{}, nil, false
	}
	return us[i], us, true
}

// userID reads the {id} of a /api/v1/users/{id}/… route; false when the
// refusal has been answered.
func (s *server) userID(w http.ResponseWriter, r *http.Request) (int64, bool) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		s.writeError(w, r, badRequest("user id %q: want a positive number", "用户编号 %q 须为正整数", r.PathValue("id")))
		return 0, false
	}
	return id, true
}

// setUserPassword serves POST /api/v1/users/{id}/password: an
// administrator sets the password of a user they manage (a first one, or
// a forgotten one); the user's sessions end.
func (s *server) setUserPassword(w http.ResponseWriter, r *http.Request, dir UserAdmin) {
	id, ok := s.userID(w, r)
	if !ok {
		return
	}
	var req PasswordRequest
	if err := decode(w, r, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	u, _, ok := s.managedUser(w, r, dir, id)
	if !ok || !s.setPassword(w, r, u, req.New) {
		return
	}
	writeJSON(w, http.StatusOK, userView(u))
}

// unlockUser serves POST /api/v1/users/{id}/unlock: an administrator ends
// a lockout after too many wrong passwords.
func (s *server) unlockUser(w http.ResponseWriter, r *http.Request, dir UserAdmin) {
	id, ok := s.userID(w, r)
	if !ok {
		return
	}
	u, _, ok := s.managedUser(w, r, dir, id)
	if !ok {
		return
	}
	if err := s.auth.sessions.store.UnlockUser(r.Context(), u.ID); err != nil {
		s.writeError(w, r, err)
		return
	}
	_ = s.record(r, "", audit.ActionUserUnlock, "user:"+u.Name, "", "")
	writeJSON(w, http.StatusOK, userView(u))
}

// manages reports whether the caller's scope covers u's (a user with no
// grid: only the whole city's administrator).
func manages(r *http.Request, u access.User) bool {
	mine := scopeOf(r)
	if len(u.Grids) == 0 {
		return mine.Everything()
	}
	return mine.CoversAll(u.Scope())
}

// listUsers answers GET /api/v1/users: the users the caller manages.
func (s *server) listUsers(w http.ResponseWriter, r *http.Request, dir UserAdmin) {
	us, err := dir.Users(r.Context())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := []UserView{}
	for _, u := range us {
		if manages(r, u) {
			out = append(out, userView(u))
		}
	}
	writeJSON(w, http.StatusOK, out)
}

// parseRoleList reads role names, refusing an unknown one in both
// languages.
func parseRoleList(names []string) ([]access.Role, error) {
	var out []access.Role
	for _, n := range names {
		r, err := access.ParseRole(strings.TrimSpace(n))
		if err != nil {
			known := make([]string, len(access.Roles))
			for i, k := range access.Roles {
				known[i] = string(k)
			}
			return nil, badRequest("roles: unknown role %q; want one of %s", "角色：未知角色 %q，可选 %s", n, strings.Join(known, ", "))
		}
		if !slices.Contains(out, r) {
			out = append(out, r)
		}
	}
	return out, nil
}

// cleanGrids trims grid codes and drops empty ones and repeats.
func cleanGrids(gs []string) []string {
	var out []string
	for _, g := range gs {
		if g = strings.TrimSpace(g); g != "" && !slices.Contains(out, g) {
			out = append(out, g)
		}
	}
	return out
}

// validUser refuses, in both languages, what access.User.Validate finds
// wrong with u.
func validUser(u access.User) error {
	if err := u.Validate(); err != nil {
		return fault.Refuse(fault.ErrInvalid, fmt.Sprintf("user %q: %v", u.Name, strings.ReplaceAll(err.Error(), "\n", "; ")),
			fmt.Sprintf("用户 %q 无效：%s", u.Name, userProblemZH(err)), nil)
	}
	return nil
}

// userProblemZH says in Chinese what access.User.Validate refused.
func userProblemZH(err error) string {
	var zh []string
	for _, line := range strings.Split(err.Error(), "\n") {
		switch {
		case strings.Contains(line, "needs a name"):
			zh = append(zh, "须填写姓名")
		case strings.Contains(line, "spaces"), strings.Contains(line, "tabs"):
			zh = append(zh, "姓名首尾不能有空格，也不能含制表符、换行或逗号")
		case strings.Contains(line, "longer than"):
			zh = append(zh, fmt.Sprintf("姓名不能超过 %d 个字", access.MaxNameLen))
		case strings.Contains(line, "at least one role"):
			zh = append(zh, "至少选择一个角色")
		case strings.Contains(line, "department role needs"):
			zh = append(zh, "部门角色须选择所属部门")
		case strings.Contains(line, "not the department role"):
			zh = append(zh, "选择了部门却没有部门角色")
		case strings.Contains(line, "need a scope"):
			zh = append(zh, "主管、审核、网格员和只读用户须有管辖范围（网格编码，或 * 表示全市）")
		default:
			zh = append(zh, "范围或角色无效（"+line+"）")
		}
	}
	return strings.Join(zh, "；")
}

// newToken makes a bearer token (32 random bytes, base64url) and its
// SHA-256, as `gridcast users` does.
func newToken() (string, [sha256.Size]byte, error) {
	var raw [32]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return "", [sha256.Size]byte{}, fmt.Errorf("api: token: %w", err)
	}
	tok := base64.RawURLEncoding.EncodeToString(raw[:])
	return tok, sha256.Sum256([]byte(tok)), nil
}

// recordUser appends the audit entry of a change to u, as the command
// line records it: what u holds after the change.
func (s *server) recordUser(r *http.Request, action audit.Action, u access.User) {
	detail, _ := json.Marshal(map[string]any{"roles": rolesText(u.Roles), "grids": u.Scope().String(),
		"department": u.Department, "worker": u.WorkerCode, "disabled": u.Disabled})
	// The change is made; a failure of the log is logged by record and
	// does not hide the token from the administrator who asked for it.
	_ = s.record(r, "", action, "user:"+u.Name, "", string(detail))
}

// createUser answers POST /api/v1/users with the new user and its token,
// shown only this once.
func (s *server) createUser(w http.ResponseWriter, r *http.Request, dir UserAdmin) {
	var req UserRequest
	if err := decode(w, r, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	roles, err := parseRoleList(req.Roles)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	u := access.User{Name: strings.TrimSpace(req.Name), Roles: roles, Grids: cleanGrids(req.Grids), Department: strings.TrimSpace(req.Department),
		WorkerCode: strings.TrimSpace(req.WorkerCode)}
	if err := validUser(u); err != nil {
		s.writeError(w, r, err)
		return
	}
	if !manages(r, u) || (u.Has(access.RoleAdmin) && !scopeOf(r).Everything()) {
		s.outOfScope(w, r, "user "+u.Name)
		return
	}
	tok, sum, err := newToken()
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	u.TokenSHA256 = sum
	if u, err = dir.CreateUser(r.Context(), u); err != nil {
		s.writeError(w, r, invalidFirst(err))
		return
	}
	s.recordUser(r, audit.ActionUserCreate, u)
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusCreated, IssuedToken{User: userView(u), Token: tok})
}

// changeUser answers POST /api/v1/users/{id}/grant, /revoke and /token.
func (s *server) changeUser(w http.ResponseWriter, r *http.Request, dir UserAdmin, act string) {
	id, ok := s.userID(w, r)
	if !ok {
		return
	}
	var req UserRequest
	if act != "token" || r.ContentLength > 0 {
		if err := decode(w, r, &req); err != nil {
			s.writeError(w, r, err)
			return
		}
	}
	before, us, ok := s.managedUser(w, r, dir, id)
	if !ok {
		return
	}
	u := before
	u.Roles, u.Grids = slices.Clone(before.Roles), slices.Clone(before.Grids)
	roles, err := parseRoleList(req.Roles)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	grids := cleanGrids(req.Grids)
	var action audit.Action
	tok := ""
	switch act {
	case "grant":
		action = audit.ActionUserGrant
		if len(roles)+len(grids) == 0 && req.WorkerCode == "" {
			s.writeError(w, r, badRequest("say what to grant: roles, grids or a worker code", "请注明授予的角色（roles）、网格（grids）或工号（worker_code）"))
			return
		}
		if req.WorkerCode != "" {
			u.WorkerCode = strings.TrimSpace(req.WorkerCode)
		}
		for _, ro := range roles {
			if !u.Has(ro) {
				u.Roles = append(u.Roles, ro)
			}
		}
		u.Grids = append(u.Grids, grids...)
		if req.Department != "" {
			u.Department = strings.TrimSpace(req.Department)
		}
	case "revoke":
		action = audit.ActionUserRevoke
		if len(roles)+len(grids) == 0 && !req.All {
			s.writeError(w, r, badRequest("say what to revoke: roles, grids, or all to disable the user",
				"请注明收回的角色（roles）、网格（grids），或 all 停用该用户"))
			return
		}
		for _, ro := range roles {
			if !u.Has(ro) {
				s.writeError(w, r, badRequest("%s does not hold the %s role", "%s 没有 %s 角色", u.Name, ro))
				return
			}
		}
		for _, g := range grids {
			if !slices.Contains(u.Grids, g) {
				s.writeError(w, r, badRequest("%s's scope (%s) does not list %s", "%s 的管辖范围（%s）中没有 %s", u.Name, u.Scope(), g))
				return
			}
		}
		u.Roles = slices.DeleteFunc(u.Roles, func(ro access.Role) bool { return slices.Contains(roles, ro) })
		u.Grids = slices.DeleteFunc(u.Grids, func(g string) bool { return slices.Contains(grids, g) })
		if !u.Has(access.RoleDepartment) {
			u.Department = ""
		}
		if !u.Has(access.RoleWorker) {
			u.WorkerCode = ""
		}
		u.Disabled = u.Disabled || req.All
	case "token":
		action = audit.ActionUserToken
		if tok, u.TokenSHA256, err = newToken(); err != nil {
			s.writeError(w, r, err)
			return
		}
		u.Disabled = false
	}
	if err := validUser(u); err != nil {
		s.writeError(w, r, err)
		return
	}
	if !manages(r, u) || (u.Has(access.RoleAdmin) != before.Has(access.RoleAdmin) && !scopeOf(r).Everything()) {
		s.outOfScope(w, r, "user "+u.Name)
		return
	}
	if cityAdmin(before) && !cityAdmin(u) && !slices.ContainsFunc(us, func(o access.User) bool { return o.ID != u.ID && cityAdmin(o) }) {
		s.writeError(w, r, fault.Refuse(fault.ErrConflict,
			fmt.Sprintf("%s is the last enabled whole-city administrator: grant another first, or nobody could manage users", u.Name),
			fmt.Sprintf("%s 是最后一位全市管理员，不能停用或收回：请先为他人授予全市管理员，否则无人能管理用户", u.Name), nil))
		return
	}
	if u, err = dir.UpdateUser(r.Context(), u); err != nil {
		s.writeError(w, r, invalidFirst(err))
		return
	}
	s.recordUser(r, action, u)
	if act == "token" {
		w.Header().Set("Cache-Control", "no-store")
		writeJSON(w, http.StatusOK, IssuedToken{User: userView(u), Token: tok})
		return
	}
	writeJSON(w, http.StatusOK, userView(u))
}

// cityAdmin reports whether u is an enabled administrator of the whole
// city.
func cityAdmin(u access.User) bool {
	return !u.Disabled && u.Has(access.RoleAdmin) && u.Scope().Everything()
}

// invalidFirst makes a store's refusal of the user as given (a grid it
// does not hold, which also wraps the grid's not-found) a 400, not a 404:
// the user asked for is not missing, their scope is wrong.
func invalidFirst(err error) error {
	if !errors.Is(err, fault.ErrInvalid) {
		return err
	}
	en, _ := fault.Explain(err, fault.English)
	zh, _ := fault.Explain(err, fault.Chinese)
	return fault.Refuse(fault.ErrInvalid, en, zh, nil)
}
