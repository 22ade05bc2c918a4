// Package segments is the population store's domain: residents, households,
// the grid hierarchy (district → street → community → grid → unit grid) and the
// grid workers who own each grid.
//
// It declares the types every other part of GridCast speaks in and the Store
// API that the SQL drivers (segments/sqlstore) implement. It imports no SQL,
// HTTP or Redis library; personal data travels in the masked types of
// segments/pii so that it never reaches a log in clear.
//
// The segment language that selects residents lives in segments/segql; the
// synthetic population in segments/synth; spreadsheet import in
// segments/importer; the pull from an external population database in
// segments/extsync.
package segments
