package main

import (
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/gridcast/gridcast/pii"
)

func (a *app) piiCommand() *cobra.Command {
	c := &cobra.Command{Use: "pii", Short: "Check text for personal data in clear"}
	c.AddCommand(&cobra.Command{
		Use:   "scan [FILE...]",
		Short: "Find mobile numbers, ID numbers and openids in clear in logs or output",
		Long: `Reads each FILE (standard input for none or "-") line by line and prints
every mainland mobile number, 18-character resident ID number (valid check
digit and birth date) and 28-character WeChat openid it holds in clear, as
FILE:LINE:COLUMN with the kind and the text around it, all of it masked.
Masked forms (138****5678, 3201**********1234, oAbC****…) are not findings.
Exits 1 when anything is found, so that a script or CI can stop on it.

GridCast's logs, errors and screens carry personal data masked only: run it
over a log before attaching it to a ticket or handing it on. CI runs it over
the test suite's logs and the demo's output.`,
		Annotations: map[string]string{"noconfig": "true"},
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				args = []string{"-"}
			}
			found, files := 0, 0
			for _, name := range args {
				n, err := a.scanFile(cmd.InOrStdin(), name)
				if err != nil {
					return err
				}
				found += n
				if n > 0 {
					files++
				}
			}
			if found > 0 {
				return fmt.Errorf("personal data in clear: %d finding(s) in %d of %d inputs", found, files, len(args))
			}
			fmt.Fprintf(a.stdout, "no personal data in clear in %d inputs\n", len(args))
			return nil
		},
	})
	return c
}

// scanFile prints the findings in the file called name ("-": stdin) and
// returns how many there were.
func (a *app) scanFile(stdin io.Reader, name string) (int, error) {
	r := stdin
	if name != "-" {
		f, err := os.Open(name)
		if err != nil {
			return 0, err
		}
		defer f.Close()
		r = f
	}
	fs, err := pii.Scan(r)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", name, err)
	}
	for _, f := range fs {
		fmt.Fprintf(a.stdout, "%s:%d:%d: %s %s in %s\n", name, f.Line, f.Column, f.Kind, f.Masked, f.Excerpt)
	}
	return len(fs), nil
}
