package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"

	"github.com/gridcast/gridcast/audit"
	"github.com/gridcast/gridcast/campaigns"
	"github.com/gridcast/gridcast/outbound"
	"github.com/gridcast/gridcast/population"
	"github.com/gridcast/gridcast/queue"
	"github.com/gridcast/gridcast/store"
)

func (a *app) campaignCommand() *cobra.Command {
	c := &cobra.Command{
		Use:   "campaign",
		Short: "Create, preview, approve and send outreach campaigns; watch their funnel",
		Long: `A campaign sends one message kind (policy notice, job posting, training notice,
visit schedule) to a segment over WeChat and/or SMS. Its life: draft → scheduled →
running ⇄ paused → completed | cancelled. A campaign reaching more residents than
campaigns.approval_threshold needs a second user's approval before it is sent.
"send" schedules it; the workers of "gridcast serve" (or "gridcast worker") run it.`,
	}
	var file string
	create := &cobra.Command{
		Use:   "create --file CAMPAIGN.yaml",
		Short: "Create a draft campaign from a YAML file (see examples/job-posting.yaml)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if file == "" {
				return usageError{errors.New("--file is required")}
			}
			camp, err := readCampaignFile(file)
			if err != nil {
				return usageError{err}
			}
			if err := camp.Validate(a.cfg.policy()); err != nil {
				return usageError{fmt.Errorf("campaign is not valid:\n%w", err)}
			}
			return a.withStore(cmd.Context(), func(st *store.Store) error {
				if err := st.CreateCampaign(cmd.Context(), &camp); err != nil {
					return err
				}
				fmt.Fprintf(a.stdout, "created campaign %d (draft): %s\n", camp.ID, camp.Name)
				for _, w := range camp.Warnings() {
					fmt.Fprintln(a.stderr, "warning: "+w)
				}
				return nil
			})
		},
	}
	create.Flags().StringVar(&file, "file", "", "campaign YAML file")

	var n int
	preview := &cobra.Command{
		Use:   "preview ID",
		Short: "Show who would get what: counts per channel and skip reason, a few messages as phones show them (masked), warnings",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.withCampaign(cmd.Context(), args[0], func(st *store.Store, c campaigns.Campaign) error {
				p, err := previewCampaign(cmd.Context(), st, c, n, time.Now())
				if err != nil {
					return err
				}
				p.print(a.stdout)
				return nil
			})
		},
	}
	preview.Flags().IntVar(&n, "n", 3, "how many rendered messages to show")

	var by string
	// transition builds a command moving a campaign to to; only, when set,
	// is the one state the command applies to (resume is from paused only,
	// not a way to start a scheduled campaign early).
	transition := func(use, short string, to, only campaigns.State) *cobra.Command {
		cc := &cobra.Command{
			Use: use + " ID --by USER", Short: short, Args: cobra.ExactArgs(1),
			RunE: func(cmd *cobra.Command, args []string) error {
				if by == "" {
					return usageError{errors.New("--by USER is required: every change is on the campaign's record")}
				}
				return a.withCampaign(cmd.Context(), args[0], func(st *store.Store, c campaigns.Campaign) error {
					if only != "" && c.State != only {
						return fmt.Errorf("campaign %d is %s; %s applies to a %s campaign", c.ID, stateName(c.State), use, only)
					}
					from := c.State
					c, ev, err := campaigns.Move(cmd.Context(), st, c.ID, to, false, by, a.cfg.policy(), time.Now())
					if err != nil {
						return err
					}
					fmt.Fprintf(a.stdout, "campaign %d: %s → %s by %s\n", c.ID, stateName(from), stateName(c.State), by)
					if to == campaigns.StateScheduled || to == campaigns.StateRunning {
						a.kickScheduler(cmd.Context())
					}
					return a.record(cmd.Context(), st, campaignEntry(by, audit.Action("campaign."+use), c, from, ev))
				})
			},
		}
		cc.Flags().StringVar(&by, "by", "", "who does this (recorded)")
		return cc
	}
	approve := &cobra.Command{
		Use: "approve ID --by USER", Short: "Approve a campaign as its checker (not its owner)", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if by == "" {
				return usageError{errors.New("--by USER is required")}
			}
			return a.withCampaign(cmd.Context(), args[0], func(st *store.Store, c campaigns.Campaign) error {
				c, ev, err := campaigns.Move(cmd.Context(), st, c.ID, "", true, by, a.cfg.policy(), time.Now())
				if err != nil {
					return err
				}
				fmt.Fprintf(a.stdout, "campaign %d approved by %s\n", c.ID, by)
				return a.record(cmd.Context(), st, campaignEntry(by, audit.ActionCampaignApprove, c, c.State, ev))
			})
		},
	}
	approve.Flags().StringVar(&by, "by", "", "the approving user (recorded)")

	var why string
	refuse := &cobra.Command{
		Use: "refuse ID --by USER --comment WHY", Short: "Send a campaign awaiting approval back to its maker, saying why (it stays a draft)",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if by == "" || strings.TrimSpace(why) == "" {
				return usageError{errors.New("--by USER and --comment WHY are required: the maker reads why")}
			}
			return a.withCampaign(cmd.Context(), args[0], func(st *store.Store, c campaigns.Campaign) error {
				from := c.State
				c, ev, err := campaigns.Refuse(cmd.Context(), st, c.ID, by, why, time.Now())
				if err != nil {
					return err
				}
				fmt.Fprintf(a.stdout, "campaign %d sent back to %s by %s: %s\n", c.ID, c.Owner, by, strings.TrimSpace(why))
				e := campaignEntry(by, audit.ActionCampaignRefuse, c, from, ev)
				e.Reason = strings.TrimSpace(why)
				return a.record(cmd.Context(), st, e)
			})
		},
	}
	refuse.Flags().StringVar(&by, "by", "", "the refusing user (recorded)")
	refuse.Flags().StringVar(&why, "comment", "", "why, for the maker")

	var watch bool
	status := &cobra.Command{
		Use: "status ID", Short: "Show a campaign's state and funnel (--watch: a live progress bar until it ends)", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.withCampaign(cmd.Context(), args[0], func(st *store.Store, c campaigns.Campaign) error {
				if watch {
					if err := a.watchCampaign(cmd.Context(), st, c.ID); err != nil {
						return err
					}
					var err error
					if c, err = st.Campaign(cmd.Context(), c.ID); err != nil {
						return err
					}
				}
				f, err := st.Funnel(cmd.Context(), c.ID)
				if err != nil {
					return err
				}
				ws, err := st.CampaignWaiting(cmd.Context(), c.ID)
				if err != nil {
					return err
				}
				fmt.Fprintf(a.stdout, "campaign %d %q — %s, %s, owner %s\n", c.ID, c.Name, stateName(c.State), c.Kind.Label(), c.Owner)
				printFunnel(a.stdout, f)
				printWaiting(a.stdout, ws, time.Now())
				a.printChannelPauses(cmd.Context())
				return nil
			})
		},
	}
	status.Flags().BoolVar(&watch, "watch", false, "follow progress until the campaign completes")

	list := &cobra.Command{
		Use: "list", Short: "List campaigns, newest first", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.withStore(cmd.Context(), func(st *store.Store) error {
				cs, err := st.Campaigns(cmd.Context(), "", 100)
				if err != nil {
					return err
				}
				tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "ID\tSTATE\tKIND\tOWNER\tNAME")
				for _, c := range cs {
					fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\n", c.ID, stateName(c.State), c.Kind, c.Owner, c.Name)
				}
				return tw.Flush()
			})
		},
	}
	c.AddCommand(create, preview, approve, refuse, status, list,
		transition("send", "Schedule a campaign (at its schedule_at, or now); the workers run it", campaigns.StateScheduled, ""),
		transition("pause", "Pause a running campaign: nothing more is sent until resume", campaigns.StatePaused, campaigns.StateRunning),
		transition("resume", "Resume a paused campaign", campaigns.StateRunning, campaigns.StatePaused),
		transition("cancel", "Cancel a campaign: unsent messages are skipped as cancelled", campaigns.StateCancelled, ""),
	)
	return c
}

func stateName(s campaigns.State) string {
	if s == "" {
		return string(campaigns.StateDraft)
	}
	return string(s)
}

func (a *app) withCampaign(ctx context.Context, arg string, fn func(*store.Store, campaigns.Campaign) error) error {
	id, err := strconv.ParseInt(arg, 10, 64)
	if err != nil {
		return usageError{fmt.Errorf("campaign id %q: want a number", arg)}
	}
	st, err := a.openStore(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	c, err := st.Campaign(ctx, id)
	if err != nil {
		return err
	}
	return fn(st, c)
}

// campaignPreview is campaigns.Preview with the campaign it shows and each
// sample said on one line.
type campaignPreview struct {
	campaign  campaigns.Campaign
	audience  int
	byChannel map[population.Channel]int
	skipped   map[outbound.SkipReason]int
	samples   []string
	warnings  []string
}

// previewCampaign is campaigns.BuildPreview over the store, for the
// terminal.
func previewCampaign(ctx context.Context, st *store.Store, c campaigns.Campaign, n int, now time.Time) (campaignPreview, error) {
	p, err := campaigns.BuildPreview(ctx, st, c, n, now)
	if err != nil {
		return campaignPreview{}, err
	}
	out := campaignPreview{campaign: c, audience: p.Audience, byChannel: p.ByChannel, skipped: p.Skipped, warnings: p.Warnings}
	for _, s := range p.Samples {
		out.samples = append(out.samples, sampleLine(s))
	}
	return out, nil
}

// sampleLine says a sample on one line: "sms → 138****5678: 【网格通】…
// (52 characters, 1 SMS)", a WeChat message's lines joined with " / ".
func sampleLine(s campaigns.Sample) string {
	switch {
	case s.Error != "":
		return fmt.Sprintf("%s → resident %d: %s", s.Channel, s.ResidentID, s.Error)
	case s.Channel == population.ChannelSMS:
		return fmt.Sprintf("%s → %s: %s (%d characters, %d SMS)", s.Channel, s.To, s.Text, s.Chars, s.Parts)
	}
	return fmt.Sprintf("%s → %s: %s", s.Channel, s.To, strings.Join(s.Lines, " / "))
}

func (p campaignPreview) print(w io.Writer) {
	c := p.campaign
	fmt.Fprintf(w, "campaign %d %q — %s, %s\nsegment: %s\n", c.ID, c.Name, stateName(c.State), c.Kind.Label(), c.Segment)
	fmt.Fprintf(w, "audience %d: WeChat %d, SMS %d", p.audience, p.byChannel[population.ChannelWeChat], p.byChannel[population.ChannelSMS])
	for _, r := range sortedReasons(p.skipped) {
		fmt.Fprintf(w, ", skipped %s %d", r, p.skipped[r])
	}
	fmt.Fprintln(w)
	for _, s := range p.samples {
		fmt.Fprintln(w, "  "+s)
	}
	for _, warn := range p.warnings {
		fmt.Fprintln(w, "warning: "+warn)
	}
}

func sortedReasons(m map[outbound.SkipReason]int) []outbound.SkipReason {
	out := make([]outbound.SkipReason, 0, len(m))
	for r := range m {
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// printFunnel shows targeted, skipped by reason, per channel sent,
// delivered and failed by code, and then what else went out because of
// the campaign (reminders, the desk's answers to replies) by purpose.
func printFunnel(w io.Writer, f outbound.Funnel) {
	fmt.Fprintf(w, "targeted %d", f.Targeted)
	for _, r := range sortedReasons(f.Skipped) {
		fmt.Fprintf(w, ", skipped %s %d", r, f.Skipped[r])
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  CHANNEL\tPENDING\tSENDING\tSENT\tDELIVERED\tFAILED\tFAILED BY CODE")
	for _, ch := range []population.Channel{population.ChannelWeChat, population.ChannelSMS} {
		cf, ok := f.ByChannel[ch]
		if !ok {
			continue
		}
		fmt.Fprintf(tw, "  %s\t%d\t%d\t%d\t%d\t%d\t%s\n", ch, cf.Pending, cf.Sending, cf.Sent, cf.Delivered, cf.Failed, failedBy(cf))
	}
	_ = tw.Flush()
	if len(f.FollowUps) == 0 {
		return
	}
	fmt.Fprintln(w, "follow-ups")
	tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  PURPOSE\tPENDING\tSENDING\tSENT\tDELIVERED\tFAILED\tSKIPPED\tFAILED BY CODE")
	for _, p := range outbound.Purposes {
		cf, ok := f.FollowUps[p]
		if !ok {
			continue
		}
		fmt.Fprintf(tw, "  %s\t%d\t%d\t%d\t%d\t%d\t%d\t%s\n", p, cf.Pending, cf.Sending, cf.Sent, cf.Delivered, cf.Failed, cf.Skipped, failedBy(cf))
	}
	_ = tw.Flush()
}

// failedBy is "code×n …", sorted.
func failedBy(cf outbound.ChannelFunnel) string {
	codes := make([]string, 0, len(cf.FailedBy))
	for code, n := range cf.FailedBy {
		codes = append(codes, fmt.Sprintf("%s×%d", code, n))
	}
	sort.Strings(codes)
	return strings.Join(codes, " ")
}

// settled counts messages past sending (sent, delivered, failed, skipped).
func settled(f outbound.Funnel) int {
	n := 0
	for _, v := range f.Skipped {
		n += v
	}
	for _, cf := range f.ByChannel {
		n += cf.Sent + cf.Delivered + cf.Failed
	}
	return n
}

// watchCampaign draws a progress bar of settled messages until the campaign
// is completed or cancelled, or ctx ends.
func (a *app) watchCampaign(ctx context.Context, st *store.Store, id int64) error {
	bar := progressbar.NewOptions(-1, progressbar.OptionSetWriter(a.stderr), progressbar.OptionSetDescription("messages"),
		progressbar.OptionShowCount(), progressbar.OptionClearOnFinish())
	defer bar.Finish()
	tick := time.NewTicker(500 * time.Millisecond)
	defer tick.Stop()
	for {
		c, err := st.Campaign(ctx, id)
		if err != nil {
			return err
		}
		f, err := st.Funnel(ctx, id)
		if err != nil {
			return err
		}
		if f.Targeted > 0 && bar.GetMax() != f.Targeted {
			bar.ChangeMax(f.Targeted)
		}
		_ = bar.Set(settled(f))
		if c.State.Terminal() {
			return nil
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}

// kickScheduler asks the workers, through the configured Redis, to tick
// now: a campaign sent or resumed starts within seconds, not at the next
// minute. Without a shared Redis (the embedded one lives in serve) or when
// Redis does not answer, the minute tick starts it; that is only said.
func (a *app) kickScheduler(ctx context.Context) {
	if a.cfg.Redis.mode() == "embedded" {
		return
	}
	rt := &runtime{}
	defer rt.close()
	err := a.openRedis(ctx, rt)
	if err == nil {
		enq := queue.NewEnqueuer(rt.rdb, a.cfg.queueConfig())
		err = errors.Join(enq.Tick(ctx), enq.Close())
	}
	if err != nil {
		a.log.WarnContext(ctx, "campaign_kick_failed", "err", err, "hint", "the workers' minute tick starts it")
	}
}
