package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/gridcast/gridcast/internal/testlog"
	"github.com/gridcast/gridcast/population"
	"github.com/gridcast/gridcast/visits"
)

// gridcast visits: the register printed masked, a visit recorded and
// counted, a bad kind or an unknown resident or worker refused with
// nothing kept, the overdue list per worker.
func TestCLIVisits(t *testing.T) {
	t.Chdir(t.TempDir())
	dir := t.TempDir()
	if _, errOut, code := gridcast(t, dir, "seed", "--residents", "60", "--seed", "5", "--quiet"); code != 0 {
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
	for id := int64(1); id <= 60; id++ {
		r, err := st.Resident(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		for _, x := range ws {
			if x.Role == population.RoleGridWorker && x.GridCode == r.GridCode && mine.ID == 0 {
				w, mine = x, r
			}
		}
	}
	st.Close()
	if mine.ID == 0 {
		t.Fatalf("fixture: no resident with a grid worker: %v", ws)
	}
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
