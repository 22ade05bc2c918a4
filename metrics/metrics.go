package metrics

import (
	"errors"
	"strings"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/gridcast/gridcast/outbound"
	"github.com/gridcast/gridcast/queue"
)

// NewRegistry returns a registry with the Go runtime and process
// collectors: what every GridCast process serves on /metrics before it
// adds its own.
func NewRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return reg
}

// Other is the label value that stands for every value past a label's cap.
const Other = "other"

// MaxCodes is how many distinct provider codes (and, separately, reasons)
// a process reports before the rest become Other. Aliyun and WeChat use a
// few dozen in practice.
const MaxCodes = 100

// Set holds the counters and histograms one process records into. Build it
// with New; its methods are safe for concurrent use.
type Set struct {
	moves   *prometheus.CounterVec
	calls   *prometheus.HistogramVec
	refused *prometheus.CounterVec
	dups    *prometheus.CounterVec
	codes   *bounded
	reasons *bounded
}

// New registers the process's counters and histograms on reg.
func New(reg prometheus.Registerer) (*Set, error) {
	s := &Set{
		moves: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gridcast_messages_moved_total",
			Help: "Ledger moves the queue made: status sent, delivered, failed, skipped or rescheduled, " +
				"by channel, provider code (sent, delivered, failed) and reason (skip reason, or why a rescheduled message waits).",
		}, []string{"channel", "status", "code", "reason"}),
		calls: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "gridcast_provider_call_duration_seconds",
			Help:    "Provider API calls by provider, operation and outcome (ok, or the failure class: permanent, retryable, throttled, quota, config, ambiguous, error).",
			Buckets: []float64{0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30},
		}, []string{"provider", "operation", "outcome"}),
		refused: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gridcast_webhook_refused_total",
			Help: "Provider pushes the webhooks refused, by provider, webhook and reason (bad signature, stale timestamp, malformed body …).",
		}, []string{"provider", "webhook", "reason"}),
		dups: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gridcast_webhook_duplicates_total",
			Help: "Items the webhooks had taken before and answered as taken without handing them on again " +
				"(a provider's retry, or a replay), by provider and webhook.",
		}, []string{"provider", "webhook"}),
		codes:   newBounded(MaxCodes),
		reasons: newBounded(MaxCodes),
	}
	var errs []error
	for _, c := range []prometheus.Collector{s.moves, s.calls, s.refused, s.dups} {
		errs = append(errs, reg.Register(c))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return s, nil
}

// ObserveMove counts one ledger move; it is the queue's Deps.Observe.
// A reschedule is status "rescheduled" with its wait reason; a retry's
// reason "retry:CODE" is counted as reason retry with the code.
func (s *Set) ObserveMove(mv queue.Move) {
	status, code, reason := string(mv.To), mv.Code, mv.Reason
	if mv.To == outbound.StatusPending {
		status = "rescheduled"
		if c, ok := strings.CutPrefix(reason, outbound.WaitRetry+":"); ok {
			reason, code = outbound.WaitRetry, c
		}
	}
	s.moves.WithLabelValues(string(mv.Channel), status, s.codes.value(code), s.reasons.value(reason)).Inc()
}

// WebhookRefused returns the hook a webhook calls with its reason when it
// refuses a push (wechat.CallbackOptions.Refused,
// aliyunsms.PushOptions.Refused).
func (s *Set) WebhookRefused(provider, webhook string) func(reason string) {
	return func(reason string) {
		s.refused.WithLabelValues(provider, webhook, s.reasons.value(reason)).Inc()
	}
}

// WebhookDuplicates returns the hook a webhook calls with how many items
// it answered without handing them on, having taken them before
// (aliyunsms.PushOptions.Duplicates; wechat.CallbackOptions.Duplicate
// with 1).
func (s *Set) WebhookDuplicates(provider, webhook string) func(n int) {
	c := s.dups.WithLabelValues(provider, webhook)
	return func(n int) { c.Add(float64(n)) }
}

// bounded passes through the first max distinct values it sees and
// turns the rest into Other.
type bounded struct {
	mu   sync.Mutex
	max  int
	seen map[string]struct{}
}

func newBounded(max int) *bounded { return &bounded{max: max, seen: map[string]struct{}{}} }

func (b *bounded) value(v string) string {
	if v == "" {
		return ""
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if _, ok := b.seen[v]; ok {
		return v
	}
	if len(b.seen) >= b.max {
		return Other
	}
	b.seen[v] = struct{}{}
	return v
}
