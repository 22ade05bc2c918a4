// Package importer loads residents from the spreadsheets cities keep them
// in — XLSX workbooks and CSV files (UTF-8, or the GBK/GB18030 that Chinese
// Excel writes) — into the population store: `gridcast import residents FILE`.
//
// Columns are found by header. DefaultHeaders knows each field's English key
// and the usual Chinese headers (姓名, 身份证号, 手机号, 网格 …); a mapping
// file (LoadMapping) names other headers. Every row is checked — ID number
// format and check digit, birth date and gender against the ID number,
// mobile number, grid code against the store, categories, ID numbers repeated
// in the file — and problems are reported by sheet row number and column
// header, with ID numbers and phone numbers masked. Good rows are upserted by
// ID number in one store call, so an import is all-or-nothing with respect to
// fatal errors and re-importing a file changes nothing.
//
// That single call is a deliberate trade: the store offers an all-or-nothing
// UpsertResidents but no transaction spanning several calls, so the good rows
// are held in memory until the end. Reading and checking 100,000 rows costs
// about 50 MB; the SQLite upsert of them peaks near 0.5 GB resident and runs
// at roughly 8,000–10,000 rows/s (BenchmarkImportCSV).
//
// The row-to-resident conversion (Row, Parser, MatchColumns, ParseDate,
// SplitList) is exported for segments/extsync, which reads the same fields
// from an external database.
package importer
