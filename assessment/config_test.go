package assessment_test

import (
	"os"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/google/go-cmp/cmp"

	"github.com/gridcast/gridcast/assessment"
)

func TestDefaultConfigIsValid(t *testing.T) {
	t.Parallel()
	if err := assessment.DefaultConfig().Validate(); err != nil {
		t.Fatalf("DefaultConfig().Validate() = %v", err)
	}
	if _, err := assessment.New(assessment.DefaultConfig()); err != nil {
		t.Fatalf("New(DefaultConfig()) = %v", err)
	}
}

func TestConfigValidateNamesTheKey(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		change func(*assessment.Config)
		says   []string
	}{
		{"weights short of 100", func(c *assessment.Config) { c.Weights.Visits = 25 },
			[]string{"weights: visits 25 + events 10 + on_time 20 + overdue 10 + satisfaction 20 + records 10 sum to 95: want 100"}},
		{"weights over 100", func(c *assessment.Config) { c.Weights.Records = 20 }, []string{"sum to 110: want 100"}},
		{"negative weight", func(c *assessment.Config) { c.Weights.Overdue = -10; c.Weights.Visits = 50 },
			[]string{"weights.overdue: -10: want 0–100"}},
		{"zero weights", func(c *assessment.Config) { c.Weights = assessment.Weights{} }, []string{"sum to 0: want 100"}},
		{"no events target", func(c *assessment.Config) { c.Targets.Events = 0 },
			[]string{"targets.events: 0: want at least 1 while weights.events is 10"}},
		{"no records target", func(c *assessment.Config) { c.Targets.Records = -1 }, []string{"targets.records: -1"}},
		{"negative visits minimum", func(c *assessment.Config) { c.Targets.VisitsPerMonth = -15 },
			[]string{"targets.visits_per_month: -15: want 0 or more"}},
		{"no overdue penalty", func(c *assessment.Config) { c.Targets.OverduePenalty = 0 }, []string{"targets.overdue_penalty: 0"}},
		{"satisfaction over 1", func(c *assessment.Config) { c.Satisfaction.Satisfied = 100 },
			[]string{"satisfaction.satisfied: 100: want 0–1"}},
		{"basic worth more than satisfied", func(c *assessment.Config) { c.Satisfaction.BasicSatisfied = 1; c.Satisfaction.Satisfied = 0.8 },
			[]string{"satisfaction.basically_satisfied: 1 is worth more than satisfied 0.8"}},
		{"dissatisfied worth more than basic", func(c *assessment.Config) { c.Satisfaction.Dissatisfied = 0.7 },
			[]string{"satisfaction.dissatisfied: 0.7 is worth more than basically_satisfied 0.6"}},
		{"grades out of order", func(c *assessment.Config) { c.Grades[1].Min = 95 },
			[]string{"grades[1].min: 95: want less than grades[0].min 90"}},
		{"last grade above 0", func(c *assessment.Config) { c.Grades[2].Min = 30 },
			[]string{"grades[2].min: 30: the last grade must start at 0"}},
		{"one grade", func(c *assessment.Config) { c.Grades = c.Grades[2:] }, []string{"grades: 1 given: want at least two"}},
		{"grade above 100", func(c *assessment.Config) { c.Grades[0].Min = 101 }, []string{"grades[0].min: 101: want 0–100"}},
		{"duplicate grade", func(c *assessment.Config) { c.Grades[1].Name = "excellent"; c.Grades[1].Label = "" },
			[]string{`grades[1].name: "excellent" is grades[0]'s too`, "grades[1].label: empty"}},
		{"every problem at once", func(c *assessment.Config) {
			c.Weights.Events = 0
			c.Targets.Records = 0
			c.Satisfaction.Satisfied = 2
		}, []string{"sum to 90", "targets.records: 0", "satisfaction.satisfied: 2"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := assessment.DefaultConfig()
			tc.change(&c)
			err := c.Validate()
			if err == nil {
				t.Fatal("Validate() = nil; want an error")
			}
			for _, s := range tc.says {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("Validate() = %q; want it to say %q", err, s)
				}
			}
			if _, nerr := assessment.New(c); nerr == nil {
				t.Error("New accepted the config")
			}
		})
	}
}

func TestConfigWeightsNeedNotBeWhole(t *testing.T) {
	t.Parallel()
	c := assessment.DefaultConfig()
	c.Weights = assessment.Weights{Visits: 33.3, Events: 33.3, Records: 33.4}
	if err := c.Validate(); err != nil {
		t.Errorf("weights 33.3 + 33.3 + 33.4: %v", err)
	}
}

func TestConfigDefaultsStayForKeysLeftOut(t *testing.T) {
	t.Parallel()
	// cmd/gridcast decodes the assessment section onto DefaultConfig(): a
	// city that only moves weight from events to visits keeps the rest.
	src := `
weights: {visits: 40, events: 0}
satisfaction: {basically_satisfied: 0.6}
grades:
  - {name: excellent, label: 优秀, min: 85}
  - {name: good, label: 良好, min: 75}
  - {name: pass, label: 合格, min: 60}
  - {name: fail, label: 不合格, min: 0}
`
	c := assessment.DefaultConfig()
	dec := yaml.NewDecoder(strings.NewReader(src))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err != nil {
		t.Fatalf("Validate() = %v", err)
	}
	if c.Weights.Visits != 40 || c.Weights.Events != 0 || c.Weights.OnTime != 20 || c.Targets.VisitsPerMonth != 15 ||
		c.Satisfaction.BasicSatisfied != 0.6 || len(c.Grades) != 4 {
		t.Errorf("decoded %+v", c)
	}
	bad := assessment.DefaultConfig()
	dec = yaml.NewDecoder(strings.NewReader("weights: {visit: 30}\n"))
	dec.KnownFields(true)
	if err := dec.Decode(&bad); err == nil || !strings.Contains(err.Error(), "visit") {
		t.Errorf("an unknown key decodes: %v", err)
	}
}

func TestConfigSampleIsTheDefaults(t *testing.T) {
	t.Parallel()
	// testdata/config.yaml is the documented section every key at its
	// default: it must decode strictly and equal DefaultConfig.
	f, err := os.Open("testdata/config.yaml")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var doc struct {
		Assessment assessment.Config `yaml:"assessment"`
	}
	dec := yaml.NewDecoder(f)
	dec.KnownFields(true)
	if err := dec.Decode(&doc); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(assessment.DefaultConfig(), doc.Assessment); diff != "" {
		t.Errorf("testdata/config.yaml against DefaultConfig (-want +got):\n%s", diff)
	}
}
