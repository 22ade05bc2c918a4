package pii_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/google/go-cmp/cmp"

	"github.com/gridcast/gridcast/pii"
)

// validID is a resident ID number with a valid check digit and birth date.
func validID(first17 string) string { return first17 + string(pii.CheckDigit(first17)) }

func TestScanFinds(t *testing.T) {
	t.Parallel()
	id := validID("32010219850312123")
	idX := "11010519491231002X" // a real check digit X
	tests := []struct {
		name string
		line string
		want []pii.Finding
	}{
		{"phone in a log value", `level=WARN msg=receipt_unmatched phone=13812345678`,
			[]pii.Finding{{Line: 1, Column: 40, Kind: pii.KindPhone, Masked: "138****5678",
				Excerpt: "level=WARN msg=receipt_unmatched phone=138****5678"}}},
		{"phone after a slash in a provider id", `provider id "out:1035/19912345678" not found`,
			[]pii.Finding{{Line: 1, Column: 23, Kind: pii.KindPhone, Masked: "199****5678",
				Excerpt: `provider id "out:1035/199****5678" not found`}}},
		{"phone in Chinese text", "居民说电话是13912345678请回电",
			[]pii.Finding{{Line: 1, Column: 19, Kind: pii.KindPhone, Masked: "139****5678", Excerpt: "居民说电话是139****5678请回电"}}},
		{"phone with +86", `to=+8613712345678`,
			[]pii.Finding{{Line: 1, Column: 7, Kind: pii.KindPhone, Masked: "137****5678", Excerpt: "to=+86137****5678"}}},
		{"phone with 0086", `to=008615012345678.`,
			[]pii.Finding{{Line: 1, Column: 8, Kind: pii.KindPhone, Masked: "150****5678", Excerpt: "to=0086150****5678."}}},
		{"phone after an underscore", `key phone_18612345678`,
			[]pii.Finding{{Line: 1, Column: 11, Kind: pii.KindPhone, Masked: "186****5678", Excerpt: "key phone_186****5678"}}},
		{"ID number", `{"id":"` + id + `"}`,
			[]pii.Finding{{Line: 1, Column: 8, Kind: pii.KindIDNumber, Masked: "3201**********" + id[14:],
				Excerpt: `{"id":"3201**********` + id[14:] + `"}`}}},
		{"ID number ending in x", "sfzh=" + strings.ToLower(idX),
			[]pii.Finding{{Line: 1, Column: 6, Kind: pii.KindIDNumber, Masked: "1101**********002x", Excerpt: "sfzh=1101**********002x"}}},
		{"synthetic openid", `openid=oSandboxResident000000000001 bound`,
			[]pii.Finding{{Line: 1, Column: 8, Kind: pii.KindOpenID, Masked: "oSan********************0001",
				Excerpt: "openid=oSan********************0001 bound"}}},
		{"openid with - and _", `"to":"oK3x-_9aBcDeFgHiJkLmNoPqRsTu"`,
			[]pii.Finding{{Line: 1, Column: 7, Kind: pii.KindOpenID, Masked: "oK3x********************RsTu",
				Excerpt: `"to":"oK3x********************RsTu"`}}},
		{"several in a line", "13812345678," + id,
			[]pii.Finding{
				{Line: 1, Column: 1, Kind: pii.KindPhone, Masked: "138****5678", Excerpt: "138****5678,3201**********" + id[14:]},
				{Line: 1, Column: 13, Kind: pii.KindIDNumber, Masked: "3201**********" + id[14:], Excerpt: "138****5678,3201**********" + id[14:]},
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := pii.Scan(strings.NewReader(tt.line))
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tt.want, got); d != "" {
				t.Errorf("Scan(%q) (-want +got):\n%s", tt.line, d)
			}
		})
	}
}

func TestScanLeavesAlone(t *testing.T) {
	t.Parallel()
	id := validID("32010219850312123")
	badCheck := id[:17] + string("0123456789"[(strings.IndexByte("0123456789X", id[17])+1)%10])
	for _, line := range []string{
		"phone=138****5678 id=3201**********1234 openid=oAbC********************xYz1", // the pii masks
		"name=张* worker=欧阳**",
		"unix_ms=1733472000123 unix=1733472000 ns=17334720001234567", // timestamps: 13, 10, 17 digits
		"snowflake=1834567890123456789",                              // 19 digits
		"id=" + badCheck,                                             // 18 digits, wrong check digit
		"id=" + validID("32010299991399123"),                         // check digit right, no such date
		"order=" + id + "7",                                          // an ID number inside a longer run
		"sha=a3f13812345678c0ffee",                                   // phone digits inside a hex word
		"phone=12812345678 short=1381234567 long=138123456789",       // 12x, 10 and 12 digits
		"phone=138 1234 5678 phone=138-1234-5678",                    // written in groups
		"elapsed=0.13812345678",                                      // a decimal fraction
		"key=opentelemetry_collector_abc",                            // 28 characters, o, no upper case or digit
		"token=oSandboxResident000000000001x",                        // 29 characters
		"blob=Zm9v+oSandboxResident000000000001+YmFy",                // inside standard base64
		"",
	} {
		got, err := pii.Scan(strings.NewReader(line))
		if err != nil {
			t.Fatal(err)
		}
		if len(got) > 0 {
			t.Errorf("Scan(%q) = %v, want nothing", line, got)
		}
	}
}

func TestScanLinesAndExcerpts(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("网格", 100) // 600 bytes: the excerpt is cut, at character boundaries
	text := "first line\r\nsecond 13812345678\n" + long + "13912345678" + long + "\nno newline at the end 15012345678"
	got, err := pii.Scan(strings.NewReader(text))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 {
		t.Fatalf("Scan found %d, want 3: %v", len(got), got)
	}
	if got[0].Line != 2 || got[1].Line != 3 || got[2].Line != 4 {
		t.Errorf("lines %d, %d, %d; want 2, 3, 4", got[0].Line, got[1].Line, got[2].Line)
	}
	ex := got[1].Excerpt
	if !strings.HasPrefix(ex, "…网") || !strings.HasSuffix(ex, "格…") || !strings.Contains(ex, "网格139****5678网格") {
		t.Errorf("excerpt %q: want the masked match with cut context on both sides", ex)
	}
	for _, f := range got {
		if s := f.String(); strings.Contains(s, "12345678") {
			t.Errorf("finding prints a clear value: %s", s)
		}
	}
}

func TestScanReadError(t *testing.T) {
	t.Parallel()
	boom := errors.New("disk gone")
	_, err := pii.Scan(iotest.ErrReader(boom))
	if !errors.Is(err, boom) {
		t.Errorf("err = %v, want the reader's error", err)
	}
}

func ExampleScan() {
	log := "level=INFO msg=sent phone=138****5678\n" +
		"level=WARN msg=receipt_unmatched provider_id=out:1035/13812345678\n"
	findings, _ := pii.Scan(strings.NewReader(log))
	for _, f := range findings {
		fmt.Println(f)
	}
	// Output:
	// line 2, column 55: phone 138****5678 in level=WARN msg=receipt_unmatched provider_id=out:1035/138****5678
}
