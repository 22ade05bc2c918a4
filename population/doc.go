// Package population is the population store's domain (人口基础数据库):
// residents, households, the grid hierarchy (district → street → community
// → grid → unit grid), the grid workers who own each grid, and the
// categories, channels and opt-out topics every other part of GridCast
// speaks in.
//
// It imports no SQL, HTTP or Redis library; personal data travels in the
// masked types of package pii so that it never reaches a log in clear. The
// SQL store (package store) persists it; spreadsheet import lives in
// population/importer, the pull from an external population database in
// population/extsync, and the synthetic city for trials in
// population/synth. The segment language that selects residents is
// package segments.
package population
