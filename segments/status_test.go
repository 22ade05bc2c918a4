package segments_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/gridcast/gridcast/segments"
)

func TestActiveOnly(t *testing.T) {
	t.Parallel()
	saved := map[string]string{"gone": "status:(moved_out OR deceased)", "alone": "living:独居"}
	resolve := func(name string) (string, error) { return saved[name], nil }
	tests := []struct {
		src   string
		where string
		args  []any
	}{
		{"living:alone", "(r.living = ? AND " + segments.ActiveOnlySQL + ")", []any{"alone"}},
		{"selfcare:(半失能 OR 失能)", "(r.self_care IN (?, ?) AND " + segments.ActiveOnlySQL + ")", []any{"partial", "dependent"}},
		{"segment:alone", "(r.living = ? AND " + segments.ActiveOnlySQL + ")", []any{"alone"}},
		// A status: term anywhere, also through a saved segment, is the
		// caller's choice: nothing is added.
		{"status:迁出", "r.status = ?", []any{"moved_out"}},
		{"living:alone AND NOT status:active", "(r.living = ? AND NOT (r.status = ?))", []any{"alone", "active"}},
		{"segment:gone", "r.status IN (?, ?)", []any{"moved_out", "deceased"}},
	}
	for _, tc := range tests {
		t.Run(tc.src, func(t *testing.T) {
			t.Parallel()
			where, args := mustCompile(t, tc.src, segments.Options{Now: now, ActiveOnly: true, Resolve: resolve})
			if where != tc.where {
				t.Errorf("where = %s, want %s", where, tc.where)
			}
			if diff := cmp.Diff(tc.args, args); diff != "" {
				t.Errorf("args (-want +got):\n%s", diff)
			}
		})
	}
	// Without the option the expression stays as written.
	if where, _ := mustCompile(t, "living:alone", segments.Options{Now: now}); where != "r.living = ?" {
		t.Errorf("without ActiveOnly: %s", where)
	}
}

func TestStatusFieldsRefuseUnknownValues(t *testing.T) {
	t.Parallel()
	for src, want := range map[string]string{
		"status:gone":   "not a status",
		"living:cave":   "not a living arrangement",
		"selfcare:much": "not a self-care level",
		"status:dead*":  "does not take a prefix",
	} {
		_, err := segments.Parse(src)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Parse(%q) = %v, want an error saying %q", src, err, want)
		}
	}
}
