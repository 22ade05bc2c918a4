package main

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/gridcast/gridcast/population"
	"github.com/gridcast/gridcast/store"
)

func (a *app) templatesCommand() *cobra.Command {
	c := &cobra.Command{Use: "templates", Short: "Sync and list the providers' approved message templates"}
	c.AddCommand(&cobra.Command{
		Use:   "sync",
		Short: "Fetch the Aliyun SMS and WeChat templates into the store (campaigns are checked against them)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.withStore(cmd.Context(), func(st *store.Store) error {
				rt := &runtime{}
				defer rt.close()
				if err := a.openRedis(cmd.Context(), rt); err != nil {
					return err
				}
				if err := a.openProviders(cmd.Context(), rt, ""); err != nil {
					return err
				}
				sms, wx, err := syncTemplates(cmd.Context(), st, rt, time.Now())
				if err != nil {
					return err
				}
				fmt.Fprintf(a.stdout, "synced %d SMS and %d WeChat templates\n", sms, wx)
				return nil
			})
		},
	}, &cobra.Command{
		Use:   "list",
		Short: "List synced templates",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.withStore(cmd.Context(), func(st *store.Store) error {
				for _, ch := range []population.Channel{population.ChannelSMS, population.ChannelWeChat} {
					ts, err := st.Templates(cmd.Context(), ch)
					if err != nil {
						return err
					}
					for _, t := range ts {
						state := "approved"
						if !t.Approved {
							state = "NOT approved"
						}
						fmt.Fprintf(a.stdout, "%s\t%s\t%s\t%s\n", ch, t.Code, state, t.Content)
					}
				}
				return nil
			})
		},
	})
	return c
}
