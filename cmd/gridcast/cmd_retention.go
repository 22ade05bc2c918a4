package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/gridcast/gridcast/retention"
	"github.com/gridcast/gridcast/store"
)

func (a *app) retentionCommand() *cobra.Command {
	c := &cobra.Command{Use: "retention", Short: "Clear residents' personal data older than the retention section's ages"}
	var dryRun, asJSON bool
	runCmd := &cobra.Command{
		Use:   "run [--dry-run]",
		Short: "Run the retention purge now, as the workers do daily (--dry-run: count only)",
		Long: `Clears, as the workers' daily purge does, what is older than the retention
section's ages: the text, parameters, link and recipient of outbound
messages (retention.message_text); the content and sender of residents'
messages, WeChat binding requests, and of tickets closed that long ago
their text, a reported event's location (address, point, place), their
photos and voice (deleted from the blob store, originals and
thumbnails) and the staff's notes on their department tasks and 督办
flags, which then read [已删除] (retention.inbound). Statuses, times,
campaigns, channels and residents stay, so funnels, caps and evaluations
count as before. It works in batches and keeps its place: stopping it
(Ctrl-C) loses nothing, and files an erasure or an earlier run could not
delete are deleted now.

--dry-run counts what would be cleared and changes nothing; it also runs
while retention.enabled is false, which otherwise refuses.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			rc := a.cfg.retentionConfig()
			var blobs retention.Blobs
			if !dryRun {
				media, err := a.cfg.openMedia(ctx)
				if err != nil {
					return err
				}
				blobs = media
			}
			return a.withStore(ctx, func(st *store.Store) error {
				now := time.Now()
				n, err := retention.Purge(ctx, st, blobs, rc, now, dryRun)
				if err != nil {
					if n.BlobsPending > 0 {
						printRetention(a.stdout, rc, n, now, dryRun)
					}
					return err
				}
				a.log.InfoContext(ctx, "retention_run", "dry_run", dryRun, "messages", n.Messages, "inbound", n.Inbound,
					"tickets", n.Tickets, "bindings", n.Bindings, "attachments", n.Attachments, "tasks", n.Tasks,
					"supervisions", n.Supervisions, "blobs", n.Blobs, "blobs_pending", n.BlobsPending)
				if asJSON {
					return json.NewEncoder(a.stdout).Encode(retentionReport{DryRun: dryRun, Counts: n,
						MessagesBefore: cutoff(now, rc.MessageText), InboundBefore: cutoff(now, rc.Inbound)})
				}
				printRetention(a.stdout, rc, n, now, dryRun)
				return nil
			})
		},
	}
	runCmd.Flags().BoolVar(&dryRun, "dry-run", false, "count what would be cleared; change nothing")
	runCmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	c.AddCommand(runCmd)
	return c
}

// retentionReport is `retention run --json`: the counts and the cutoffs
// (absent for data kept forever).
type retentionReport struct {
	DryRun bool `json:"dry_run"`
	retention.Counts
	MessagesBefore *time.Time `json:"messages_before,omitempty"`
	InboundBefore  *time.Time `json:"inbound_before,omitempty"`
}

// cutoff is now less age, or nil for an age of zero (kept forever).
func cutoff(now time.Time, age time.Duration) *time.Time {
	if age <= 0 {
		return nil
	}
	t := now.Add(-age).UTC()
	return &t
}

// printRetention writes what a purge cleared (or would clear), one line
// per kind of data with its cutoff.
func printRetention(w io.Writer, rc retention.Config, n retention.Counts, now time.Time, dryRun bool) {
	verb := "cleared"
	if dryRun {
		fmt.Fprintln(w, "dry run: nothing was changed")
		verb = "would clear"
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "DATA\tOLDER THAN\t%s\n", strings.ToUpper(verb))
	for _, l := range []struct {
		what, key string
		age       time.Duration
		n         int64
	}{
		{"outbound messages (text, parameters, recipient)", "message_text", rc.MessageText, n.Messages},
		{"residents' messages (content, sender)", "inbound", rc.Inbound, n.Inbound},
		{"closed tickets' texts and locations", "inbound", rc.Inbound, n.Tickets},
		{"WeChat binding requests (deleted)", "inbound", rc.Inbound, n.Bindings},
		{"closed tickets' photos and voice", "inbound", rc.Inbound, n.Attachments},
		{"closed tickets' department task notes", "inbound", rc.Inbound, n.Tasks},
		{"closed tickets' 督办 notes", "inbound", rc.Inbound, n.Supervisions},
	} {
		if l.age <= 0 {
			fmt.Fprintf(tw, "%s\tkept (retention.%s: 0s)\t-\n", l.what, l.key)
			continue
		}
		fmt.Fprintf(tw, "%s\t%s (%s)\t%s\n", l.what, shTime(now.Add(-l.age), "2006-01-02 15:04"), days(l.age), thousands(int(l.n)))
	}
	_ = tw.Flush()
	switch {
	case dryRun && n.BlobsPending > 0:
		fmt.Fprintf(w, "files waiting to be deleted from the blob store: %s (a run deletes them with those of the photos and voice above)\n",
			thousands(int(n.BlobsPending)))
	case dryRun:
	case n.BlobsPending > 0:
		fmt.Fprintf(w, "files deleted from the blob store: %s; still waiting: %s (the blob store failed; the next run deletes them)\n",
			thousands(int(n.Blobs)), thousands(int(n.BlobsPending)))
	default:
		fmt.Fprintf(w, "files deleted from the blob store (originals and thumbnails): %s\n", thousands(int(n.Blobs)))
	}
}

// days says an age in days when it is a whole number of them.
func days(d time.Duration) string {
	if d%(24*time.Hour) == 0 {
		return fmt.Sprintf("%d days", d/(24*time.Hour))
	}
	return d.String()
}
