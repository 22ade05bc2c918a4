// Package storetest is the conformance suite every population store driver
// must pass: Run(t, open) exercises grids, workers, resident upsert and bulk
// insert, PII at rest, lookups, consent, saved segments and segment
// streaming, and the outreach ledger (campaigns and their events, runs and
// checkpoints, messages and their history, templates, visit slots), the
// ticket desk, users, the audit log (its chain found broken when a row is
// edited, deleted or forged), and the retention sweep and erasure on
// request against a fresh store from open.
//
// It also exports the deterministic fixture it uses (Grids, Resident,
// IDNumber) for tests and benchmarks that want the same data.
package storetest
