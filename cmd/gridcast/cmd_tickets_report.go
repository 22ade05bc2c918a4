package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/gridcast/gridcast/audit"
	"github.com/gridcast/gridcast/campaigns"
	"github.com/gridcast/gridcast/desk"
	"github.com/gridcast/gridcast/store"
	"github.com/gridcast/gridcast/tickets"
)

// ticketsReport files an event found on patrol or taken by phone.
func (a *app) ticketsReport() *cobra.Command {
	var grid, text, category, source, address, place, by, worker string
	var lat, lng float64
	var resident, household int64
	var photos []string
	cmd := &cobra.Command{
		Use:   "report --grid CODE --text TEXT [--category C] [--source patrol|hotline] [--address A] [--lat N --lng N] [--place P] [--resident ID] [--household ID] [--photo FILE ...] [--worker CODE] [--by NAME]",
		Short: "Report an event found on patrol or taken by phone (事件上报): it becomes a ticket",
		Long: `Report an event - a blocked fire lane, a broken lift, an illegal building, a dispute -
found on patrol (--source patrol, the default) or taken by phone from a resident
(--source hotline). It becomes a ticket of the grid: its category (classified from
--text unless --category is given) decides its deadline and the level that owns it,
and it goes to that level's worker of the grid, who is notified. With --worker naming
that worker (they report what they found in their own grid) it starts in progress.
Photos (JPEG, PNG, WebP; voice notes as AMR, MP3 or SILK) go to the blob store
(blob section) with the same checks as residents' media; one bad photo refuses the
whole report and nothing is stored. The report is recorded in the audit log.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			src, err := tickets.ParseSource(source)
			if err != nil || src == tickets.SourceResident {
				return usageError{fmt.Errorf("--source %q: want patrol or hotline", source)}
			}
			if cmd.Flags().Changed("lat") != cmd.Flags().Changed("lng") {
				return usageError{errors.New("--lat and --lng go together")}
			}
			rep := desk.Report{GridCode: grid, Text: text, Category: tickets.Category(category), Source: src, By: by,
				WorkerCode: worker, Location: tickets.Location{Address: address, Lat: lat, Lng: lng}, Place: place,
				ResidentID: resident, HouseholdID: household}
			for _, p := range photos {
				f, err := os.Open(p)
				if err != nil {
					return fmt.Errorf("--photo: %w", err)
				}
				defer f.Close()
				rep.Photos = append(rep.Photos, desk.Photo{Name: filepath.Base(p), Body: f})
			}
			var media desk.Media
			if len(photos) > 0 {
				m, err := a.cfg.openMedia(ctx)
				if err != nil {
					return err
				}
				media = m
			}
			return a.withStore(ctx, func(st *store.Store) error {
				d, err := a.openDeskWith(ctx, st, media)
				if err != nil {
					return err
				}
				defer d.close()
				res, err := d.Report(ctx, rep)
				if err != nil {
					return fmt.Errorf("report: %w", err)
				}
				t := res.Ticket
				if err := a.record(ctx, st, audit.Entry{Actor: by, Action: audit.ActionTicketReport, Subject: fmt.Sprintf("ticket:%d", t.ID),
					Detail: fmt.Sprintf("source=%s grid=%s category=%s attachments=%d", t.Source, t.GridCode, t.Category, len(res.Attachments))}); err != nil {
					return err
				}
				who := "nobody: the grid has no " + t.Level.Label() + "; escalation finds an owner above"
				if res.Assignee.ID != 0 {
					who = fmt.Sprintf("%s %s", res.Assignee.Code, res.Assignee.Name.Masked())
				}
				fmt.Fprintf(a.stdout, "ticket %d: %s (%s) reported by %s, %s (%s), due %s\n  assigned to %s, %s\n",
					t.ID, t.Source.Label(), t.Source, by, t.Category.Label(), t.Level.Label(),
					t.DueAt.In(campaigns.Shanghai()).Format("2006-01-02 15:04"), who, t.Status.Label())
				if len(res.Attachments) > 0 {
					var kinds []string
					for _, at := range res.Attachments {
						kinds = append(kinds, fmt.Sprintf("%s %s %d B", at.Kind, at.ContentType, at.Size))
					}
					fmt.Fprintf(a.stdout, "  attachments: %s\n", strings.Join(kinds, "; "))
				}
				if res.Assignee.ID != 0 && t.Status != tickets.StatusInProgress {
					fmt.Fprintf(a.stdout, "  notification %s\n", d.queued)
				}
				return nil
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&grid, "grid", "", "the grid the event is in (required)")
	f.StringVar(&text, "text", "", "what was found (required)")
	f.StringVar(&category, "category", "", "the ticket category; empty: classified from --text")
	f.StringVar(&source, "source", string(tickets.SourcePatrol), "patrol (网格巡查) or hotline (热线来电)")
	f.StringVar(&address, "address", "", "where in the grid")
	f.Float64Var(&lat, "lat", 0, "latitude, WGS-84 degrees (with --lng)")
	f.Float64Var(&lng, "lng", 0, "longitude, WGS-84 degrees (with --lat)")
	f.StringVar(&place, "place", "", "the public place concerned")
	f.Int64Var(&resident, "resident", 0, "the id of the resident concerned (they must live in the grid)")
	f.Int64Var(&household, "household", 0, "the id of the household concerned (of the grid)")
	f.StringArrayVar(&photos, "photo", nil, fmt.Sprintf("a photo or voice note file; repeat for more (at most %d)", desk.MaxReportPhotos))
	f.StringVar(&worker, "worker", "", "your worker code, when you are the grid's worker reporting what you found")
	f.StringVar(&by, "by", a.defaultActor(), "who reports (recorded as the reporter)")
	return cmd
}
