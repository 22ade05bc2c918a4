// Package visits is the grid worker's visit register (走访台账): which
// households a worker must visit in a month under the city's norms, which
// visits were recorded, and which are overdue. It only computes and checks:
// the store keeps the households, the records and the booked slots, and the
// API and the command line show what Plan returns. It imports no SQL, HTTP
// or Redis library.
//
// # Norms
//
// A norm names population categories and how often a household with a
// resident in one of them must be visited: every week or every month. The
// defaults follow the field reports: 五必访 (new residents, elderly living
// alone, disabled, left-behind children's guardians, floating population)
// monthly; elderly living alone weekly; special families (subsistence
// allowance, empty nest) monthly; and every worker visits at least 15
// households a month ("每月至少走访居民15家"). A household under several
// norms owes the strictest.
//
// # Windows
//
// A monthly norm asks for one visit in the calendar month; a weekly norm
// one visit in each week (Monday to Sunday, Asia/Shanghai) whose Thursday
// falls in the month, as ISO 8601 numbers weeks, so every day belongs to
// one month's week and a month holds four or five weekly windows. A visit in
// person (入户走访) or by phone (电话回访) satisfies the window it falls in; a
// visit that found nobody home (未遇) is recorded and shown but satisfies
// nothing. A window that ended without a visit is overdue until the
// household is visited again.
//
// # Booked visits
//
// A visit slot a campaign booked and the resident confirmed appears on the
// register with its household; the record that names the slot closes it.
package visits
