package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/gridcast/gridcast/audit"
	"github.com/gridcast/gridcast/fault"
	"github.com/gridcast/gridcast/outbound"
	"github.com/gridcast/gridcast/pii"
	"github.com/gridcast/gridcast/population"
	"github.com/gridcast/gridcast/store"
)

func (a *app) residentsCommand() *cobra.Command {
	c := &cobra.Command{Use: "residents", Short: "Look up residents (masked), unmask an ID number with a reason, keep their living records (活户籍)"}
	var asJSON bool
	show := &cobra.Command{
		Use:   "show ID",
		Short: "Show one resident, masked",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := strconv.ParseInt(args[0], 10, 64)
			if err != nil {
				return usageError{fmt.Errorf("resident id %q: want a number", args[0])}
			}
			return a.withStore(cmd.Context(), func(st *store.Store) error {
				r, err := st.Resident(cmd.Context(), id)
				if err != nil {
					return err
				}
				m := newMaskedResident(r, time.Now())
				if asJSON {
					enc := json.NewEncoder(a.stdout)
					enc.SetIndent("", "  ")
					return enc.Encode(m)
				}
				fmt.Fprintf(a.stdout, "resident %d: %s (%s, %d) phone %s id %s\ngrid %s, %s\ncategories %v skills %v desired jobs %v\nwechat bound: %v, opted out of: %v\n",
					m.ID, m.Name, m.Gender, m.Age, m.Phone, m.IDNumber, m.Grid, m.Address, m.Categories, m.Skills, m.Jobs, m.WeChat, m.OptOuts)
				fmt.Fprintf(a.stdout, "status %s, living %s, self-care %s, relation %s, health note %s\n",
					population.FieldStatus.Show(m.Status), orDash(population.FieldLiving.Show(m.Living)),
					orDash(population.FieldSelfCare.Show(m.SelfCare)), orDash(population.FieldRelation.Show(m.Relation)), orDash(m.Health))
				return nil
			})
		},
	}
	show.Flags().BoolVar(&asJSON, "json", false, "print JSON")

	var reason, by string
	unmask := &cobra.Command{
		Use:   "unmask ID",
		Short: "Print a resident's clear ID number; needs --reason and --by, and is logged",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(reason) < 4 || by == "" {
				return usageError{fmt.Errorf("unmask needs --by WHO and --reason WHY (at least 4 characters)")}
			}
			id, err := strconv.ParseInt(args[0], 10, 64)
			if err != nil {
				return usageError{fmt.Errorf("resident id %q: want a number", args[0])}
			}
			return a.withStore(cmd.Context(), func(st *store.Store) error {
				clear, err := st.UnmaskIDNumber(cmd.Context(), id)
				if err != nil {
					return err
				}
				if err := a.record(cmd.Context(), st, audit.Entry{Actor: by, Action: audit.ActionUnmask,
					Subject: fmt.Sprintf("resident:%d", id), Reason: reason, Detail: "id_number"}); err != nil {
					return fmt.Errorf("the clear ID number is not shown: %w", err)
				}
				a.log.WarnContext(cmd.Context(), "id_number_unmasked", "resident_id", id, "by", by, "reason", reason, "id_number", clear)
				fmt.Fprintln(a.stdout, string(clear))
				return nil
			})
		},
	}
	unmask.Flags().StringVar(&reason, "reason", "", "why the clear number is needed (logged)")
	unmask.Flags().StringVar(&by, "by", "", "who asks (logged)")
	c.AddCommand(show, unmask, a.residentsMessages(), a.residentsErase(), a.residentsChange(), a.residentsChanges())
	return c
}

// residentMessage is one line of a resident's message history, masked.
type residentMessage struct {
	ID         int64  `json:"id"`
	At         string `json:"at"`
	Purpose    string `json:"purpose"`
	Route      string `json:"route"`
	Status     string `json:"status"`
	Code       string `json:"code,omitempty"` // the provider's code, or why it was skipped
	CampaignID int64  `json:"campaign_id,omitempty"`
	TicketID   int64  `json:"ticket_id,omitempty"`
	FallbackOf int64  `json:"fallback_of,omitempty"`
	Text       string `json:"text,omitempty"`
}

func (a *app) residentsMessages() *cobra.Command {
	var asJSON bool
	var limit int
	cmd := &cobra.Command{
		Use:   "messages ID [--limit N] [--json]",
		Short: "A resident's message history, newest first: campaign messages, reminders and the desk's answers",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := parseID("resident", args[0])
			if err != nil {
				return err
			}
			if limit < 1 {
				return usageError{fmt.Errorf("--limit %d: want at least 1", limit)}
			}
			ctx := cmd.Context()
			return a.withStore(ctx, func(st *store.Store) error {
				r, err := st.Resident(ctx, id)
				if err != nil {
					return err
				}
				w, err := st.WorkerForGrid(ctx, r.GridCode, population.RoleGridWorker)
				if err != nil && !errors.Is(err, fault.ErrNotFound) {
					return err
				}
				ms, err := st.ResidentMessages(ctx, id, 0, limit)
				if err != nil {
					return err
				}
				out := make([]residentMessage, 0, len(ms))
				for _, m := range ms {
					code := m.ProviderCode
					if m.Status == outbound.StatusSkipped {
						code = string(m.SkipReason)
					}
					text := pii.MaskText(m.Text, r.Name, w.Name)
					if text == "" && m.CampaignID != 0 && (m.Purpose == outbound.PurposeCampaign || m.Purpose == outbound.PurposeReminder) {
						text = fmt.Sprintf("(campaign %d's content", m.CampaignID)
						if m.TemplateCode != "" {
							text += ", template " + m.TemplateCode
						}
						text += ")"
					}
					out = append(out, residentMessage{ID: m.ID, At: shTime(m.CreatedAt, "2006-01-02 15:04"), Purpose: string(m.Purpose),
						Route: string(m.Route), Status: string(m.Status), Code: code, CampaignID: m.CampaignID, TicketID: m.TicketID,
						FallbackOf: m.FallbackOf, Text: text})
				}
				if asJSON {
					enc := json.NewEncoder(a.stdout)
					enc.SetIndent("", "  ")
					return enc.Encode(out)
				}
				fmt.Fprintf(a.stdout, "resident %d %s: %d messages (newest first)\n", r.ID, r.Name.Masked(), len(out))
				tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "ID\tCREATED\tPURPOSE\tROUTE\tSTATUS\tCODE\tFOR\tTEXT")
				for _, m := range out {
					var about []string
					if m.CampaignID != 0 {
						about = append(about, "campaign "+strconv.FormatInt(m.CampaignID, 10))
					}
					if m.TicketID != 0 {
						about = append(about, "ticket "+strconv.FormatInt(m.TicketID, 10))
					}
					if m.FallbackOf != 0 {
						about = append(about, "fallback of "+strconv.FormatInt(m.FallbackOf, 10))
					}
					fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", m.ID, m.At, m.Purpose, orDash(m.Route), m.Status, orDash(m.Code),
						orDash(strings.Join(about, ", ")), truncate(m.Text, 40))
				}
				return tw.Flush()
			})
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	cmd.Flags().IntVar(&limit, "limit", 50, "how many of the newest messages")
	return cmd
}
