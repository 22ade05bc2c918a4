package desk_test

import (
	"strings"
	"testing"
	"time"

	"github.com/gridcast/gridcast/desk"
	"github.com/gridcast/gridcast/outbound"
	"github.com/gridcast/gridcast/population"
	"github.com/gridcast/gridcast/tickets"
)

// ackFor is the acknowledgement the desk queued on ticket id, its SMS parts
// joined.
func (f *fixture) ackFor(t *testing.T, id int64) string {
	t.Helper()
	var b strings.Builder
	for _, m := range f.queued(t) {
		if m.TicketID == id && m.Purpose == outbound.PurposeAck {
			b.WriteString(m.Text)
		}
	}
	return b.String()
}

// An emergency is answered at once with the number to call and goes
// straight to the grid leader with a deadline of hours, not the grid
// worker's queue with days; the community's duty officer is alerted too.
func TestEmergencies(t *testing.T) {
	for i, tc := range []struct {
		text, call string
		category   tickets.Category
	}{
		{"厨房里一股天然气味，好像漏气了", "119", tickets.CategoryHeatingGas},
		{"楼下的配电箱着火了，好多烟", "119", tickets.CategorySafety},
		{"我家老人走丢了，早上出门到现在没回来", "110", tickets.CategoryElderlyCare},
		{"楼下两个人拿着刀在吵，吓人", "110", tickets.CategoryPublicSecurity},
		{"对门的大爷在楼道里摔倒了，头上流血", "120", ""},
	} {
		t.Run(tc.call+"/"+tc.text, func(t *testing.T) {
			f := newFixture(t)
			r := f.smsOnly(t, 0)
			gw, leader := f.worker(t, r, population.RoleGridWorker), f.worker(t, r, population.RoleGridLeader)
			tk := f.sms(t, r, "e"+string(rune('0'+i)), tc.text)
			if tc.category != "" && tk.Category != tc.category {
				t.Errorf("category %s, want %s", tk.Category, tc.category)
			}
			if tk.Level != tickets.LevelGridLeader || tk.AssigneeWorkerID != leader.ID || tk.AssigneeWorkerID == gw.ID {
				t.Errorf("ticket %+v; want the grid leader %d", tk, leader.ID)
			}
			if want := f.clock().Add(tickets.DefaultEmergencyDeadline); !tk.DueAt.Equal(want) {
				t.Errorf("due %s, want %s (two hours)", tk.DueAt, want)
			}
			duty := f.worker(t, r, population.RoleCommunity)
			for _, who := range []population.Worker{leader, duty} {
				if len(f.notices(t, 0, tk.ID, who.ID)) == 0 {
					t.Errorf("%s %d was not alerted to the emergency", who.Role, who.ID)
				}
			}
			if n := f.notices(t, 0, tk.ID, gw.ID); len(n) != 0 {
				t.Errorf("the grid worker's queue got the emergency: %d notices", len(n))
			}
			ack := f.ackFor(t, tk.ID)
			if !strings.HasPrefix(ack, "【紧急】如情况危急请立即拨打"+tc.call) || !strings.Contains(ack, "网格长") {
				t.Errorf("acknowledgement %q: want the number %s first and the grid leader named", ack, tc.call)
			}
			evs, err := f.st.TicketEvents(t.Context(), tk.ID)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(evs[0].Note, "urgency: emergency") || !strings.Contains(evs[0].Note, "call "+tc.call) {
				t.Errorf("created event note %q: want the emergency recorded", evs[0].Note)
			}
		})
	}
}

// An ordinary message keeps the category's deadline and the grid worker.
func TestNotAnEmergency(t *testing.T) {
	f := newFixture(t)
	r := f.smsOnly(t, 0)
	tk := f.sms(t, r, "n1", "暖气不热，家里才十四度")
	gw := f.worker(t, r, population.RoleGridWorker)
	if tk.Level != tickets.LevelGridWorker || tk.AssigneeWorkerID != gw.ID ||
		!tk.DueAt.Equal(f.clock().Add(tickets.DefaultDeadlines[tickets.CategoryHeatingGas])) {
		t.Errorf("ticket %+v; want the grid worker with the heating deadline", tk)
	}
	if ack := f.ackFor(t, tk.ID); strings.Contains(ack, "紧急") {
		t.Errorf("acknowledgement %q treats it as an emergency", ack)
	}
}

// An emergency from a resident with a ticket open is not a follow-up: it
// opens its own ticket with the grid leader.
func TestEmergencyWithATicketOpen(t *testing.T) {
	f := newFixture(t)
	r := f.smsOnly(t, 0)
	first := f.sms(t, r, "o1", "楼道灯坏了一个月了")
	f.now.Add(int64(time.Hour))
	gas := f.sms(t, r, "o2", "楼下燃气表那里有煤气味，很呛")
	if gas.ID == first.ID || gas.Level != tickets.LevelGridLeader {
		t.Errorf("gas leak %+v joined ticket %d; want a ticket of its own with the grid leader", gas, first.ID)
	}
}

// An unknown WeChat follower reporting an emergency is told the number to
// call even though no ticket can be opened.
func TestEmergencyFromUnknownSender(t *testing.T) {
	f := newFixture(t)
	out, err := f.desk.Handle(t.Context(), desk.Message{Channel: population.ChannelWeChat, ProviderMsgID: "u1", From: "o-unknown-follower", Kind: desk.KindText, Text: "救命，有人在楼道里打人"})
	if err != nil {
		t.Fatal(err)
	}
	if out.TicketID != 0 {
		t.Errorf("a ticket for an unknown sender: %+v", out)
	}
	var texts []string
	for _, m := range f.queued(t) {
		texts = append(texts, m.Text)
	}
	if len(texts) != 1 || !strings.Contains(texts[0], "110") {
		t.Errorf("answers %q: want one telling them to call 110", texts)
	}
}

// A worker marks a ticket complex (more time) or an emergency (the grid
// leader, two hours); the timeline records each change.
func TestSetUrgency(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	r := f.smsOnly(t, 0)
	leader := f.worker(t, r, population.RoleGridLeader)
	tk := f.sms(t, r, "s1", "隔壁在楼顶搭违建，已经盖了两层了")
	created := tk.CreatedAt

	got, err := f.desk.SetUrgency(ctx, tk.ID, "复杂", "王芳", "要城管和街道一起处理")
	if err != nil {
		t.Fatal(err)
	}
	if want := created.Add(tickets.DefaultComplexDeadline); !got.DueAt.Equal(want) {
		t.Errorf("complex: due %s, want %s", got.DueAt, want)
	}
	got, err = f.desk.SetUrgency(ctx, tk.ID, "normal", "王芳", "")
	if err != nil {
		t.Fatal(err)
	}
	if want := created.Add(tickets.DefaultDeadlines[got.Category]); !got.DueAt.Equal(want) {
		t.Errorf("normal: due %s, want %s", got.DueAt, want)
	}
	f.now.Add(int64(time.Hour))
	got, err = f.desk.SetUrgency(ctx, tk.ID, "emergency", "王芳", "墙要塌了")
	if err != nil {
		t.Fatal(err)
	}
	if got.Level != tickets.LevelGridLeader || got.AssigneeWorkerID != leader.ID || !got.DueAt.Equal(f.clock().Add(tickets.DefaultEmergencyDeadline)) {
		t.Errorf("emergency: %+v; want the grid leader within two hours", got)
	}
	evs, err := f.st.TicketEvents(ctx, tk.ID)
	if err != nil {
		t.Fatal(err)
	}
	var changes []string
	for _, ev := range evs {
		if ev.Kind == tickets.EventUrgency {
			changes = append(changes, ev.From+"→"+ev.To)
		}
	}
	if strings.Join(changes, " ") != "normal→complex complex→normal normal→emergency" {
		t.Errorf("urgency changes on the timeline: %q", changes)
	}
	if tickets.UrgencyOf(evs) != tickets.UrgencyEmergency {
		t.Errorf("UrgencyOf = %s", tickets.UrgencyOf(evs))
	}
	if _, err := f.desk.SetUrgency(ctx, tk.ID, "紧急", "王芳", ""); err == nil {
		t.Error("the same urgency twice was accepted")
	}
	if _, err := f.desk.SetUrgency(ctx, tk.ID, "later", "王芳", ""); err == nil || !strings.Contains(err.Error(), "want emergency, normal or complex") {
		t.Errorf("unknown urgency: %v", err)
	}
}
