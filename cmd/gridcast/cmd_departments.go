package main

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/gridcast/gridcast/tickets"
)

// departmentView is a department as `gridcast departments --json` prints
// it: the shape of GET /api/v1/departments.
type departmentView struct {
	Code       string         `json:"code"`
	Name       string         `json:"name"`
	Categories []categoryView `json:"categories"`
}

// categoryView is a ticket category with its label.
type categoryView struct {
	Category string `json:"category"`
	Label    string `json:"label"`
}

// departmentsCommand lists the departments and the ticket categories
// suggested for each (departments, departments_by_category).
func (a *app) departmentsCommand() *cobra.Command {
	var category string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "departments [--category CATEGORY] [--json]",
		Short: "List the departments tickets are dispatched to, with the ticket categories suggested for each",
		Long: `List the departments (departments: in the configuration, by default 城管, 住建/物业, 民政,
人社, 医保, 卫健, 派出所, 消防, 燃气, 供暖, 水电) with the ticket categories whose cases
usually go to each (departments_by_category:). With --category, only the departments
suggested for that category (an identifier or a label: heating_gas, 供暖/燃气), in order.
The suggestion is the dispatcher's starting point; they decide.`,
		Args: cobra.NoArgs,
		RunE: func(_ *cobra.Command, _ []string) error {
			dc, err := a.cfg.deskConfig(a.log)
			if err != nil {
				return err
			}
			cls, known, routes := dc.Tickets.Classifier, a.cfg.departments(), a.cfg.routes()
			label := func(c string) categoryView { return categoryView{c, cls.Label(tickets.Category(c))} }
			var vs []departmentView
			if category != "" {
				cat, err := classifierCategory(cls, category)
				if err != nil {
					return usageError{fmt.Errorf("--category: %w", err)}
				}
				for _, d := range routes.Suggest(string(cat), known) {
					vs = append(vs, departmentView{Code: d.Code, Name: d.Name, Categories: []categoryView{label(string(cat))}})
				}
				if len(vs) == 0 && !asJSON {
					fmt.Fprintf(a.stdout, "%s %s: no department suggested; the community settles it or the dispatcher chooses\n", cat, cls.Label(cat))
					return nil
				}
			} else {
				order := a.cfg.ticketCategories()
				for _, d := range known {
					cats := routes.Categories(d.Code)
					slices.SortStableFunc(cats, func(x, y string) int { return slices.Index(order, x) - slices.Index(order, y) })
					v := departmentView{Code: d.Code, Name: d.Name, Categories: []categoryView{}}
					for _, c := range cats {
						v.Categories = append(v.Categories, label(c))
					}
					vs = append(vs, v)
				}
			}
			if asJSON {
				if vs == nil {
					vs = []departmentView{}
				}
				enc := json.NewEncoder(a.stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(vs)
			}
			tw := tabwriter.NewWriter(a.stdout, 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "CODE\tNAME\tCATEGORIES")
			for _, v := range vs {
				var cs []string
				for _, c := range v.Categories {
					cs = append(cs, c.Category+" "+c.Label)
				}
				if len(cs) == 0 {
					cs = []string{"-"}
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\n", v.Code, v.Name, strings.Join(cs, ", "))
			}
			return tw.Flush()
		},
	}
	cmd.Flags().StringVar(&category, "category", "", "only the departments suggested for this ticket category")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}
