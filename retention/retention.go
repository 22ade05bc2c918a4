package retention

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/gridcast/gridcast/fault"
)

// Defaults of Config, as cmd/gridcast fills them in.
const (
	// DefaultAge is the default of both ages: 180 days.
	DefaultAge = 180 * 24 * time.Hour
	// DefaultBatch is how many rows a sweep's transaction looks at when
	// Config.Batch (or Sweep.Batch) is zero.
	DefaultBatch = 2000
	// MinAge is the youngest age a sweep accepts: a younger message may
	// still be sending or waiting for its receipt, a younger reply still
	// being answered.
	MinAge = 24 * time.Hour
	// MinBatch and MaxBatch bound Config.Batch: fewer rows make a city's
	// first sweep crawl, more hold the database's write lock (SQLite has
	// one writer) for too long.
	MinBatch = 100
	MaxBatch = 50_000
)

// Config is the retention policy (the configuration's retention section).
// The zero value purges nothing. A Config is a plain value, safe to copy.
type Config struct {
	// Enabled turns the sweep on. False purges nothing whatever the ages
	// say — a hold while an inquiry needs the records — and `gridcast
	// retention run` then refuses all but a dry run. Erasure on request
	// does not depend on it. Config key retention.enabled; cmd/gridcast's
	// default true.
	Enabled bool
	// MessageText is the age after which an outbound message's content is
	// cleared: its text, template parameters, link, recipient address
	// (phone or openid) and the phone half of an SMS's provider id. The
	// age counts from the message's creation; a message still pending or
	// sending, or about a ticket not yet closed this long, waits. Zero
	// keeps message contents forever. Config key retention.message_text;
	// cmd/gridcast's default DefaultAge.
	MessageText time.Duration
	// Inbound is the age after which what residents sent is cleared: the
	// content of their messages (texts, voice transcripts, image media ids,
	// locations) and the sender's address; of tickets closed this long ago,
	// the text, a reported event's location (address, point, place), the
	// photos and voice attached (deleted from the blob store) and the
	// staff's notes on their department tasks and 督办 flags (they read
	// Removed); and WeChat binding requests (phone and openid). The age
	// counts from receipt; a message or attachment whose ticket is still
	// open, or closed less than this long ago, waits for it. Tickets keep
	// their category, status, level, assignee, rating and timestamps.
	// Zero keeps them forever. Config key retention.inbound; cmd/gridcast's
	// default DefaultAge.
	Inbound time.Duration
	// Batch is how many rows one transaction of the sweep looks at. Zero
	// means DefaultBatch. Config key retention.batch.
	Batch int
}

// Validate reports every problem with c, joined, naming the keys of the
// retention section.
func (c Config) Validate() error {
	var errs []error
	for _, a := range []struct {
		key  string
		age  time.Duration
		what string
	}{{"message_text", c.MessageText, "message texts"}, {"inbound", c.Inbound, "residents' messages"}} {
		switch {
		case a.age < 0:
			errs = append(errs, fmt.Errorf("retention.%s: %s: must not be negative (0s keeps %s forever)", a.key, a.age, a.what))
		case a.age > 0 && a.age < MinAge:
			errs = append(errs, fmt.Errorf("retention.%s: %s: want at least %s (a younger message may still be sending or being answered), or 0s to keep %s forever",
				a.key, a.age, MinAge, a.what))
		}
	}
	if c.Batch != 0 && (c.Batch < MinBatch || c.Batch > MaxBatch) {
		errs = append(errs, fmt.Errorf("retention.batch: %d: want %d–%d rows per transaction (0 for the default, %d)", c.Batch, MinBatch, MaxBatch, DefaultBatch))
	}
	return errors.Join(errs...)
}

// Active reports whether a sweep under c clears anything: enabled, with at
// least one age set.
func (c Config) Active() bool { return c.Enabled && (c.MessageText > 0 || c.Inbound > 0) }

// Sweep is one pass of the purge over one kind of record.
type Sweep struct {
	// Before is the cutoff: records older than it are cleared. It must not
	// be zero.
	Before time.Time
	// Batch is how many rows one transaction looks at; zero means
	// DefaultBatch.
	Batch int
	// DryRun counts what the pass would clear and changes nothing.
	DryRun bool
}

// Counts is what a purge cleared, or in a dry run would clear. A row is
// counted when something was cleared on it: running the purge again
// counts nothing.
type Counts struct {
	Messages     int64 `json:"messages"`     // outbound messages whose content and recipient were cleared
	Inbound      int64 `json:"inbound"`      // residents' messages whose content and sender were cleared
	Tickets      int64 `json:"tickets"`      // tickets whose text and location were cleared
	Bindings     int64 `json:"bindings"`     // WeChat binding requests deleted
	Attachments  int64 `json:"attachments"`  // photos and voice recordings purged (their blobs queued for deletion)
	Tasks        int64 `json:"tasks"`        // department tasks whose notes, feedback and reason (and their steps' notes) were cleared
	Supervisions int64 `json:"supervisions"` // 督办 flags whose notes were cleared
	// Blobs counts the objects (originals and thumbnails) deleted from the
	// blob store, those an erasure or an earlier purge cut short left
	// included; zero in a dry run. BlobsPending counts the keys still
	// queued when the purge ended: in a dry run those already waiting
	// (the attachments it would purge add theirs), otherwise those the
	// blob store failed to delete or, without a blob store, all of them.
	// Neither is a row: Total leaves them out.
	Blobs        int64 `json:"blobs"`
	BlobsPending int64 `json:"blobs_pending"`
}

// Total is the sum of the counts of rows cleared.
func (c Counts) Total() int64 {
	return c.Messages + c.Inbound + c.Tickets + c.Bindings + c.Attachments + c.Tasks + c.Supervisions
}

// Store is what a purge needs; *store.Store satisfies it. Each method
// walks its table by id in batches of Sweep.Batch rows, one transaction
// each, clears what is older than Sweep.Before and allowed to go, and
// returns how many rows it cleared. They are idempotent, and a pass cut
// short (a cancelled context, a crash) keeps the batches it committed.
type Store interface {
	// PurgeMessages clears outbound messages created before the cutoff
	// that are no longer pending or sending, and whose ticket (if any) was
	// closed before it.
	PurgeMessages(ctx context.Context, sw Sweep) (int64, error)
	// PurgeInbound clears residents' messages received before the cutoff
	// whose ticket (if any) was closed before it.
	PurgeInbound(ctx context.Context, sw Sweep) (int64, error)
	// PurgeTickets clears the text and a reported event's location of
	// tickets closed (or archived) before the cutoff.
	PurgeTickets(ctx context.Context, sw Sweep) (int64, error)
	// PurgeBindings deletes WeChat binding requests made and expired
	// before the cutoff.
	PurgeBindings(ctx context.Context, sw Sweep) (int64, error)
	// PurgeAttachments clears the rows of attachments added before the
	// cutoff to tickets closed before it, and queues their blobs for
	// deletion (BlobQueue), in the same transaction.
	PurgeAttachments(ctx context.Context, sw Sweep) (int64, error)
	// PurgeTasks and PurgeSupervisions replace with Removed the staff's
	// notes on department tasks and 督办 flags made before the cutoff on
	// tickets closed before it.
	PurgeTasks(ctx context.Context, sw Sweep) (int64, error)
	PurgeSupervisions(ctx context.Context, sw Sweep) (int64, error)
	BlobQueue
}

// ErrDisabled refuses a purge while retention.enabled is false.
var ErrDisabled = fault.Refuse(fault.ErrConflict,
	"retention is disabled (retention.enabled: false): nothing was purged; a dry run shows what would be",
	"数据保留清理已停用（retention.enabled 为 false），未清理任何数据；可先试运行查看将清理的内容", nil)

// Purge runs the sweeps c calls for at now: messages when MessageText is
// set; residents' messages, tickets' texts and locations, attachments,
// tasks' and 督办 notes and binding requests when Inbound is. Then it
// deletes from blobs what the attachments' sweep (or an erasure or a purge
// cut short) queued; a nil blobs leaves them queued for a process that
// has the blob store. A dry run counts and changes nothing, and runs even
// while c is disabled (to show what enabling it would do); otherwise a
// disabled c returns ErrDisabled. It stops at the first error, returning
// the counts of the sweeps before it and of the batches that sweep
// committed.
func Purge(ctx context.Context, st Store, blobs Blobs, c Config, now time.Time, dryRun bool) (Counts, error) {
	var n Counts
	if err := c.Validate(); err != nil {
		return n, fmt.Errorf("retention: %w", err)
	}
	if !c.Enabled && !dryRun {
		return n, ErrDisabled
	}
	type pass struct {
		what string
		age  time.Duration
		run  func(context.Context, Sweep) (int64, error)
		into *int64
	}
	for _, p := range []pass{
		{"messages", c.MessageText, st.PurgeMessages, &n.Messages},
		{"inbound messages", c.Inbound, st.PurgeInbound, &n.Inbound},
		{"ticket texts", c.Inbound, st.PurgeTickets, &n.Tickets},
		{"binding requests", c.Inbound, st.PurgeBindings, &n.Bindings},
		{"attachments", c.Inbound, st.PurgeAttachments, &n.Attachments},
		{"task notes", c.Inbound, st.PurgeTasks, &n.Tasks},
		{"督办 notes", c.Inbound, st.PurgeSupervisions, &n.Supervisions},
	} {
		if p.age <= 0 {
			continue
		}
		got, err := p.run(ctx, Sweep{Before: now.Add(-p.age), Batch: c.Batch, DryRun: dryRun})
		*p.into = got
		if err != nil {
			return n, fmt.Errorf("retention: purge %s: %w", p.what, err)
		}
	}
	if !dryRun && blobs != nil {
		var err error
		if n.Blobs, err = DeleteQueuedBlobs(ctx, st, blobs); err != nil {
			n.BlobsPending, _ = st.CountQueuedBlobs(context.WithoutCancel(ctx))
			return n, err
		}
	}
	var err error
	if n.BlobsPending, err = st.CountQueuedBlobs(ctx); err != nil {
		return n, fmt.Errorf("retention: count queued blobs: %w", err)
	}
	return n, nil
}
