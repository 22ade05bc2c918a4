package main

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"reflect"
	"strings"

	"github.com/spf13/cobra"
	"go.yaml.in/yaml/v3"

	"github.com/gridcast/gridcast/pii"
)

func (a *app) configCommand() *cobra.Command {
	c := &cobra.Command{Use: "config", Short: "Check and show the effective configuration"}
	c.AddCommand(&cobra.Command{
		Use:   "check",
		Short: "Validate the configuration and print it with secrets redacted",
		Long: `Loads the configuration as every command does (file, then GRIDCAST_*
variables) and runs the same validation serve and worker run, including the
store's, the providers' and the queue's own checks. Each error names its key;
a GRIDCAST_ variable that names no key is warned about. Secrets are printed
as REDACTED, so the output can be pasted into a ticket.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			redacted := redactSecrets(a.cfg)
			out, err := yaml.Marshal(redacted)
			if err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "# configuration from %s: valid\n", a.source)
			for _, name := range a.env.unknown() {
				fmt.Fprintf(a.stdout, "# warning: %s sets no configuration key and is ignored\n", name)
			}
			fmt.Fprintf(a.stdout, "%s", out)
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
	var push bool
	c := &cobra.Command{
		Use:   "keygen",
		Short: "Print a new random key for security.pii_key, or with --push-token an aliyun_sms.push_token",
		Long: `Print a new random key for security.pii_key.

With --push-token, print instead a new aliyun_sms.push_token: the secret the
report and uplink URLs registered with Aliyun carry (URL-safe).

API users and their tokens: gridcast users create.`,
		Args:        cobra.NoArgs,
		Annotations: map[string]string{"noconfig": "true"},
		RunE: func(cmd *cobra.Command, _ []string) error {
			if push {
				var raw [24]byte
				if _, err := rand.Read(raw[:]); err != nil {
					return fmt.Errorf("keygen: %w", err)
				}
				fmt.Fprintln(a.stdout, base64.RawURLEncoding.EncodeToString(raw[:]))
				return nil
			}
			fmt.Fprintln(a.stdout, pii.NewKey())
			return nil
		},
	}
	c.Flags().BoolVar(&push, "push-token", false, "print a new aliyun_sms.push_token")
	return c
}
