package audit_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/gridcast/gridcast/audit"
	"github.com/gridcast/gridcast/fault"
)

var t0 = time.Date(2025, 3, 1, 9, 30, 0, 123456789, time.FixedZone("CST", 8*3600))

// chain appends n entries to an empty log, a second apart.
func chain(t *testing.T, n int) []audit.Entry {
	t.Helper()
	out := make([]audit.Entry, 0, n)
	head := audit.Empty
	for i := range n {
		e, err := audit.Next(head, audit.Entry{
			Actor: "李强", OSUser: "ops", Source: audit.SourceCLI, Action: audit.ActionCampaignApprove,
			Subject: fmt.Sprintf("campaign:%d", i+1), Detail: `{"audience":1200}`,
		}, t0.Add(time.Duration(i)*time.Second))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, e)
		head = audit.Head{Seq: e.Seq, Hash: e.Hash}
	}
	return out
}

func headOf(e audit.Entry) audit.Head { return audit.Head{Seq: e.Seq, Hash: e.Hash} }

func TestNext(t *testing.T) {
	t.Parallel()
	es := chain(t, 3)
	if es[0].Seq != 1 || es[0].PrevHash != audit.Genesis {
		t.Errorf("first entry: seq %d prev %s; want 1 and Genesis", es[0].Seq, es[0].PrevHash)
	}
	for i := 1; i < len(es); i++ {
		if es[i].Seq != es[i-1].Seq+1 || es[i].PrevHash != es[i-1].Hash {
			t.Errorf("entry %d does not follow entry %d", es[i].Seq, es[i-1].Seq)
		}
	}
	if got, want := es[0].At, t0.UTC().Truncate(time.Microsecond); !got.Equal(want) || got.Location() != time.UTC {
		t.Errorf("At = %v; want %v in UTC, to the microsecond (what the databases keep)", got, want)
	}
	for _, bad := range []audit.Entry{
		{Source: audit.SourceCLI, Action: audit.ActionExport},
		{Actor: "王芳", Source: "web", Action: audit.ActionExport},
		{Actor: "王芳", Source: audit.SourceAPI, Action: "Campaign Approve"},
		{Actor: "王芳", Source: audit.SourceAPI},
	} {
		if _, err := audit.Next(audit.Empty, bad, t0); !errors.Is(err, fault.ErrInvalid) {
			t.Errorf("Next(%+v) = %v; want ErrInvalid", bad, err)
		}
	}
}

// The hash of a known entry is fixed: changing the encoding would make
// every stored log fail to verify. The value was computed apart from this
// package, from the encoding Sum documents.
func TestSumGolden(t *testing.T) {
	t.Parallel()
	e := audit.Entry{Seq: 1, At: time.Date(2025, 1, 2, 3, 4, 5, 6000, time.UTC), Actor: "王芳", OSUser: "ops",
		Source: audit.SourceCLI, Action: audit.ActionExport, Subject: "campaign:7", Reason: "报名名单",
		Detail: "rows=12", PrevHash: audit.Genesis}
	const want = "b76283a8f6c93fead1b4f7a24b6274a1d6b39df169a3b0557d222ea5ce90e528"
	if got := e.Sum(); got != want {
		t.Errorf("Sum = %s; want %s (the encoding changed)", got, want)
	}
}

// Fields are length-prefixed: moving a character from one field to the
// next changes the hash.
func TestSumUnambiguous(t *testing.T) {
	t.Parallel()
	a := audit.Entry{Actor: "ab", OSUser: "c", Source: audit.SourceCLI, Action: audit.ActionExport, PrevHash: audit.Genesis}
	b := a
	b.Actor, b.OSUser = "a", "bc"
	if a.Sum() == b.Sum() {
		t.Error("entries differing only in where a field ends hash alike")
	}
	c := a
	c.At = a.At.In(time.FixedZone("CST", 8*3600))
	if a.Sum() != c.Sum() {
		t.Error("the same instant in another zone hashes differently")
	}
}

func TestVerify(t *testing.T) {
	t.Parallel()
	clean := chain(t, 5)
	// rehash recomputes an entry's hash and those of every entry after it,
	// as someone who knows the encoding would.
	rehash := func(es []audit.Entry, from int) []audit.Entry {
		for i := from; i < len(es); i++ {
			if i > 0 {
				es[i].PrevHash = es[i-1].Hash
			}
			es[i].Hash = es[i].Sum()
		}
		return es
	}
	for _, tc := range []struct {
		name    string
		tamper  func(es []audit.Entry) []audit.Entry
		expect  func(clean []audit.Entry) audit.Head
		kind    audit.Kind
		at      int64
		checked int64
		says    string
	}{
		{name: "clean", tamper: func(es []audit.Entry) []audit.Entry { return es }, checked: 5},
		{name: "empty", tamper: func([]audit.Entry) []audit.Entry { return nil }},
		{name: "clean, head as recorded", tamper: func(es []audit.Entry) []audit.Entry { return es },
			expect: func(c []audit.Entry) audit.Head { return headOf(c[4]) }, checked: 5},
		{name: "clean, an older head recorded", tamper: func(es []audit.Entry) []audit.Entry { return es },
			expect: func(c []audit.Entry) audit.Head { return headOf(c[2]) }, checked: 5},
		{name: "edited", tamper: func(es []audit.Entry) []audit.Entry { es[2].Actor = "张伟"; return es },
			kind: audit.BreakEdited, at: 3, checked: 2, says: "entry 3: its hash does not match its contents"},
		{name: "forged hash", tamper: func(es []audit.Entry) []audit.Entry {
			f := es[4]
			f.Seq, f.PrevHash, f.Hash = 6, es[4].Hash, strings.Repeat("ab", 32)
			return append(es, f)
		}, kind: audit.BreakEdited, at: 6, checked: 5},
		{name: "edited and rehashed", tamper: func(es []audit.Entry) []audit.Entry {
			es[1].Reason = "改过"
			es[1].Hash = es[1].Sum()
			return es
		}, kind: audit.BreakUnlinked, at: 3, checked: 2, says: "entry 3: its prev_hash is not entry 2's hash"},
		{name: "deleted", tamper: func(es []audit.Entry) []audit.Entry { return append(es[:2], es[3:]...) },
			kind: audit.BreakDeleted, at: 4, checked: 2, says: "entries 3 to 3 are missing"},
		{name: "first deleted", tamper: func(es []audit.Entry) []audit.Entry { return es[1:] },
			kind: audit.BreakDeleted, at: 2, says: "entries 1 to 1 were deleted"},
		{name: "deleted and renumbered", tamper: func(es []audit.Entry) []audit.Entry {
			es = append(es[:2], es[3:]...)
			for i := 2; i < len(es); i++ {
				es[i].Seq--
				es[i].Hash = es[i].Sum()
			}
			return es
		}, kind: audit.BreakUnlinked, at: 3, checked: 2},
		{name: "reordered", tamper: func(es []audit.Entry) []audit.Entry { es[1], es[2] = es[2], es[1]; return es },
			kind: audit.BreakDeleted, at: 3, checked: 1},
		{name: "duplicated", tamper: func(es []audit.Entry) []audit.Entry { return append(es[:3], es[2:]...) },
			kind: audit.BreakReordered, at: 3, checked: 3, says: "out of order or duplicated"},
		// The chain alone cannot see the newest entries go; the head
		// recorded elsewhere can.
		{name: "truncated, no head recorded", tamper: func(es []audit.Entry) []audit.Entry { return es[:3] }, checked: 3},
		{name: "truncated", tamper: func(es []audit.Entry) []audit.Entry { return es[:3] },
			expect: func(c []audit.Entry) audit.Head { return headOf(c[4]) },
			kind:   audit.BreakTruncated, at: 5, checked: 3, says: "entries 4 to 5 were deleted"},
		{name: "emptied", tamper: func([]audit.Entry) []audit.Entry { return nil },
			expect: func(c []audit.Entry) audit.Head { return headOf(c[4]) },
			kind:   audit.BreakTruncated, at: 5, says: "ends at entry 0"},
		{name: "rewritten, no head recorded", tamper: func(es []audit.Entry) []audit.Entry {
			es[1].Detail = "{}"
			return rehash(es, 1)
		}, checked: 5},
		{name: "rewritten", tamper: func(es []audit.Entry) []audit.Entry {
			es[1].Detail = "{}"
			return rehash(es, 1)
		}, expect: func(c []audit.Entry) audit.Head { return headOf(c[3]) },
			kind: audit.BreakRewritten, at: 4, checked: 3, says: "entries up to 4 were changed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			es := tc.tamper(append([]audit.Entry(nil), clean...))
			var expect audit.Head
			if tc.expect != nil {
				expect = tc.expect(clean)
			}
			rep, err := audit.Verify(es, expect)
			if rep.Checked != tc.checked {
				t.Errorf("checked %d entries; want %d", rep.Checked, tc.checked)
			}
			if tc.kind == "" {
				if err != nil {
					t.Fatalf("Verify = %v; want no break", err)
				}
				if want := tc.checked; rep.Head.Seq != want {
					t.Errorf("head seq %d; want %d", rep.Head.Seq, want)
				}
				return
			}
			var b *audit.Break
			if !errors.As(err, &b) {
				t.Fatalf("Verify = %v; want a %s break", err, tc.kind)
			}
			if b.Kind != tc.kind || b.Seq != tc.at {
				t.Errorf("break %s at %d; want %s at %d (%v)", b.Kind, b.Seq, tc.kind, tc.at, err)
			}
			if !strings.Contains(err.Error(), tc.says) {
				t.Errorf("break says %q; want it to say %q", err, tc.says)
			}
			if msg, _ := fault.Explain(err, fault.Chinese); !strings.Contains(msg, "审计日志") {
				t.Errorf("in Chinese: %q", msg)
			}
		})
	}
}

// A Verifier fed entries one at a time stops at the first break and keeps
// saying it.
func TestVerifierStops(t *testing.T) {
	t.Parallel()
	es := chain(t, 4)
	es[1].Subject = "campaign:99"
	v := audit.NewVerifier(audit.Head{})
	var first error
	for _, e := range es {
		if err := v.Add(e); err != nil && first == nil {
			first = err
		}
	}
	rep, err := v.Finish()
	if first == nil || err != first {
		t.Fatalf("first break %v, Finish %v; want the same break", first, err)
	}
	if d := cmp.Diff(audit.Report{Checked: 1, Head: headOf(es[0])}, rep); d != "" {
		t.Errorf("report (-want +got):\n%s", d)
	}
}

func TestParseHead(t *testing.T) {
	t.Parallel()
	h := strings.Repeat("0f", 32)
	got, err := audit.ParseHead(" 42:" + strings.ToUpper(h) + "\n")
	if err != nil || got != (audit.Head{Seq: 42, Hash: h}) {
		t.Errorf("ParseHead = %v, %v", got, err)
	}
	if s := got.String(); s != "42:"+h {
		t.Errorf("String = %s", s)
	}
	for _, bad := range []string{"", "42", "42:", "x:" + h, "-1:" + h, "42:" + h[:63], "42:" + h + "0", "42:" + strings.Repeat("zz", 32)} {
		if _, err := audit.ParseHead(bad); !errors.Is(err, fault.ErrInvalid) {
			t.Errorf("ParseHead(%q) = %v; want ErrInvalid", bad, err)
		}
	}
}

// Personal data typed into a reason or a detail is masked before it is
// hashed and stored; over-long texts are cut, never refused.
func TestSanitize(t *testing.T) {
	t.Parallel()
	e, err := audit.Next(audit.Empty, audit.Entry{
		Actor: " 王芳 ", Source: audit.SourceCLI, Action: audit.ActionUnmask, Subject: "phone:13812345678",
		Reason: "回电 13812345678 核实身份证 320102199001011234",
		Detail: strings.Repeat("长", audit.MaxDetailLen+10) + "\x00\xff",
	}, t0)
	if err != nil {
		t.Fatal(err)
	}
	for _, clear := range []string{"13812345678", "320102199001011234"} {
		if strings.Contains(e.Reason+e.Subject, clear) {
			t.Errorf("entry holds %s in clear: %q %q", clear, e.Subject, e.Reason)
		}
	}
	if e.Actor != "王芳" {
		t.Errorf("Actor = %q", e.Actor)
	}
	if n := len([]rune(e.Detail)); n != audit.MaxDetailLen || !strings.HasSuffix(e.Detail, "…") {
		t.Errorf("Detail is %d characters; want %d ending in …", n, audit.MaxDetailLen)
	}
	if _, err := audit.Verify([]audit.Entry{e}, audit.Head{}); err != nil {
		t.Errorf("a sanitized entry does not verify: %v", err)
	}
}

func TestFilter(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		f            audit.Filter
		exact, under string
		ok           bool
	}{
		{audit.Filter{}, "", "", true},
		{audit.Filter{Action: "campaign"}, "campaign", "campaign.", true},
		{audit.Filter{Action: "campaign."}, "campaign", "campaign.", true},
		{audit.Filter{Action: " Campaign.Send "}, "campaign.send", "campaign.send.", true},
		{audit.Filter{Limit: audit.MaxLimit + 1}, "", "", false},
		{audit.Filter{Limit: -1}, "", "", false},
		{audit.Filter{AfterSeq: -1}, "", "", false},
		{audit.Filter{Since: t0, Until: t0}, "", "", false},
	} {
		err := tc.f.Validate()
		if (err == nil) != tc.ok || (err != nil && !errors.Is(err, fault.ErrInvalid)) {
			t.Errorf("Validate(%+v) = %v", tc.f, err)
		}
		if exact, under := tc.f.ActionPrefix(); exact != tc.exact || under != tc.under {
			t.Errorf("ActionPrefix(%q) = %q, %q", tc.f.Action, exact, under)
		}
	}
	if n := (audit.Filter{}).PageSize(); n != audit.DefaultLimit {
		t.Errorf("PageSize of the zero filter = %d", n)
	}
}

func ExampleVerify() {
	at := time.Date(2025, 3, 1, 1, 0, 0, 0, time.UTC)
	first, _ := audit.Next(audit.Empty, audit.Entry{Actor: "李强", OSUser: "ops", Source: audit.SourceCLI,
		Action: audit.ActionCampaignApprove, Subject: "campaign:12"}, at)
	second, _ := audit.Next(audit.Head{Seq: first.Seq, Hash: first.Hash}, audit.Entry{Actor: "王芳",
		Source: audit.SourceAPI, Action: audit.ActionCampaignSend, Subject: "campaign:12"}, at.Add(time.Minute))
	rep, err := audit.Verify([]audit.Entry{first, second}, audit.Head{})
	fmt.Println(rep.Checked, rep.Head.Seq, err)

	second.Actor = "李强" // edited in the database
	_, err = audit.Verify([]audit.Entry{first, second}, audit.Head{})
	fmt.Println(err)
	// Output:
	// 2 2 <nil>
	// audit log broken at entry 2: its hash does not match its contents; the entry was edited after it was written, or inserted with a forged hash
}
