package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/gridcast/gridcast/blob/localfs"
	"github.com/gridcast/gridcast/internal/testlog"
	"github.com/gridcast/gridcast/population"
	"github.com/gridcast/gridcast/visits"
)

// visitsCLIFixture seeds a data directory with 60 residents and returns
// it, with a grid worker and a resident of their grid.
func visitsCLIFixture(t *testing.T) (string, population.Worker, population.Resident) {
	t.Helper()
	return cliGridFixture(t, 60, nil)
}

// cliGridFixture seeds n residents into a fresh data directory and
// returns it with the first resident that want accepts (nil: any) who has
// a grid worker, and that worker.
func cliGridFixture(t *testing.T, n int, want func(population.Resident) bool) (string, population.Worker, population.Resident) {
	t.Helper()
	t.Chdir(t.TempDir())
	dir := t.TempDir()
	if _, errOut, code := gridcast(t, dir, "seed", "--residents", strconv.Itoa(n), "--seed", "5", "--quiet"); code != 0 {
		t.Fatalf("seed: %s", errOut)
	}
	ctx := context.Background()
	a := &app{env: envOf(map[string]string{"GRIDCAST_DATA_DIR": dir}), stdout: io.Discard, stderr: testlog.Writer()}
	if err := a.loadConfig(); err != nil {
		t.Fatal(err)
	}
	st, err := a.openStore(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ws, err := st.Workers(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var w population.Worker
	var mine population.Resident
	for id := int64(1); id <= int64(n); id++ {
		r, err := st.Resident(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		for _, x := range ws {
			if x.Role == population.RoleGridWorker && x.GridCode == r.GridCode && mine.ID == 0 && (want == nil || want(r)) {
				w, mine = x, r
			}
		}
	}
	st.Close()
	if mine.ID == 0 {
		t.Fatalf("fixture: no resident with a grid worker: %v", ws)
	}
	return dir, w, mine
}

// gridcast visits: the register printed masked, a visit recorded and
// counted, a bad kind or an unknown resident or worker refused with
// nothing kept, the overdue list per worker.
func TestCLIVisits(t *testing.T) {
	dir, w, mine := visitsCLIFixture(t)
	register := func() registerView {
		t.Helper()
		out, errOut, code := gridcast(t, dir, "visits", "register", "--worker", w.Code, "--json")
		var v registerView
		if code != 0 || json.Unmarshal([]byte(out), &v) != nil {
			t.Fatalf("register: %d %s %s", code, out, errOut)
		}
		if clearMobile.MatchString(out) || strings.Contains(out, string(mine.Name)) {
			t.Errorf("the register prints personal data in clear:\n%s", out)
		}
		return v
	}
	before := register()
	if before.Worker != w.Code || before.Minimum != 15 || before.VisitsDue < 15 {
		t.Errorf("register = %+v", before)
	}
	resident := fmt.Sprint(mine.ID)
	if _, errOut, code := gridcast(t, dir, "visits", "record", "--worker", w.Code, "--resident", resident, "--kind", "walk"); code != 2 || !strings.Contains(errOut, "in_person") {
		t.Errorf("a bad kind: exit %d %s; want 2 naming the kinds", code, errOut)
	}
	if _, errOut, code := gridcast(t, dir, "visits", "record", "--worker", w.Code, "--resident", "999999", "--kind", "phone"); code != 1 || !strings.Contains(errOut, "not found") {
		t.Errorf("an unknown resident: exit %d %s", code, errOut)
	}
	if _, errOut, code := gridcast(t, dir, "visits", "record", "--worker", "NOPE", "--resident", resident, "--kind", "phone"); code != 1 || !strings.Contains(errOut, "no worker has that code") {
		t.Errorf("an unknown worker: exit %d %s", code, errOut)
	}
	if v := register(); v.VisitsDone != 0 || v.NotHome != 0 {
		t.Fatalf("refused records were kept: %+v", v)
	}
	out, errOut, code := gridcast(t, dir, "visits", "record", "--worker", w.Code, "--resident", resident, "--kind", "入户走访", "--note", "身体尚好", "--by", "王芳")
	if code != 0 || !strings.Contains(out, "入户走访") || !strings.Contains(out, "by 王芳") {
		t.Fatalf("record: exit %d %s %s", code, out, errOut)
	}
	if _, _, code := gridcast(t, dir, "visits", "record", "--worker", w.Code, "--resident", resident, "--kind", "not_home"); code != 0 {
		t.Fatal("not at home refused")
	}
	if v := register(); v.VisitsDone != 1 || v.NotHome != 1 || v.HouseholdsVisited != 1 {
		t.Errorf("after a visit and an attempt: %+v", v)
	}
	// A visit that finds a problem files it as a reported event and links it.
	if _, errOut, code := gridcast(t, dir, "visits", "record", "--worker", w.Code, "--resident", resident, "--kind", "phone", "--report", "燃气软管老化", "--ticket", "3"); code != 2 {
		t.Errorf("--report with --ticket: exit %d %s; want 2", code, errOut)
	}
	out, errOut, code = gridcast(t, dir, "visits", "record", "--worker", w.Code, "--resident", resident, "--kind", "phone",
		"--report", "家中燃气软管老化开裂，需更换", "--report-category", "heating_gas", "--by", "王芳")
	if code != 0 || !strings.Contains(out, "; ticket ") {
		t.Fatalf("record with --report: exit %d %s %s", code, out, errOut)
	}
	id := strings.Fields(out[strings.Index(out, "; ticket ")+len("; ticket "):])[0]
	if shown, _, _ := gridcast(t, dir, "tickets", "show", id); !strings.Contains(shown, "供暖/燃气") || !strings.Contains(shown, "patrol") {
		t.Errorf("the event the visit filed:\n%s", shown)
	}
	out, errOut, code = gridcast(t, dir, "visits", "register", "--worker", w.Code)
	if code != 0 || !strings.Contains(out, "走访台账 "+w.Code) || !strings.Contains(out, "HOUSEHOLD") {
		t.Errorf("register table: exit %d %s %s", code, out, errOut)
	}
	out, errOut, code = gridcast(t, dir, "visits", "overdue", "--grid", mine.GridCode)
	if code != 0 || !strings.Contains(out, "households overdue") || clearMobile.MatchString(out) {
		t.Errorf("overdue: exit %d %s %s", code, out, errOut)
	}
	if _, _, code := gridcast(t, dir, "visits", "overdue"); code != 0 {
		t.Errorf("overdue for the whole city: exit %d", code)
	}
	if _, errOut, code := gridcast(t, dir, "visits", "overdue", "--grid", "NOPE"); code != 1 || !strings.Contains(errOut, "not found") {
		t.Errorf("an unknown grid: exit %d %s", code, errOut)
	}
	if _, errOut, code := gridcast(t, dir, "visits", "register", "--worker", w.Code, "--period", "2026-13"); code != 2 || !strings.Contains(errOut, "2026-12") {
		t.Errorf("a bad period: exit %d %s", code, errOut)
	}
}

// The example documents the register's defaults; a bad norm stops the
// configuration with its key named.
func TestVisitsConfig(t *testing.T) {
	cfg, _, err := loadConfig("../../config.example.yaml", envOf(nil).lookup)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(visits.DefaultConfig(), cfg.Visits); diff != "" {
		t.Errorf("config.example.yaml visits differ from the defaults (-want +got):\n%s", diff)
	}
	p := writeFile(t, `
visits:
  households_per_month: 20
  norms:
    - {name: 独居老人, categories: [elderly_alone], every: day}
`)
	_, _, err = loadConfig(p, envOf(nil).lookup)
	if err == nil || !strings.Contains(err.Error(), "visits.norms[0].every") {
		t.Errorf("a bad cadence: %v; want it to name visits.norms[0].every", err)
	}
	cfg, _, err = loadConfig("", envOf(map[string]string{"GRIDCAST_VISITS_HOUSEHOLDS_PER_MONTH": "20"}).lookup)
	if err != nil || cfg.Visits.HouseholdsPerMonth != 20 || len(cfg.Visits.Norms) != 3 {
		t.Errorf("the environment's minimum: %+v, %v", cfg.Visits, err)
	}
}

// gridcast visits record --photo keeps the photo files in the data
// directory's blob store with their thumbnails and the record lists them;
// a bad file refuses the record and leaves no file.
func TestCLIVisitPhotos(t *testing.T) {
	dir, w, mine := visitsCLIFixture(t)
	img := image.NewRGBA(image.Rect(0, 0, 24, 16))
	img.Set(5, 5, color.RGBA{0, 128, 255, 255})
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	photo := filepath.Join(t.TempDir(), "door.png")
	bad := filepath.Join(t.TempDir(), "notes.txt")
	if err := errors.Join(os.WriteFile(photo, b.Bytes(), 0o600), os.WriteFile(bad, []byte("not a photo"), 0o600)); err != nil {
		t.Fatal(err)
	}
	blobs := filepath.Join(dir, "blobs")
	nfiles := func() int {
		n := 0
		_ = filepath.WalkDir(blobs, func(_ string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				n++
			}
			return nil
		})
		return n
	}
	record := func(extra ...string) (string, string, int) {
		return gridcast(t, dir, append([]string{"visits", "record", "--worker", w.Code, "--resident", fmt.Sprint(mine.ID),
			"--kind", "in_person", "--by", "王芳"}, extra...)...)
	}
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"--photo", photo, "--photo", bad}, 1, "photo notes.txt refused"},
		{[]string{"--photo", filepath.Join(dir, "missing.jpg")}, 1, "--photo"},
		{[]string{"--photo", photo, "--kind", "walk"}, 2, "in_person"},
	} {
		if _, errOut, code := record(tc.args...); code != tc.code || !strings.Contains(errOut, tc.want) {
			t.Errorf("record %v: exit %d %q; want %d saying %q", tc.args, code, errOut, tc.code, tc.want)
		}
	}
	if n := nfiles(); n != 0 {
		t.Errorf("%d files in the blob store after refused records, want none", n)
	}
	out, errOut, code := record("--photo", photo)
	m := regexp.MustCompile(`^visit (\d+) recorded: .*; 1 photos`).FindStringSubmatch(out)
	if code != 0 || m == nil {
		t.Fatalf("record with a photo: exit %d %s %s", code, out, errOut)
	}
	id, _ := strconv.ParseInt(m[1], 10, 64)
	ctx := t.Context()
	a := &app{env: envOf(map[string]string{"GRIDCAST_DATA_DIR": dir}), stdout: io.Discard, stderr: testlog.Writer()}
	if err := a.loadConfig(); err != nil {
		t.Fatal(err)
	}
	st, err := a.openStore(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	rec, err := st.VisitRecord(ctx, id)
	if err != nil || len(rec.Photos) != 1 || rec.Photos[0].ContentType != "image/png" || rec.Photos[0].ThumbnailKey == "" ||
		rec.Photos[0].Size != int64(b.Len()) {
		t.Fatalf("the record's photos = %+v, %v; want the PNG with a thumbnail", rec.Photos, err)
	}
	bs, err := localfs.New(blobs)
	if err != nil {
		t.Fatal(err)
	}
	rc, _, err := bs.Get(ctx, rec.Photos[0].Key)
	if err != nil {
		t.Fatalf("the photo in the blob store: %v", err)
	}
	kept, err := io.ReadAll(rc)
	rc.Close()
	if err != nil || !bytes.Equal(kept, b.Bytes()) {
		t.Errorf("the photo in the blob store: %d bytes, %v; want the %d recorded", len(kept), err, b.Len())
	}
	if _, err := bs.Stat(ctx, rec.Photos[0].ThumbnailKey); err != nil {
		t.Errorf("the thumbnail in the blob store: %v", err)
	}
}
