package faults

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/gridcast/gridcast/campaigns"
	"github.com/gridcast/gridcast/gateway/sandbox"
	"github.com/gridcast/gridcast/outbound"
	"github.com/gridcast/gridcast/pii"
	"github.com/gridcast/gridcast/population"
	"github.com/gridcast/gridcast/store"
)

// Options configure a run of the suite.
type Options struct {
	// Bin is the gridcast binary the processes run.
	Bin string
	// Dir is the work directory (configurations, logs, the databases'
	// files); it is kept for inspection.
	Dir string
	// Residents is the size of each scenario's population. Default 400.
	Residents int
	// Only runs the scenarios of these names; empty runs Quick's set, or
	// all when Quick is false.
	Only []string
	// Quick runs the quick set (CI).
	Quick bool
	// Rate is each provider's calls per second. Default 100.
	Rate int
	// Timeout bounds one scenario. Default 4 minutes.
	Timeout time.Duration
	// Progress, if set, receives a line per step.
	Progress io.Writer
}

// Result is one scenario's row.
type Result struct {
	Scenario   string
	Residents  int // the campaign had to reach them
	Accepted   int // of them, reached: a provider accepted a message for them
	Duplicates int // messages beyond one per resident
	Lost       int // residents nothing reached
	Stray      int // messages to addresses the campaign had not to reach
	Took       time.Duration
	Err        error // the scenario could not run to its end
}

// OK reports a clean row: nothing sent twice, nobody missed.
func (r Result) OK() bool {
	return r.Err == nil && r.Duplicates == 0 && r.Lost == 0 && r.Stray == 0 && r.Accepted == r.Residents
}

// Scenario is one fault, injected while a campaign is under way.
type Scenario struct {
	Name string
	What string
	// Quick puts it in the quick set.
	Quick bool
	// Before, if set, runs before the campaign is sent (provider faults
	// armed in the sandbox).
	Before func(ctx context.Context, r *run) error
	// At is the share of the audience the sandbox has accepted when
	// During runs; During, if set, is the fault from outside.
	At     float64
	During func(ctx context.Context, r *run) error
}

// run is one scenario's world, as the faults see it.
type run struct {
	c     *cluster
	redis *redisServer
	pg    *postgresServer
	sb    *sandboxAdmin
	log   func(format string, a ...any)
}

// Scenarios lists every scenario, in the order they run.
func Scenarios() []Scenario {
	restart := func(name string) func(ctx context.Context, r *run) error {
		return func(ctx context.Context, r *run) error {
			r.log("kill -9 %s", name)
			r.c.procs[name].kill()
			time.Sleep(time.Second)
			return r.c.startProc(ctx, name)
		}
	}
	fault := func(f sandbox.FaultRule) func(ctx context.Context, r *run) error {
		return func(ctx context.Context, r *run) error { return r.sb.fault(ctx, f) }
	}
	return []Scenario{
		{Name: "baseline", What: "no fault", Quick: true},
		{Name: "kill9-worker", What: "kill -9 of a worker in the middle of the sends, restarted a second later", Quick: true,
			At: 0.3, During: restart("worker-1")},
		{Name: "kill9-serve", What: "kill -9 of serve (webhooks, API and its workers) mid-send", At: 0.4, During: restart("serve")},
		{Name: "sms-lost-batch-answer", What: "two SendBatchSms calls accepted, their answers lost", Quick: true,
			Before: fault(sandbox.FaultRule{Provider: "sms", Action: "SendBatchSms", Kind: "lose_answer", Count: 2})},
		{Name: "sms-lost-answer", What: "a third of SendSms/SendBatchSms answers lost after acceptance",
			Before: fault(sandbox.FaultRule{Provider: "sms", Kind: "lose_answer", Rate: 0.3})},
		{Name: "wechat-lost-answer", What: "template sends accepted, answers lost", Quick: true,
			Before: fault(sandbox.FaultRule{Provider: "wechat", Action: "template", Kind: "lose_answer", Count: 5})},
		{Name: "sms-hang", What: "SMS calls that never answer", Before: fault(sandbox.FaultRule{Provider: "sms", Kind: "hang", Count: 2})},
		{Name: "wechat-hang", What: "template sends that never answer", Before: fault(sandbox.FaultRule{Provider: "wechat", Action: "template", Kind: "hang", Count: 2})},
		{Name: "sms-5xx", What: "503 from Aliyun on a fifth of the calls", Before: fault(sandbox.FaultRule{Provider: "sms", Kind: "5xx", Rate: 0.2})},
		{Name: "wechat-5xx", What: "503 from WeChat on a fifth of the sends", Before: fault(sandbox.FaultRule{Provider: "wechat", Action: "template", Kind: "5xx", Rate: 0.2})},
		{Name: "sms-throttle", What: "Aliyun throttling a third of the calls", Before: fault(sandbox.FaultRule{Provider: "sms", Kind: "throttle", Rate: 0.3})},
		{Name: "wechat-throttle", What: "WeChat answering 'system busy' to a third of the sends", Before: fault(sandbox.FaultRule{Provider: "wechat", Action: "template", Kind: "throttle", Rate: 0.3})},
		{Name: "redis-flushall", What: "FLUSHALL on Redis mid-campaign", Quick: true, At: 0.3,
			During: func(ctx context.Context, r *run) error { r.log("FLUSHALL"); return r.redis.flushAll(ctx) }},
		{Name: "redis-restart", What: "Redis killed and restarted empty mid-campaign", At: 0.3,
			During: func(ctx context.Context, r *run) error { r.log("restart redis"); return r.redis.restart(ctx) }},
		{Name: "postgres-restart", What: "PostgreSQL restarted mid-campaign", At: 0.3,
			During: func(ctx context.Context, r *run) error { r.log("restart postgres"); return r.pg.restart(ctx) }},
		{Name: "receipts-duplicated", What: "every delivery receipt pushed twice",
			Before: func(ctx context.Context, r *run) error { return r.sb.receipts(ctx, "duplicate") }},
		{Name: "receipts-reordered", What: "delivery receipts pushed out of order",
			Before: func(ctx context.Context, r *run) error { return r.sb.receipts(ctx, "reorder") }},
	}
}

// campaignSpec is every scenario's campaign: a policy notice to every
// adult, WeChat first and SMS for those without WeChat.
const campaignSpec = `name: 故障演练 政策通知
kind: policy_notice
segment: age:18..
channel_policy: wechat_first
owner: faults
schedule_at: ""
expires_at: "2099-12-31 18:00"
sms:
  sign_name: 网格通
  template_code: SMS_GRID_POLICY
  params:
    name: "{{resident.surname_title}}"
    policy: 城乡居民医保开始缴费
    worker: "{{worker.name}}"
    phone: "{{worker.phone}}"
wechat:
  template_id: TPL_GRID_NOTICE
  fields:
    keyword1: 城乡居民医保开始缴费
    keyword2: "{{worker.name}} {{worker.phone}}"
    keyword3: 详询网格员，回T退订
`

// Run runs the scenarios and returns a row for each. It returns an error
// only when the suite cannot start at all (no redis-server, no
// PostgreSQL); a scenario that fails to run has its Err set.
func Run(ctx context.Context, o Options) ([]Result, error) {
	if o.Residents == 0 {
		o.Residents = 400
	}
	if o.Rate == 0 {
		o.Rate = 100
	}
	if o.Timeout == 0 {
		o.Timeout = 4 * time.Minute
	}
	say := func(format string, a ...any) {
		if o.Progress != nil {
			fmt.Fprintf(o.Progress, "faults: "+format+"\n", a...)
		}
	}
	var chosen []Scenario
	for _, s := range Scenarios() {
		switch {
		case len(o.Only) > 0:
			for _, n := range o.Only {
				if n == s.Name {
					chosen = append(chosen, s)
				}
			}
		case !o.Quick || s.Quick:
			chosen = append(chosen, s)
		}
	}
	if len(chosen) == 0 {
		return nil, fmt.Errorf("faults: no scenario named %s", strings.Join(o.Only, ", "))
	}
	if err := os.MkdirAll(o.Dir, 0o755); err != nil {
		return nil, err
	}
	// PostgreSQL runs as its own user under it.
	if err := os.Chmod(o.Dir, 0o755); err != nil {
		return nil, err
	}
	say("starting redis-server and postgres under %s", o.Dir)
	rs, err := startRedis(ctx, filepath.Join(o.Dir, "redis"))
	if err != nil {
		return nil, err
	}
	defer rs.close()
	pg, err := startPostgres(ctx, filepath.Join(o.Dir, "postgres"))
	if err != nil {
		return nil, err
	}
	defer pg.stop()
	var out []Result
	for i, s := range chosen {
		say("%s: %s", s.Name, s.What)
		sctx, cancel := context.WithTimeout(ctx, o.Timeout)
		res := runScenario(sctx, o, s, i, rs, pg, say)
		cancel()
		say("%s", res.row())
		out = append(out, res)
		if ctx.Err() != nil {
			break
		}
	}
	return out, nil
}

// runScenario runs one scenario on a fresh schema and an emptied Redis.
func runScenario(ctx context.Context, o Options, s Scenario, i int, rs *redisServer, pg *postgresServer,
	say func(string, ...any)) (res Result) {
	start := time.Now()
	res.Scenario = s.Name
	defer func() { res.Took = time.Since(start).Round(time.Second) }()
	fail := func(err error) Result {
		res.Err = err
		return res
	}
	schema := fmt.Sprintf("faults_%d_%s", i, strings.ReplaceAll(s.Name, "-", "_"))
	if err := pg.exec(ctx, "DROP SCHEMA IF EXISTS "+schema+" CASCADE; CREATE SCHEMA "+schema); err != nil {
		return fail(err)
	}
	if err := rs.flushAll(ctx); err != nil {
		return fail(err)
	}
	c, err := newCluster(o.Bin, filepath.Join(o.Dir, s.Name), pg.DSN(schema), rs.Addr(), o.Rate)
	if err != nil {
		return fail(err)
	}
	r := &run{c: c, redis: rs, pg: pg, sb: &sandboxAdmin{base: c.sandbox}, log: func(f string, a ...any) { say(s.Name+": "+f, a...) }}
	if _, err := c.run(ctx, "seed", "--residents", fmt.Sprint(o.Residents), "--seed", fmt.Sprint(i+1), "--quiet"); err != nil {
		return fail(err)
	}
	if c.st, err = c.openStore(ctx); err != nil {
		return fail(err)
	}
	defer c.st.Close()
	defer c.stop()
	if err := c.start(ctx); err != nil {
		return fail(err)
	}
	if _, err := c.run(ctx, "templates", "sync"); err != nil {
		return fail(err)
	}
	if s.Before != nil {
		if err := s.Before(ctx, r); err != nil {
			return fail(err)
		}
	}
	since := time.Now()
	id, err := c.sendCampaign(ctx, campaignSpec)
	if err != nil {
		return fail(err)
	}
	want, err := c.audience(ctx, id)
	if err != nil {
		return fail(err)
	}
	res.Residents = len(want)
	if s.During != nil {
		err := waitUntil(ctx, time.Minute, fmt.Sprintf("%.0f%% accepted", 100*s.At), func() bool {
			n, err := r.sb.accepted(ctx, since)
			return err == nil && float64(n) >= s.At*float64(len(want))
		})
		if err == nil {
			err = s.During(ctx, r)
		}
		if err != nil {
			return fail(fmt.Errorf("%w\n%s", err, c.logs(10)))
		}
	}
	// Done: the campaign completed and the sandbox accepted nothing more
	// for a few seconds (a late resend would show).
	if err := waitUntil(ctx, o.Timeout, "campaign completed", func() bool {
		st, err := c.state(ctx, id)
		return err == nil && st == campaigns.StateCompleted
	}); err != nil {
		return fail(fmt.Errorf("%w\n%s", err, c.logs(10)))
	}
	if err := r.sb.quiet(ctx, since, 4*time.Second); err != nil {
		return fail(err)
	}
	got, err := r.sb.byRecipient(ctx, since)
	if err != nil {
		return fail(err)
	}
	res.tally(want, got)
	return res
}

// tally counts, per resident to reach, the messages the sandbox accepted
// for their phone and openid.
func (res *Result) tally(want map[int64]address, got map[string]int) {
	seen := map[string]bool{}
	for _, a := range want {
		n := 0
		for _, k := range []string{a.phone, a.openid} {
			if k != "" {
				n += got[k]
				seen[k] = true
			}
		}
		switch {
		case n == 0:
			res.Lost++
		default:
			res.Accepted++
			res.Duplicates += n - 1
		}
	}
	for k, n := range got {
		if !seen[k] {
			res.Stray += n
		}
	}
}

// row is the result as the table prints it.
func (res Result) row() string {
	s := fmt.Sprintf("%s residents=%d accepted=%d duplicates=%d lost=%d", res.Scenario, res.Residents, res.Accepted,
		res.Duplicates, res.Lost)
	if res.Stray > 0 {
		s += fmt.Sprintf(" stray=%d", res.Stray)
	}
	if res.Err != nil {
		s += " error: " + firstLine(res.Err.Error())
	}
	return s
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

// WriteTable prints the results as the README's table.
func WriteTable(w io.Writer, rs []Result) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "scenario\tresidents\taccepted\tduplicates\tlost\ttook\t")
	for _, r := range rs {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%s\t", r.Scenario, r.Residents, r.Accepted, r.Duplicates, r.Lost, r.Took)
		if !r.OK() {
			fmt.Fprintf(tw, " FAILED")
			if r.Stray > 0 {
				fmt.Fprintf(tw, " stray=%d", r.Stray)
			}
			if r.Err != nil {
				fmt.Fprintf(tw, " %s", firstLine(r.Err.Error()))
			}
		}
		fmt.Fprintln(tw)
	}
	return tw.Flush()
}

// Failed joins the failures of rs, nil when every row is clean.
func Failed(rs []Result) error {
	var errs []error
	for _, r := range rs {
		if !r.OK() {
			err := r.Err
			if err == nil {
				err = errors.New(r.row())
			}
			errs = append(errs, fmt.Errorf("%s: %w", r.Scenario, err))
		}
	}
	return errors.Join(errs...)
}

// address is where a resident is reached: their phone and openid (one of
// them, after a WeChat failure, the other).
type address struct{ phone, openid string }

// openStore opens the scenario's store, to read the population and the
// campaign's state.
func (c *cluster) openStore(ctx context.Context) (*store.Store, error) {
	sealer, err := pii.NewSealer(c.piiKey)
	if err != nil {
		return nil, err
	}
	return store.Open(ctx, store.Config{Driver: store.DriverPostgres, DSN: c.dsn}, sealer, nil)
}

// audience is who campaign id must reach, from the population and the
// campaign's own rules (not from the ledger): its segment, less those it
// must skip (opted out, no channel).
func (c *cluster) audience(ctx context.Context, id int64) (map[int64]address, error) {
	st := c.st
	camp, err := st.Campaign(ctx, id)
	if err != nil {
		return nil, err
	}
	now := time.Now()
	out := map[int64]address{}
	err = st.StreamSegment(ctx, camp.Segment, 0, 1000, func(rs []population.Resident) error {
		for _, r := range rs {
			if camp.CheckRecipient(r, now, now) != outbound.SkipNone {
				continue
			}
			if _, why := campaigns.ChooseChannel(camp.ChannelPolicy, r, false); why != outbound.SkipNone {
				continue
			}
			out[r.ID] = address{phone: string(r.Phone), openid: string(r.OpenID)}
		}
		return nil
	})
	return out, err
}

// state is campaign id's state.
func (c *cluster) state(ctx context.Context, id int64) (campaigns.State, error) {
	camp, err := c.st.Campaign(ctx, id)
	return camp.State, err
}
