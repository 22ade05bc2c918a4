package main

import (
	"fmt"
	"reflect"
	"strings"

	"github.com/spf13/cobra"
	"go.yaml.in/yaml/v3"

	"github.com/gridcast/gridcast/segments/pii"
)

func (a *app) configCommand() *cobra.Command {
	c := &cobra.Command{Use: "config", Short: "Check and show the effective configuration"}
	c.AddCommand(&cobra.Command{
		Use:   "check",
		Short: "Validate the configuration and print it with secrets redacted",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			redacted := redactSecrets(a.cfg)
			out, err := yaml.Marshal(redacted)
			if err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "# configuration from %s: valid\n%s", a.source, out)
			return nil
		},
	})
	return c
}

// redactSecrets blanks every field whose YAML key names a secret, so that
// `config check` can be pasted into a ticket.
func redactSecrets(c Config) Config {
	v := reflect.ValueOf(&c).Elem()
	var walk func(v reflect.Value)
	walk = func(v reflect.Value) {
		for i := 0; i < v.NumField(); i++ {
			f := v.Field(i)
			tag := v.Type().Field(i).Tag.Get("yaml")
			switch {
			case f.Kind() == reflect.Struct:
				walk(f)
			case f.Kind() == reflect.Slice && f.Type().Elem().Kind() == reflect.Struct:
				for j := 0; j < f.Len(); j++ {
					walk(f.Index(j))
				}
			case f.Kind() == reflect.String && f.String() != "" && isSecretKey(tag):
				f.SetString("REDACTED")
			}
		}
	}
	walk(v)
	return c
}

func isSecretKey(tag string) bool {
	for _, s := range []string{"secret", "password", "pii_key", "encoding_aes_key", "token", "dsn"} {
		if strings.Contains(tag, s) && tag != "pii_key_file" {
			return true
		}
	}
	return false
}

func (a *app) keygenCommand() *cobra.Command {
	return &cobra.Command{
		Use:         "keygen",
		Short:       "Print a new random key for security.pii_key",
		Args:        cobra.NoArgs,
		Annotations: map[string]string{"noconfig": "true"},
		RunE: func(cmd *cobra.Command, _ []string) error {
			fmt.Fprintln(a.stdout, pii.NewKey())
			return nil
		},
	}
}
