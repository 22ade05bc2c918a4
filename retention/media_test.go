package retention_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/gridcast/gridcast/retention"
)

// fakeQueue is a BlobQueue in memory; inUse lists the keys an attachment
// still holds.
type fakeQueue struct {
	keys  []string // sorted
	inUse map[string]bool
}

func (q *fakeQueue) QueuedBlobs(_ context.Context, after string, limit int) ([]retention.QueuedBlob, error) {
	var out []retention.QueuedBlob
	for _, k := range q.keys {
		if k > after && len(out) < limit {
			out = append(out, retention.QueuedBlob{Key: k, InUse: q.inUse[k]})
		}
	}
	return out, nil
}

func (q *fakeQueue) DequeueBlobs(_ context.Context, keys []string) error {
	q.keys = slices.DeleteFunc(q.keys, func(k string) bool { return slices.Contains(keys, k) })
	return nil
}

func (q *fakeQueue) CountQueuedBlobs(context.Context) (int64, error) { return int64(len(q.keys)), nil }

// fakeBlobs records deletions and fails on the keys in fail.
type fakeBlobs struct {
	deleted []string
	fail    map[string]bool
}

func (b *fakeBlobs) Delete(_ context.Context, key string) error {
	if b.fail[key] {
		return errors.New("unreachable")
	}
	b.deleted = append(b.deleted, key)
	return nil
}

func TestDeleteQueuedBlobs(t *testing.T) {
	t.Parallel()
	var keys []string
	for i := range retention.BlobBatch + 3 {
		keys = append(keys, fmt.Sprintf("media/%04d.jpg", i))
	}
	t.Run("all, in batches, but those in use", func(t *testing.T) {
		q := &fakeQueue{keys: slices.Clone(keys), inUse: map[string]bool{keys[1]: true}}
		b := &fakeBlobs{}
		n, err := retention.DeleteQueuedBlobs(t.Context(), q, b)
		if err != nil || n != int64(len(keys)-1) || len(q.keys) != 0 {
			t.Fatalf("DeleteQueuedBlobs = %d, %v, queue left %d; want %d deleted, the queue empty", n, err, len(q.keys), len(keys)-1)
		}
		if slices.Contains(b.deleted, keys[1]) {
			t.Errorf("deleted %s, which an attachment still holds", keys[1])
		}
	})
	t.Run("stops at a failure and keeps the rest queued", func(t *testing.T) {
		q := &fakeQueue{keys: slices.Clone(keys[:5])}
		b := &fakeBlobs{fail: map[string]bool{keys[2]: true}}
		n, err := retention.DeleteQueuedBlobs(t.Context(), q, b)
		if err == nil || n != 2 {
			t.Fatalf("DeleteQueuedBlobs = %d, %v; want 2 deleted and the error", n, err)
		}
		if d := cmp.Diff(keys[2:5], q.keys); d != "" {
			t.Errorf("queue after the failure (-want +got):\n%s", d)
		}
	})
}

// fakeEraseStore erases by queueing keys.
type fakeEraseStore struct {
	fakeQueue
	queue []string
}

func (s *fakeEraseStore) EraseResident(_ context.Context, id int64, by, reason string) (retention.Erased, error) {
	s.keys = append(s.keys, s.queue...)
	slices.Sort(s.keys)
	return retention.Erased{Erasure: retention.Erasure{ResidentID: id, By: by, Reason: reason}, AttachmentsPurged: 1}, nil
}

func TestEraser(t *testing.T) {
	t.Parallel()
	st := &fakeEraseStore{queue: []string{"media/ab.jpg", "thumb/ab.jpg"}}
	b := &fakeBlobs{fail: map[string]bool{"thumb/ab.jpg": true}}
	er := retention.Eraser{Store: st, Blobs: b, Log: slog.New(slog.DiscardHandler)}
	e, err := er.EraseResident(t.Context(), 7, "王芳", "依申请删除")
	if err != nil || e.BlobsDeleted != 1 || e.BlobsPending != 1 {
		t.Errorf("with the blob store failing = %+v, %v; want the erasure, 1 deleted, 1 pending", e, err)
	}
	b.fail = nil
	st.queue = nil
	if e, err = er.EraseResident(t.Context(), 7, "王芳", "依申请删除"); err != nil || e.BlobsDeleted != 1 || e.BlobsPending != 0 {
		t.Errorf("again = %+v, %v; want the file left over deleted", e, err)
	}
}
