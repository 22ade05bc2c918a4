package aliyunsms

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/dysmsapi"

	"github.com/gridcast/gridcast/gateway"
	"github.com/gridcast/gridcast/pii"
)

// maxPages bounds the paging loops against a server that never says done.
const maxPages = 200

// QueryDetails lists what Aliyun knows of the messages sent to phone on
// date's day (Asia/Shanghai), newest first; bizID narrows it to one send
// ("" = all that day). Use it to settle a CodeAmbiguous send (match on
// OutID) and to poll when reports are lost. Aliyun keeps 30 days.
func (c *Client) QueryDetails(ctx context.Context, phone pii.Phone, bizID string, date time.Time) ([]gateway.SMSDetail, error) {
	const pageSize = 50
	var out []gateway.SMSDetail
	for page := 1; page <= maxPages; page++ {
		req := dysmsapi.CreateQuerySendDetailsRequest()
		req.PhoneNumber = string(phone)
		req.BizId = bizID
		req.SendDate = date.In(shanghai).Format(wireDate)
		req.PageSize = requests.NewInteger(pageSize)
		req.CurrentPage = requests.NewInteger(page)
		var resp *dysmsapi.QuerySendDetailsResponse
		err := c.call(ctx, false, func(cl *dysmsapi.Client) (err error) {
			resp, err = cl.QuerySendDetails(req)
			return err
		})
		if err == nil {
			err = business(resp.Code, resp.Message)
		}
		if err != nil {
			return nil, fmt.Errorf("aliyunsms: query details: %w", err)
		}
		for _, d := range resp.SmsSendDetailDTOs.SmsSendDetailDTO {
			out = append(out, gateway.SMSDetail{
				Phone: pii.Phone(d.PhoneNum), Status: gateway.SMSStatus(d.SendStatus), ErrCode: d.ErrCode,
				TemplateCode: d.TemplateCode, Content: d.Content, OutID: d.OutId,
				SendDate: parseListTime(d.SendDate), ReceiveDate: parseListTime(d.ReceiveDate),
			})
		}
		total, _ := strconv.Atoi(resp.TotalCount)
		if len(resp.SmsSendDetailDTOs.SmsSendDetailDTO) < pageSize || len(out) >= total {
			return out, nil
		}
	}
	return out, nil
}

// Templates lists the account's templates, approved or not, so that they
// can be synced into GridCast.
func (c *Client) Templates(ctx context.Context) ([]Template, error) {
	const pageSize = 50
	var out []Template
	for page := 1; page <= maxPages; page++ {
		req := dysmsapi.CreateQuerySmsTemplateListRequest()
		req.PageIndex = requests.NewInteger(page)
		req.PageSize = requests.NewInteger(pageSize)
		var resp *dysmsapi.QuerySmsTemplateListResponse
		err := c.call(ctx, false, func(cl *dysmsapi.Client) (err error) {
			resp, err = cl.QuerySmsTemplateList(req)
			return err
		})
		if err == nil {
			err = business(resp.Code, resp.Message)
		}
		if err != nil {
			return nil, fmt.Errorf("aliyunsms: list templates: %w", err)
		}
		for _, t := range resp.SmsTemplateList {
			out = append(out, Template{Code: t.TemplateCode, Name: t.TemplateName, Content: t.TemplateContent,
				Type: TemplateType(t.TemplateType), Approved: t.AuditStatus == auditPass,
				RejectReason: t.Reason.RejectInfo})
		}
		if len(resp.SmsTemplateList) < pageSize || int64(len(out)) >= resp.TotalCount {
			return out, nil
		}
	}
	return out, nil
}

// SignNames lists the account's signatures, approved or not.
func (c *Client) SignNames(ctx context.Context) ([]Sign, error) {
	const pageSize = 50
	var out []Sign
	for page := 1; page <= maxPages; page++ {
		req := dysmsapi.CreateQuerySmsSignListRequest()
		req.PageIndex = requests.NewInteger(page)
		req.PageSize = requests.NewInteger(pageSize)
		var resp *dysmsapi.QuerySmsSignListResponse
		err := c.call(ctx, false, func(cl *dysmsapi.Client) (err error) {
			resp, err = cl.QuerySmsSignList(req)
			return err
		})
		if err == nil {
			err = business(resp.Code, resp.Message)
		}
		if err != nil {
			return nil, fmt.Errorf("aliyunsms: list signs: %w", err)
		}
		for _, s := range resp.SmsSignList {
			out = append(out, Sign{Name: s.SignName, Approved: s.AuditStatus == auditPass, BusinessType: s.BusinessType})
		}
		if len(resp.SmsSignList) < pageSize || int64(len(out)) >= resp.TotalCount {
			return out, nil
		}
	}
	return out, nil
}

// parseListTime reads "2006-01-02 15:04:05" in Shanghai time; anything else
// is the zero time.
func parseListTime(s string) time.Time {
	t, err := time.ParseInLocation(wireTime, s, shanghai)
	if err != nil {
		return time.Time{}
	}
	return t
}
