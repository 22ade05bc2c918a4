package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/gridcast/gridcast/population"
	"github.com/gridcast/gridcast/population/synth"
	"github.com/gridcast/gridcast/segments"
)

func (a *app) demoCommand() *cobra.Command {
	var n int
	var dir string
	c := &cobra.Command{
		Use:   "demo",
		Short: "Run the whole story on the embedded default and print what happened",
		Long: `Builds a fresh population store (SQLite in a temporary directory unless --dir
is given), seeds a synthetic city, and selects the audiences the field reports
name: job seekers with matching skills in one street, elderly people living
alone who are not on WeChat, the five must-visit groups (五必访) and more.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.runDemo(cmd.Context(), n, dir)
		},
	}
	c.Flags().IntVar(&n, "residents", 20000, "size of the synthetic population")
	c.Flags().StringVar(&dir, "dir", "", "keep the demo's data in this directory (default: a temporary one, removed afterwards)")
	return c
}

func (a *app) runDemo(ctx context.Context, n int, dir string) error {
	out := a.stdout
	if dir == "" {
		tmp, err := os.MkdirTemp("", "gridcast-demo-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		dir = tmp
	}
	// The demo always runs on its own embedded store so that it can never
	// touch a production database named in config.yaml.
	a.cfg.DataDir = dir
	a.cfg.Store = StoreConfig{Driver: "sqlite", DSN: filepath.Join(dir, "gridcast.db")}
	a.cfg.Security = SecurityConfig{}
	def := defaultConfig()
	a.cfg.Sandbox, a.cfg.WeChat, a.cfg.AliyunSMS = true, def.WeChat, def.AliyunSMS
	a.cfg.Redis = RedisConfig{}
	a.cfg.HTTP.Addr = "127.0.0.1:0"
	// The demo may run at any hour; quiet hours (default 21:00–08:00) would
	// hold its messages until morning, so it switches them off.
	a.cfg.Campaigns.QuietStart, a.cfg.Campaigns.QuietEnd = "00:00", "00:00"
	st, err := a.openStore(ctx)
	if err != nil {
		return err
	}
	defer st.Close()

	fmt.Fprintf(out, "GridCast demo — embedded store %s\n\n", a.cfg.Store.DSN)
	fmt.Fprintf(out, "1. Seeding a synthetic city of %d residents\n", n)
	res, err := seedPopulation(ctx, st, synth.Config{Residents: n, Seed: 7}, io.Discard)
	if err != nil {
		return err
	}
	grids, err := st.Grids(ctx)
	if err != nil {
		return err
	}
	levels := map[population.Level]int{}
	var street, community population.Grid
	for _, g := range grids {
		levels[g.Level]++
		if g.Level == population.LevelStreet && street.Code == "" {
			street = g
		}
		if g.Level == population.LevelCommunity && community.Code == "" {
			community = g
		}
	}
	fmt.Fprintf(out, "   %d districts, %d streets, %d communities, %d grids, %d unit grids; %d workers; %d residents in %s\n\n",
		levels[population.LevelDistrict], levels[population.LevelStreet], levels[population.LevelCommunity], levels[population.LevelGrid],
		levels[population.LevelUnit], res.workers, res.residents, res.elapsed.Round(time.Millisecond))

	fmt.Fprintln(out, "2. Audiences the field reports name (segment → residents)")
	audiences := []struct{ who, expr string }{
		{"job seekers: unemployed electricians/welders aged 18–45 in " + street.Name, fmt.Sprintf("category:unemployed AND age:18..45 AND skill:(电工 OR 焊工) AND grid:%s*", street.Code)},
		{"all registered unemployed (失业登记)", "category:unemployed"},
		{"hard-to-employ (就业困难人员) who still accept job postings", "category:hard_to_employ AND consent:job"},
		{"trainees (培训学员) reachable on WeChat", "category:trainee AND channel:wechat"},
		{"elderly living alone (独居老人) not on WeChat → SMS", "category:elderly_alone AND NOT channel:wechat"},
		{"empty-nest elderly aged 80+ in " + community.Name, fmt.Sprintf("category:empty_nest AND age:>=80 AND grid:%s*", community.Code)},
		{"subsistence households (低保户)", "category:subsistence"},
		{"五必访 must-visit: new residents, elderly alone, disabled, left-behind, floating", "category:(new_resident OR elderly_alone OR disabled OR left_behind_guardian OR floating)"},
	}
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	for _, au := range audiences {
		start := time.Now()
		cnt, err := st.CountSegment(ctx, au.expr)
		if err != nil {
			return fmt.Errorf("demo: segment %q: %w", au.expr, err)
		}
		fmt.Fprintf(tw, "   %s\t%d\t(%s)\n      %s\t\t\n", au.who, cnt, time.Since(start).Round(time.Microsecond), au.expr)
	}
	if err := tw.Flush(); err != nil {
		return err
	}

	fmt.Fprintln(out, "\n3. Saving the job-seeker audience as a named segment and reusing it")
	jobSeekers := audiences[0].expr
	if err := st.SaveSegment(ctx, segments.SavedSegment{Name: "street_job_seekers", Expr: jobSeekers, Owner: "employment-officer", Description: "electricians and welders looking for work"}); err != nil {
		return err
	}
	reuse := "segment:street_job_seekers AND consent:job"
	cnt, err := st.CountSegment(ctx, reuse)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "   %s → %d residents (opted-out residents removed)\n\n", reuse, cnt)

	fmt.Fprintln(out, "4. Who they are — a masked sample, as an officer's preview shows it")
	sample, err := st.SampleSegment(ctx, jobSeekers, 5)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	printResidents(&buf, sample, time.Now())
	fmt.Fprint(out, prefixLines(buf.String(), "   "))

	fmt.Fprintln(out, "\n5. Streaming the five must-visit groups page by page (what the campaign fan-out will use)")
	pages, total := 0, 0
	err = st.StreamSegment(ctx, audiences[7].expr, 0, 1000, func(batch []population.Resident) error {
		pages++
		total += len(batch)
		return nil
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "   %d residents in %d pages of at most 1000\n\n", total, pages)

	fmt.Fprintln(out, "6. A mistyped segment is refused with the column where it went wrong")
	_, err = st.CountSegment(ctx, "category:unemployed AND age:45..18")
	if pe, ok := asSegqlError(err); ok {
		fmt.Fprintf(out, "   %v\n%s\n", err, prefixLines(pe.Pretty(), "   "))
	} else {
		return fmt.Errorf("demo: a bad range was not refused: %v", err)
	}
	if err := a.serve(ctx, true, true, func(ctx context.Context, sv serving) error {
		c, err := a.runDemoCampaign(ctx, sv, street, out)
		if err != nil {
			return err
		}
		if err := a.runDemoReplies(ctx, sv, c, community, out); err != nil {
			return err
		}
		r, w, err := a.runDemoStreet(ctx, sv, community, out)
		if err != nil {
			return err
		}
		return a.runDemoMonth(ctx, sv, r, w, out)
	}); err != nil {
		return err
	}
	fmt.Fprintln(out, "\ndemo complete")
	return nil
}

func prefixLines(s, prefix string) string {
	out := make([]byte, 0, len(s)+16)
	start := true
	for i := 0; i < len(s); i++ {
		if start && s[i] != '\n' {
			out = append(out, prefix...)
		}
		out = append(out, s[i])
		start = s[i] == '\n'
	}
	return string(out)
}
