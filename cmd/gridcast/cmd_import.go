package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"

	"github.com/gridcast/gridcast/population/importer"
	"github.com/gridcast/gridcast/store"
)

func (a *app) importCommand() *cobra.Command {
	c := &cobra.Command{Use: "import", Short: "Import residents from CSV or XLSX sheets"}
	var opt importer.Options
	var mappingPath string
	var asJSON, quiet bool
	residents := &cobra.Command{
		Use:   "residents FILE",
		Short: "Import residents from a CSV or XLSX file (upsert by ID number)",
		Long: `Reads a CSV (UTF-8 or GBK) or XLSX sheet whose columns are found by header:
the usual Chinese headers (姓名, 身份证号, 手机号, 网格, 人员类别 …) or the English
field names work as they are; --mapping names other headers. Every row is checked
(ID check digit, birth date and gender against the ID, mobile number, grid code,
categories, duplicates) and problems are reported by row number. Bad rows are
skipped unless --strict, which writes nothing when any row is bad. A fatal error
writes nothing. Re-importing the same file changes nothing.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if mappingPath != "" {
				m, err := importer.LoadMapping(mappingPath)
				if err != nil {
					return usageError{err}
				}
				opt.Mapping = m
			}
			return a.withStore(cmd.Context(), func(st *store.Store) error {
				var bar *progressbar.ProgressBar
				if !quiet {
					bar = progressbar.NewOptions(-1, progressbar.OptionSetWriter(a.stderr), progressbar.OptionSetDescription("rows"),
						progressbar.OptionShowCount(), progressbar.OptionThrottle(200*time.Millisecond), progressbar.OptionClearOnFinish())
					opt.Progress = func(done, total int) {
						if total > 0 && bar.GetMax() != total {
							bar.ChangeMax(total)
						}
						_ = bar.Set(done)
					}
				}
				rep, err := importer.ImportFile(cmd.Context(), st, args[0], opt)
				if bar != nil {
					_ = bar.Finish()
				}
				if err != nil {
					return err
				}
				a.log.InfoContext(cmd.Context(), "import_done", "file", filepath.Base(args[0]), "rows", rep.Rows,
					"inserted", rep.Imported.Inserted, "updated", rep.Imported.Updated, "unchanged", rep.Imported.Unchanged,
					"erased", rep.Imported.Erased, "skipped", rep.Skipped)
				if asJSON {
					enc := json.NewEncoder(a.stdout)
					enc.SetIndent("", "  ")
					return enc.Encode(rep)
				}
				return rep.WriteTable(a.stdout, 50)
			})
		},
	}
	residents.Flags().StringVar(&mappingPath, "mapping", "", "YAML file mapping fields to headers (field: header)")
	residents.Flags().StringVar(&opt.Format, "format", "", "csv or xlsx (default: by extension)")
	residents.Flags().StringVar(&opt.Sheet, "sheet", "", "XLSX worksheet (default: the first)")
	residents.Flags().StringVar(&opt.Encoding, "encoding", "", "CSV encoding: utf-8, gbk, gb18030 (default: detect)")
	residents.Flags().BoolVar(&opt.Strict, "strict", false, "write nothing if any row has an error")
	residents.Flags().BoolVar(&asJSON, "json", false, "print the report as JSON")
	residents.Flags().BoolVar(&quiet, "quiet", false, "no progress bar")

	template := &cobra.Command{
		Use:         "template FILE",
		Short:       "Write an empty CSV or XLSX sheet with the expected headers",
		Args:        cobra.ExactArgs(1),
		Annotations: map[string]string{"noconfig": "true"},
		RunE: func(cmd *cobra.Command, args []string) error {
			format := strings.TrimPrefix(strings.ToLower(filepath.Ext(args[0])), ".")
			f, err := os.Create(args[0])
			if err != nil {
				return err
			}
			if err := importer.Template(f, format); err != nil {
				f.Close()
				return err
			}
			if err := f.Close(); err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "wrote %s with headers: %s\n", args[0], strings.Join(importer.TemplateHeaders(), ", "))
			return nil
		},
	}
	c.AddCommand(residents, template)
	return c
}
