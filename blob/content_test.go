package blob_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/gridcast/gridcast/blob"
)

func TestSniff(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, head, want string
	}{
		{"JPEG", "\xff\xd8\xff\xe0\x00\x10JFIF", blob.TypeJPEG},
		{"PNG", "\x89PNG\r\n\x1a\n\x00\x00", blob.TypePNG},
		{"WebP", "RIFF\x1a\x00\x00\x00WEBPVP8L", blob.TypeWebP},
		{"WAVIsNotWebP", "RIFF\x1a\x00\x00\x00WAVEfmt ", ""},
		{"AMR", "#!AMR\n<", blob.TypeAMR},
		{"AMRWideband", "#!AMR-WB\n", ""},
		{"SILK", "#!SILK_V3\x0c", blob.TypeSILK},
		{"SILKFromWeChat", "\x02#!SILK_V3", blob.TypeSILK},
		{"MP3ID3", "ID3\x04\x00", blob.TypeMP3},
		{"MP3Frame", "\xff\xfb\x90\x64", blob.TypeMP3},
		{"MP3ReservedLayer", "\xff\xf9\x90\x64", ""},
		{"MP3BadBitrate", "\xff\xfb\xf0\x64", ""},
		{"HTML", "<!DOCTYPE html>", ""},
		{"GIF", "GIF89a", ""},
		{"Short", "\xff\xd8", ""},
		{"Empty", "", ""},
	} {
		if got := blob.Sniff([]byte(tc.head)); got != tc.want {
			t.Errorf("%s: Sniff = %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestCheckKey(t *testing.T) {
	t.Parallel()
	for _, key := range []string{"a", "media/ab/abc.jpg", "thumb/0f/x_y-z.jpg"} {
		if err := blob.CheckKey(key); err != nil {
			t.Errorf("CheckKey(%q) = %v", key, err)
		}
	}
	for _, key := range []string{"", "..", "a/..", "/a", "a/", "a//b", "A", "a b", "a\\b", "é", strings.Repeat("a", 513)} {
		if err := blob.CheckKey(key); !errors.Is(err, blob.ErrBadKey) {
			t.Errorf("CheckKey(%q) = %v, want ErrBadKey", key, err)
		}
	}
}

func TestThumbnailKey(t *testing.T) {
	t.Parallel()
	for key, want := range map[string]string{
		"media/ab/abcd.jpg":  "thumb/ab/abcd.jpg",
		"media/ab/abcd.png":  "thumb/ab/abcd.jpg",
		"media/ab/abcd.webp": "thumb/ab/abcd.jpg",
		"media/ab/abcd.amr":  "",
		"thumb/ab/abcd.jpg":  "",
	} {
		if got := blob.ThumbnailKey(key); got != want {
			t.Errorf("ThumbnailKey(%q) = %q, want %q", key, got, want)
		}
	}
}

func TestLimitsValidate(t *testing.T) {
	t.Parallel()
	if err := (blob.Limits{}).Validate(); err != nil {
		t.Errorf("zero Limits: %v", err)
	}
	err := blob.Limits{ImageMaxBytes: -1, VoiceMaxBytes: -1, MaxPixels: -1, ThumbnailSize: 5000}.Validate()
	for _, want := range []string{"image_max_bytes -1", "voice_max_bytes -1", "max_pixels -1", "thumbnail_size 5000"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate() = %v, want it to name %q", err, want)
		}
	}
	if _, err := blob.NewMedia(nil, blob.Limits{ThumbnailSize: -1}); err == nil {
		t.Error("NewMedia accepted a negative thumbnail size")
	}
	got := blob.Limits{VoiceMaxBytes: 5}.WithDefaults()
	want := blob.Limits{ImageMaxBytes: 10 << 20, VoiceMaxBytes: 5, MaxPixels: 40_000_000, ThumbnailSize: 320}
	if got != want {
		t.Errorf("WithDefaults = %+v, want %+v", got, want)
	}
}
