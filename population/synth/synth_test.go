package synth

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/gridcast/gridcast/population"
)

func mustNew(t testing.TB, cfg Config) *Generator {
	t.Helper()
	g, err := New(cfg)
	if err != nil {
		t.Fatalf("New(%+v): %v", cfg, err)
	}
	return g
}

func first(g *Generator, n int) []population.Resident {
	var out []population.Resident
	for r := range g.Residents() {
		if len(out) == n {
			break
		}
		out = append(out, r)
	}
	return out
}

func TestDeterminism(t *testing.T) {
	t.Parallel()
	cfg := Config{Residents: 5_000, Seed: 42}
	a, b := mustNew(t, cfg), mustNew(t, cfg)
	if diff := cmp.Diff(first(a, 1000), first(b, 1000)); diff != "" {
		t.Errorf("same seed, residents differ (-first +second):\n%s", diff)
	}
	if diff := cmp.Diff(a.Population(), b.Population()); diff != "" {
		t.Errorf("same seed, hierarchy or workers differ (-first +second):\n%s", diff)
	}
	if diff := cmp.Diff(first(a, 1000), first(a, 1000)); diff != "" {
		t.Errorf("second pass over Residents differs (-first +second):\n%s", diff)
	}

	var pulled []population.Resident
	for r, ok := a.Next(); ok; r, ok = a.Next() {
		pulled = append(pulled, r)
	}
	if diff := cmp.Diff(first(a, cfg.Residents), pulled); diff != "" {
		t.Errorf("Next and Residents disagree (-Residents +Next):\n%s", diff)
	}
	var byHousehold []population.Resident
	for hh := range a.Households() {
		byHousehold = append(byHousehold, hh...)
	}
	if diff := cmp.Diff(pulled, byHousehold); diff != "" {
		t.Errorf("Households and Next disagree (-Next +Households):\n%s", diff)
	}
	a.Reset()
	if r, _ := a.Next(); !cmp.Equal(r, pulled[0]) {
		t.Errorf("after Reset, Next = %v, want the first resident %v", r.Name, pulled[0].Name)
	}

	other := mustNew(t, Config{Residents: 5_000, Seed: 43})
	if cmp.Equal(first(a, 1000), first(other, 1000)) {
		t.Error("seeds 42 and 43 give the same residents")
	}
	// Growing the population keeps the hierarchy's first grids' codes.
	small := mustNew(t, Config{Residents: 1000, Seed: 42})
	if got := first(small, 1)[0].GridCode; got != "NY-01-01-01" {
		t.Errorf("first resident's grid = %q, want NY-01-01-01", got)
	}
}

func TestValid(t *testing.T) {
	t.Parallel()
	cfg := Config{Residents: 20_000, Seed: 3, Now: time.Date(2026, 6, 15, 0, 0, 0, 0, time.UTC)}
	g := mustNew(t, cfg)
	pop := g.Population()

	grids := map[string]population.Grid{}
	for _, gr := range pop.Grids {
		if err := gr.Validate(); err != nil {
			t.Errorf("grid: %v", err)
		}
		if _, dup := grids[gr.Code]; dup {
			t.Errorf("grid code %s twice", gr.Code)
		}
		if _, ok := grids[gr.ParentCode]; gr.ParentCode != "" && !ok {
			t.Errorf("grid %s: parent %s missing or listed after it", gr.Code, gr.ParentCode)
		}
		if p := grids[gr.ParentCode]; gr.ParentCode != "" && p.Level.Depth() != gr.Level.Depth()-1 {
			t.Errorf("grid %s (%s): parent %s is a %s", gr.Code, gr.Level, p.Code, p.Level)
		}
		grids[gr.Code] = gr
	}

	phones := map[string]bool{}
	openIDs := map[string]bool{}
	roles := map[string]map[population.Role]int{}
	for _, w := range pop.Workers {
		if err := w.Phone.Validate(); err != nil {
			t.Errorf("worker %s: %v", w.Code, err)
		}
		if w.Name == "" || w.Code == "" {
			t.Errorf("worker %+v: name and code required", w)
		}
		if _, ok := grids[w.GridCode]; !ok {
			t.Errorf("worker %s: grid %s does not exist", w.Code, w.GridCode)
		}
		phones[string(w.Phone)] = true
		if w.OpenID != "" {
			openIDs[string(w.OpenID)] = true
		}
		if roles[w.GridCode] == nil {
			roles[w.GridCode] = map[population.Role]int{}
		}
		roles[w.GridCode][w.Role]++
	}
	for _, gr := range pop.Grids {
		switch gr.Level {
		case population.LevelGrid:
			if n := roles[gr.Code][population.RoleGridWorker]; n != 1 {
				t.Errorf("grid %s has %d grid workers, want 1", gr.Code, n)
			}
		case population.LevelCommunity:
			if n := roles[gr.Code][population.RoleGridLeader]; n != 1 {
				t.Errorf("community %s has %d grid leaders, want 1", gr.Code, n)
			}
		}
	}

	ids := map[string]bool{}
	type addrKey struct {
		grid string
		addr population.Address
	}
	addresses := map[addrKey]bool{}
	households, residents := 0, 0
	perGrid := map[string]int{}
	for hh := range g.Households() {
		households++
		k := addrKey{hh[0].GridCode, hh[0].Address}
		if addresses[k] {
			t.Errorf("two households at %s in %s", k.addr, k.grid)
		}
		addresses[k] = true
		for _, r := range hh {
			residents++
			perGrid[r.GridCode]++
			if err := r.Validate(); err != nil {
				t.Errorf("resident %d: %v", residents, err)
			}
			if r.GridCode != k.grid || r.Address != k.addr {
				t.Errorf("resident %d: household members at different addresses", residents)
			}
			if grids[r.GridCode].Level != population.LevelGrid {
				t.Errorf("resident %d: grid %q is not a LevelGrid grid", residents, r.GridCode)
			}
			if r.IDNumber.Female() != (r.Gender == population.Female) {
				t.Errorf("resident %d: gender %s disagrees with ID number %s", residents, r.Gender, r.IDNumber)
			}
			if b, _ := r.IDNumber.BirthDate(); b.After(cfg.Now) {
				t.Errorf("resident %d: born %s, after now", residents, b.Format(time.DateOnly))
			}
			if ids[string(r.IDNumber)] {
				t.Errorf("resident %d: ID number %s twice", residents, r.IDNumber)
			}
			ids[string(r.IDNumber)] = true
			if r.Phone != "" {
				if phones[string(r.Phone)] {
					t.Errorf("resident %d: phone %s twice", residents, r.Phone)
				}
				phones[string(r.Phone)] = true
			}
			if r.OpenID != "" {
				if !regexp.MustCompile(`^o[A-Za-z0-9_-]{27}$`).MatchString(string(r.OpenID)) {
					t.Errorf("resident %d: openid %s malformed", residents, r.OpenID)
				}
				if openIDs[string(r.OpenID)] {
					t.Errorf("resident %d: openid %s twice", residents, r.OpenID)
				}
				openIDs[string(r.OpenID)] = true
			}
			if r.HasCategory(population.ElderlyAlone) && (len(hh) != 1 || r.Age(cfg.Now) < 65) {
				t.Errorf("resident %d: elderly_alone aged %d in a household of %d", residents, r.Age(cfg.Now), len(hh))
			}
			if r.HasCategory(population.Trainee) && (r.TrainingCourse == "" || r.TrainingCohort == "") {
				t.Errorf("resident %d: trainee without course or cohort", residents)
			}
		}
	}
	if residents != cfg.Residents {
		t.Errorf("stream has %d residents, want %d", residents, cfg.Residents)
	}
	if len(perGrid) != pop.GridCells {
		t.Errorf("residents live in %d grids, want all %d", len(perGrid), pop.GridCells)
	}
	if avg := float64(households) / float64(pop.GridCells); avg < 270 || avg > 340 {
		t.Errorf("%.0f households per grid, want about 300", avg)
	}
}

func TestHierarchySize(t *testing.T) {
	t.Parallel()
	tests := []struct {
		residents int
		want      Population
	}{
		{0, Population{Districts: 1, Streets: 1, Communities: 1, GridCells: 1}},
		{100, Population{Districts: 1, Streets: 1, Communities: 1, GridCells: 1, Residents: 100}},
		{20_000, Population{Districts: 1, Streets: 1, Communities: 2, GridCells: 20, Residents: 20_000}},
		{1_000_000, Population{Districts: 2, Streets: 15, Communities: 100, GridCells: 1000, Residents: 1_000_000}},
	}
	codeRE := regexp.MustCompile(`^NY[0-9]?(-[0-9]{2}(-[0-9]{2}(-[0-9]{2}(-[0-9])?)?)?)?$`)
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.residents), func(t *testing.T) {
			g := mustNew(t, Config{Residents: tt.residents})
			got := g.Population()
			for _, gr := range got.Grids {
				if !codeRE.MatchString(gr.Code) {
					t.Errorf("grid code %q not hierarchical", gr.Code)
				}
			}
			if got.Units < 2*got.GridCells || got.Units > 5*got.GridCells {
				t.Errorf("%d unit grids for %d grids, want a few per grid", got.Units, got.GridCells)
			}
			got.Grids, got.Workers, got.Units = nil, nil, 0
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Population() counts (-want +got):\n%s", diff)
			}
		})
	}
}

func TestConfigValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		cfg  Config
		want []string // substrings of the error; none means valid
	}{
		{"zero", Config{}, nil},
		{"full", Config{Residents: 10, Seed: -1, City: "HD2", Now: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)}, nil},
		{"negative", Config{Residents: -1}, []string{"residents -1"}},
		{"too many", Config{Residents: MaxResidents + 1}, []string{"residents"}},
		{"bad city", Config{City: "ny-1"}, []string{`city "ny-1"`}},
		{"all wrong", Config{Residents: -5, City: "南苑", Now: time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC)}, []string{"residents -5", "city", "now 1900-01-01"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := tt.cfg.Validate()
			if _, nerr := New(tt.cfg); (nerr == nil) != (err == nil) {
				t.Errorf("New error %v, Validate error %v", nerr, err)
			}
			if len(tt.want) == 0 {
				if err != nil {
					t.Errorf("Validate() = %v, want nil", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Validate() = nil, want an error mentioning %q", tt.want)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Validate() = %v, want it to mention %q", err, w)
				}
			}
		})
	}
}

func TestIDSpaceIsBijective(t *testing.T) {
	t.Parallel()
	s := newIDSpace([]string{"370202", "110102"}, 99)
	type key struct {
		area     string
		day, seq int
	}
	seen := make(map[key]bool, s.m)
	for c := range s.m {
		a, d, q := s.key(c)
		k := key{a, d, q}
		if seen[k] || d < 0 || d >= daysPerYear || q < 0 || q >= seqPerGender {
			t.Fatalf("counter %d: key %+v repeated or out of range", c, k)
		}
		seen[k] = true
	}
}

func TestCohorts(t *testing.T) {
	t.Parallel()
	got := cohorts(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	want := []string{"2026春季第1期", "2026春季第2期", "2026春季第3期", "2026春季第4期", "2025冬季第1期", "2025冬季第2期", "2025冬季第3期"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("cohorts (-want +got):\n%s", diff)
	}
}

// TestMillion checks uniqueness and speed at the size the benchmarks load.
func TestMillion(t *testing.T) {
	if testing.Short() {
		t.Skip("generates 1,000,000 residents")
	}
	t.Parallel()
	g := mustNew(t, Config{Residents: 1_000_000, Seed: 11})
	ids := make(map[string]struct{}, 1_000_000)
	phones := make(map[string]struct{}, 1_000_000)
	start := time.Now()
	n := 0
	for r := range g.Residents() {
		n++
		ids[string(r.IDNumber)] = struct{}{}
		if r.Phone != "" {
			if _, dup := phones[string(r.Phone)]; dup {
				t.Fatalf("phone %s twice", r.Phone)
			}
			phones[string(r.Phone)] = struct{}{}
		}
	}
	if len(ids) != n || n != 1_000_000 {
		t.Errorf("%d residents, %d distinct ID numbers; want 1,000,000 of each", n, len(ids))
	}
	t.Logf("1,000,000 residents checked in %v", time.Since(start).Round(time.Millisecond))
}

func ExampleGenerator_Next() {
	g, err := New(Config{Residents: 1000, Seed: 1})
	if err != nil {
		fmt.Println(err)
		return
	}
	r, _ := g.Next()
	// Personal data prints masked.
	fmt.Println(r.Name, r.Gender, r.BirthDate.Format(time.DateOnly), r.IDNumber, r.Phone)
	fmt.Println(r.GridCode, r.Address, r.Categories, r.Skills)
	// Output:
	// 韩** M 1992-12-29 3702**********8795 175****2326
	// NY-01-01-01 铂悦佳园 7栋2单元303 [] [保安]
}

func ExampleGenerator_Workers() {
	g, err := New(Config{Residents: 3000, Seed: 1})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, w := range g.Workers()[:4] {
		fmt.Println(w.Code, w.Role, w.Name, w.Phone, w.VisitingHours)
	}
	// Output:
	// W-NY-01-01-01 grid_worker 毛** 137****5326 Mon,Wed,Fri 09:00-12:00
	// W-NY-01-01-02 grid_worker 李* 188****1087 Mon-Fri 09:00-11:30
	// W-NY-01-01-03 grid_worker 陈* 176****6848 Mon,Wed,Fri 09:00-12:00
	// L-NY-01-01 grid_leader 王** 150****2609 Mon-Fri 15:00-18:00
}

func BenchmarkGenerate(b *testing.B) {
	for _, n := range []int{10_000, 1_000_000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			b.ReportAllocs()
			total := 0
			for b.Loop() {
				g, err := New(Config{Residents: n, Seed: 1})
				if err != nil {
					b.Fatal(err)
				}
				for r, ok := g.Next(); ok; r, ok = g.Next() {
					_ = r
					total++
				}
			}
			b.ReportMetric(float64(total)/b.Elapsed().Seconds(), "residents/s")
		})
	}
}
