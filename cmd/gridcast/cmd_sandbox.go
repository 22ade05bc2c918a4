package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/spf13/cobra"

	"github.com/gridcast/gridcast/gateway/sandbox"
)

func (a *app) sandboxCommand() *cobra.Command {
	var addr, callback string
	c := &cobra.Command{
		Use:   "sandbox",
		Short: "Run the Aliyun SMS and WeChat API emulators on one loopback address",
		Long: `Serves the Aliyun SMS API (RPC requests at /, as dysmsapi.aliyuncs.com answers
them, with signatures checked against aliyun_sms.access_key_*) and the WeChat
official-account API (/cgi-bin/…, as api.weixin.qq.com, with wechat.app_id and
wechat.app_secret) on --addr. Delivery reports, uplinks and WeChat events are
pushed to --callback. Point aliyun_sms.endpoint and the WeChat base URL at it.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if callback == "" {
				callback = "http://" + a.cfg.HTTP.Addr
			}
			sb := a.newSandbox(callback)
			defer sb.Close()
			ln, err := net.Listen("tcp", addr)
			if err != nil {
				return err
			}
			srv := &http.Server{Handler: sb, ReadHeaderTimeout: 5 * time.Second}
			a.log.InfoContext(cmd.Context(), "sandbox_listening", "addr", ln.Addr().String(), "callback", callback)
			fmt.Fprintf(a.stdout, "sandbox: Aliyun SMS at http://%s/ , WeChat at http://%s/cgi-bin/ ; pushing to %s\n", ln.Addr(), ln.Addr(), callback)
			return serveUntilDone(cmd.Context(), srv, ln)
		},
	}
	c.Flags().StringVar(&addr, "addr", "127.0.0.1:8090", "listen address")
	c.Flags().StringVar(&callback, "callback", "", "GridCast's base URL for pushes (default http://HTTP.ADDR)")
	return c
}

func (a *app) newSandbox(callback string) *sandbox.Sandbox {
	return sandbox.New(sandbox.Config{
		SMSAccessKeyID: a.cfg.AliyunSMS.AccessKeyID, SMSAccessKeySecret: a.cfg.AliyunSMS.AccessKeySecret,
		SignName: a.cfg.AliyunSMS.SignName,
		AppID:    a.cfg.WeChat.AppID, AppSecret: a.cfg.WeChat.AppSecret, Token: a.cfg.WeChat.Token,
		EncodingAESKey: a.cfg.WeChat.EncodingAESKey, CallbackBase: callback,
	}, a.log)
}

// serveUntilDone serves on ln until ctx is done, then shuts down gracefully.
func serveUntilDone(ctx context.Context, srv *http.Server, ln net.Listener) error {
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shut, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shut); err != nil {
		return err
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
