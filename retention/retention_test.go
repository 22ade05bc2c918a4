package retention_test

import (
	"strings"
	"testing"
	"time"

	"github.com/gridcast/gridcast/retention"
)

func TestConfigValidate(t *testing.T) {
	t.Parallel()
	day := 24 * time.Hour
	for _, tc := range []struct {
		name string
		cfg  retention.Config
		want []string // keys the error must name; none: valid
	}{
		{"zero keeps everything", retention.Config{}, nil},
		{"defaults", retention.Config{Enabled: true, MessageText: retention.DefaultAge, Inbound: retention.DefaultAge}, nil},
		{"one day", retention.Config{Enabled: true, MessageText: day, Inbound: 0, Batch: retention.MinBatch}, nil},
		{"negative", retention.Config{MessageText: -day, Inbound: -time.Hour}, []string{"retention.message_text", "retention.inbound", "must not be negative"}},
		{"an hour", retention.Config{Enabled: true, MessageText: time.Hour}, []string{"retention.message_text", "at least 24h"}},
		{"batch too small", retention.Config{Batch: 10}, []string{"retention.batch"}},
		{"batch too large", retention.Config{Batch: retention.MaxBatch + 1}, []string{"retention.batch"}},
		{"batch negative", retention.Config{Batch: -1}, []string{"retention.batch"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.cfg.Validate()
			if len(tc.want) == 0 {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Validate() = nil, want an error naming %v", tc.want)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Validate() = %v; want it to say %q", err, w)
				}
			}
		})
	}
}

func TestActive(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		cfg  retention.Config
		want bool
	}{
		{retention.Config{}, false},
		{retention.Config{Enabled: true}, false},
		{retention.Config{MessageText: retention.DefaultAge}, false},
		{retention.Config{Enabled: true, Inbound: retention.DefaultAge}, true},
	} {
		if got := tc.cfg.Active(); got != tc.want {
			t.Errorf("%+v.Active() = %v, want %v", tc.cfg, got, tc.want)
		}
	}
}

func TestCheckRequest(t *testing.T) {
	t.Parallel()
	if err := retention.CheckRequest("王芳", "申请2025-031"); err != nil {
		t.Errorf("a full request: %v", err)
	}
	for _, tc := range [][2]string{{"", "申请2025-031"}, {"王芳", "太短"}, {" ", "    "}} {
		if err := retention.CheckRequest(tc[0], tc[1]); err == nil {
			t.Errorf("CheckRequest(%q, %q) = nil, want a refusal", tc[0], tc[1])
		}
	}
}
