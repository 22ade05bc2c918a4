package aliyunsms

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/gridcast/gridcast/gateway"
)

func TestClassify(t *testing.T) {
	t.Parallel()
	now := time.Date(2025, 3, 31, 23, 30, 0, 0, shanghai)
	type verdict struct {
		Class gateway.Class
		After time.Duration
	}
	tests := []struct {
		code, msg string
		want      verdict
	}{
		{"isv.MOBILE_NUMBER_ILLEGAL", "非法手机号", verdict{gateway.Permanent, 0}},
		{"isv.TEMPLATE_MISSING_PARAMETERS", "", verdict{gateway.Permanent, 0}},
		{"isv.INVALID_PARAMETERS", "", verdict{gateway.Permanent, 0}},
		{"isv.INVALID_JSON_PARAM", "", verdict{gateway.Permanent, 0}},
		{"isv.PARAM_LENGTH_LIMIT", "", verdict{gateway.Permanent, 0}},
		{"isv.BLACK_KEY_CONTROL_LIMIT", "", verdict{gateway.Permanent, 0}},
		{"isv.SMS_CONTENT_ILLEGAL", "", verdict{gateway.Permanent, 0}},
		{"isv.MOBILE_COUNT_OVER_LIMIT", "", verdict{gateway.Permanent, 0}},
		{"MissingPhoneNumbers", "", verdict{gateway.Permanent, 0}},
		{"isv.SOMETHING_NEW", "", verdict{gateway.Permanent, 0}},
		{"isv.SMS_TEMPLATE_ILLEGAL", "", verdict{gateway.Config, 0}},
		{"isv.SMS_SIGNATURE_ILLEGAL", "", verdict{gateway.Config, 0}},
		{"isv.SIGN_STATE_ILLEGAL", "", verdict{gateway.Config, 0}},
		{"isp.RAM_PERMISSION_DENY", "", verdict{gateway.Config, 0}},
		{"SignatureDoesNotMatch", "", verdict{gateway.Config, 0}},
		{"InvalidAccessKeyId.NotFound", "", verdict{gateway.Config, 0}},
		{"InvalidAccessKeyId.Inactive", "", verdict{gateway.Config, 0}},
		{"isv.DENY_IP_RANGE", "", verdict{gateway.Config, 0}},
		{"InvalidTimeStamp.Expired", "", verdict{gateway.Config, 0}},
		{"Forbidden.RAM", "", verdict{gateway.Config, 0}},
		{"HTTP_403", "", verdict{gateway.Config, 0}},
		{"isv.AMOUNT_NOT_ENOUGH", "", verdict{gateway.Quota, time.Hour}},
		{"isv.OUT_OF_SERVICE", "", verdict{gateway.Quota, time.Hour}},
		{"isv.DAY_LIMIT_CONTROL", "", verdict{gateway.Quota, 30 * time.Minute}},
		{"isv.MONTH_LIMIT_CONTROL", "", verdict{gateway.Quota, 30 * time.Minute}},
		{"isv.BUSINESS_LIMIT_CONTROL", "触发分钟级流控Permits:1", verdict{gateway.Throttled, time.Minute}},
		{"isv.BUSINESS_LIMIT_CONTROL", "触发小时级流控Permits:5", verdict{gateway.Throttled, time.Hour}},
		{"isv.BUSINESS_LIMIT_CONTROL", "触发天级流控Permits:50", verdict{gateway.Throttled, 30 * time.Minute}},
		{"isv.BUSINESS_LIMIT_CONTROL", "", verdict{gateway.Throttled, time.Minute}},
		{"Throttling.User", "", verdict{gateway.Throttled, time.Second}},
		{"Throttling", "", verdict{gateway.Throttled, time.Second}},
		{"HTTP_429", "", verdict{gateway.Throttled, time.Second}},
		{"ServiceUnavailable", "", verdict{gateway.Retryable, 0}},
		{"isp.SYSTEM_ERROR", "", verdict{gateway.Retryable, 0}},
		{"isp.GATEWAY_ERROR", "", verdict{gateway.Retryable, 0}},
		{"isp.NEW_PLATFORM_ERROR", "", verdict{gateway.Retryable, 0}},
		{"InternalError", "", verdict{gateway.Retryable, 0}},
		{"SignatureNonceUsed", "", verdict{gateway.Retryable, 0}},
		{"HTTP_502", "", verdict{gateway.Retryable, 0}},
		{CodeAmbiguous, "", verdict{gateway.Retryable, 0}},
		{CodeNetwork, "", verdict{gateway.Retryable, 0}},
		{CodeInvalidBatch, "", verdict{gateway.Permanent, 0}},
		{"SomethingUnheardOf", "", verdict{gateway.Retryable, 0}},
	}
	for _, tc := range tests {
		t.Run(tc.code+"/"+tc.msg, func(t *testing.T) {
			class, after := classifyAt(tc.code, tc.msg, now)
			if diff := cmp.Diff(tc.want, verdict{class, after}); diff != "" {
				t.Errorf("classifyAt(%q, %q) (-want +got):\n%s", tc.code, tc.msg, diff)
			}
		})
	}
}

func TestClassifyUsesTheWallClock(t *testing.T) {
	t.Parallel()
	class, after := Classify("isv.DAY_LIMIT_CONTROL", "")
	if class != gateway.Quota || after <= 0 || after > 24*time.Hour {
		t.Errorf("Classify(DAY_LIMIT_CONTROL) = %v, %v; want quota within a day", class, after)
	}
}
