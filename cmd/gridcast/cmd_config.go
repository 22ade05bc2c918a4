package main

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
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
	var user string
	var roles []string
	var push bool
	c := &cobra.Command{
		Use:   "keygen",
		Short: "Print a new random key for security.pii_key, or with --api-token an API user's token",
		Long: `Print a new random key for security.pii_key.

With --push-token, print instead a new aliyun_sms.push_token: the secret the
report and uplink URLs registered with Aliyun carry (URL-safe).

With --api-token NAME --role ROLE, print instead a new bearer token for the
API user NAME (the person recorded as the actor of what they do) and the
http.api_users entry that holds its SHA-256. Give the token to NAME at once:
it is printed only this once and the configuration holds only its hash.
Roles: officer (campaigns, saved segments), worker (ticket actions),
viewer (reads only; every role reads); repeat --role or separate by commas.`,
		Example:     "  gridcast keygen --api-token 王芳 --role worker",
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
			if !cmd.Flags().Changed("api-token") {
				if len(roles) > 0 {
					return usageError{errors.New("--role goes with --api-token NAME")}
				}
				fmt.Fprintln(a.stdout, pii.NewKey())
				return nil
			}
			return a.printAPIToken(user, roles)
		},
	}
	c.Flags().StringVar(&user, "api-token", "", "print a new API token for the user `NAME` and its http.api_users entry")
	c.Flags().StringSliceVar(&roles, "role", nil, "the API user's role: officer, worker or viewer (repeatable)")
	c.Flags().BoolVar(&push, "push-token", false, "print a new aliyun_sms.push_token")
	return c
}

// printAPIToken prints a fresh token (32 random bytes, base64url) for the
// API user name and the http.api_users entry with its SHA-256, checked as
// loading the configuration would check it.
func (a *app) printAPIToken(name string, roles []string) error {
	var raw [32]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return fmt.Errorf("keygen: %w", err)
	}
	token := base64.RawURLEncoding.EncodeToString(raw[:])
	sum := sha256.Sum256([]byte(token))
	entry := APIUserConfig{Name: strings.TrimSpace(name), TokenSHA256: hex.EncodeToString(sum[:]), Roles: roles}
	if _, err := (HTTPConfig{APIUsers: []APIUserConfig{entry}}).apiUsers(); err != nil {
		var msgs []string
		for _, e := range leafErrors(err) {
			msgs = append(msgs, strings.Replace(e.Error(), "http.api_users[0].name", "--api-token", 1))
		}
		return usageError{errors.New(strings.ReplaceAll(strings.Join(msgs, "; "), "http.api_users[0].roles", "--role"))}
	}
	out, err := yaml.Marshal([]APIUserConfig{entry})
	if err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "# The API token of %s. Hand it over now: it is shown only this once, and\n", entry.Name)
	fmt.Fprintf(a.stdout, "# GridCast keeps only its SHA-256. They send it as Authorization: Bearer TOKEN.\n")
	fmt.Fprintf(a.stdout, "%s\n\n", token)
	fmt.Fprintf(a.stdout, "# Add this entry under http.api_users in the configuration file:\n")
	for _, line := range strings.Split(strings.TrimRight(string(out), "\n"), "\n") {
		fmt.Fprintf(a.stdout, "    %s\n", line)
	}
	return nil
}
