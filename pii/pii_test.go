package pii_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/gridcast/gridcast/pii"
)

func TestMasking(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		v    interface{ Masked() string }
		want string
	}{
		{"phone", pii.Phone("13812345678"), "138****5678"},
		{"short phone", pii.Phone("12345"), "***45"},
		{"name", pii.Name("张三"), "张*"},
		{"two-char family name", pii.Name("欧阳修文"), "欧***"},
		{"one-rune name", pii.Name("王"), "*"},
		{"id", pii.IDNumber("32010219900307123X"), "3201**********123X"},
		{"openid", pii.OpenID("oAbCdEfGhIjKlMnOpQrStUvWxYz1"), "oAbC********************xYz1"},
		{"empty", pii.Phone(""), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.v.Masked(); got != tt.want {
				t.Errorf("Masked() = %q, want %q", got, tt.want)
			}
		})
	}
}

// Personal data must not escape in clear through any of the usual printers.
func TestNothingPrintsClear(t *testing.T) {
	t.Parallel()
	type rec struct {
		Phone pii.Phone
		Name  pii.Name
		ID    pii.IDNumber
		Open  pii.OpenID
	}
	r := rec{"13812345678", "张三丰", "320102199003071234", "oAbCdEfGhIjKlMnOpQrStUvWxYz1"}
	clear := []string{"13812345678", "张三丰", "320102199003071234", "oAbCdEfGhIjKlMnOpQrStUvWxYz1"}

	var logBuf bytes.Buffer
	l := slog.New(slog.NewJSONHandler(&logBuf, nil))
	l.Info("resident", "phone", r.Phone, "name", r.Name, "id", r.ID, "openid", r.Open)
	js, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	outputs := map[string]string{
		"slog": logBuf.String(), "json": string(js),
		"%v": fmt.Sprintf("%v", r), "%+v": fmt.Sprintf("%+v", r), "%#v": fmt.Sprintf("%#v", r),
		"%s": fmt.Sprintf("%s %s %s %s", r.Phone, r.Name, r.ID, r.Open), "%q": fmt.Sprintf("%q", r.Phone),
		"error": fmt.Errorf("wrapped: %v", r.ID).Error(),
	}
	for how, out := range outputs {
		for _, c := range clear {
			if strings.Contains(out, c) {
				t.Errorf("%s printed %q in clear: %s", how, c, out)
			}
		}
	}
	if !strings.Contains(logBuf.String(), "138****5678") {
		t.Errorf("slog output lacks the masked phone: %s", logBuf.String())
	}
}

func TestIDNumberValidate(t *testing.T) {
	t.Parallel()
	valid := "11010519491231002" + string(pii.CheckDigit("11010519491231002"))
	wrongCheck := valid[:17] + "0"
	if valid[17] == '0' {
		wrongCheck = valid[:17] + "1"
	}
	tests := []struct {
		id   string
		want error
	}{
		{valid, nil},
		{"11010519491231002X", nil}, // GB 11643's published example
		{wrongCheck, pii.ErrIDCheckDigit},
		{"1101051949123100", pii.ErrIDFormat},
		{"11010519491231002Y", pii.ErrIDFormat},
		{"1101051949123100A2", pii.ErrIDFormat},
		{"110105194913310023", pii.ErrIDBirthDate}, // month 13
		{"", pii.ErrIDFormat},
		{"１１０１０５１９４９１２３１００２Ｘ", pii.ErrIDFormat}, // full-width digits
	}
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			err := pii.IDNumber(tt.id).Validate()
			if !errors.Is(err, tt.want) && !(err == nil && tt.want == nil) {
				t.Errorf("Validate(%s) = %v, want %v", tt.id, err, tt.want)
			}
		})
	}
	b, err := pii.IDNumber("11010519491231002X").BirthDate()
	if err != nil || b.Format("2006-01-02") != "1949-12-31" {
		t.Errorf("BirthDate = %v, %v", b, err)
	}
	if !pii.IDNumber("11010519491231002X").Female() {
		t.Error("17th digit 2 is female")
	}
}

func TestPhone(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want pii.Phone
		ok   bool
	}{
		{"13812345678", "13812345678", true},
		{"+86 138-1234-5678", "13812345678", true},
		{"0086 13812345678", "13812345678", true},
		{"12812345678", "12812345678", false},
		{"1381234567", "1381234567", false},
		{"138123456789", "138123456789", false},
		{"021-12345678", "02112345678", false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got := pii.NormalizePhone(tt.in)
			if string(got) != string(tt.want) {
				t.Errorf("NormalizePhone = %q, want %q", string(got), string(tt.want))
			}
			if err := got.Validate(); (err == nil) != tt.ok {
				t.Errorf("Validate = %v, want ok=%v", err, tt.ok)
			}
		})
	}
}

func TestSealer(t *testing.T) {
	t.Parallel()
	key, err := pii.ParseKey(pii.NewKey())
	if err != nil {
		t.Fatal(err)
	}
	s, err := pii.NewSealer(key)
	if err != nil {
		t.Fatal(err)
	}
	id := pii.IDNumber("11010519491231002X")
	if s.Hash(id) != s.Hash(id) || s.Hash(id) == s.Hash("110105194912310037") {
		t.Error("hash must be deterministic and distinguish IDs")
	}
	a, b := s.Seal(id), s.Seal(id)
	if bytes.Equal(a, b) {
		t.Error("two seals of one ID must differ (random nonce)")
	}
	if bytes.Contains(a, []byte(id)) || strings.Contains(s.Hash(id), string(id)) {
		t.Error("sealed form contains the clear ID")
	}
	got, err := s.Open(a)
	if err != nil || got != id {
		t.Fatalf("Open = %v, %v", got.Masked(), err)
	}
	a[len(a)-1] ^= 1
	if _, err := s.Open(a); err == nil {
		t.Error("tampered ciphertext must not open")
	}
	other, _ := pii.NewSealer(make([]byte, 32))
	if other.Hash(id) == s.Hash(id) {
		t.Error("hash must depend on the key")
	}
	if _, err := pii.NewSealer([]byte("short")); err == nil {
		t.Error("short key accepted")
	}
	if _, err := pii.ParseKey("not base64!"); err == nil {
		t.Error("bad key accepted")
	}
}

func ExamplePhone() {
	p := pii.NormalizePhone("+86 138 1234 5678")
	fmt.Println(p, p.Validate() == nil)
	// Output: 138****5678 true
}

func ExampleIDNumber_Masked() {
	id := pii.IDNumber("11010519491231002X")
	fmt.Println(id.Masked(), id.Validate())
	// Output: 1101**********002X <nil>
}

func TestMaskedCmp(t *testing.T) {
	// cmp prints through GoString, which masks too.
	diff := cmp.Diff(pii.Phone("13812345678"), pii.Phone("13912345678"))
	if strings.Contains(diff, "13812345678") {
		t.Errorf("cmp.Diff leaked a phone: %s", diff)
	}
}

func TestMaskText(t *testing.T) {
	in := "王芳您好，我是张伟，电话13812345678，身份证370202199001011234，楼下1号楼"
	got := pii.MaskText(in, "王芳", "张伟", "李")
	for _, clear := range []string{"王芳", "张伟", "13812345678", "370202199001011234"} {
		if strings.Contains(got, clear) {
			t.Errorf("%q still shows %q", got, clear)
		}
	}
	if !strings.Contains(got, "138****5678") || !strings.Contains(got, "1号楼") {
		t.Errorf("%q: want the phone masked as 138****5678 and the rest kept", got)
	}
}
