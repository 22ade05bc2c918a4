package access_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/gridcast/gridcast/access"
	"github.com/gridcast/gridcast/fault"
)

func TestPasswordHashRoundTrip(t *testing.T) {
	h, err := access.HashPassword("网格员的密码 2026!")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Fatalf("hash %q: want argon2id in the PHC format with its parameters", h)
	}
	h2, _ := access.HashPassword("网格员的密码 2026!")
	if h == h2 {
		t.Fatal("two hashes of one password are equal: the salt is not random")
	}
	for _, tc := range []struct {
		pw   string
		want bool
	}{{"网格员的密码 2026!", true}, {"网格员的密码 2026", false}, {"", false}} {
		if ok, err := access.VerifyPassword(h, tc.pw); err != nil || ok != tc.want {
			t.Errorf("VerifyPassword(%q) = %v, %v; want %v", tc.pw, ok, err, tc.want)
		}
	}
	if ok, err := access.VerifyPassword("", "anything"); ok || err != nil {
		t.Errorf("a user without a password matched: %v, %v", ok, err)
	}
	for _, bad := range []string{"$2a$10$abc", "$argon2id$v=19$m=0,t=1,p=1$c2FsdA$aGFzaA", "$argon2id$v=19$m=8,t=1,p=1$!!$aGFzaA"} {
		if ok, err := access.VerifyPassword(bad, "x"); ok || err == nil {
			t.Errorf("VerifyPassword on %q = %v, %v; want an error", bad, ok, err)
		}
	}
	if ok, _ := access.VerifyPassword(access.DummyPasswordHash, ""); ok {
		t.Error("the dummy hash matched the empty password")
	}
}

func TestCheckPassword(t *testing.T) {
	for _, tc := range []struct {
		pw, want string
	}{
		{"short1", "至少需要 10 个字符"},
		{strings.Repeat("长", 129), "最多 128 个字符"},
		{"my-wangfang-2026", "不能包含用户名"},
		{"aaaaaaaaaaaa", "同一个字符的重复"},
		{"correct horse battery", ""},
		{"网格走访每周三次", "至少需要"},
	} {
		err := access.CheckPassword("WangFang", tc.pw)
		if tc.want == "" {
			if err != nil {
				t.Errorf("CheckPassword(%q) = %v", tc.pw, err)
			}
			continue
		}
		var fe *fault.Error
		if !errors.As(err, &fe) || !strings.Contains(fe.Say(fault.Chinese), tc.want) || !errors.Is(err, access.ErrWeakPassword) || !errors.Is(err, fault.ErrInvalid) {
			t.Errorf("CheckPassword(%q) = %v; want invalid, saying %q", tc.pw, err, tc.want)
		}
	}
}

func TestLoginPolicyLive(t *testing.T) {
	p := access.DefaultLoginPolicy()
	at := time.Date(2026, 12, 6, 8, 0, 0, 0, time.UTC)
	s := access.Session{CreatedAt: at, SeenAt: at, ExpiresAt: at.Add(p.Lifetime)}
	if !p.Live(s, at.Add(11*time.Hour)) || p.Live(s, at.Add(12*time.Hour)) {
		t.Error("a session unused for 12 hours is still live, or one unused for 11 is not")
	}
	s.SeenAt = at.Add(7*24*time.Hour - time.Minute)
	if p.Live(s, at.Add(7*24*time.Hour)) {
		t.Error("a session past its lifetime is live because it was used")
	}
}
