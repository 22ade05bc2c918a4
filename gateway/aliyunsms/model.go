package aliyunsms

import "time"

// TemplateType is Aliyun's TemplateType code for an SMS template.
type TemplateType int

// Aliyun's template types.
const (
	TemplateVerification  TemplateType = 0 // 验证码
	TemplateNotice        TemplateType = 1 // 短信通知
	TemplatePromotion     TemplateType = 2 // 推广短信
	TemplateInternational TemplateType = 3 // 国际/港澳台消息
)

// Template is an SMS template as Aliyun lists it (QuerySmsTemplateList) and
// as the Emulator is configured with. Content holds ${name} placeholders.
type Template struct {
	Code         string // e.g. SMS_154950909
	Name         string
	Content      string // e.g. "您好，${name}，${date}网格员将上门走访。"
	Type         TemplateType
	Approved     bool   // AuditStatus AUDIT_STATE_PASS; only approved templates can be sent
	RejectReason string // the auditor's reason when rejected; "" otherwise
}

// Sign is an SMS signature (签名) as QuerySmsSignList lists it.
type Sign struct {
	Name         string
	Approved     bool   // AuditStatus AUDIT_STATE_PASS
	BusinessType string // e.g. 通用类型, 验证码类型
}

// Aliyun's wire formats and the limits of one call.
const (
	// MaxNumbersPerSend is how many numbers one SendSms call takes (one
	// set of template parameters for all).
	MaxNumbersPerSend = 1000
	// MaxNumbersPerBatch is how many numbers one SendBatchSms call takes
	// (parameters per number, one template).
	MaxNumbersPerBatch = 100

	auditPass       = "AUDIT_STATE_PASS"
	auditNotPass    = "AUDIT_STATE_NOT_PASS"
	apiVersion      = "2017-05-25"
	wireTime        = "2006-01-02 15:04:05"
	wireTimeCompact = "20060102150405"
	wireDate        = "20060102"
	rpcTimestamp    = "2006-01-02T15:04:05Z"
)

// shanghai is Asia/Shanghai. China has kept UTC+8 without daylight saving
// since 1991, so a fixed zone is exact and needs no tzdata on the host.
var shanghai = time.FixedZone("CST", 8*3600)
