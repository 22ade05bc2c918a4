package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/gridcast/gridcast/audit"
	"github.com/gridcast/gridcast/campaigns"
	"github.com/gridcast/gridcast/population"
	"github.com/gridcast/gridcast/sheet"
	"github.com/gridcast/gridcast/store"
)

// residentsChange is `gridcast residents change`: a living-record change
// (活户籍) from the field.
func (a *app) residentsChange() *cobra.Command {
	var by, note string
	var asJSON bool
	vals := map[population.ChangeField]*string{}
	cmd := &cobra.Command{
		Use:   "change ID [--status S] [--phone P] [--living L] [--selfcare C] [--health TEXT] [--relation R] --by NAME [--note TEXT]",
		Short: "Record a change of a resident's living record (活户籍): moved in or out, deceased, phone, living arrangement, self-care, health, household relation",
		Long: `Records what a grid worker or community staff member found in the field.
Each flag given is a change; a flag given as "" clears the value (but the
status). Values are identifiers or Chinese labels:

  --status    active (在册; moved in, 迁入), moved_out (迁出), deceased (死亡)
  --living    alone (独居), with_spouse (与配偶同住), with_children (与子女同住),
              with_family (与其他亲属同住), care_home (养老机构), other (其他)
  --selfcare  independent (自理), partial (半失能), dependent (失能)
  --relation  head (户主), spouse (配偶), child (子女), parent (父母),
              grandchild (孙子女), sibling (兄弟姐妹), other (其他)
  --health    a health note, at most 500 characters (personal data: masked
              wherever shown, never logged)

All or nothing: any invalid value is refused and nothing is stored. Every
change keeps who, when, before and after, and goes on the audit log. A
resident moved out or deceased leaves every segment at once; campaign
messages and reminders still waiting for them are skipped and their visits
ahead cancelled. The change counts for the grid worker whose code or name
--by is, else for the worker of the resident's grid (考核: records updated).`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := parseID("resident", args[0])
			if err != nil {
				return err
			}
			set := map[population.ChangeField]string{}
			for f, v := range vals {
				if cmd.Flags().Changed(string(f)) {
					set[f] = *v
				}
			}
			cs, err := population.NewChanges(id, set, by, population.SourceField, note)
			if err != nil {
				return usageError{err}
			}
			ctx := cmd.Context()
			return a.withStore(ctx, func(st *store.Store) error {
				rec, err := st.RecordChanges(ctx, id, cs)
				if err != nil {
					return err
				}
				if len(rec.Changes) > 0 {
					if err := a.record(ctx, st, audit.Entry{Actor: by, Action: audit.ActionResidentChange,
						Subject: fmt.Sprintf("resident:%d", id), Reason: note, Detail: recordedDetail(rec)}); err != nil {
						return err
					}
				}
				if asJSON {
					return printJSON(a.stdout, shownRecorded(rec))
				}
				if len(rec.Changes) == 0 {
					fmt.Fprintf(a.stdout, "resident %d: every field already held that value; nothing changed\n", id)
					return nil
				}
				fmt.Fprintf(a.stdout, "resident %d: %d change(s) recorded by %s\n", id, len(rec.Changes), by)
				for _, c := range rec.Changes {
					fmt.Fprintf(a.stdout, "  %s %s: %s → %s\n", c.Field.Label(), c.Field, orDash(c.Field.Show(c.Before)), orDash(c.Field.Show(c.After)))
				}
				if rec.MessagesSkipped > 0 || rec.VisitsCancelled > 0 {
					fmt.Fprintf(a.stdout, "  messages still waiting now skipped %d, visits ahead cancelled %d\n", rec.MessagesSkipped, rec.VisitsCancelled)
				}
				return nil
			})
		},
	}
	for _, f := range []struct {
		field population.ChangeField
		help  string
	}{
		{population.FieldStatus, "active (moved in), moved_out or deceased (在册/迁出/死亡)"},
		{population.FieldPhone, "the resident's mobile number now"},
		{population.FieldLiving, "living arrangement: alone, with_spouse, with_children, with_family, care_home, other (独居 …)"},
		{population.FieldSelfCare, "self-care level: independent, partial, dependent (自理/半失能/失能)"},
		{population.FieldHealth, "health note (personal data, masked wherever shown)"},
		{population.FieldRelation, "relation to the head of the household: head, spouse, child, parent, grandchild, sibling, other (户主 …)"},
	} {
		vals[f.field] = cmd.Flags().String(string(f.field), "", f.help)
	}
	cmd.Flags().StringVar(&by, "by", "", "who records the change: a worker's code or name, or a staff member (kept with the change)")
	cmd.Flags().StringVar(&note, "note", "", "why, where from: 家属告知, 死亡证明编号 … (kept with the change)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

// shownChange is a change as the CLI prints it: personal values masked.
type shownChange struct {
	ID         int64     `json:"id"`
	ResidentID int64     `json:"resident_id"`
	IDNumber   string    `json:"id_number,omitempty"` // masked
	Grid       string    `json:"grid"`
	Field      string    `json:"field"`
	Before     string    `json:"before"`
	After      string    `json:"after"`
	By         string    `json:"by"`
	WorkerID   int64     `json:"worker_id,omitempty"`
	At         time.Time `json:"at"`
	Source     string    `json:"source"`
	Note       string    `json:"note,omitempty"`
}

func shown(c population.Change) shownChange {
	c = c.Shown()
	return shownChange{ID: c.ID, ResidentID: c.ResidentID, Grid: c.GridCode, Field: string(c.Field), Before: c.Before, After: c.After,
		By: c.By, WorkerID: c.WorkerID, At: c.At, Source: string(c.Source), Note: c.Note}
}

func shownRecorded(rec population.Recorded) any {
	cs := make([]shownChange, 0, len(rec.Changes))
	for _, c := range rec.Changes {
		cs = append(cs, shown(c))
	}
	return struct {
		ResidentID      int64         `json:"resident_id"`
		Changes         []shownChange `json:"changes"`
		MessagesSkipped int64         `json:"messages_skipped"`
		VisitsCancelled int64         `json:"visits_cancelled"`
	}{rec.ResidentID, cs, rec.MessagesSkipped, rec.VisitsCancelled}
}

// recordedDetail is the audit entry's detail: the fields with their
// values as shown (personal ones masked).
func recordedDetail(rec population.Recorded) string {
	type fv struct {
		Field  string `json:"field"`
		Before string `json:"before"`
		After  string `json:"after"`
	}
	var d struct {
		Changes         []fv  `json:"changes"`
		MessagesSkipped int64 `json:"messages_skipped,omitempty"`
	}
	d.MessagesSkipped = rec.MessagesSkipped
	for _, c := range rec.Changes {
		c = c.Shown()
		d.Changes = append(d.Changes, fv{string(c.Field), c.Before, c.After})
	}
	b, _ := json.Marshal(d)
	return string(b)
}

func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// residentsChanges is `gridcast residents changes`: a resident's history,
// or the change file for the source population system.
func (a *app) residentsChanges() *cobra.Command {
	var since, xlsxPath, csvPath, by, reason string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "changes [ID] | changes --since DATE [--xlsx FILE | --csv FILE --by NAME]",
		Short: "A resident's living-record changes, or every change since a date as a change file for the source population system",
		Long: `With ID: that resident's changes, oldest first, masked.

With --since DATE (2024-06-01, Beijing time, or an RFC 3339 time): every
change made since, of residents not erased on request, masked on screen.
With --xlsx FILE or --csv FILE it writes the change file to send back to
the source population system (人口基础数据库): one row per change with the
resident's ID number — its key — and the values before and after in
clear. Writing it needs --by (who exports; --reason optional) and is
recorded in the audit log as an export and an unmask; if the log cannot
record it, the file is removed.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			if len(args) == 1 {
				id, err := parseID("resident", args[0])
				if err != nil {
					return err
				}
				return a.withStore(ctx, func(st *store.Store) error {
					if _, err := st.Resident(ctx, id); err != nil {
						return err
					}
					cs, err := st.ResidentChanges(ctx, id)
					if err != nil {
						return err
					}
					return a.printChanges(cs, nil, asJSON)
				})
			}
			if since == "" {
				return usageError{fmt.Errorf("give a resident ID, or --since DATE for the change file")}
			}
			from, err := population.ParseSince(since, campaigns.Shanghai())
			if err != nil {
				return usageError{err}
			}
			if xlsxPath != "" && csvPath != "" {
				return usageError{fmt.Errorf("give --xlsx or --csv, not both")}
			}
			path := xlsxPath + csvPath
			if path != "" && by == "" {
				return usageError{fmt.Errorf("the change file holds ID numbers in clear: give --by NAME (who exports; recorded in the audit log)")}
			}
			return a.withStore(ctx, func(st *store.Store) error {
				rcs, err := allChangesSince(ctx, st, from, path != "")
				if err != nil {
					return err
				}
				if path == "" {
					cs := make([]population.Change, len(rcs))
					masked := make([]string, len(rcs))
					for i, rc := range rcs {
						cs[i], masked[i] = rc.Change, rc.IDMasked
					}
					return a.printChanges(cs, masked, asJSON)
				}
				if err := writeChangeFile(path, csvPath != "", rcs); err != nil {
					return err
				}
				detail, _ := json.Marshal(map[string]any{"what": "resident_changes", "since": from.Format(time.RFC3339),
					"file": filepath.Base(path), "rows": len(rcs)})
				why := reason
				if why == "" {
					why = "change file for the source population system"
				}
				if err := a.recordExport(ctx, st, path,
					audit.Entry{Actor: by, Action: audit.ActionExport, Subject: "resident_changes", Reason: why, Detail: string(detail)},
					audit.Entry{Actor: by, Action: audit.ActionUnmask, Subject: "resident_changes", Reason: why, Detail: string(detail)}); err != nil {
					return err
				}
				fmt.Fprintf(a.stdout, "wrote %d change(s) since %s to %s (ID numbers and values in clear; recorded in the audit log)\n",
					len(rcs), shTime(from, "2006-01-02 15:04"), path)
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&since, "since", "", "changes made at or after this date (2024-06-01, Beijing time) or RFC 3339 time")
	cmd.Flags().StringVar(&xlsxPath, "xlsx", "", "write the change file as XLSX")
	cmd.Flags().StringVar(&csvPath, "csv", "", "write the change file as CSV (UTF-8)")
	cmd.Flags().StringVar(&by, "by", "", "who exports the change file (recorded in the audit log)")
	cmd.Flags().StringVar(&reason, "reason", "", "why (recorded in the audit log)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

// allChangesSince reads every change since from, page by page.
func allChangesSince(ctx context.Context, st *store.Store, from time.Time, unmask bool) ([]population.ResidentChange, error) {
	var out []population.ResidentChange
	var after int64
	for {
		page, err := st.ChangesSince(ctx, from, after, store.MaxChangesPage, unmask)
		if err != nil {
			return nil, err
		}
		out = append(out, page...)
		if len(page) < store.MaxChangesPage {
			return out, nil
		}
		after = page[len(page)-1].ID
	}
}

// printChanges prints changes masked; idMasked, when set, gives each one's
// masked ID number.
func (a *app) printChanges(cs []population.Change, idMasked []string, asJSON bool) error {
	out := make([]shownChange, len(cs))
	for i, c := range cs {
		out[i] = shown(c)
		if idMasked != nil {
			out[i].IDNumber = idMasked[i]
		}
	}
	if asJSON {
		return printJSON(a.stdout, out)
	}
	tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tRESIDENT\tGRID\tFIELD\tBEFORE\tAFTER\tBY\tAT\tSOURCE\tNOTE")
	for i, c := range out {
		who := strconv.FormatInt(c.ResidentID, 10)
		if idMasked != nil {
			who += " " + idMasked[i]
		}
		f := population.ChangeField(c.Field)
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", c.ID, who, c.Grid, c.Field,
			orDash(f.Show(cs[i].Before)), orDash(f.Show(cs[i].After)), c.By,
			shTime(c.At, "2006-01-02 15:04"), c.Source, orDash(truncate(c.Note, 30)))
	}
	return tw.Flush()
}

// changeColumns are the change file's columns.
var changeColumns = []sheet.Column{
	{Header: "变更编号", Width: 10}, {Header: "身份证号", Width: 22, Text: true}, {Header: "姓名", Width: 10},
	{Header: "网格编码", Width: 16, Text: true}, {Header: "变更项目", Width: 12}, {Header: "字段", Width: 10},
	{Header: "变更前", Width: 18, Text: true}, {Header: "变更后", Width: 18, Text: true}, {Header: "变更时间", Width: 18},
	{Header: "登记人", Width: 10}, {Header: "来源", Width: 8}, {Header: "备注", Width: 30},
}

// changeRow is one change as the change file writes it: clear ID number
// and values, enumerations by their Chinese labels.
func changeRow(rc population.ResidentChange) []string {
	f := rc.Field
	return []string{strconv.FormatInt(rc.ID, 10), string(rc.IDNumber), string(rc.Name), rc.GridCode, f.Label(), string(f),
		f.ValueLabel(rc.Before), f.ValueLabel(rc.After), shTime(rc.At, "2006-01-02 15:04:05"), rc.By, string(rc.Source), rc.Note}
}

// writeChangeFile writes the change file to path, as CSV or XLSX; a file
// that cannot be written whole is removed.
func writeChangeFile(path string, asCSV bool, rcs []population.ResidentChange) (err error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("change file: %w", err)
	}
	defer func() {
		if cerr := f.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("change file: %w", cerr)
		}
		if err != nil {
			os.Remove(path)
		}
	}()
	if asCSV {
		w := csv.NewWriter(f)
		head := make([]string, len(changeColumns))
		for i, c := range changeColumns {
			head[i] = c.Header
		}
		if err := w.Write(head); err != nil {
			return fmt.Errorf("change file: %w", err)
		}
		for _, rc := range rcs {
			if err := w.Write(changeRow(rc)); err != nil {
				return fmt.Errorf("change file: %w", err)
			}
		}
		w.Flush()
		if err := w.Error(); err != nil {
			return fmt.Errorf("change file: %w", err)
		}
		return nil
	}
	s := sheet.Sheet{Name: "变更", Title: "居民信息变更", Columns: changeColumns}
	for _, rc := range rcs {
		row := changeRow(rc)
		cells := make([]any, len(row))
		for i, v := range row {
			cells[i] = v
		}
		s.Rows = append(s.Rows, cells)
	}
	return s.WriteXLSX(f)
}
