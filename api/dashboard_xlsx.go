package api

import (
	"fmt"
	"time"

	"github.com/gridcast/gridcast/campaigns"
	"github.com/gridcast/gridcast/sheet"
)

// sheets are the dashboard's tables as worksheets, in the order and with
// the headings the console shows them.
func (d Dashboard) sheets() []sheet.Sheet {
	unit := map[string]string{"grid": "网格", "community": "社区", "street": "街道"}[d.By]
	if unit == "" {
		unit = "网格"
	}
	loc := campaigns.Shanghai()
	tk := d.Tickets
	summary := sheet.Sheet{Name: "概况", Title: "数据看板", Columns: []sheet.Column{{Header: "项目", Width: 18}, {Header: "数值", Width: 24}},
		Rows: [][]any{
			{"统计时段", d.From.In(loc).Format(time.DateOnly) + " 至 " + d.To.Add(-time.Second).In(loc).Format(time.DateOnly)},
			{"工单总数", tk.Total}, {"未办结", tk.Open}, {"已超期", tk.Overdue}, {"临期预警", tk.Warned},
			{"走访月份", d.Month}, {"已走访", d.Visits.Done}, {"应走访", d.Visits.Due}, {"走访完成率", percent(d.Visits.Done, d.Visits.Due)},
		}}
	counts := func(name, head string, cs []DashboardCount) sheet.Sheet {
		sh := sheet.Sheet{Name: name, Columns: []sheet.Column{{Header: head, Width: 16}, {Header: "数量"}}}
		for _, c := range cs {
			sh.Rows = append(sh.Rows, []any{c.Label, c.Count})
		}
		return sh
	}
	units := sheet.Sheet{Name: "各" + unit + "工单", Columns: []sheet.Column{{Header: unit + "编码", Width: 16, Text: true}, {Header: unit, Width: 18},
		{Header: "工单"}, {Header: "未办结"}, {Header: "已超期"}, {Header: "临期预警"}}}
	for _, c := range tk.ByStatus {
		units.Columns = append(units.Columns, sheet.Column{Header: c.Label})
	}
	for _, u := range tk.Units {
		row := []any{u.Code, u.Name, u.Total, u.Open, u.Overdue, u.Warned}
		for _, c := range tk.ByStatus {
			row = append(row, u.ByStatus[c.Key])
		}
		units.Rows = append(units.Rows, row)
	}
	depts := sheet.Sheet{Name: "部门任务", Columns: []sheet.Column{{Header: "部门", Width: 16}, {Header: "任务"}, {Header: "待办"},
		{Header: "超期"}, {Header: "退回"}, {Header: "办结"}}}
	for _, x := range d.Departments {
		depts.Rows = append(depts.Rows, []any{x.Label, x.Tasks, x.Open, x.Overdue, x.Returned, x.Resolved})
	}
	visited := sheet.Sheet{Name: "走访覆盖", Columns: []sheet.Column{{Header: "网格员", Width: 12}, {Header: "编号", Width: 18, Text: true},
		{Header: "网格", Width: 16, Text: true}, {Header: "已访"}, {Header: "应访"}, {Header: "完成率"}}}
	for _, w := range d.Visits.Workers {
		visited.Rows = append(visited.Rows, []any{w.Name, w.Worker, w.Grid, w.Done, w.Due, percent(w.Done, w.Due)})
	}
	delivery := []sheet.Column{{Header: "待发送"}, {Header: "已发送"}, {Header: "已送达"}, {Header: "失败"}}
	channels := sheet.Sheet{Name: "活动触达", Columns: append([]sheet.Column{{Header: "渠道"}}, delivery...)}
	for _, c := range d.Channels {
		channels.Rows = append(channels.Rows, []any{c.Label, c.Pending, c.Sent, c.Delivered, c.Failed})
	}
	camps := sheet.Sheet{Name: "本期活动", Columns: append([]sheet.Column{{Header: "活动编号"}, {Header: "活动", Width: 24}, {Header: "状态"},
		{Header: "目标人数"}, {Header: "渠道"}}, delivery...)}
	for _, c := range d.Campaigns {
		if len(c.Channels) == 0 {
			camps.Rows = append(camps.Rows, []any{c.ID, c.Name, c.Label, c.Targeted})
		}
		for _, ch := range c.Channels {
			camps.Rows = append(camps.Rows, []any{c.ID, c.Name, c.Label, c.Targeted, ch.Label, ch.Pending, ch.Sent, ch.Delivered, ch.Failed})
		}
	}
	grades := sheet.Sheet{Name: "考核等级", Columns: []sheet.Column{{Header: "等级"}, {Header: "人数"}}}
	for _, g := range d.Grades {
		grades.Rows = append(grades.Rows, []any{g.Label, g.Count})
	}
	return []sheet.Sheet{summary, counts("工单状态", "状态", tk.ByStatus), counts("工单类别", "类别", tk.ByCategory), units,
		depts, visited, channels, camps, grades}
}

// percent is done of due as a whole percentage, "—" when nothing is due.
func percent(done, due int) string {
	if due <= 0 {
		return "—"
	}
	return fmt.Sprintf("%d%%", (100*done+due/2)/due)
}
