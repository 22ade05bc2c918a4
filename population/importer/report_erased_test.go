package importer_test

import (
	"bytes"
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/gridcast/gridcast/population"
	"github.com/gridcast/gridcast/population/importer"
)

// Rows refused because their resident was erased on request are reported
// as such: in the table (only when there are any) and in the JSON.
func TestReportErased(t *testing.T) {
	t.Parallel()
	rep := importer.Report{Rows: 3, Imported: population.UpsertStats{Inserted: 2, Erased: 1}}
	var b bytes.Buffer
	if err := rep.WriteTable(&b, 0); err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`erased on request \(not re-added\)\s+1\n`).MatchString(b.String()) {
		t.Errorf("table:\n%s\nwant a line for the erased resident", b.String())
	}
	js, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(js), `"imported":{"inserted":2,"updated":0,"unchanged":0,"erased":1}`) {
		t.Errorf("json %s: want imported.erased", js)
	}
	var back importer.Report
	if err := json.Unmarshal(js, &back); err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(rep, back, cmpopts.EquateEmpty()); d != "" {
		t.Errorf("round trip (-want +got):\n%s", d)
	}

	b.Reset()
	if err := (importer.Report{Rows: 1, Imported: population.UpsertStats{Inserted: 1}}).WriteTable(&b, 0); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(b.String(), "erased") {
		t.Errorf("table without erased residents mentions them:\n%s", b.String())
	}
}
