package main

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/gridcast/gridcast/desk"
	"github.com/gridcast/gridcast/tickets"
	"github.com/gridcast/gridcast/workdays"
)

// TicketsConfig is the ticket desk's section (desk.Config): how replies
// are read and threaded, deadlines and escalation, and the texts and
// templates of its answers. Every zero value (0, "", an absent key) means
// the default that config.example.yaml shows.
type TicketsConfig struct {
	// ThreadWindow links a reply without an SMS extension code to the
	// latest campaign message sent to the resident this long ago at most.
	// Default 168h.
	ThreadWindow time.Duration `yaml:"thread_window"`
	// RatingWindow is how long after resolution a 1–5 reply is the rating.
	// Default sla.reopen_window.
	RatingWindow time.Duration `yaml:"rating_window"`
	// ArchiveAfter files closed tickets (归档) this long after closing;
	// they leave the workers' lists but stay in the record and the
	// statistics. Default 720h; negative = never.
	ArchiveAfter time.Duration `yaml:"archive_after"`
	// ConsoleURL is the web console as workers reach it
	// (https://grid.example.gov.cn/console/); when set, a worker's WeChat
	// notification opens the ticket there. Default none.
	ConsoleURL string `yaml:"console_url"`
	// BindingTTL is how long a WeChat binding code is valid (at least 1m).
	// Default 5m.
	BindingTTL time.Duration `yaml:"binding_ttl"`
	// BindingAttempts is how many wrong codes void a binding. Default 5.
	BindingAttempts int `yaml:"binding_attempts"`
	// TicketOptions are words that, in a reply option's meaning, make the
	// answer open a ticket too. Absent = the defaults; [] = none.
	TicketOptions []string       `yaml:"ticket_options"`
	SLA           SLAConfig      `yaml:"sla"`
	Keywords      KeywordsConfig `yaml:"keywords"`
	// RatingScale is how residents rate a resolved ticket: three (1 满意,
	// 2 基本满意, 3 不满意; the default, as hotline follow-ups ask) or
	// five (1–5, 5 best). Ratings are stored on 1–5 either way (满意 5,
	// 基本满意 3, 不满意 1) and read back as the three levels.
	RatingScale string `yaml:"rating_scale"`
	// Classify is the classifier's words per category, added to or in
	// place of the built-in ones, and categories of the city's own.
	// Absent = the built-in words.
	Classify ClassifyConfig `yaml:"classify"`
	// Canned overrides the acknowledgement of a new ticket per category;
	// categories not listed keep the built-in text.
	Canned  map[string]string `yaml:"canned"`
	Urgency UrgencyConfig     `yaml:"urgency"`
	// Levels is the level a new ticket starts at per category (grid_worker,
	// grid_leader, community or street); categories not listed keep their
	// defaults.
	Levels map[string]string `yaml:"levels"`
	// QuickReplies are the workers' ready answers per category (tickets
	// quick / reply --quick N); categories listed replace their defaults.
	QuickReplies map[string][]string `yaml:"quick_replies"`
	Templates    DeskTemplatesConfig `yaml:"templates"`
	Answers      AnswersConfig       `yaml:"answers"`
	// Escalation is what happens to a ticket past its deadline:
	// "supervise" (the default) flags it 督办 and tells the owner of the
	// level above, one level further at each missed step, while the
	// handler keeps the case; "reassign" moves it up the ladder to that
	// owner.
	Escalation string `yaml:"escalation"`
}

// SLAConfig holds deadlines and escalation steps (tickets.SLA).
type SLAConfig struct {
	// Deadlines per category, from creation; categories not listed keep
	// their defaults.
	Deadlines map[string]time.Duration `yaml:"deadlines"`
	// Steps is the time each level above the grid worker gets once a
	// ticket escalates to it; levels not listed keep 24h.
	Steps map[string]time.Duration `yaml:"steps"`
	// ReopenWindow is how long after resolution a resident's new message
	// reopens the ticket. Default 168h.
	ReopenWindow time.Duration `yaml:"reopen_window"`
	// Terms count a category's deadline on the working calendar
	// (calendar section) instead of deadlines' plain hours. Default none.
	Terms map[string]TermConfig `yaml:"terms"`
	// Warning is how long before a deadline the handler and their
	// supervisor are warned (预警), in working hours. Default 0 = none.
	Warning time.Duration `yaml:"warning"`
}

// TermConfig is one category's deadline on the working calendar
// (tickets.Term): working days, then working hours, then the close of
// that working day.
type TermConfig struct {
	Workdays     int           `yaml:"workdays"`
	WorkingHours time.Duration `yaml:"working_hours"`
	EndOfDay     bool          `yaml:"end_of_day"`
}

// UrgencyConfig sets how emergencies are handled (tickets.Triage).
type UrgencyConfig struct {
	// EmergencyDeadline is the time allowed for an emergency (gas leak,
	// fire, a missing person, violence, someone hurt), in plain hours.
	// Default 2h.
	EmergencyDeadline time.Duration `yaml:"emergency_deadline"`
	// EmergencyLevel is who gets an emergency. Default grid_leader.
	EmergencyLevel string `yaml:"emergency_level"`
	// ComplexDeadline is the time allowed for a complex matter. Default
	// 168h.
	ComplexDeadline time.Duration `yaml:"complex_deadline"`
}

// KeywordsConfig overrides the reply keywords (tickets.Keywords). An
// absent list means the defaults.
type KeywordsConfig struct {
	Unsubscribe []string `yaml:"unsubscribe"`
	Confirm     []string `yaml:"confirm"`
	Reschedule  []string `yaml:"reschedule"`
	// Acknowledge are bare acknowledgements (收到, 谢谢): recorded, no
	// ticket.
	Acknowledge []string `yaml:"acknowledge"`
	// Greeting are bare greetings (你好, 在吗): answered with an invitation
	// to say what they need, no ticket.
	Greeting []string `yaml:"greeting"`
	// ShortReply is the longest reply in which a Chinese opt-out word
	// counts inside other text. Default 10; negative = whole replies only.
	ShortReply int `yaml:"short_reply"`
}

// DeskTemplatesConfig names the provider templates the desk sends with
// (desk.Templates).
type DeskTemplatesConfig struct {
	SMSReply       string `yaml:"sms_reply"`
	SMSUnsubscribe string `yaml:"sms_unsubscribe"`
	SMSVerify      string `yaml:"sms_verify"`
	SMSNotify      string `yaml:"sms_notify"`
	WeChatReply    string `yaml:"wechat_reply"`
	WeChatNotify   string `yaml:"wechat_notify"`
}

// AnswersConfig are the automatic answers' texts (desk.Answers).
type AnswersConfig struct {
	Unsubscribed   string `yaml:"unsubscribed"`
	SignedUp       string `yaml:"signed_up"`
	VisitConfirmed string `yaml:"visit_confirmed"`
	VisitMoved     string `yaml:"visit_moved"`
	Rated          string `yaml:"rated"`
	RatingRequest  string `yaml:"rating_request"`
	Welcome        string `yaml:"welcome"`
	WelcomeBack    string `yaml:"welcome_back"`
	NotFound       string `yaml:"not_found"`
	CodeSent       string `yaml:"code_sent"`
	CodeWait       string `yaml:"code_wait"`
	CodeWrong      string `yaml:"code_wrong"`
	CodeSpent      string `yaml:"code_spent"`
	Bound          string `yaml:"bound"`
	Unbound        string `yaml:"unbound"`
	Received       string `yaml:"received"`
	Greeting       string `yaml:"greeting"`
	// DepartmentsDone tells the resident the departments' answer when
	// their ticket's tasks are all done: {departments}, {feedback}.
	DepartmentsDone string `yaml:"departments_done"`
}

// desk turns the section into the desk's Config, its deadlines counting
// on cal (nil: plain hours only). It checks what only the file can get
// wrong (unknown category names, an empty opt-out list);
// desk.Config.Validate checks the rest. Errors name the key below
// tickets.
func (c TicketsConfig) desk(cal *workdays.Calendar) (desk.Config, error) {
	var errs []error
	added := c.Classify.newCategories()
	known := func(key, name string) tickets.Category {
		cat := tickets.Category(name)
		if !slices.Contains(tickets.Categories, cat) && !slices.Contains(added, cat) {
			errs = append(errs, fmt.Errorf("%s[%s]: unknown category; want one of %s, or one classify.rules adds", key, name, categoryNames()))
		}
		return cat
	}
	out := desk.Config{
		ThreadWindow: c.ThreadWindow, RatingWindow: c.RatingWindow, ArchiveAfter: c.ArchiveAfter, ConsoleURL: c.ConsoleURL,
		BindingTTL: c.BindingTTL, BindingAttempts: c.BindingAttempts, TicketOptions: c.TicketOptions,
		Escalation: c.Escalation,
		Templates:  desk.Templates(c.Templates),
		Answers:    desk.Answers(c.Answers),
	}
	for i, w := range c.TicketOptions {
		if strings.TrimSpace(w) == "" {
			errs = append(errs, fmt.Errorf("ticket_options[%d]: blank word", i))
		}
	}
	out.Tickets.Triage = tickets.Triage{Deadline: c.Urgency.EmergencyDeadline, Level: tickets.Level(c.Urgency.EmergencyLevel),
		ComplexDeadline: c.Urgency.ComplexDeadline}
	sla := &out.Tickets.SLA
	sla.ReopenWindow = c.SLA.ReopenWindow
	sla.Warning = c.SLA.Warning
	if cal != nil {
		sla.Workdays = cal
	}
	if len(c.SLA.Terms) > 0 {
		sla.Terms = map[tickets.Category]tickets.Term{}
		for _, k := range slices.Sorted(maps.Keys(c.SLA.Terms)) {
			t := c.SLA.Terms[k]
			sla.Terms[known("sla.terms", k)] = tickets.Term{Workdays: t.Workdays, WorkingHours: t.WorkingHours, EndOfDay: t.EndOfDay}
		}
	}
	if c.SLA.Deadlines != nil {
		sla.Deadlines = maps.Clone(tickets.DefaultDeadlines)
		for _, k := range slices.Sorted(maps.Keys(c.SLA.Deadlines)) {
			sla.Deadlines[known("sla.deadlines", k)] = c.SLA.Deadlines[k]
		}
	}
	if c.SLA.Steps != nil {
		sla.Steps = maps.Clone(tickets.DefaultSteps)
		for k, d := range c.SLA.Steps {
			sla.Steps[tickets.Level(k)] = d // tickets.SLA.Validate names unknown levels
		}
	}
	cls, err := c.Classify.classifier()
	errs = append(errs, err)
	out.Tickets.Classifier = cls
	kw := c.Keywords
	if kw.Unsubscribe != nil && len(kw.Unsubscribe) == 0 {
		errs = append(errs, errors.New("keywords.unsubscribe: an empty list turns opt-out off; leave the key out for the defaults (T, TD, 退订 …)"))
	}
	out.Tickets.Keywords = tickets.Keywords{Unsubscribe: kw.Unsubscribe, Confirm: kw.Confirm, Reschedule: kw.Reschedule,
		Acknowledge: kw.Acknowledge, Greeting: kw.Greeting, ShortReply: kw.ShortReply, Scale: tickets.RatingScale(c.RatingScale)}
	if c.Levels != nil {
		out.Tickets.Levels = maps.Clone(tickets.DefaultRouting)
		for _, k := range slices.Sorted(maps.Keys(c.Levels)) {
			out.Tickets.Levels[known("levels", k)] = tickets.Level(c.Levels[k]) // tickets.Routing.Validate names unknown levels
		}
	}
	if c.Canned != nil {
		out.Tickets.Canned = tickets.Canned{}
		for _, k := range slices.Sorted(maps.Keys(c.Canned)) {
			out.Tickets.Canned[known("canned", k)] = c.Canned[k]
		}
	}
	if c.QuickReplies != nil {
		out.Tickets.Quick = tickets.QuickReplies{}
		for _, k := range slices.Sorted(maps.Keys(c.QuickReplies)) {
			out.Tickets.Quick[known("quick_replies", k)] = c.QuickReplies[k]
		}
	}
	errs = append(errs, out.Validate())
	return out, errors.Join(errs...)
}
