package metrics_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/redis/go-redis/v9"

	"github.com/gridcast/gridcast/dispatch"
	"github.com/gridcast/gridcast/gateway"
	"github.com/gridcast/gridcast/internal/testlog"
	"github.com/gridcast/gridcast/metrics"
	"github.com/gridcast/gridcast/outbound"
	"github.com/gridcast/gridcast/pii"
	"github.com/gridcast/gridcast/population"
	"github.com/gridcast/gridcast/queue"
	"github.com/gridcast/gridcast/tickets"
)

// sample finds the series of family name whose labels include want, in a
// fresh gather of reg; ok is false when there is none.
func sample(t *testing.T, reg prometheus.Gatherer, name string, want map[string]string) (*dto.Metric, bool) {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatalf("gather: %v", err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	next:
		for _, m := range mf.GetMetric() {
			got := map[string]string{}
			for _, lp := range m.GetLabel() {
				got[lp.GetName()] = lp.GetValue()
			}
			for k, v := range want {
				if got[k] != v {
					continue next
				}
			}
			return m, true
		}
	}
	return nil, false
}

// value is the counter or gauge value of a series, 0 when it is absent.
func value(t *testing.T, reg prometheus.Gatherer, name string, labels map[string]string) float64 {
	t.Helper()
	m, ok := sample(t, reg, name, labels)
	if !ok {
		return 0
	}
	if m.Counter != nil {
		return m.Counter.GetValue()
	}
	return m.Gauge.GetValue()
}

func newSet(t *testing.T) (*metrics.Set, *prometheus.Registry) {
	t.Helper()
	reg := metrics.NewRegistry()
	s, err := metrics.New(reg)
	if err != nil {
		t.Fatal(err)
	}
	return s, reg
}

func TestObserveMove(t *testing.T) {
	s, reg := newSet(t)
	sms, wx := population.ChannelSMS, population.ChannelWeChat
	for _, mv := range []queue.Move{
		{Channel: sms, To: outbound.StatusSent, Code: "OK"},
		{Channel: sms, To: outbound.StatusSent, Code: "OK"},
		{Channel: sms, To: outbound.StatusDelivered, Code: "DELIVERED"},
		{Channel: wx, To: outbound.StatusFailed, Code: "43004"},
		{Channel: sms, To: outbound.StatusSkipped, Reason: string(outbound.SkipOptedOut)},
		{Channel: sms, To: outbound.StatusPending, Reason: outbound.WaitQuietHours},
		{Channel: sms, To: outbound.StatusPending, Reason: outbound.WaitRetry + ":isp.SYSTEM_ERROR"},
	} {
		s.ObserveMove(mv)
	}
	for _, tc := range []struct {
		labels map[string]string
		want   float64
	}{
		{map[string]string{"channel": "sms", "status": "sent", "code": "OK", "reason": ""}, 2},
		{map[string]string{"channel": "sms", "status": "delivered", "code": "DELIVERED"}, 1},
		{map[string]string{"channel": "wechat", "status": "failed", "code": "43004"}, 1},
		{map[string]string{"channel": "sms", "status": "skipped", "reason": "opted_out"}, 1},
		{map[string]string{"channel": "sms", "status": "rescheduled", "reason": "quiet_hours", "code": ""}, 1},
		{map[string]string{"channel": "sms", "status": "rescheduled", "reason": "retry", "code": "isp.SYSTEM_ERROR"}, 1},
	} {
		if got := value(t, reg, "gridcast_messages_moved_total", tc.labels); got != tc.want {
			t.Errorf("gridcast_messages_moved_total%v = %v, want %v", tc.labels, got, tc.want)
		}
	}
}

// A provider that invents codes cannot grow the series without bound.
func TestCodesAreCapped(t *testing.T) {
	s, reg := newSet(t)
	for i := range metrics.MaxCodes + 20 {
		s.ObserveMove(queue.Move{Channel: population.ChannelSMS, To: outbound.StatusFailed, Code: "E" + strconv.Itoa(i)})
	}
	s.ObserveMove(queue.Move{Channel: population.ChannelSMS, To: outbound.StatusFailed, Code: "E0"})
	if got := value(t, reg, "gridcast_messages_moved_total", map[string]string{"code": metrics.Other}); got != 20 {
		t.Errorf("codes past the cap counted as other: %v, want 20", got)
	}
	if got := value(t, reg, "gridcast_messages_moved_total", map[string]string{"code": "E0"}); got != 2 {
		t.Errorf("a code seen before the cap keeps its series: %v, want 2", got)
	}
}

// fakeSender answers with err after a short pause.
type fakeSender struct{ err error }

func (f fakeSender) Send(context.Context, gateway.SMS) (gateway.SMSAccepted, error) {
	time.Sleep(15 * time.Millisecond)
	return gateway.SMSAccepted{BizID: "b"}, f.err
}

func (f fakeSender) SendBatch(context.Context, []gateway.SMS) (gateway.SMSAccepted, error) {
	return gateway.SMSAccepted{}, f.err
}

func (f fakeSender) QueryDetails(context.Context, pii.Phone, string, time.Time) ([]gateway.SMSDetail, error) {
	return nil, f.err
}

func (f fakeSender) SendTemplate(context.Context, gateway.TemplateMessage) (int64, error) {
	return 7, f.err
}
func (f fakeSender) SendText(context.Context, pii.OpenID, string) error { return f.err }

func TestProviderCalls(t *testing.T) {
	s, reg := newSet(t)
	ctx := t.Context()
	for _, tc := range []struct {
		err     error
		outcome string
	}{
		{nil, "ok"},
		{&gateway.SendError{Class: gateway.Quota, Code: "isv.AMOUNT_NOT_ENOUGH"}, "quota"},
		{fmt.Errorf("wrapped: %w", &gateway.SendError{Class: gateway.Throttled, Code: "Throttling.User"}), "throttled"},
		{&gateway.SendError{Class: gateway.Retryable, Code: gateway.CodeAmbiguous}, "ambiguous"},
		{errors.New("dial tcp: refused"), "error"},
	} {
		sms := s.SMS(fakeSender{tc.err})
		acc, err := sms.Send(ctx, gateway.SMS{})
		if !errors.Is(err, tc.err) || acc.BizID != "b" {
			t.Errorf("the decorator changed the answer: %+v, %v", acc, err)
		}
		m, ok := sample(t, reg, "gridcast_provider_call_duration_seconds",
			map[string]string{"provider": "aliyun_sms", "operation": "send", "outcome": tc.outcome})
		if !ok || m.Histogram.GetSampleCount() != 1 || m.Histogram.GetSampleSum() < 0.015 {
			t.Errorf("outcome %s: %v, want one call of at least 15ms", tc.outcome, m)
		}
	}
	wx := s.WeChat(fakeSender{})
	if id, err := wx.SendTemplate(ctx, gateway.TemplateMessage{}); id != 7 || err != nil {
		t.Errorf("SendTemplate = %d, %v", id, err)
	}
	if _, ok := sample(t, reg, "gridcast_provider_call_duration_seconds",
		map[string]string{"provider": "wechat", "operation": "send_template", "outcome": "ok"}); !ok {
		t.Error("no wechat send_template series")
	}
}

func TestWebhookRefused(t *testing.T) {
	s, reg := newSet(t)
	refused := s.WebhookRefused("wechat", "callback")
	refused("bad_signature")
	refused("bad_signature")
	s.WebhookRefused("aliyun_sms", "report")("bad_token")
	for _, tc := range []struct {
		labels map[string]string
		want   float64
	}{
		{map[string]string{"provider": "wechat", "webhook": "callback", "reason": "bad_signature"}, 2},
		{map[string]string{"provider": "aliyun_sms", "webhook": "report", "reason": "bad_token"}, 1},
	} {
		if got := value(t, reg, "gridcast_webhook_refused_total", tc.labels); got != tc.want {
			t.Errorf("%v = %v, want %v", tc.labels, got, tc.want)
		}
	}
}

// Duplicates are counted per item, and a wired webhook reports 0 before
// its first one (so that a rate can be taken from the start).
func TestWebhookDuplicates(t *testing.T) {
	s, reg := newSet(t)
	up := s.WebhookDuplicates("aliyun_sms", "uplink")
	s.WebhookDuplicates("aliyun_sms", "report")
	up(2)
	up(1)
	for _, tc := range []struct {
		webhook string
		want    float64
	}{{"uplink", 3}, {"report", 0}} {
		labels := map[string]string{"provider": "aliyun_sms", "webhook": tc.webhook}
		if _, ok := sample(t, reg, "gridcast_webhook_duplicates_total", labels); !ok {
			t.Errorf("no series %v", labels)
		}
		if got := value(t, reg, "gridcast_webhook_duplicates_total", labels); got != tc.want {
			t.Errorf("%v = %v, want %v", labels, got, tc.want)
		}
	}
}

type fakeBacklog struct {
	bs  []tickets.Backlog
	err error
	at  time.Time
}

func (f *fakeBacklog) TicketBacklog(_ context.Context, now time.Time) ([]tickets.Backlog, error) {
	f.at = now
	return f.bs, f.err
}

func TestTicketCollector(t *testing.T) {
	reg := prometheus.NewRegistry()
	now := time.Date(2026, 3, 16, 10, 0, 0, 0, time.UTC)
	st := &fakeBacklog{bs: []tickets.Backlog{{Level: tickets.LevelGridWorker, Open: 12, Overdue: 3}, {Level: tickets.LevelStreet, Open: 1, Overdue: 1}}}
	reg.MustRegister(metrics.NewTicketCollector(st, func() time.Time { return now }, testlog.New(t)))
	for _, tc := range []struct {
		name, level string
		want        float64
	}{
		{"gridcast_tickets_open", "grid_worker", 12},
		{"gridcast_tickets_overdue", "grid_worker", 3},
		{"gridcast_tickets_open", "street", 1},
		{"gridcast_tickets_open", "community", 0},
	} {
		if _, ok := sample(t, reg, tc.name, map[string]string{"level": tc.level}); !ok {
			t.Errorf("%s{level=%s} missing: every level is reported", tc.name, tc.level)
		}
		if got := value(t, reg, tc.name, map[string]string{"level": tc.level}); got != tc.want {
			t.Errorf("%s{level=%s} = %v, want %v", tc.name, tc.level, got, tc.want)
		}
	}
	if !st.at.Equal(now) {
		t.Errorf("read at %v, want the collector's clock %v", st.at, now)
	}
	// A store that fails leaves the figures out; the scrape still answers.
	st.err = errors.New("database is locked")
	if _, ok := sample(t, reg, "gridcast_tickets_open", nil); ok {
		t.Error("figures reported from a failed read")
	}
	if got := value(t, reg, "gridcast_tickets_read_errors_total", nil); got != 2 {
		t.Errorf("read errors = %v after two failed scrapes, want 2", got)
	}
}

// testRedis is the test Redis: GRIDCAST_TEST_REDIS, database
// GRIDCAST_TEST_REDIS_DB+1 (default 11), beside the queue package's; the
// test uses queue names of its own and deletes them, so it never flushes.
func testRedis(t *testing.T) *redis.Client {
	t.Helper()
	addr := os.Getenv("GRIDCAST_TEST_REDIS")
	if addr == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("GRIDCAST_TEST_REDIS is unset under CI")
		}
		t.Skip("GRIDCAST_TEST_REDIS unset (e.g. 127.0.0.1:6379): skipping the queue collector's Redis test")
	}
	db := 11
	if v, err := strconv.Atoi(os.Getenv("GRIDCAST_TEST_REDIS_DB")); err == nil {
		db = v + 1
	}
	rdb := redis.NewClient(&redis.Options{Addr: addr, DB: db})
	t.Cleanup(func() { _ = rdb.Close() })
	if err := rdb.Ping(t.Context()).Err(); err != nil {
		t.Fatalf("GRIDCAST_TEST_REDIS=%s: %v", addr, err)
	}
	return rdb
}

func TestQueueCollector(t *testing.T) {
	rdb := testRedis(t)
	suffix := strconv.FormatInt(time.Now().UnixNano(), 36)
	busy, unseen := "mt-busy-"+suffix, "mt-unseen-"+suffix
	insp := asynq.NewInspectorFromRedisClient(rdb)
	t.Cleanup(func() {
		_ = insp.DeleteQueue(busy, true)
		_ = insp.Close()
	})
	cl := asynq.NewClientFromRedisClient(rdb)
	t.Cleanup(func() { _ = cl.Close() })
	for i := range 3 {
		if _, err := cl.Enqueue(asynq.NewTask("t", nil), asynq.Queue(busy), asynq.TaskID(fmt.Sprint("p", i))); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := cl.Enqueue(asynq.NewTask("t", nil), asynq.Queue(busy), asynq.ProcessIn(time.Hour)); err != nil {
		t.Fatal(err)
	}
	time.Sleep(20 * time.Millisecond) // a measurable latency
	reg := prometheus.NewRegistry()
	reg.MustRegister(metrics.NewQueueCollector(insp, []string{busy, unseen}, testlog.New(t)))
	for _, tc := range []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"gridcast_queue_tasks", map[string]string{"queue": busy, "state": "pending"}, 3},
		{"gridcast_queue_tasks", map[string]string{"queue": busy, "state": "scheduled"}, 1},
		{"gridcast_queue_tasks", map[string]string{"queue": busy, "state": "retry"}, 0},
		{"gridcast_queue_tasks", map[string]string{"queue": unseen, "state": "pending"}, 0},
		{"gridcast_queue_latency_seconds", map[string]string{"queue": unseen}, 0},
		{"gridcast_queue_paused", map[string]string{"queue": busy}, 0},
	} {
		if _, ok := sample(t, reg, tc.name, tc.labels); !ok {
			t.Errorf("%s%v missing", tc.name, tc.labels)
		}
		if got := value(t, reg, tc.name, tc.labels); got != tc.want {
			t.Errorf("%s%v = %v, want %v", tc.name, tc.labels, got, tc.want)
		}
	}
	if got := value(t, reg, "gridcast_queue_latency_seconds", map[string]string{"queue": busy}); got < 0.02 {
		t.Errorf("latency of the busy queue = %vs, want the age of its oldest pending task", got)
	}
	if err := insp.PauseQueue(busy); err != nil {
		t.Fatal(err)
	}
	if got := value(t, reg, "gridcast_queue_paused", map[string]string{"queue": busy}); got != 1 {
		t.Errorf("paused = %v after PauseQueue, want 1", got)
	}
}

// failingInspector is Redis gone away.
type failingInspector struct{}

func (failingInspector) Queues() ([]string, error) {
	return nil, errors.New("dial tcp: connection refused")
}
func (failingInspector) GetQueueInfo(string) (*asynq.QueueInfo, error) {
	return nil, errors.New("dial tcp: connection refused")
}

// A Redis that does not answer costs the queue figures of that scrape,
// not the scrape.
func TestQueueCollectorRedisDown(t *testing.T) {
	reg := metrics.NewRegistry()
	reg.MustRegister(metrics.NewQueueCollector(failingInspector{}, []string{queue.QueueCritical}, testlog.New(t)))
	if _, ok := sample(t, reg, "gridcast_queue_tasks", nil); ok {
		t.Error("queue figures reported while Redis is down")
	}
	if got := value(t, reg, "gridcast_queue_inspect_errors_total", nil); got != 2 {
		t.Errorf("inspect errors = %v after two failed scrapes, want 2", got)
	}
	if _, ok := sample(t, reg, "go_goroutines", nil); !ok {
		t.Error("the rest of the scrape is missing")
	}
}

// Every step on a department's task is counted by department and action.
func TestTaskActions(t *testing.T) {
	reg := prometheus.NewRegistry()
	ta, err := metrics.NewTaskActions(reg)
	if err != nil {
		t.Fatal(err)
	}
	ta.Observe("fire", dispatch.ActionDispatch)
	ta.Observe("fire", dispatch.ActionResolve)
	ta.Observe("fire", dispatch.ActionResolve)
	ta.Observe("chengguan", dispatch.ActionReturn)
	for _, c := range []struct {
		dept, action string
		want         float64
	}{{"fire", "dispatch", 1}, {"fire", "resolve", 2}, {"chengguan", "return", 1}} {
		got := value(t, reg, "gridcast_dispatch_task_actions_total", map[string]string{"department": c.dept, "action": c.action})
		if got != c.want {
			t.Errorf("%s %s: %v, want %v", c.dept, c.action, got, c.want)
		}
	}
}
