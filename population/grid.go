package population

import (
	"fmt"
	"strings"

	"github.com/gridcast/gridcast/pii"
)

// Level is a rung of the grid hierarchy (三级网格 and below).
type Level string

// The levels from the top down. A resident lives in a LevelGrid grid; unit
// grids (单元网格) subdivide a grid for the worker's own planning.
const (
	LevelDistrict  Level = "district"  // 区
	LevelStreet    Level = "street"    // 街道
	LevelCommunity Level = "community" // 社区
	LevelGrid      Level = "grid"      // 网格
	LevelUnit      Level = "unit"      // 单元网格
)

// Levels lists the levels from the top down.
var Levels = []Level{LevelDistrict, LevelStreet, LevelCommunity, LevelGrid, LevelUnit}

// Depth is the position of l in Levels (district = 0), or -1 if unknown.
func (l Level) Depth() int {
	for i, x := range Levels {
		if x == l {
			return i
		}
	}
	return -1
}

// Grid is one node of the hierarchy. Codes are hierarchical: a child's code
// is its parent's code, a dash, and its own part (NY, NY-03, NY-03-02,
// NY-03-02-05), so a code prefix selects a whole subtree.
type Grid struct {
	Code       string
	Name       string
	Level      Level
	ParentCode string // empty for a district
}

// Validate reports what is wrong with g, if anything.
func (g Grid) Validate() error {
	var errs []string
	if g.Code == "" || strings.ContainsAny(g.Code, " *%_\\\t\n") {
		errs = append(errs, fmt.Sprintf("code %q must be non-empty without spaces, '*', '%%', '_' or '\\'", g.Code))
	}
	if g.Level.Depth() < 0 {
		errs = append(errs, fmt.Sprintf("level %q must be one of district, street, community, grid, unit", g.Level))
	}
	if g.Level == LevelDistrict && g.ParentCode != "" {
		errs = append(errs, "a district has no parent")
	}
	if g.Level != LevelDistrict && g.Level.Depth() > 0 {
		if g.ParentCode == "" {
			errs = append(errs, "parent code is required below district level")
		} else if !strings.HasPrefix(g.Code, g.ParentCode+"-") {
			errs = append(errs, fmt.Sprintf("code %q must start with its parent's code %q and a dash", g.Code, g.ParentCode))
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("segments: grid %q: %s", g.Code, strings.Join(errs, "; "))
	}
	return nil
}

// Role is what a worker does in the hierarchy; escalation climbs these roles.
type Role string

// The roles, from the grid up.
const (
	RoleGridWorker Role = "grid_worker"     // 网格员, one per grid
	RoleGridLeader Role = "grid_leader"     // 网格长, one per community
	RoleCommunity  Role = "community_staff" // 社区工作人员
	RoleStreet     Role = "street_staff"    // 街道工作人员
)

// Worker is a person who handles a grid (or a community, or a street).
// GridCode names the grid a grid worker owns, the community a grid leader
// leads, or the street/community a staff member serves.
type Worker struct {
	ID       int64
	Code     string // stable external identifier, e.g. the staff number
	Name     pii.Name
	Phone    pii.Phone
	OpenID   pii.OpenID // WeChat openid once bound; empty otherwise
	Role     Role
	GridCode string
	// VisitingHours is free text such as "Mon-Fri 14:00-17:00" that the visit
	// scheduler reads; empty means the defaults.
	VisitingHours string
}
