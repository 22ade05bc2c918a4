// Package ledger makes the 台账 inspectors ask for when they check a
// street's or a grid's work (查台账): one workbook of three printed sheets
// for a period —
//
//   - 走访台账, the visits recorded: when, where, by whom, how, and what
//     was found;
//   - 工单台账, the tickets opened: where from, what, who handled them,
//     by when, whether on time, how residents rated them;
//   - 活户籍台账, the living records changed: whose, which field, from
//     what to what, by whom, why.
//
// Inspectors need to see that the work was done, not who the residents
// are: every resident's name, phone, ID number and room is masked, and
// free text (visit notes, ticket text, change notes) is scrubbed of the
// resident's name and of anything shaped like a phone or ID number.
// Worker names are public under 挂牌服务 and shown in clear.
//
// The package reads through the small Source the store satisfies and
// imports no SQL, HTTP or Redis library.
package ledger

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"slices"
	"time"
	"unicode/utf8"

	"github.com/gridcast/gridcast/access"
	"github.com/gridcast/gridcast/assessment"
	"github.com/gridcast/gridcast/pii"
	"github.com/gridcast/gridcast/population"
	"github.com/gridcast/gridcast/sheet"
	"github.com/gridcast/gridcast/tickets"
	"github.com/gridcast/gridcast/visits"
)

// Source is what a ledger reads; *store.Store satisfies it.
type Source interface {
	// RegisterRecords returns the visit records of grid and the grids
	// below it visited in [from, to), oldest first (workerID 0: no
	// worker's records besides).
	RegisterRecords(ctx context.Context, grid string, workerID int64, from, to time.Time) ([]visits.Record, error)
	// TicketsCreatedBetween returns up to limit tickets created in
	// [from, to) with id above afterID, by id.
	TicketsCreatedBetween(ctx context.Context, from, to time.Time, afterID int64, limit int) ([]tickets.Ticket, error)
	// ChangesSince returns up to limit living-record changes made at or
	// after since with id above afterID, by id; unmask is always false
	// here.
	ChangesSince(ctx context.Context, since time.Time, afterID int64, limit int, unmask bool) ([]population.ResidentChange, error)
	// Residents looks residents up by id.
	Residents(ctx context.Context, ids []int64) (map[int64]population.Resident, error)
	// Workers returns every worker.
	Workers(ctx context.Context) ([]population.Worker, error)
	// Grids returns every grid; the whole city's visits are read from the
	// grids at the top of the tree.
	Grids(ctx context.Context) ([]population.Grid, error)
}

// The sheets' names, in the workbook's order.
const (
	VisitsSheet  = "走访台账"
	TicketsSheet = "工单台账"
	ChangesSheet = "活户籍台账"
)

// MaxText is how many characters of a ticket's text the ledger prints.
const MaxText = 60

// page is how many tickets or changes are read at once.
const page = 1000

// Builder makes ledgers from Source.
type Builder struct {
	Source Source
	// OnTime says whether a resolved ticket was resolved within its
	// deadline (tickets.SLA.OnTime of the desk's configuration). Nil
	// means the default SLA's.
	OnTime func(tickets.Ticket) bool
}

// Build makes the ledger of period p for the grids scope covers: the
// three sheets, in the order VisitsSheet, TicketsSheet, ChangesSheet,
// each set up for printing, their rows oldest first. Times are shown in
// Asia/Shanghai. A nil scope covers nothing and gives three empty sheets.
func (b Builder) Build(ctx context.Context, p assessment.Period, scope access.Scope) ([]sheet.Sheet, error) {
	onTime := b.OnTime
	if onTime == nil {
		onTime = tickets.SLA{}.OnTime
	}
	workers, err := b.Source.Workers(ctx)
	if err != nil {
		return nil, fmt.Errorf("ledger: workers: %w", err)
	}
	byWorker := make(map[int64]population.Worker, len(workers))
	for _, w := range workers {
		byWorker[w.ID] = w
	}
	recs, err := b.visits(ctx, p, scope)
	if err != nil {
		return nil, err
	}
	tks, err := b.tickets(ctx, p, scope)
	if err != nil {
		return nil, err
	}
	changes, err := b.changes(ctx, p, scope)
	if err != nil {
		return nil, err
	}
	var ids []int64
	for _, r := range recs {
		ids = append(ids, r.ResidentID)
	}
	for _, t := range tks {
		if t.ResidentID > 0 {
			ids = append(ids, t.ResidentID)
		}
	}
	slices.Sort(ids)
	residents, err := b.residents(ctx, slices.Compact(ids))
	if err != nil {
		return nil, err
	}
	title := "台账 " + p.Label()
	return []sheet.Sheet{
		visitSheet(title, recs, residents, byWorker),
		ticketSheet(title, tks, residents, byWorker, onTime),
		changeSheet(title, changes),
	}, nil
}

// roots are the grid codes whose subtrees make up scope: its narrowest
// codes, or for the whole city the grids no other grid's code covers.
func (b Builder) roots(ctx context.Context, scope access.Scope) ([]string, error) {
	if !scope.Everything() {
		return scope.Narrowest(), nil
	}
	gs, err := b.Source.Grids(ctx)
	if err != nil {
		return nil, fmt.Errorf("ledger: grids: %w", err)
	}
	codes := make(access.Scope, len(gs))
	for i, g := range gs {
		codes[i] = g.Code
	}
	return codes.Narrowest(), nil
}

// residents looks ids up page by page.
func (b Builder) residents(ctx context.Context, ids []int64) (map[int64]population.Resident, error) {
	out := make(map[int64]population.Resident, len(ids))
	for chunk := range slices.Chunk(ids, page) {
		rs, err := b.Source.Residents(ctx, chunk)
		if err != nil {
			return nil, fmt.Errorf("ledger: residents: %w", err)
		}
		maps.Copy(out, rs)
	}
	return out, nil
}

func (b Builder) visits(ctx context.Context, p assessment.Period, scope access.Scope) ([]visits.Record, error) {
	if len(scope) == 0 {
		return nil, nil
	}
	roots, err := b.roots(ctx, scope)
	if err != nil {
		return nil, err
	}
	var out []visits.Record
	seen := map[int64]bool{}
	for _, code := range roots {
		recs, err := b.Source.RegisterRecords(ctx, code, 0, p.Start(), p.End())
		if err != nil {
			return nil, fmt.Errorf("ledger: visits of %s: %w", code, err)
		}
		for _, r := range recs {
			if !seen[r.ID] && scope.Covers(r.GridCode) {
				seen[r.ID] = true
				out = append(out, r)
			}
		}
	}
	slices.SortStableFunc(out, func(a, b visits.Record) int {
		if c := a.VisitedAt.Compare(b.VisitedAt); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
	return out, nil
}

func (b Builder) tickets(ctx context.Context, p assessment.Period, scope access.Scope) ([]tickets.Ticket, error) {
	if len(scope) == 0 {
		return nil, nil
	}
	var out []tickets.Ticket
	for after := int64(0); ; {
		ts, err := b.Source.TicketsCreatedBetween(ctx, p.Start(), p.End(), after, page)
		if err != nil {
			return nil, fmt.Errorf("ledger: tickets: %w", err)
		}
		for _, t := range ts {
			if scope.Covers(t.GridCode) {
				out = append(out, t)
			}
		}
		if len(ts) < page {
			return out, nil
		}
		after = ts[len(ts)-1].ID
	}
}

func (b Builder) changes(ctx context.Context, p assessment.Period, scope access.Scope) ([]population.ResidentChange, error) {
	if len(scope) == 0 {
		return nil, nil
	}
	var out []population.ResidentChange
	for after := int64(0); ; {
		cs, err := b.Source.ChangesSince(ctx, p.Start(), after, page, false)
		if err != nil {
			return nil, fmt.Errorf("ledger: living record changes: %w", err)
		}
		for _, c := range cs {
			if c.At.Before(p.End()) && scope.Covers(c.GridCode) {
				out = append(out, c)
			}
		}
		if len(cs) < page {
			break
		}
		after = cs[len(cs)-1].ID
	}
	slices.SortStableFunc(out, func(a, b population.ResidentChange) int {
		if c := a.At.Compare(b.At); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
	return out, nil
}

func visitSheet(title string, recs []visits.Record, residents map[int64]population.Resident, workers map[int64]population.Worker) sheet.Sheet {
	s := sheet.Sheet{Name: VisitsSheet, Title: title, Print: true, Rows: [][]any{}, Columns: []sheet.Column{
		{Header: "走访时间", Width: 17}, {Header: "网格", Width: 14, Text: true},
		{Header: "网格员编号", Text: true}, {Header: "网格员", Width: 10},
		{Header: "住户地址", Width: 24}, {Header: "居民", Width: 10}, {Header: "走访方式", Width: 10},
		{Header: "走访记录", Width: 48}, {Header: "照片", Width: 6},
	}}
	for _, r := range recs {
		w := workers[r.WorkerID]
		res := residents[r.ResidentID]
		s.Rows = append(s.Rows, []any{
			when(r.VisitedAt), r.GridCode, w.Code, string(w.Name),
			maskedAddress(res.Address), res.Name.Masked(), r.Kind.Label(),
			pii.MaskText(r.Notes, res.Name), len(r.Photos),
		})
	}
	return s
}

func ticketSheet(title string, ts []tickets.Ticket, residents map[int64]population.Resident, workers map[int64]population.Worker, onTime func(tickets.Ticket) bool) sheet.Sheet {
	s := sheet.Sheet{Name: TicketsSheet, Title: title, Print: true, Rows: [][]any{}, Columns: []sheet.Column{
		{Header: "工单号", Width: 8}, {Header: "创建时间", Width: 17}, {Header: "来源", Width: 10}, {Header: "类别", Width: 12},
		{Header: "网格", Width: 14, Text: true}, {Header: "承办人编号", Text: true}, {Header: "承办人", Width: 10},
		{Header: "状态", Width: 8}, {Header: "层级", Width: 12}, {Header: "办理期限", Width: 17}, {Header: "办结时间", Width: 17},
		{Header: "按时办结", Width: 9}, {Header: "满意度", Width: 9}, {Header: "居民", Width: 10}, {Header: "内容", Width: 48},
	}}
	for _, t := range ts {
		w := workers[t.AssigneeWorkerID]
		res := residents[t.ResidentID]
		ok := "—"
		if !t.ResolvedAt.IsZero() {
			ok = "否"
			if onTime(t) {
				ok = "是"
			}
		}
		s.Rows = append(s.Rows, []any{
			t.ID, when(t.CreatedAt), t.Source.Label(), t.Category.Label(),
			t.GridCode, w.Code, string(w.Name),
			t.Status.Label(), t.Level.Label(), when(t.DueAt), when(t.ResolvedAt),
			ok, tickets.RatingLabel(t.Rating), res.Name.Masked(), cut(pii.MaskText(t.Text, res.Name), MaxText),
		})
	}
	return s
}

func changeSheet(title string, cs []population.ResidentChange) sheet.Sheet {
	s := sheet.Sheet{Name: ChangesSheet, Title: title, Print: true, Rows: [][]any{}, Columns: []sheet.Column{
		{Header: "变更时间", Width: 17}, {Header: "网格", Width: 14, Text: true}, {Header: "居民", Width: 10},
		{Header: "身份证号", Width: 20, Text: true}, {Header: "变更项", Width: 10},
		{Header: "变更前", Width: 16}, {Header: "变更后", Width: 16}, {Header: "登记人", Width: 10}, {Header: "说明", Width: 30},
	}}
	for _, c := range cs {
		s.Rows = append(s.Rows, []any{
			when(c.At), c.GridCode, c.Name.Masked(), c.IDMasked, c.Field.Label(),
			c.Field.Show(c.Before), c.Field.Show(c.After), c.By, pii.MaskText(c.Note, c.Name),
		})
	}
	return s
}

// when is t as the ledger prints it, in Asia/Shanghai; "" for none.
func when(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(assessment.Shanghai).Format("2006-01-02 15:04")
}

// maskedAddress keeps the estate and the building, the unit and the room
// starred: enough to find the household on the register, not the door.
func maskedAddress(a population.Address) string {
	if a.Unit != "" {
		a.Unit = "*"
	}
	if a.Room != "" {
		a.Room = "***"
	}
	return a.String()
}

// cut is s shortened to n characters, an ellipsis marking the cut.
func cut(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n]) + "…"
}
