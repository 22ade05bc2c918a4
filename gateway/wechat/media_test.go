package wechat

import (
	"bytes"
	"image"
	"image/jpeg"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/gridcast/gridcast/blob"
	"github.com/gridcast/gridcast/blob/localfs"
	"github.com/gridcast/gridcast/gateway"
)

func photo(t *testing.T) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := jpeg.Encode(&b, image.NewGray(image.Rect(0, 0, 800, 600)), nil); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func fetch(t *testing.T, f *fixture, mediaID string) ([]byte, string, error) {
	t.Helper()
	rc, ct, err := f.client.FetchMedia(t.Context(), mediaID)
	if err != nil {
		return nil, "", err
	}
	defer rc.Close()
	data, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	return data, ct, nil
}

// A resident's image and voice are fetched by the media id of their
// message and kept in the blob store.
func TestFetchMediaIntoBlobStore(t *testing.T) {
	f := newFixture(t, nil)
	img, voice := photo(t), []byte("#!AMR\n\x3c\x48\xf5\x5f")
	f.emu.AddMedia("MEDIA_IMG_1", "image/jpeg", img)
	f.emu.AddMedia("MEDIA_VOICE_1", "audio/amr", voice)
	store, err := localfs.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	media, err := blob.NewMedia(store, blob.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		id, wantType string
		want         []byte
	}{{"MEDIA_IMG_1", "image/jpeg", img}, {"MEDIA_VOICE_1", "audio/amr", voice}} {
		rc, ct, err := f.client.FetchMedia(t.Context(), tc.id)
		if err != nil {
			t.Fatalf("FetchMedia(%s): %v", tc.id, err)
		}
		if ct != tc.wantType {
			t.Errorf("FetchMedia(%s) type %q, want %q", tc.id, ct, tc.wantType)
		}
		obj, err := media.Put(t.Context(), rc)
		rc.Close()
		if err != nil {
			t.Fatalf("keep %s: %v", tc.id, err)
		}
		if obj.ContentType != tc.wantType || obj.Size != int64(len(tc.want)) {
			t.Errorf("kept %s as %+v", tc.id, obj)
		}
	}
}

func TestFetchMediaErrors(t *testing.T) {
	f := newFixture(t, nil)
	f.emu.AddMedia("MEDIA_1", "image/jpeg", photo(t))

	// An unknown media id, and one past WeChat's three days, are 40007:
	// no retry will bring them back.
	_, _, err := fetch(t, f, "NO_SUCH_MEDIA")
	if se := sendErr(t, err); se.Code != "40007" || se.Class != gateway.Permanent {
		t.Errorf("unknown media: got %+v, want 40007 Permanent", se)
	}
	_, _, err = fetch(t, f, "")
	if se := sendErr(t, err); se.Code != "40007" {
		t.Errorf("empty media id: got %+v, want 40007", se)
	}

	// A rejected access token is refreshed once and the download goes on.
	f.emu.RejectTokens()
	if _, ct, err := fetch(t, f, "MEDIA_1"); err != nil || ct != "image/jpeg" {
		t.Fatalf("after a rejected token: %q, %v", ct, err)
	}

	f.emu.Fail(ActionMediaGet, 45009, 1)
	_, _, err = fetch(t, f, "MEDIA_1")
	if se := sendErr(t, err); se.Class != gateway.Quota {
		t.Errorf("daily quota: got %+v, want Quota", se)
	}

	f.clock.Advance(MediaTTL)
	_, _, err = fetch(t, f, "MEDIA_1")
	if se := sendErr(t, err); se.Code != "40007" {
		t.Errorf("expired media: got %+v, want 40007", se)
	}
}

func TestFetchMediaTransport(t *testing.T) {
	f := newFixture(t, nil)
	f.emu.AddMedia("MEDIA_1", "image/jpeg", photo(t))
	if _, _, err := fetch(t, f, "MEDIA_1"); err != nil { // caches a token
		t.Fatal(err)
	}
	token, _ := f.rdb.Get(t.Context(), "gridcast:wechat:"+f.client.tokenKey).Result()
	install(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "bad gateway", http.StatusBadGateway)
	}))
	_, _, err := fetch(t, f, "MEDIA_1")
	if se := sendErr(t, err); se.Class != gateway.Retryable {
		t.Errorf("502: got %+v, want Retryable", se)
	}
	if token == "" || strings.Contains(err.Error(), token) {
		t.Errorf("error %q leaks the access token", err)
	}

	// A video's reply is a JSON link, not a file.
	install(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"video_url":"http://example.invalid/v.mp4"}`)
	}))
	_, _, err = fetch(t, f, "MEDIA_VIDEO")
	if se := sendErr(t, err); se.Code != CodeNotMedia || se.Class != gateway.Permanent {
		t.Errorf("video: got %+v, want %s Permanent", se, CodeNotMedia)
	}
}

// The request is media/get with the account's token and the media id.
func TestFetchMediaRequest(t *testing.T) {
	f := newFixture(t, nil)
	f.emu.AddMedia("MEDIA_1", "audio/amr", []byte("#!AMR\n"))
	var got []string
	install(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == mediaGetPath {
			got = append(got, r.Method+" "+r.URL.Path+" media_id="+r.URL.Query().Get("media_id")+" token="+
				map[bool]string{true: "set", false: "missing"}[r.URL.Query().Get("access_token") != ""])
		}
		f.emu.ServeHTTP(w, r)
	}))
	if _, _, err := fetch(t, f, "MEDIA_1"); err != nil {
		t.Fatal(err)
	}
	if want := "GET /cgi-bin/media/get media_id=MEDIA_1 token=set"; len(got) != 1 || got[0] != want {
		t.Errorf("requests %q, want [%q]", got, want)
	}
}
