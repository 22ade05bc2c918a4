// Package extsync pulls residents from a city's existing population
// database (PostgreSQL, or MySQL/MariaDB) into the population store:
// `gridcast sync`.
//
// Each source is a Config: a SELECT, a column mapping onto the importer's
// fields (the importer's default headers — name, 姓名, 身份证号 … — match
// column names too) and, optionally, an updated-at column that makes syncs
// incremental. Run converts and checks every row exactly as
// segments/importer does, upserts valid rows by ID number in batches, and
// saves the largest updated-at value seen (the cursor) after each committed
// batch; the next run reads rows with updated_at >= the cursor, so rows that
// share a timestamp are never missed and come back Unchanged. Invalid rows
// are reported by a key that carries no clear personal data. A row for a
// resident erased on request (package retention) is not written — the
// source still holds them, and they stay erased — and counts in
// Result.Imported.Erased. Loop repeats Run on a ticker.
package extsync
