package aliyunsms

import (
	"time"

	"github.com/gridcast/gridcast/gateway"
)

// Restore puts back messages an earlier run of the emulator accepted (the
// sandbox's record, replayed at start), oldest first, so that
// QuerySendDetails finds them and the per-number limits count them. Only
// Phone, SignName, TemplateCode, Params, Content, OutID, BizID, ExtendCode
// and SendTime are read. A message whose receipt was due before now is
// settled without a report (the earlier run pushed it, or the reconciler
// asks QuerySendDetails); one still due gets its report as usual. Call it
// before serving requests.
func (e *Emulator) Restore(ms []SentMessage) {
	e.mu.Lock()
	defer e.mu.Unlock()
	now := e.now()
	for _, m := range ms {
		r := &record{SentMessage: m, due: m.SendTime.Add(e.cfg.DeliveryDelay)}
		r.Params = cloneParams(m.Params)
		r.Status, r.ErrCode, r.ReportTime = gateway.SMSWaiting, "", time.Time{}
		if r.due.After(now) {
			e.pending = append(e.pending, r)
		} else {
			e.finalizeLocked(r, r.due)
		}
		e.records = append(e.records, r)
		e.lastSign[r.Phone] = r.SignName
		e.bookLocked(r, now)
	}
	e.trimLocked()
}

// bookLocked counts a restored message against the per-number limits it
// still falls under: today's (Asia/Shanghai) and the last minute's.
func (e *Emulator) bookLocked(r *record, now time.Time) {
	date := now.In(shanghai).Format(wireDate)
	if date != e.dailyDate {
		e.daily = make(map[string]int)
		e.dailyDate = date
	}
	k := string(r.Phone) + "|" + r.SignName + "|" + r.TemplateCode
	if r.SendTime.In(shanghai).Format(wireDate) == date {
		e.daily[k]++
	}
	if e.cfg.PerNumberMinuteLimit > 0 && now.Sub(r.SendTime) < time.Minute && !r.SendTime.After(now) {
		e.minute[k] = append(e.minute[k], r.SendTime)
	}
}

// trimLocked forgets the oldest messages beyond MaxRecords, with some
// slack so that it copies rarely.
func (e *Emulator) trimLocked() {
	if len(e.records) > e.cfg.MaxRecords+e.cfg.MaxRecords/4 {
		e.records = append([]*record(nil), e.records[len(e.records)-e.cfg.MaxRecords:]...)
	}
}
