package campaigns_test

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/gridcast/gridcast/campaigns"
	"github.com/gridcast/gridcast/pii"
	"github.com/gridcast/gridcast/population"
)

func testVars() campaigns.Vars {
	c := validCampaign()
	return campaigns.Vars{
		Resident: population.Resident{
			ID: 42, Name: "张伟", Gender: population.Male, Phone: "13812345678", OpenID: "oAbCdEfGhIjKlMnOp",
			IDNumber: "32010219900307123X", Address: population.Address{Community: "桃源小区", Building: "3", Unit: "2", Room: "501"},
		},
		Worker:   population.Worker{ID: 9, Name: "李娜", Phone: "13987654321"},
		GridName: "桃源社区第三网格",
		Slot:     time.Date(2026, 3, 16, 14, 0, 0, 0, campaigns.Shanghai()),
		Campaign: c,
	}
}

func TestRenderParams(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		mapping  map[string]string
		edit     func(v *campaigns.Vars)
		want     map[string]string
		wantErr  []string
		wantIs   error
		fieldsOK bool // RenderFields (no length limit) succeeds where RenderParams fails
	}{
		{name: "every variable", mapping: map[string]string{
			"a": "{{resident.name}}", "b": "{{resident.surname_title}}", "c": "{{worker.name}}", "d": "{{worker.phone}}",
			"e": "{{grid.name}}", "f": "{{slot}}", "g": "{{campaign.name}}", "h": "{{reply_hint}}",
		}, want: map[string]string{
			"a": "张伟", "b": "张先生", "c": "李娜", "d": "13987654321",
			"e": "桃源社区第三网格", "f": "3月16日(周一) 14:00", "g": "春风行动招聘会", "h": "回复1报名，回复2咨询",
		}},
		{name: "literal and mixed", mapping: map[string]string{"x": "周六上午", "y": "网格员{{ worker.name }}（{{worker.phone}}）"},
			want: map[string]string{"x": "周六上午", "y": "网格员李娜（13987654321）"}},
		{name: "slot in another zone renders in Beijing time", mapping: map[string]string{"s": "{{slot}}"},
			edit: func(v *campaigns.Vars) { v.Slot = v.Slot.UTC() },
			want: map[string]string{"s": "3月16日(周一) 14:00"}},
		{name: "slot in the worker's location", mapping: map[string]string{"s": "{{slot}}"},
			edit: func(v *campaigns.Vars) { v.Location = time.FixedZone("XJ", 6*3600) },
			want: map[string]string{"s": "3月16日(周一) 12:00"}},
		{name: "unknown variable", mapping: map[string]string{"x": "{{resident.address}}"},
			wantErr: []string{"params[x]: {{resident.address}}: campaigns: unknown variable"}, wantIs: campaigns.ErrUnknownVariable},
		{name: "no slot", mapping: map[string]string{"s": "时间：{{slot}}"}, edit: func(v *campaigns.Vars) { v.Slot = time.Time{} },
			wantErr: []string{"params[s]: {{slot}}: campaigns: variable has no value"}, wantIs: campaigns.ErrMissingValue},
		{name: "no worker name", mapping: map[string]string{"w": "{{worker.name}}"}, edit: func(v *campaigns.Vars) { v.Worker.Name = "" },
			wantErr: []string{"params[w]: {{worker.name}}: campaigns: variable has no value"}, wantIs: campaigns.ErrMissingValue},
		{name: "empty literal", mapping: map[string]string{"e": " "},
			wantErr: []string{"params[e]: renders empty: campaigns: variable has no value"}, wantIs: campaigns.ErrMissingValue},
		{name: "35 characters fit", mapping: map[string]string{"g": "{{grid.name}}"},
			edit: func(v *campaigns.Vars) { v.GridName = strings.Repeat("格", 35) },
			want: map[string]string{"g": strings.Repeat("格", 35)}},
		{name: "36 characters do not", mapping: map[string]string{"g": "{{grid.name}}", "ok": "{{worker.name}}"},
			edit:    func(v *campaigns.Vars) { v.GridName = strings.Repeat("格", 36) },
			wantErr: []string{"params[g]: campaigns: value too long: 36 characters; the limit is 35"}, wantIs: campaigns.ErrParamTooLong, fieldsOK: true},
		{name: "errors name every parameter", mapping: map[string]string{"a": "{{nope}}", "b": "{{slot}}"},
			edit: func(v *campaigns.Vars) { v.Slot = time.Time{} },
			wantErr: []string{
				"params[a]: {{nope}}: campaigns: unknown variable",
				"params[b]: {{slot}}: campaigns: variable has no value",
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			v := testVars()
			if tt.edit != nil {
				tt.edit(&v)
			}
			got, err := campaigns.RenderParams(tt.mapping, v)
			if diff := cmp.Diff(tt.wantErr, errLines(err)); diff != "" {
				t.Errorf("RenderParams() error (-want +got):\n%s", diff)
			}
			if tt.wantIs != nil && !errors.Is(err, tt.wantIs) {
				t.Errorf("error %v does not match %v", err, tt.wantIs)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("RenderParams() (-want +got):\n%s", diff)
			}
			if _, err := campaigns.RenderFields(tt.mapping, v); (err == nil) != (tt.wantErr == nil || tt.fieldsOK) {
				t.Errorf("RenderFields() error = %v", err)
			}
		})
	}
}

func TestRenderValue(t *testing.T) {
	t.Parallel()
	got, err := campaigns.RenderValue(validCampaign().Text, testVars())
	if err != nil {
		t.Fatal(err)
	}
	if want := "张先生您好，春风行动招聘会本周六举行。回复1报名，回复2咨询"; got != want {
		t.Errorf("RenderValue() = %q, want %q", got, want)
	}
	if _, err := campaigns.RenderValue("{{slot", testVars()); err == nil {
		t.Error("unclosed braces rendered without error")
	}
}

func TestValidateParams(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		mapping map[string]string
		want    []string
	}{
		{"known variables", map[string]string{"a": "{{worker.name}}", "b": "{{slot}}", "c": strings.Repeat("字", 35)}, nil},
		{"unknown, caught before sending", map[string]string{"a": "{{worker.mobile}}"}, []string{
			"params[a]: {{worker.mobile}}: campaigns: unknown variable (known: resident.name, resident.surname_title, worker.name, worker.phone, grid.name, slot, campaign.name, reply_hint)",
		}},
		{"literal too long", map[string]string{"a": strings.Repeat("字", 30) + "{{worker.name}}" + "123456"}, []string{
			"params[a]: campaigns: value too long: at least 36 characters before variables are filled in; the limit is 35",
		}},
		{"empty and unclosed", map[string]string{"a": "", "b": "{{x"}, []string{
			"params[a]: value required",
			`params[b]: unclosed {{ in "{{x"`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if diff := cmp.Diff(tt.want, errLines(campaigns.ValidateParams(tt.mapping))); diff != "" {
				t.Errorf("ValidateParams() (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSurnameTitle(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name pii.Name
		g    population.Gender
		want string
	}{
		{"张伟", population.Male, "张先生"},
		{"李娜", population.Female, "李女士"},
		{"欧阳修文", population.Male, "欧阳先生"},
		{"司马光", population.Female, "司马女士"},
		{"欧阳", population.Male, "欧先生"}, // two characters: family name 欧, given name 阳
		{"王芳", "", "王芳"},
		{"阿依古丽·买买提", population.Female, "阿依古丽·买买提"},
		{"John Smith", population.Male, "John Smith"},
		{" ", population.Male, "居民"},
	}
	for _, tt := range tests {
		t.Run(string(tt.name), func(t *testing.T) {
			t.Parallel()
			if got := campaigns.SurnameTitle(tt.name, tt.g); got != tt.want {
				t.Errorf("SurnameTitle(%q, %q) = %q, want %q", string(tt.name), tt.g, got, tt.want)
			}
		})
	}
}

func TestReplyHint(t *testing.T) {
	t.Parallel()
	got := campaigns.ReplyHint(map[string]string{"10": "其他", "2": "咨询", "1": "报名"})
	if want := "回复1报名，回复2咨询，回复10其他"; got != want {
		t.Errorf("ReplyHint() = %q, want %q", got, want)
	}
	if got := campaigns.ReplyHint(nil); got != "" {
		t.Errorf("ReplyHint(nil) = %q", got)
	}
}

// TestVarsMasked: rendering uses clear names on purpose, but Vars itself
// must never print or log them.
func TestVarsMasked(t *testing.T) {
	t.Parallel()
	v := testVars()
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("render", "vars", v)
	outputs := map[string]string{
		"%v":   fmt.Sprintf("%v", v),
		"%+v":  fmt.Sprintf("%+v", v),
		"%#v":  fmt.Sprintf("%#v", v),
		"%s":   fmt.Sprintf("%s", v),
		"%d":   fmt.Sprintf("%d", v),
		"%x":   fmt.Sprintf("%x", v),
		"%q":   fmt.Sprintf("%q", v),
		"slog": buf.String(),
		"ptr":  fmt.Sprintf("%v", &v),
	}
	clear := []string{"张伟", "李娜", "13812345678", "13987654321", "oAbCdEfGhIjKlMnOp", "32010219900307123X", "桃源小区", "501"}
	for verb, out := range outputs {
		for _, c := range clear {
			if strings.Contains(out, c) {
				t.Errorf("%s output holds %q in clear: %s", verb, c, out)
			}
		}
	}
	if want := "campaigns.Vars{resident:42 张* worker:9 李* grid:\"桃源社区第三网格\" slot:2026-03-16 14:00:00 campaign:7}"; outputs["%v"] != want {
		t.Errorf("String() = %s, want %s", outputs["%v"], want)
	}
	for _, key := range []string{`"resident_id":42`, `"resident_name":"张*"`, `"worker_name":"李*"`, `"campaign_id":7`} {
		if !strings.Contains(buf.String(), key) {
			t.Errorf("log %s lacks %s", buf.String(), key)
		}
	}
	// The rendered parameters, by contrast, are clear: they go to the resident.
	got, err := campaigns.RenderParams(map[string]string{"n": "{{resident.name}}"}, v)
	if err != nil || got["n"] != "张伟" {
		t.Errorf("RenderParams() = %v, %v; want the clear name", got, err)
	}
}

func TestVariables(t *testing.T) {
	t.Parallel()
	vs := campaigns.Variables()
	vs[0] = "mutated"
	if campaigns.Variables()[0] != campaigns.VarResidentName {
		t.Error("Variables() returned the package's own slice")
	}
}
