package main

import (
	"bufio"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/gridcast/gridcast/access"
	"github.com/gridcast/gridcast/audit"
	"github.com/gridcast/gridcast/store"
)

// userLoginCommands are the users subcommands of the console's sign-in:
// passwd, unlock and link. by is the --by flag of `gridcast users`.
func (a *app) userLoginCommands(by *string) []*cobra.Command {
	var file string
	var generate bool
	passwd := &cobra.Command{
		Use:   "passwd NAME [--generate | --password-file FILE]",
		Short: "Set a user's password for the console's sign-in (their sessions end)",
		Long: `Sets the password NAME signs in to the console with. It is asked for twice
on a terminal, read from the first line of --password-file (- for standard
input), or made up with --generate and printed once for the user to change
after signing in. At least ` + fmt.Sprint(access.MinPasswordLen) + ` characters, not containing the user's name.
The user's open sessions end and any lockout is lifted.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			pw, err := a.readNewPassword(cmd, file, generate)
			if err != nil {
				return err
			}
			return a.withStore(cmd.Context(), func(st *store.Store) error {
				u, err := st.UserByName(cmd.Context(), args[0])
				if err != nil {
					return err
				}
				if err := access.CheckPassword(u.Name, pw); err != nil {
					return usageError{err}
				}
				hash, err := access.HashPassword(pw)
				if err != nil {
					return err
				}
				if err := st.SetPassword(cmd.Context(), u.ID, hash); err != nil {
					return err
				}
				if err := a.record(cmd.Context(), st, audit.Entry{Actor: *by, Action: audit.ActionUserPassword, Subject: "user:" + u.Name}); err != nil {
					return err
				}
				if generate {
					fmt.Fprintf(a.stdout, "%s's password (shown this once; ask them to change it after signing in):\n%s\n", u.Name, pw)
					return nil
				}
				fmt.Fprintf(a.stdout, "%s's password is set; their open sessions have ended.\n", u.Name)
				return nil
			})
		},
	}
	passwd.Flags().StringVar(&file, "password-file", "", "read the password from the first line of FILE (- for standard input)")
	passwd.Flags().BoolVar(&generate, "generate", false, "make up a strong password and print it once")

	unlock := &cobra.Command{
		Use:   "unlock NAME",
		Short: "End a user's lockout after too many wrong passwords",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.withStore(cmd.Context(), func(st *store.Store) error {
				u, err := st.UserByName(cmd.Context(), args[0])
				if err != nil {
					return err
				}
				if err := st.UnlockUser(cmd.Context(), u.ID); err != nil {
					return err
				}
				if err := a.record(cmd.Context(), st, audit.Entry{Actor: *by, Action: audit.ActionUserUnlock, Subject: "user:" + u.Name}); err != nil {
					return err
				}
				fmt.Fprintf(a.stdout, "%s may sign in again.\n", u.Name)
				return nil
			})
		},
	}

	var provider, subject string
	link := &cobra.Command{
		Use:   "link NAME --provider NAME --subject ID",
		Short: "Link a user to their account at an identity provider (企业微信, 政务微信), to sign in through it",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.withStore(cmd.Context(), func(st *store.Store) error {
				u, err := st.UserByName(cmd.Context(), args[0])
				if err != nil {
					return err
				}
				if err := st.LinkIdentity(cmd.Context(), u.ID, provider, subject); err != nil {
					return err
				}
				if err := a.record(cmd.Context(), st, audit.Entry{Actor: *by, Action: audit.ActionUserGrant, Subject: "user:" + u.Name,
					Detail: "identity " + provider}); err != nil {
					return err
				}
				fmt.Fprintf(a.stdout, "%s signs in through %s as %s.\n", u.Name, provider, subject)
				return nil
			})
		},
	}
	link.Flags().StringVar(&provider, "provider", "", "the identity provider's name, as configured")
	link.Flags().StringVar(&subject, "subject", "", "the user's id there (企业微信's UserId)")
	_ = link.MarkFlagRequired("provider")
	_ = link.MarkFlagRequired("subject")
	return []*cobra.Command{passwd, unlock, link}
}

// readNewPassword gets the new password: made up, from a file or standard
// input, or typed twice on the terminal without echo.
func (a *app) readNewPassword(cmd *cobra.Command, file string, generate bool) (string, error) {
	switch {
	case generate && file != "":
		return "", usageError{errors.New("--generate and --password-file: choose one")}
	case generate:
		// rand.Text is 26 characters of base32: 130 bits.
		return rand.Text(), nil
	case file == "-":
		return firstLine(cmd.InOrStdin())
	case file != "":
		f, err := os.Open(file)
		if err != nil {
			return "", usageError{fmt.Errorf("--password-file: %w", err)}
		}
		defer f.Close()
		return firstLine(f)
	}
	in, ok := cmd.InOrStdin().(*os.File)
	if !ok || !term.IsTerminal(int(in.Fd())) {
		return "", usageError{errors.New("not a terminal: give --password-file FILE (- for standard input) or --generate")}
	}
	ask := func(prompt string) (string, error) {
		fmt.Fprint(a.stderr, prompt)
		b, err := term.ReadPassword(int(in.Fd()))
		fmt.Fprintln(a.stderr)
		return string(b), err
	}
	pw, err := ask("New password: ")
	if err != nil {
		return "", err
	}
	again, err := ask("Again: ")
	if err != nil {
		return "", err
	}
	if pw != again {
		return "", usageError{errors.New("the two passwords differ; nothing changed")}
	}
	return pw, nil
}

// firstLine reads the first line of r, without its line ending.
func firstLine(r io.Reader) (string, error) {
	line, err := bufio.NewReader(io.LimitReader(r, 4096)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", err
	}
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		return "", usageError{errors.New("the password file's first line is empty")}
	}
	return line, nil
}
