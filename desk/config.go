package desk

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/gridcast/gridcast/dispatch"
	"github.com/gridcast/gridcast/tickets"
)

// Config is the desk's configuration, as cmd/gridcast decodes it from the
// YAML file's tickets section. The zero value is usable: every field falls
// back to its default. A Config is read-only once built.
type Config struct {
	// Tickets holds keywords, classification rules, deadlines and canned
	// replies.
	Tickets tickets.Config
	// ThreadWindow is how far back a reply without an extension code is
	// linked to the latest campaign message the resident was sent. Zero
	// means DefaultThreadWindow.
	ThreadWindow time.Duration
	// RatingWindow is how long after resolution a 1–5 reply counts as the
	// rating. Zero means the reopen window of Tickets.SLA.
	RatingWindow time.Duration
	// ArchiveAfter files closed tickets this long after closing (Sweep
	// does it). Zero means DefaultArchiveAfter; negative means never.
	ArchiveAfter time.Duration
	// BindingTTL is how long a binding code is valid. Zero means 5
	// minutes.
	BindingTTL time.Duration
	// BindingAttempts is how many wrong codes void a binding. Zero means 5.
	BindingAttempts int
	// TicketOptions are words that, in the meaning of a campaign's reply
	// option ("2": "咨询"), make the answer open a ticket as well: the
	// resident asked to be contacted. Nil means DefaultTicketOptions.
	TicketOptions []string
	// ConsoleURL is the web console's address as workers reach it (e.g.
	// https://grid.example.gov.cn/console/). When set, a worker's WeChat
	// notification opens the ticket there. Empty: notifications carry no
	// link.
	ConsoleURL string
	// Templates are the provider templates the desk sends with.
	Templates Templates
	// Answers are the texts of the automatic answers.
	Answers Answers
	// Escalation is what happens to a ticket past its deadline:
	// tickets.EscalateSupervise ("supervise", the default when empty) flags
	// it 督办 and tells the owner of the level above — one level further at
	// each step it misses (tickets.SLA.Step of that level) — while the
	// handler keeps the case and it stays overdue; tickets.EscalateReassign
	// ("reassign") moves it up the ladder to that owner. A ticket nobody
	// holds moves up under either policy: nobody would keep it.
	Escalation string
	// Departments are the bodies a ticket can be dispatched to (分拨). Nil
	// means dispatch.DefaultDepartments.
	Departments []dispatch.Department
}

// DefaultArchiveAfter files closed tickets after 30 days.
const DefaultArchiveAfter = 30 * 24 * time.Hour

// DefaultThreadWindow links a reply to a campaign message up to a week old.
const DefaultThreadWindow = 7 * 24 * time.Hour

// DefaultTicketOptions mark reply options that ask for a person.
var DefaultTicketOptions = []string{"咨询", "了解", "联系", "问"}

// Templates name the templates the desk sends with. Each template's
// parameters are listed; the sandbox account has all of them. WeChat shows
// only a template message's keyword fields, each cut to 20 characters (a
// run of Latin letters or digits counts as one), and has not shown first
// or remark since 2023-05-04: the desk fills keyword fields only, each
// short, and a WeChat template needs no first or remark.
type Templates struct {
	// SMSReply carries an answer to a resident: ${name} ${reply} ${worker}
	// ${phone}. Default SMS_GRID_REPLY.
	SMSReply string
	// SMSUnsubscribe confirms an opt-out: ${topic} ${worker}. Default
	// SMS_GRID_UNSUB.
	SMSUnsubscribe string
	// SMSVerify carries a binding code: ${code}. Default SMS_GRID_VERIFY.
	SMSVerify string
	// SMSNotify tells a worker about a ticket: ${worker} ${event} ${ticket}
	// ${category} ${due}. Default SMS_GRID_NOTIFY.
	SMSNotify string
	// WeChatReply answers a resident outside the customer-service window:
	// keyword1 the request (#12 环境卫生), keyword2 its progress (网格员已回复,
	// 已办结 …), keyword3 the answer, keyword4 the worker's name. An answer
	// longer than WeChat shows goes in parts, one message each, numbered
	// in keyword2 (网格员已回复（1/2）). Default TPL_GRID_TICKET.
	WeChatReply string
	// WeChatNotify tells a worker about a ticket: keyword1 the ticket
	// (#12 环境卫生), keyword2 the event (新工单, 超期升级 …), keyword3 the
	// resident's text as far as WeChat shows it, keyword4 the deadline
	// (1月2日 15:04); the message opens the ticket in the console when
	// ConsoleURL is set. Default TPL_GRID_TASK.
	WeChatNotify string
}

func (t Templates) withDefaults() Templates {
	def := func(s *string, v string) {
		if strings.TrimSpace(*s) == "" {
			*s = v
		}
	}
	def(&t.SMSReply, "SMS_GRID_REPLY")
	def(&t.SMSUnsubscribe, "SMS_GRID_UNSUB")
	def(&t.SMSVerify, "SMS_GRID_VERIFY")
	def(&t.SMSNotify, "SMS_GRID_NOTIFY")
	def(&t.WeChatReply, "TPL_GRID_TICKET")
	def(&t.WeChatNotify, "TPL_GRID_TASK")
	return t
}

// Answers are the automatic answers' texts. Placeholders in braces are
// filled in: {topic}, {meaning}, {slot}, {phone} (masked), {minutes},
// {left}, {name} (the polite form of address).
type Answers struct {
	Unsubscribed   string // default 您已退订{topic}，今后不再收到此类消息。如需恢复请联系网格员。
	SignedUp       string // default 已收到您的回复：{meaning}。
	VisitConfirmed string // default 已确认{slot}上门走访，届时网格员将按时到访。
	VisitMoved     string // default 已收到改期请求，网格员将与您联系另约时间。
	Rated          string // default 感谢您的评价！
	RatingRequest  string // default the rating scale's question (tickets.RatingScale.Question): 已办结，请回复1满意2基本满意3不满意
	Welcome        string // default 欢迎关注！请发送您在社区登记的手机号码，完成身份绑定后即可接收通知、在线反映问题。
	WelcomeBack    string // default {name}，欢迎回来！有事请直接留言，网格员会尽快回复。
	NotFound       string // default 未查询到该手机号的登记信息，请核对后重新发送，或联系社区网格员登记。
	CodeSent       string // default 验证码已发送至{phone}，请在{minutes}分钟内回复6位验证码完成绑定。
	CodeWait       string // default 验证码已发送，请稍候再试。
	CodeWrong      string // default 验证码不正确，还可尝试{left}次。
	CodeSpent      string // default 验证码错误次数过多，请重新发送手机号码获取新的验证码。
	Bound          string // default 绑定成功！{name}，今后通知将通过微信发送给您，有事可直接留言。
	Unbound        string // default 您好，请先发送您在社区登记的手机号码完成绑定，以便网格员为您服务。
	Received       string // default 您的补充信息已收到，网格员会尽快回复。
	Greeting       string // default 您好！请直接留言说明需要办理或反映的事项，网格员会尽快回复。
	// DepartmentsDone tells the resident the departments' answer when
	// every task of their ticket is done: {departments} their names,
	// {feedback} what they did. Default 您反映的问题已由{departments}办结：{feedback}
	DepartmentsDone string
}

func (a Answers) withDefaults(scale tickets.RatingScale) Answers {
	def := func(s *string, v string) {
		if strings.TrimSpace(*s) == "" {
			*s = v
		}
	}
	def(&a.Unsubscribed, "您已退订{topic}，今后不再收到此类消息。如需恢复请联系网格员。")
	def(&a.SignedUp, "已收到您的回复：{meaning}。")
	def(&a.VisitConfirmed, "已确认{slot}上门走访，届时网格员将按时到访。")
	def(&a.VisitMoved, "已收到改期请求，网格员将与您联系另约时间。")
	def(&a.Rated, "感谢您的评价！")
	def(&a.RatingRequest, scale.Question())
	def(&a.Welcome, "欢迎关注！请发送您在社区登记的手机号码，完成身份绑定后即可接收通知、在线反映问题。")
	def(&a.WelcomeBack, "{name}，欢迎回来！有事请直接留言，网格员会尽快回复。")
	def(&a.NotFound, "未查询到该手机号的登记信息，请核对后重新发送，或联系社区网格员登记。")
	def(&a.CodeSent, "验证码已发送至{phone}，请在{minutes}分钟内回复6位验证码完成绑定。")
	def(&a.CodeWait, "验证码已发送，请稍候再试。")
	def(&a.CodeWrong, "验证码不正确，还可尝试{left}次。")
	def(&a.CodeSpent, "验证码错误次数过多，请重新发送手机号码获取新的验证码。")
	def(&a.Bound, "绑定成功！{name}，今后通知将通过微信发送给您，有事可直接留言。")
	def(&a.Unbound, "您好，请先发送您在社区登记的手机号码完成绑定，以便网格员为您服务。")
	def(&a.Received, "您的补充信息已收到，网格员会尽快回复。")
	def(&a.Greeting, "您好！请直接留言说明需要办理或反映的事项，网格员会尽快回复。")
	def(&a.DepartmentsDone, "您反映的问题已由{departments}办结：{feedback}")
	return a
}

// fill replaces {key} placeholders in s.
func fill(s string, kv ...string) string {
	return strings.NewReplacer(kv...).Replace(s)
}

func (c Config) withDefaults() Config {
	if c.ThreadWindow == 0 {
		c.ThreadWindow = DefaultThreadWindow
	}
	if c.RatingWindow == 0 {
		c.RatingWindow = c.Tickets.SLA.Window()
	}
	if c.ArchiveAfter == 0 {
		c.ArchiveAfter = DefaultArchiveAfter
	}
	if c.BindingTTL == 0 {
		c.BindingTTL = 5 * time.Minute
	}
	if c.BindingAttempts == 0 {
		c.BindingAttempts = 5
	}
	if c.TicketOptions == nil {
		c.TicketOptions = DefaultTicketOptions
	}
	if c.Escalation == "" {
		c.Escalation = tickets.EscalateSupervise
	}
	if c.Departments == nil {
		c.Departments = dispatch.DefaultDepartments
	}
	c.Templates = c.Templates.withDefaults()
	c.Answers = c.Answers.withDefaults(c.Tickets.Keywords.Scale)
	return c
}

// Validate reports every problem in c at once, each naming its field.
func (c Config) Validate() error {
	errs := []error{c.Tickets.Validate()}
	if c.ThreadWindow < 0 {
		errs = append(errs, fmt.Errorf("thread_window: %s: must not be negative", c.ThreadWindow))
	}
	if c.RatingWindow < 0 {
		errs = append(errs, fmt.Errorf("rating_window: %s: must not be negative", c.RatingWindow))
	}
	if c.BindingTTL < 0 || (c.BindingTTL > 0 && c.BindingTTL < time.Minute) {
		errs = append(errs, fmt.Errorf("binding_ttl: %s: want at least 1m", c.BindingTTL))
	}
	if c.ConsoleURL != "" {
		if u, err := url.Parse(c.ConsoleURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			errs = append(errs, fmt.Errorf("console_url: %q: want an absolute http(s) URL such as https://grid.example.gov.cn/console/", c.ConsoleURL))
		}
	}
	if c.Escalation != "" && c.Escalation != tickets.EscalateSupervise && c.Escalation != tickets.EscalateReassign {
		errs = append(errs, fmt.Errorf("escalation: %q: want supervise (flag 督办 and tell the level above) or reassign (move the ticket up)", c.Escalation))
	}
	if c.BindingAttempts < 0 {
		errs = append(errs, fmt.Errorf("binding_attempts: %d: must not be negative", c.BindingAttempts))
	}
	return errors.Join(errs...)
}
