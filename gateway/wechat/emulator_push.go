package wechat

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gridcast/gridcast/pii"
)

type receiptJob struct {
	due    time.Time // wall clock
	to     pii.OpenID
	msgID  int64
	status string
}

// enqueueReceipt queues a TEMPLATESENDJOBFINISH push; callers hold mu.
// Jobs share one delay, so the queue stays ordered by due time.
func (e *Emulator) enqueueReceipt(j receiptJob) {
	if e.cfg.CallbackURL == "" {
		return
	}
	e.queue = append(e.queue, j)
	select {
	case e.wake <- struct{}{}:
	default:
	}
}

// ReceiptMode says how TEMPLATESENDJOBFINISH receipts are pushed, for
// tests of a receiver's handling of what WeChat's pushes may do.
type ReceiptMode int

// The receipt modes.
const (
	// ReceiptsNormal pushes each receipt once, when due.
	ReceiptsNormal ReceiptMode = iota
	// ReceiptsDuplicate pushes every receipt twice: the receipts due
	// together, then the same again.
	ReceiptsDuplicate
	// ReceiptsReorder holds receipts until ReorderGroup have gathered (or
	// the oldest has waited ReorderHold), then pushes them newest first.
	ReceiptsReorder
)

// How ReceiptsReorder groups receipts.
const (
	ReorderGroup = 4
	ReorderHold  = time.Second
)

// SetReceiptMode changes how receipts are pushed from now on; receipts
// held for reordering are pushed in their order when the mode leaves
// ReceiptsReorder.
func (e *Emulator) SetReceiptMode(m ReceiptMode) {
	e.mu.Lock()
	e.receiptMode = m
	e.mu.Unlock()
	select {
	case e.wake <- struct{}{}:
	default:
	}
}

// runReceipts pushes queued receipts when due, in the receipt mode's way,
// until Close.
func (e *Emulator) runReceipts() {
	defer e.wg.Done()
	var held []receiptJob
	var heldSince time.Time
	for {
		now := time.Now()
		e.mu.Lock()
		n := 0
		for n < len(e.queue) && !e.queue[n].due.After(now) {
			n++
		}
		due := slices.Clone(e.queue[:n])
		e.queue = slices.Delete(e.queue, 0, n)
		var next time.Time
		if len(e.queue) > 0 {
			next = e.queue[0].due
		}
		mode := e.receiptMode
		e.mu.Unlock()

		var push []receiptJob
		switch mode {
		case ReceiptsReorder:
			if len(held) == 0 && len(due) > 0 {
				heldSince = now
			}
			held = append(held, due...)
			if len(held) >= ReorderGroup || (len(held) > 0 && now.Sub(heldSince) >= ReorderHold) {
				push = held
				slices.Reverse(push)
				held = nil
			}
		case ReceiptsDuplicate:
			push = append(held, due...)
			push = append(push, push...)
			held = nil
		default:
			push = append(held, due...)
			held = nil
		}
		for _, j := range push {
			if e.ctx.Err() != nil {
				return
			}
			e.pushReceipt(j)
		}
		if len(push) > 0 {
			continue
		}
		wait := time.Duration(-1)
		if !next.IsZero() {
			wait = max(time.Until(next), 0)
		}
		if len(held) > 0 {
			if w := max(ReorderHold-time.Since(heldSince), 0); wait < 0 || w < wait {
				wait = w
			}
		}
		var t *time.Timer
		var timer <-chan time.Time
		if wait >= 0 {
			t = time.NewTimer(wait)
			timer = t.C
		}
		select {
		case <-timer:
		case <-e.wake:
		case <-e.ctx.Done():
		}
		if t != nil {
			t.Stop()
		}
		if e.ctx.Err() != nil {
			return
		}
	}
}

// pushReceipt pushes one TEMPLATESENDJOBFINISH event.
func (e *Emulator) pushReceipt(job receiptJob) {
	xml := eventXML(e.originalID, job.to, e.cfg.Now(), "TEMPLATESENDJOBFINISH",
		"<MsgID>"+strconv.FormatInt(job.msgID, 10)+"</MsgID><Status>"+cdata(job.status)+"</Status>")
	if err := e.push(e.ctx, job.to, xml); err != nil && e.ctx.Err() == nil {
		e.log.WarnContext(e.ctx, "wechat_emulator_receipt_push_failed", "to", job.to, "msg_id", job.msgID, "err", err)
	}
}

// Say simulates a resident writing text to the account: the message is
// pushed to CallbackURL and the resident's 48-hour customer-service window
// reopens. An unknown openid becomes a follower. It returns the MsgId.
func (e *Emulator) Say(ctx context.Context, openid, text string) (int64, error) {
	e.mu.Lock()
	f := e.ensureFollower(pii.OpenID(openid))
	f.Following = true
	f.LastMessage = e.cfg.Now()
	f.csSent = 0
	e.lastUserMsgID++
	id := e.lastUserMsgID
	now := e.cfg.Now()
	e.mu.Unlock()
	var b strings.Builder
	b.WriteString("<xml><ToUserName>" + cdata(e.originalID) + "</ToUserName>")
	b.WriteString("<FromUserName>" + cdata(openid) + "</FromUserName>")
	b.WriteString("<CreateTime>" + strconv.FormatInt(now.Unix(), 10) + "</CreateTime>")
	b.WriteString("<MsgType><![CDATA[text]]></MsgType><Content>" + cdata(text) + "</Content>")
	b.WriteString("<MsgId>" + strconv.FormatInt(id, 10) + "</MsgId></xml>")
	return id, e.push(ctx, pii.OpenID(openid), []byte(b.String()))
}

// Heard tells the emulator that openid wrote to the account by another
// route (a push built outside this emulator, such as another process's
// `gridcast sandbox say`): they follow it and their 48-hour
// customer-service window opens, as WeChat itself would know.
func (e *Emulator) Heard(openid string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	f := e.ensureFollower(pii.OpenID(openid))
	f.Following, f.LastMessage, f.csSent = true, e.cfg.Now(), 0
}

// Follow simulates a subscribe event from openid and marks them following.
// As on WeChat, following opens the 48-hour customer-service window.
func (e *Emulator) Follow(ctx context.Context, openid string) error {
	e.mu.Lock()
	f := e.ensureFollower(pii.OpenID(openid))
	now := e.cfg.Now()
	f.Following, f.LastMessage, f.csSent = true, now, 0
	e.mu.Unlock()
	return e.push(ctx, pii.OpenID(openid), eventXML(e.originalID, pii.OpenID(openid), now, "subscribe", "<EventKey><![CDATA[]]></EventKey>"))
}

// Unfollow simulates an unsubscribe event from openid and marks them not
// following (sends then fail with 43004).
func (e *Emulator) Unfollow(ctx context.Context, openid string) error {
	e.mu.Lock()
	e.ensureFollower(pii.OpenID(openid)).Following = false
	now := e.cfg.Now()
	e.mu.Unlock()
	return e.push(ctx, pii.OpenID(openid), eventXML(e.originalID, pii.OpenID(openid), now, "unsubscribe", "<EventKey><![CDATA[]]></EventKey>"))
}

// ensureFollower returns openid's record, creating it; callers hold mu.
func (e *Emulator) ensureFollower(openid pii.OpenID) *follower {
	f, ok := e.followers[openid]
	if !ok {
		f = &follower{Follower: Follower{OpenID: openid}}
		e.followers[openid] = f
	}
	return f
}

func eventXML(toUser string, from pii.OpenID, at time.Time, event, extra string) []byte {
	return []byte("<xml><ToUserName>" + cdata(toUser) + "</ToUserName><FromUserName>" + cdata(string(from)) +
		"</FromUserName><CreateTime>" + strconv.FormatInt(at.Unix(), 10) +
		"</CreateTime><MsgType><![CDATA[event]]></MsgType><Event>" + cdata(event) + "</Event>" + extra + "</xml>")
}

// cdata wraps s in a CDATA section, splitting any "]]>" inside it.
func cdata(s string) string {
	return "<![CDATA[" + strings.ReplaceAll(s, "]]>", "]]]]><![CDATA[>") + "]]>"
}

// push signs (and in safe mode encrypts) inner and POSTs it to CallbackURL
// as WeChat does: signature, timestamp, nonce and openid in the query, plus
// encrypt_type=aes and msg_signature in safe mode.
func (e *Emulator) push(ctx context.Context, openid pii.OpenID, inner []byte) error {
	if e.cfg.CallbackURL == "" {
		return fmt.Errorf("wechat emulator: no CallbackURL configured")
	}
	u, err := url.Parse(e.cfg.CallbackURL)
	if err != nil {
		return fmt.Errorf("wechat emulator: callback URL: %w", err)
	}
	ts := strconv.FormatInt(e.cfg.Now().Unix(), 10)
	nonce := strconv.FormatUint(uint64(randomUint32()), 10)
	q := u.Query()
	q.Set("signature", Signature(e.cfg.Token, ts, nonce))
	q.Set("timestamp", ts)
	q.Set("nonce", nonce)
	q.Set("openid", string(openid))
	body := inner
	if e.cfg.EncodingAESKey != "" {
		enc, err := Encrypt(e.cfg.EncodingAESKey, e.cfg.AppID, inner, nil)
		if err != nil {
			return fmt.Errorf("wechat emulator: %w", err)
		}
		body = []byte("<xml><ToUserName>" + cdata(e.originalID) + "</ToUserName><Encrypt>" + cdata(enc) + "</Encrypt></xml>")
		q.Set("encrypt_type", "aes")
		q.Set("msg_signature", Signature(e.cfg.Token, ts, nonce, enc))
	}
	u.RawQuery = q.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("wechat emulator: push: %w", err)
	}
	req.Header.Set("Content-Type", "text/xml")
	resp, err := e.cfg.HTTPClient.Do(req)
	if err != nil {
		return fmt.Errorf("wechat emulator: push: %w", redact(err))
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("wechat emulator: push: callback answered %s", resp.Status)
	}
	return nil
}
