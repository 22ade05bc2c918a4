package sandbox

import (
	"github.com/gridcast/gridcast/gateway/aliyunsms"
	"github.com/gridcast/gridcast/gateway/wechat"
)

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
