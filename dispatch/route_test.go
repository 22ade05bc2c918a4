package dispatch_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/gridcast/gridcast/dispatch"
)

// Every default suggestion names a default department.
func TestDefaultRoutesNameDefaultDepartments(t *testing.T) {
	t.Parallel()
	var cats []string
	for c := range dispatch.DefaultRoutes {
		cats = append(cats, c)
	}
	if err := dispatch.DefaultRoutes.Validate(dispatch.DefaultDepartments, cats); err != nil {
		t.Error(err)
	}
}

func TestRoutesSuggest(t *testing.T) {
	t.Parallel()
	var r dispatch.Routes // nil: the defaults
	got := [][]dispatch.Department{r.Suggest("heating_gas", dispatch.DefaultDepartments), r.Suggest("disputes", dispatch.DefaultDepartments)}
	want := [][]dispatch.Department{{{Code: "gas", Name: "燃气"}, {Code: "heating", Name: "供暖"}}, nil}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"city_management", "environment"}, r.Categories("chengguan")); diff != "" {
		t.Errorf("chengguan's categories (-want +got):\n%s", diff)
	}

	// A city lays its own over the defaults, clears one, and has no
	// heating department: the default naming it drops out.
	mine := []dispatch.Department{{Code: "chengguan", Name: "城管"}, {Code: "gas", Name: "燃气"}, {Code: "market", Name: "市场监管"}}
	m := r.Merge(dispatch.Routes{"complaints": {"market"}, "environment": {}}).Known(mine)
	got2 := []any{m["complaints"], m["environment"], m["heating_gas"], m["city_management"], m.Categories("market")}
	want2 := []any{[]string{"market"}, []string{}, []string{"gas"}, []string{"chengguan"}, []string{"complaints"}}
	if diff := cmp.Diff(want2, got2); diff != "" {
		t.Errorf("merged (-want +got):\n%s", diff)
	}
	if dispatch.DefaultRoutes["environment"] == nil || len(dispatch.DefaultRoutes["heating_gas"]) != 2 {
		t.Error("Merge or Known changed DefaultRoutes")
	}
}

func TestRoutesValidate(t *testing.T) {
	t.Parallel()
	err := dispatch.Routes{"parking": {"chengguan"}, "safety": {"fire", "firemen", "fire"}}.Validate(dispatch.DefaultDepartments, []string{"safety", "property"})
	for _, want := range []string{"parking: unknown category; want one of safety, property", `safety[1]: "firemen" is no department`, `safety[2]: "fire" is listed twice`} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v does not say %q", err, want)
		}
	}
}
