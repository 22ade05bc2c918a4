package aliyunsms

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gridcast/gridcast/gateway"
	"github.com/gridcast/gridcast/pii"
)

// reportWire is one SmsReport item of Aliyun's HTTP push.
type reportWire struct {
	PhoneNumber string `json:"phone_number"`
	SendTime    string `json:"send_time"`
	ReportTime  string `json:"report_time"`
	Success     bool   `json:"success"`
	ErrCode     string `json:"err_code"`
	ErrMsg      string `json:"err_msg"`
	SMSSize     string `json:"sms_size"`
	BizID       string `json:"biz_id"`
	OutID       string `json:"out_id"`
}

// uplinkWire is one SmsUp item of Aliyun's HTTP push.
type uplinkWire struct {
	PhoneNumber string `json:"phone_number"`
	SendTime    string `json:"send_time"`
	Content     string `json:"content"`
	SignName    string `json:"sign_name"`
	DestCode    string `json:"dest_code"`
	SequenceID  int64  `json:"sequence_id"`
}

type reportJob struct {
	item     reportWire
	attempts int
	dup      bool // the second push of a report (ReportsDuplicate)
}

const maxPushAttempts = 3

// ReportMode says how delivery reports are pushed, for tests of a
// receiver's handling of what Aliyun's pushes may do.
type ReportMode int

// The report modes.
const (
	// ReportsNormal pushes reports in batches as they fall due.
	ReportsNormal ReportMode = iota
	// ReportsDuplicate pushes every report twice: the copies follow in
	// batches of their own, after the originals of the same round.
	ReportsDuplicate
	// ReportsReorder holds reports until ReorderGroup have gathered (or
	// the oldest has waited ReorderHold), then pushes them one per POST,
	// newest first.
	ReportsReorder
)

// How ReportsReorder and the WeChat emulator's reordered receipts group
// reports.
const (
	ReorderGroup = 4
	ReorderHold  = time.Second
)

// SetReportMode changes how reports are pushed from now on; reports held
// for reordering are pushed in their order when the mode leaves
// ReportsReorder.
func (e *Emulator) SetReportMode(m ReportMode) {
	e.mu.Lock()
	e.reportMode = m
	e.mu.Unlock()
	select {
	case e.wake <- struct{}{}:
	default:
	}
}

// smsSize is how many SMS a message takes: 70 characters fit one, longer
// ones are split in parts of 67.
func smsSize(content string) int {
	n := utf8.RuneCountInString(content)
	if n <= 70 {
		return 1
	}
	return (n + 66) / 67
}

// finalizeLocked gives r its carrier outcome at the time at and returns
// the report's err_msg.
func (e *Emulator) finalizeLocked(r *record, at time.Time) string {
	r.Status, r.ErrCode, r.ReportTime = gateway.SMSDelivered, "DELIVERED", at
	msg := "用户接收成功"
	switch {
	case e.cfg.UndeliverableSuffix != "" && strings.HasSuffix(string(r.Phone), e.cfg.UndeliverableSuffix):
		r.Status, r.ErrCode, msg = gateway.SMSFailed, "UNDELIV", "UNDELIV"
	case e.cfg.UndeliverableRate > 0 && e.rng.Float64() < e.cfg.UndeliverableRate:
		r.Status, r.ErrCode, msg = gateway.SMSFailed, "MK:0001", "MK:0001"
	}
	return msg
}

// settleLocked turns every message whose receipt is due into delivered or
// failed and queues its report.
func (e *Emulator) settleLocked(now time.Time) {
	keep := e.pending[:0]
	for _, r := range e.pending {
		if r.due.After(now) {
			keep = append(keep, r)
			continue
		}
		msg := e.finalizeLocked(r, now)
		if e.cfg.ReportURL == "" {
			continue
		}
		item := reportWire{PhoneNumber: string(r.Phone), SendTime: r.SendTime.In(shanghai).Format(wireTime),
			ReportTime: now.In(shanghai).Format(wireTime), Success: r.Status == gateway.SMSDelivered,
			ErrCode: r.ErrCode, ErrMsg: msg, SMSSize: strconv.Itoa(smsSize(r.Content)), BizID: r.BizID, OutID: r.OutID}
		e.outbox = append(e.outbox, reportJob{item: item})
		if e.cfg.DuplicateRate > 0 && e.rng.Float64() < e.cfg.DuplicateRate {
			e.outbox = append(e.outbox, reportJob{item: item})
		}
		if e.reportMode == ReportsDuplicate {
			e.outbox = append(e.outbox, reportJob{item: item, dup: true})
		}
	}
	clear(e.pending[len(keep):])
	e.pending = keep
}

// runPusher settles and pushes every ReportInterval, or at once when a send
// nudges it, until Close.
func (e *Emulator) runPusher() {
	defer e.wg.Done()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		<-e.done
		cancel()
	}()
	t := time.NewTicker(e.cfg.ReportInterval)
	defer t.Stop()
	for {
		select {
		case <-e.done:
			return
		case <-t.C:
		case <-e.wake:
		}
		e.pushDue(ctx)
	}
}

// takeDueLocked takes the reports to push now, in the order the report
// mode wants them, and how many go in one POST.
func (e *Emulator) takeDueLocked(now time.Time) ([]reportJob, int) {
	jobs := e.outbox
	e.outbox = nil
	if e.reportMode == ReportsReorder {
		if len(e.held) == 0 && len(jobs) > 0 {
			e.heldSince = now
		}
		e.held = append(e.held, jobs...)
		if len(e.held) < ReorderGroup && (len(e.held) == 0 || now.Sub(e.heldSince) < ReorderHold) {
			return nil, 1
		}
		out := e.held
		e.held = nil
		slices.Reverse(out)
		return out, 1
	}
	if len(e.held) > 0 {
		jobs = append(e.held, jobs...)
		e.held = nil
	}
	// Originals first, then the copies, so that a copy comes in a POST of
	// its own.
	slices.SortStableFunc(jobs, func(a, b reportJob) int {
		switch {
		case a.dup == b.dup:
			return 0
		case b.dup:
			return -1
		}
		return 1
	})
	return jobs, e.cfg.ReportBatch
}

// pushDue POSTs queued reports in batches of ReportBatch; a batch the
// receiver refuses is queued again, up to maxPushAttempts.
func (e *Emulator) pushDue(ctx context.Context) {
	e.mu.Lock()
	e.settleLocked(e.now())
	jobs, size := e.takeDueLocked(time.Now())
	e.mu.Unlock()
	var retry []reportJob
	for len(jobs) > 0 && ctx.Err() == nil {
		n := min(len(jobs), size)
		if i := slices.IndexFunc(jobs[:n], func(j reportJob) bool { return j.dup }); i > 0 && !jobs[0].dup {
			n = i // the copies start a batch of their own
		}
		batch := jobs[:n]
		jobs = jobs[n:]
		items := make([]reportWire, n)
		for i, j := range batch {
			items[i] = j.item
		}
		if e.cfg.ShuffleReports {
			e.mu.Lock()
			e.rng.Shuffle(len(items), func(i, j int) { items[i], items[j] = items[j], items[i] })
			e.mu.Unlock()
		}
		if err := e.post(ctx, e.cfg.ReportURL, items); err != nil {
			if ctx.Err() != nil {
				retry = append(retry, batch...)
				break
			}
			e.log.WarnContext(ctx, "aliyunsms_emulator_report_push_failed", "reports", n, "err", err)
			for _, j := range batch {
				if j.attempts+1 < maxPushAttempts {
					j.attempts++
					retry = append(retry, j)
				}
			}
		}
	}
	retry = append(retry, jobs...) // left over when closing
	if len(retry) > 0 {
		e.mu.Lock()
		e.outbox = append(retry, e.outbox...)
		e.mu.Unlock()
	}
}

// post sends a JSON array and expects a 2xx answer that, if it is JSON,
// says {"code":0}.
func (e *Emulator) post(ctx context.Context, target string, items any) error {
	body, err := json.Marshal(items)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json;charset=utf-8")
	req.Header.Set("User-Agent", "Aliyun-SMS-Push-Emulator")
	resp, err := e.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	ack, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("receiver answered %s", resp.Status)
	}
	var a struct {
		Code *int `json:"code"`
	}
	if json.Unmarshal(ack, &a) == nil && a.Code != nil && *a.Code != 0 {
		return fmt.Errorf("receiver answered code %d", *a.Code)
	}
	return nil
}

// Reply makes phone answer by SMS: it POSTs one SmsUp item to UplinkURL.
// destCode is the extension code the resident replied to ("" for none);
// the sign is the one last sent to phone, else the first configured. It is
// for `gridcast sandbox say` and tests.
func (e *Emulator) Reply(ctx context.Context, phone pii.Phone, content, destCode string) error {
	if e.cfg.UplinkURL == "" {
		return errors.New("aliyunsms: emulator: reply: no UplinkURL configured")
	}
	e.mu.Lock()
	sign, ok := e.lastSign[phone]
	if !ok && len(e.cfg.SignNames) > 0 {
		sign = e.cfg.SignNames[0]
	}
	e.seq++
	item := uplinkWire{PhoneNumber: string(phone), SendTime: e.now().In(shanghai).Format(wireTime),
		Content: content, SignName: sign, DestCode: destCode, SequenceID: int64(1_000_000 + e.seq)}
	e.mu.Unlock()
	if err := e.post(ctx, e.cfg.UplinkURL, []uplinkWire{item}); err != nil {
		return fmt.Errorf("aliyunsms: emulator: reply: %w", err)
	}
	return nil
}
