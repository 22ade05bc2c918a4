package synth

import (
	"github.com/gridcast/gridcast/population"
)

// resident turns a household member into a resident: name, identity,
// contact details, categories, skills and preferences.
func (s *stream) resident(m *member, grid string, addr population.Address) population.Resident {
	g, r := s.g, s.r
	birth, id := s.identity(m)
	res := population.Resident{
		Name:      g.name(r, m.male, birth.Year(), m.family),
		Gender:    population.Female,
		BirthDate: birth,
		IDNumber:  id,
		Address:   addr,
		GridCode:  grid,
	}
	if m.male {
		res.Gender = population.Male
	}
	age := m.age
	working := age >= 18 && age < 60
	disabled := m.flags&fDisabled != 0

	// Employment: unemployment is highest among the young and the
	// over-45s, and three times as high for disabled people.
	var unemployed, hardToEmploy, trainee bool
	if working {
		p := 35
		switch {
		case age < 25:
			p = 75
		case age >= 45:
			p = 50
		}
		if disabled {
			p *= 3
		}
		unemployed = r.IntN(1000) < p
		switch {
		case unemployed && (age >= 40 || disabled):
			hardToEmploy = r.IntN(100) < 28
		case unemployed:
			hardToEmploy = r.IntN(100) < 8
		case disabled:
			hardToEmploy = r.IntN(100) < 4
		}
		switch {
		case unemployed:
			trainee = r.IntN(100) < 25
		case age < 36:
			trainee = r.IntN(1000) < 12
		default:
			trainee = r.IntN(1000) < 5
		}
	}

	var cats [10]population.Category
	nc := 0
	addCat := func(ok bool, c population.Category) {
		if ok {
			cats[nc] = c
			nc++
		}
	}
	addCat(unemployed, population.Unemployed)
	addCat(hardToEmploy, population.HardToEmploy)
	addCat(trainee, population.Trainee)
	addCat(m.flags&fElderlyAlone != 0, population.ElderlyAlone)
	addCat(m.flags&fEmptyNest != 0, population.EmptyNest)
	addCat(m.flags&fSubsistence != 0, population.Subsistence)
	addCat(disabled, population.Disabled)
	addCat(m.flags&fGuardian != 0, population.LeftBehindGuardian)
	addCat(m.flags&fFloating != 0, population.Floating)
	addCat(m.flags&fNewResident != 0, population.NewResident)
	if nc > 0 {
		res.Categories = append([]population.Category(nil), cats[:nc]...)
	}

	// Skills for working age (and a few past it); desired jobs for those
	// looking for work, mostly matching a skill.
	sex := 0
	if !m.male {
		sex = 1
	}
	var sk [3]int
	ns := 0
	if age >= 18 && age < 65 {
		x := r.IntN(100)
		switch {
		case age >= 60 && x < 80, x < 35:
		case x < 70:
			ns = 1
		case x < 90:
			ns = 2
		default:
			ns = 3
		}
		ns = s.distinctSkills(sk[:ns], sex)
		if ns > 0 {
			res.Skills = make([]string, ns)
			for i := range ns {
				res.Skills[i] = skills[sk[i]].name
			}
		}
	}
	if working && (unemployed || trainee || hardToEmploy || r.IntN(100) < 8) {
		var jobs [3]int
		nj := 1 + r.IntN(3)
		if !unemployed && !trainee && !hardToEmploy {
			nj = 1
		}
		start := 0
		if ns > 0 && r.IntN(100) < 65 {
			jobs[0] = sk[0]
			start = 1
		}
		nj = start + s.distinctSkills(jobs[start:nj], sex, jobs[:start]...)
		if nj == 0 { // every draw clashed: fall back to the commonest trade
			jobs[0], nj = 0, 1
		}
		res.DesiredJobs = make([]string, nj)
		for i := range nj {
			res.DesiredJobs[i] = skills[jobs[i]].name
		}
		if trainee {
			res.TrainingCourse = skills[jobs[0]].course
			res.TrainingCohort = g.cohorts[r.IntN(len(g.cohorts))]
		}
	}

	// Contact: children under 10 have no phone of their own, 3% of the
	// elderly none at all. WeChat is bound by two thirds of the 14–59s and
	// a quarter of the 60+.
	if age >= 10 && (age < 60 || r.IntN(100) >= 3) {
		res.Phone = g.phones.phone(uint64(s.i))
	}
	bound := false
	switch {
	case age < 14:
	case age < 60:
		bound = r.IntN(1000) < 740
	default:
		bound = res.Phone != "" && r.IntN(1000) < 258
	}
	if bound {
		res.OpenID = g.openIDs.openID(uint64(s.i))
	}
	x := r.IntN(100)
	switch {
	case bound && x < 15:
		res.PreferredChannel = population.ChannelWeChat
	case res.Phone != "" && x >= 95:
		res.PreferredChannel = population.ChannelSMS
	}

	// Opt-outs: a few have had enough of everything, more of job postings.
	switch x := r.IntN(1000); {
	case x < 10:
		res.OptOuts = []population.Topic{population.TopicAll}
	case x < 40 && working:
		res.OptOuts = []population.Topic{population.TopicJob}
	case x < 45:
		res.OptOuts = []population.Topic{population.TopicPolicy}
	case x < 50:
		res.OptOuts = []population.Topic{population.TopicTraining}
	}
	return res
}

// distinctSkills fills dst with distinct skill indexes drawn by the
// weights of sex, different from those in taken, and returns how many it
// found (a few draws each, so a rare clash just shortens the list).
func (s *stream) distinctSkills(dst []int, sex int, taken ...int) int {
	cum := s.g.skillCum[sex]
	n := 0
	for tries := 0; n < len(dst) && tries < 4*len(dst); tries++ {
		k := pick(cum, s.r.IntN(cum[len(cum)-1]))
		dup := false
		for _, t := range taken {
			dup = dup || t == k
		}
		for _, t := range dst[:n] {
			dup = dup || t == k
		}
		if !dup {
			dst[n] = k
			n++
		}
	}
	return n
}
