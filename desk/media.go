package desk

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/gridcast/gridcast/blob"
	"github.com/gridcast/gridcast/gateway"
	"github.com/gridcast/gridcast/tickets"
)

// MediaFetcher downloads the media of a resident's message by the
// provider's media id: the gateway/wechat Client satisfies it. It returns
// the body, for the caller to close, and the provider's content type
// (not trusted: the bytes are sniffed).
type MediaFetcher interface {
	FetchMedia(ctx context.Context, mediaID string) (io.ReadCloser, string, error)
}

// Why a resident's media is missing, as Attachment.Missing records it:
// words without personal data.
const (
	missingFetch   = "fetch failed"     // the provider did not hand it over (expired, unknown, down)
	missingRefused = "content refused"  // not an allowed type, or too large
	missingStore   = "blob store error" // the blob store failed
)

// MediaMissing is how many residents' images and voice messages could not
// be kept since the Service started (each is recorded as a missing
// attachment of its ticket).
func (s *Service) MediaMissing() int64 { return s.mediaMissing.Load() }

// keepInboundMedia keeps the image or voice of ic's message with the
// ticket it opened or joined, once per message. The message is never lost
// over its media: a fetch the provider refuses or fails, content the rules
// refuse, or a blob store error is logged, counted and recorded as a
// missing attachment (with the media id, which WeChat honours for three
// days) and handling goes on. Only failing to record the attachment at
// all is an error, which the queue retries.
func (s *Service) keepInboundMedia(ctx context.Context, ic *inboundCtx) error {
	m := ic.m
	if ic.ticket == 0 || m.MediaID == "" || s.fetcher == nil || s.media == nil ||
		(m.Kind != KindImage && m.Kind != KindVoice) {
		return nil
	}
	kind := tickets.AttachmentImage
	if m.Kind == KindVoice {
		kind = tickets.AttachmentVoice
	}
	a := tickets.Attachment{TicketID: ic.ticket, InboundID: ic.inbound, Kind: kind, MediaID: m.MediaID,
		AddedBy: tickets.ActorResident, CreatedAt: ic.now}
	obj, why, err := s.fetchMedia(ctx, m.MediaID)
	if err != nil {
		s.mediaMissing.Add(1)
		a.Missing = why
		s.log.WarnContext(ctx, "inbound_media_missing", "inbound_id", ic.inbound, "ticket_id", ic.ticket,
			"kind", kind, "why", why, "err", err)
	} else {
		a.Key, a.ThumbnailKey, a.ContentType, a.Size = obj.Key, obj.ThumbnailKey, obj.ContentType, obj.Size
	}
	got, first, err := s.st.AddAttachment(ctx, a)
	if err != nil {
		return err
	}
	if first {
		s.log.InfoContext(ctx, "inbound_media_kept", "inbound_id", ic.inbound, "ticket_id", ic.ticket,
			"attachment_id", got.ID, "kind", kind, "size", got.Size, "missing", got.Missing != "")
	}
	return nil
}

// fetchMedia downloads mediaID and keeps it in the blob store; on failure
// why says which step failed.
func (s *Service) fetchMedia(ctx context.Context, mediaID string) (blob.Object, string, error) {
	body, _, err := s.fetcher.FetchMedia(ctx, mediaID)
	if err != nil {
		return blob.Object{}, missingFetch, fmt.Errorf("desk: fetch media: %w", err)
	}
	defer body.Close()
	obj, err := s.media.Put(ctx, body)
	switch {
	case errors.Is(err, blob.ErrRefused):
		return blob.Object{}, missingRefused, err
	case err != nil:
		var se *gateway.SendError
		if errors.As(err, &se) {
			// The body broke off mid-download.
			return blob.Object{}, missingFetch, err
		}
		return blob.Object{}, missingStore, err
	}
	return obj, "", nil
}

// MediaKept is how long the provider keeps a resident's media for
// fetching: WeChat's temporary media live three days.
const MediaKept = 72 * time.Hour

// RefetchMedia tries again, once per call, the residents' images and
// voice recorded missing because the provider or the blob store failed,
// while the provider still keeps them (MediaKept): a fetched one
// completes its attachment, one the content rules refuse is marked so
// for good, one that fails again waits for the next call. It returns how
// many were kept. The sweep calls it.
func (s *Service) RefetchMedia(ctx context.Context) (int, error) {
	if s.fetcher == nil || s.media == nil {
		return 0, nil
	}
	missing, err := s.st.MissingMedia(ctx, s.now().Add(-MediaKept), 100)
	if err != nil {
		return 0, err
	}
	kept := 0
	var errs []error
	for _, a := range missing {
		obj, why, err := s.fetchMedia(ctx, a.MediaID)
		got := tickets.Attachment{Missing: why}
		switch {
		case err == nil:
			got = tickets.Attachment{Key: obj.Key, ThumbnailKey: obj.ThumbnailKey, ContentType: obj.ContentType, Size: obj.Size}
		case why != missingRefused:
			continue // the provider or the store failed again: next time
		}
		ok, err := s.st.FillAttachment(ctx, a, got)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if ok && got.Missing == "" {
			kept++
			s.log.InfoContext(ctx, "inbound_media_refetched", "attachment_id", a.ID, "ticket_id", a.TicketID, "kind", a.Kind, "size", got.Size)
		}
	}
	return kept, errors.Join(errs...)
}
