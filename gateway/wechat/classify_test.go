package wechat

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/gridcast/gridcast/gateway"
)

func TestClassify(t *testing.T) {
	t.Parallel()
	now := time.Date(2025, 3, 1, 23, 30, 0, 0, shanghai)
	type result struct {
		Class gateway.Class
		After time.Duration
	}
	tests := map[int]result{
		43004: {gateway.Permanent, 0},
		43101: {gateway.Permanent, 0},
		43019: {gateway.Permanent, 0},
		40003: {gateway.Permanent, 0},
		47001: {gateway.Permanent, 0},
		47003: {gateway.Permanent, 0},
		45015: {gateway.Permanent, 0},
		45047: {gateway.Permanent, 0},
		45009: {gateway.Quota, 30 * time.Minute},
		45011: {gateway.Throttled, time.Minute},
		-1:    {gateway.Retryable, 0},
		40001: {gateway.Retryable, 0},
		42001: {gateway.Retryable, 0},
		40037: {gateway.Config, 0},
		40164: {gateway.Config, 0},
		40125: {gateway.Config, 0},
		40013: {gateway.Config, 0},
		99999: {gateway.Retryable, 0},
	}
	for code, want := range tests {
		c, after := classifyAt(code, now)
		if diff := cmp.Diff(want, result{c, after}); diff != "" {
			t.Errorf("classifyAt(%d) (-want +got):\n%s", code, diff)
		}
		if c2, _ := Classify(code); c2 != want.Class {
			t.Errorf("Classify(%d) = %v, want %v", code, c2, want.Class)
		}
	}
	// A UTC clock just after 16:00 is just after midnight in Shanghai.
	if _, after := classifyAt(45009, time.Date(2025, 3, 1, 16, 0, 1, 0, time.UTC)); after != 24*time.Hour-time.Second {
		t.Errorf("45009 just after Shanghai midnight: %v", after)
	}
}
