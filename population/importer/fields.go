package importer

import (
	"fmt"
	"slices"
	"strings"
)

// Field is a resident attribute a sheet column (or a source database column)
// maps to. Its string value is the key used in mapping files and config.
type Field string

// The fields a sheet can carry. FieldName, FieldIDNumber and FieldGrid are
// required; every other column is optional.
const (
	FieldName             Field = "name"
	FieldGender           Field = "gender"
	FieldBirthDate        Field = "birth_date"
	FieldIDNumber         Field = "id_number"
	FieldPhone            Field = "phone"
	FieldGrid             Field = "grid"
	FieldCommunity        Field = "community"
	FieldBuilding         Field = "building"
	FieldUnit             Field = "unit"
	FieldRoom             Field = "room"
	FieldCategories       Field = "categories"
	FieldSkills           Field = "skills"
	FieldDesiredJobs      Field = "desired_jobs"
	FieldTrainingCourse   Field = "training_course"
	FieldTrainingCohort   Field = "training_cohort"
	FieldPreferredChannel Field = "preferred_channel"
	FieldOpenID           Field = "openid"
)

// Fields lists every field in template order.
var Fields = []Field{
	FieldName, FieldGender, FieldBirthDate, FieldIDNumber, FieldPhone, FieldGrid,
	FieldCommunity, FieldBuilding, FieldUnit, FieldRoom, FieldCategories, FieldSkills,
	FieldDesiredJobs, FieldTrainingCourse, FieldTrainingCohort, FieldPreferredChannel, FieldOpenID,
}

// Required reports whether a sheet must have a column for f.
func (f Field) Required() bool {
	return f == FieldName || f == FieldIDNumber || f == FieldGrid
}

// Known reports whether f is one of Fields.
func (f Field) Known() bool { return slices.Contains(Fields, f) }

// IsList reports whether f holds several values in one cell (categories,
// skills, desired jobs), split on 、,，;；/ and line breaks.
func (f Field) IsList() bool {
	return f == FieldCategories || f == FieldSkills || f == FieldDesiredJobs
}

// The longest value each field may hold, in characters (not bytes), after
// the cell's surrounding spaces are trimmed. They are generous for a Chinese
// population register and refuse what is no register entry at all — a pasted
// paragraph, a runaway export, a column shifted into the wrong header: a
// longer value refuses its row, and the report names the row, the column and
// the limit without repeating the value.
const (
	MaxNameLen      = 50  // 姓名: Han names run 2–4, transliterated minority and foreign names with · up to about 30
	MaxGenderLen    = 10  // 男, 女, M, female …
	MaxBirthDateLen = 40  // a date, or a timestamp such as 1985-03-12T00:00:00.000+08:00
	MaxIDNumberLen  = 24  // 18 characters, with room for spaces typed inside
	MaxPhoneLen     = 20  // 11 digits, with +86 and spaces or dashes
	MaxGridLen      = 64  // a grid code (NY-03-02-05)
	MaxCommunityLen = 100 // 小区: an estate's or village's name
	MaxBuildingLen  = 20  // 楼栋
	MaxUnitLen      = 20  // 单元
	MaxRoomLen      = 20  // 房号
	MaxCourseLen    = 100 // 培训课程
	MaxCohortLen    = 50  // 培训期次
	MaxChannelLen   = 10  // 微信, 短信, wechat, sms
	MaxOpenIDLen    = 64  // a WeChat openid is 28 characters
	MaxListLen      = 600 // a categories, skills or desired-jobs cell, all its values together
	MaxListItems    = 20  // skills, or desired jobs, in one cell
	MaxListItemLen  = 30  // one skill or desired job (电工, 中式烹调师, 电子商务运营 …)
)

// MaxLen is the longest value, in characters, a cell of f may hold; 0 for
// a field that is not one of Fields.
func (f Field) MaxLen() int {
	switch f {
	case FieldName:
		return MaxNameLen
	case FieldGender:
		return MaxGenderLen
	case FieldBirthDate:
		return MaxBirthDateLen
	case FieldIDNumber:
		return MaxIDNumberLen
	case FieldPhone:
		return MaxPhoneLen
	case FieldGrid:
		return MaxGridLen
	case FieldCommunity:
		return MaxCommunityLen
	case FieldBuilding:
		return MaxBuildingLen
	case FieldUnit:
		return MaxUnitLen
	case FieldRoom:
		return MaxRoomLen
	case FieldCategories, FieldSkills, FieldDesiredJobs:
		return MaxListLen
	case FieldTrainingCourse:
		return MaxCourseLen
	case FieldTrainingCohort:
		return MaxCohortLen
	case FieldPreferredChannel:
		return MaxChannelLen
	case FieldOpenID:
		return MaxOpenIDLen
	}
	return 0
}

// DefaultHeaders maps each field to the column headers recognized without a
// mapping file: the field's own key and the usual Chinese headers. The first
// Chinese header is the one Template writes. Headers match after
// normalization (see NormalizeHeader).
var DefaultHeaders = map[Field][]string{
	FieldName:             {"name", "姓名"},
	FieldGender:           {"gender", "sex", "性别"},
	FieldBirthDate:        {"birth_date", "birthday", "出生日期"},
	FieldIDNumber:         {"id_number", "身份证号", "公民身份号码", "身份证号码"},
	FieldPhone:            {"phone", "mobile", "手机号", "联系电话", "手机号码"},
	FieldGrid:             {"grid", "grid_code", "网格", "网格编码"},
	FieldCommunity:        {"community", "小区"},
	FieldBuilding:         {"building", "楼栋"},
	FieldUnit:             {"unit", "单元"},
	FieldRoom:             {"room", "房号", "室"},
	FieldCategories:       {"categories", "category", "人员类别", "类别"},
	FieldSkills:           {"skills", "技能", "专业技能"},
	FieldDesiredJobs:      {"desired_jobs", "求职意向", "意向岗位"},
	FieldTrainingCourse:   {"training_course", "培训课程"},
	FieldTrainingCohort:   {"training_cohort", "培训期次", "班次"},
	FieldPreferredChannel: {"preferred_channel", "偏好渠道"},
	FieldOpenID:           {"openid", "微信openid"},
}

// NormalizeHeader is how headers are compared: surrounding (also full-width)
// spaces and a UTF-8 BOM removed, a trailing required-marker (*, ＊,
// (必填), （必填）) dropped, ASCII letters lower-cased.
func NormalizeHeader(h string) string {
	h = strings.TrimPrefix(h, "\ufeff")
	h = strings.TrimSpace(strings.ReplaceAll(h, "\u3000", " "))
	for _, suffix := range []string{"*", "＊", "(必填)", "（必填）"} {
		h = strings.TrimSpace(strings.TrimSuffix(h, suffix))
	}
	return strings.Map(func(r rune) rune {
		if r >= 'A' && r <= 'Z' {
			return r + 'a' - 'A'
		}
		return r
	}, h)
}

// ValidateMapping checks that every key of mapping (field → header or
// column) names a known field.
func ValidateMapping(mapping map[string]string) error {
	var bad []string
	for k := range mapping {
		if !Field(k).Known() {
			bad = append(bad, fmt.Sprintf("%q", k))
		}
	}
	if len(bad) == 0 {
		return nil
	}
	slices.Sort(bad)
	return fmt.Errorf("importer: mapping names unknown field(s) %s; known fields: %s", strings.Join(bad, ", "), fieldList())
}

func fieldList() string {
	s := make([]string, len(Fields))
	for i, f := range Fields {
		s[i] = string(f)
	}
	return strings.Join(s, ", ")
}

// MissingColumnsError is the fatal error for a header row that lacks a
// required field's column (or a column an explicit mapping names). Nothing
// has been read or written when it is returned.
type MissingColumnsError struct {
	Missing []string // what is missing, e.g. `id_number` or `phone (mapped to "联系方式")`
	Found   []string // the headers found, as written in the sheet
}

// Error names the missing fields and lists the headers found.
func (e *MissingColumnsError) Error() string {
	return fmt.Sprintf("importer: missing column(s) for %s; headers found: %s (map other headers with a mapping: field: header)",
		strings.Join(e.Missing, ", "), strings.Join(e.Found, " | "))
}

// MatchColumns assigns a field to each header: an explicit mapping entry
// (field → header) wins over DefaultHeaders; a mapping to "" switches a
// field off. The result has one entry per header, "" for a column that is
// not imported; when two columns match one field the first is used. It
// returns a *MissingColumnsError when a required field, or a field the
// mapping names, has no column.
func MatchColumns(headers []string, mapping map[string]string) ([]Field, error) {
	if err := ValidateMapping(mapping); err != nil {
		return nil, err
	}
	norm := make([]string, len(headers))
	for i, h := range headers {
		norm[i] = NormalizeHeader(h)
	}
	cols := make([]Field, len(headers))
	var missing []string
	assign := func(f Field, names []string) bool {
		for _, name := range names {
			name = NormalizeHeader(name)
			for i, h := range norm {
				if h == name && h != "" && cols[i] == "" {
					cols[i] = f
					return true
				}
			}
		}
		return false
	}
	// Explicit mappings first so that a default alias cannot take their column.
	for _, f := range Fields {
		if h, ok := mapping[string(f)]; ok && h != "" && !assign(f, []string{h}) {
			missing = append(missing, fmt.Sprintf("%s (mapped to %q)", f, h))
		}
	}
	for _, f := range Fields {
		if _, ok := mapping[string(f)]; ok {
			continue
		}
		if !assign(f, DefaultHeaders[f]) && f.Required() {
			missing = append(missing, string(f))
		}
	}
	for _, f := range Fields {
		if h, ok := mapping[string(f)]; ok && h == "" && f.Required() {
			missing = append(missing, fmt.Sprintf("%s (switched off by the mapping, but required)", f))
		}
	}
	if len(missing) > 0 {
		found := make([]string, 0, len(headers))
		for _, h := range headers {
			if strings.TrimSpace(h) != "" {
				found = append(found, strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))
			}
		}
		return nil, &MissingColumnsError{Missing: missing, Found: found}
	}
	return cols, nil
}
