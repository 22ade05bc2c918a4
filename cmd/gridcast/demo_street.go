package main

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"time"

	"github.com/gridcast/gridcast/campaigns"
	"github.com/gridcast/gridcast/desk"
	"github.com/gridcast/gridcast/dispatch"
	"github.com/gridcast/gridcast/outbound"
	"github.com/gridcast/gridcast/pii"
	"github.com/gridcast/gridcast/population"
	"github.com/gridcast/gridcast/tickets"
)

// runDemoStreet tells the field reports' path from the street to the
// department: a grid worker photographs a broken lift on their round and
// reports it for an elderly resident it strands; the street dispatches it
// to the department its category suggests; the department accepts and
// resolves it; the ticket comes back resolved, the worker hears the
// department's answer and the resident is told.
func (a *app) runDemoStreet(ctx context.Context, sv serving, community population.Grid, out io.Writer) (population.Resident, population.Worker, error) {
	st, dk := sv.store, sv.desk
	fmt.Fprintln(out, "\n16. From the street to the department: a grid worker's photo report (信息收集 → 分拨 → 办结 → 反馈)")
	elderly, err := st.SampleSegment(ctx, fmt.Sprintf("category:elderly_alone AND grid:%s*", community.Code), 1)
	if err != nil {
		return population.Resident{}, population.Worker{}, err
	}
	if len(elderly) == 0 {
		return population.Resident{}, population.Worker{}, fmt.Errorf("demo: no elderly resident living alone in %s", community.Code)
	}
	r := elderly[0]
	w, err := st.WorkerForGrid(ctx, r.GridCode, population.RoleGridWorker)
	if err != nil {
		return population.Resident{}, population.Worker{}, err
	}
	photo, err := demoPhoto()
	if err != nil {
		return population.Resident{}, population.Worker{}, err
	}
	rep, err := dk.Report(ctx, desk.Report{GridCode: r.GridCode, Text: "3号楼电梯停运三天，楼上独居老人无法下楼",
		Category: tickets.CategoryProperty, Source: tickets.SourcePatrol, By: string(w.Name), WorkerCode: w.Code,
		Location: tickets.Location{Address: "3号楼一单元"}, ResidentID: r.ID,
		Photos: []desk.Photo{{Name: "lift.png", Body: bytes.NewReader(photo)}}})
	if err != nil {
		return population.Resident{}, population.Worker{}, fmt.Errorf("demo: report: %w", err)
	}
	t := rep.Ticket
	fmt.Fprintf(out, "   %s %s reports on patrol in grid %s: ticket #%d, %s, %s, due %s\n", w.Code, w.Name.Masked(), t.GridCode, t.ID,
		t.Source.Label(), dk.CategoryLabel(t.Category), t.DueAt.In(campaigns.Shanghai()).Format("01-02 15:04"))
	for _, at := range rep.Attachments {
		fmt.Fprintf(out, "   photo kept in the blob store (%s): %s, %d bytes, with a thumbnail for the console\n", a.cfg.blobDriver(), at.ContentType, at.Size)
	}

	routes := a.cfg.routes()
	suggested := routes.Suggest(string(t.Category), a.cfg.departments())
	if len(suggested) == 0 {
		return population.Resident{}, population.Worker{}, fmt.Errorf("demo: no department suggested for %s", t.Category)
	}
	d := suggested[0]
	const street = "王芳" // street staff
	tasks, err := dk.Dispatch(ctx, t.ID, []dispatch.Task{{Department: d.Code, DueAt: time.Now().Add(72 * time.Hour),
		Note: "电梯停运，独居老人受困，请尽快维修"}}, street)
	if err != nil {
		return population.Resident{}, population.Worker{}, fmt.Errorf("demo: dispatch: %w", err)
	}
	task := tasks[0]
	fmt.Fprintf(out, "   the street (%s) dispatches it to the suggested department %s (%s), task #%d due %s\n", pii.Name(street).Masked(),
		d.Name, d.Code, task.ID, task.DueAt.In(campaigns.Shanghai()).Format("01-02 15:04"))
	const engineer = "张建国" // the department's engineer
	for _, m := range []dispatch.Move{{Action: dispatch.ActionAccept, By: engineer},
		{Action: dispatch.ActionResolve, By: engineer, Note: "电梯主板已更换，今日恢复运行"}} {
		if task, err = dk.MoveTask(ctx, task.ID, m); err != nil {
			return population.Resident{}, population.Worker{}, fmt.Errorf("demo: %s: %w", m.Action, err)
		}
		fmt.Fprintf(out, "   %s %s: the task is %s\n", d.Name, m.Action, task.State.Label())
	}
	if err := demoWait(ctx, 60*time.Second, func() (bool, error) {
		busy, err := deskBusy(ctx, st)
		return !busy, err
	}); err != nil {
		return population.Resident{}, population.Worker{}, err
	}
	if t, err = st.Ticket(ctx, t.ID); err != nil {
		return population.Resident{}, population.Worker{}, err
	}
	fmt.Fprintf(out, "   ticket #%d is %s\n", t.ID, t.Status)
	conv, err := st.Conversation(ctx, t.ID)
	if err != nil {
		return population.Resident{}, population.Worker{}, err
	}
	fmt.Fprintln(out, "   what the resident was told:")
	for _, e := range conv {
		if !e.Inbound && e.Purpose != outbound.PurposeNotify {
			fmt.Fprintf(out, "     ⇢ %s  %s (%s, %s): %s\n", e.At.In(campaigns.Shanghai()).Format("15:04:05"), e.Purpose, e.Route, e.Status,
				pii.MaskText(e.Text, r.Name, w.Name))
		}
	}
	evs, err := st.TaskEvents(ctx, task.ID)
	if err != nil {
		return population.Resident{}, population.Worker{}, err
	}
	fmt.Fprintln(out, "   the department's steps on the ticket's timeline:")
	for _, ev := range evs {
		fmt.Fprintf(out, "     %s  %-18s %s → %s by %s %s\n", ev.At.In(campaigns.Shanghai()).Format("15:04:05"), ev.Action, ev.From.Label(),
			ev.To.Label(), pii.Name(ev.Actor).Masked(), ev.Note)
	}
	sum, err := dk.DispatchStats(ctx, time.Now().Add(-time.Hour), time.Now().Add(time.Minute))
	if err != nil {
		return population.Resident{}, population.Worker{}, err
	}
	for _, f := range sum.Departments {
		fmt.Fprintf(out, "   figures, as `gridcast tickets stats --dispatch` shows them: %s %d task, %d resolved, %d open, %d overdue\n",
			dk.DepartmentName(f.Department), f.Tasks, f.Resolved, f.Open, f.Overdue)
	}
	return r, w, nil
}

// demoPhoto draws the photo the demo's worker takes: a small PNG.
func demoPhoto() ([]byte, error) {
	img := image.NewRGBA(image.Rect(0, 0, 320, 240))
	for y := range 240 {
		for x := range 320 {
			c := color.RGBA{R: 180, G: 180, B: 175, A: 255} // the lift's doors
			if x > 100 && x < 220 && y > 30 {
				c = color.RGBA{R: 120, G: 125, B: 130, A: 255}
			}
			if x > 158 && x < 162 && y > 30 {
				c = color.RGBA{R: 40, G: 40, B: 40, A: 255}
			}
			img.Set(x, y, c)
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}
