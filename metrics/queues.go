package metrics

import (
	"log/slog"
	"slices"

	"github.com/hibiken/asynq"
	"github.com/prometheus/client_golang/prometheus"
)

// Inspector is what QueueCollector reads; *asynq.Inspector satisfies it.
type Inspector interface {
	Queues() ([]string, error)
	GetQueueInfo(queue string) (*asynq.QueueInfo, error)
}

var _ Inspector = (*asynq.Inspector)(nil)

// QueueCollector reports each queue's tasks by state, its latency (the age
// of its oldest pending task) and whether it is paused, asking Asynq at
// every scrape. A queue Asynq has not seen yet reports zeros; a queue it
// cannot read is left out of that scrape and counted in
// gridcast_queue_inspect_errors_total, so one bad read never fails the
// whole scrape. Safe for concurrent scrapes.
type QueueCollector struct {
	insp   Inspector
	queues []string
	log    *slog.Logger
	tasks  *prometheus.Desc
	lat    *prometheus.Desc
	paused *prometheus.Desc
	errs   prometheus.Counter
}

var _ prometheus.Collector = (*QueueCollector)(nil)

// NewQueueCollector reports queues (the queue package's critical, default
// and bulk) through insp. log may be nil (discard).
func NewQueueCollector(insp Inspector, queues []string, log *slog.Logger) *QueueCollector {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &QueueCollector{
		insp: insp, queues: slices.Clone(queues), log: log,
		tasks: prometheus.NewDesc("gridcast_queue_tasks",
			"Tasks in an Asynq queue by state: pending, active, scheduled, retry, archived, completed, aggregating.",
			[]string{"queue", "state"}, nil),
		lat: prometheus.NewDesc("gridcast_queue_latency_seconds",
			"How long the oldest pending task of the queue has waited (0 when none waits).", []string{"queue"}, nil),
		paused: prometheus.NewDesc("gridcast_queue_paused",
			"1 while the queue is paused (from the queue UI), else 0.", []string{"queue"}, nil),
		errs: prometheus.NewCounter(prometheus.CounterOpts{Name: "gridcast_queue_inspect_errors_total",
			Help: "Scrapes that could not read a queue from Redis."}),
	}
}

// Describe implements prometheus.Collector.
func (c *QueueCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.tasks
	ch <- c.lat
	ch <- c.paused
	c.errs.Describe(ch)
}

// Collect implements prometheus.Collector.
func (c *QueueCollector) Collect(ch chan<- prometheus.Metric) {
	defer c.errs.Collect(ch)
	known, err := c.insp.Queues()
	if err != nil {
		c.errs.Inc()
		c.log.Warn("queue_metrics_failed", "err", err)
		return
	}
	for _, q := range c.queues {
		info := &asynq.QueueInfo{Queue: q}
		if slices.Contains(known, q) {
			if info, err = c.insp.GetQueueInfo(q); err != nil {
				c.errs.Inc()
				c.log.Warn("queue_metrics_failed", "queue", q, "err", err)
				continue
			}
		}
		for state, n := range map[string]int{
			"pending": info.Pending, "active": info.Active, "scheduled": info.Scheduled, "retry": info.Retry,
			"archived": info.Archived, "completed": info.Completed, "aggregating": info.Aggregating,
		} {
			ch <- prometheus.MustNewConstMetric(c.tasks, prometheus.GaugeValue, float64(n), q, state)
		}
		ch <- prometheus.MustNewConstMetric(c.lat, prometheus.GaugeValue, info.Latency.Seconds(), q)
		p := 0.0
		if info.Paused {
			p = 1
		}
		ch <- prometheus.MustNewConstMetric(c.paused, prometheus.GaugeValue, p, q)
	}
}
