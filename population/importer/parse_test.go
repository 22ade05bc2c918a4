package importer_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/gridcast/gridcast/population/importer"
)

func TestParseDate(t *testing.T) {
	t.Parallel()
	want := time.Date(1985, 3, 12, 0, 0, 0, 0, time.UTC)
	for _, in := range []string{"1985-03-12", "1985/3/12", "1985.03.12", "1985年3月12日", "19850312", "31118",
		"31118.0", "1985-03-12T08:00:00+08:00", "1985-03-12 00:00:00", " 1985-3-12 "} {
		t.Run(in, func(t *testing.T) {
			got, err := importer.ParseDate(in)
			if err != nil || !got.Equal(want) {
				t.Errorf("ParseDate(%q) = %v, %v; want %v", in, got, err, want)
			}
		})
	}
	for _, in := range []string{"", "12/03/1985", "1985-13-01", "yesterday"} {
		if _, err := importer.ParseDate(in); err == nil {
			t.Errorf("ParseDate(%q) succeeded, want an error", in)
		}
	}
}

func TestSplitList(t *testing.T) {
	t.Parallel()
	cases := map[string][]string{
		"":   nil,
		"电工": {"电工"},
		"电工、焊工, 厨师；保洁/保安": {"电工", "焊工", "厨师", "保洁", "保安"},
		"a;b；c，d\ne":             {"a", "b", "c", "d", "e"},
		`{unemployed,"trainee"}`: {"unemployed", "trainee"},
		" 、 ":                    nil,
	}
	for in, want := range cases {
		if d := cmp.Diff(want, importer.SplitList(in)); d != "" {
			t.Errorf("SplitList(%q) (-want +got):\n%s", in, d)
		}
	}
}

func TestMatchColumns(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		headers []string
		mapping map[string]string
		want    []importer.Field
		missing []string
	}{
		{"chinese with markers", []string{"序号", " 姓名* ", "公民身份号码（必填）", "联系电话", "网格编码"}, nil,
			[]importer.Field{"", "name", "id_number", "phone", "grid"}, nil},
		{"english any case", []string{"Name", "ID_Number", "Grid"}, nil,
			[]importer.Field{"name", "id_number", "grid"}, nil},
		{"first of two matches", []string{"姓名", "身份证号", "网格", "手机号", "联系电话"}, nil,
			[]importer.Field{"name", "id_number", "grid", "phone", ""}, nil},
		{"mapping wins over a default", []string{"姓名", "身份证号", "网格", "手机号", "本人手机"}, map[string]string{"phone": "本人手机"},
			[]importer.Field{"name", "id_number", "grid", "", "phone"}, nil},
		{"mapped header absent", []string{"姓名", "身份证号", "网格"}, map[string]string{"phone": "本人手机"},
			nil, []string{`phone (mapped to "本人手机")`}},
		{"required switched off", []string{"姓名", "身份证号", "网格"}, map[string]string{"grid": ""},
			nil, []string{"grid (switched off by the mapping, but required)"}},
		{"nothing matches", []string{"a", "b"}, nil, nil, []string{"name", "id_number", "grid"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := importer.MatchColumns(tc.headers, tc.mapping)
			var mc *importer.MissingColumnsError
			if errors.As(err, &mc) {
				if d := cmp.Diff(tc.missing, mc.Missing); d != "" {
					t.Errorf("missing (-want +got):\n%s", d)
				}
				return
			}
			if err != nil || tc.missing != nil {
				t.Fatalf("err = %v, want missing %v", err, tc.missing)
			}
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Errorf("columns (-want +got):\n%s", d)
			}
		})
	}
	if _, err := importer.MatchColumns([]string{"姓名"}, map[string]string{"mobile": "x"}); err == nil {
		t.Error("an unknown mapping field was accepted")
	}
}

func ExampleParser_Parse() {
	p := importer.Parser{} // no grid check
	first17 := "32010219850312123"
	r, errs := p.Parse(importer.Row{
		importer.FieldName:       "张三",
		importer.FieldIDNumber:   first17 + "4",
		importer.FieldPhone:      "+86 138-0013-8000",
		importer.FieldGrid:       "NY-01-02-03",
		importer.FieldCategories: "失业登记、培训学员、退休",
		importer.FieldGender:     "女",
	})
	fmt.Println(r.Name, r.Phone, r.Gender, r.BirthDate.Format(time.DateOnly), r.Categories)
	for _, e := range errs {
		fmt.Println(e)
	}
	// Output:
	// 张* 138****8000  1985-03-12 [unemployed trainee]
	// gender: 女 disagrees with the gender in ID number 3201**********1234
	// categories: unknown category "退休"; accepted: unemployed (失业登记), hard_to_employ (就业困难人员), trainee (培训学员), elderly_alone (独居老人), empty_nest (空巢老人), subsistence (低保户), disabled (残疾人), left_behind_guardian (留守儿童监护人), floating (流动人口), new_resident (新居民)
}
