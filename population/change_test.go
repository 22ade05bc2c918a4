package population_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/gridcast/gridcast/fault"
	"github.com/gridcast/gridcast/population"
)

func TestNewChangesNormalizes(t *testing.T) {
	t.Parallel()
	got, err := population.NewChanges(7, map[population.ChangeField]string{
		population.FieldStatus:   "死亡",
		population.FieldPhone:    "+86 138-0013-8000",
		population.FieldLiving:   "与子女同住",
		population.FieldSelfCare: "半失能",
		population.FieldHealth:   "  高血压，需定期随访  ",
		population.FieldRelation: "户主",
	}, "王网格", population.SourceField, "家属告知")
	if err != nil {
		t.Fatal(err)
	}
	want := []population.Change{
		{ResidentID: 7, Field: "status", After: "deceased"},
		{ResidentID: 7, Field: "phone", After: "13800138000"},
		{ResidentID: 7, Field: "living", After: "with_children"},
		{ResidentID: 7, Field: "selfcare", After: "partial"},
		{ResidentID: 7, Field: "health", After: "高血压，需定期随访"},
		{ResidentID: 7, Field: "relation", After: "head"},
	}
	for i := range want {
		want[i].By, want[i].Source, want[i].Note = "王网格", population.SourceField, "家属告知"
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("changes (-want +got):\n%s", diff)
	}
	for _, c := range got {
		if err := c.Validate(); err != nil {
			t.Errorf("%s: %v", c.Field, err)
		}
	}
}

func TestNewChangesRefusesBadInputWhole(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		set  map[population.ChangeField]string
		by   string
		want []string // in the English detail
	}{
		{"nothing", nil, "w", []string{"nothing to change"}},
		{"bad status", map[population.ChangeField]string{"status": "gone"}, "w", []string{`status "gone"`, "moved_out (迁出)"}},
		{"bad phone and living", map[population.ChangeField]string{"phone": "12345", "living": "cave"}, "w", []string{"phone:", `living arrangement "cave"`}},
		{"unknown field", map[population.ChangeField]string{"salary": "1"}, "w", []string{`field "salary"`}},
		{"no one", map[population.ChangeField]string{"selfcare": "自理"}, " ", []string{"by: who records"}},
		{"empty status", map[population.ChangeField]string{"status": ""}, "w", []string{"status: empty"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cs, err := population.NewChanges(1, tc.set, tc.by, population.SourceField, "")
			if err == nil || cs != nil {
				t.Fatalf("got %v, %v; want a refusal and no changes", cs, err)
			}
			if !errors.Is(err, fault.ErrInvalid) {
				t.Errorf("%v does not wrap fault.ErrInvalid", err)
			}
			en, zh := fault.Explain(err, fault.English)
			if !zh {
				t.Errorf("%v is not a refusal", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(en, w) {
					t.Errorf("%q lacks %q", en, w)
				}
			}
			if cn, _ := fault.Explain(err, fault.Chinese); !strings.Contains(cn, "变更") {
				t.Errorf("Chinese %q says nothing of the change", cn)
			}
		})
	}
}

func TestChangeShownMasksPersonalData(t *testing.T) {
	t.Parallel()
	c := population.Change{Field: population.FieldPhone, Before: "13800138000", After: "13912345678"}.Shown()
	if c.Before != "138****8000" || c.After != "139****5678" {
		t.Errorf("phone shown as %q → %q", c.Before, c.After)
	}
	h := population.Change{Field: population.FieldHealth, Before: "", After: "糖尿病"}.Shown()
	if h.Before != "" || h.After != "***" {
		t.Errorf("health shown as %q → %q", h.Before, h.After)
	}
	s := population.Change{Field: population.FieldStatus, Before: "active", After: "deceased"}.Shown()
	if s.After != "deceased" {
		t.Errorf("status shown as %q", s.After)
	}
	if got := population.FieldStatus.Show("deceased"); got != "deceased 死亡" {
		t.Errorf("Show = %q", got)
	}
	note := population.HealthNote("糖尿病")
	if got := fmt.Sprintf("%v %s %+v", note, note, note); strings.Contains(got, "糖尿病") {
		t.Errorf("a health note printed in clear: %s", got)
	}
}

func TestResidentActive(t *testing.T) {
	t.Parallel()
	for s, want := range map[population.Status]bool{"": true, "active": true, "moved_out": false, "deceased": false} {
		if got := (population.Resident{Status: s}).Active(); got != want {
			t.Errorf("%q: Active = %v", s, got)
		}
	}
	if got := (population.Resident{}).Value(population.FieldStatus); got != "active" {
		t.Errorf("zero status reads %q", got)
	}
}
