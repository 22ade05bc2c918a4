package main

import (
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/gridcast/gridcast/access"
	"github.com/gridcast/gridcast/assessment"
	"github.com/gridcast/gridcast/fault"
	"github.com/gridcast/gridcast/ledger"
	"github.com/gridcast/gridcast/sheet"
)

func (a *app) ledgerCommand() *cobra.Command {
	var period, grid, xlsx string
	cmd := &cobra.Command{
		Use:     "ledger --xlsx FILE [--period 2026-11|2026-Q4|2026] [--grid CODE]",
		Aliases: []string{"taizhang"},
		Short:   "台账: the period's visits, tickets and living-record changes as one workbook for inspection",
		Long: `Writes the 台账 inspectors check (查台账) for the period (default: this month so far) as one
Excel workbook of three sheets formatted for printing: 走访台账 (the visits recorded), 工单台账
(the tickets opened, with their deadline, whether resolved on time and the residents'
satisfaction) and 活户籍台账 (the living records changed). --grid limits it to a grid and the
grids below it (a street, a community); default the whole city. Residents' names, phones, ID
numbers and rooms are masked throughout, notes and ticket text scrubbed; worker names are shown
in clear (挂牌服务). Prints how many rows each sheet holds.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			if xlsx == "" {
				return usageError{fault.Refuse(fault.ErrInvalid, "--xlsx FILE is required: the workbook to write",
					"须指明 --xlsx 文件：台账写入的 Excel 文件", nil)}
			}
			p := assessment.MonthOf(time.Now())
			if period != "" {
				var err error
				if p, err = assessment.ParsePeriod(period); err != nil {
					return usageError{fmt.Errorf("--period: %w", err)}
				}
			}
			scope := access.Scope{access.All}
			if g := strings.TrimSpace(grid); g != "" {
				if g == access.All || (access.Scope{g}).Validate() != nil {
					return usageError{fault.Refuse(fault.ErrInvalid, fmt.Sprintf("--grid %q is not a grid code", grid),
						fmt.Sprintf("网格编号 %q 无效", grid), nil)}
				}
				scope = access.Scope{g}
			}
			dc, err := a.cfg.deskConfig(a.log)
			if err != nil {
				return err
			}
			st, err := a.openStore(ctx)
			if err != nil {
				return err
			}
			defer st.Close()
			if g := strings.TrimSpace(grid); g != "" {
				if _, err := st.Grid(ctx, g); err != nil {
					return fmt.Errorf("--grid: %w", err)
				}
			}
			sheets, err := ledger.Builder{Source: st, OnTime: dc.Tickets.SLA.OnTime}.Build(ctx, p, scope)
			if err != nil {
				return err
			}
			if err := writeWorkbook(xlsx, sheets); err != nil {
				return err
			}
			where := "the whole city"
			if grid != "" {
				where = strings.TrimSpace(grid)
			}
			fmt.Fprintf(a.stdout, "wrote the ledger of %s for %s to %s\n", p.Label(), where, xlsx)
			for _, s := range sheets {
				fmt.Fprintf(a.stdout, "  %s\t%d\n", s.Name, len(s.Rows))
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&period, "period", "", "a month (2026-11), quarter (2026-Q4) or year (2026); default this month")
	cmd.Flags().StringVar(&grid, "grid", "", "only this grid and the grids below it (a street or community code); default the whole city")
	cmd.Flags().StringVar(&xlsx, "xlsx", "", "write the workbook to this Excel file (required)")
	return cmd
}

// writeWorkbook writes sheets to the file path, leaving no half-written
// file behind on failure.
func writeWorkbook(path string, sheets []sheet.Sheet) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := sheet.WriteWorkbook(f, sheets...); err != nil {
		_ = f.Close()
		_ = os.Remove(path)
		return err
	}
	return f.Close()
}
