package wechat

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/gridcast/gridcast/gateway"
	"github.com/gridcast/gridcast/pii"
)

// A lost answer, a hang and a 503 leave the client not knowing whether the
// send went out (gateway.CodeAmbiguous); only the lost answer did the work,
// and the acceptance hook hears of exactly that one.
func TestTransportFaultsAreAmbiguous(t *testing.T) {
	tests := []struct {
		name string
		f    Fault
		sent int
	}{
		{"lose answer", Fault{LoseAnswer: true}, 1},
		{"503", Fault{HTTPStatus: http.StatusServiceUnavailable}, 0},
		{"hang", Fault{Hang: true}, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var mu sync.Mutex
			var heard []SentMessage
			f := newFixture(t, func(c *EmulatorConfig) {
				c.OnAccept = func(m SentMessage) {
					mu.Lock()
					defer mu.Unlock()
					heard = append(heard, m)
				}
			})
			// The token first, so the fault meets the send.
			if _, err := f.client.accessToken(t.Context()); err != nil {
				t.Fatal(err)
			}
			f.emu.FailNext(ActionTemplateSend, 1, tc.f)
			ctx := t.Context()
			if tc.f.Hang {
				c, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
				defer cancel()
				ctx = c
			}
			_, err := f.client.SendTemplate(ctx, notice(alice))
			if se := sendErr(t, err); se.Code != gateway.CodeAmbiguous || se.Class != gateway.Retryable {
				t.Errorf("send: %v, want %s retryable", err, gateway.CodeAmbiguous)
			}
			mu.Lock()
			nHeard := len(heard)
			mu.Unlock()
			if len(f.emu.Sent()) != tc.sent || nHeard != tc.sent {
				t.Errorf("%d sent, %d heard by the hook; want %d", len(f.emu.Sent()), nHeard, tc.sent)
			}
			if _, err := f.client.SendTemplate(t.Context(), notice(alice)); err != nil {
				t.Errorf("the next send: %v", err)
			}
		})
	}
}

// A repeat answered from client_msg_id is not a new acceptance: the hook
// is not called for it.
func TestOnAcceptSkipsRepeats(t *testing.T) {
	var n int
	f := newFixture(t, func(c *EmulatorConfig) { c.OnAccept = func(SentMessage) { n++ } })
	m := notice(alice)
	m.ClientMsgID = "501"
	for range 3 {
		if _, err := f.client.SendTemplate(t.Context(), m); err != nil {
			t.Fatal(err)
		}
	}
	if n != 1 {
		t.Errorf("hook called %d times for one message sent thrice", n)
	}
}

// KnowFollowers adds followers without undoing what was set; FollowPrefix
// takes unknown openids with the prefix as followers, others still get
// 40003.
func TestKnownFollowersAndPrefix(t *testing.T) {
	f := newFixture(t, func(c *EmulatorConfig) { c.FollowPrefix = "oSeed1" })
	const dave = pii.OpenID("oDave0123456789abcdefghijklm")
	if n := f.emu.KnowFollowers([]pii.OpenID{carol, dave, alice}); n != 1 {
		t.Errorf("KnowFollowers added %d, want only dave", n)
	}
	tests := []struct {
		to   pii.OpenID
		code string
	}{
		{dave, ""},
		{carol, "43004"}, // unfollowed before: stays so
		{"oSeed1abcdefghijklmnopqrstuv", ""},
		{"oOther0123456789abcdefghijkl", "40003"},
	}
	for _, tc := range tests {
		_, err := f.client.SendTemplate(t.Context(), notice(tc.to))
		got := ""
		if err != nil {
			got = sendErr(t, err).Code
		}
		if got != tc.code {
			t.Errorf("send to %v: %v, want code %q", tc.to, err, tc.code)
		}
	}
}

// After Restore, new msgids follow on from the restored ones and a
// client_msg_id sent within 10 minutes is still recognised.
func TestRestore(t *testing.T) {
	f := newFixture(t, nil)
	now := f.clock.Now()
	f.emu.Restore([]SentMessage{
		{Kind: "template", MsgID: 3_000_000_040, ToUser: alice, TemplateID: "TPL_NOTICE", ClientMsgID: "old",
			Data: map[string]string{"keyword1": "就业培训", "keyword2": "3月5日"}, At: now.Add(-11 * time.Minute)},
		{Kind: "template", MsgID: 3_000_000_041, ToUser: alice, TemplateID: "TPL_NOTICE", ClientMsgID: "recent",
			Data: map[string]string{"keyword1": "就业培训", "keyword2": "3月5日"}, At: now.Add(-time.Minute)},
		{Kind: "text", ToUser: alice, Text: "您好", At: now.Add(-time.Minute)},
	})
	sent := f.emu.Sent()
	if diff := cmp.Diff([]string{"事项：就业培训", "时间：3月5日"}, sent[1].Shown); diff != "" {
		t.Errorf("restored message shows (-want +got):\n%s", diff)
	}
	send := func(id string) int64 {
		m := notice(alice)
		m.ClientMsgID = id
		msgid, err := f.client.SendTemplate(t.Context(), m)
		if err != nil {
			t.Fatal(err)
		}
		return msgid
	}
	if got := send("recent"); got != 3_000_000_041 {
		t.Errorf("repeat within 10 minutes of a restored send: msgid %d, want 3000000041", got)
	}
	if got := send("old"); got != 3_000_000_042 {
		t.Errorf("repeat after 10 minutes: msgid %d, want a new one, 3000000042", got)
	}
	if n := len(f.emu.Sent()); n != 4 {
		t.Errorf("%d messages listed, want 3 restored and 1 new", n)
	}
}
