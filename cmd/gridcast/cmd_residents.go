package main

import (
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/gridcast/gridcast/store"
)

func (a *app) residentsCommand() *cobra.Command {
	c := &cobra.Command{Use: "residents", Short: "Look up residents (masked) and unmask an ID number with a reason"}
	var asJSON bool
	show := &cobra.Command{
		Use:   "show ID",
		Short: "Show one resident, masked",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := strconv.ParseInt(args[0], 10, 64)
			if err != nil {
				return usageError{fmt.Errorf("resident id %q: want a number", args[0])}
			}
			return a.withStore(cmd.Context(), func(st *store.Store) error {
				r, err := st.Resident(cmd.Context(), id)
				if err != nil {
					return err
				}
				m := newMaskedResident(r, time.Now())
				if asJSON {
					enc := json.NewEncoder(a.stdout)
					enc.SetIndent("", "  ")
					return enc.Encode(m)
				}
				fmt.Fprintf(a.stdout, "resident %d: %s (%s, %d) phone %s id %s\ngrid %s, %s\ncategories %v skills %v desired jobs %v\nwechat bound: %v, opted out of: %v\n",
					m.ID, m.Name, m.Gender, m.Age, m.Phone, m.IDNumber, m.Grid, m.Address, m.Categories, m.Skills, m.Jobs, m.WeChat, m.OptOuts)
				return nil
			})
		},
	}
	show.Flags().BoolVar(&asJSON, "json", false, "print JSON")

	var reason, by string
	unmask := &cobra.Command{
		Use:   "unmask ID",
		Short: "Print a resident's clear ID number; needs --reason and --by, and is logged",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(reason) < 4 || by == "" {
				return usageError{fmt.Errorf("unmask needs --by WHO and --reason WHY (at least 4 characters)")}
			}
			id, err := strconv.ParseInt(args[0], 10, 64)
			if err != nil {
				return usageError{fmt.Errorf("resident id %q: want a number", args[0])}
			}
			return a.withStore(cmd.Context(), func(st *store.Store) error {
				clear, err := st.UnmaskIDNumber(cmd.Context(), id)
				if err != nil {
					return err
				}
				a.log.WarnContext(cmd.Context(), "id_number_unmasked", "resident_id", id, "by", by, "reason", reason, "id_number", clear)
				fmt.Fprintln(a.stdout, string(clear))
				return nil
			})
		},
	}
	unmask.Flags().StringVar(&reason, "reason", "", "why the clear number is needed (logged)")
	unmask.Flags().StringVar(&by, "by", "", "who asks (logged)")
	c.AddCommand(show, unmask)
	return c
}
