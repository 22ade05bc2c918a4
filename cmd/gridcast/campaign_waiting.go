package main

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/gridcast/gridcast/campaigns"
	"github.com/gridcast/gridcast/outbound"
	"github.com/gridcast/gridcast/queue"
)

// printWaiting says why a campaign's pending messages wait, most first:
// "waiting: 1,240 quiet hours until 08:00; 35 daily cap per resident until
// 12-06 08:00" (Beijing time). Nothing pending prints nothing.
func printWaiting(w io.Writer, ws []outbound.Waiting, now time.Time) {
	if len(ws) == 0 {
		return
	}
	parts := make([]string, len(ws))
	for i, wt := range ws {
		parts[i] = thousands(wt.Count) + " " + outbound.DescribeWait(wt.Reason, wt.Until, now, campaigns.Shanghai())
	}
	fmt.Fprintln(w, "waiting: "+strings.Join(parts, "; "))
}

// printChannelPauses says which channels the queue holds right now
// ("channel sms paused for 9m (isv.AMOUNT_NOT_ENOUGH)"). The pauses live in
// Redis: with the in-process Redis of a trial there is none to read from
// another process, and a Redis that does not answer is said on stderr
// without failing the status.
func (a *app) printChannelPauses(ctx context.Context) {
	if a.cfg.Redis.mode() == "embedded" {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	rt := &runtime{}
	defer rt.close()
	err := a.openRedis(ctx, rt)
	if err == nil {
		var ps []outbound.ChannelPause
		if ps, err = queue.ChannelPauses(ctx, rt.rdb); err == nil {
			for _, p := range ps {
				fmt.Fprintln(a.stdout, p.Describe())
			}
			return
		}
	}
	fmt.Fprintf(a.stderr, "gridcast: channel pauses unknown: %v\n", err)
}

// thousands writes n with a comma every three digits: 1,240.
func thousands(n int) string {
	s := strconv.Itoa(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}
