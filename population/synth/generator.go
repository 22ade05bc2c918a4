package synth

import (
	"fmt"
	"iter"
	"slices"
	"time"

	"github.com/gridcast/gridcast/population"
)

// Generator produces one synthetic population. New computes the hierarchy
// and the workers; residents are generated on demand, one household at a
// time. Grids, Workers, Population, Residents and Households are safe for
// concurrent use; Next and Reset share one cursor and are not.
type Generator struct {
	cfg     Config
	seed    uint64
	grids   []population.Grid
	cells   []cell // the LevelGrid grids, in stream order
	workers []population.Worker
	pop     Population

	local, migrant idSpace
	phones         phoneSpace
	openIDs        openIDSpace
	famCum         []int
	skillCum       [2][]int // by gender: 0 male, 1 female
	cohorts        []string
	rooms          [][]string // rooms[floor-1][k-1] = "501"
	small          []string   // "0" … "40"

	cursor *stream // for Next
}

// Population describes the generated population: the hierarchy, the workers
// and how many of each there are.
type Population struct {
	Grids   []population.Grid   // every node, parents before children
	Workers []population.Worker // grid workers, grid leaders, community and street staff

	Districts   int // LevelDistrict grids
	Streets     int // LevelStreet grids
	Communities int // LevelCommunity grids
	GridCells   int // LevelGrid grids, where residents live
	Units       int // LevelUnit grids
	Residents   int // length of the resident stream
}

// New validates cfg, applies its defaults and builds the hierarchy and the
// workers. It returns an error naming every invalid field.
func New(cfg Config) (*Generator, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	g := &Generator{cfg: cfg, seed: uint64(cfg.Seed)}
	g.initTables()
	g.buildHierarchy()
	g.buildWorkers()
	g.pop.Grids = g.grids
	g.pop.Workers = g.workers
	g.pop.Residents = cfg.Residents
	return g, nil
}

// Config returns the configuration in use, defaults applied.
func (g *Generator) Config() Config { return g.cfg }

// Grids returns the whole hierarchy, parents before children: districts,
// then each street followed by its communities, each community by its grids,
// each grid by its unit grids. The slice is a copy.
func (g *Generator) Grids() []population.Grid { return slices.Clone(g.grids) }

// Workers returns one grid_worker per LevelGrid grid, one grid_leader per
// community, two or three community_staff per community and two to four
// street_staff per street. IDs are zero: the store assigns them. The slice
// is a copy.
func (g *Generator) Workers() []population.Worker { return slices.Clone(g.workers) }

// Population returns the hierarchy, the workers and their counts. The
// slices are copies.
func (g *Generator) Population() Population {
	p := g.pop
	p.Grids = g.Grids()
	p.Workers = g.Workers()
	return p
}

// Residents returns the resident stream from its start: exactly
// Config.Residents residents, household by household, grid by grid, the
// same every time. Each call starts a fresh stream, independent of Next.
// Resident IDs and UpdatedAt are zero: the store sets them.
func (g *Generator) Residents() iter.Seq[population.Resident] {
	return func(yield func(population.Resident) bool) {
		s := g.newStream()
		for {
			r, ok := s.next()
			if !ok || !yield(r) {
				return
			}
		}
	}
}

// Households returns the same stream as Residents, one household at a time:
// the residents sharing an address in a grid. The slice is reused between
// iterations; copy what you keep.
func (g *Generator) Households() iter.Seq[[]population.Resident] {
	return func(yield func([]population.Resident) bool) {
		s := g.newStream()
		for s.fill() {
			hh := s.buf[:s.n]
			s.pos = s.n
			if !yield(hh) {
				return
			}
		}
	}
}

// Next returns the next resident of the generator's own cursor, pull style,
// for bulk loaders; ok is false once Config.Residents residents have been
// returned. It yields the same sequence as Residents. Not safe for
// concurrent use.
func (g *Generator) Next() (r population.Resident, ok bool) {
	if g.cursor == nil {
		g.cursor = g.newStream()
	}
	return g.cursor.next()
}

// Reset rewinds the cursor Next reads from to the start of the stream.
func (g *Generator) Reset() { g.cursor = nil }

// initTables prepares the samplers and string tables residents draw from.
func (g *Generator) initTables() {
	ws := make([]int, len(familyNames))
	for i, f := range familyNames {
		ws[i] = f.w
	}
	g.famCum = cumulative(ws)
	for sex := range 2 {
		ws := make([]int, len(skills))
		for i, s := range skills {
			ws[i] = s.w[sex]
		}
		g.skillCum[sex] = cumulative(ws)
	}
	g.local = newIDSpace(localAreas, g.seed^0x11)
	var mig []string
	for _, c := range migrantCities {
		for _, s := range countySuffixes {
			mig = append(mig, c+s)
		}
	}
	g.migrant = newIDSpace(mig, g.seed^0x12)
	g.phones = newPhoneSpace(g.seed)
	g.openIDs = newOpenIDSpace(g.seed)
	g.cohorts = cohorts(g.cfg.Now)
	g.small = make([]string, 41)
	for i := range g.small {
		g.small[i] = fmt.Sprint(i)
	}
}

// cohorts names the training cohorts around now: the coming season's
// classes and the current season's (2026春季第3期).
func cohorts(now time.Time) []string {
	var out []string
	for i, t := range []time.Time{now.AddDate(0, 3, 0), now} {
		year, season := seasonOf(t)
		for n := 1; n <= 4-i; n++ {
			out = append(out, fmt.Sprintf("%d%s第%d期", year, season, n))
		}
	}
	return out
}

// seasonOf names the season of t the way training centres do; a winter runs
// from December into the next year and carries December's year.
func seasonOf(t time.Time) (year int, season string) {
	switch m := t.Month(); {
	case m >= 3 && m <= 5:
		return t.Year(), "春季"
	case m >= 6 && m <= 8:
		return t.Year(), "夏季"
	case m >= 9 && m <= 11:
		return t.Year(), "秋季"
	case m == 12:
		return t.Year(), "冬季"
	default:
		return t.Year() - 1, "冬季"
	}
}
