// Package sandbox runs GridCast's two provider emulators — Aliyun SMS and the
// WeChat official-account API — behind one loopback address, with the sign
// name and templates a sandbox account has approved. `gridcast sandbox`
// serves it standalone; `sandbox: true` runs it in-process for `demo` and
// `serve`, and the real SDKs reach it through their endpoint / base-URL
// settings.
package sandbox

import (
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/gridcast/gridcast/gateway/aliyunsms"
	"github.com/gridcast/gridcast/gateway/wechat"
)

// Config names the credentials the emulators accept and where they push.
type Config struct {
	// SMSAccessKeyID and SMSAccessKeySecret are the one Aliyun key pair
	// accepted; empty = the aliyunsms sandbox defaults.
	SMSAccessKeyID, SMSAccessKeySecret string
	// SignName is the approved SMS signature. Default 网格通.
	SignName string
	// WeChat credentials; the callbacks the emulator pushes are signed with
	// Token and, when EncodingAESKey is set, encrypted.
	AppID, AppSecret, Token, EncodingAESKey string
	// CallbackBase is GridCast's own base URL (http://127.0.0.1:8080):
	// delivery reports go to /aliyun/sms/report, uplinks to /aliyun/sms/up,
	// WeChat events and messages to /wechat/callback. Empty = no pushes.
	CallbackBase string
	// DeliveryDelay is how long after acceptance a receipt is pushed.
	// Default 300ms.
	DeliveryDelay time.Duration
	// UndeliverableSuffix makes numbers ending in it fail delivery, so the
	// funnel shows failures. Default "0000"; "-" disables it.
	UndeliverableSuffix string
}

// Sandbox is the pair of emulators and the handler that routes to them.
type Sandbox struct {
	SMS    *aliyunsms.Emulator
	WeChat *wechat.Emulator
	mux    *http.ServeMux
}

// New builds both emulators. Call Close to stop their pushers.
func New(cfg Config, log *slog.Logger) *Sandbox {
	if cfg.SignName == "" {
		cfg.SignName = "网格通"
	}
	if cfg.DeliveryDelay == 0 {
		cfg.DeliveryDelay = 300 * time.Millisecond
	}
	switch cfg.UndeliverableSuffix {
	case "":
		cfg.UndeliverableSuffix = "0000"
	case "-":
		cfg.UndeliverableSuffix = ""
	}
	base := strings.TrimSuffix(cfg.CallbackBase, "/")
	url := func(path string) string {
		if base == "" {
			return ""
		}
		return base + path
	}
	sms := aliyunsms.NewEmulator(aliyunsms.EmulatorConfig{
		AccessKeyID: cfg.SMSAccessKeyID, AccessKeySecret: cfg.SMSAccessKeySecret,
		SignNames: []string{cfg.SignName}, Templates: SMSTemplates(),
		ReportURL: url("/aliyun/sms/report"), UplinkURL: url("/aliyun/sms/up"),
		DeliveryDelay: cfg.DeliveryDelay, UndeliverableSuffix: cfg.UndeliverableSuffix,
		PerNumberMinuteLimit: 5,
	}, log.With("emulator", "aliyun_sms"))
	wx := wechat.NewEmulator(wechat.EmulatorConfig{
		AppID: cfg.AppID, AppSecret: cfg.AppSecret, Token: cfg.Token, EncodingAESKey: cfg.EncodingAESKey,
		CallbackURL: url("/wechat/callback"), Templates: WeChatTemplates(), ReceiptDelay: cfg.DeliveryDelay,
	}, log.With("emulator", "wechat"))
	mux := http.NewServeMux()
	mux.Handle("/cgi-bin/", wx)
	mux.Handle("/", sms)
	return &Sandbox{SMS: sms, WeChat: wx, mux: mux}
}

// ServeHTTP sends /cgi-bin/… to the WeChat emulator and everything else to
// the Aliyun SMS emulator, as api.weixin.qq.com and dysmsapi.aliyuncs.com
// would answer them.
func (s *Sandbox) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// Close stops both emulators' background pushers.
func (s *Sandbox) Close() {
	s.SMS.Close()
	s.WeChat.Close()
}

// The sandbox account's approved SMS template codes.
const (
	TemplateJob      = "SMS_GRID_JOB"
	TemplatePolicy   = "SMS_GRID_POLICY"
	TemplateTraining = "SMS_GRID_TRAINING"
	TemplateVisit    = "SMS_GRID_VISIT"
	TemplateVerify   = "SMS_GRID_VERIFY"
	TemplateTicket   = "SMS_GRID_TICKET"
	TemplateReply    = "SMS_GRID_REPLY"
	TemplateUnsub    = "SMS_GRID_UNSUB"
	TemplateNotify   = "SMS_GRID_NOTIFY"
)

// SMSTemplates are the sandbox account's approved SMS templates. Every
// notice names the resident's grid worker and says how to opt out, so a
// resident can tell it from a scam.
func SMSTemplates() []aliyunsms.Template {
	return []aliyunsms.Template{
		{Code: TemplateJob, Name: "招聘信息", Type: aliyunsms.TemplateNotice, Approved: true,
			Content: "${name}您好，${job}招聘${detail}。${reply}。网格员${worker}${phone}。回T退订"},
		{Code: TemplatePolicy, Name: "政策宣传", Type: aliyunsms.TemplateNotice, Approved: true,
			Content: "${name}您好，${policy}。详询网格员${worker}${phone}。回T退订"},
		{Code: TemplateTraining, Name: "培训通知", Type: aliyunsms.TemplateNotice, Approved: true,
			Content: "${name}您好，${course}将于${date}开班，地点${place}。${reply}。网格员${worker}。回T退订"},
		{Code: TemplateVisit, Name: "走访预约", Type: aliyunsms.TemplateNotice, Approved: true,
			Content: "${name}您好，网格员${worker}拟于${slot}上门走访，回复1确认，回复2改期。电话${phone}。回T退订"},
		{Code: TemplateVerify, Name: "绑定验证码", Type: aliyunsms.TemplateVerification, Approved: true,
			Content: "您的微信绑定验证码为${code}，5分钟内有效。如非本人操作请忽略。"},
		{Code: TemplateTicket, Name: "诉求回复", Type: aliyunsms.TemplateNotice, Approved: true,
			Content: "${name}您好，您反映的问题已由网格员${worker}处理：${reply}。回T退订"},
		{Code: TemplateReply, Name: "网格回复", Type: aliyunsms.TemplateNotice, Approved: true,
			Content: "${name}您好，${reply}。网格员${worker}${phone}。回T退订"},
		{Code: TemplateUnsub, Name: "退订确认", Type: aliyunsms.TemplateNotice, Approved: true,
			Content: "您已退订${topic}，今后不再收到此类短信。如需恢复请联系网格员${worker}。"},
		{Code: TemplateNotify, Name: "工单提醒", Type: aliyunsms.TemplateNotice, Approved: true,
			Content: "${worker}您好，${event}${ticket}（${category}），请于${due}前处理。"},
		{Code: "SMS_GRID_PROMO", Name: "未通过审核的模板", Type: aliyunsms.TemplatePromotion, Approved: false, RejectReason: "营销内容",
			Content: "${name}您好，${offer}"},
	}
}

// The sandbox official account's template ids.
const (
	WeChatTemplateNotice = "TPL_GRID_NOTICE" // 社区服务通知: keyword1 notice, keyword2 worker, keyword3 how to reply
	WeChatTemplateVisit  = "TPL_GRID_VISIT"  // 走访预约通知: keyword1 slot, keyword2 worker, keyword3 how to confirm or move
	WeChatTemplateTicket = "TPL_GRID_TICKET" // 诉求办理进度: to residents; keyword1 request, keyword2 progress, keyword3 answer, keyword4 worker
	WeChatTemplateTask   = "TPL_GRID_TASK"   // 工单待办提醒: to workers; keyword1 ticket, keyword2 event, keyword3 request, keyword4 deadline
)

// WeChatTemplates are the sandbox official account's templates, chosen as
// from WeChat's category template library (类目模板) for service notices:
// no first or remark, which WeChat has not shown since 2023-05-04, and a
// keyword field for each thing the reader must see, the reply hint
// included. WeChat shows each field's first 20 characters.
func WeChatTemplates() []wechat.Template {
	const industry, deputy = "政府与公共事业", "社区服务"
	return []wechat.Template{
		{ID: WeChatTemplateNotice, Title: "社区服务通知", PrimaryIndustry: industry, DeputyIndustry: deputy,
			Content: "通知内容：{{keyword1.DATA}}\n网格员：{{keyword2.DATA}}\n回复方式：{{keyword3.DATA}}",
			Example: "通知内容：青岛港机电招电工焊工各10名\n网格员：李娜 13987654321\n回复方式：回复1报名，回复2咨询，回T退订"},
		{ID: WeChatTemplateVisit, Title: "走访预约通知", PrimaryIndustry: industry, DeputyIndustry: deputy,
			Content: "走访时间：{{keyword1.DATA}}\n网格员：{{keyword2.DATA}}\n确认方式：{{keyword3.DATA}}",
			Example: "走访时间：3月16日(周一) 14:00\n网格员：李娜 13987654321\n确认方式：回复1确认，回复2改期，回T退订"},
		{ID: WeChatTemplateTicket, Title: "诉求办理进度", PrimaryIndustry: industry, DeputyIndustry: deputy,
			Content: "诉求编号：{{keyword1.DATA}}\n办理进度：{{keyword2.DATA}}\n回复内容：{{keyword3.DATA}}\n网格员：{{keyword4.DATA}}",
			Example: "诉求编号：#12 环境卫生\n办理进度：网格员已回复\n回复内容：已通知物业，明天上午清运\n网格员：李娜"},
		{ID: WeChatTemplateTask, Title: "工单待办提醒", PrimaryIndustry: industry, DeputyIndustry: deputy,
			Content: "工单编号：{{keyword1.DATA}}\n工单事项：{{keyword2.DATA}}\n诉求内容：{{keyword3.DATA}}\n处理时限：{{keyword4.DATA}}",
			Example: "工单编号：#12 环境卫生\n工单事项：新工单\n诉求内容：小区门口的垃圾桶满了\n处理时限：3月17日 15:00"},
	}
}
