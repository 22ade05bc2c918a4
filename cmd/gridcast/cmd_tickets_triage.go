package main

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/gridcast/gridcast/campaigns"
	"github.com/gridcast/gridcast/store"
	"github.com/gridcast/gridcast/tickets"
)

// ticketsRecategorise files a ticket under another category (desk
// Recategorise).
func (a *app) ticketsRecategorise() *cobra.Command {
	return a.ticketChange(&cobra.Command{
		Use:   "recategorise ID CATEGORY [--by NAME] [--note WHY]",
		Short: "File a ticket under another category (heating_gas or 供暖/燃气 …); recorded on its timeline",
		Long: `File a ticket under another category when the classifier chose wrong. CATEGORY is an
identifier or a Chinese label: employment 就业, social_assistance 社会救助, elderly_care
养老服务, household_registration 户籍证件, schooling 入学, environment 环境卫生, disputes
邻里纠纷/噪音, complaints 投诉举报, property 物业/房屋, city_management 城市管理, safety
安全隐患/消防, social_insurance 社保医保, family_planning 计生/生育, public_security 治安,
heating_gas 供暖/燃气, staff_complaint 投诉(对工作人员), other 其他.
A category that starts higher (staff_complaint: the community) moves the ticket there and
notifies its new owner; a shorter deadline brings the deadline forward.`,
	}, func(ctx context.Context, st *store.Store, d *cliDesk, id int64, category, by, note string) error {
		before, err := loadTicket(ctx, st, id)
		if err != nil {
			return err
		}
		t, err := d.Recategorise(ctx, id, category, by, note)
		if err != nil {
			return fmt.Errorf("ticket %d: %w", id, err)
		}
		fmt.Fprintf(a.stdout, "ticket %d: %s → %s by %s\n", id, before.Category.Label(), t.Category.Label(), by)
		if t.Level != before.Level {
			fmt.Fprintf(a.stdout, "  now with the %s; they are notified\n  %s\n", t.Level.Label(), d.queued)
		}
		return nil
	})
}

// ticketsUrgency changes a ticket's urgency (desk SetUrgency).
func (a *app) ticketsUrgency() *cobra.Command {
	return a.ticketChange(&cobra.Command{
		Use:   "urgency ID emergency|normal|complex [--by NAME] [--note WHY]",
		Short: "Mark a ticket 紧急 (grid leader, 2h), 一般 (its category's deadline) or 复杂 (7 days); recorded on its timeline",
	}, func(ctx context.Context, st *store.Store, d *cliDesk, id int64, urgency, by, note string) error {
		if _, err := loadTicket(ctx, st, id); err != nil {
			return err
		}
		t, err := d.SetUrgency(ctx, id, urgency, by, note)
		if err != nil {
			return fmt.Errorf("ticket %d: %w", id, err)
		}
		u, _ := tickets.ParseUrgency(urgency)
		fmt.Fprintf(a.stdout, "ticket %d: %s by %s, with the %s, due %s\n", id, u.Label(), by, t.Level.Label(),
			t.DueAt.In(campaigns.Shanghai()).Format("2006-01-02 15:04"))
		return nil
	})
}

// ticketChange makes c a command on ticket ID with one value (its second
// argument), --by and --note, that runs change through the desk.
func (a *app) ticketChange(c *cobra.Command, change func(ctx context.Context, st *store.Store, d *cliDesk, id int64, value, by, note string) error) *cobra.Command {
	var by, note string
	c.Args = cobra.ExactArgs(2)
	c.RunE = func(cmd *cobra.Command, args []string) error {
		id, err := parseID("ticket", args[0])
		if err != nil {
			return err
		}
		ctx := cmd.Context()
		return a.withDesk(ctx, func(st *store.Store, d *cliDesk) error {
			return change(ctx, st, d, id, args[1], by, note)
		})
	}
	c.Flags().StringVar(&by, "by", a.defaultActor(), "who does this (recorded on the ticket)")
	c.Flags().StringVar(&note, "note", "", "why (recorded on the timeline)")
	return c
}
