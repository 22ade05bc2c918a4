package aliyunsms

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestParseReports(t *testing.T) {
	t.Parallel()
	at := time.Date(2017, 1, 1, 0, 0, 0, 0, shanghai)
	tests := []struct {
		name string
		body string
		want []Report
		bad  bool
	}{
		{name: "documented", body: `[{"phone_number":"13800001111","send_time":"2017-01-01 00:00:00","report_time":"2017-01-01 00:00:00",
			"success":true,"err_code":"DELIVERED","err_msg":"用户接收成功","sms_size":"1","biz_id":"12345","out_id":"m-1"}]`,
			want: []Report{{Phone: "13800001111", SendTime: at, ReportTime: at, Success: true, ErrCode: "DELIVERED",
				ErrMsg: "用户接收成功", SMSSize: 1, BizID: "12345", OutID: "m-1"}}},
		{name: "compact times, numeric size, unknown field", body: `[{"phone_number":"13800001111","send_time":"20170101000000",
			"report_time":"20170101000000","success":false,"err_code":"UNDELIV","sms_size":2,"extra":{"a":1}}]`,
			want: []Report{{Phone: "13800001111", SendTime: at, ReportTime: at, ErrCode: "UNDELIV", SMSSize: 2}}},
		{name: "empty array", body: ` [ ] `, want: []Report{}},
		{name: "object", body: `{"phone_number":"13800001111"}`, bad: true},
		{name: "not json", body: `code=0`, bad: true},
		{name: "empty", body: ``, bad: true},
		{name: "item not object", body: `["13800001111"]`, bad: true},
		{name: "null item", body: `[null]`, bad: true},
		{name: "success as string", body: `[{"phone_number":"13800001111","success":"true"}]`, bad: true},
		{name: "phone as number", body: `[{"phone_number":13800001111}]`, bad: true},
		{name: "no phone", body: `[{"biz_id":"1"}]`, bad: true},
		{name: "bad time", body: `[{"phone_number":"13800001111","send_time":"yesterday"}]`, bad: true},
		{name: "bad size", body: `[{"phone_number":"13800001111","sms_size":"one"}]`, bad: true},
		{name: "trailing data", body: `[] []`, bad: true},
		{name: "unterminated", body: `[{"phone_number":"13800001111"}`, bad: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseReports([]byte(tc.body))
			if tc.bad {
				if err == nil || !errors.Is(err, ErrPushShape) {
					t.Fatalf("err = %v, want ErrPushShape", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseUplinks(t *testing.T) {
	t.Parallel()
	at := time.Date(2017, 9, 1, 0, 0, 0, 0, shanghai)
	tests := []struct {
		name string
		body string
		want []Uplink
		bad  bool
	}{
		{name: "documented", body: `[{"phone_number":"+86 138 0000 1111","send_time":"2017-09-01 00:00:00","content":"TD",
			"sign_name":"网格通","dest_code":"01","sequence_id":1234568}]`,
			want: []Uplink{{Phone: "13800001111", SendTime: at, Content: "TD", SignName: "网格通", DestCode: "01", SequenceID: 1234568}}},
		{name: "compact time, string id", body: `[{"phone_number":"13800001111","send_time":"20170901000000","sequence_id":"7"}]`,
			want: []Uplink{{Phone: "13800001111", SendTime: at, SequenceID: 7}}},
		{name: "not array", body: `"TD"`, bad: true},
		{name: "content as number", body: `[{"phone_number":"13800001111","content":1}]`, bad: true},
		{name: "negative id", body: `[{"phone_number":"13800001111","sequence_id":-1}]`, bad: true},
		{name: "fractional id", body: `[{"phone_number":"13800001111","sequence_id":1.5}]`, bad: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseUplinks([]byte(tc.body))
			if tc.bad {
				if !errors.Is(err, ErrPushShape) {
					t.Fatalf("err = %v, want ErrPushShape", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func FuzzParseReports(f *testing.F) {
	f.Add([]byte(`[{"phone_number":"13800001111","send_time":"2017-01-01 00:00:00","report_time":"20170101000000","success":true,"err_code":"DELIVERED","err_msg":"用户接收成功","sms_size":"1","biz_id":"1^0","out_id":"m"}]`))
	f.Add([]byte(`[]`))
	f.Add([]byte(`[{"phone_number":"1","sms_size":3}]`))
	f.Add([]byte(`{"a":[`))
	f.Fuzz(func(t *testing.T, body []byte) {
		rs, err := ParseReports(body)
		if err != nil {
			if rs != nil || !errors.Is(err, ErrPushShape) {
				t.Fatalf("error %v with result %v", err, rs)
			}
			return
		}
		for _, r := range rs {
			if r.Phone == "" || r.SMSSize < 0 {
				t.Fatalf("accepted %+v", r)
			}
		}
	})
}

func FuzzParseUplinks(f *testing.F) {
	f.Add([]byte(`[{"phone_number":"13800001111","send_time":"2017-09-01 00:00:00","content":"退订","sign_name":"网格通","dest_code":"01","sequence_id":1234568}]`))
	f.Add([]byte(`[{"phone_number":"13800001111","sequence_id":"9"}]`))
	f.Add([]byte(`[1,2]`))
	f.Fuzz(func(t *testing.T, body []byte) {
		us, err := ParseUplinks(body)
		if err != nil {
			if us != nil || !errors.Is(err, ErrPushShape) {
				t.Fatalf("error %v with result %v", err, us)
			}
			return
		}
		for _, u := range us {
			if u.Phone == "" || u.SequenceID < 0 {
				t.Fatalf("accepted %+v", u)
			}
		}
	})
}
