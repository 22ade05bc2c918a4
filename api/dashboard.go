package api

import (
	"cmp"
	"context"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/gridcast/gridcast/access"
	"github.com/gridcast/gridcast/assessment"
	"github.com/gridcast/gridcast/campaigns"
	"github.com/gridcast/gridcast/dispatch"
	"github.com/gridcast/gridcast/outbound"
	"github.com/gridcast/gridcast/population"
	"github.com/gridcast/gridcast/tickets"
	"github.com/gridcast/gridcast/visits"
)

// DashboardStore is what the leaders' dashboard reads: the period's
// tickets, their departments' tasks in one read (or the city's dispatch
// figures), the month's visit figures, the campaigns and their funnels cut
// to the caller's grids, and the grid tree to group by. *store.Store
// satisfies it.
type DashboardStore interface {
	TicketsCreatedBetween(ctx context.Context, from, to time.Time, afterID int64, limit int) ([]tickets.Ticket, error)
	TasksOfTickets(ctx context.Context, ids []int64) ([]dispatch.Task, error)
	DispatchSummary(ctx context.Context, from, to, now time.Time) (dispatch.Summary, error)
	VisitInputs(ctx context.Context, month assessment.Period, cfg visits.Config) ([]assessment.Input, error)
	Campaigns(ctx context.Context, state campaigns.State, limit int) ([]campaigns.Campaign, error)
	// FunnelWithin counts the campaign's messages to residents of grids
	// (each with its subtree); no grids, all of them.
	FunnelWithin(ctx context.Context, campaignID int64, grids []string) (outbound.Funnel, error)
	Grids(ctx context.Context) ([]population.Grid, error)
}

// Dashboard is GET /api/v1/dashboard's answer: the figures of the
// caller's scope over [From, To).
type Dashboard struct {
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
	// Month is the month the visit coverage and the grades are of: the
	// one the period ends in.
	Month string `json:"month"`
	// By is the level the tickets are grouped at: grid for a community's
	// staff or narrower, community for a street's, street above.
	By          string                `json:"by"`
	Tickets     DashboardTickets      `json:"tickets"`
	Departments []DashboardDepartment `json:"departments"`
	Visits      DashboardVisits       `json:"visits"`
	Campaigns   []DashboardCampaign   `json:"campaigns"`
	// Channels is the delivery of the period's campaigns summed per
	// channel.
	Channels []DashboardChannel `json:"channels"`
	// Grades counts the workers of the scope by their 考核 grade for
	// Month; empty when 考核 is not configured.
	Grades []GradeCount `json:"grades"`
}

// DashboardTickets are the tickets created in the period.
type DashboardTickets struct {
	Total int `json:"total"`
	Open  int `json:"open"`
	// Overdue are the open ones past their deadline; Warned the open ones
	// within the SLA's warning time (预警) before it.
	Overdue    int              `json:"overdue"`
	Warned     int              `json:"warned"`
	ByStatus   []DashboardCount `json:"by_status"`
	ByCategory []DashboardCount `json:"by_category"`
	Units      []DashboardUnit  `json:"units"`
}

// DashboardCount is how many of something there are, by key and its
// Chinese label.
type DashboardCount struct {
	Key   string `json:"key"`
	Label string `json:"label"`
	Count int    `json:"count"`
}

// DashboardUnit is one grid's, community's or street's tickets.
type DashboardUnit struct {
	Code     string         `json:"code"`
	Name     string         `json:"name"`
	Total    int            `json:"total"`
	Open     int            `json:"open"`
	Overdue  int            `json:"overdue"`
	Warned   int            `json:"warned"`
	ByStatus map[string]int `json:"by_status"`
}

// DashboardDepartment is one department's tasks: for the whole city the
// tasks dispatched in the period (dispatch.Summary); for a narrower
// scope the tasks of the scope's tickets of the period.
type DashboardDepartment struct {
	Department string `json:"department"`
	Label      string `json:"label"`
	Tasks      int    `json:"tasks"`
	Open       int    `json:"open"`
	Overdue    int    `json:"overdue"`
	Returned   int    `json:"returned"`
	Resolved   int    `json:"resolved"`
}

// DashboardVisits is the month's visit coverage against the norms.
type DashboardVisits struct {
	Done    int                    `json:"done"`
	Due     int                    `json:"due"`
	Workers []DashboardVisitWorker `json:"workers"`
}

// DashboardVisitWorker is one grid worker's visits done and due. Worker
// names are public under 挂牌服务 and shown in clear.
type DashboardVisitWorker struct {
	Worker string `json:"worker"`
	Name   string `json:"name"`
	Grid   string `json:"grid"`
	Done   int    `json:"done"`
	Due    int    `json:"due"`
}

// DashboardCampaign is one campaign of the period that reaches into the
// caller's scope, with its reach and delivery per channel.
type DashboardCampaign struct {
	ID       int64              `json:"id"`
	Name     string             `json:"name"`
	State    string             `json:"state"`
	Label    string             `json:"state_label"`
	Targeted int                `json:"targeted"`
	Channels []DashboardChannel `json:"channels"`
}

// DashboardChannel is one channel's messages by where they stand.
type DashboardChannel struct {
	Channel   string `json:"channel"`
	Label     string `json:"label"`
	Pending   int    `json:"pending"`
	Sent      int    `json:"sent"`
	Delivered int    `json:"delivered"`
	Failed    int    `json:"failed"`
}

// maxDashboardDays is the longest period the dashboard counts.
const maxDashboardDays = 366

// dashboardCampaigns is how many recent campaigns the dashboard looks at.
const dashboardCampaigns = 200

// viewers are the roles that read the dashboard: the staff who answer
// for a grid, a community or a street (departments see their tasks).
var viewers = []access.Role{access.RoleOfficer, access.RoleAdmin, access.RoleViewer, access.RoleWorker}

func (s *server) mountDashboard(v1 mountFunc) {
	if s.cfg.Dashboard != nil {
		v1("GET /api/v1/dashboard", s.dashboard, viewers...)
	}
}

// dashboard serves GET /api/v1/dashboard?from=2026-12-01&to=2026-12-06:
// the figures of the caller's scope for the days from to to, both
// included (Asia/Shanghai; default this month so far). With format=xlsx
// the same figures download as a workbook, a sheet per table.
func (s *server) dashboard(w http.ResponseWriter, r *http.Request) {
	asXLSX, err := wantsXLSX(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out, err := s.dashboardOf(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if !asXLSX {
		writeJSON(w, http.StatusOK, out)
		return
	}
	loc := campaigns.Shanghai()
	from, to := out.From.In(loc).Format(time.DateOnly), out.To.Add(-time.Second).In(loc).Format(time.DateOnly)
	s.writeWorkbook(w, r, fmt.Sprintf("数据看板-%s至%s.xlsx", from, to), fmt.Sprintf("dashboard-%s_%s.xlsx", from, to),
		"dashboard:"+from+"_"+to, map[string]any{"scope": scopeOf(r), "by": out.By}, out.sheets()...)
}

// dashboardOf counts the figures of the request's caller and period.
func (s *server) dashboardOf(r *http.Request) (Dashboard, error) {
	now := s.cfg.Now()
	from, to, err := dashboardPeriod(r, now)
	if err != nil {
		return Dashboard{}, err
	}
	scope := scopeOf(r)
	st := s.cfg.Dashboard
	ctx := r.Context()
	grids, err := st.Grids(ctx)
	if err != nil {
		return Dashboard{}, err
	}
	tree := map[string]population.Grid{}
	for _, g := range grids {
		tree[g.Code] = g
	}
	level := dashboardLevel(scope, tree)
	last := to.Add(-time.Second)
	if last.After(now) {
		last = now
	}
	month := assessment.MonthOf(last.In(campaigns.Shanghai()))
	out := Dashboard{From: from, To: to, Month: month.String(), By: string(level),
		Departments: []DashboardDepartment{}, Campaigns: []DashboardCampaign{}, Channels: []DashboardChannel{}, Grades: []GradeCount{}}

	var mine []tickets.Ticket
	for after := int64(0); ; {
		page, err := st.TicketsCreatedBetween(ctx, from, to, after, 1000)
		if err != nil {
			return Dashboard{}, err
		}
		for _, t := range page {
			if scope.Covers(t.GridCode) {
				mine = append(mine, t)
			}
		}
		if len(page) < 1000 {
			break
		}
		after = page[len(page)-1].ID
	}
	out.Tickets = s.dashboardTickets(mine, tree, level, now)
	if out.Departments, err = s.dashboardDepartments(ctx, scope, mine, from, to, now); err != nil {
		return Dashboard{}, err
	}
	if out.Visits, err = s.dashboardVisits(ctx, scope, month); err != nil {
		return Dashboard{}, err
	}
	if out.Campaigns, out.Channels, err = s.dashboardCampaigns(ctx, scope, from, to); err != nil {
		return Dashboard{}, err
	}
	if s.cfg.Assessor != nil {
		rep, err := s.cfg.Assessor.Report(ctx, month, level, now, func(sc assessment.Score) bool { return scope.Covers(sc.Grid.Code) })
		if err != nil {
			return Dashboard{}, err
		}
		var order []string
		sums := map[string]GradeCount{}
		for _, g := range rep.Groups {
			for _, c := range g.Grades {
				if _, ok := sums[c.Grade.Name]; !ok {
					order = append(order, c.Grade.Name)
				}
				gc := sums[c.Grade.Name]
				gc.Grade, gc.Label, gc.Count = c.Grade.Name, c.Grade.Label, gc.Count+c.Count
				sums[c.Grade.Name] = gc
			}
		}
		for _, k := range order {
			out.Grades = append(out.Grades, sums[k])
		}
	}
	return out, nil
}

// dashboardPeriod reads from and to (days, both included, Asia/Shanghai)
// as [from, to).
func dashboardPeriod(r *http.Request, now time.Time) (time.Time, time.Time, error) {
	loc := campaigns.Shanghai()
	local := now.In(loc)
	from := time.Date(local.Year(), local.Month(), 1, 0, 0, 0, 0, loc)
	to := time.Date(local.Year(), local.Month(), local.Day()+1, 0, 0, 0, 0, loc)
	q := r.URL.Query()
	for _, p := range []struct {
		name string
		at   *time.Time
		next int
	}{{"from", &from, 0}, {"to", &to, 1}} {
		v := q.Get(p.name)
		if v == "" {
			continue
		}
		d, err := time.ParseInLocation(time.DateOnly, v, loc)
		if err != nil {
			return from, to, badRequest("%s %q: want a day such as 2026-12-01", "%s %q 无效：请填写日期，如 2026-12-01", p.name, v)
		}
		*p.at = d.AddDate(0, 0, p.next)
	}
	if !to.After(from) {
		return from, to, badRequest("the period ends before it starts", "统计时段的结束日期须不早于开始日期")
	}
	if to.Sub(from) > maxDashboardDays*24*time.Hour+time.Hour {
		return from, to, badRequest("the period is longer than %d days", "统计时段不能超过 %d 天", maxDashboardDays)
	}
	return from, to, nil
}

// dashboardLevel is the level the tickets of scope are grouped at: the
// grids of a community (or of a narrower scope), the communities of a
// street, the streets of anything wider.
func dashboardLevel(scope access.Scope, tree map[string]population.Grid) population.Level {
	widest := population.LevelGrid
	for _, code := range scope {
		l := population.LevelDistrict
		if g, ok := tree[code]; ok && code != access.All {
			l = g.Level
		}
		if l.Depth() < widest.Depth() {
			widest = l
		}
	}
	switch {
	case widest.Depth() >= population.LevelCommunity.Depth():
		return population.LevelGrid
	case widest == population.LevelStreet:
		return population.LevelCommunity
	}
	return population.LevelStreet
}

// unitOf is the grid, community or street at level that grid lies in;
// the grid itself when the tree does not say.
func unitOf(grid string, level population.Level, tree map[string]population.Grid) population.Grid {
	for code := grid; code != ""; {
		g, ok := tree[code]
		if !ok {
			break
		}
		if g.Level == level || g.Level.Depth() < level.Depth() {
			return g
		}
		code = g.ParentCode
	}
	if g, ok := tree[grid]; ok {
		return g
	}
	return population.Grid{Code: grid, Name: grid}
}

func (s *server) dashboardTickets(ts []tickets.Ticket, tree map[string]population.Grid, level population.Level, now time.Time) DashboardTickets {
	var sla tickets.SLA
	label := tickets.Category.Label
	if s.cfg.Desk != nil {
		sla, label = s.cfg.Desk.SLA(), s.cfg.Desk.CategoryLabel
	}
	out := DashboardTickets{ByStatus: []DashboardCount{}, ByCategory: []DashboardCount{}, Units: []DashboardUnit{}}
	status, category := map[string]int{}, map[string]int{}
	catLabel := map[string]string{}
	units := map[string]*DashboardUnit{}
	for _, t := range ts {
		st := t.Status
		if st == "" {
			st = tickets.StatusNew
		}
		open := st.Open()
		overdue := open && !t.DueAt.IsZero() && !now.Before(t.DueAt)
		warnAt := sla.WarnAt(t.DueAt)
		warned := open && !overdue && !warnAt.IsZero() && !now.Before(warnAt)
		g := unitOf(t.GridCode, level, tree)
		u := units[g.Code]
		if u == nil {
			u = &DashboardUnit{Code: g.Code, Name: cmp.Or(g.Name, g.Code), ByStatus: map[string]int{}}
			units[g.Code] = u
		}
		out.Total++
		out.Open += b2i(open)
		out.Overdue += b2i(overdue)
		out.Warned += b2i(warned)
		u.Total++
		u.Open += b2i(open)
		u.Overdue += b2i(overdue)
		u.Warned += b2i(warned)
		u.ByStatus[string(st)]++
		status[string(st)]++
		category[string(t.Category)]++
		catLabel[string(t.Category)] = label(t.Category)
	}
	for _, st := range []tickets.Status{tickets.StatusNew, tickets.StatusAssigned, tickets.StatusInProgress, tickets.StatusReplied,
		tickets.StatusResolved, tickets.StatusClosed, tickets.StatusArchived} {
		out.ByStatus = append(out.ByStatus, DashboardCount{Key: string(st), Label: st.Label(), Count: status[string(st)]})
	}
	for k, n := range category {
		out.ByCategory = append(out.ByCategory, DashboardCount{Key: k, Label: catLabel[k], Count: n})
	}
	slices.SortFunc(out.ByCategory, func(a, b DashboardCount) int { return cmp.Or(b.Count-a.Count, cmp.Compare(a.Key, b.Key)) })
	for _, u := range units {
		out.Units = append(out.Units, *u)
	}
	slices.SortFunc(out.Units, func(a, b DashboardUnit) int { return cmp.Compare(a.Code, b.Code) })
	return out
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// dashboardDepartments are the departments' tasks: the city's dispatch
// figures for a caller who sees the whole city, else those of the tasks
// of the scope's tickets (a department's task belongs to one ticket, so
// only the tickets say where it lies).
func (s *server) dashboardDepartments(ctx context.Context, scope access.Scope, ts []tickets.Ticket, from, to, now time.Time) ([]DashboardDepartment, error) {
	var figs []dispatch.Figures
	if scope.Everything() {
		sum, err := s.cfg.Dashboard.DispatchSummary(ctx, from, to, now)
		if err != nil {
			return nil, err
		}
		figs = sum.Departments
	} else {
		ids := make([]int64, len(ts))
		for i, t := range ts {
			ids[i] = t.ID
		}
		tasks, err := s.cfg.Dashboard.TasksOfTickets(ctx, ids)
		if err != nil {
			return nil, fmt.Errorf("api: dashboard: tasks of %d tickets: %w", len(ids), err)
		}
		by := map[string]*dispatch.Figures{}
		for _, k := range tasks {
			f := by[k.Department]
			if f == nil {
				f = &dispatch.Figures{Department: k.Department}
				by[k.Department] = f
			}
			f.Tasks++
			switch {
			case k.State.Open():
				f.Open++
				f.Overdue += b2i(k.Overdue(now))
			case k.State == dispatch.StateReturned:
				f.Returned++
			case k.State == dispatch.StateResolved:
				f.Resolved++
			case k.State == dispatch.StateCancelled:
				f.Cancelled++
			}
		}
		for _, f := range by {
			figs = append(figs, *f)
		}
	}
	out := []DashboardDepartment{}
	for _, f := range figs {
		label := f.Department
		for _, d := range s.departments() {
			if d.Code == f.Department {
				label = d.Name
			}
		}
		out = append(out, DashboardDepartment{Department: f.Department, Label: label, Tasks: f.Tasks, Open: f.Open,
			Overdue: f.Overdue, Returned: f.Returned, Resolved: f.Resolved})
	}
	slices.SortFunc(out, func(a, b DashboardDepartment) int { return cmp.Compare(a.Department, b.Department) })
	return out, nil
}

func (s *server) dashboardVisits(ctx context.Context, scope access.Scope, month assessment.Period) (DashboardVisits, error) {
	norms := s.visitService().Config
	in, err := s.cfg.Dashboard.VisitInputs(ctx, month, norms)
	if err != nil {
		return DashboardVisits{}, err
	}
	out := DashboardVisits{Workers: []DashboardVisitWorker{}}
	for _, i := range in {
		if !scope.Covers(i.Grid.Code) {
			continue
		}
		out.Done += i.VisitsDone
		out.Due += i.VisitsDue
		out.Workers = append(out.Workers, DashboardVisitWorker{Worker: i.Worker.Code, Name: string(i.Worker.Name), Grid: i.Grid.Code,
			Done: i.VisitsDone, Due: i.VisitsDue})
	}
	slices.SortFunc(out.Workers, func(a, b DashboardVisitWorker) int {
		return cmp.Or(cmp.Compare(a.Grid, b.Grid), cmp.Compare(a.Worker, b.Worker))
	})
	return out, nil
}

// dashboardCampaigns are the campaigns that ran in the period (scheduled
// before its end, not expired before its start, no longer a draft) and
// reach into scope, each with its reach and delivery counted over the
// messages to the scope's residents alone (a street's leader answers for
// the street's, not the city's), and the delivery summed per channel.
func (s *server) dashboardCampaigns(ctx context.Context, scope access.Scope, from, to time.Time) ([]DashboardCampaign, []DashboardChannel, error) {
	cs, err := s.cfg.Dashboard.Campaigns(ctx, "", dashboardCampaigns)
	if err != nil {
		return nil, nil, err
	}
	var grids []string
	if !scope.Everything() {
		grids = scope
	}
	out := []DashboardCampaign{}
	sums := map[population.Channel]*DashboardChannel{}
	for _, c := range cs {
		switch c.State {
		case "", campaigns.StateDraft:
			continue
		}
		start := c.ScheduleAt
		if start.IsZero() {
			start = c.CreatedAt
		}
		if !start.Before(to) || (!c.ExpiresAt.IsZero() && c.ExpiresAt.Before(from)) || !scope.Overlaps(campaignScope(c)) {
			continue
		}
		f, err := s.cfg.Dashboard.FunnelWithin(ctx, c.ID, grids)
		if err != nil {
			return nil, nil, err
		}
		dc := DashboardCampaign{ID: c.ID, Name: c.Name, State: string(c.State), Label: c.State.Label(), Targeted: f.Targeted, Channels: []DashboardChannel{}}
		for _, ch := range []population.Channel{population.ChannelSMS, population.ChannelWeChat} {
			cf, ok := f.ByChannel[ch]
			if !ok {
				continue
			}
			one := DashboardChannel{Channel: string(ch), Label: channelLabel(ch), Pending: cf.Pending + cf.Sending, Sent: cf.Sent,
				Delivered: cf.Delivered, Failed: cf.Failed}
			dc.Channels = append(dc.Channels, one)
			sum := sums[ch]
			if sum == nil {
				sum = &DashboardChannel{Channel: one.Channel, Label: one.Label}
				sums[ch] = sum
			}
			sum.Pending += one.Pending
			sum.Sent += one.Sent
			sum.Delivered += one.Delivered
			sum.Failed += one.Failed
		}
		out = append(out, dc)
	}
	channels := []DashboardChannel{}
	for _, ch := range []population.Channel{population.ChannelSMS, population.ChannelWeChat} {
		if sum := sums[ch]; sum != nil {
			channels = append(channels, *sum)
		}
	}
	return out, channels, nil
}

// channelLabel names a channel in Chinese.
func channelLabel(ch population.Channel) string {
	switch ch {
	case population.ChannelSMS:
		return "短信"
	case population.ChannelWeChat:
		return "微信"
	}
	return string(ch)
}
