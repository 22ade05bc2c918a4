package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/gridcast/gridcast/campaigns"
	"github.com/gridcast/gridcast/population"
)

// SaveTemplates replaces the stored templates of channel with ts, synced at
// at, in one transaction: a template the provider no longer lists is gone
// afterwards. Each template's Channel must be channel or empty; a code
// listed twice keeps its last entry.
func (s *Store) SaveTemplates(ctx context.Context, channel population.Channel, ts []campaigns.Template, at time.Time) error {
	what := fmt.Sprintf("save %s templates", channel)
	if channel != population.ChannelWeChat && channel != population.ChannelSMS {
		return fmt.Errorf("store: %s: channel %q: want wechat or sms", what, channel)
	}
	type row struct {
		Code     string `json:"code"`
		Content  string `json:"content"`
		Approved bool   `json:"approved"`
	}
	rows := make([]row, 0, len(ts))
	at0 := map[string]int{}
	for i, t := range ts {
		if t.Channel != "" && t.Channel != channel {
			return fmt.Errorf("store: %s: template %d (%s) is for %s", what, i, t.Code, t.Channel)
		}
		if t.Code == "" {
			return fmt.Errorf("store: %s: template %d: code required", what, i)
		}
		r := row{t.Code, t.Content, t.Approved}
		if j, dup := at0[t.Code]; dup {
			rows[j] = r
			continue
		}
		at0[t.Code] = len(rows)
		rows = append(rows, r)
	}
	doc, err := json.Marshal(rows)
	if err != nil {
		return fmt.Errorf("store: %s: %w", what, err)
	}
	return s.inTx(ctx, what, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, s.q.get("DeleteTemplates"), string(channel)); err != nil {
			return err
		}
		if len(rows) == 0 {
			return nil
		}
		_, err := tx.ExecContext(ctx, s.q.get("InsertTemplates"), string(channel), s.ts(at), string(doc))
		return err
	})
}

// Templates returns channel's templates as last saved, ordered by code,
// each with Channel set.
func (s *Store) Templates(ctx context.Context, channel population.Channel) ([]campaigns.Template, error) {
	rows, err := s.r.QueryContext(ctx, s.q.get("Templates"), string(channel))
	if err != nil {
		return nil, fmt.Errorf("store: %s templates: %w", channel, err)
	}
	defer rows.Close()
	var out []campaigns.Template
	for rows.Next() {
		t := campaigns.Template{Channel: channel}
		if err := rows.Scan(&t.Code, &t.Content, &t.Approved); err != nil {
			return nil, fmt.Errorf("store: %s templates: %w", channel, err)
		}
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: %s templates: %w", channel, err)
	}
	return out, nil
}
