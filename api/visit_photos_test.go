package api_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image/jpeg"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gridcast/gridcast/access"
	"github.com/gridcast/gridcast/api"
	"github.com/gridcast/gridcast/blob"
	"github.com/gridcast/gridcast/blob/localfs"
	"github.com/gridcast/gridcast/desk"
	"github.com/gridcast/gridcast/internal/testlog"
)

// withPhotos serves f's register with a desk that keeps photos (images up
// to 64 KiB) in a temporary directory, and returns the server's URL and
// the directory.
func (f *visitFixture) withPhotos(t *testing.T) (string, string) {
	t.Helper()
	dir := t.TempDir()
	bs, err := localfs.New(dir)
	if err != nil {
		t.Fatal(err)
	}
	media, err := blob.NewMedia(bs, blob.Limits{ImageMaxBytes: 64 << 10})
	if err != nil {
		t.Fatal(err)
	}
	dk, err := desk.New(desk.Config{}, desk.Deps{Store: f.st, Dispatcher: f.rec, Log: testlog.New(t), Media: media})
	if err != nil {
		t.Fatal(err)
	}
	return f.serve(t, dk), dir
}

// files counts the files under dir.
func files(t *testing.T, dir string) int {
	t.Helper()
	n := 0
	err := filepath.WalkDir(dir, func(_ string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			n++
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// records counts the visit records kept.
func (f *visitFixture) records(t *testing.T) int {
	t.Helper()
	var n int
	if err := f.st.DB().QueryRowContext(t.Context(), "SELECT count(*) FROM visit_records").Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// A worker records a visit with a photo: the record lists where the
// photo and its thumbnail are served; the photo comes back byte for byte
// with its type to callers whose scope covers the grid, the thumbnail as a
// JPEG, and nobody else gets it. A photo named by key, a bad or oversize
// photo or too many are refused with nothing kept, record or file.
func TestVisitPhotosAPI(t *testing.T) {
	t.Parallel()
	f := newVisitFixture(t)
	url, dir := f.withPhotos(t)
	fields := func(notes string) map[string]string {
		return map[string]string{"worker": f.workerCode, "resident_id": fmt.Sprint(f.res.ID), "kind": "in_person", "notes": notes}
	}
	png := testPNG(t, 40, 30)
	code, out := postForm(t, f.own.token, url+"/api/v1/visits", fields("门口照片"), upload{"photo", "door.png", "image/png", png})
	var rec api.VisitRecord
	if code != 201 || json.Unmarshal([]byte(out), &rec) != nil || len(rec.Photos) != 1 {
		t.Fatalf("a visit with a photo: %d %s", code, out)
	}
	p := rec.Photos[0]
	if want := fmt.Sprintf("/api/v1/visits/%d/photos/1", rec.ID); p.URL != want || p.ThumbnailURL != want+"?thumb=1" ||
		p.ContentType != "image/png" || p.Size != int64(len(png)) || rec.Notes != "门口照片" || rec.RecordedBy != "网格员" {
		t.Errorf("record = %+v; want photo 1 at %s with a thumbnail, image/png, %d bytes", rec, want, len(png))
	}
	if strings.Contains(out, "media/") {
		t.Errorf("the record shows a blob store key: %s", out)
	}
	_, reg, body := f.register(t, f.leader)
	if len(reg.Records) != 1 || len(reg.Records[0].Photos) != 1 || reg.Records[0].Photos[0] != p || strings.Contains(body, "media/") {
		t.Errorf("the register's records = %+v; want the visit with its photo's URLs", reg.Records)
	}
	for _, u := range []testUser{f.own, f.leader, f.viewer} {
		code, ctype, body := getBytes(t, u.token, url+p.URL)
		if code != 200 || ctype != "image/png" || !bytes.Equal(body, png) {
			t.Errorf("%s gets the photo: %d %s, %d bytes; want the PNG as uploaded", u.name, code, ctype, len(body))
		}
	}
	code, ctype, thumb := getBytes(t, f.leader.token, url+p.ThumbnailURL)
	if _, err := jpeg.Decode(bytes.NewReader(thumb)); code != 200 || ctype != "image/jpeg" || err != nil {
		t.Errorf("thumbnail: %d %s (%v); want a JPEG", code, ctype, err)
	}
	for _, path := range []string{p.URL, p.ThumbnailURL} {
		if code, _, body := getBytes(t, f.out[access.RoleWorker].token, url+path); code != 403 || bytes.Equal(body, png) {
			t.Errorf("another street's worker gets %s: %d, want 403", path, code)
		}
	}
	if code, _, _ := getBytes(t, f.own.token, fmt.Sprintf("%s/api/v1/visits/%d/photos/2", url, rec.ID)); code != 404 {
		t.Errorf("a photo the visit lacks: %d, want 404", code)
	}
	if code, _, _ := getBytes(t, f.own.token, url+"/api/v1/visits/999999/photos/1"); code != 404 {
		t.Errorf("a visit that does not exist: %d, want 404", code)
	}

	// Refusals keep nothing: no record, no file.
	n, kept := f.records(t), files(t, dir)
	big := testPNG(t, 600, 400) // over the 64 KiB limit
	if len(big) <= 64<<10 {
		t.Fatalf("test image is %d bytes, want it over 64 KiB", len(big))
	}
	var many []upload
	for i := range 10 {
		many = append(many, upload{"photo", fmt.Sprintf("p%d.png", i), "image/png", testPNG(t, 10+i, 10)})
	}
	for name, send := range map[string]func() (int, string){
		"photo keys in JSON": func() (int, string) {
			code, _, out := as(t, f.own.token, "POST", url+"/api/v1/visits",
				fmt.Sprintf(`{"worker":%q,"resident_id":%d,"kind":"in_person","photos":["media/ab/other.jpg"]}`, f.workerCode, f.res.ID))
			return code, out
		},
		"not an image": func() (int, string) {
			return postForm(t, f.own.token, url+"/api/v1/visits", fields("x"),
				upload{"photo", "a.png", "image/png", testPNG(t, 20, 20)}, upload{"photo", "scan.pdf", "image/png", []byte("%PDF-1.4 not a photo")})
		},
		"a voice note": func() (int, string) {
			return postForm(t, f.own.token, url+"/api/v1/visits", fields("x"), upload{"photo", "v.amr", "audio/amr", []byte("#!AMR\n<voice>")})
		},
		"oversize": func() (int, string) {
			return postForm(t, f.own.token, url+"/api/v1/visits", fields("x"), upload{"photo", "big.png", "image/png", big})
		},
		"ten photos": func() (int, string) { return postForm(t, f.own.token, url+"/api/v1/visits", fields("x"), many...) },
		"a bad kind": func() (int, string) {
			fs := fields("x")
			fs["kind"] = "walk"
			return postForm(t, f.own.token, url+"/api/v1/visits", fs, upload{"photo", "a.png", "image/png", testPNG(t, 21, 20)})
		},
		"a bad time": func() (int, string) {
			fs := fields("x")
			fs["visited_at"] = "yesterday"
			return postForm(t, f.own.token, url+"/api/v1/visits", fs, upload{"photo", "a.png", "image/png", testPNG(t, 22, 20)})
		},
		"an unknown field": func() (int, string) {
			fs := fields("x")
			fs["photos"] = "media/ab/other.jpg"
			return postForm(t, f.own.token, url+"/api/v1/visits", fs)
		},
		// The store refuses the record after the photos were kept: they
		// are dropped.
		"an unknown ticket (404)": func() (int, string) {
			fs := fields("x")
			fs["ticket_id"] = "999999"
			code, out := postForm(t, f.own.token, url+"/api/v1/visits", fs, upload{"photo", "a.png", "image/png", testPNG(t, 23, 20)})
			if code == 404 {
				code = 400
			}
			return code, out
		},
	} {
		if code, out := send(); code != 400 {
			t.Errorf("%s: %d %s; want 400", name, code, out)
		}
		if got, nf := f.records(t), files(t, dir); got != n || nf != kept {
			t.Errorf("%s: %d records and %d files after the refusal, want %d and %d", name, got, nf, n, kept)
		}
	}
	code, _, out = as(t, f.own.token, "POST", url+"/api/v1/visits",
		fmt.Sprintf(`{"worker":%q,"resident_id":%d,"kind":"in_person","photos":["media/ab/other.jpg"]}`, f.workerCode, f.res.ID))
	if code != 400 || !strings.Contains(out, "multipart/form-data") {
		t.Errorf("photo keys in JSON: %d %s; want 400 saying photos are uploaded", code, out)
	}
}

// Without a blob store photos are refused in words that say why, and a
// record without photos still goes in, as a form or JSON.
func TestVisitPhotosWithoutMedia(t *testing.T) {
	t.Parallel()
	f := newVisitFixture(t)
	fields := map[string]string{"worker": f.workerCode, "resident_id": fmt.Sprint(f.res.ID), "kind": "phone"}
	code, out := postForm(t, f.own.token, f.url+"/api/v1/visits", fields, upload{"photo", "a.png", "image/png", testPNG(t, 20, 20)})
	if code != 400 || !strings.Contains(out, "blob") || f.records(t) != 0 {
		t.Errorf("a photo without a blob store: %d %s, %d records; want 400 naming the blob store, nothing kept", code, out, f.records(t))
	}
	if code, out := postForm(t, f.own.token, f.url+"/api/v1/visits", fields); code != 201 || strings.Contains(out, `"photos"`) {
		t.Errorf("a form without photos: %d %s; want 201", code, out)
	}
	code, _, out = as(t, f.own.token, "POST", f.url+"/api/v1/visits",
		fmt.Sprintf(`{"worker":%q,"resident_id":%d,"kind":"phone"}`, f.workerCode, f.res.ID))
	if code != 201 {
		t.Errorf("JSON without photos: %d %s; want 201", code, out)
	}
	// A form from another site (no token, no X-Requested-With) is not
	// an upload this server takes.
	req, _ := http.NewRequest("POST", f.url+"/api/v1/visits", strings.NewReader("--x--\r\n"))
	req.Header.Set("Content-Type", "multipart/form-data; boundary=x")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode < 400 || f.records(t) != 2 {
		t.Errorf("a bare multipart form: %d; want it refused", res.StatusCode)
	}
}
