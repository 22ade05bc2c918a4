package store

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"slices"
	"strings"
	"time"

	"github.com/gridcast/gridcast/pii"
	"github.com/gridcast/gridcast/population"
)

// prepared is a resident on its way in: validated, completed from its ID
// number, its lists normalized, and the ID number reduced to what the store
// keeps (hash, sealed copy, masked form). The clear ID goes no further.
type prepared struct {
	r           population.Resident // IDNumber cleared
	idHash      string
	sealed      []byte
	masked      string
	contentHash string
	categories  []string
	skills      []string
	jobs        []string
	optOuts     []string
}

// prepare validates r and computes what the store writes for it.
func (s *Store) prepare(r population.Resident, h hash.Hash) (prepared, error) {
	if err := checkResident(&r); err != nil {
		return prepared{}, err
	}
	if r.BirthDate.IsZero() {
		r.BirthDate, _ = r.IDNumber.BirthDate()
	}
	r.BirthDate = time.Date(r.BirthDate.Year(), r.BirthDate.Month(), r.BirthDate.Day(), 0, 0, 0, 0, time.UTC)
	if r.Gender == "" {
		r.Gender = population.Male
		if r.IDNumber.Female() {
			r.Gender = population.Female
		}
	}
	p := prepared{
		idHash:     s.sealer.Hash(r.IDNumber),
		sealed:     s.sealer.Seal(r.IDNumber),
		masked:     r.IDNumber.Masked(),
		categories: normList(r.Categories),
		skills:     normList(r.Skills),
		jobs:       normList(r.DesiredJobs),
		optOuts:    normList(r.OptOuts),
	}
	r.IDNumber = ""
	p.r = r
	p.contentHash = contentHash(h, &p)
	return p, nil
}

// normList trims, drops empties, sorts and de-duplicates a list, which is
// the order the store hands lists back in.
func normList[T ~string](in []T) []string {
	if len(in) == 0 {
		return nil
	}
	out := make([]string, 0, len(in))
	for _, v := range in {
		if t := strings.TrimSpace(string(v)); t != "" {
			out = append(out, t)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// contentHash digests every imported field, so that re-importing an
// identical row is recognized and leaves the stored row (and updated_at)
// alone. The openid counts only when the import carries one: an import
// never unbinds WeChat.
func contentHash(h hash.Hash, p *prepared) string {
	if h == nil {
		h = sha256.New()
	}
	h.Reset()
	r := &p.r
	field := func(s string) {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	list := func(vs []string) {
		for _, v := range vs {
			h.Write([]byte(v))
			h.Write([]byte{0x1f})
		}
		h.Write([]byte{0})
	}
	field("v1")
	field(string(r.Name))
	field(string(r.Gender))
	field(r.BirthDate.Format(time.DateOnly))
	field(string(r.Phone))
	field(r.Address.Community)
	field(r.Address.Building)
	field(r.Address.Unit)
	field(r.Address.Room)
	field(r.GridCode)
	list(p.categories)
	list(p.skills)
	list(p.jobs)
	field(r.TrainingCourse)
	field(r.TrainingCohort)
	field(string(r.PreferredChannel))
	list(p.optOuts)
	field(string(r.OpenID))
	var sum [sha256.Size]byte
	return hex.EncodeToString(h.Sum(sum[:0]))
}

// checkResident normalizes r's ID number and checks r as the store will
// write it.
func checkResident(r *population.Resident) error {
	r.IDNumber = pii.NormalizeIDNumber(string(r.IDNumber))
	if err := r.Validate(); err != nil {
		return err
	}
	for _, t := range r.OptOuts {
		if _, err := population.ParseTopic(string(t)); err != nil {
			return fmt.Errorf("optouts: %w", err)
		}
	}
	return nil
}
