package blob

import "testing"

// FuzzJPEGOrientation: any bytes give an orientation from 1 to 8 and never
// a panic (the EXIF segment comes from residents' uploads).
func FuzzJPEGOrientation(f *testing.F) {
	f.Add([]byte("\xff\xd8\xff\xe1\x00\x22Exif\x00\x00MM\x00\x2a\x00\x00\x00\x08\x00\x01\x01\x12\x00\x03\x00\x00\x00\x01\x00\x06\x00\x00"))
	f.Add([]byte("\xff\xd8\xff\xe1\x00\x08Exif\x00\x00"))
	f.Add([]byte("\xff\xd8\xff\xe1\xff\xffExif"))
	f.Add([]byte("\xff\xd8\xff\xdb\x00\x02\xff\xda"))
	f.Fuzz(func(t *testing.T, data []byte) {
		if o := jpegOrientation(data); o < 1 || o > 8 {
			t.Fatalf("orientation %d", o)
		}
	})
}
