package main

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/gridcast/gridcast/population"
	"github.com/gridcast/gridcast/segments"
)

// maskedResident is how a resident appears on screens that do not need the
// clear personal data: name, phone, ID number and openid masked.
type maskedResident struct {
	ID         int64    `json:"id"`
	Name       string   `json:"name"`
	Gender     string   `json:"gender"`
	Age        int      `json:"age"`
	IDNumber   string   `json:"id_number"`
	Phone      string   `json:"phone"`
	Grid       string   `json:"grid"`
	Address    string   `json:"address"`
	Categories []string `json:"categories"`
	Skills     []string `json:"skills,omitempty"`
	Jobs       []string `json:"desired_jobs,omitempty"`
	WeChat     bool     `json:"wechat_bound"`
	OptOuts    []string `json:"opt_outs,omitempty"`
	// The living record (活户籍); the health note masked.
	Status   string `json:"status"`
	Living   string `json:"living,omitempty"`
	SelfCare string `json:"selfcare,omitempty"`
	Health   string `json:"health,omitempty"`
	Relation string `json:"relation,omitempty"`
}

func newMaskedResident(r population.Resident, now time.Time) maskedResident {
	m := maskedResident{
		ID: r.ID, Name: r.Name.Masked(), Gender: string(r.Gender), Age: r.Age(now),
		IDNumber: r.IDMasked, Phone: r.Phone.Masked(), Grid: r.GridCode, Address: maskRoom(r.Address),
		Skills: r.Skills, Jobs: r.DesiredJobs, WeChat: r.OpenID != "",
		Status: r.Value(population.FieldStatus), Living: string(r.Living), SelfCare: string(r.SelfCare),
		Health: r.Health.Masked(), Relation: string(r.Relation),
	}
	if m.IDNumber == "" {
		m.IDNumber = r.IDNumber.Masked()
	}
	for _, c := range r.Categories {
		m.Categories = append(m.Categories, string(c))
	}
	for _, t := range r.OptOuts {
		m.OptOuts = append(m.OptOuts, string(t))
	}
	return m
}

// maskRoom keeps the estate and building but hides the room, enough for a
// screen that lists a segment.
func maskRoom(a population.Address) string {
	a.Room = "***"
	return a.String()
}

func printResidents(w io.Writer, rs []population.Resident, now time.Time) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tSEX\tAGE\tPHONE\tID NUMBER\tGRID\tCATEGORIES\tSKILLS\tWECHAT")
	for _, r := range rs {
		m := newMaskedResident(r, now)
		wechat := "-"
		if m.WeChat {
			wechat = "bound"
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%d\t%s\t%s\t%s\t%s\t%s\t%s\n", m.ID, m.Name, m.Gender, m.Age, m.Phone, m.IDNumber,
			m.Grid, strings.Join(m.Categories, ","), strings.Join(m.Skills, ","), wechat)
	}
	_ = tw.Flush()
}

func asSegqlError(err error) (*segments.Error, bool) {
	var pe *segments.Error
	ok := errors.As(err, &pe)
	return pe, ok
}
