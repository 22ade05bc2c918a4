package blob_test

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/jpeg"
	"testing"

	"github.com/gridcast/gridcast/blob"
	"github.com/gridcast/gridcast/blob/localfs"
)

// withOrientation inserts an EXIF segment with orientation o after the
// JPEG's SOI marker, in the byte order order ("MM" or "II").
func withOrientation(jpg []byte, o byte, order string) []byte {
	tiff := []byte("MM\x00\x2a\x00\x00\x00\x08\x00\x01\x01\x12\x00\x03\x00\x00\x00\x01\x00" + string(o) + "\x00\x00\x00\x00\x00\x00")
	if order == "II" {
		tiff = []byte("II\x2a\x00\x08\x00\x00\x00\x01\x00\x12\x01\x03\x00\x01\x00\x00\x00" + string(o) + "\x00\x00\x00\x00\x00\x00\x00")
	}
	seg := append([]byte("Exif\x00\x00"), tiff...)
	app1 := append([]byte{0xFF, 0xE1, byte((len(seg) + 2) >> 8), byte(len(seg) + 2)}, seg...)
	return append(append(append([]byte{}, jpg[:2]...), app1...), jpg[2:]...)
}

// halves is a w×h JPEG, red on the left half, blue on the right.
func halves(t *testing.T, w, h int) []byte {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			c := color.RGBA{255, 0, 0, 255}
			if x >= w/2 {
				c = color.RGBA{0, 0, 255, 255}
			}
			img.SetRGBA(x, y, c)
		}
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 95}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func red(c color.Color) bool {
	r, _, b, _ := c.RGBA()
	return r > 0xC000 && b < 0x4000
}

// A phone photo stored sideways with its EXIF orientation gets a thumbnail
// the right way up.
func TestThumbnailFollowsEXIFOrientation(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name      string
		o         byte
		order     string
		wantSize  image.Point
		redCorner image.Point // a thumbnail pixel that must be red
	}{
		{"None", 1, "MM", image.Pt(320, 160), image.Pt(10, 80)},
		{"Rotate180", 3, "II", image.Pt(320, 160), image.Pt(310, 80)},
		{"Rotate90CW", 6, "MM", image.Pt(160, 320), image.Pt(80, 10)},
		{"Rotate90CCW", 8, "II", image.Pt(160, 320), image.Pt(80, 310)},
		{"Mirror", 2, "MM", image.Pt(320, 160), image.Pt(310, 80)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s, err := localfs.New(t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			m, _ := blob.NewMedia(s, blob.Limits{})
			obj, err := m.Put(context.Background(), bytes.NewReader(withOrientation(halves(t, 800, 400), tc.o, tc.order)))
			if err != nil {
				t.Fatal(err)
			}
			if got := image.Pt(obj.Width, obj.Height); got != tc.wantSize.Mul(5).Div(2) {
				t.Errorf("Put size %v, want %v as shown", got, tc.wantSize.Mul(5).Div(2))
			}
			rc, _, err := m.Get(context.Background(), obj.ThumbnailKey)
			if err != nil {
				t.Fatal(err)
			}
			defer rc.Close()
			thumb, err := jpeg.Decode(rc)
			if err != nil {
				t.Fatal(err)
			}
			if got := thumb.Bounds().Size(); got != tc.wantSize {
				t.Errorf("thumbnail %v, want %v", got, tc.wantSize)
			}
			if c := thumb.At(tc.redCorner.X, tc.redCorner.Y); !red(c) {
				t.Errorf("thumbnail at %v is %v, want red", tc.redCorner, c)
			}
		})
	}
}
