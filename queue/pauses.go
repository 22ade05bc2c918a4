package queue

import (
	"context"
	"errors"
	"fmt"

	"github.com/redis/go-redis/v9"

	"github.com/gridcast/gridcast/outbound"
	"github.com/gridcast/gridcast/population"
)

// ChannelPauses reads which channels the queue holds right now (a quota
// or configuration failure paused them, Config.ChannelPause or the
// provider's own reset time) and for how much longer, SMS first. It only
// reads: the pauses end by themselves. None paused is an empty slice.
func ChannelPauses(ctx context.Context, rdb redis.UniversalClient) ([]outbound.ChannelPause, error) {
	var out []outbound.ChannelPause
	for _, ch := range []population.Channel{population.ChannelSMS, population.ChannelWeChat} {
		d, err := pauseLeft(ctx, rdb, ch)
		if err != nil {
			return nil, err
		}
		if d == 0 {
			continue
		}
		code, err := rdb.Get(ctx, keyPause+string(ch)).Result()
		if errors.Is(err, redis.Nil) {
			continue // ended between the two reads
		}
		if err != nil {
			return nil, fmt.Errorf("queue: pause %s: %w", ch, err)
		}
		out = append(out, outbound.ChannelPause{Channel: ch, Remaining: d, Code: code})
	}
	return out, nil
}
