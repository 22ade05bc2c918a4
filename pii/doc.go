// Package pii holds the personal data GridCast handles — mobile numbers,
// resident ID numbers, names and WeChat openids — as types that print masked
// wherever they go: slog (LogValuer), fmt (%v, %s, %+v) and JSON. The clear
// value is reached only by an explicit conversion (string(p)) at the few
// places that need it: the provider call, the keyed hash, the cipher.
//
// It also validates them (mobile number format, the GB 11643 ID check digit),
// seals ID numbers at rest (Sealer: a keyed hash for matching and an AES-GCM
// copy for an authorized unmask), and finds those that escaped in clear into
// a log or a program's output (Scan, which `gridcast pii scan` and CI run).
package pii
