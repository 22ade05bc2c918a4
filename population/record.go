package population

import (
	"fmt"
	"log/slog"
	"strings"
	"unicode/utf8"
)

// The living record (活户籍、活档案) is what grid workers and community
// staff keep current from the field, beyond what the source population
// system imports: whether the resident still lives here, how they live,
// whether they can look after themselves, health notes and their place in
// the household. Each value type below takes its identifier or its Chinese
// label on the way in (Parse…) and shows its label on screens (Label).

// Status is whether a resident still belongs to the population a grid
// serves. Only active residents are selected by segments (unless the
// expression asks for status: itself) and messaged by campaigns. The zero
// value reads as active: rows written before living records existed.
type Status string

// The statuses.
const (
	StatusActive   Status = "active"    // 在册 (also recorded for 迁入, moved in)
	StatusMovedOut Status = "moved_out" // 迁出
	StatusDeceased Status = "deceased"  // 死亡
)

// Statuses lists the statuses with their labels, in the order screens show
// them.
var Statuses = []Label[Status]{
	{StatusActive, "在册"}, {StatusMovedOut, "迁出"}, {StatusDeceased, "死亡"},
}

// Active reports whether s is active (the zero value is).
func (s Status) Active() bool { return s == "" || s == StatusActive }

// Label is the Chinese label of s.
func (s Status) Label() string { return labelOf(Statuses, s) }

// ParseStatus accepts active, moved_out or deceased, or a Chinese word for
// them (在册/迁入, 迁出, 死亡/已故/去世); moved_in is taken for active.
func ParseStatus(s string) (Status, error) {
	switch strings.TrimSpace(s) {
	case "moved_in", "迁入", "现住":
		return StatusActive, nil
	case "已故", "去世", "dead":
		return StatusDeceased, nil
	}
	return parseLabelled(Statuses, s, "status")
}

// Living is a resident's living arrangement (居住状况). The zero value is
// not recorded.
type Living string

// The living arrangements.
const (
	LivingAlone    Living = "alone"         // 独居
	LivingSpouse   Living = "with_spouse"   // 与配偶同住
	LivingChildren Living = "with_children" // 与子女同住
	LivingFamily   Living = "with_family"   // 与其他亲属同住
	LivingCareHome Living = "care_home"     // 养老机构
	LivingOther    Living = "other"         // 其他
)

// Livings lists the living arrangements with their labels.
var Livings = []Label[Living]{
	{LivingAlone, "独居"}, {LivingSpouse, "与配偶同住"}, {LivingChildren, "与子女同住"},
	{LivingFamily, "与其他亲属同住"}, {LivingCareHome, "养老机构"}, {LivingOther, "其他"},
}

// Label is the Chinese label of l; "" when not recorded.
func (l Living) Label() string { return labelOf(Livings, l) }

// ParseLiving accepts an identifier (alone, with_children …) or a label
// (独居, 与子女同住 …); "" clears the record.
func ParseLiving(s string) (Living, error) {
	return parseLabelled(Livings, s, "living arrangement")
}

// SelfCare is how far a resident can look after themselves (自理能力),
// as the elderly-care assessments grade it. The zero value is not
// recorded.
type SelfCare string

// The self-care levels.
const (
	SelfCareIndependent SelfCare = "independent" // 自理
	SelfCarePartial     SelfCare = "partial"     // 半失能
	SelfCareDependent   SelfCare = "dependent"   // 失能
)

// SelfCares lists the self-care levels with their labels.
var SelfCares = []Label[SelfCare]{
	{SelfCareIndependent, "自理"}, {SelfCarePartial, "半失能"}, {SelfCareDependent, "失能"},
}

// Label is the Chinese label of c; "" when not recorded.
func (c SelfCare) Label() string { return labelOf(SelfCares, c) }

// ParseSelfCare accepts independent, partial or dependent, or 自理, 半失能
// or 失能; "" clears the record.
func ParseSelfCare(s string) (SelfCare, error) {
	return parseLabelled(SelfCares, s, "self-care level")
}

// Relation is a resident's relation to the head of their household (与户主
// 关系). The zero value is not recorded.
type Relation string

// The relations.
const (
	RelationHead       Relation = "head"       // 户主
	RelationSpouse     Relation = "spouse"     // 配偶
	RelationChild      Relation = "child"      // 子女
	RelationParent     Relation = "parent"     // 父母
	RelationGrandchild Relation = "grandchild" // 孙子女
	RelationSibling    Relation = "sibling"    // 兄弟姐妹
	RelationOther      Relation = "other"      // 其他
)

// Relations lists the relations with their labels.
var Relations = []Label[Relation]{
	{RelationHead, "户主"}, {RelationSpouse, "配偶"}, {RelationChild, "子女"}, {RelationParent, "父母"},
	{RelationGrandchild, "孙子女"}, {RelationSibling, "兄弟姐妹"}, {RelationOther, "其他"},
}

// Label is the Chinese label of r; "" when not recorded.
func (r Relation) Label() string { return labelOf(Relations, r) }

// ParseRelation accepts an identifier (head, spouse …) or a label (户主,
// 配偶 …); "" clears the record.
func ParseRelation(s string) (Relation, error) {
	return parseLabelled(Relations, s, "household relation")
}

// MaxHealthNote is the longest health note, in characters.
const MaxHealthNote = 500

// HealthNote is what a worker notes of a resident's health (chronic
// illness, recent hospital stay). It is personal data of a sensitive kind
// (PIPL): like the types of package pii it prints masked — in logs, with
// %v and in JSON — and only the conversion string(h) gives the text, for
// the store and for the change file.
type HealthNote string

// Masked is "***" for a note, "" for none.
func (h HealthNote) Masked() string {
	if h == "" {
		return ""
	}
	return "***"
}

// String is the masked note.
func (h HealthNote) String() string { return h.Masked() }

// LogValue is the masked note.
func (h HealthNote) LogValue() slog.Value { return slog.StringValue(h.Masked()) }

// GoString is the masked note.
func (h HealthNote) GoString() string { return `population.HealthNote("` + h.Masked() + `")` }

// Format writes the masked note whatever the verb.
func (h HealthNote) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(h.Masked())) }

// MarshalText is the masked note.
func (h HealthNote) MarshalText() ([]byte, error) { return []byte(h.Masked()), nil }

// ParseHealthNote trims s and checks its length; "" clears the note.
func ParseHealthNote(s string) (HealthNote, error) {
	s = strings.TrimSpace(s)
	if n := utf8.RuneCountInString(s); n > MaxHealthNote {
		return "", fmt.Errorf("health note: %d characters, want at most %d", n, MaxHealthNote)
	}
	if strings.ContainsRune(s, 0) {
		return "", fmt.Errorf("health note: holds a NUL character")
	}
	return HealthNote(s), nil
}

// Label pairs a value with its Chinese label.
type Label[T ~string] struct {
	Value T
	Label string
}

func labelOf[T ~string](ls []Label[T], v T) string {
	for _, l := range ls {
		if l.Value == v {
			return l.Label
		}
	}
	return string(v)
}

// parseLabelled finds s among ls by value or label; "" is the zero value,
// except for a status, which must be given.
func parseLabelled[T ~string](ls []Label[T], s, what string) (T, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		if what == "status" {
			return "", fmt.Errorf("status: empty; want one of %s", valuesOf(ls))
		}
		return "", nil
	}
	for _, l := range ls {
		if strings.EqualFold(s, string(l.Value)) || s == l.Label {
			return l.Value, nil
		}
	}
	return "", fmt.Errorf("%s %q: want one of %s", what, s, valuesOf(ls))
}

func valuesOf[T ~string](ls []Label[T]) string {
	parts := make([]string, len(ls))
	for i, l := range ls {
		parts[i] = string(l.Value) + " (" + l.Label + ")"
	}
	return strings.Join(parts, ", ")
}
