package metrics

import (
	"context"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/gridcast/gridcast/tickets"
)

// TicketBacklog is what TicketCollector reads; *store.Store satisfies it.
type TicketBacklog interface {
	// TicketBacklog counts the open tickets at each escalation level and
	// those past their deadline at now.
	TicketBacklog(ctx context.Context, now time.Time) ([]tickets.Backlog, error)
}

// TicketCollector reports the open and overdue tickets per escalation
// level, reading the store at every scrape (one grouped query over the
// open tickets, bounded by Timeout). A failed read is left out of that
// scrape and counted in gridcast_tickets_read_errors_total. Safe for
// concurrent scrapes.
type TicketCollector struct {
	store   TicketBacklog
	now     func() time.Time
	log     *slog.Logger
	open    *prometheus.Desc
	overdue *prometheus.Desc
	errs    prometheus.Counter
	// Timeout bounds one read; NewTicketCollector sets 5 seconds.
	Timeout time.Duration
}

var _ prometheus.Collector = (*TicketCollector)(nil)

// NewTicketCollector reads st at every scrape; now nil means time.Now, log
// nil discards.
func NewTicketCollector(st TicketBacklog, now func() time.Time, log *slog.Logger) *TicketCollector {
	if now == nil {
		now = time.Now
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &TicketCollector{
		store: st, now: now, log: log, Timeout: 5 * time.Second,
		open: prometheus.NewDesc("gridcast_tickets_open",
			"Open tickets (new, assigned, in progress, replied) by escalation level: grid_worker, grid_leader, community, street.",
			[]string{"level"}, nil),
		overdue: prometheus.NewDesc("gridcast_tickets_overdue",
			"Open tickets past their deadline, by escalation level.", []string{"level"}, nil),
		errs: prometheus.NewCounter(prometheus.CounterOpts{Name: "gridcast_tickets_read_errors_total",
			Help: "Scrapes that could not read the ticket figures from the store."}),
	}
}

// Describe implements prometheus.Collector.
func (c *TicketCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.open
	ch <- c.overdue
	c.errs.Describe(ch)
}

// Collect implements prometheus.Collector.
func (c *TicketCollector) Collect(ch chan<- prometheus.Metric) {
	defer c.errs.Collect(ch)
	ctx, cancel := context.WithTimeout(context.Background(), c.Timeout)
	defer cancel()
	bs, err := c.store.TicketBacklog(ctx, c.now())
	if err != nil {
		c.errs.Inc()
		c.log.WarnContext(ctx, "ticket_metrics_failed", "err", err)
		return
	}
	by := map[tickets.Level]tickets.Backlog{}
	for _, b := range bs {
		by[b.Level] = b
	}
	// Every level, zeros included, so that an alert on overdue tickets
	// sees 0 rather than no series.
	for _, l := range tickets.Levels {
		ch <- prometheus.MustNewConstMetric(c.open, prometheus.GaugeValue, float64(by[l].Open), string(l))
		ch <- prometheus.MustNewConstMetric(c.overdue, prometheus.GaugeValue, float64(by[l].Overdue), string(l))
	}
}
