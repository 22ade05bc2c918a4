package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"

	"github.com/gridcast/gridcast/pii"
	"github.com/gridcast/gridcast/population"
	"github.com/gridcast/gridcast/population/importer"
	"github.com/gridcast/gridcast/store"
)

func (a *app) importCommand() *cobra.Command {
	c := &cobra.Command{Use: "import", Short: "Import residents from CSV or XLSX sheets"}
	var opt importer.Options
	var mappingPath string
	var asJSON, quiet bool
	var extraCategories []string
	residents := &cobra.Command{
		Use:   "residents FILE",
		Short: "Import residents from a CSV or XLSX file (upsert by ID number)",
		Long: `Reads a CSV (UTF-8 or GBK) or XLSX sheet whose columns are found by header:
the usual Chinese headers (姓名, 身份证号, 手机号, 网格, 人员类别 …) or the English
field names work as they are; --mapping names other headers. Every row is checked
(each field's length, ID check digit, birth date and gender against the ID,
mobile number, grid code against the store's grids, categories against the
built-in ones and --extra-category, duplicates) and problems are reported by row
number and column, with ID and phone numbers masked and over-long values not
repeated. Bad rows are skipped unless --strict, which writes nothing when any
row is bad, prints the same report and exits 1. A fatal error writes nothing.
Re-importing the same file changes nothing.

` + importLimits(),
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opt.ExtraCategories = nil
			for _, c := range extraCategories {
				c = strings.TrimSpace(c)
				if _, err := population.ParseCategory(c); err != nil {
					return usageError{fmt.Errorf("--extra-category %q: want a lower-case identifier such as retired_cadre", c)}
				}
				opt.ExtraCategories = append(opt.ExtraCategories, population.Category(c))
			}
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
				if err != nil && !errors.Is(err, importer.ErrRowErrors) {
					return err
				}
				// A strict run refused for bad rows prints the same report as
				// any other run, then fails.
				if err != nil {
					a.log.InfoContext(cmd.Context(), "import_refused", "file", pii.MaskText(filepath.Base(args[0])), "rows", rep.Rows, "errors", len(rep.Errors))
				} else {
					a.log.InfoContext(cmd.Context(), "import_done", "file", pii.MaskText(filepath.Base(args[0])), "rows", rep.Rows,
						"inserted", rep.Imported.Inserted, "updated", rep.Imported.Updated, "unchanged", rep.Imported.Unchanged,
						"erased", rep.Imported.Erased, "skipped", rep.Skipped)
					if rerr := a.record(cmd.Context(), st, importEntry(args[0], rep, opt.Strict)); rerr != nil {
						return rerr
					}
				}
				if asJSON {
					enc := json.NewEncoder(a.stdout)
					enc.SetIndent("", "  ")
					if perr := enc.Encode(rep); perr != nil {
						return perr
					}
				} else if perr := rep.WriteTable(a.stdout, 50); perr != nil {
					return perr
				}
				return err
			})
		},
	}
	residents.Flags().StringVar(&mappingPath, "mapping", "", "YAML file mapping fields to headers (field: header)")
	residents.Flags().StringVar(&opt.Format, "format", "", "csv or xlsx (default: by extension)")
	residents.Flags().StringVar(&opt.Sheet, "sheet", "", "XLSX worksheet (default: the first)")
	residents.Flags().StringVar(&opt.Encoding, "encoding", "", "CSV encoding: utf-8, gbk, gb18030 (default: detect)")
	residents.Flags().BoolVar(&opt.Strict, "strict", false, "write nothing if any row has an error (the report still lists every bad row)")
	residents.Flags().StringSliceVar(&extraCategories, "extra-category", nil, "accept this category identifier beyond the built-in ones (repeat, or comma-separated)")
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

// importLimits states the importer's length limits for the help text.
func importLimits() string {
	return fmt.Sprintf(`Limits, in characters: name %d, ID number %d, phone %d, grid %d, community %d,
building %d, unit %d, room %d, training course %d and cohort %d, gender %d,
preferred channel %d, birth date %d, openid %d; a categories, skills or
desired-jobs cell %d, holding at most %d skills (or desired jobs) of %d each.`,
		importer.MaxNameLen, importer.MaxIDNumberLen, importer.MaxPhoneLen, importer.MaxGridLen, importer.MaxCommunityLen,
		importer.MaxBuildingLen, importer.MaxUnitLen, importer.MaxRoomLen, importer.MaxCourseLen, importer.MaxCohortLen, importer.MaxGenderLen,
		importer.MaxChannelLen, importer.MaxBirthDateLen, importer.MaxOpenIDLen,
		importer.MaxListLen, importer.MaxListItems, importer.MaxListItemLen)
}
