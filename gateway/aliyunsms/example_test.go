package aliyunsms_test

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"strings"

	"github.com/gridcast/gridcast/gateway"
	"github.com/gridcast/gridcast/gateway/aliyunsms"
)

// The real SDK client talking to the emulator, as `gridcast demo` does.
func ExampleClient_Send() {
	emu := aliyunsms.NewEmulator(aliyunsms.EmulatorConfig{
		SignNames: []string{"网格通"},
		Templates: []aliyunsms.Template{{Code: "SMS_100", Type: aliyunsms.TemplateNotice, Approved: true,
			Content: "${name}您好，${date}网格员将上门走访。"}},
	}, nil)
	defer emu.Close()
	srv := httptest.NewServer(emu)
	defer srv.Close()

	client, err := aliyunsms.New(aliyunsms.Config{
		AccessKeyID:     aliyunsms.SandboxAccessKeyID,
		AccessKeySecret: aliyunsms.SandboxAccessKeySecret,
		SignName:        "网格通",
		Endpoint:        strings.TrimPrefix(srv.URL, "http://"),
		Scheme:          "http",
	}, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer client.Close()

	ctx := context.Background()
	_, err = client.Send(ctx, gateway.SMS{Phone: "13800001111", TemplateCode: "SMS_100",
		Params: map[string]string{"name": "张先生", "date": "3月5日"}, OutID: "msg-1"})
	fmt.Println("send:", err)
	for _, m := range emu.Sent() {
		fmt.Println(m.Phone, m.Content, m.Status)
	}

	_, err = client.Send(ctx, gateway.SMS{Phone: "13800001111", TemplateCode: "SMS_999"})
	var se *gateway.SendError
	if errors.As(err, &se) {
		fmt.Println(se.Code, se.Class)
	}
	// Output:
	// send: <nil>
	// 138****1111 【网格通】张先生您好，3月5日网格员将上门走访。 delivered
	// isv.SMS_TEMPLATE_ILLEGAL config
}
