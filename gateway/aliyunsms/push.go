package aliyunsms

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/gridcast/gridcast/pii"
)

// AckBody is what the report and uplink webhooks answer (HTTP 200) once
// they have taken a push; anything else makes Aliyun push again.
const AckBody = `{"code":0,"msg":"接收成功"}`

// Report is one delivery report (SmsReport) from Aliyun's HTTP push. It
// holds a phone number: log it through pii.Phone only.
type Report struct {
	Phone      pii.Phone
	SendTime   time.Time // Asia/Shanghai; zero if absent
	ReportTime time.Time // Asia/Shanghai; zero if absent
	Success    bool
	ErrCode    string // DELIVERED on success, the carrier's code otherwise (UNDELIV, MK:0001…)
	ErrMsg     string
	SMSSize    int // how many SMS the message took
	BizID      string
	OutID      string
}

// Uplink is one message a resident sent back (SmsUp) from Aliyun's HTTP
// push. Content is personal data: log it only at debug level.
type Uplink struct {
	Phone      pii.Phone
	SendTime   time.Time // Asia/Shanghai; zero if absent
	Content    string
	SignName   string
	DestCode   string // the extension code (SmsUpExtendCode) replied to
	SequenceID int64  // Aliyun's id of the uplink; 0 if absent (see Key)
}

// ErrPushShape is wrapped by ParseReports and ParseUplinks when the body is
// not a JSON array of objects of the documented field types.
var ErrPushShape = errors.New("aliyunsms: push body has the wrong shape")

type reportIn struct {
	PhoneNumber string          `json:"phone_number"`
	SendTime    string          `json:"send_time"`
	ReportTime  string          `json:"report_time"`
	Success     bool            `json:"success"`
	ErrCode     string          `json:"err_code"`
	ErrMsg      string          `json:"err_msg"`
	SMSSize     json.RawMessage `json:"sms_size"`
	BizID       string          `json:"biz_id"`
	OutID       string          `json:"out_id"`
}

type uplinkIn struct {
	PhoneNumber string          `json:"phone_number"`
	SendTime    string          `json:"send_time"`
	Content     string          `json:"content"`
	SignName    string          `json:"sign_name"`
	DestCode    string          `json:"dest_code"`
	SequenceID  json.RawMessage `json:"sequence_id"`
}

// ParseReports parses a delivery-report push: a JSON array of SmsReport
// objects. Field types are checked (success a boolean, the rest strings);
// sms_size may be a string, as documented, or a number; send_time and
// report_time may be "2006-01-02 15:04:05" or "20060102150405" (Shanghai
// time). Every item needs a phone_number. Unknown fields are ignored. The
// caller caps the body size.
func ParseReports(body []byte) ([]Report, error) {
	raws, err := splitArray(body)
	if err != nil {
		return nil, err
	}
	out := make([]Report, 0, len(raws))
	for i, raw := range raws {
		var in reportIn
		if err := json.Unmarshal(raw, &in); err != nil {
			return nil, fmt.Errorf("%w: report %d: %v", ErrPushShape, i, err)
		}
		r := Report{Phone: pii.NormalizePhone(in.PhoneNumber), Success: in.Success, ErrCode: in.ErrCode,
			ErrMsg: in.ErrMsg, BizID: in.BizID, OutID: in.OutID}
		if r.Phone == "" {
			return nil, fmt.Errorf("%w: report %d: no phone_number", ErrPushShape, i)
		}
		if r.SendTime, err = parseWireTime(in.SendTime); err != nil {
			return nil, fmt.Errorf("%w: report %d: send_time: %v", ErrPushShape, i, err)
		}
		if r.ReportTime, err = parseWireTime(in.ReportTime); err != nil {
			return nil, fmt.Errorf("%w: report %d: report_time: %v", ErrPushShape, i, err)
		}
		size, err := flexInt(in.SMSSize)
		if err != nil {
			return nil, fmt.Errorf("%w: report %d: sms_size: %v", ErrPushShape, i, err)
		}
		r.SMSSize = int(size)
		out = append(out, r)
	}
	return out, nil
}

// ParseUplinks parses an uplink push: a JSON array of SmsUp objects.
// sequence_id is a JSON number (a numeric string is taken too); send_time as
// for ParseReports. Every item needs a phone_number.
func ParseUplinks(body []byte) ([]Uplink, error) {
	raws, err := splitArray(body)
	if err != nil {
		return nil, err
	}
	out := make([]Uplink, 0, len(raws))
	for i, raw := range raws {
		var in uplinkIn
		if err := json.Unmarshal(raw, &in); err != nil {
			return nil, fmt.Errorf("%w: uplink %d: %v", ErrPushShape, i, err)
		}
		u := Uplink{Phone: pii.NormalizePhone(in.PhoneNumber), Content: in.Content, SignName: in.SignName,
			DestCode: in.DestCode}
		if u.Phone == "" {
			return nil, fmt.Errorf("%w: uplink %d: no phone_number", ErrPushShape, i)
		}
		if u.SendTime, err = parseWireTime(in.SendTime); err != nil {
			return nil, fmt.Errorf("%w: uplink %d: send_time: %v", ErrPushShape, i, err)
		}
		if u.SequenceID, err = flexInt(in.SequenceID); err != nil {
			return nil, fmt.Errorf("%w: uplink %d: sequence_id: %v", ErrPushShape, i, err)
		}
		out = append(out, u)
	}
	return out, nil
}

// splitArray checks that body is exactly one JSON array of objects and
// returns its elements.
func splitArray(body []byte) ([]json.RawMessage, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	tok, err := dec.Token()
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrPushShape, err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '[' {
		return nil, fmt.Errorf("%w: not a JSON array", ErrPushShape)
	}
	var out []json.RawMessage
	for dec.More() {
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, fmt.Errorf("%w: item %d: %v", ErrPushShape, len(out), err)
		}
		if raw[0] != '{' {
			return nil, fmt.Errorf("%w: item %d is not an object", ErrPushShape, len(out))
		}
		out = append(out, raw)
	}
	if _, err := dec.Token(); err != nil { // the closing ]
		return nil, fmt.Errorf("%w: %v", ErrPushShape, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("%w: data after the array", ErrPushShape)
	}
	return out, nil
}

// parseWireTime reads Aliyun's push timestamps in Shanghai time; "" is the
// zero time.
func parseWireTime(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	layout := wireTime
	if len(s) == len(wireTimeCompact) {
		layout = wireTimeCompact
	}
	t, err := time.ParseInLocation(layout, s, shanghai)
	if err != nil {
		return time.Time{}, errors.New("want 2006-01-02 15:04:05 or 20060102150405")
	}
	return t, nil
}

// flexInt reads a non-negative integer given as a JSON number or a numeric
// string; absent or null is 0.
func flexInt(raw json.RawMessage) (int64, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return 0, nil
	}
	s := string(raw)
	if raw[0] == '"' {
		if err := json.Unmarshal(raw, &s); err != nil {
			return 0, err
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return 0, errors.New("want a non-negative integer")
	}
	return n, nil
}
