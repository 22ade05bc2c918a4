// Package importer loads residents from the spreadsheets cities keep them
// in — XLSX workbooks and CSV files (UTF-8, or the GBK/GB18030 that Chinese
// Excel writes) — into the population store: `gridcast import residents FILE`.
//
// Columns are found by header. DefaultHeaders knows each field's English key
// and the usual Chinese headers (姓名, 身份证号, 手机号, 网格 …); a mapping
// file (LoadMapping) names other headers. Every row is checked — each
// field's length, ID number format and check digit, birth date and gender
// against the ID number, mobile number, grid code against the store's grids,
// categories, ID numbers repeated in the file — and problems are reported by
// sheet row number and column header, with ID numbers and phone numbers
// masked. Good rows are upserted by ID number in one store call, so an import
// is all-or-nothing with respect to fatal errors and re-importing a file
// changes nothing; in strict mode (Options.Strict) any bad row writes nothing,
// and the report lists every bad row all the same.
//
// Limits. Every field has a maximum length in characters (not bytes), after
// the cell's surrounding spaces are trimmed: name 50 (MaxNameLen), ID number
// 24, phone 20, grid code 64, community 100, building, unit and room 20 each,
// training course 100 and cohort 50, gender and preferred channel 10, birth
// date 40, openid 64; a categories, skills or desired-jobs cell 600
// (MaxListLen), holding at most 20 skills or desired jobs (MaxListItems) of at
// most 30 characters each (MaxListItemLen). A longer value refuses its row
// with the column and the limit, and is never repeated in the report: it may
// be personal data, and a megabyte of it helps nobody.
//
// Codes. A grid code must name a grid the store holds (a refusal names the
// nearest known codes, or the grids below a street or community given
// instead). A category must be a built-in one, by identifier or Chinese label
// (population.KnownCategories), or one the import is told of
// (Options.ExtraCategories, `--extra-category`): a typo is refused, not
// stored as a new category no segment selects.
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
