package visits

import (
	"fmt"
	"strings"

	"github.com/gridcast/gridcast/fault"
)

// Kind is how a visit was made.
type Kind string

// The kinds of visit. InPerson and Phone count towards the norms; NotHome
// is an attempt that found nobody and is kept on the register only.
const (
	InPerson Kind = "in_person" // 入户走访
	Phone    Kind = "phone"     // 电话回访
	NotHome  Kind = "not_home"  // 未遇
)

// Kinds lists the kinds in the order screens show them.
var Kinds = []Kind{InPerson, Phone, NotHome}

// Label returns the kind's Chinese name.
func (k Kind) Label() string {
	switch k {
	case InPerson:
		return "入户走访"
	case Phone:
		return "电话回访"
	case NotHome:
		return "未遇"
	}
	return string(k)
}

// Counts reports whether a visit of kind k satisfies a norm: in person or
// by phone, not an attempt that found nobody home.
func (k Kind) Counts() bool { return k == InPerson || k == Phone }

// ParseKind reads a kind by its identifier or its Chinese name (入户走访,
// 电话回访, 未遇), spaces around ignored. Anything else is refused with an
// error wrapping fault.ErrInvalid that lists the kinds.
func ParseKind(s string) (Kind, error) {
	t := strings.TrimSpace(s)
	for _, k := range Kinds {
		if t == string(k) || t == k.Label() {
			return k, nil
		}
	}
	return "", fault.Refuse(fault.ErrInvalid,
		fmt.Sprintf("visit kind %q: want in_person, phone or not_home", s),
		fmt.Sprintf("走访方式“%s”无效，应为 in_person（入户走访）、phone（电话回访）或 not_home（未遇）", s), nil)
}
