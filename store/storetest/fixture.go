package storetest

import (
	"fmt"
	"slices"
	"time"

	"github.com/gridcast/gridcast/pii"
	"github.com/gridcast/gridcast/population"
)

// Grids is the hierarchy the suite loads: one district, two streets, a
// community under each and two grids in the first community.
var Grids = []population.Grid{
	{Code: "NY", Name: "南岳区", Level: population.LevelDistrict},
	{Code: "NY-01", Name: "东街道", Level: population.LevelStreet, ParentCode: "NY"},
	{Code: "NY-02", Name: "西街道", Level: population.LevelStreet, ParentCode: "NY"},
	{Code: "NY-01-01", Name: "桃园社区", Level: population.LevelCommunity, ParentCode: "NY-01"},
	{Code: "NY-02-01", Name: "柳岸社区", Level: population.LevelCommunity, ParentCode: "NY-02"},
	{Code: "NY-01-01-01", Name: "第一网格", Level: population.LevelGrid, ParentCode: "NY-01-01"},
	{Code: "NY-01-01-02", Name: "第二网格", Level: population.LevelGrid, ParentCode: "NY-01-01"},
	{Code: "NY-02-01-01", Name: "柳岸第一网格", Level: population.LevelGrid, ParentCode: "NY-02-01"},
}

// residentGrids are the grids residents live in.
var residentGrids = []string{"NY-01-01-01", "NY-01-01-02", "NY-02-01-01"}

// IDNumber returns a valid ID number for person i: a fixed area code, a
// birth date spread over 1940–2005 and a sequence whose parity sets gender.
func IDNumber(i int) pii.IDNumber {
	birth := time.Date(1940+i%66, time.Month(1+i%12), 1+i%28, 0, 0, 0, 0, time.UTC)
	first := fmt.Sprintf("320102%s%03d", birth.Format("20060102"), i%1000)
	return pii.IDNumber(first + string(pii.CheckDigit(first)))
}

// Resident returns a deterministic, valid resident number i (from 0): every
// third unemployed, every fifth elderly living alone, some with skills,
// jobs, a training course, a preferred channel; four residents per
// household address. BirthDate and Gender are left for the store to fill.
func Resident(i int) population.Resident {
	r := population.Resident{
		Name:     pii.Name(fmt.Sprintf("居民%d", i)),
		IDNumber: IDNumber(i),
		Phone:    pii.Phone(fmt.Sprintf("139%08d", i)),
		GridCode: residentGrids[i%len(residentGrids)],
		Address: population.Address{
			Community: "桃园小区",
			Building:  fmt.Sprint(1 + i/40),
			Unit:      fmt.Sprint(1 + i/4%10),
			Room:      fmt.Sprint(101 + i%len(residentGrids)*100),
		},
	}
	if i%3 == 0 {
		r.Categories = append(r.Categories, population.Unemployed)
		r.Skills = []string{"电工", "焊工"}
		r.DesiredJobs = []string{"保安"}
	}
	if i%5 == 0 {
		r.Categories = append(r.Categories, population.ElderlyAlone)
	}
	if i%7 == 0 {
		r.TrainingCourse, r.TrainingCohort = "电工初级", "2024-03"
		r.PreferredChannel = population.ChannelSMS
	}
	return r
}

// expected is what the store hands back for r (stored with id): the ID
// number replaced by its masked form, birth date and gender filled from it,
// lists sorted.
func expected(r population.Resident, id int64) population.Resident {
	r.ID = id
	r.IDMasked = r.IDNumber.Masked()
	if r.BirthDate.IsZero() {
		r.BirthDate, _ = r.IDNumber.BirthDate()
	}
	if r.Gender == "" {
		r.Gender = population.Male
		if r.IDNumber.Female() {
			r.Gender = population.Female
		}
	}
	r.IDNumber = ""
	slices.Sort(r.Categories)
	slices.Sort(r.Skills)
	slices.Sort(r.DesiredJobs)
	slices.Sort(r.OptOuts)
	return r
}
