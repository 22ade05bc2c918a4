package campaigns

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/gridcast/gridcast/population"
)

// Template is a provider's message template as registered and reviewed:
// an Aliyun SMS template ("您好${name}，${job}…") or a WeChat template
// message ("{{first.DATA}} 时间：{{keyword1.DATA}}"). Both syntaxes are
// recognised in either channel.
type Template struct {
	Code     string             // Aliyun TemplateCode or WeChat template_id
	Content  string             // the template text with its parameters
	Approved bool               // passed the provider's review (审核通过)
	Channel  population.Channel // which provider; "" when unknown
}

var paramRE = regexp.MustCompile(`\$\{([A-Za-z0-9_]+)\}|\{\{\s*([A-Za-z0-9_]+)\.DATA\s*\}\}`)

// Params returns the names of t's parameters in order of first appearance:
// "name" for ${name}, "first" for {{first.DATA}}.
func (t Template) Params() []string {
	var names []string
	for _, m := range paramRE.FindAllStringSubmatch(t.Content, -1) {
		n := m[1] + m[2]
		if !slices.Contains(names, n) {
			names = append(names, n)
		}
	}
	return names
}

// Template-fit errors; test with errors.Is.
var (
	ErrTemplateNotApproved = errors.New("template not approved by the provider")
	ErrMissingParam        = errors.New("template parameter has no value in the mapping")
	ErrUnknownParam        = errors.New("mapping names no parameter of the template")
	ErrNoWorkerName        = errors.New("no parameter carries {{worker.name}}: residents distrust texts that do not name their grid worker")
	ErrNoOptOut            = errors.New("no opt-out hint such as 回T退订")
)

// CheckTemplateFit reports, joined, every way mapping fails t: t not
// approved (ErrTemplateNotApproved), a template parameter without a value
// (ErrMissingParam), a mapping key that is no parameter of t
// (ErrUnknownParam). Each error names the template and the parameter. A
// WeChat template's {{first.DATA}} and {{remark.DATA}} may go without a
// value: WeChat no longer shows them (see WeChatHidden).
func CheckTemplateFit(t Template, mapping map[string]string) error {
	var errs []error
	if !t.Approved {
		errs = append(errs, fmt.Errorf("template %s: %w", t.Code, ErrTemplateNotApproved))
	}
	params := t.Params()
	for _, p := range params {
		if WeChatHidden(p) && wechatPlaceholder(t.Content, p) {
			continue
		}
		if _, ok := mapping[p]; !ok {
			errs = append(errs, fmt.Errorf("template %s: parameter %q: %w", t.Code, p, ErrMissingParam))
		}
	}
	for _, k := range sortedKeys(mapping) {
		if !slices.Contains(params, k) {
			errs = append(errs, fmt.Errorf("template %s: mapping %q: %w (it has %s)", t.Code, k, ErrUnknownParam, strings.Join(params, ", ")))
		}
	}
	return errors.Join(errs...)
}

// wechatPlaceholder reports whether content holds p as a WeChat
// placeholder, {{p.DATA}}.
func wechatPlaceholder(content, p string) bool {
	for _, m := range paramRE.FindAllStringSubmatch(content, -1) {
		if m[2] == p {
			return true
		}
	}
	return false
}

// TrustCheck enforces what makes an SMS trustworthy to a resident, on the
// template and its mapping rather than on each rendered message, so that a
// violation stops the campaign once at scheduling instead of failing every
// send:
//   - a parameter the template uses is mapped to a value containing
//     {{worker.name}} (ErrNoWorkerName);
//   - the template text, with the mapping's values in place, carries one of
//     pol's opt-out hints (ErrNoOptOut), compared ignoring case and width.
//
// The signature 【网格通】 is a send parameter, not template text; Validate
// checks it against Policy.SignName.
func TrustCheck(t Template, mapping map[string]string, pol Policy) error {
	var errs []error
	named := false
	for _, p := range t.Params() {
		if strings.Contains(mapping[p], "{{"+VarWorkerName+"}}") {
			named = true
		}
	}
	if !named {
		errs = append(errs, fmt.Errorf("template %s: %w", t.Code, ErrNoWorkerName))
	}
	text := foldString(RenderText(t.Content, mapping))
	hinted := false
	for _, h := range pol.optOutHints() {
		if strings.Contains(text, foldString(h)) {
			hinted = true
		}
	}
	if !hinted {
		errs = append(errs, fmt.Errorf("template %s: %w (want one of %s)", t.Code, ErrNoOptOut, strings.Join(pol.optOutHints(), ", ")))
	}
	return errors.Join(errs...)
}

func foldString(s string) string {
	return strings.Map(func(r rune) rune {
		if r = fold(r); r == ' ' {
			return -1
		}
		return r
	}, s)
}

// RenderText substitutes params into a template's text for a preview:
// ${x} and {{x.DATA}} become params["x"]; a parameter without a value stays
// as written, so the preview shows what is missing.
func RenderText(content string, params map[string]string) string {
	return paramRE.ReplaceAllStringFunc(content, func(m string) string {
		sub := paramRE.FindStringSubmatch(m)
		if v, ok := params[sub[1]+sub[2]]; ok {
			return v
		}
		return m
	})
}

// Templates are the provider templates a campaign uses, as fetched from
// the template store. A zero Template stands for "none".
type Templates struct {
	SMS    Template
	WeChat Template
}

// CheckTemplates checks c against the provider templates its channel
// policy uses: the right template (by code), approved, fitting the mapping
// (CheckTemplateFit), trustworthy (TrustCheck, SMS only: a WeChat message
// comes from the verified official account, which residents can unfollow)
// and free of sensitive words. Run it with Validate before scheduling.
func (c Campaign) CheckTemplates(t Templates, pol Policy) error {
	var errs []error
	cp := c.ChannelPolicy.orDefault()
	if cp.usesSMS() {
		if t.SMS.Code != c.SMS.TemplateCode {
			errs = append(errs, fmt.Errorf("sms.template_code: the template given is %q, the campaign uses %q", t.SMS.Code, c.SMS.TemplateCode))
		} else {
			if t.SMS.Channel != "" && t.SMS.Channel != population.ChannelSMS {
				errs = append(errs, fmt.Errorf("sms.template_code: %s is a %s template", t.SMS.Code, t.SMS.Channel))
			}
			errs = append(errs, prefix("sms.template_code", CheckTemplateFit(t.SMS, c.SMS.Params)))
			errs = append(errs, prefix("sms.template_code", TrustCheck(t.SMS, c.SMS.Params, pol)))
			errs = append(errs, wordErrs(pol.Words, "sms.template", t.SMS.Content)...)
		}
	}
	if cp.usesWeChat() {
		if t.WeChat.Code != c.WeChat.TemplateID {
			errs = append(errs, fmt.Errorf("wechat.template_id: the template given is %q, the campaign uses %q", t.WeChat.Code, c.WeChat.TemplateID))
		} else {
			if t.WeChat.Channel != "" && t.WeChat.Channel != population.ChannelWeChat {
				errs = append(errs, fmt.Errorf("wechat.template_id: %s is a %s template", t.WeChat.Code, t.WeChat.Channel))
			}
			errs = append(errs, prefix("wechat.template_id", CheckTemplateFit(t.WeChat, c.WeChat.Fields)))
			errs = append(errs, wordErrs(pol.Words, "wechat.template", t.WeChat.Content)...)
		}
	}
	return errors.Join(errs...)
}

// prefix puts field in front of each of err's joined errors.
func prefix(field string, err error) error {
	if err == nil {
		return nil
	}
	var out []error
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		for _, e := range j.Unwrap() {
			out = append(out, fmt.Errorf("%s: %w", field, e))
		}
		return errors.Join(out...)
	}
	return fmt.Errorf("%s: %w", field, err)
}

// PreviewSMS renders the SMS one resident would receive, signature first:
// 【网格通】张先生您好，… It holds personal data in clear: show it only to
// staff entitled to see it, and never log it.
func PreviewSMS(c Campaign, t Template, v Vars) (string, error) {
	params, err := RenderParams(c.SMS.Params, v)
	if err != nil {
		return "", err
	}
	return "【" + trimSign(c.SMS.SignName) + "】" + RenderText(t.Content, params), nil
}
