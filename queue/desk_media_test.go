package queue_test

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"io"
	"testing"
	"time"

	"github.com/gridcast/gridcast/queue"
	"github.com/gridcast/gridcast/tickets"
)

// A resident's WeChat photo travels callback → queue → desk: it opens a
// ticket and its bytes, fetched from WeChat by the media id, are kept in
// the blob store as the ticket's attachment, linked to the message. (A
// media WeChat no longer has is recorded as missing: desk's
// TestInboundMediaKept.)
func TestDeskKeepsResidentMedia(t *testing.T) {
	e := setup(t, queue.Config{}, 10, withMedia())
	r := e.pick(onWeChat)
	img := image.NewRGBA(image.Rect(0, 0, 32, 24))
	for x := range 32 {
		img.Set(x, x%24, color.RGBA{10, 120, 10, 255})
	}
	var photo bytes.Buffer
	if err := jpeg.Encode(&photo, img, nil); err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.sb.WeChat.SendMedia(e.ctx, string(r.OpenID), "image/jpeg", photo.Bytes()); err != nil {
		t.Fatal(err)
	}
	tk := e.waitTicket(r.ID)
	e.desked()
	var atts []tickets.Attachment
	e.waitFor("the photo kept", 15*time.Second, func() bool {
		var err error
		atts, err = e.desk.Attachments(e.ctx, tk.ID)
		return err == nil && len(atts) == 1
	})
	a := atts[0]
	if a.Kind != tickets.AttachmentImage || a.InboundID == 0 || a.AddedBy != tickets.ActorResident || a.Missing != "" {
		t.Fatalf("attachment = %+v; want the resident's image", a)
	}
	rc, info, err := e.media.Get(e.ctx, a.Key)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(rc)
	rc.Close()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, photo.Bytes()) || info.ContentType != "image/jpeg" {
		t.Errorf("kept %d bytes of %s; want the %d bytes WeChat served", len(got), info.ContentType, photo.Len())
	}
	if a.ThumbnailKey == "" {
		t.Error("no thumbnail for the resident's photo")
	}
}
