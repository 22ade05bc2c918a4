package campaigns

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gridcast/gridcast/fault"
	"github.com/gridcast/gridcast/outbound"
	"github.com/gridcast/gridcast/pii"
	"github.com/gridcast/gridcast/population"
)

// PreviewStore is what BuildPreview reads: the provider templates as last
// synced, the audience page by page, and each grid's worker (whose name
// and phone the messages carry). *store.Store satisfies it.
type PreviewStore interface {
	Templates(ctx context.Context, ch population.Channel) ([]Template, error)
	StreamSegment(ctx context.Context, expr string, afterID int64, batch int, fn func([]population.Resident) error) error
	WorkerForGrid(ctx context.Context, gridCode string, role population.Role) (population.Worker, error)
}

// Preview is what an officer sees before sending: who gets what, a few
// messages as the residents' phones show them, and what is likely a
// mistake. It holds no personal data in clear.
type Preview struct {
	// Audience is every resident the campaign's segment selects within its
	// scope; each is either on a channel (ByChannel) or skipped (Skipped)
	// for the reason the fan-out would record.
	Audience  int
	ByChannel map[population.Channel]int
	Skipped   map[outbound.SkipReason]int
	// Samples are the first residents' messages, rendered for real.
	Samples []Sample
	// Warnings are the campaign's (Campaign.Warnings) and the samples'
	// (a template not synced, an SMS billed as several parts, a value
	// cut short on WeChat), each said once.
	Warnings []string
}

// Sample is one resident's message as their phone shows it, with the
// resident's and the worker's names and phone numbers masked.
type Sample struct {
	ResidentID int64
	Channel    population.Channel
	// To is where it goes, masked: a phone number or a WeChat openid.
	To string
	// Text is an SMS's whole text, signature first (【网格通】…), masked.
	Text string
	// Chars is the SMS's length in characters as sent (before masking,
	// signature included) and Parts how many SMS Aliyun bills for it
	// (SMSParts).
	Chars, Parts int
	// Lines are the lines of a WeChat template message as the phone shows
	// them since 2023-05-04: no first, no remark, each keyword field cut
	// to WeChatFieldWidth characters (WeChatDisplay); masked.
	Lines []string
	// Cut names the WeChat fields whose value the phone shows cut short.
	Cut []string
	// Error says why the message cannot be rendered; the other fields are
	// then empty.
	Error string
}

// SMSParts is how many SMS Aliyun bills for text, its signature included:
// one up to 70 characters, else one per 67 (the long-SMS header takes the
// rest), counted in Unicode characters whatever the script.
func SMSParts(text string) int {
	n := utf8.RuneCountInString(text)
	if n <= 70 {
		return 1
	}
	return (n + 66) / 67
}

// previewBatch is how many residents BuildPreview reads at a time.
const previewBatch = 1000

// BuildPreview streams c's audience once, deciding each resident's channel or
// skip reason as the fan-out does at runAt (c.ScheduleAt, or now when that
// has passed), and renders the first n messages with the templates as last
// synced. A template not synced yet is a warning, not an error: its
// message cannot be shown.
func BuildPreview(ctx context.Context, st PreviewStore, c Campaign, n int, now time.Time) (Preview, error) {
	p := Preview{ByChannel: map[population.Channel]int{}, Skipped: map[outbound.SkipReason]int{}}
	tpls, err := SyncedTemplates(ctx, st, c)
	if err != nil {
		return p, err
	}
	workers := map[string]population.Worker{}
	runAt := c.ScheduleAt
	if runAt.Before(now) {
		runAt = now
	}
	err = st.StreamSegment(ctx, c.Audience(), 0, previewBatch, func(rs []population.Resident) error {
		for _, r := range rs {
			p.Audience++
			if reason := c.CheckRecipient(r, runAt, now); reason.Final() {
				p.Skipped[reason]++
				continue
			}
			ch, reason := ChooseChannel(c.ChannelPolicy, r, false)
			if reason.Final() {
				p.Skipped[reason]++
				continue
			}
			p.ByChannel[ch]++
			if len(p.Samples) >= n {
				continue
			}
			w, ok := workers[r.GridCode]
			if !ok {
				var err error
				if w, err = st.WorkerForGrid(ctx, r.GridCode, population.RoleGridWorker); err != nil && !errors.Is(err, fault.ErrNotFound) {
					return err
				}
				workers[r.GridCode] = w
			}
			p.Samples = append(p.Samples, RenderSample(c, ch, r, w, tpls))
		}
		return nil
	})
	if err != nil {
		return p, err
	}
	p.Warnings = previewWarnings(c, tpls, p.ByChannel, p.Samples)
	return p, nil
}

// previewWarnings are c's warnings and the samples', each once, in that
// order.
func previewWarnings(c Campaign, tpls Templates, by map[population.Channel]int, samples []Sample) []string {
	var out []string
	seen := map[string]bool{}
	add := func(w string) {
		if !seen[w] {
			seen[w] = true
			out = append(out, w)
		}
	}
	for _, w := range c.Warnings() {
		add(w)
	}
	if by[population.ChannelSMS] > 0 && tpls.SMS.Code == "" {
		add(fmt.Sprintf("sms.template_code: template %q is not synced (gridcast templates sync): its messages cannot be shown, and sending is refused", c.SMS.TemplateCode))
	}
	if by[population.ChannelWeChat] > 0 && tpls.WeChat.Code == "" {
		add(fmt.Sprintf("wechat.template_id: template %q is not synced (gridcast templates sync): its fields are shown without their labels", c.WeChat.TemplateID))
	}
	for _, s := range samples {
		if s.Parts > 1 {
			add(fmt.Sprintf("sms: a message of %d characters is billed as %d SMS (70 fit one, then 67 a part)", s.Chars, s.Parts))
		}
		for _, k := range s.Cut {
			add(fmt.Sprintf("wechat.fields[%s]: WeChat cuts this value to %d characters for some residents", k, WeChatFieldWidth))
		}
	}
	return out
}

// RenderSample renders c's message to r on ch as r's phone shows it — an
// SMS whole, with its length and parts; a WeChat template message as
// WeChatDisplay shows it — and masks r's and w's names and phone numbers
// in it. A template missing from tpls (not synced) leaves an SMS unshown
// and a WeChat message without its labels.
func RenderSample(c Campaign, ch population.Channel, r population.Resident, w population.Worker, tpls Templates) Sample {
	s := Sample{ResidentID: r.ID, Channel: ch, To: r.Phone.Masked()}
	v := Vars{Resident: r, Worker: w, Campaign: c}
	switch ch {
	case population.ChannelSMS:
		if tpls.SMS.Code == "" {
			s.Error = fmt.Sprintf("template %s not synced (run gridcast templates sync)", c.SMS.TemplateCode)
			return s
		}
		text, err := PreviewSMS(c, tpls.SMS, v)
		if err != nil {
			s.Error = "cannot render: " + err.Error()
			return s
		}
		s.Chars, s.Parts = utf8.RuneCountInString(text), SMSParts(text)
		s.Text = MaskPeople(text, r, w)
	default:
		s.To = r.OpenID.Masked()
		fields, err := RenderFields(c.WeChat.Fields, v)
		if err != nil {
			s.Error = "cannot render: " + err.Error()
			return s
		}
		for _, line := range WeChatDisplay(tpls.WeChat, fields) {
			s.Lines = append(s.Lines, MaskPeople(line, r, w))
		}
		for k, val := range fields {
			if !WeChatHidden(k) && WeChatField(val) != val {
				s.Cut = append(s.Cut, k)
			}
		}
		slices.SortFunc(s.Cut, compareFieldKeys)
	}
	return s
}

// MaskPeople masks the names and phone numbers of r and w in text (and
// whatever pii.MaskText finds), a name that WeChat cut short ("欧阳秀…")
// included.
func MaskPeople(text string, r population.Resident, w population.Worker) string {
	for _, p := range []pii.Phone{r.Phone, w.Phone} {
		if p != "" {
			text = strings.ReplaceAll(text, string(p), p.Masked())
		}
	}
	for _, n := range []pii.Name{r.Name, w.Name} {
		rs := []rune(string(n))
		for k := len(rs) - 1; k >= 2; k-- {
			cut := pii.Name(rs[:k])
			text = strings.ReplaceAll(text, string(cut)+"…", cut.Masked()+"…")
		}
	}
	return pii.MaskText(text, r.Name, w.Name)
}
