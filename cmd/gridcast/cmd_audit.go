package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/gridcast/gridcast/audit"
	"github.com/gridcast/gridcast/campaigns"
	"github.com/gridcast/gridcast/population/importer"
	"github.com/gridcast/gridcast/store"
)

// auditAppender is what recording an act needs from the store.
type auditAppender interface {
	AppendAudit(ctx context.Context, e audit.Entry) (audit.Entry, error)
}

// record appends the command line's acts to the audit log: Source cli,
// OSUser the account that runs the command, beside the Actor the operator
// named with --by (the OS user itself when the command has no --by or it
// was left empty). Call it once the act is done (before personal data is
// shown); an entry that cannot be written is an error, so that the command
// exits non-zero and the operator knows the act went unrecorded.
func (a *app) record(ctx context.Context, st auditAppender, es ...audit.Entry) error {
	osu := osUser(user.Current, a.env)
	for _, e := range es {
		e.Source, e.OSUser = audit.SourceCLI, osu
		if strings.TrimSpace(e.Actor) == "" {
			e.Actor = osu
		}
		if _, err := st.AppendAudit(ctx, e); err != nil {
			return fmt.Errorf("the audit log could not record %s %s: %w", e.Action, e.Subject, err)
		}
	}
	return nil
}

// recordExport records an export written to path; when the entries cannot
// be written it removes the file, so that no export leaves unrecorded.
func (a *app) recordExport(ctx context.Context, st auditAppender, path string, es ...audit.Entry) error {
	err := a.record(ctx, st, es...)
	if err == nil {
		return nil
	}
	if rmErr := os.Remove(path); rmErr != nil {
		return errors.Join(err, fmt.Errorf("and %s could not be removed: %w", path, rmErr))
	}
	return fmt.Errorf("%w (%s was removed)", err, path)
}

// answersExport is the record of a campaign's sign-up list written to
// path: an export, and an unmasking too when the file holds clear phone
// numbers (an auditor asking who saw personal data finds it either way).
func answersExport(campaignID int64, path string, rows int, unmasked bool, by, reason string) []audit.Entry {
	subject := fmt.Sprintf("campaign:%d", campaignID)
	phones := "masked"
	if unmasked {
		phones = "clear"
	}
	detail, _ := json.Marshal(map[string]any{"what": "answers", "file": filepath.Base(path), "rows": rows, "phones": phones})
	es := []audit.Entry{{Actor: by, Action: audit.ActionExport, Subject: subject, Reason: reason, Detail: string(detail)}}
	if unmasked {
		es = append(es, audit.Entry{Actor: by, Action: audit.ActionUnmask, Subject: subject, Reason: reason, Detail: string(detail)})
	}
	return es
}

// campaignEntry is the record of a campaign moved from a state (or
// approved: its content digest, which a later edit would change) by by.
func campaignEntry(by string, action audit.Action, c campaigns.Campaign, from campaigns.State, ev campaigns.Event) audit.Entry {
	detail := stateName(from) + " → " + stateName(c.State)
	if action == audit.ActionCampaignApprove {
		detail = "digest " + c.ApprovedDigest
	}
	if ev.Note != "" {
		detail += " (" + ev.Note + ")"
	}
	return audit.Entry{Actor: by, Action: action, Subject: fmt.Sprintf("campaign:%d", c.ID), Detail: detail}
}

// importEntry is the record of one resident import from path.
func importEntry(path string, rep importer.Report, strict bool) audit.Entry {
	detail, _ := json.Marshal(map[string]any{"rows": rep.Rows, "inserted": rep.Imported.Inserted, "updated": rep.Imported.Updated,
		"unchanged": rep.Imported.Unchanged, "skipped": rep.Skipped, "strict": strict})
	return audit.Entry{Action: audit.ActionImport, Subject: "file:" + filepath.Base(path), Detail: string(detail)}
}

// osUser names the operating-system account running the command: the
// account of the process's user id, with the account sudo was run from
// when there is one ("root (sudo from alice)"); else $USER; else "unknown".
// --by is what the operator says; this is what the machine says.
func osUser(current func() (*user.User, error), env environ) string {
	name := ""
	if u, err := current(); err == nil {
		name = u.Username
	}
	if name == "" {
		if u, ok := env.lookup("USER"); ok {
			name = strings.TrimSpace(u)
		}
	}
	if name == "" {
		return "unknown"
	}
	if su, ok := env.lookup("SUDO_USER"); ok && su != "" && su != name {
		name += " (sudo from " + su + ")"
	}
	return name
}

func (a *app) auditCommand() *cobra.Command {
	c := &cobra.Command{
		Use:   "audit",
		Short: "Verify and read the audit log: who did what, to what, and why",
		Long: `Every act that matters is one entry of the audit log: logins, unmasking personal
data, campaign approvals, sends, pauses, resumes and cancellations, record changes,
user and role changes, imports and exports. The command line records the operating-
system account beside the --by name the operator types. Each entry is chained to the
one before by a SHA-256 hash, so an entry edited or deleted in the database breaks
the chain; the application itself cannot update or delete an entry.`,
	}
	var expectHead string
	var verifyJSON bool
	verify := &cobra.Command{
		Use:   "verify [--expect-head SEQ:HASH]",
		Short: "Check the audit log's hash chain and print its head (exit status 1 on a break)",
		Long: `Walks the whole log in order and checks each entry's hash and its link to the
entry before. It prints how many entries it checked and the head (the newest
entry's SEQ:HASH); on a break it names the first broken entry and what the break
means (an edited entry, deleted entries, entries moved) and exits 1.

The chain alone cannot see its newest entries deleted, nor a log rewritten from
some entry on with every hash after it recomputed. Record the head somewhere the
database's users cannot write (a ticket, a notebook, a mail to the auditor);
later, --expect-head SEQ:HASH proves that every entry up to SEQ is as it was then
and that the log still reaches it.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var expect audit.Head
			if expectHead != "" {
				h, err := audit.ParseHead(expectHead)
				if err != nil {
					return usageError{err}
				}
				expect = h
			}
			return a.withStore(cmd.Context(), func(st *store.Store) error {
				rep, err := st.VerifyAudit(cmd.Context(), expect)
				var b *audit.Break
				if err != nil && !errors.As(err, &b) {
					return err
				}
				if verifyJSON {
					out := struct {
						OK      bool   `json:"ok"`
						Checked int64  `json:"checked"`
						Head    string `json:"head"`
						Break   string `json:"break,omitempty"`
						Kind    string `json:"kind,omitempty"`
						Seq     int64  `json:"seq,omitempty"`
					}{OK: b == nil, Checked: rep.Checked, Head: rep.Head.String()}
					if b != nil {
						out.Break, out.Kind, out.Seq = b.Error(), string(b.Kind), b.Seq
					}
					enc := json.NewEncoder(a.stdout)
					enc.SetIndent("", "  ")
					if err := enc.Encode(out); err != nil {
						return err
					}
				} else if b != nil {
					fmt.Fprintf(a.stdout, "checked %d entries; the last that verified: %s\n", rep.Checked, rep.Head)
				} else {
					fmt.Fprintf(a.stdout, "audit log verified: %d entries\nhead: %s\n", rep.Checked, rep.Head)
					if !expect.IsZero() {
						fmt.Fprintf(a.stdout, "entry %d is as recorded earlier\n", expect.Seq)
					}
					fmt.Fprintln(a.stdout, "keep the head where the database's users cannot write; check against it later with --expect-head SEQ:HASH")
				}
				if b != nil {
					return b
				}
				return nil
			})
		},
	}
	verify.Flags().StringVar(&expectHead, "expect-head", "", "a head printed by an earlier verify (SEQ:HASH): the entry at SEQ must still have HASH")
	verify.Flags().BoolVar(&verifyJSON, "json", false, "print the result as JSON")
	c.AddCommand(verify, a.auditList())
	return c
}

func (a *app) auditList() *cobra.Command {
	var f audit.Filter
	var since, until string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "list [--actor NAME] [--action ACTION] [--subject KIND:KEY] [--since DATE] [--until DATE] [--limit N] [--json]",
		Short: "List audit entries: the newest by default, or from --since / --after on",
		Long: `Prints a table of audit entries in order, times in Asia/Shanghai. Without --since or
--after it shows the newest --limit entries (and --before SEQ pages further back);
with either, the first --limit entries from there (page on with --after SEQ).
--action matches an action and every action under it: "campaign" matches
campaign.approve and campaign.send. Dates are 2006-01-02 or "2006-01-02 15:04"
(Asia/Shanghai); a bare --until date covers that whole day.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var errs []error
			var err error
			if since != "" {
				f.Since, err = parseDay("--since", since, false)
				errs = append(errs, err)
			}
			if until != "" {
				f.Until, err = parseDay("--until", until, true)
				errs = append(errs, err)
			}
			if err := errors.Join(errs...); err != nil {
				return usageError{err}
			}
			f.Newest = f.Since.IsZero() && f.AfterSeq == 0
			if err := f.Validate(); err != nil {
				return usageError{err}
			}
			return a.withStore(cmd.Context(), func(st *store.Store) error {
				es, err := st.AuditEntries(cmd.Context(), f)
				if err != nil {
					return err
				}
				if asJSON {
					if es == nil {
						es = []audit.Entry{}
					}
					enc := json.NewEncoder(a.stdout)
					enc.SetIndent("", "  ")
					return enc.Encode(es)
				}
				a.printAudit(es, f)
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&f.Actor, "actor", "", "only acts by this person (exact)")
	cmd.Flags().StringVar(&f.Action, "action", "", "only this action and those under it (campaign, campaign.send, pii.unmask)")
	cmd.Flags().StringVar(&f.Subject, "subject", "", "only acts on this subject (exact: campaign:12, resident:34)")
	cmd.Flags().StringVar(&since, "since", "", "only entries at or after this time")
	cmd.Flags().StringVar(&until, "until", "", "only entries before this time")
	cmd.Flags().Int64Var(&f.AfterSeq, "after", 0, "only entries after this sequence number (page forward)")
	cmd.Flags().Int64Var(&f.BeforeSeq, "before", 0, "only entries before this sequence number (page back)")
	cmd.Flags().IntVar(&f.Limit, "limit", 50, fmt.Sprintf("how many entries (at most %d)", audit.MaxLimit))
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func (a *app) printAudit(es []audit.Entry, f audit.Filter) {
	if len(es) == 0 {
		fmt.Fprintln(a.stdout, "no audit entries")
		return
	}
	tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SEQ\tAT\tACTOR\tOS USER\tSOURCE\tACTION\tSUBJECT\tREASON / DETAIL")
	for _, e := range es {
		words := e.Reason
		if e.Detail != "" {
			words = strings.TrimPrefix(words+" / "+e.Detail, " / ")
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", e.Seq, shTime(e.At, "2006-01-02 15:04:05"), e.Actor,
			orDash(e.OSUser), e.Source, e.Action, orDash(e.Subject), oneLine(words, 60))
	}
	_ = tw.Flush()
	if len(es) < f.PageSize() {
		return
	}
	if f.Newest {
		fmt.Fprintf(a.stdout, "older entries: --before %d\n", es[0].Seq)
	} else {
		fmt.Fprintf(a.stdout, "more entries: --after %d\n", es[len(es)-1].Seq)
	}
}
