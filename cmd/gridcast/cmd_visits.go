package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/gridcast/gridcast/blob"
	"github.com/gridcast/gridcast/desk"
	"github.com/gridcast/gridcast/population"
	"github.com/gridcast/gridcast/store"
	"github.com/gridcast/gridcast/tickets"
	"github.com/gridcast/gridcast/visits"
)

func (a *app) visitsCommand() *cobra.Command {
	c := &cobra.Command{
		Use:   "visits",
		Short: "The visit register (走访台账): households due, visits recorded, overdue visits",
		Long: `Each grid worker owes visits under the norms of the config's visits section:
五必访 households monthly, elderly living alone weekly, special families monthly,
and at least 15 households a month. A visit is recorded in person (in_person,
入户走访), by phone (phone, 电话回访) or as not at home (not_home, 未遇, which is
kept but does not count). Residents are shown masked here; the grid's own worker
sees them in clear through the API.`,
	}
	c.AddCommand(a.visitsRegister(), a.visitsRecord(), a.visitsOverdue())
	return c
}

func (a *app) visitService(st *store.Store) visits.Service {
	return visits.Service{Store: st, Config: a.cfg.Visits}
}

// registerView is a register as `visits register --json` prints it,
// residents masked.
type registerView struct {
	Worker            string          `json:"worker"`
	Grid              string          `json:"grid"`
	Period            string          `json:"period"`
	Required          int             `json:"required"`
	Done              int             `json:"done"`
	Minimum           int             `json:"minimum"`
	HouseholdsVisited int             `json:"households_visited"`
	VisitsDone        int             `json:"visits_done"`
	VisitsDue         int             `json:"visits_due"`
	NotHome           int             `json:"not_home"`
	Overdue           int             `json:"overdue"`
	Households        []householdView `json:"households"`
}

type householdView struct {
	Key       string    `json:"key"`
	Grid      string    `json:"grid"`
	Address   string    `json:"address"`
	Residents []string  `json:"residents"`
	Norms     []string  `json:"norms"`
	Every     string    `json:"every,omitempty"`
	Required  int       `json:"required"`
	Done      int       `json:"done"`
	NextDue   string    `json:"next_due,omitempty"`
	Overdue   bool      `json:"overdue"`
	LastVisit time.Time `json:"last_visit,omitzero"`
	Slots     []int64   `json:"slots,omitempty"`
}

// maskedHousehold is a household's address with unit and room starred
// and its residents as "id masked-name".
func maskedHousehold(h visits.Household) (string, []string) {
	addr := h.Address
	if addr.Unit != "" {
		addr.Unit = "*"
	}
	if addr.Room != "" {
		addr.Room = "***"
	}
	var rs []string
	for _, m := range h.Members {
		rs = append(rs, fmt.Sprintf("%d %s", m.ResidentID, m.Name.Masked()))
	}
	return addr.String(), rs
}

func (a *app) visitsRegister() *cobra.Command {
	var worker, period string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "register --worker CODE [--period 2026-12] [--json]",
		Short: "A worker's register for a month: households due, visits done, overdue",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if worker == "" {
				return usageError{errors.New("--worker CODE is required (see gridcast workers list)")}
			}
			m := visits.MonthOf(time.Now())
			if period != "" {
				var err error
				if m, err = visits.ParseMonth(period); err != nil {
					return usageError{err}
				}
			}
			ctx := cmd.Context()
			return a.withStore(ctx, func(st *store.Store) error {
				w, err := workerByCode(cmd, st, "--worker ", worker)
				if err != nil {
					return err
				}
				reg, err := a.visitService(st).Register(ctx, w, m)
				if err != nil {
					return err
				}
				v := registerView{Worker: w.Code, Grid: w.GridCode, Period: m.String(), Required: reg.Required, Done: reg.Done,
					Minimum: reg.Minimum, HouseholdsVisited: reg.Visited, VisitsDone: reg.VisitsDone, VisitsDue: reg.VisitsDue(),
					NotHome: reg.NotHome, Overdue: reg.Overdue, Households: []householdView{}}
				for _, d := range reg.Households {
					addr, rs := maskedHousehold(d.Household)
					h := householdView{Key: d.Household.Key, Grid: d.Household.GridCode, Address: addr, Residents: rs, Norms: d.Norms,
						Every: string(d.Every), Required: d.Required, Done: d.Done, Overdue: d.Overdue}
					if !d.NextDue.IsZero() {
						h.NextDue = d.NextDue.Format(time.DateOnly)
					}
					if d.Last != nil {
						h.LastVisit = d.Last.VisitedAt
					}
					for _, s := range d.Slots {
						h.Slots = append(h.Slots, s.ID)
					}
					v.Households = append(v.Households, h)
				}
				if asJSON {
					enc := json.NewEncoder(a.stdout)
					enc.SetIndent("", "  ")
					return enc.Encode(v)
				}
				fmt.Fprintf(a.stdout, "走访台账 %s %s (grid %s): %d/%d due visits done; %d visits by the worker (%d households, minimum %d); %d not at home; %d overdue\n",
					w.Code, m, w.GridCode, v.Done, v.Required, v.VisitsDone, v.HouseholdsVisited, v.Minimum, v.NotHome, v.Overdue)
				tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "HOUSEHOLD\tADDRESS\tRESIDENTS\tNORMS\tDONE\tNEXT DUE\tLAST VISIT\tSTATE")
				for _, h := range v.Households {
					state := "ok"
					switch {
					case h.Overdue:
						state = "OVERDUE"
					case h.NextDue == "" && len(h.Slots) == 0:
						state = "done"
					}
					norms := strings.Join(h.Norms, ",")
					if len(h.Slots) > 0 {
						norms = strings.TrimPrefix(norms+fmt.Sprintf(",slot %v", h.Slots), ",")
					}
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d/%d\t%s\t%s\t%s\n", h.Key, h.Address, strings.Join(h.Residents, ", "), norms,
						h.Done, h.Required, orDash(h.NextDue), shTime(h.LastVisit, "2006-01-02"), state)
				}
				return tw.Flush()
			})
		},
	}
	cmd.Flags().StringVar(&worker, "worker", "", "the worker's code")
	cmd.Flags().StringVar(&period, "period", "", "the month, e.g. 2026-12 (default this month)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func (a *app) visitsRecord() *cobra.Command {
	var worker, kind, note, at, by, report, reportCategory string
	var resident, slot, ticket int64
	var photos []string
	cmd := &cobra.Command{
		Use:   "record --worker CODE --resident ID --kind in_person|phone|not_home [--note TEXT] [--slot ID] [--ticket ID | --report TEXT [--report-category C]] [--photo FILE ...]",
		Short: "Record a visit: in person (入户走访), by phone (电话回访) or not at home (未遇)",
		Long: `Record a visit the worker made. --slot closes the resident's confirmed campaign
visit; --ticket links the ticket or reported event the visit opened, or
--report files what the visit found as a reported event about the resident
(source patrol, by the visitor; --report-category files it, else its text is
classified) and links it; --photo
is a photo file taken on the visit (JPEG, PNG or WebP; repeat for several, at
most 9), kept in the blob store (blob section) with a thumbnail; one bad photo
refuses the record and nothing is stored.
--at is when it happened (RFC 3339 or "2006-01-02 15:04" China time; default
now; at most 45 days ago). --by is who records it (default the OS user).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if worker == "" || resident <= 0 || kind == "" {
				return usageError{errors.New("--worker CODE, --resident ID and --kind in_person|phone|not_home are required")}
			}
			k, err := visits.ParseKind(kind)
			if err != nil {
				return usageError{err}
			}
			when := time.Now()
			if at != "" {
				if when, err = parseWhen(at); err != nil {
					return usageError{fmt.Errorf("--at %q: want RFC 3339 or \"2006-01-02 15:04\" (China time)", at)}
				}
			}
			if by == "" {
				by = osUser(user.Current, a.env)
			}
			ctx := cmd.Context()
			return a.withStore(ctx, func(st *store.Store) error {
				w, err := workerByCode(cmd, st, "--worker ", worker)
				if err != nil {
					return err
				}
				res, err := st.Resident(ctx, resident)
				if err != nil {
					return err
				}
				if w.GridCode == "" || !(res.GridCode == w.GridCode || strings.HasPrefix(res.GridCode, w.GridCode+"-")) {
					return fmt.Errorf("worker %s does not serve grid %s, where resident %d lives", w.Code, res.GridCode, res.ID)
				}
				in := visits.Record{WorkerID: w.ID, ResidentID: res.ID, Kind: k, Notes: note,
					VisitedAt: when, RecordedBy: by, SlotID: slot, TicketID: ticket}
				if err := in.Check(time.Now()); err != nil {
					return err
				}
				if report != "" && ticket != 0 {
					return usageError{errors.New("give --report or --ticket, not both")}
				}
				d, kept, err := a.keepVisitPhotos(ctx, st, photos)
				if err != nil {
					return err
				}
				if report != "" {
					rd, err := a.openDesk(ctx, st)
					if err != nil {
						return err
					}
					defer rd.close()
					ev, err := rd.Report(ctx, desk.Report{GridCode: res.GridCode, Text: report, Category: tickets.Category(reportCategory),
						Source: tickets.SourcePatrol, By: by, WorkerCode: w.Code, ResidentID: res.ID})
					if err != nil {
						if d != nil {
							d.DropPhotos(ctx, kept)
						}
						return err
					}
					in.TicketID = ev.Ticket.ID
				}
				for _, o := range kept {
					in.Photos = append(in.Photos, visits.Photo{Key: o.Key, ThumbnailKey: o.ThumbnailKey, ContentType: o.ContentType, Size: o.Size})
				}
				rec, err := a.visitService(st).Record(ctx, in)
				if err != nil {
					if d != nil {
						d.DropPhotos(ctx, kept)
					}
					return err
				}
				fmt.Fprintf(a.stdout, "visit %d recorded: %s %s resident %d (household %s, grid %s) at %s by %s",
					rec.ID, w.Code, rec.Kind.Label(), rec.ResidentID, rec.HouseholdKey, rec.GridCode, shTime(rec.VisitedAt, "2006-01-02 15:04"), rec.RecordedBy)
				if rec.SlotID != 0 {
					fmt.Fprintf(a.stdout, "; closes slot %d", rec.SlotID)
				}
				if rec.TicketID != 0 {
					fmt.Fprintf(a.stdout, "; ticket %d", rec.TicketID)
				}
				if len(rec.Photos) > 0 {
					fmt.Fprintf(a.stdout, "; %d photos", len(rec.Photos))
				}
				fmt.Fprintln(a.stdout)
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&worker, "worker", "", "the code of the worker who visited")
	cmd.Flags().Int64Var(&resident, "resident", 0, "the resident's id")
	cmd.Flags().StringVar(&kind, "kind", "", "in_person (入户走访), phone (电话回访) or not_home (未遇)")
	cmd.Flags().StringVar(&note, "note", "", "what the visit found (at most 2000 characters)")
	cmd.Flags().Int64Var(&slot, "slot", 0, "the confirmed campaign visit this closes")
	cmd.Flags().Int64Var(&ticket, "ticket", 0, "the ticket or event the visit opened")
	cmd.Flags().StringVar(&report, "report", "", "what the visit found, filed as a reported event and linked")
	cmd.Flags().StringVar(&reportCategory, "report-category", "", "the report's ticket category (default: classified from its text)")
	cmd.Flags().StringArrayVar(&photos, "photo", nil, fmt.Sprintf("a photo file taken on the visit; repeat for more (at most %d)", visits.MaxPhotos))
	cmd.Flags().StringVar(&at, "at", "", "when (default now)")
	cmd.Flags().StringVar(&by, "by", "", "who records it (default the OS user)")
	return cmd
}

// parseWhen reads RFC 3339 or "2006-01-02 15:04" in China time.
func parseWhen(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	return time.ParseInLocation("2006-01-02 15:04", s, visits.Shanghai)
}

func (a *app) visitsOverdue() *cobra.Command {
	var grid string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "overdue [--grid CODE] [--json]",
		Short: "Households overdue a visit, per worker, in a grid, community or street (default the whole city)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			return a.withStore(ctx, func(st *store.Store) error {
				roots := []string{grid}
				if grid == "" {
					gs, err := st.Grids(ctx)
					if err != nil {
						return err
					}
					roots = nil
					for _, g := range gs {
						if g.Level == population.LevelDistrict {
							roots = append(roots, g.Code)
						}
					}
				} else if _, err := st.Grid(ctx, grid); err != nil {
					return err
				}
				var late []visits.Late
				for _, root := range roots {
					l, err := a.visitService(st).Overdue(ctx, root)
					if err != nil {
						return err
					}
					late = append(late, l...)
				}
				ws, err := st.Workers(ctx)
				if err != nil {
					return err
				}
				workerOf := map[string]string{}
				for _, w := range ws {
					if w.Role == population.RoleGridWorker && w.GridCode != "" {
						workerOf[w.GridCode] = w.Code
					}
				}
				type row struct {
					Worker    string    `json:"worker"`
					Grid      string    `json:"grid"`
					Household string    `json:"household"`
					Address   string    `json:"address"`
					Residents []string  `json:"residents"`
					Norms     []string  `json:"norms"`
					Since     time.Time `json:"since"`
					LastVisit time.Time `json:"last_visit,omitzero"`
					SlotID    int64     `json:"slot_id,omitempty"`
				}
				rows := []row{}
				perWorker := map[string]int{}
				for _, l := range late {
					addr, rs := maskedHousehold(l.Household)
					r := row{Worker: workerOf[l.Household.GridCode], Grid: l.Household.GridCode, Household: l.Household.Key,
						Address: addr, Residents: rs, Norms: l.Norms, Since: l.Since}
					if l.Last != nil {
						r.LastVisit = l.Last.VisitedAt
					}
					if l.Slot != nil {
						r.SlotID = l.Slot.ID
					}
					perWorker[r.Worker+"\t"+r.Grid]++
					rows = append(rows, r)
				}
				if asJSON {
					enc := json.NewEncoder(a.stdout)
					enc.SetIndent("", "  ")
					return enc.Encode(rows)
				}
				fmt.Fprintf(a.stdout, "%d households overdue\n", len(rows))
				tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "WORKER\tGRID\tOVERDUE")
				for k, n := range sortedCounts(perWorker) {
					w, g, _ := strings.Cut(k, "\t")
					fmt.Fprintf(tw, "%s\t%s\t%d\n", orDash(w), g, n)
				}
				fmt.Fprintln(tw)
				fmt.Fprintln(tw, "WORKER\tHOUSEHOLD\tADDRESS\tRESIDENTS\tNORMS\tSINCE\tLAST VISIT")
				for _, r := range rows {
					norms := strings.Join(r.Norms, ",")
					if r.SlotID != 0 {
						norms = strings.TrimPrefix(fmt.Sprintf("%s,slot %d", norms, r.SlotID), ",")
					}
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", orDash(r.Worker), r.Household, r.Address, strings.Join(r.Residents, ", "),
						norms, shTime(r.Since, "2006-01-02"), shTime(r.LastVisit, "2006-01-02"))
				}
				return tw.Flush()
			})
		},
	}
	cmd.Flags().StringVar(&grid, "grid", "", "a grid, community or street code (default the whole city)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

// sortedCounts yields m's keys in order with their counts.
func sortedCounts(m map[string]int) func(yield func(string, int) bool) {
	return func(yield func(string, int) bool) {
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			if !yield(k, m[k]) {
				return
			}
		}
	}
}

// keepVisitPhotos keeps the photo files at paths in the blob store
// through a desk over st (no dispatcher: it sends nothing), and returns
// the desk, to drop them if the record fails, and what it kept. No paths
// keep nothing and open no blob store.
func (a *app) keepVisitPhotos(ctx context.Context, st *store.Store, paths []string) (*desk.Service, []blob.Object, error) {
	if len(paths) == 0 {
		return nil, nil, nil
	}
	if len(paths) > visits.MaxPhotos {
		return nil, nil, usageError{fmt.Errorf("--photo: %d photos, at most %d", len(paths), visits.MaxPhotos)}
	}
	photos := make([]desk.Photo, 0, len(paths))
	for _, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			return nil, nil, fmt.Errorf("--photo: %w", err)
		}
		defer f.Close()
		photos = append(photos, desk.Photo{Name: filepath.Base(p), Body: f})
	}
	media, err := a.cfg.openMedia(ctx)
	if err != nil {
		return nil, nil, err
	}
	cfg, err := a.cfg.deskConfig(a.log)
	if err != nil {
		return nil, nil, err
	}
	d, err := desk.New(cfg, desk.Deps{Store: st, Dispatcher: storeOnly{}, Log: a.log, Media: media})
	if err != nil {
		return nil, nil, err
	}
	kept, err := d.KeepPhotos(ctx, photos)
	if err != nil {
		return nil, nil, err
	}
	return d, kept, nil
}
