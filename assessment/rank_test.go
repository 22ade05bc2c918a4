package assessment_test

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/gridcast/gridcast/assessment"
	"github.com/gridcast/gridcast/fault"
	"github.com/gridcast/gridcast/population"
)

var (
	grid6   = assessment.Unit{Code: "NY-03-06", Name: "第六网格"}
	peace   = community
	harmony = assessment.Unit{Code: "NY-04", Name: "和谐社区"}
	grid41  = assessment.Unit{Code: "NY-04-01", Name: "第一网格"}
)

// scored is a score as Month would leave it, for ranking.
func scored(s *assessment.Scorer, p assessment.Period, id int64, grid, comm assessment.Unit, points float64) assessment.Score {
	return assessment.Score{
		Period: p, Worker: assessment.Worker{ID: id, Code: "W" + string(rune('0'+id))},
		Grid: grid, Community: comm, Street: street, Points: points, Grade: s.GradeOf(points),
	}
}

// november is a street of two communities and three grids.
func november(s *assessment.Scorer) []assessment.Score {
	nov := month(2026, 11)
	return []assessment.Score{
		scored(s, nov, 6, grid41, harmony, 55),
		scored(s, nov, 1, grid5, peace, 92),
		scored(s, nov, 3, grid6, peace, 85.5),
		scored(s, nov, 2, grid5, peace, 85.5),
		scored(s, nov, 5, grid41, harmony, 92),
		scored(s, nov, 4, grid6, peace, 70),
	}
}

// sheet is a group as a test reads it: the unit, its rank and average,
// each worker's code and rank, and the grade counts.
type sheet struct {
	Unit    string
	Rank    int
	Average float64
	Workers []string
	Grades  map[string]int
}

func sheets(gs []assessment.Group) []sheet {
	var out []sheet
	for _, g := range gs {
		s := sheet{Unit: g.Unit.Code, Rank: g.Rank, Average: g.Average, Grades: map[string]int{}}
		for _, w := range g.Workers {
			s.Workers = append(s.Workers, w.Worker.Code+"#"+string(rune('0'+w.Rank)))
		}
		for _, c := range g.Grades {
			s.Grades[c.Grade.Label] = c.Count
		}
		out = append(out, s)
	}
	return out
}

func TestRank(t *testing.T) {
	t.Parallel()
	s := scorer(t)
	for _, tc := range []struct {
		level population.Level
		want  []sheet
	}{
		{population.LevelStreet, []sheet{
			// 92, 92 share 1st; 85.5, 85.5 share 3rd; then 5th and 6th.
			// (92 + 92 + 85.5 + 85.5 + 70 + 55) / 6 = 480 / 6 = 80.0
			{"NY", 1, 80, []string{"W1#1", "W5#1", "W2#3", "W3#3", "W4#5", "W6#6"}, map[string]int{"优秀": 2, "合格": 3, "不合格": 1}},
		}},
		{population.LevelCommunity, []sheet{
			// (92 + 85.5 + 85.5 + 70) / 4 = 83.25 → 83.3
			{"NY-03", 1, 83.3, []string{"W1#1", "W2#2", "W3#2", "W4#4"}, map[string]int{"优秀": 1, "合格": 3, "不合格": 0}},
			// (92 + 55) / 2 = 73.5
			{"NY-04", 2, 73.5, []string{"W5#1", "W6#2"}, map[string]int{"优秀": 1, "合格": 0, "不合格": 1}},
		}},
		{population.LevelGrid, []sheet{
			{"NY-03-05", 1, 88.8, []string{"W1#1", "W2#2"}, map[string]int{"优秀": 1, "合格": 1, "不合格": 0}}, // 88.75 → 88.8
			{"NY-03-06", 2, 77.8, []string{"W3#1", "W4#2"}, map[string]int{"优秀": 0, "合格": 2, "不合格": 0}}, // 77.75 → 77.8
			{"NY-04-01", 3, 73.5, []string{"W5#1", "W6#2"}, map[string]int{"优秀": 1, "合格": 0, "不合格": 1}}, // 73.5
		}},
	} {
		t.Run(string(tc.level), func(t *testing.T) {
			gs, err := s.Rank(november(s), tc.level)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, sheets(gs)); diff != "" {
				t.Errorf("Rank by %s (-want +got):\n%s", tc.level, diff)
			}
			for _, g := range gs {
				if g.Level != tc.level || g.Unit.Name == "" {
					t.Errorf("group %+v: level or name missing", g.Unit)
				}
			}
		})
	}
}

func TestRankUnitsTie(t *testing.T) {
	t.Parallel()
	s := scorer(t)
	nov := month(2026, 11)
	gs, err := s.Rank([]assessment.Score{
		scored(s, nov, 1, grid6, peace, 70), scored(s, nov, 2, grid5, peace, 80),
		scored(s, nov, 3, grid41, harmony, 80), scored(s, nov, 4, grid5, peace, 80),
	}, population.LevelGrid)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, g := range gs {
		got = append(got, g.Unit.Code+"#"+string(rune('0'+g.Rank)))
	}
	if diff := cmp.Diff([]string{"NY-03-05#1", "NY-04-01#1", "NY-03-06#3"}, got); diff != "" {
		t.Errorf("grids (-want +got):\n%s", diff)
	}
}

func TestRankRefusesOtherLevels(t *testing.T) {
	t.Parallel()
	s := scorer(t)
	for _, l := range []population.Level{population.LevelDistrict, population.LevelUnit, "社区"} {
		if _, err := s.Rank(november(s), l); !errors.Is(err, fault.ErrInvalid) {
			t.Errorf("Rank by %q = %v; want invalid", l, err)
		}
		if _, err := s.Trends(november(s), nil, l); !errors.Is(err, fault.ErrInvalid) {
			t.Errorf("Trends by %q = %v; want invalid", l, err)
		}
	}
	if gs, err := s.Rank(nil, population.LevelStreet); err != nil || len(gs) != 0 {
		t.Errorf("Rank(nil) = %v, %v; want nothing", gs, err)
	}
}

func TestTrends(t *testing.T) {
	t.Parallel()
	s := scorer(t)
	oct := month(2026, 10)
	october := []assessment.Score{
		scored(s, oct, 1, grid5, peace, 80),
		scored(s, oct, 2, grid5, peace, 90),
		scored(s, oct, 3, grid5, peace, 85.5), // in grid 5 then, grid 6 now
		scored(s, oct, 5, grid41, harmony, 92),
		scored(s, oct, 6, grid41, harmony, 61.2),
		// worker 4 was not in post in October
	}
	type row struct {
		Code             string
		Rank             int
		HasPrev          bool
		PrevRank         int
		Change           float64
		RankChange       int
		Moved            bool
		Grade, PrevGrade string
	}
	for _, tc := range []struct {
		level population.Level
		want  []row
	}{
		{population.LevelCommunity, []row{
			// NY-03 in October: W2 90 (1), W3 85.5 (2), W1 80 (3).
			{"W1", 1, true, 3, 12, 2, false, "优秀", "合格"},
			{"W2", 2, true, 1, -4.5, -1, false, "合格", "优秀"},
			{"W3", 2, true, 2, 0, 0, false, "合格", "合格"},
			{"W4", 4, false, 0, 0, 0, false, "合格", ""},
			{"W5", 1, true, 1, 0, 0, false, "优秀", "优秀"},
			{"W6", 2, true, 2, -6.2, 0, false, "不合格", "合格"},
		}},
		{population.LevelGrid, []row{
			{"W1", 1, true, 3, 12, 2, false, "优秀", "合格"},
			{"W2", 2, true, 1, -4.5, -1, false, "合格", "优秀"},
			{"W3", 1, true, 2, 0, 1, true, "合格", "合格"}, // moved from grid 5 (2nd) to grid 6 (1st)
			{"W4", 2, false, 0, 0, 0, false, "合格", ""},
			{"W5", 1, true, 1, 0, 0, false, "优秀", "优秀"},
			{"W6", 2, true, 2, -6.2, 0, false, "不合格", "合格"},
		}},
	} {
		t.Run(string(tc.level), func(t *testing.T) {
			ts, err := s.Trends(november(s), october, tc.level)
			if err != nil {
				t.Fatal(err)
			}
			var got []row
			for _, tr := range ts {
				got = append(got, row{tr.Worker.Code, tr.Rank, tr.HasPrev, tr.Prev.Rank, tr.Change, tr.RankChange, tr.Moved, tr.Grade.Label, tr.Prev.Grade.Label})
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Trends by %s (-want +got):\n%s", tc.level, diff)
			}
		})
	}
}
