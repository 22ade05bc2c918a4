package blob

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	_ "image/png" // decoders registered for image.Decode
	"io"

	"golang.org/x/image/draw"
	_ "golang.org/x/image/webp"
)

// thumbnailQuality is the JPEG quality of thumbnails: small files for the
// console's lists, good enough to recognise a photo.
const thumbnailQuality = 80

// decodeImage decodes data after checking its canvas against maxPixels, and
// returns the image and its size.
func decodeImage(data []byte, maxPixels int64) (image.Image, error) {
	cfg, _, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return nil, refuse(ErrUndecodable, "%v", err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 {
		return nil, refuse(ErrUndecodable, "%d×%d pixels", cfg.Width, cfg.Height)
	}
	if int64(cfg.Width)*int64(cfg.Height) > maxPixels {
		return nil, refuse(ErrTooLarge, "%d×%d pixels is over the limit of %d pixels", cfg.Width, cfg.Height, maxPixels)
	}
	img, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, refuse(ErrUndecodable, "%v", err)
	}
	return img, nil
}

// thumbnailSize is the size of src scaled to fit a box×box square, never
// enlarged, each side at least one pixel.
func thumbnailSize(w, h, box int) (int, int) {
	if w <= box && h <= box {
		return w, h
	}
	if w >= h {
		return box, max(1, int(int64(h)*int64(box)/int64(w)))
	}
	return max(1, int(int64(w)*int64(box)/int64(h))), box
}

// writeThumbnail encodes src scaled to fit box as a JPEG, transparent parts
// on white, turned as the EXIF orientation o says. The box is square, so
// scaling before turning gives the same size and turns few pixels.
func writeThumbnail(w io.Writer, src image.Image, box, o int) error {
	b := src.Bounds()
	tw, th := thumbnailSize(b.Dx(), b.Dy(), box)
	dst := image.NewRGBA(image.Rect(0, 0, tw, th))
	draw.Draw(dst, dst.Bounds(), image.NewUniform(color.White), image.Point{}, draw.Src)
	draw.CatmullRom.Scale(dst, dst.Bounds(), src, b, draw.Over, nil)
	if err := jpeg.Encode(w, orient(dst, o), &jpeg.Options{Quality: thumbnailQuality}); err != nil {
		return fmt.Errorf("blob: thumbnail: %w", err)
	}
	return nil
}
