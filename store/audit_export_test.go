package store

import (
	"context"

	"github.com/gridcast/gridcast/audit"
)

// VerifyAuditPaged is VerifyAudit reading pages of n entries, so that the
// tests cross page boundaries without appending thousands of entries.
func (s *Store) VerifyAuditPaged(ctx context.Context, expect audit.Head, n int) (audit.Report, error) {
	return s.verifyAudit(ctx, expect, n)
}
