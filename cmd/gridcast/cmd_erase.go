package main

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/gridcast/gridcast/audit"
	"github.com/gridcast/gridcast/retention"
	"github.com/gridcast/gridcast/store"
)

// residentsErase is `gridcast residents erase`: erasure on request (PIPL).
func (a *app) residentsErase() *cobra.Command {
	var reason, by string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "erase ID --reason TEXT --by NAME",
		Short: "Erase a resident's personal data on their request (PIPL); the counts stay",
		Long: `Erases resident ID on request, in one transaction, and records who did it
and why in the erasure register. Their name becomes a pseudonym
(已删除#1a2b3c4d); their phone, ID number, address, WeChat binding,
categories, skills, desired jobs and training go; the content and
recipient of every message to them and the content of everything they
sent are cleared, as are their tickets' texts and locations. The photos
and voice recordings of their tickets and messages are deleted from the
blob store (originals and thumbnails), and the staff's notes on their
tickets' department tasks and 督办 flags read [已删除]. Messages still
waiting to go to them are skipped, visits booked ahead cancelled, and no
segment selects them again.

Should the blob store fail after the erasure, the erasure stands and the
files wait: running erase again, or the next retention sweep, deletes
them (the command then exits with status 1).

Kept: the record's id (the ledger and the tickets refer to it), its grid,
gender and birth year, every status, time, campaign and channel — so
campaign funnels, ticket counts and evaluations add up as before — and the
keyed hash of the ID number: an import or sync that sends the person again
is refused for them ("erased on request, not re-added"), because the source
still holds them. It cannot be undone. Erasing someone erased before
changes nothing.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := parseID("resident", args[0])
			if err != nil {
				return err
			}
			if retention.CheckRequest(by, reason) != nil {
				return usageError{fmt.Errorf("erase needs --by NAME (who carries it out) and --reason TEXT (why, at least %d characters: the request and its reference)",
					retention.MinReasonLen)}
			}
			ctx := cmd.Context()
			media, err := a.cfg.openMedia(ctx)
			if err != nil {
				return err
			}
			return a.withStore(ctx, func(st *store.Store) error {
				e, err := retention.Eraser{Store: st, Blobs: media, Log: a.log}.EraseResident(ctx, id, by, reason)
				if err != nil {
					return err
				}
				if !e.Already {
					detail, _ := json.Marshal(map[string]any{"messages_cleared": e.MessagesCleared, "inbound_cleared": e.InboundCleared,
						"tickets_cleared": e.TicketsCleared, "attachments_purged": e.AttachmentsPurged, "notes_cleared": e.NotesCleared})
					if err := a.record(ctx, st, audit.Entry{Actor: by, Action: audit.ActionResidentErase,
						Subject: fmt.Sprintf("resident:%d", id), Reason: reason, Detail: string(detail)}); err != nil {
						return err
					}
				}
				if asJSON {
					enc := json.NewEncoder(a.stdout)
					enc.SetIndent("", "  ")
					if err := enc.Encode(e); err != nil {
						return err
					}
				} else {
					printErased(a.stdout, e)
				}
				if e.BlobsPending > 0 {
					return fmt.Errorf("the erasure stands, but %d photo and voice files could not be deleted from the blob store (see the log): run erase again, or the next retention sweep deletes them",
						e.BlobsPending)
				}
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&reason, "reason", "", "why: the request and its reference (kept in the erasure register)")
	cmd.Flags().StringVar(&by, "by", "", "who carries the erasure out (kept in the erasure register)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func printErased(w io.Writer, e retention.Erased) {
	at := shTime(e.At, "2006-01-02 15:04")
	if e.Already {
		fmt.Fprintf(w, "resident %d was already erased on %s by %s (%s): nothing changed\n", e.ResidentID, at, e.By, e.Pseudonym)
		if e.BlobsDeleted > 0 {
			fmt.Fprintf(w, "  files left in the blob store by an earlier erasure or purge, now deleted: %d\n", e.BlobsDeleted)
		}
		return
	}
	fmt.Fprintf(w, "resident %d erased on request: now %s (%s, by %s)\n", e.ResidentID, e.Pseudonym, at, e.By)
	fmt.Fprintf(w, "  messages cleared %s, still waiting and now skipped %s\n", thousands(int(e.MessagesCleared)), thousands(int(e.MessagesSkipped)))
	fmt.Fprintf(w, "  their messages cleared %s, tickets cleared %s\n", thousands(int(e.InboundCleared)), thousands(int(e.TicketsCleared)))
	fmt.Fprintf(w, "  visits ahead cancelled %d, WeChat binding requests deleted %d\n", e.VisitsCancelled, e.BindingsDeleted)
	fmt.Fprintf(w, "  photos and voice purged %d (files deleted from the blob store %d), staff notes cleared %d\n",
		e.AttachmentsPurged, e.BlobsDeleted, e.NotesCleared)
	if e.TicketsOpen > 0 {
		fmt.Fprintf(w, "  %d of their tickets are still open: nobody can answer them any more, so their workers should close them\n", e.TicketsOpen)
	}
	fmt.Fprintln(w, "kept: the record's id, grid, gender and birth year, every status, time and count, and the keyed hash of the ID number (an import does not bring them back)")
}
