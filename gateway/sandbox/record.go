package sandbox

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/gridcast/gridcast/gateway/aliyunsms"
	"github.com/gridcast/gridcast/gateway/wechat"
	"github.com/gridcast/gridcast/pii"
)

// Entry is one line of the sandbox's record: one message an emulator
// accepted. Phone numbers and openids are kept in clear: the record is the
// sandbox's own test data, read by the fault suite to compare with
// GridCast's ledger.
type Entry struct {
	// ID numbers the record's lines from 1, across restarts.
	ID int64 `json:"id"`
	// Channel is "sms" or "wechat"; Kind "sms", "template" (a WeChat
	// template message) or "text" (a WeChat customer-service message).
	Channel string    `json:"channel"`
	Kind    string    `json:"kind"`
	Time    time.Time `json:"time"`

	// An SMS: the number, GridCast's OutId (the message id; for
	// SendBatchSms the first message's, shared by the batch), Aliyun's
	// BizId, and the text as the handset shows it.
	Phone        string            `json:"phone,omitempty"`
	OutID        string            `json:"out_id,omitempty"`
	BizID        string            `json:"biz_id,omitempty"`
	TemplateCode string            `json:"template_code,omitempty"`
	SignName     string            `json:"sign_name,omitempty"`
	ExtendCode   string            `json:"extend_code,omitempty"`
	Content      string            `json:"content,omitempty"`
	Params       map[string]string `json:"params,omitempty"`

	// A WeChat message: the follower, WeChat's msgid and GridCast's
	// client_msg_id (template messages), the fields as the phone shows them,
	// or the customer-service text.
	OpenID      string            `json:"openid,omitempty"`
	MsgID       int64             `json:"msgid,omitempty"`
	ClientMsgID string            `json:"client_msg_id,omitempty"`
	TemplateID  string            `json:"template_id,omitempty"`
	URL         string            `json:"url,omitempty"`
	Data        map[string]string `json:"data,omitempty"`
	Text        string            `json:"text,omitempty"`
}

// The record's channels and kinds.
const (
	ChannelSMS    = "sms"
	ChannelWeChat = "wechat"
	KindSMS       = "sms"
	KindTemplate  = "template"
	KindText      = "text"
)

// RecordedMessage is one accepted message as GET /sandbox/record?detail=1
// lists it: the record's id, the recipient, GridCast's message id as the
// provider saw it (out_id or client_msg_id), the provider's id (biz_id or
// msgid) and the template.
type RecordedMessage struct {
	ID          int64     `json:"id"`
	Channel     string    `json:"channel"`
	Kind        string    `json:"kind"`
	Recipient   string    `json:"recipient"`
	OutID       string    `json:"out_id,omitempty"`
	BizID       string    `json:"biz_id,omitempty"`
	ClientMsgID string    `json:"client_msg_id,omitempty"`
	MsgID       int64     `json:"msgid,omitempty"`
	Template    string    `json:"template,omitempty"`
	Time        time.Time `json:"time"`
}

// key identifies the GridCast message a recorded one carries: OutId and
// number for an SMS (a batch shares its OutId), client_msg_id for a WeChat
// template message; "" when there is none.
func (m RecordedMessage) key() string {
	switch {
	case m.Channel == ChannelSMS && m.OutID != "":
		return m.OutID + "|" + m.Recipient
	case m.Channel == ChannelWeChat && m.ClientMsgID != "":
		return m.ClientMsgID
	}
	return ""
}

// ChannelSummary counts one channel's accepted messages.
type ChannelSummary struct {
	// Accepted is how many messages were accepted.
	Accepted int `json:"accepted"`
	// ByKind splits Accepted by kind: sms; template and text.
	ByKind map[string]int `json:"by_kind"`
	// Repeats is how many accepted messages carry a GridCast message that
	// an earlier accepted one carried (same OutId and number, or same
	// client_msg_id): sends the provider took twice.
	Repeats int `json:"repeats"`
	// Recipients counts the accepted messages per phone number or openid.
	Recipients map[string]int `json:"recipients"`
}

// RecordSummary is the answer of GET /sandbox/record.
type RecordSummary struct {
	// File is the record's path; "" when it is kept in memory only.
	File string `json:"file"`
	// WriteErrors counts records the file failed to take (they are still
	// counted here): non-zero means the file is short.
	WriteErrors int `json:"write_errors"`
	// Since is the ?since= bound, when given: only messages accepted at or
	// after it are counted.
	Since  *time.Time     `json:"since,omitempty"`
	SMS    ChannelSummary `json:"sms"`
	WeChat ChannelSummary `json:"wechat"`
	// Messages lists every counted message, oldest first, with ?detail=1.
	Messages []RecordedMessage `json:"messages,omitzero"`
}

// syncEvery bounds how long an appended line may wait for an fsync. Each
// line is written to the file at once (a kill of any process leaves it
// there); the fsync only guards against the machine itself going down.
const syncEvery = time.Second

// maxLine bounds one line of the record when it is read back.
const maxLine = 4 << 20

// record is the sandbox's account of every accepted message: in memory
// for the admin API and, when a file is named, appended to it as JSON
// lines. Safe for concurrent use.
type record struct {
	log  *slog.Logger
	path string

	mu          sync.Mutex
	f           *os.File
	size        int64
	lastSync    time.Time
	lastID      int64
	msgs        []RecordedMessage
	writeErrors int
}

// openRecord opens (creating it) the record at path and reads back what it
// holds; path "" keeps the record in memory. A last line cut short (a
// write interrupted) is removed; a line that cannot be read is skipped and
// logged.
func openRecord(path string, log *slog.Logger) (*record, []Entry, error) {
	r := &record{log: log, path: path}
	if path == "" {
		return r, nil, nil
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return nil, nil, fmt.Errorf("sandbox: record: %w", err)
	}
	entries, size, err := r.read(f)
	if err != nil {
		_ = f.Close()
		return nil, nil, err
	}
	r.f, r.size, r.lastSync = f, size, time.Now()
	return r, entries, nil
}

// read reads every complete line of f and returns the entries and the
// length of the complete lines, cutting off a partial last line.
func (r *record) read(f *os.File) ([]Entry, int64, error) {
	var entries []Entry
	var size int64
	br := bufio.NewReaderSize(f, 64<<10)
	line, skipped := 0, 0
	for {
		b, err := br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			// A long line: gather it whole.
			full := append([]byte(nil), b...)
			for errors.Is(err, bufio.ErrBufferFull) && len(full) <= maxLine {
				b, err = br.ReadSlice('\n')
				full = append(full, b...)
			}
			b = full
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			return nil, 0, fmt.Errorf("sandbox: record %s: line %d is longer than %d bytes", r.path, line+1, maxLine)
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return nil, 0, fmt.Errorf("sandbox: record %s: %w", r.path, err)
		}
		if len(b) == 0 || b[len(b)-1] != '\n' {
			if len(b) > 0 {
				if terr := f.Truncate(size); terr != nil {
					return nil, 0, fmt.Errorf("sandbox: record %s: cut the partial last line: %w", r.path, terr)
				}
				r.log.Warn("sandbox_record_partial_line", "path", r.path, "line", line+1, "bytes", len(b))
			}
			break
		}
		line++
		size += int64(len(b))
		var e Entry
		if jerr := json.Unmarshal(bytes.TrimSpace(b), &e); jerr != nil || e.Channel == "" {
			skipped++
			r.log.Warn("sandbox_record_line_skipped", "path", r.path, "line", line, "err", jerr)
			continue
		}
		r.lastID = max(r.lastID, e.ID)
		r.msgs = append(r.msgs, e.recorded())
		entries = append(entries, e)
	}
	r.log.Info("sandbox_record_replayed", "path", r.path, "messages", len(entries), "skipped", skipped)
	return entries, size, nil
}

// add numbers es, keeps them and appends them to the file, one line each,
// in one write.
func (r *record) add(es []Entry) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	for i := range es {
		r.lastID++
		es[i].ID = r.lastID
		if err := enc.Encode(&es[i]); err != nil { // maps of strings: cannot fail
			r.log.Error("sandbox_record_encode_failed", "id", es[i].ID, "err", err)
		}
		r.msgs = append(r.msgs, es[i].recorded())
	}
	if r.f == nil {
		return
	}
	n, err := r.f.Write(buf.Bytes())
	if err != nil {
		r.writeErrors += len(es)
		r.log.Error("sandbox_record_write_failed", "path", r.path, "messages", len(es), "err", err)
		if n > 0 {
			// Leave no partial line for the next one to run into.
			if terr := r.f.Truncate(r.size); terr != nil {
				r.log.Error("sandbox_record_truncate_failed", "path", r.path, "err", terr)
			}
		}
		return
	}
	r.size += int64(n)
	if now := time.Now(); now.Sub(r.lastSync) >= syncEvery {
		r.lastSync = now
		if err := r.f.Sync(); err != nil {
			r.log.Error("sandbox_record_sync_failed", "path", r.path, "err", err)
		}
	}
}

// close syncs and closes the file. Later adds are kept in memory only.
func (r *record) close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.f == nil {
		return nil
	}
	err := errors.Join(r.f.Sync(), r.f.Close())
	r.f = nil
	if err != nil {
		return fmt.Errorf("sandbox: record %s: %w", r.path, err)
	}
	return nil
}

// summary counts the messages accepted at or after since (all when zero),
// listing them when detail is set.
func (r *record) summary(since time.Time, detail bool) RecordSummary {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := RecordSummary{File: r.path, WriteErrors: r.writeErrors,
		SMS:    ChannelSummary{ByKind: map[string]int{}, Recipients: map[string]int{}},
		WeChat: ChannelSummary{ByKind: map[string]int{}, Recipients: map[string]int{}}}
	if !since.IsZero() {
		out.Since = &since
	}
	if detail {
		out.Messages = []RecordedMessage{}
	}
	seen := map[string]bool{}
	for _, m := range r.msgs {
		if !since.IsZero() && m.Time.Before(since) {
			continue
		}
		cs := &out.SMS
		if m.Channel == ChannelWeChat {
			cs = &out.WeChat
		}
		cs.Accepted++
		cs.ByKind[m.Kind]++
		cs.Recipients[m.Recipient]++
		if k := m.key(); k != "" {
			if seen[m.Channel+"|"+k] {
				cs.Repeats++
			}
			seen[m.Channel+"|"+k] = true
		}
		if detail {
			out.Messages = append(out.Messages, m)
		}
	}
	return out
}

// recorded is e as the admin API lists it.
func (e Entry) recorded() RecordedMessage {
	m := RecordedMessage{ID: e.ID, Channel: e.Channel, Kind: e.Kind, Time: e.Time}
	if e.Channel == ChannelSMS {
		m.Recipient, m.OutID, m.BizID, m.Template = e.Phone, e.OutID, e.BizID, e.TemplateCode
	} else {
		m.Recipient, m.ClientMsgID, m.MsgID, m.Template = e.OpenID, e.ClientMsgID, e.MsgID, e.TemplateID
	}
	return m
}

// smsEntries turns the Aliyun emulator's accepted messages into entries.
func smsEntries(ms []aliyunsms.SentMessage) []Entry {
	es := make([]Entry, len(ms))
	for i, m := range ms {
		es[i] = Entry{Channel: ChannelSMS, Kind: KindSMS, Time: m.SendTime,
			Phone: string(m.Phone), OutID: m.OutID, BizID: m.BizID, TemplateCode: m.TemplateCode,
			SignName: m.SignName, ExtendCode: m.ExtendCode, Content: m.Content, Params: m.Params}
	}
	return es
}

// wechatEntry turns the WeChat emulator's accepted message into an entry.
func wechatEntry(m wechat.SentMessage) Entry {
	e := Entry{Channel: ChannelWeChat, Kind: KindText, Time: m.At, OpenID: string(m.ToUser), Text: m.Text}
	if m.Kind == "template" {
		e.Kind, e.MsgID, e.ClientMsgID, e.TemplateID, e.URL, e.Data, e.Text =
			KindTemplate, m.MsgID, m.ClientMsgID, m.TemplateID, m.URL, m.Data, ""
	}
	return e
}

// split turns replayed entries back into the emulators' messages.
func split(es []Entry) (sms []aliyunsms.SentMessage, wx []wechat.SentMessage) {
	for _, e := range es {
		switch e.Channel {
		case ChannelSMS:
			sms = append(sms, aliyunsms.SentMessage{Phone: pii.Phone(e.Phone), SignName: e.SignName,
				TemplateCode: e.TemplateCode, Params: e.Params, Content: e.Content, OutID: e.OutID,
				BizID: e.BizID, ExtendCode: e.ExtendCode, SendTime: e.Time})
		case ChannelWeChat:
			m := wechat.SentMessage{Kind: "text", ToUser: pii.OpenID(e.OpenID), Text: e.Text, At: e.Time}
			if e.Kind == KindTemplate {
				m = wechat.SentMessage{Kind: "template", MsgID: e.MsgID, ToUser: pii.OpenID(e.OpenID),
					TemplateID: e.TemplateID, URL: e.URL, Data: e.Data, ClientMsgID: e.ClientMsgID, At: e.Time}
			}
			wx = append(wx, m)
		}
	}
	return sms, wx
}
