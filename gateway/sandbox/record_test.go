package sandbox_test

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/gridcast/gridcast/gateway"
	"github.com/gridcast/gridcast/gateway/sandbox"
	"github.com/gridcast/gridcast/internal/testlog"
	"github.com/gridcast/gridcast/pii"
)

const (
	residentPhone  = pii.Phone("13812345678")
	residentOpenID = pii.OpenID("oSandboxResident000000000001")
)

// policySMS is an SMS of the sandbox's policy template; outID is
// GridCast's message id.
func policySMS(phone pii.Phone, outID string) gateway.SMS {
	return gateway.SMS{Phone: phone, TemplateCode: sandbox.TemplatePolicy, OutID: outID,
		Params: map[string]string{"name": "张先生", "policy": "稳岗补贴开始申领", "worker": "李娜", "phone": "13900001111"}}
}

// notice is a template message of the sandbox's notice template.
func notice(to pii.OpenID, clientMsgID string) gateway.TemplateMessage {
	return gateway.TemplateMessage{ToUser: to, TemplateID: sandbox.WeChatTemplateNotice, ClientMsgID: clientMsgID,
		Data: map[string]string{"keyword1": "稳岗补贴开始申领", "keyword2": "李娜", "keyword3": "回T退订"}}
}

// The record outlives the sandbox: after a restart on the same file,
// QuerySendDetails finds a send made before it, a template send repeating
// a client_msg_id within 10 minutes is still answered as the repeat it is,
// and new msgids do not reuse old ones.
func TestRecordSurvivesRestart(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "sandbox-record.jsonl")
	cfg := config("")
	cfg.RecordFile = path
	log := testlog.New(t)
	c := newClients(t)

	before, err := sandbox.Open(cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	install(t, before)
	before.WeChat.KnowFollowers([]pii.OpenID{residentOpenID})
	acc, err := c.sms.Send(ctx, policySMS(residentPhone, "101"))
	if err != nil {
		t.Fatal(err)
	}
	first, err := c.wx.SendTemplate(ctx, notice(residentOpenID, "202"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.wx.SendTemplate(ctx, notice(residentOpenID, "202")); err != nil {
		t.Fatal(err)
	}
	before.Close()

	after, err := sandbox.Open(cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	defer after.Close()
	install(t, after)
	after.WeChat.KnowFollowers([]pii.OpenID{residentOpenID})

	ds, err := c.sms.QueryDetails(ctx, residentPhone, acc.BizID, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if len(ds) != 1 || ds[0].OutID != "101" || !strings.Contains(ds[0].Content, "稳岗补贴") {
		t.Fatalf("QueryDetails after the restart: %+v, want the send of OutId 101", ds)
	}
	again, err := c.wx.SendTemplate(ctx, notice(residentOpenID, "202"))
	if err != nil {
		t.Fatal(err)
	}
	if again != first {
		t.Errorf("client_msg_id 202 repeated after the restart got msgid %d, want the first send's %d", again, first)
	}
	next, err := c.wx.SendTemplate(ctx, notice(residentOpenID, "203"))
	if err != nil {
		t.Fatal(err)
	}
	if next <= first {
		t.Errorf("a new send after the restart got msgid %d, not after %d: receipts would name two messages", next, first)
	}

	got := after.Record(time.Time{}, true)
	want := sandbox.ChannelSummary{Accepted: 2, ByKind: map[string]int{"template": 2},
		Recipients: map[string]int{string(residentOpenID): 2}}
	if diff := cmp.Diff(want, got.WeChat); diff != "" {
		t.Errorf("WeChat record (-want +got):\n%s", diff)
	}
	if got.SMS.Accepted != 1 || got.SMS.Recipients[string(residentPhone)] != 1 {
		t.Errorf("SMS record: %+v", got.SMS)
	}
	var ids []int64
	for _, m := range got.Messages {
		ids = append(ids, m.ID)
	}
	if diff := cmp.Diff([]int64{1, 2, 3}, ids); diff != "" {
		t.Errorf("record ids (-want +got):\n%s", diff)
	}
	if n := len(after.WeChat.Sent()); n != 2 {
		t.Errorf("the WeChat emulator lists %d messages after the restart, want 2", n)
	}

	// One JSON line per accepted message, the repeats left out.
	after.Close()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var kinds []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		for _, k := range []string{`"channel":"sms"`, `"client_msg_id":"202"`, `"client_msg_id":"203"`} {
			if strings.Contains(line, k) {
				kinds = append(kinds, k)
			}
		}
	}
	if diff := cmp.Diff([]string{`"channel":"sms"`, `"client_msg_id":"202"`, `"client_msg_id":"203"`}, kinds); diff != "" {
		t.Errorf("record file lines (-want +got):\n%s", diff)
	}
}

// A line cut short by an interrupted write is dropped on replay, and the
// next line starts clean.
func TestRecordCutsAPartialLastLine(t *testing.T) {
	path := filepath.Join(t.TempDir(), "record.jsonl")
	cfg := config("")
	cfg.RecordFile = path
	whole := `{"id":1,"channel":"sms","kind":"sms","time":"2026-03-01T08:00:00Z","phone":"13812345678","out_id":"7","biz_id":"1^0","template_code":"SMS_GRID_POLICY"}` + "\n"
	if err := os.WriteFile(path, []byte(whole+`{"id":2,"channel":"sms","ki`), 0o600); err != nil {
		t.Fatal(err)
	}
	sb, err := sandbox.Open(cfg, testlog.New(t))
	if err != nil {
		t.Fatal(err)
	}
	install(t, sb)
	sb.WeChat.KnowFollowers([]pii.OpenID{residentOpenID})
	c := newClients(t)
	if _, err := c.wx.SendTemplate(t.Context(), notice(residentOpenID, "8")); err != nil {
		t.Fatal(err)
	}
	sb.Close()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	if len(lines) != 2 || lines[0]+"\n" != whole || !strings.HasPrefix(lines[1], `{"id":2,"channel":"wechat"`) {
		t.Errorf("record file:\n%s", b)
	}
}
