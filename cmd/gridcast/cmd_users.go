package main

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/gridcast/gridcast/access"
	"github.com/gridcast/gridcast/audit"
	"github.com/gridcast/gridcast/store"
)

// usersCommand manages the users of the API and the console: who they
// are, their roles and their scope in the grid tree. A change takes effect
// at the server's next request, without a restart.
func (a *app) usersCommand() *cobra.Command {
	c := &cobra.Command{
		Use:   "users",
		Short: "Create users of the API and the console, grant and revoke their roles and grids, list them",
		Long: `Users call the API with a bearer token and sign in to the console with a
password (gridcast users passwd). Each has roles
(what they may change) and a scope (the grids they see and act on: grid codes,
each with every grid below it, or * for the whole city):

  admin       manages users; reads the audit log and messages from unknown senders
  officer     campaigns within their scope: create, send, pause, resume, cancel, approve others'
  checker     approves or refuses others' campaigns within their scope
  worker      acts on the tickets of their scope (a grid worker: their grid; a leader: the community)
  department  acts on the tasks dispatched to their department (--department)
  viewer      reads only

Every role reads what its scope holds. Changes take effect at once.`,
	}
	var by string
	c.PersistentFlags().StringVar(&by, "by", "", "who makes the change (recorded in the audit log beside the operating-system account)")
	var roles, grids []string
	var department, tokenHash, workerCode string
	create := &cobra.Command{
		Use:   "create NAME --role ROLE --grid CODE",
		Short: "Create a user and print their token (shown only this once)",
		Example: `  gridcast users create 王芳 --role worker --grid NY-01-01-01
  gridcast users create 李强 --role officer --role checker --grid NY-01
  gridcast users create 管理员 --role admin --grid '*'`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			u, err := userFromFlags(args[0], roles, grids, department)
			if err != nil {
				return usageError{err}
			}
			u.WorkerCode = strings.TrimSpace(workerCode)
			token := ""
			if tokenHash != "" {
				sum, err := hex.DecodeString(strings.ToLower(strings.TrimSpace(tokenHash)))
				if err != nil || len(sum) != sha256.Size {
					return usageError{errors.New("--token-sha256: want 64 hexadecimal characters, the SHA-256 of an existing token")}
				}
				copy(u.TokenSHA256[:], sum)
			} else if token, u.TokenSHA256, err = newAPIToken(); err != nil {
				return err
			}
			return a.withStore(cmd.Context(), func(st *store.Store) error {
				u, err := st.CreateUser(cmd.Context(), u)
				if err != nil {
					return err
				}
				if err := a.record(cmd.Context(), st, userEntry(audit.ActionUserCreate, by, u)); err != nil {
					return err
				}
				fmt.Fprintf(a.stdout, "created %s: roles %s, scope %s\n", u.Name, roleList(u.Roles), u.Scope())
				if token != "" {
					a.printToken(u.Name, token)
				}
				return nil
			})
		},
	}
	create.Flags().StringSliceVar(&roles, "role", nil, "a role: admin, officer, checker, worker, department or viewer (repeatable, or comma-separated)")
	create.Flags().StringSliceVar(&grids, "grid", nil, "a grid code of the user's scope, with every grid below it, or * for the whole city (repeatable)")
	create.Flags().StringVar(&department, "department", "", "the department of a department user (城管, 民政 …)")
	create.Flags().StringVar(&tokenHash, "token-sha256", "", "keep an existing token: its SHA-256 in hex, instead of making a new one")
	create.Flags().StringVar(&workerCode, "worker", "", "the grid worker the user is (their code, see gridcast workers list): their tickets and visit register in the console")

	var gRoles, gGrids []string
	var gWorker string
	grant := &cobra.Command{
		Use:     "grant NAME [--role ROLE] [--grid CODE] [--worker CODE]",
		Short:   "Add roles or grids to a user, or link them to the grid worker they are",
		Example: "  gridcast users grant 王芳 --grid NY-01-01-02\n  gridcast users grant 王芳 --worker W-NY-01-01-01",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(gRoles)+len(gGrids) == 0 && gWorker == "" {
				return usageError{errors.New("say what to grant: --role, --grid or --worker")}
			}
			return a.changeUser(cmd.Context(), args[0], audit.ActionUserGrant, by, func(u *access.User) error {
				add, err := parseRoles(gRoles)
				if err != nil {
					return err
				}
				for _, r := range add {
					if !u.Has(r) {
						u.Roles = append(u.Roles, r)
					}
				}
				u.Grids = append(u.Grids, gGrids...)
				if gWorker != "" {
					u.WorkerCode = strings.TrimSpace(gWorker)
				}
				return nil
			})
		},
	}
	grant.Flags().StringVar(&gWorker, "worker", "", "link the user to the grid worker they are (their code)")
	grant.Flags().StringSliceVar(&gRoles, "role", nil, "a role to add (repeatable)")
	grant.Flags().StringSliceVar(&gGrids, "grid", nil, "a grid code to add to the scope (repeatable)")

	var rRoles, rGrids []string
	var disable bool
	revoke := &cobra.Command{
		Use:   "revoke NAME [--role ROLE] [--grid CODE] [--all]",
		Short: "Take roles or grids from a user, or disable them (--all)",
		Long: `Take roles or grids from a user. --all disables the user: their token is
refused from the next request on; they stay on record as the actor of what they
did. gridcast users token NAME gives a disabled user a new token and enables them.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(rRoles)+len(rGrids) == 0 && !disable {
				return usageError{errors.New("say what to revoke: --role, --grid, or --all to disable the user")}
			}
			return a.changeUser(cmd.Context(), args[0], audit.ActionUserRevoke, by, func(u *access.User) error {
				drop, err := parseRoles(rRoles)
				if err != nil {
					return err
				}
				for _, r := range drop {
					if !u.Has(r) {
						return fmt.Errorf("%s does not hold the %s role", u.Name, r)
					}
				}
				for _, g := range rGrids {
					if !slices.Contains(u.Grids, g) {
						return fmt.Errorf("%s's scope (%s) does not list %s", u.Name, u.Scope(), g)
					}
				}
				u.Roles = slices.DeleteFunc(u.Roles, func(r access.Role) bool { return slices.Contains(drop, r) })
				u.Grids = slices.DeleteFunc(u.Grids, func(g string) bool { return slices.Contains(rGrids, g) })
				if !u.Has(access.RoleWorker) {
					u.WorkerCode = ""
				}
				if disable {
					u.Disabled = true
				}
				return nil
			})
		},
	}
	revoke.Flags().StringSliceVar(&rRoles, "role", nil, "a role to take away (repeatable)")
	revoke.Flags().StringSliceVar(&rGrids, "grid", nil, "a grid code to take from the scope (repeatable)")
	revoke.Flags().BoolVar(&disable, "all", false, "disable the user: their token is refused")

	token := &cobra.Command{
		Use:   "token NAME",
		Short: "Give a user a new token (the old one stops working) and enable them",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			tok, sum, err := newAPIToken()
			if err != nil {
				return err
			}
			err = a.changeUser(cmd.Context(), args[0], audit.ActionUserToken, by, func(u *access.User) error {
				u.TokenSHA256, u.Disabled = sum, false
				return nil
			})
			if err != nil {
				return err
			}
			a.printToken(args[0], tok)
			return nil
		},
	}

	var asJSON bool
	list := &cobra.Command{
		Use:   "list",
		Short: "List users with their roles and scope",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.withStore(cmd.Context(), func(st *store.Store) error {
				us, err := st.Users(cmd.Context())
				if err != nil {
					return err
				}
				if asJSON {
					type row struct {
						Name       string   `json:"name"`
						Roles      []string `json:"roles"`
						Grids      []string `json:"grids"`
						Department string   `json:"department,omitempty"`
						WorkerCode string   `json:"worker_code,omitempty"`
						Disabled   bool     `json:"disabled"`
						UpdatedAt  string   `json:"updated_at"`
					}
					out := make([]row, 0, len(us))
					for _, u := range us {
						out = append(out, row{u.Name, strings.Split(roleList(u.Roles), ","), nonNilStrings(u.Grids), u.Department, u.WorkerCode,
							u.Disabled, u.UpdatedAt.Format("2006-01-02T15:04:05Z07:00")})
					}
					enc := json.NewEncoder(a.stdout)
					enc.SetIndent("", "  ")
					return enc.Encode(out)
				}
				if len(us) == 0 {
					fmt.Fprintln(a.stdout, "no users: the API runs in its trial mode (this host only); create one with gridcast users create")
					return nil
				}
				tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "NAME\tROLES\tSCOPE\tDEPARTMENT\tWORKER\tSTATUS\tCHANGED")
				for _, u := range us {
					status := "enabled"
					if u.Disabled {
						status = "disabled"
					}
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", u.Name, roleList(u.Roles), u.Scope(), orDash(u.Department),
						orDash(u.WorkerCode), status, u.UpdatedAt.Local().Format("2006-01-02 15:04"))
				}
				return tw.Flush()
			})
		},
	}
	list.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	c.AddCommand(create, grant, revoke, token, list)
	c.AddCommand(a.userLoginCommands(&by)...)
	return c
}

// changeUser loads the user called name, applies change, stores the
// result and records it in the audit log as action by by, printing what
// the user now holds.
func (a *app) changeUser(ctx context.Context, name string, action audit.Action, by string, change func(*access.User) error) error {
	return a.withStore(ctx, func(st *store.Store) error {
		u, err := st.UserByName(ctx, name)
		if err != nil {
			return err
		}
		if err := change(&u); err != nil {
			return usageError{err}
		}
		if u, err = st.UpdateUser(ctx, u); err != nil {
			return err
		}
		if err := a.record(ctx, st, userEntry(action, by, u)); err != nil {
			return err
		}
		status := ""
		if u.Disabled {
			status = " (disabled)"
		}
		fmt.Fprintf(a.stdout, "%s%s: roles %s, scope %s\n", u.Name, status, roleList(u.Roles), u.Scope())
		return nil
	})
}

// userEntry is the audit record of a change to u: what u holds after it.
func userEntry(action audit.Action, by string, u access.User) audit.Entry {
	detail, _ := json.Marshal(map[string]any{"roles": roleList(u.Roles), "grids": u.Scope().String(),
		"department": u.Department, "worker": u.WorkerCode, "disabled": u.Disabled})
	return audit.Entry{Actor: by, Action: action, Subject: "user:" + u.Name, Detail: string(detail)}
}

// userFromFlags builds a new user from the create command's flags.
func userFromFlags(name string, roles, grids []string, department string) (access.User, error) {
	rs, err := parseRoles(roles)
	if err != nil {
		return access.User{}, err
	}
	if len(rs) == 0 {
		return access.User{}, errors.New("give the user at least one --role")
	}
	return access.User{Name: strings.TrimSpace(name), Roles: rs, Grids: grids, Department: strings.TrimSpace(department)}, nil
}

func parseRoles(names []string) ([]access.Role, error) {
	var out []access.Role
	for _, n := range names {
		r, err := access.ParseRole(n)
		if err != nil {
			return nil, err
		}
		if !slices.Contains(out, r) {
			out = append(out, r)
		}
	}
	return out, nil
}

// newAPIToken makes a token (32 random bytes, base64url) and its SHA-256.
func newAPIToken() (string, [sha256.Size]byte, error) {
	var raw [32]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return "", [sha256.Size]byte{}, fmt.Errorf("token: %w", err)
	}
	token := base64.RawURLEncoding.EncodeToString(raw[:])
	return token, sha256.Sum256([]byte(token)), nil
}

func (a *app) printToken(name, token string) {
	fmt.Fprintf(a.stdout, "# The API token of %s. Hand it over now: it is shown only this once, and\n", name)
	fmt.Fprintf(a.stdout, "# GridCast keeps only its SHA-256. They send it as Authorization: Bearer TOKEN.\n")
	fmt.Fprintln(a.stdout, token)
}

func roleList(rs []access.Role) string {
	ss := make([]string, len(rs))
	for i, r := range rs {
		ss[i] = string(r)
	}
	return strings.Join(ss, ",")
}

func nonNilStrings(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
