package synth

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/gridcast/gridcast/pii"
	"github.com/gridcast/gridcast/population"
)

// Sizes from the field reports: a grid is ~300 households or ~1,000 people;
// a community has ~8–12 grids; a street ~5–8 communities.
const (
	residentsPerGrid   = 1000
	gridsPerCommunity  = 10
	communitiesPerStrt = 6.5
	maxFloors          = 33
	slotMultiplier     = 1_000_003 // prime, larger than any grid's room count
)

// Streams of the per-purpose PCGs, so that adding draws to one purpose does
// not shift another.
const (
	streamHierarchy = 1 << 62
	streamWorkers   = 1<<62 + 1
)

// cell is a LevelGrid grid with what its residents need: its population and
// the estate its households live in.
type cell struct {
	code     string
	pop      int    // residents in this grid
	estate   string // 小区 name
	nb       int    // buildings, numbered from 1
	units    int    // units (单元) per building
	floors   int
	perFloor int    // rooms per floor
	cap      uint64 // nb*units*floors*perFloor ≥ pop ≥ households
	b        uint64 // slot permutation offset
}

// address returns the address of household h (h < c.cap); distinct h give
// distinct addresses.
func (g *Generator) address(c *cell, h int) population.Address {
	slot := (slotMultiplier*uint64(h) + c.b) % c.cap
	b := int(slot % uint64(c.nb))
	slot /= uint64(c.nb)
	u := int(slot % uint64(c.units))
	slot /= uint64(c.units)
	f := int(slot % uint64(c.floors))
	k := int(slot / uint64(c.floors))
	return population.Address{
		Community: c.estate,
		Building:  g.small[b+1],
		Unit:      g.small[u+1],
		Room:      g.rooms[f][k],
	}
}

// split divides total into parts shares that vary by ±jitter around the
// mean and sum to total exactly.
func split(total, parts int, r *rand.Rand, jitter float64) []int {
	w := make([]float64, parts)
	sum := 0.0
	for i := range w {
		w[i] = 1 + jitter*(2*r.Float64()-1)
		sum += w[i]
	}
	out := make([]int, parts)
	acc, prev := 0.0, 0
	for i := range w {
		acc += w[i]
		cut := int(math.Round(acc / sum * float64(total)))
		if i == parts-1 {
			cut = total
		}
		out[i] = cut - prev
		prev = cut
	}
	return out
}

// buildHierarchy sizes the hierarchy for the population and lays it out in
// g.grids (parents first) and g.cells.
func (g *Generator) buildHierarchy() {
	r := rand.New(rand.NewPCG(g.seed, streamHierarchy))
	n := g.cfg.Residents
	nGrids := max(1, int(math.Round(float64(n)/residentsPerGrid)))
	nComm := max(1, int(math.Round(float64(nGrids)/gridsPerCommunity)))
	nStreets := max(1, int(math.Round(float64(nComm)/communitiesPerStrt)))
	nDistricts := 1
	switch {
	case nStreets > 15:
		nDistricts = 3
	case nStreets > 6:
		nDistricts = 2
	}
	nDistricts = max(nDistricts, (nStreets+98)/99)

	streetsPer := split(nStreets, nDistricts, r, 0.2)
	commPer := split(nComm, nStreets, r, 0.2)
	gridsPer := split(nGrids, nComm, r, 0.2)
	pops := split(n, nGrids, r, 0.15)

	streetOff, commOff, estateOff := r.IntN(len(streetStems)), r.IntN(len(communityStems)), r.IntN(len(estateStems))
	si, ci, gi := 0, 0, 0
	maxF := 6
	add := func(code, name string, level population.Level, parent string) {
		g.grids = append(g.grids, population.Grid{Code: code, Name: name, Level: level, ParentCode: parent})
	}
	for d := range nDistricts {
		dcode := g.cfg.City
		if d > 0 {
			dcode = fmt.Sprintf("%s%d", g.cfg.City, d+1)
		}
		dname := districtNames[d%len(districtNames)]
		if d >= len(districtNames) {
			dname = fmt.Sprintf("第%d%s", d/len(districtNames)+1, dname)
		}
		add(dcode, dname, population.LevelDistrict, "")
		g.pop.Districts++
		for s := range streetsPer[d] {
			scode := fmt.Sprintf("%s-%02d", dcode, s+1)
			sname := placeName(streetStems, si*7+streetOff, si) + "街道"
			add(scode, sname, population.LevelStreet, dcode)
			g.pop.Streets++
			for c := range commPer[si] {
				ccode := fmt.Sprintf("%s-%02d", scode, c+1)
				cname := placeName(communityStems, ci*11+commOff, ci) + "社区"
				add(ccode, cname, population.LevelCommunity, scode)
				g.pop.Communities++
				for k := range gridsPer[ci] {
					gcode := fmt.Sprintf("%s-%02d", ccode, k+1)
					add(gcode, fmt.Sprintf("第%d网格", k+1), population.LevelGrid, ccode)
					g.pop.GridCells++
					c := g.newCell(r, gcode, pops[gi], gi*7+estateOff)
					maxF = max(maxF, c.floors)
					g.cells = append(g.cells, c)
					perUnit := (c.nb + 2) / 3
					for u, first := 0, 1; first <= c.nb; u, first = u+1, first+perUnit {
						last := min(first+perUnit-1, c.nb)
						add(fmt.Sprintf("%s-%d", gcode, u+1), fmt.Sprintf("%s%d-%d栋", c.estate, first, last), population.LevelUnit, gcode)
						g.pop.Units++
					}
					gi++
				}
				ci++
			}
			si++
		}
	}
	g.rooms = make([][]string, maxF)
	for f := range g.rooms {
		g.rooms[f] = make([]string, 4)
		for k := range g.rooms[f] {
			g.rooms[f][k] = fmt.Sprintf("%d%02d", f+1, k+1)
		}
	}
}

// placeName picks a name from stems; after a full round of the pool it adds
// a direction (东, 西 …) so that neighbouring places stay distinct.
func placeName(stems []string, i, round int) string {
	return stems[i%len(stems)] + nameVariants[(round/len(stems))%len(nameVariants)]
}

// newCell lays out the estate of a grid: enough rooms for every resident
// to have one, so that households (never more than residents) fit.
func (g *Generator) newCell(r *rand.Rand, code string, pop, estateIdx int) cell {
	c := cell{
		code:     code,
		pop:      pop,
		estate:   estateStems[estateIdx%len(estateStems)] + estateSuffixes[r.IntN(len(estateSuffixes))],
		nb:       6 + r.IntN(9),
		units:    2 + r.IntN(3),
		perFloor: 2 + r.IntN(3),
	}
	for {
		per := c.nb * c.units * c.perFloor
		c.floors = max(6, (pop+per-1)/per)
		if c.floors <= maxFloors {
			break
		}
		switch {
		case c.nb < 30:
			c.nb++
		case c.units < 6:
			c.units++
		case c.perFloor < 4:
			c.perFloor++
		default:
			panic("synth: grid population beyond any estate") // unreachable: Validate caps Residents
		}
	}
	c.cap = uint64(c.nb * c.units * c.floors * c.perFloor)
	c.b = r.Uint64N(c.cap)
	return c
}

// buildWorkers staffs the hierarchy: a grid worker per grid, a grid leader
// and community staff per community, street staff per street.
func (g *Generator) buildWorkers() {
	r := rand.New(rand.NewPCG(g.seed, streamWorkers))
	j := 0
	add := func(code string, role population.Role, grid string, openIDShare float64, hours string) {
		male := r.IntN(100) < 45
		age := 24 + r.IntN(32)
		w := population.Worker{
			Code:          code,
			Name:          g.name(r, male, g.cfg.Now.Year()-age, -1),
			Phone:         g.phones.phone(uint64(g.cfg.Residents + j)),
			Role:          role,
			GridCode:      grid,
			VisitingHours: hours,
		}
		if r.Float64() < openIDShare {
			w.OpenID = g.openIDs.openID(1<<40 + uint64(j))
		}
		g.workers = append(g.workers, w)
		j++
	}
	hours := func() string { return visitingHours[r.IntN(len(visitingHours))] }
	// Grid workers first, then up the escalation ladder.
	for _, gr := range g.grids {
		if gr.Level == population.LevelGrid {
			add("W-"+gr.Code, population.RoleGridWorker, gr.Code, 0.85, hours())
		}
	}
	for _, gr := range g.grids {
		if gr.Level == population.LevelCommunity {
			add("L-"+gr.Code, population.RoleGridLeader, gr.Code, 0.7, hours())
		}
	}
	for _, gr := range g.grids {
		if gr.Level == population.LevelCommunity {
			for k := range 2 + r.IntN(2) {
				add(fmt.Sprintf("C-%s-%d", gr.Code, k+1), population.RoleCommunity, gr.Code, 0.5, "")
			}
		}
	}
	for _, gr := range g.grids {
		if gr.Level == population.LevelStreet {
			for k := range 2 + r.IntN(3) {
				add(fmt.Sprintf("S-%s-%d", gr.Code, k+1), population.RoleStreet, gr.Code, 0.5, "")
			}
		}
	}
}

// name draws a Chinese name for someone born in birthYear. family is an
// index into familyNames, or -1 to draw one.
func (g *Generator) name(r *rand.Rand, male bool, birthYear, family int) pii.Name {
	if family < 0 {
		family = g.familyIndex(r)
	}
	var pool []string
	old := birthYear < 1975
	switch {
	case male && old:
		pool = maleOld
	case male:
		pool = maleYoung
	case old:
		pool = femaleOld
	default:
		pool = femaleYoung
	}
	single := 20
	if birthYear >= 1965 && birthYear < 1995 {
		single = 35
	}
	fam := familyNames[family].v
	if r.IntN(100) < single {
		return pii.Name(fam + pool[r.IntN(len(pool))])
	}
	return pii.Name(fam + pool[r.IntN(len(pool))] + pool[r.IntN(len(pool))])
}

// familyIndex draws a family name by its frequency.
func (g *Generator) familyIndex(r *rand.Rand) int {
	return pick(g.famCum, r.IntN(g.famCum[len(g.famCum)-1]))
}
