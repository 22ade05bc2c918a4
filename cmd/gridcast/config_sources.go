package main

import (
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Where configuration values come from besides the defaults: the YAML
// file (whose decoding errors are restated to name their key) and the
// GRIDCAST_ environment variables.

// yamlLine is the "line N: …" yaml.v3 begins each decoding problem with.
var yamlLine = regexp.MustCompile(`^line (\d+): (.*)$`)

// yamlError restates a decoding error of file path so that each problem
// names the key it is about, as the validation errors do: "config:
// redis.db: cannot unmarshal !!str `x` into int (config.yaml line 9)". A
// syntax error, which names no key, keeps yaml's words.
func yamlError(path string, data []byte, err error) error {
	var lines []string
	var te *yaml.TypeError
	if errors.As(err, &te) {
		lines = te.Errors
	} else {
		lines = []string{strings.TrimPrefix(err.Error(), "yaml: ")}
	}
	keys := map[int]string{}
	var root yaml.Node
	if yaml.Unmarshal(data, &root) == nil {
		keyLines(&root, "", keys)
	}
	var errs []error
	for _, l := range lines {
		m := yamlLine.FindStringSubmatch(l)
		if m == nil {
			errs = append(errs, fmt.Errorf("config: %s: %s", path, l))
			continue
		}
		n, _ := strconv.Atoi(m[1])
		msg := m[2]
		key, ok := keys[n]
		if f, found := strings.CutPrefix(msg, "field "); found {
			// KnownFields: "field drvier not found in type main.StoreConfig"
			if name, _, cut := strings.Cut(f, " not found"); cut {
				msg = "unknown key " + strconv.Quote(name) + " (see config.example.yaml for the keys)"
			}
		}
		if !ok {
			errs = append(errs, fmt.Errorf("config: %s line %d: %s", path, n, msg))
			continue
		}
		errs = append(errs, fmt.Errorf("config: %s: %s (%s line %d)", key, msg, path, n))
	}
	return errors.Join(errs...)
}

// keyLines maps the line of every key and value in n to its dotted path
// (list items as key[i]).
func keyLines(n *yaml.Node, prefix string, out map[int]string) {
	switch n.Kind {
	case yaml.DocumentNode:
		for _, c := range n.Content {
			keyLines(c, prefix, out)
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			path := k.Value
			if prefix != "" {
				path = prefix + "." + k.Value
			}
			out[k.Line] = path
			if _, taken := out[v.Line]; !taken || v.Line != k.Line {
				out[v.Line] = path
			}
			keyLines(v, path, out)
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			path := fmt.Sprintf("%s[%d]", prefix, i)
			if _, taken := out[c.Line]; !taken {
				out[c.Line] = path
			}
			keyLines(c, path, out)
		}
	}
}

// environ is a process environment as os.Environ gives it (KEY=value).
type environ []string

// lookup is os.LookupEnv over e: the last definition of key wins.
func (e environ) lookup(key string) (string, bool) {
	for i := len(e) - 1; i >= 0; i-- {
		if k, v, ok := strings.Cut(e[i], "="); ok && k == key {
			return v, true
		}
	}
	return "", false
}

// unknown lists the GRIDCAST_ variables of e that set no key (a misspelt
// GRIDCAST_REDIS_ADRR would otherwise be ignored silently). The tests' and
// benchmarks' own variables are not configuration and pass.
func (e environ) unknown() []string {
	known := map[string]bool{}
	var walk func(t reflect.Type, prefix string)
	walk = func(t reflect.Type, prefix string) {
		for i := 0; i < t.NumField(); i++ {
			tag := strings.Split(t.Field(i).Tag.Get("yaml"), ",")[0]
			if tag == "" || tag == "-" {
				continue
			}
			name := prefix + "_" + strings.ToUpper(tag)
			if t.Field(i).Type.Kind() == reflect.Struct {
				walk(t.Field(i).Type, name)
				continue
			}
			known[name] = true
		}
	}
	walk(reflect.TypeOf(Config{}), "GRIDCAST")
	var out []string
	for _, kv := range e {
		name, _, _ := strings.Cut(kv, "=")
		if !strings.HasPrefix(name, "GRIDCAST_") || known[name] ||
			strings.HasPrefix(name, "GRIDCAST_TEST_") || strings.HasPrefix(name, "GRIDCAST_BENCH_") {
			continue
		}
		out = append(out, name)
	}
	sort.Strings(out)
	return out
}

// applyEnv walks cfg's YAML keys and overrides each scalar leaf whose
// GRIDCAST_ variable is set. A value that does not parse is an error naming
// the variable.
func applyEnv(cfg *Config, env func(string) (string, bool)) error {
	var errs []error
	var walk func(v reflect.Value, prefix string)
	walk = func(v reflect.Value, prefix string) {
		t := v.Type()
		for i := 0; i < t.NumField(); i++ {
			tag := strings.Split(t.Field(i).Tag.Get("yaml"), ",")[0]
			if tag == "" || tag == "-" {
				continue
			}
			name := prefix + "_" + strings.ToUpper(tag)
			f := v.Field(i)
			if f.Kind() == reflect.Struct {
				walk(f, name)
				continue
			}
			raw, ok := env(name)
			if !ok {
				continue
			}
			if err := setScalar(f, raw); err != nil {
				errs = append(errs, fmt.Errorf("config: %s=%q: %w", name, raw, err))
			}
		}
	}
	walk(reflect.ValueOf(cfg).Elem(), "GRIDCAST")
	return errors.Join(errs...)
}

func setScalar(f reflect.Value, raw string) error {
	switch f.Kind() {
	case reflect.String:
		f.SetString(raw)
	case reflect.Bool:
		b, err := strconv.ParseBool(raw)
		if err != nil {
			return errors.New("want true or false")
		}
		f.SetBool(b)
	case reflect.Int, reflect.Int64:
		if f.Type() == reflect.TypeOf(time.Duration(0)) {
			d, err := time.ParseDuration(raw)
			if err != nil {
				return errors.New("want a duration such as 30s or 5m")
			}
			f.SetInt(int64(d))
			return nil
		}
		n, err := strconv.ParseInt(raw, 10, 64)
		if err != nil {
			return errors.New("want an integer")
		}
		f.SetInt(n)
	case reflect.Slice:
		if f.Type().Elem().Kind() != reflect.String {
			return errors.New("a list of records cannot be set from the environment; use the config file")
		}
		var items []string
		for _, it := range strings.Split(raw, ",") {
			if it = strings.TrimSpace(it); it != "" {
				items = append(items, it)
			}
		}
		f.Set(reflect.ValueOf(items))
	default:
		return fmt.Errorf("%s cannot be set from the environment; use the config file", f.Kind())
	}
	return nil
}

// walkKeys calls fn with the dotted YAML path of every leaf of v's type.
func walkKeys(v any, prefix string, fn func(key string)) {
	t := reflect.TypeOf(v)
	for i := 0; i < t.NumField(); i++ {
		tag := strings.Split(t.Field(i).Tag.Get("yaml"), ",")[0]
		key := tag
		if prefix != "" {
			key = prefix + "." + tag
		}
		ft := t.Field(i).Type
		switch {
		case ft.Kind() == reflect.Struct:
			walkKeys(reflect.Zero(ft).Interface(), key, fn)
		case ft.Kind() == reflect.Slice && ft.Elem().Kind() == reflect.Struct:
			walkKeys(reflect.Zero(ft.Elem()).Interface(), key+"[]", fn)
		default:
			fn(key)
		}
	}
}
