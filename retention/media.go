package retention

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
)

// Removed is what the staff's free text about a resident's ticket reads
// once it is cleared — a department task's note, feedback and reason, the
// notes of its steps, a 督办 flag's notes — so that a reader sees that
// something was written and removed, rather than a step without its
// reason. Text that was empty stays empty.
const Removed = "[已删除]"

// AttachmentPurged is what a purged attachment's Missing says (unless it
// was missing before): its photo or voice was deleted by the retention
// sweep or an erasure. The store's queries write it.
const AttachmentPurged = "purged"

// BlobBatch is how many queued blob keys one round of DeleteQueuedBlobs
// reads.
const BlobBatch = 500

// Blobs is the blob store the attachments' photos and voice are kept in;
// *blob.Media and every blob.Store satisfy it. Deleting a key that holds
// nothing is not an error.
type Blobs interface {
	Delete(ctx context.Context, key string) error
}

// QueuedBlob is a blob store key queued for deletion.
type QueuedBlob struct {
	Key string
	// InUse is true when an attachment not purged still refers to the key:
	// the blob store keeps one object for the same bytes (content
	// addressed), and another ticket holds it. Its deletion is then that
	// attachment's own, when its time comes.
	InUse bool
}

// BlobQueue is the store's list of blob store keys to delete. The store
// cannot reach the blob store: a purge or an erasure clears an
// attachment's row and queues its keys in the same transaction, and
// DeleteQueuedBlobs deletes them afterwards. A crash in between leaves
// them queued, for the next one. *store.Store satisfies it.
type BlobQueue interface {
	// QueuedBlobs returns up to limit queued keys after key after, in key
	// order.
	QueuedBlobs(ctx context.Context, after string, limit int) ([]QueuedBlob, error)
	// DequeueBlobs takes keys off the queue; keys not on it are ignored.
	DequeueBlobs(ctx context.Context, keys []string) error
	// CountQueuedBlobs says how many keys are queued.
	CountQueuedBlobs(ctx context.Context) (int64, error)
}

// DeleteQueuedBlobs deletes every key queued in q from blobs — but keys
// still in use (QueuedBlob.InUse), which it only takes off the queue —
// and returns how many objects it deleted. It stops at the first key
// blobs fails to delete, leaving it and the rest queued; what it deleted
// before is taken off. Running it twice, or in two processes at once, is
// harmless: deleting a missing object is not an error.
//
// A photo sent again with the same bytes between the check and the
// deletion would find its object gone; the window is one round trip to
// the blob store.
func DeleteQueuedBlobs(ctx context.Context, q BlobQueue, blobs Blobs) (int64, error) {
	var deleted int64
	after := ""
	for {
		batch, err := q.QueuedBlobs(ctx, after, BlobBatch)
		if err != nil {
			return deleted, fmt.Errorf("retention: read queued blobs: %w", err)
		}
		if len(batch) == 0 {
			return deleted, nil
		}
		done := make([]string, 0, len(batch))
		var delErr error
		for _, b := range batch {
			if !b.InUse {
				if delErr = blobs.Delete(ctx, b.Key); delErr != nil {
					delErr = fmt.Errorf("retention: delete blob %s: %w", b.Key, delErr)
					break
				}
				deleted++
			}
			done = append(done, b.Key)
		}
		if len(done) > 0 {
			if err := q.DequeueBlobs(ctx, done); err != nil {
				return deleted, errors.Join(delErr, fmt.Errorf("retention: dequeue blobs: %w", err))
			}
		}
		if delErr != nil {
			return deleted, delErr
		}
		if len(batch) < BlobBatch {
			return deleted, nil
		}
		after = batch[len(batch)-1].Key
	}
}

// EraseStore is what an Eraser needs of the store; *store.Store
// satisfies it.
type EraseStore interface {
	// EraseResident erases the resident in one transaction, queueing
	// their attachments' blobs (BlobQueue).
	EraseResident(ctx context.Context, residentID int64, by, reason string) (Erased, error)
	BlobQueue
}

// Eraser erases residents on request, their photos and voice included:
// the store's erasure, then the deletion of the blobs it queued. Its
// fields are required, but Log (nil: slog.Default()). It is safe for
// concurrent use when its store and blobs are.
type Eraser struct {
	Store EraseStore
	Blobs Blobs
	Log   *slog.Logger
}

// EraseResident erases resident residentID (see the store's
// EraseResident) and deletes the blobs queued for deletion — theirs, and
// any an earlier erasure or purge cut short left. The erasure stands
// when the blob store fails: Erased.BlobsPending then says how many
// objects still wait, the error is logged, and the next erasure or
// retention sweep deletes them. Erasing someone erased before finishes
// such leftovers too.
func (e Eraser) EraseResident(ctx context.Context, residentID int64, by, reason string) (Erased, error) {
	out, err := e.Store.EraseResident(ctx, residentID, by, reason)
	if err != nil {
		return out, err
	}
	log := e.Log
	if log == nil {
		log = slog.Default()
	}
	out.BlobsDeleted, err = DeleteQueuedBlobs(ctx, e.Store, e.Blobs)
	if err != nil {
		log.WarnContext(ctx, "erasure_blobs_pending", "resident_id", residentID, "err", err)
		out.BlobsPending = 1 // at least the one that failed
		if n, cerr := e.Store.CountQueuedBlobs(context.WithoutCancel(ctx)); cerr == nil && n > 0 {
			out.BlobsPending = n
		}
	}
	return out, nil
}
