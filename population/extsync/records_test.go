package extsync_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/gridcast/gridcast/pii"
	"github.com/gridcast/gridcast/population"
	"github.com/gridcast/gridcast/population/extsync"
)

// A phone a grid worker changed from the field (活户籍) is not overwritten
// by a source row dated before the change, though the row's other fields
// are taken; a source row dated after it wins.
func TestSyncKeepsFieldChanges(t *testing.T) {
	for _, be := range backends {
		t.Run(be.driver, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			src := newSource(t, be.driver, be.env, be.sqlDriver)
			store := newStore(t)
			cfg := src.config()
			src.insert(t, fivePeople()...)
			if _, err := extsync.Run(ctx, cfg, store, nil); err != nil {
				t.Fatal(err)
			}
			zhangID := pii.IDNumber(idNumber("19850312", 123))
			zhang, err := store.ResidentByIDNumber(ctx, zhangID)
			if err != nil {
				t.Fatal(err)
			}
			cs, err := population.NewChanges(zhang.ID, map[population.ChangeField]string{population.FieldPhone: "13700000001"},
				"王芳", population.SourceField, "入户核实新号码")
			if err != nil {
				t.Fatal(err)
			}
			if _, err := store.RecordChanges(ctx, zhang.ID, cs); err != nil {
				t.Fatal(err)
			}
			changedAt := time.Now()

			// The source's row, edited there before the worker's change
			// (its date says so), changes the categories and still holds
			// the old phone.
			older := changedAt.Add(-time.Hour)
			src.exec(t, fmt.Sprintf("UPDATE %s SET %s = ?, %s = ? WHERE %s = 1", src.table,
				src.q("人员类别"), src.q("更新时间"), src.q("编号")), "失业登记", older)
			res, err := extsync.Run(ctx, cfg, store, nil)
			if err != nil {
				t.Fatal(err)
			}
			if res.Imported.Updated != 1 {
				t.Errorf("older row: %+v, want one update", res.Imported)
			}
			got, err := store.ResidentByIDNumber(ctx, zhangID)
			if err != nil {
				t.Fatal(err)
			}
			if got.Phone != "13700000001" || len(got.Categories) != 1 || got.Categories[0] != population.Unemployed {
				t.Errorf("after the older row: phone %s categories %v; want the field's phone and the source's categories", got.Phone, got.Categories)
			}

			// The source changes the phone after the worker did: it wins.
			newer := changedAt.Add(time.Hour)
			src.exec(t, fmt.Sprintf("UPDATE %s SET %s = ?, %s = ? WHERE %s = 1", src.table,
				src.q("手机号"), src.q("更新时间"), src.q("编号")), "13900000011", newer)
			if _, err := extsync.Run(ctx, cfg, store, nil); err != nil {
				t.Fatal(err)
			}
			if got, _ = store.ResidentByIDNumber(ctx, zhangID); got.Phone != "13900000011" {
				t.Errorf("after the newer row: phone %s, want the source's 139****0011", got.Phone)
			}
		})
	}
}
