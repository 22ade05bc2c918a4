package importer

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"

	"go.yaml.in/yaml/v3"
)

// LoadMapping reads a column mapping file: YAML with one `field: header`
// line per field whose column has another header than the defaults, e.g.
//
//	id_number: 证件号码
//	phone: 联系方式
//	openid: ""   # do not import this column even if a default header matches
//
// Unknown fields, non-string values and duplicate keys are errors naming the
// file and the key.
func LoadMapping(path string) (map[string]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("importer: mapping: %w", err)
	}
	m, err := parseMapping(b)
	if err != nil {
		return nil, fmt.Errorf("importer: mapping %s: %w", path, err)
	}
	return m, nil
}

func parseMapping(b []byte) (map[string]string, error) {
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return map[string]string{}, nil
		}
		return nil, err
	}
	if len(doc.Content) == 0 {
		return map[string]string{}, nil
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("line %d: want `field: header` lines", root.Line)
	}
	m := make(map[string]string, len(root.Content)/2)
	var errs []error
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		switch {
		case !Field(k.Value).Known():
			errs = append(errs, fmt.Errorf("line %d: unknown field %q; known fields: %s", k.Line, k.Value, fieldList()))
		case v.Kind != yaml.ScalarNode:
			errs = append(errs, fmt.Errorf("line %d: %s: want a header name", v.Line, k.Value))
		default:
			if _, dup := m[k.Value]; dup {
				errs = append(errs, fmt.Errorf("line %d: %s is mapped twice", k.Line, k.Value))
			}
			m[k.Value] = v.Value
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return m, nil
}
