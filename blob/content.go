package blob

import (
	"bytes"
	"errors"
	"fmt"
)

// The content types Media accepts, as sniffed from the bytes.
const (
	TypeJPEG = "image/jpeg"
	TypePNG  = "image/png"
	TypeWebP = "image/webp"
	// TypeAMR is WeChat's voice format for messages to an official account
	// (media/get answers voice as AMR-NB).
	TypeAMR = "audio/amr"
	TypeMP3 = "audio/mpeg"
	// TypeSILK is the SILK v3 codec WeChat clients record voice in; files
	// reach us this way when a worker uploads a voice note saved from WeChat.
	TypeSILK = "audio/silk"
)

// Refusals. Every error Media.Put returns for content it will not keep
// wraps [ErrRefused] and one of the specific errors, so that the edge can
// answer 4xx for ErrRefused and name the reason from the rest.
var (
	ErrRefused        = errors.New("blob: refused")
	ErrEmpty          = errors.New("empty content")
	ErrTypeNotAllowed = errors.New("content type not allowed")
	ErrTooLarge       = errors.New("content too large")
	ErrUndecodable    = errors.New("image cannot be decoded")
)

func refuse(reason error, format string, args ...any) error {
	return fmt.Errorf("%w: %w: %s", ErrRefused, reason, fmt.Sprintf(format, args...))
}

// Sniff names the allowed content type head (the first bytes of an object;
// 16 are enough) starts like, or "" when it is none of them. The declared
// type and a file's name are never trusted: an HTML page named photo.jpg
// sniffs as "".
func Sniff(head []byte) string {
	switch {
	case bytes.HasPrefix(head, []byte{0xFF, 0xD8, 0xFF}):
		return TypeJPEG
	case bytes.HasPrefix(head, []byte("\x89PNG\r\n\x1a\n")):
		return TypePNG
	case len(head) >= 12 && bytes.HasPrefix(head, []byte("RIFF")) && string(head[8:12]) == "WEBP":
		return TypeWebP
	case bytes.HasPrefix(head, []byte("#!AMR\n")):
		return TypeAMR
	case bytes.HasPrefix(head, []byte("#!SILK_V3")), bytes.HasPrefix(head, []byte("\x02#!SILK_V3")):
		return TypeSILK
	case bytes.HasPrefix(head, []byte("ID3")):
		return TypeMP3
	case len(head) >= 3 && head[0] == 0xFF && head[1]&0xE0 == 0xE0 &&
		head[1]&0x18 != 0x08 && head[1]&0x06 != 0 && head[2]&0xF0 != 0xF0:
		// An MPEG audio frame header without an ID3 tag: sync bits, a
		// valid version and layer, and a bitrate index other than "bad".
		return TypeMP3
	}
	return ""
}

// IsImage reports whether contentType is one of the image types (those
// that get a thumbnail).
func IsImage(contentType string) bool {
	return contentType == TypeJPEG || contentType == TypePNG || contentType == TypeWebP
}

// extension is the file extension a key of that type ends in, so that an
// object downloaded from the bucket opens in the right program.
func extension(contentType string) string {
	switch contentType {
	case TypeJPEG:
		return ".jpg"
	case TypePNG:
		return ".png"
	case TypeWebP:
		return ".webp"
	case TypeAMR:
		return ".amr"
	case TypeMP3:
		return ".mp3"
	case TypeSILK:
		return ".silk"
	}
	return ""
}

// Limits are Media's content rules. The zero value of each field means its
// default.
type Limits struct {
	// ImageMaxBytes is the largest image kept. Default 10 MiB.
	ImageMaxBytes int64
	// VoiceMaxBytes is the largest voice recording kept (a minute of
	// WeChat's AMR is about 100 KiB). Default 2 MiB.
	VoiceMaxBytes int64
	// MaxPixels is the largest image, in pixels, decoded for a thumbnail;
	// larger images are refused, since a small file can claim a huge
	// canvas. Default 40 million.
	MaxPixels int64
	// ThumbnailSize is the longest side, in pixels, of the JPEG thumbnail
	// made for each image; smaller images are not enlarged. Default 320.
	ThumbnailSize int
}

// Defaults of Limits.
const (
	DefaultImageMaxBytes = 10 << 20
	DefaultVoiceMaxBytes = 2 << 20
	DefaultMaxPixels     = 40_000_000
	DefaultThumbnailSize = 320
)

// WithDefaults returns l with every zero field set to its default.
func (l Limits) WithDefaults() Limits {
	if l.ImageMaxBytes == 0 {
		l.ImageMaxBytes = DefaultImageMaxBytes
	}
	if l.VoiceMaxBytes == 0 {
		l.VoiceMaxBytes = DefaultVoiceMaxBytes
	}
	if l.MaxPixels == 0 {
		l.MaxPixels = DefaultMaxPixels
	}
	if l.ThumbnailSize == 0 {
		l.ThumbnailSize = DefaultThumbnailSize
	}
	return l
}

// Validate reports every negative or out-of-range field.
func (l Limits) Validate() error {
	var errs []error
	if l.ImageMaxBytes < 0 {
		errs = append(errs, fmt.Errorf("image_max_bytes %d: must be positive (0 for the default %d)", l.ImageMaxBytes, DefaultImageMaxBytes))
	}
	if l.VoiceMaxBytes < 0 {
		errs = append(errs, fmt.Errorf("voice_max_bytes %d: must be positive (0 for the default %d)", l.VoiceMaxBytes, DefaultVoiceMaxBytes))
	}
	if l.MaxPixels < 0 {
		errs = append(errs, fmt.Errorf("max_pixels %d: must be positive (0 for the default %d)", l.MaxPixels, DefaultMaxPixels))
	}
	if l.ThumbnailSize < 0 || l.ThumbnailSize > 4096 {
		errs = append(errs, fmt.Errorf("thumbnail_size %d: must be 1 to 4096 pixels (0 for the default %d)", l.ThumbnailSize, DefaultThumbnailSize))
	}
	return errors.Join(errs...)
}

// maxBytes is the size limit for contentType.
func (l Limits) maxBytes(contentType string) int64 {
	if IsImage(contentType) {
		return l.ImageMaxBytes
	}
	return l.VoiceMaxBytes
}
