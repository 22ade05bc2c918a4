package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/gridcast/gridcast/fault"
	"github.com/gridcast/gridcast/gateway/sandbox"
	"github.com/gridcast/gridcast/pii"
	"github.com/gridcast/gridcast/store"
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
	c.PersistentFlags().StringVar(&callback, "callback", "", "GridCast's base URL for pushes (default http://HTTP.ADDR)")
	c.AddCommand(a.sandboxSay(&callback), a.sandboxFollow(&callback))
	return c
}

// pushSandbox builds a sandbox that pushes to callback (default the
// configured HTTP address), runs fn with it and closes it.
func (a *app) pushSandbox(callback string, fn func(*sandbox.Sandbox, string) error) error {
	if callback == "" {
		callback = "http://" + a.cfg.HTTP.Addr
	}
	callback = strings.TrimSuffix(callback, "/")
	sb := a.newSandbox(callback)
	defer sb.Close()
	if err := fn(sb, callback); err != nil {
		return fmt.Errorf("%w (is \"gridcast serve\" listening at %s?)", err, callback)
	}
	return nil
}

func (a *app) sandboxSay(callback *string) *cobra.Command {
	var openid, phone, extendCode string
	var residentID int64
	var viaSMS bool
	c := &cobra.Command{
		Use:   "say (--openid X | --phone P [--extend-code C] | --resident ID [--sms]) TEXT",
		Short: "Push a resident's message to GridCast's webhooks, signed as WeChat or Aliyun SMS would",
		Long: `Simulates a resident writing to the official account (--openid: a signed, and in
safe mode encrypted, push to /wechat/callback) or replying by SMS (--phone: an SmsUp
push to /aliyun/sms/up, --extend-code the extension code the reply went to).
--resident ID speaks as a resident on record: over WeChat when they bound it
(--sms forces their phone), without printing their openid or number. The desk's
answer goes out through the providers "gridcast serve" is configured with.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			text := strings.Join(args, " ")
			ctx := cmd.Context()
			set := 0
			for _, v := range []bool{openid != "", phone != "", residentID != 0} {
				if v {
					set++
				}
			}
			if set != 1 {
				return usageError{errors.New("say needs exactly one of --openid, --phone or --resident")}
			}
			if extendCode != "" && openid != "" {
				return usageError{errors.New("--extend-code is for SMS replies (--phone or --resident)")}
			}
			who := ""
			if residentID != 0 {
				err := a.withStore(ctx, func(st *store.Store) error {
					r, err := st.Resident(ctx, residentID)
					if errors.Is(err, fault.ErrNotFound) {
						return fmt.Errorf("resident %d not found", residentID)
					}
					if err != nil {
						return err
					}
					switch {
					case r.OpenID != "" && !viaSMS:
						openid = string(r.OpenID)
					case r.Phone != "":
						phone = string(r.Phone)
					default:
						return fmt.Errorf("resident %d has neither WeChat bound nor a phone number", residentID)
					}
					who = fmt.Sprintf("resident %d ", residentID)
					return nil
				})
				if err != nil {
					return err
				}
			}
			if openid != "" && extendCode != "" {
				return usageError{fmt.Errorf("resident %d writes over WeChat; add --sms to reply to extension code %s", residentID, extendCode)}
			}
			p := pii.NormalizePhone(phone)
			if openid == "" {
				if err := p.Validate(); err != nil {
					return usageError{fmt.Errorf("--phone: %w", err)}
				}
			}
			return a.pushSandbox(*callback, func(sb *sandbox.Sandbox, base string) error {
				if openid != "" {
					id, err := sb.WeChat.Say(ctx, openid, text)
					if err != nil {
						return err
					}
					fmt.Fprintf(a.stdout, "pushed WeChat message %d from %s%s to %s/wechat/callback\n", id, who, pii.OpenID(openid).Masked(), base)
					return nil
				}
				if err := sb.SMS.Reply(ctx, p, text, extendCode); err != nil {
					return err
				}
				to := ""
				if extendCode != "" {
					to = " to extension " + extendCode
				}
				fmt.Fprintf(a.stdout, "pushed SMS reply from %s%s%s to %s/aliyun/sms/up\n", who, p.Masked(), to, base)
				return nil
			})
		},
	}
	c.Flags().StringVar(&openid, "openid", "", "the follower's openid (an unknown one is an unbound follower)")
	c.Flags().StringVar(&phone, "phone", "", "the mobile number replying by SMS")
	c.Flags().StringVar(&extendCode, "extend-code", "", "the SMS extension code replied to (threads the reply to its campaign)")
	c.Flags().Int64Var(&residentID, "resident", 0, "speak as this resident on record")
	c.Flags().BoolVar(&viaSMS, "sms", false, "with --resident: reply by SMS even when WeChat is bound")
	return c
}

func (a *app) sandboxFollow(callback *string) *cobra.Command {
	var openid string
	c := &cobra.Command{
		Use:   "follow --openid X",
		Short: "Push a WeChat subscribe event: someone follows the official account",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if openid == "" {
				return usageError{errors.New("--openid is required")}
			}
			return a.pushSandbox(*callback, func(sb *sandbox.Sandbox, base string) error {
				if err := sb.WeChat.Follow(cmd.Context(), openid); err != nil {
					return err
				}
				fmt.Fprintf(a.stdout, "pushed a follow event from %s to %s/wechat/callback\n", pii.OpenID(openid).Masked(), base)
				return nil
			})
		},
	}
	c.Flags().StringVar(&openid, "openid", "", "the new follower's openid")
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
