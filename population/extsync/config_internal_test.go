package extsync

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestRewriteQuery(t *testing.T) {
	t.Parallel()
	cases := []struct {
		in, driver, want string
		n                int
	}{
		{"SELECT * FROM h WHERE updated_at >= :cursor ORDER BY updated_at", "postgres",
			"SELECT * FROM h WHERE updated_at >= $1 ORDER BY updated_at", 1},
		{"SELECT * FROM h WHERE updated_at >= :cursor ORDER BY updated_at", "mysql",
			"SELECT * FROM h WHERE updated_at >= ? ORDER BY updated_at", 1},
		{"SELECT * FROM h WHERE a >= :cursor::timestamptz OR b >= :cursor", "postgres",
			"SELECT * FROM h WHERE a >= $1::timestamptz OR b >= $1", 2},
		{"SELECT x::cursorish, y FROM h WHERE :cursorx = 1", "postgres",
			"SELECT x::cursorish, y FROM h WHERE :cursorx = 1", 0},
	}
	for _, tc := range cases {
		got, n := rewriteQuery(tc.in, tc.driver)
		if got != tc.want || n != tc.n {
			t.Errorf("rewriteQuery(%q, %s) = %q, %d; want %q, %d", tc.in, tc.driver, got, n, tc.want, tc.n)
		}
	}
}

func TestConfigValidate(t *testing.T) {
	t.Parallel()
	ok := Config{Name: "hukou", Driver: "postgres", DSN: "postgres://u@h/db",
		Query: "SELECT * FROM h WHERE t >= :cursor ORDER BY t", UpdatedAtColumn: "t"}
	if err := ok.Validate(); err != nil {
		t.Fatalf("valid config: %v", err)
	}
	cases := []struct {
		name string
		edit func(c *Config)
		want []string
	}{
		{"empty", func(c *Config) { *c = Config{} }, []string{
			"sync.sources[].name: required: the cursor is saved under it",
			`sync.sources[].driver: "": want postgres or mysql`,
			"sync.sources[].query: required: a SELECT returning one row per resident",
		}},
		{"bad mysql dsn", func(c *Config) { c.Driver, c.DSN = "mysql", "root@127.0.0.1/test" }, []string{
			"sync.sources[hukou].dsn: not a MySQL DSN",
		}},
		{"no cursor", func(c *Config) { c.Query = "SELECT * FROM h" }, []string{
			"sync.sources[hukou].query: must contain :cursor",
		}},
		{"cursor without column", func(c *Config) { c.UpdatedAtColumn = "" }, []string{
			"sync.sources[hukou].updated_at_column: required because the query uses :cursor",
		}},
		{"not a select", func(c *Config) { c.Query = "DELETE FROM h WHERE t >= :cursor" }, []string{
			"sync.sources[hukou].query: must be a SELECT",
		}},
		{"mapping and sizes", func(c *Config) { c.Mapping = map[string]string{"mobile": "x"}; c.BatchSize = -1; c.Interval = -1 }, []string{
			`sync.sources[hukou].mapping: mapping names unknown field(s) "mobile"`,
			"sync.sources[hukou].batch_size: must not be negative",
			"sync.sources[hukou].interval: must not be negative",
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := ok
			tc.edit(&c)
			err := c.Validate()
			if err == nil {
				t.Fatal("no error")
			}
			lines := strings.Split(err.Error(), "\n")
			if len(lines) != len(tc.want) {
				t.Fatalf("got %d problems, want %d:\n%v", len(lines), len(tc.want), err)
			}
			for i, w := range tc.want {
				if !strings.HasPrefix(lines[i], w) {
					t.Errorf("problem %d = %q, want it to start %q", i, lines[i], w)
				}
			}
		})
	}
}

func TestValidateSources(t *testing.T) {
	t.Parallel()
	c := Config{Name: "hukou", Driver: "mysql", DSN: "root@tcp(127.0.0.1:3306)/test", Query: "SELECT * FROM h"}
	err := ValidateSources([]Config{c, c})
	want := `sync.sources[1].name: "hukou" is already used by sync.sources[0]`
	if d := cmp.Diff(want, err.Error()); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
}
