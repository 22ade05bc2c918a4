package pii

import (
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"
)

// Phone is a mainland mobile number, 11 digits, stored normalized (no +86,
// no spaces). It prints masked: 138****5678.
type Phone string

var phoneRE = regexp.MustCompile(`^1[3-9][0-9]{9}$`)

// NormalizePhone strips spaces, dashes and a +86/0086 prefix.
func NormalizePhone(s string) Phone {
	s = strings.Map(func(r rune) rune {
		if r == ' ' || r == '-' || r == '\u00a0' || r == '\t' {
			return -1
		}
		return r
	}, strings.TrimSpace(s))
	s = strings.TrimPrefix(s, "+86")
	if len(s) == 15 && strings.HasPrefix(s, "0086") {
		s = s[4:]
	}
	return Phone(s)
}

// Validate reports whether p is a well-formed mainland mobile number.
func (p Phone) Validate() error {
	if !phoneRE.MatchString(string(p)) {
		return fmt.Errorf("mobile number %s: want 11 digits starting 13-19", p.Masked())
	}
	return nil
}

// Masked is 138****5678; short or odd values keep at most their last 2 characters.
func (p Phone) Masked() string {
	s := string(p)
	if len(s) == 11 {
		return s[:3] + "****" + s[7:]
	}
	return maskAllBut(s, 0, 2)
}

func (p Phone) String() string             { return p.Masked() }
func (p Phone) LogValue() slog.Value       { return slog.StringValue(p.Masked()) }
func (p Phone) GoString() string           { return `pii.Phone("` + p.Masked() + `")` }
func (p Phone) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(p.Masked())) }

// MarshalText makes JSON and YAML encoders print the masked form. Use
// string(p) where the clear number is required.
func (p Phone) MarshalText() ([]byte, error) { return []byte(p.Masked()), nil }

// Name is a person's name. It prints masked: 张*, 欧阳** .
type Name string

// Masked keeps the first rune (the family name, usually) and stars the rest.
func (n Name) Masked() string {
	s := string(n)
	if s == "" {
		return ""
	}
	r, size := utf8.DecodeRuneInString(s)
	rest := utf8.RuneCountInString(s[size:])
	if rest == 0 {
		return "*"
	}
	return string(r) + strings.Repeat("*", rest)
}

func (n Name) String() string             { return n.Masked() }
func (n Name) LogValue() slog.Value       { return slog.StringValue(n.Masked()) }
func (n Name) GoString() string           { return `pii.Name("` + n.Masked() + `")` }
func (n Name) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(n.Masked())) }

// MarshalText prints the masked form; see Phone.MarshalText.
func (n Name) MarshalText() ([]byte, error) { return []byte(n.Masked()), nil }

// OpenID is a WeChat openid. It prints masked: oAbC****wxyz.
type OpenID string

// Masked keeps the first and last 4 characters.
func (o OpenID) Masked() string { return maskAllBut(string(o), 4, 4) }

func (o OpenID) String() string             { return o.Masked() }
func (o OpenID) LogValue() slog.Value       { return slog.StringValue(o.Masked()) }
func (o OpenID) GoString() string           { return `pii.OpenID("` + o.Masked() + `")` }
func (o OpenID) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(o.Masked())) }

// MarshalText prints the masked form; see Phone.MarshalText.
func (o OpenID) MarshalText() ([]byte, error) { return []byte(o.Masked()), nil }

// IDNumber is an 18-character resident identity number (GB 11643-1999). It
// prints masked: 3201**********1234.
type IDNumber string

// NormalizeIDNumber trims spaces and upper-cases a trailing x.
func NormalizeIDNumber(s string) IDNumber {
	return IDNumber(strings.ToUpper(strings.TrimSpace(s)))
}

var idWeights = [17]int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}

const idCheckChars = "10X98765432"

// CheckDigit computes the 18th character for the first 17 digits of an ID
// number (ISO 7064 MOD 11-2). It panics if first17 is not 17 ASCII digits.
func CheckDigit(first17 string) byte {
	if len(first17) != 17 {
		panic("pii: CheckDigit needs 17 digits")
	}
	sum := 0
	for i := 0; i < 17; i++ {
		c := first17[i]
		if c < '0' || c > '9' {
			panic("pii: CheckDigit needs 17 digits")
		}
		sum += int(c-'0') * idWeights[i]
	}
	return idCheckChars[sum%11]
}

// ErrIDFormat and ErrIDCheckDigit tell the two ways an ID number is wrong.
var (
	ErrIDFormat     = errors.New("ID number must be 17 digits and a digit or X")
	ErrIDCheckDigit = errors.New("ID number check digit does not match")
	ErrIDBirthDate  = errors.New("ID number holds no valid birth date")
)

// Validate checks the format, the embedded birth date and the check digit.
func (id IDNumber) Validate() error {
	s := string(id)
	if len(s) != 18 {
		return ErrIDFormat
	}
	for i := 0; i < 17; i++ {
		if s[i] < '0' || s[i] > '9' {
			return ErrIDFormat
		}
	}
	if last := s[17]; !(last >= '0' && last <= '9') && last != 'X' {
		return ErrIDFormat
	}
	if _, err := id.BirthDate(); err != nil {
		return err
	}
	if CheckDigit(s[:17]) != s[17] {
		return ErrIDCheckDigit
	}
	return nil
}

// BirthDate is the date embedded in positions 7–14.
func (id IDNumber) BirthDate() (time.Time, error) {
	s := string(id)
	if len(s) < 14 {
		return time.Time{}, ErrIDBirthDate
	}
	t, err := time.Parse("20060102", s[6:14])
	if err != nil || t.Year() < 1880 {
		return time.Time{}, ErrIDBirthDate
	}
	return t, nil
}

// Female reports the gender encoded in the 17th digit (even = female).
func (id IDNumber) Female() bool {
	s := string(id)
	return len(s) >= 17 && (s[16]-'0')%2 == 0
}

// Masked keeps the first 4 and last 4 characters: 3201**********1234.
func (id IDNumber) Masked() string { return maskAllBut(string(id), 4, 4) }

func (id IDNumber) String() string             { return id.Masked() }
func (id IDNumber) LogValue() slog.Value       { return slog.StringValue(id.Masked()) }
func (id IDNumber) GoString() string           { return `pii.IDNumber("` + id.Masked() + `")` }
func (id IDNumber) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(id.Masked())) }

// MarshalText prints the masked form; see Phone.MarshalText.
func (id IDNumber) MarshalText() ([]byte, error) { return []byte(id.Masked()), nil }

// maskAllBut keeps head leading and tail trailing runes and stars the rest;
// when the value is too short to keep both, it is starred but for tail runes
// at most half its length.
func maskAllBut(s string, head, tail int) string {
	rs := []rune(s)
	n := len(rs)
	if n == 0 {
		return ""
	}
	if head+tail >= n {
		head = 0
		if tail > n/2 {
			tail = n / 2
		}
	}
	out := make([]rune, n)
	for i := range rs {
		if i < head || i >= n-tail {
			out[i] = rs[i]
		} else {
			out[i] = '*'
		}
	}
	return string(out)
}

var (
	idNumberInText = regexp.MustCompile(`[0-9]{17}[0-9Xx]`)
	mobileInText   = regexp.MustCompile(`1[3-9][0-9]{9}`)
)

// MaskText masks personal data in a free text for a screen or a log: the
// clear names given (a resident's, the worker's a canned reply names) and
// anything shaped like an ID number or a mainland mobile number, which
// residents do write into their messages. Names shorter than two
// characters are left alone (they would mask ordinary words).
func MaskText(text string, names ...Name) string {
	for _, n := range names {
		if utf8.RuneCountInString(strings.TrimSpace(string(n))) >= 2 {
			text = strings.ReplaceAll(text, string(n), n.Masked())
		}
	}
	text = idNumberInText.ReplaceAllStringFunc(text, func(s string) string { return IDNumber(s).Masked() })
	return mobileInText.ReplaceAllStringFunc(text, func(s string) string { return Phone(s).Masked() })
}
