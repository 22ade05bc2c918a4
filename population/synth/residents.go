package synth

import (
	"math/rand/v2"
	"time"

	"github.com/gridcast/gridcast/pii"
	"github.com/gridcast/gridcast/population"
)

// maxHousehold is the largest household generated.
const maxHousehold = 5

// Household kinds. The weights (per ~300 households, one grid) are tuned so
// that a grid holds ~1,000 people, ~20% of them 60 or over, ~9% of the 65+
// living alone and ~20% of the 60+ in empty-nest couples.
type kind int

const (
	kElderlyAlone        kind = iota // one person 65+, 独居老人
	kElderlyCouple                   // two people 60+, 空巢老人
	kSingle                          // one working-age adult
	kCouple                          // a working-age couple, no children at home
	kCoupleChild                     // parents and one child
	kCoupleTwoChildren               // parents and two children
	kThreeGen                        // a grandparent, parents, a child
	kThreeGenTwoGrand                // two grandparents, parents, a child
	kThreeGenTwoKids                 // a grandparent, parents, two children
	kElderAndAdultChild              // an elderly parent and an adult child
	kElderCoupleAndAdult             // an elderly couple and an adult child
	kLeftBehind                      // grandparents raising grandchildren, 留守
	kSingleParent                    // one parent and a child
	kShared                          // unrelated working-age adults sharing a flat
	numKinds
)

var kindWeights = [numKinds]int{
	kElderlyAlone:        14,
	kElderlyCouple:       22,
	kSingle:              14,
	kCouple:              12,
	kCoupleChild:         62,
	kCoupleTwoChildren:   36,
	kThreeGen:            40,
	kThreeGenTwoGrand:    42,
	kThreeGenTwoKids:     12,
	kElderAndAdultChild:  14,
	kElderCoupleAndAdult: 16,
	kLeftBehind:          6,
	kSingleParent:        9,
	kShared:              14,
}

// floatingShare is the chance, in percent, that a household of a kind is a
// floating (流动人口) household: registered elsewhere, mostly renting.
var floatingShare = [numKinds]int{
	kSingle: 55, kCouple: 35, kCoupleChild: 20, kCoupleTwoChildren: 15,
	kThreeGen: 3, kSingleParent: 12, kShared: 90,
}

var kindCum = cumulative(kindWeights[:])

// elderBands is the age distribution of people 60 and over (2020 census):
// weights of the bands 60–64, 65–69 … 85–89, 90–99.
var (
	elderBandStart = []int{60, 65, 70, 75, 80, 85, 90}
	elderBandWidth = []int{5, 5, 5, 5, 5, 5, 10}
	elderBandCum   = cumulative([]int{270, 270, 180, 130, 85, 45, 20})
)

// Member flags: what the household says about each member.
const (
	fElderlyAlone = 1 << iota
	fEmptyNest
	fGuardian
	fFloating
	fNewResident
	fSubsistence
	fDisabled
	fMigrant // born elsewhere: the ID number carries another area code
)

// member is one person of a household being built.
type member struct {
	age    int
	male   bool
	family int // index into familyNames; -1 draws one
	flags  int
}

// stream is one pass over the residents. Every household draws from the
// PCG reseeded from the seed and the household's number, so the stream is
// the same on every pass.
type stream struct {
	g   *Generator
	pcg rand.PCG
	r   *rand.Rand

	i      int // residents produced
	cell   int // current cell in g.cells
	inCell int // residents produced in the current cell
	hh     int // households started in the current cell
	hhAll  uint64
	ids    [2][2]uint64 // ID counters by [local 0, migrant 1][male 0, female 1]

	mem    [maxHousehold]member
	buf    [maxHousehold]population.Resident
	n, pos int
}

func (g *Generator) newStream() *stream {
	s := &stream{g: g}
	s.r = rand.New(&s.pcg)
	return s
}

// next returns the next resident, generating a household when the last one
// is used up.
func (s *stream) next() (population.Resident, bool) {
	if s.pos >= s.n && !s.fill() {
		return population.Resident{}, false
	}
	r := s.buf[s.pos]
	s.pos++
	return r, true
}

// fill generates the next household into s.buf; false at the end.
func (s *stream) fill() bool {
	g := s.g
	if s.i >= g.cfg.Residents {
		s.n, s.pos = 0, 0
		return false
	}
	for s.inCell >= g.cells[s.cell].pop {
		s.cell++
		s.inCell, s.hh = 0, 0
	}
	c := &g.cells[s.cell]
	s.pcg.Seed(mix64(g.seed^0x5eed), mix64(s.hhAll^mix64(g.seed)))
	s.hhAll++
	n := s.household(c.pop - s.inCell)
	addr := g.address(c, s.hh)
	s.hh++
	for k := range n {
		s.buf[k] = s.resident(&s.mem[k], c.code, addr)
		s.i++
	}
	s.inCell += n
	s.n, s.pos = n, 0
	return true
}

// household builds the members of one household of at most room people
// into s.mem and returns how many there are.
func (s *stream) household(room int) int {
	r := s.r
	var k kind
	n := 0
	for try := 0; ; try++ {
		k = kind(pick(kindCum, r.IntN(kindCum[len(kindCum)-1])))
		if try >= 20 {
			k = kSingle
		}
		if n = s.build(k); n <= room {
			break
		}
	}
	m := s.mem[:n]

	switch {
	case r.IntN(100) < floatingShare[k]:
		for i := range m {
			m[i].flags |= fMigrant
			if m[i].age >= 16 && m[i].age < 60 {
				m[i].flags |= fFloating
			}
		}
	case r.IntN(1000) < 35:
		migrant := r.IntN(2) == 0
		for i := range m {
			m[i].flags |= fNewResident
			if migrant {
				m[i].flags |= fMigrant
			}
		}
	default:
		for i := range m {
			if r.IntN(100) < 12 {
				m[i].flags |= fMigrant
			}
		}
	}

	subsistence := 12
	for i := range m {
		if r.IntN(1000) < disabledPerMille(m[i].age) {
			m[i].flags |= fDisabled
			subsistence += 35
		}
		if m[i].flags&fElderlyAlone != 0 {
			subsistence += 30
		}
	}
	if r.IntN(1000) < subsistence {
		for i := range m {
			m[i].flags |= fSubsistence
		}
	}
	return n
}

// disabledPerMille is the share of people with a registered disability by
// age, which rises steeply after 60.
func disabledPerMille(age int) int {
	switch {
	case age < 18:
		return 12
	case age < 45:
		return 35
	case age < 60:
		return 65
	case age < 80:
		return 115
	default:
		return 200
	}
}

// build fills s.mem with the members of a household of kind k.
func (s *stream) build(k kind) int {
	r := s.r
	fam := s.g.familyIndex(r)
	n := 0
	add := func(age int, male bool, family, flags int) {
		s.mem[n] = member{age: max(0, age), male: male, family: family, flags: flags}
		n++
	}
	// couple adds a man and a woman of about age a; the husband carries the
	// household's family name.
	couple := func(a, flags int) {
		add(a+r.IntN(5)-1, true, fam, flags)
		add(a, false, -1, flags)
	}
	child := func(parent int) {
		add(r.IntN(min(max(parent-21, 1), 27)), r.IntN(100) < 52, childFamily(r, fam), 0)
	}
	switch k {
	case kElderlyAlone:
		add(elderAge(r, 65), r.IntN(100) < 35, -1, fElderlyAlone)
	case kElderlyCouple:
		a := elderAge(r, 60)
		add(a, true, fam, 0)
		add(a-r.IntN(5), false, -1, 0)
		for i := range n {
			if s.mem[i].age >= 60 {
				s.mem[i].flags |= fEmptyNest
			}
		}
	case kSingle:
		a := 20 + r.IntN(16)
		if r.IntN(100) < 40 {
			a = 36 + r.IntN(24)
		}
		add(a, r.IntN(100) < 55, fam, 0)
	case kCouple:
		a := 22 + r.IntN(14)
		if r.IntN(2) == 0 {
			a = 45 + r.IntN(14)
		}
		couple(a, 0)
	case kCoupleChild, kCoupleTwoChildren:
		a := 26 + r.IntN(30)
		couple(a, 0)
		child(a)
		if k == kCoupleTwoChildren {
			child(a)
		}
	case kThreeGen, kThreeGenTwoGrand, kThreeGenTwoKids:
		a := 28 + r.IntN(23)
		gp := a + 24 + r.IntN(10)
		add(gp, r.IntN(100) < 40, fam, 0)
		if k == kThreeGenTwoGrand {
			s.mem[0].male = true
			add(gp-r.IntN(5), false, -1, 0)
		}
		couple(a, 0)
		child(a)
		if k == kThreeGenTwoKids {
			child(a)
		}
	case kElderAndAdultChild:
		a := elderAge(r, 65)
		add(a, r.IntN(100) < 35, fam, 0)
		add(min(a-24-r.IntN(12), 62), r.IntN(2) == 0, fam, 0)
	case kElderCoupleAndAdult:
		a := elderAge(r, 60)
		add(a, true, fam, 0)
		add(a-r.IntN(5), false, -1, 0)
		add(a-24-r.IntN(12), r.IntN(2) == 0, fam, 0)
	case kLeftBehind:
		a := 55 + r.IntN(22)
		add(a, r.IntN(100) < 40, fam, fGuardian)
		if r.IntN(2) == 0 {
			s.mem[0].male = true
			add(a-r.IntN(5), false, -1, fGuardian)
		}
		for range 1 + r.IntN(2) {
			add(3+r.IntN(13), r.IntN(100) < 52, fam, 0)
		}
	case kSingleParent:
		a := 28 + r.IntN(23)
		add(a, r.IntN(100) < 25, -1, 0)
		child(a)
	case kShared:
		for range 2 + r.IntN(4) {
			add(18+r.IntN(23), r.IntN(100) < 60, -1, 0)
		}
	}
	return n
}

// childFamily is the family name a child carries: the father's, mostly.
func childFamily(r *rand.Rand, fam int) int {
	if r.IntN(100) < 94 {
		return fam
	}
	return -1
}

// elderAge draws an age of at least from (60, 65 or 70) from the census
// shape of the elderly population.
func elderAge(r *rand.Rand, from int) int {
	lo := 0
	for elderBandStart[lo]+elderBandWidth[lo] <= from {
		lo++
	}
	base := 0
	if lo > 0 {
		base = elderBandCum[lo-1]
	}
	b := pick(elderBandCum, base+r.IntN(elderBandCum[len(elderBandCum)-1]-base))
	return elderBandStart[b] + r.IntN(elderBandWidth[b])
}

// identity returns the birth date and ID number of a member, drawing the
// next key of the member's ID space: the local one, or the one of other
// cities for migrants (and for locals once the local space is used up).
func (s *stream) identity(m *member) (time.Time, pii.IDNumber) {
	g := s.g
	sex := 0
	if !m.male {
		sex = 1
	}
	space, pool := &g.local, 0
	if m.flags&fMigrant != 0 || s.ids[0][sex] >= g.local.m {
		space, pool = &g.migrant, 1
	}
	c := s.ids[pool][sex]
	s.ids[pool][sex]++
	area, day, seq := space.key(c)
	month, dom := monthDay(day)
	now := g.cfg.Now
	year := now.Year() - m.age
	if month > int(now.Month()) || (month == int(now.Month()) && dom > now.Day()) {
		year--
	}
	birth := time.Date(year, time.Month(month), dom, 0, 0, 0, 0, time.UTC)
	return birth, idNumber(area, year, month, dom, seq, m.male)
}
