package faults

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/gridcast/gridcast/gateway/sandbox"
)

// sandboxAdmin is a client of the shared sandbox's admin endpoint: its
// record of what the providers accepted, and the faults it injects.
type sandboxAdmin struct{ base string }

func (a *sandboxAdmin) post(ctx context.Context, path string, body any) error {
	b, err := json.Marshal(body)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, a.base+path, bytes.NewReader(b))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("faults: sandbox %s: %w", path, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		return fmt.Errorf("faults: sandbox %s: %s: %s", path, resp.Status, msg)
	}
	return nil
}

// fault arms f: the fields of a rule the sandbox takes (it sets the rest).
func (a *sandboxAdmin) fault(ctx context.Context, f sandbox.FaultRule) error {
	return a.post(ctx, "/sandbox/faults", map[string]any{"provider": f.Provider, "action": f.Action, "kind": f.Kind,
		"count": f.Count, "rate": f.Rate})
}

func (a *sandboxAdmin) receipts(ctx context.Context, mode string) error {
	return a.post(ctx, "/sandbox/receipts", map[string]string{"mode": mode})
}

func (a *sandboxAdmin) record(ctx context.Context, since time.Time) (sandbox.RecordSummary, error) {
	var s sandbox.RecordSummary
	u := a.base + "/sandbox/record?since=" + url.QueryEscape(since.UTC().Format(time.RFC3339Nano))
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return s, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return s, fmt.Errorf("faults: sandbox record: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return s, fmt.Errorf("faults: sandbox record: %s", resp.Status)
	}
	return s, json.NewDecoder(resp.Body).Decode(&s)
}

// accepted is how many messages the sandbox accepted since.
func (a *sandboxAdmin) accepted(ctx context.Context, since time.Time) (int, error) {
	s, err := a.record(ctx, since)
	return s.SMS.Accepted + s.WeChat.Accepted, err
}

// byRecipient counts the messages accepted since, per phone and openid.
func (a *sandboxAdmin) byRecipient(ctx context.Context, since time.Time) (map[string]int, error) {
	s, err := a.record(ctx, since)
	if err != nil {
		return nil, err
	}
	out := map[string]int{}
	for _, ch := range []sandbox.ChannelSummary{s.SMS, s.WeChat} {
		for k, n := range ch.Recipients {
			out[k] += n
		}
	}
	return out, nil
}

// quiet waits until the sandbox has accepted nothing new for d.
func (a *sandboxAdmin) quiet(ctx context.Context, since time.Time, d time.Duration) error {
	last, lastAt := -1, time.Now()
	return waitUntil(ctx, 2*time.Minute, "the sandbox quiet", func() bool {
		n, err := a.accepted(ctx, since)
		if err != nil {
			return false
		}
		if n != last {
			last, lastAt = n, time.Now()
			return false
		}
		return time.Since(lastAt) >= d
	})
}
