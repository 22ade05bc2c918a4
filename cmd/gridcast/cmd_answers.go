package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/gridcast/gridcast/campaigns"
	"github.com/gridcast/gridcast/fault"
	"github.com/gridcast/gridcast/population"
	"github.com/gridcast/gridcast/sheet"
	"github.com/gridcast/gridcast/store"
)

// answerRow is one line of a campaign's sign-up list.
type answerRow struct {
	ResidentID int64
	Name       string // masked
	Phone      string // masked unless unmasked with a reason
	Grid       string
	Option     string
	Meaning    string
	AnsweredAt string // Asia/Shanghai
}

// answerHeaders are the sheet's column headers, for the officers who use it.
var answerHeaders = []string{"居民编号", "姓名", "手机号", "网格", "回复", "含义", "回复时间"}

func (a *app) ticketsAnswers() *cobra.Command {
	var xlsx, reason, by string
	var unmask bool
	cmd := &cobra.Command{
		Use:   "answers CAMPAIGN_ID [--xlsx FILE] [--unmask --reason WHY --by WHO]",
		Short: "The sign-up list of a campaign: who answered which reply option",
		Long: `Lists each resident's latest answer to a campaign's reply options (回复1报名),
oldest first. Names and phone numbers are masked. --xlsx writes the list to an
Excel file; with --unmask --reason WHY the file carries clear phone numbers (for
the employer or trainer who will call), and who asked and why is logged.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := parseID("campaign", args[0])
			if err != nil {
				return err
			}
			if unmask {
				if xlsx == "" {
					return usageError{errors.New("--unmask needs --xlsx FILE: clear phone numbers go to a file, not to the screen")}
				}
				if by == "" {
					if u, ok := a.env.lookup("USER"); ok {
						by = u
					}
				}
				if len([]rune(strings.TrimSpace(reason))) < 4 || by == "" {
					return usageError{errors.New("--unmask needs --reason WHY (at least 4 characters) and --by WHO; both are logged")}
				}
			}
			ctx := cmd.Context()
			return a.withStore(ctx, func(st *store.Store) error {
				c, err := st.Campaign(ctx, id)
				if errors.Is(err, fault.ErrNotFound) {
					return fmt.Errorf("campaign %d not found", id)
				}
				if err != nil {
					return err
				}
				rows, err := answerRows(ctx, st, id, unmask)
				if err != nil {
					return err
				}
				if xlsx == "" {
					a.printAnswers(c, rows)
					return nil
				}
				if err := writeAnswersXLSX(xlsx, c, rows); err != nil {
					return err
				}
				if err := a.recordExport(ctx, st, xlsx, answersExport(id, xlsx, len(rows), unmask, by, reason)...); err != nil {
					return err
				}
				phones := "phones masked"
				if unmask {
					a.log.WarnContext(ctx, "answers_unmasked", "campaign_id", id, "rows", len(rows), "by", by, "reason", reason, "file", xlsx)
					phones = "clear phone numbers; logged — keep the file safe and delete it after use"
				}
				fmt.Fprintf(a.stdout, "wrote %d answers of campaign %d to %s (%s)\n", len(rows), id, xlsx, phones)
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&xlsx, "xlsx", "", "write the list to this Excel file")
	cmd.Flags().BoolVar(&unmask, "unmask", false, "write clear phone numbers to the file (needs --reason and --by; logged)")
	cmd.Flags().StringVar(&reason, "reason", "", "why the clear numbers are needed (logged)")
	cmd.Flags().StringVar(&by, "by", "", "who asks (logged; default $USER)")
	return cmd
}

func answerRows(ctx context.Context, st *store.Store, campaignID int64, clearPhones bool) ([]answerRow, error) {
	ans, err := st.CampaignAnswers(ctx, campaignID)
	if err != nil {
		return nil, err
	}
	p := population.NewDirectory(st)
	rows := make([]answerRow, 0, len(ans))
	for _, an := range ans {
		r, err := p.Resident(ctx, an.ResidentID)
		if err != nil {
			return nil, err
		}
		phone := r.Phone.Masked()
		if clearPhones {
			phone = string(r.Phone)
		}
		rows = append(rows, answerRow{ResidentID: an.ResidentID, Name: r.Name.Masked(), Phone: phone, Grid: r.GridCode,
			Option: an.Option, Meaning: an.Meaning, AnsweredAt: shTime(an.AnsweredAt, "2006-01-02 15:04:05")})
	}
	return rows, nil
}

func (a *app) printAnswers(c campaigns.Campaign, rows []answerRow) {
	count := map[string]int{}
	for _, r := range rows {
		count[r.Option+" "+r.Meaning]++
	}
	keys := make([]string, 0, len(count))
	for k := range count {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s ×%d", k, count[k]))
	}
	fmt.Fprintf(a.stdout, "campaign %d %q: %d answers", c.ID, c.Name, len(rows))
	if len(parts) > 0 {
		fmt.Fprintf(a.stdout, " (%s)", strings.Join(parts, ", "))
	}
	fmt.Fprintln(a.stdout)
	if len(rows) == 0 {
		return
	}
	tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "RESIDENT\tNAME\tPHONE\tGRID\tOPTION\tMEANING\tANSWERED")
	for _, r := range rows {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\n", r.ResidentID, orDash(r.Name), orDash(r.Phone), r.Grid, r.Option, r.Meaning, r.AnsweredAt)
	}
	_ = tw.Flush()
}

// writeAnswersXLSX writes the sign-up list to path, readable by its owner
// only (it may hold clear phone numbers). The phone column is text so
// that Excel keeps every digit.
func writeAnswersXLSX(path string, c campaigns.Campaign, rows []answerRow) (err error) {
	cols := make([]sheet.Column, len(answerHeaders))
	for i, h := range answerHeaders {
		cols[i] = sheet.Column{Header: h, Width: []float64{10, 10, 16, 18, 8, 12, 20}[i], Text: i == 2}
	}
	out := sheet.Sheet{Name: "报名名单", Title: fmt.Sprintf("campaign %d %s", c.ID, c.Name), Columns: cols}
	for _, r := range rows {
		out.Rows = append(out.Rows, []any{r.ResidentID, r.Name, r.Phone, r.Grid, r.Option, r.Meaning, r.AnsweredAt})
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}()
	return out.WriteXLSX(f)
}
