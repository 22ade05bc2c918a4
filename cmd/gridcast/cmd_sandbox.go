package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/gridcast/gridcast/fault"
	"github.com/gridcast/gridcast/gateway/sandbox"
	"github.com/gridcast/gridcast/gateway/wechat"
	"github.com/gridcast/gridcast/pii"
	"github.com/gridcast/gridcast/population"
	"github.com/gridcast/gridcast/store"
)

func (a *app) sandboxCommand() *cobra.Command {
	var addr, callback, recordFile, followPrefix string
	var fromStore bool
	var every time.Duration
	c := &cobra.Command{
		Use:   "sandbox",
		Short: "Run the Aliyun SMS and WeChat API emulators on one address, with a record and an admin API",
		Long: `Serves the Aliyun SMS API (RPC requests at /, as dysmsapi.aliyuncs.com answers
them, with signatures checked against aliyun_sms.access_key_*) and the WeChat
official-account API (/cgi-bin/…, as api.weixin.qq.com, with wechat.app_id and
wechat.app_secret) on --addr. Delivery reports, uplinks and WeChat events are
pushed to --callback. Point GridCast's processes at it with sandbox: false,
aliyun_sms.endpoint: HOST:PORT, aliyun_sms.scheme: http and
wechat.base_url: http://HOST:PORT; serve and every worker may share one sandbox.

Every message the emulators accept is appended to --record as one JSON line
(written before the answer goes out) and replayed when the sandbox starts
again, so QuerySendDetails and WeChat's 10-minute client_msg_id repeat check
hold across a restart. A repeated template send that WeChat answers with the
first msgid is not a new message and is not recorded.

WeChat sends reach only followers of the account. With --followers-from-store
(the default) the sandbox reads the configured store at start and every
--followers-every: each resident and grid worker who bound WeChat follows.
Without a store it says so and keeps looking. --follow-prefix P also takes any
unknown openid starting with P as a follower.

The admin API under /sandbox/ answers only requests from this host or a
private network (no proxy headers):
  GET    /sandbox/record[?since=RFC3339][&detail=1]  what was accepted, per channel and recipient
  POST   /sandbox/faults {"provider":"sms"|"wechat","action":…,"kind":…,"count":N,"rate":R}
         kinds lose_answer, hang, 5xx, throttle, system_error; actions SendSms,
         SendBatchSms, QuerySendDetails (sms), template, custom, token (wechat), "" any send
  GET    /sandbox/faults, DELETE /sandbox/faults      list, clear
  POST   /sandbox/receipts {"mode":"normal"|"duplicate"|"reorder"}   how delivery reports are pushed`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, cancel := context.WithCancel(cmd.Context())
			defer cancel()
			if callback == "" {
				callback = "http://" + a.cfg.HTTP.Addr
			}
			path := recordFile
			switch path {
			case "-":
				path = ""
			case "":
				if err := os.MkdirAll(a.cfg.DataDir, 0o700); err != nil {
					return fmt.Errorf("data dir: %w", err)
				}
				path = filepath.Join(a.cfg.DataDir, "sandbox-record.jsonl")
			}
			sb, err := sandbox.Open(a.sandboxConfig(callback, path, followPrefix), a.log)
			if err != nil {
				return err
			}
			defer sb.Close()
			ln, err := net.Listen("tcp", addr)
			if err != nil {
				return err
			}
			srv := &http.Server{Handler: sb, ReadHeaderTimeout: 5 * time.Second}
			// Requests held by a hang fault would hold up the shutdown.
			srv.RegisterOnShutdown(sb.Stop)
			a.log.InfoContext(ctx, "sandbox_listening", "addr", ln.Addr().String(), "callback", callback, "record", path)
			fmt.Fprintf(a.stdout, "sandbox: Aliyun SMS at http://%s/ , WeChat at http://%s/cgi-bin/ ; pushing to %s\n", ln.Addr(), ln.Addr(), callback)
			fmt.Fprintf(a.stdout, "admin: http://%s/sandbox/ (record, faults, receipts; this host and private networks only)\n", ln.Addr())
			rec := sb.Record(time.Time{}, false)
			if path == "" {
				fmt.Fprintln(a.stdout, "record: in memory only")
			} else {
				fmt.Fprintf(a.stdout, "record: %s (%d SMS and %d WeChat messages from earlier runs)\n", path, rec.SMS.Accepted, rec.WeChat.Accepted)
			}
			done := make(chan struct{})
			if fromStore {
				if every <= 0 {
					return usageError{fmt.Errorf("--followers-every %v: want a positive duration", every)}
				}
				follow := &followerSync{a: a, sb: sb, every: every, create: cmd.Flags().Changed("followers-from-store")}
				fmt.Fprintln(a.stdout, "followers: "+follow.sync(ctx))
				go func() {
					defer close(done)
					follow.run(ctx)
				}()
			} else {
				close(done)
			}
			if followPrefix != "" {
				fmt.Fprintf(a.stdout, "followers: any openid starting with %q follows\n", followPrefix)
			}
			err = serveUntilDone(ctx, srv, ln)
			cancel()
			<-done
			return err
		},
	}
	c.Flags().StringVar(&addr, "addr", "127.0.0.1:8090", "listen address")
	c.Flags().StringVar(&recordFile, "record", "", "append accepted messages to this JSON-lines file and replay it at start (default DATA_DIR/sandbox-record.jsonl; - for memory only)")
	c.Flags().BoolVar(&fromStore, "followers-from-store", true, "residents and workers who bound WeChat in the configured store follow the account")
	c.Flags().DurationVar(&every, "followers-every", 30*time.Second, "how often to read the followers from the store again")
	c.Flags().StringVar(&followPrefix, "follow-prefix", "", "take unknown openids with this prefix as followers (e.g. the seeded account's o+5 characters)")
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

// newSandbox builds the in-process sandbox of serve, demo and say/follow:
// its record is kept in memory.
func (a *app) newSandbox(callback string) *sandbox.Sandbox {
	return sandbox.New(a.sandboxConfig(callback, "", ""), a.log)
}

// sandboxConfig is the sandbox that accepts the configured credentials,
// pushes to callback and keeps its record in recordFile ("" = memory).
func (a *app) sandboxConfig(callback, recordFile, followPrefix string) sandbox.Config {
	return sandbox.Config{
		SMSAccessKeyID: a.cfg.AliyunSMS.AccessKeyID, SMSAccessKeySecret: a.cfg.AliyunSMS.AccessKeySecret,
		SignName: a.cfg.AliyunSMS.SignName,
		AppID:    a.cfg.WeChat.AppID, AppSecret: a.cfg.WeChat.AppSecret, Token: a.cfg.WeChat.Token,
		EncodingAESKey: a.cfg.WeChat.EncodingAESKey, CallbackBase: callback, PushToken: a.cfg.AliyunSMS.PushToken,
		RecordFile: recordFile, FollowPrefix: followPrefix,
	}
}

// followerStore is what the sandbox reads of the store: the residents and
// workers who bound WeChat.
type followerStore interface {
	StreamSegment(ctx context.Context, expr string, afterID int64, batch int, fn func([]population.Resident) error) error
	Workers(ctx context.Context) ([]population.Worker, error)
}

var _ followerStore = (*store.Store)(nil)

// knowFollowers makes every resident and grid worker who bound WeChat in st
// a follower of the sandbox's official account, as WeChat knows them,
// leaving followers the sandbox already knows as they are (the demo's
// residents who unfollowed, a test's blocked user). `gridcast sandbox`
// calls it at start and every --followers-every; serve in sandbox mode
// calls it once its providers are open.
func (a *app) knowFollowers(ctx context.Context, st *store.Store, sb *sandbox.Sandbox) error {
	_, _, err := a.addFollowers(ctx, st, sb.WeChat)
	return err
}

// addFollowers is knowFollowers over the store's small interface; it
// returns how many bound openids it found and how many were new to wx.
func (a *app) addFollowers(ctx context.Context, st followerStore, wx *wechat.Emulator) (bound, added int, err error) {
	err = st.StreamSegment(ctx, "channel:wechat", 0, 1000, func(rs []population.Resident) error {
		ids := make([]pii.OpenID, 0, len(rs))
		for _, r := range rs {
			ids = append(ids, r.OpenID)
		}
		bound += len(ids)
		added += wx.KnowFollowers(ids)
		return nil
	})
	if err != nil {
		return bound, added, fmt.Errorf("sandbox followers: residents: %w", err)
	}
	ws, err := st.Workers(ctx)
	if err != nil {
		return bound, added, fmt.Errorf("sandbox followers: workers: %w", err)
	}
	var ids []pii.OpenID
	for _, w := range ws {
		if w.OpenID != "" {
			ids = append(ids, w.OpenID)
		}
	}
	bound += len(ids)
	added += wx.KnowFollowers(ids)
	level := slog.LevelDebug
	if added > 0 {
		level = slog.LevelInfo
	}
	a.log.Log(ctx, level, "sandbox_followers_known", "bound", bound, "new", added)
	return bound, added, nil
}

// followerSync keeps a standalone sandbox's followers in step with the
// configured store, opening it when it can.
type followerSync struct {
	a  *app
	sb *sandbox.Sandbox
	// every is how often the store is read again.
	every time.Duration
	// create opens a SQLite store whose file does not exist yet (the flag
	// was given); otherwise the sandbox waits for one to appear.
	create bool
	st     *store.Store
	// failed is the last failure said at warn level: a repeat goes to
	// debug.
	failed string
}

// run reads the followers every f.every until ctx ends, then closes the
// store.
func (f *followerSync) run(ctx context.Context) {
	defer func() {
		if f.st != nil {
			f.st.Close()
		}
	}()
	t := time.NewTicker(f.every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			f.sync(ctx)
		}
	}
}

// sync opens the store if need be and reads the followers, returning a
// line that says what happened.
func (f *followerSync) sync(ctx context.Context) string {
	if f.st == nil {
		if path, ok := f.missingSQLite(); ok {
			return fmt.Sprintf("no store at %s yet (seed one, or pass --followers-from-store to create it); looking again every %v", path, f.every)
		}
		st, err := f.a.openStore(ctx)
		if err != nil {
			return f.fail(ctx, fmt.Errorf("the store cannot be opened: %w", err))
		}
		f.st = st
	}
	bound, added, err := f.a.addFollowers(ctx, f.st, f.sb.WeChat)
	if err != nil {
		if ctx.Err() != nil {
			return "stopped"
		}
		return f.fail(ctx, err)
	}
	f.failed = ""
	return fmt.Sprintf("%d residents and workers who bound WeChat in the store (%d new); read again every %v", bound, added, f.every)
}

// fail logs err (at warn the first time) and says it in a line.
func (f *followerSync) fail(ctx context.Context, err error) string {
	level := slog.LevelWarn
	if err.Error() == f.failed {
		level = slog.LevelDebug
	}
	f.failed = err.Error()
	f.a.log.Log(ctx, level, "sandbox_followers_unavailable", "err", err,
		"hint", "WeChat sends reach only followers the sandbox knows; it tries again", "every", f.every)
	return fmt.Sprintf("%v; WeChat sends reach only followers named by --follow-prefix until it can be read (trying again every %v)", err, f.every)
}

// missingSQLite reports the embedded store's file when it does not exist
// and the sandbox was not asked to create it.
func (f *followerSync) missingSQLite() (string, bool) {
	sc := f.a.cfg.storeConfig()
	if f.create || sc.Driver != store.DriverSQLite || strings.HasPrefix(sc.DSN, "file:") || strings.Contains(sc.DSN, ":memory:") {
		return "", false
	}
	if _, err := os.Stat(sc.DSN); errors.Is(err, fs.ErrNotExist) {
		return sc.DSN, true
	}
	return "", false
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
