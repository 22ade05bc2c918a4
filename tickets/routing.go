package tickets

import (
	"errors"
	"fmt"
	"maps"
	"slices"
)

// Routing is the level that first handles a new ticket, per category: most
// start with the grid worker; some belong higher from the start. A category
// missing from the map starts at the grid worker. The zero value (nil)
// means DefaultRouting. A Routing is read-only once built and safe for
// concurrent use.
type Routing map[Category]Level

// DefaultRouting sends a complaint about staff to the community, so that
// the worker complained about never handles it, and a safety hazard or a
// matter of public order to the grid leader, who can call on the fire
// brigade, the police or the property company.
var DefaultRouting = Routing{
	CategoryStaffComplaint: LevelCommunity,
	CategorySafety:         LevelGridLeader,
	CategoryPublicSecurity: LevelGridLeader,
}

// For is the level a new ticket of category c starts at.
func (r Routing) For(c Category) Level {
	m := r
	if m == nil {
		m = DefaultRouting
	}
	if l, ok := m[c]; ok && l != "" {
		return l
	}
	return LevelGridWorker
}

// Validate reports every level that is not on the ladder.
func (r Routing) Validate() error {
	var errs []error
	for _, c := range slices.Sorted(maps.Keys(r)) {
		if l := r[c]; l.Rank() < 0 {
			errs = append(errs, fmt.Errorf("levels[%s]: %q: want grid_worker, grid_leader, community or street", c, l))
		}
	}
	return errors.Join(errs...)
}
