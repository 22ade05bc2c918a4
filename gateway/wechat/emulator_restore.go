package wechat

import (
	"maps"
	"slices"
)

// Restore puts back messages an earlier run of the emulator accepted (the
// sandbox's record, replayed at start), oldest first: Sent lists them, a
// template send repeating one's client_msg_id within 10 minutes of it is
// answered with its msgid as WeChat would, and new msgids follow on from
// the highest restored one, so that a receipt never names two messages.
// Template messages carry the data as shown (Shown is rebuilt from the
// template); their receipts are not pushed again. Call it before serving
// requests.
func (e *Emulator) Restore(ms []SentMessage) {
	e.mu.Lock()
	defer e.mu.Unlock()
	now := e.cfg.Now()
	for _, m := range ms {
		m.Data, m.RawData, m.Shown = maps.Clone(m.Data), maps.Clone(m.RawData), slices.Clone(m.Shown)
		if m.Kind == "template" {
			if i := slices.IndexFunc(e.cfg.Templates, func(t Template) bool { return t.ID == m.TemplateID }); i >= 0 && m.Shown == nil {
				_, m.Shown = display(e.cfg.Templates[i].Content, m.Data)
			}
			e.lastTplMsgID = max(e.lastTplMsgID, m.MsgID)
			if m.ClientMsgID != "" && now.Sub(m.At) < replayWindow {
				e.replay[m.ClientMsgID] = replayEntry{msgID: m.MsgID, at: m.At}
			}
		}
		e.sent = append(e.sent, m)
	}
}
