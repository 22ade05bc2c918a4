package ledger_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/gridcast/gridcast/access"
	"github.com/gridcast/gridcast/assessment"
	"github.com/gridcast/gridcast/ledger"
	"github.com/gridcast/gridcast/population"
	"github.com/gridcast/gridcast/tickets"
	"github.com/gridcast/gridcast/visits"
)

// fake is a Source over slices, filtering as the store does.
type fake struct {
	records   []visits.Record
	tickets   []tickets.Ticket
	changes   []population.ResidentChange
	residents map[int64]population.Resident
	workers   []population.Worker
	grids     []population.Grid
	// pages counts TicketsCreatedBetween calls.
	pages int
}

func under(code, root string) bool { return code == root || strings.HasPrefix(code, root+"-") }

func (f *fake) RegisterRecords(_ context.Context, grid string, workerID int64, from, to time.Time) ([]visits.Record, error) {
	var out []visits.Record
	for _, r := range f.records {
		if (under(r.GridCode, grid) || r.WorkerID == workerID) && !r.VisitedAt.Before(from) && r.VisitedAt.Before(to) {
			out = append(out, r)
		}
	}
	return out, nil
}

func (f *fake) TicketsCreatedBetween(_ context.Context, from, to time.Time, afterID int64, limit int) ([]tickets.Ticket, error) {
	f.pages++
	var out []tickets.Ticket
	for _, t := range f.tickets {
		if t.ID > afterID && !t.CreatedAt.Before(from) && t.CreatedAt.Before(to) && len(out) < limit {
			out = append(out, t)
		}
	}
	return out, nil
}

func (f *fake) ChangesSince(_ context.Context, since time.Time, afterID int64, limit int, _ bool) ([]population.ResidentChange, error) {
	var out []population.ResidentChange
	for _, c := range f.changes {
		if c.ID > afterID && !c.At.Before(since) && len(out) < limit {
			out = append(out, c)
		}
	}
	return out, nil
}

func (f *fake) Residents(_ context.Context, ids []int64) (map[int64]population.Resident, error) {
	out := map[int64]population.Resident{}
	for _, id := range ids {
		if r, ok := f.residents[id]; ok {
			out[id] = r
		}
	}
	return out, nil
}

func (f *fake) Workers(context.Context) ([]population.Worker, error) { return f.workers, nil }
func (f *fake) Grids(context.Context) ([]population.Grid, error)     { return f.grids, nil }

var nov = assessment.Period{Kind: assessment.Month, Year: 2026, N: 11}

func at(day, hour int) time.Time {
	return time.Date(2026, 11, day, hour, 30, 0, 0, assessment.Shanghai)
}

func fixture() *fake {
	liu := population.Resident{ID: 1, Name: "刘秀英", Phone: "13800138000", IDNumber: "320102195001011234", GridCode: "NY-01-01-01",
		Address: population.Address{Community: "柳岸小区", Building: "3", Unit: "2", Room: "501"}}
	chen := population.Resident{ID: 2, Name: "陈建国", Phone: "13900139000", GridCode: "NY-02-01-01",
		Address: population.Address{Community: "西街小区", Building: "1", Unit: "1", Room: "101"}}
	return &fake{
		residents: map[int64]population.Resident{1: liu, 2: chen},
		workers:   []population.Worker{{ID: 7, Code: "W-01", Name: "王芳", GridCode: "NY-01-01-01"}, {ID: 8, Code: "W-02", Name: "周杰", GridCode: "NY-02-01-01"}},
		grids:     []population.Grid{{Code: "NY"}, {Code: "NY-01", ParentCode: "NY"}, {Code: "NY-02", ParentCode: "NY"}},
		records: []visits.Record{
			{ID: 1, WorkerID: 7, ResidentID: 1, GridCode: "NY-01-01-01", Kind: visits.InPerson, VisitedAt: at(3, 9),
				Notes: "刘秀英腿脚不便，女儿电话13712345678", Photos: []visits.Photo{{Key: "a"}, {Key: "b"}}},
			{ID: 2, WorkerID: 8, ResidentID: 2, GridCode: "NY-02-01-01", Kind: visits.NotHome, VisitedAt: at(2, 15)},
			{ID: 3, WorkerID: 7, ResidentID: 1, GridCode: "NY-01-01-01", Kind: visits.Phone, VisitedAt: at(1, 0).Add(-time.Hour)}, // October
		},
		tickets: []tickets.Ticket{
			{ID: 10, ResidentID: 1, GridCode: "NY-01-01-01", Text: "我是刘秀英，身份证320102195001011234，楼道灯坏了很久了，晚上上下楼很不方便，希望尽快派人来修一修，谢谢网格员，另外三楼的扶手也松了，一并看看吧",
				Category: tickets.CategoryOther, AssigneeWorkerID: 7, Status: tickets.StatusResolved, CreatedAt: at(4, 10),
				DueAt: at(6, 10), ResolvedAt: at(5, 10), Rating: 5},
			{ID: 11, GridCode: "NY-01-01-01", Source: tickets.SourcePatrol, Text: "消防通道堵塞", Category: tickets.CategoryOther,
				Status: tickets.StatusResolved, CreatedAt: at(4, 11), DueAt: at(5, 11), ResolvedAt: at(20, 11)},
			{ID: 12, ResidentID: 2, GridCode: "NY-02-01-01", Text: "咨询低保", CreatedAt: at(5, 9), DueAt: at(7, 9)},
			{ID: 13, GridCode: "NY-01-01-01", Text: "未办结", Category: tickets.CategoryOther, CreatedAt: at(6, 9), DueAt: at(8, 9)},
		},
		changes: []population.ResidentChange{
			{Change: population.Change{ID: 1, ResidentID: 1, GridCode: "NY-01-01-01", Field: population.FieldPhone, Before: "13800138000",
				After: "13812345678", By: "王芳", At: at(9, 14), Note: "刘秀英本人告知"}, Name: "刘秀英", IDMasked: "3201**********1234"},
			{Change: population.Change{ID: 2, ResidentID: 1, GridCode: "NY-01-01-01", Field: population.FieldStatus, Before: "active",
				After: "deceased", By: "王芳", At: at(8, 14)}, Name: "刘秀英", IDMasked: "3201**********1234"},
			{Change: population.Change{ID: 3, ResidentID: 2, GridCode: "NY-02-01-01", Field: population.FieldLiving, After: "alone",
				By: "周杰", At: at(8, 15)}, Name: "陈建国"},
			{Change: population.Change{ID: 4, ResidentID: 1, GridCode: "NY-01-01-01", Field: population.FieldHealth, After: "高血压",
				By: "王芳", At: time.Date(2026, 12, 1, 0, 0, 0, 0, assessment.Shanghai)}, Name: "刘秀英"}, // December
		},
	}
}

// A street's ledger for November: its visits, tickets and changes, in
// time order, residents masked, the worker in clear, the on-time column
// from the rule given; nothing of the other street or of another month.
func TestBuildStreet(t *testing.T) {
	t.Parallel()
	src := fixture()
	onTime := func(tk tickets.Ticket) bool { return !tk.ResolvedAt.After(tk.DueAt) }
	sheets, err := ledger.Builder{Source: src, OnTime: onTime}.Build(t.Context(), nov, access.Scope{"NY-01"})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, s := range sheets {
		names = append(names, s.Name)
		if !s.Print || s.Title != "台账 2026年11月" {
			t.Errorf("%s: print %v, title %q", s.Name, s.Print, s.Title)
		}
	}
	if d := cmp.Diff([]string{ledger.VisitsSheet, ledger.TicketsSheet, ledger.ChangesSheet}, names); d != "" {
		t.Fatalf("sheets (-want +got):\n%s", d)
	}
	wantVisits := [][]any{{"2026-11-03 09:30", "NY-01-01-01", "W-01", "王芳", "柳岸小区 3栋*单元***", "刘**", "入户走访",
		"刘**腿脚不便，女儿电话137****5678", 2}}
	if d := cmp.Diff(wantVisits, sheets[0].Rows); d != "" {
		t.Errorf("走访台账 (-want +got):\n%s", d)
	}
	wantTickets := [][]any{
		{int64(10), "2026-11-04 10:30", "居民反映", "其他", "NY-01-01-01", "W-01", "王芳", "已解决", "网格员", "2026-11-06 10:30",
			"2026-11-05 10:30", "是", "满意", "刘**", "我是刘**，身份证3201**********1234，楼道灯坏了很久了，晚上上下楼很不方便，希望尽快派人来修一修，谢谢…"},
		{int64(11), "2026-11-04 11:30", "网格巡查", "其他", "NY-01-01-01", "", "", "已解决", "网格员", "2026-11-05 11:30",
			"2026-11-20 11:30", "否", "", "", "消防通道堵塞"},
		{int64(13), "2026-11-06 09:30", "居民反映", "其他", "NY-01-01-01", "", "", "新建", "网格员", "2026-11-08 09:30",
			"", "—", "", "", "未办结"},
	}
	if d := cmp.Diff(wantTickets, sheets[1].Rows); d != "" {
		t.Errorf("工单台账 (-want +got):\n%s", d)
	}
	wantChanges := [][]any{
		{"2026-11-08 14:30", "NY-01-01-01", "刘**", "3201**********1234", "人员状态", "active 在册", "deceased 死亡", "王芳", ""},
		{"2026-11-09 14:30", "NY-01-01-01", "刘**", "3201**********1234", "联系电话", "138****8000", "138****5678", "王芳", "刘**本人告知"},
	}
	if d := cmp.Diff(wantChanges, sheets[2].Rows); d != "" {
		t.Errorf("活户籍台账 (-want +got):\n%s", d)
	}
	for _, s := range sheets {
		for _, row := range s.Rows {
			for _, cell := range row {
				str, _ := cell.(string)
				for _, clear := range []string{"刘秀英", "13800138000", "13712345678", "13812345678", "320102195001011234", "501"} {
					if strings.Contains(str, clear) {
						t.Errorf("%s: %q shows %q in clear", s.Name, str, clear)
					}
				}
			}
		}
	}
}

// The whole city reads every district's visits; a grid reads its own; a
// nil scope reads nothing; tickets are read page by page to the end.
func TestBuildScopes(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name                     string
		scope                    access.Scope
		visits, tickets, changes int
	}{
		{"city", access.Scope{access.All}, 2, 4, 3},
		{"the other street's grid", access.Scope{"NY-02-01-01"}, 1, 1, 1},
		{"two grids, one under the other", access.Scope{"NY-01", "NY-01-01"}, 1, 3, 2},
		{"nothing", nil, 0, 0, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			sheets, err := ledger.Builder{Source: fixture()}.Build(t.Context(), nov, tc.scope)
			if err != nil {
				t.Fatal(err)
			}
			got := []int{len(sheets[0].Rows), len(sheets[1].Rows), len(sheets[2].Rows)}
			if d := cmp.Diff([]int{tc.visits, tc.tickets, tc.changes}, got); d != "" {
				t.Errorf("rows per sheet (-want +got):\n%s", d)
			}
		})
	}

	src := fixture()
	src.tickets = nil
	for i := range 2500 {
		src.tickets = append(src.tickets, tickets.Ticket{ID: int64(i + 1), GridCode: "NY-01-01", CreatedAt: at(10, 9), DueAt: at(12, 9)})
	}
	sheets, err := ledger.Builder{Source: src}.Build(t.Context(), nov, access.Scope{"NY-01"})
	if err != nil {
		t.Fatal(err)
	}
	if len(sheets[1].Rows) != 2500 || src.pages != 3 {
		t.Errorf("%d tickets in %d pages, want 2500 in 3", len(sheets[1].Rows), src.pages)
	}
}
