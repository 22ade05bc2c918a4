package extsync_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/gridcast/gridcast/pii"
	"github.com/gridcast/gridcast/population"
	"github.com/gridcast/gridcast/population/extsync"
	"github.com/gridcast/gridcast/retention"
)

// A resident erased on request stays erased when the source, which still
// holds them, sends their row again: the sync counts them, writes nothing
// for them, and goes on with the others.
func TestSyncErased(t *testing.T) {
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
			if _, err := store.EraseResident(ctx, zhang.ID, "王芳", "依申请删除 2025-031"); err != nil {
				t.Fatal(err)
			}

			// The source updates 张三 (a new phone) and 钱七.
			bumped := t0.Add(time.Hour)
			for key, phone := range map[int]string{1: "13900000001", 5: "13900000005"} {
				src.exec(t, fmt.Sprintf("UPDATE %s SET %s = ?, %s = ? WHERE %s = ?", src.table,
					src.q("手机号"), src.q("更新时间"), src.q("编号")), phone, bumped, key)
			}
			res, err := extsync.Run(ctx, cfg, store, nil)
			if err != nil {
				t.Fatal(err)
			}
			want := population.UpsertStats{Updated: 1, Erased: 1}
			if d := cmp.Diff(want, res.Imported); d != "" || res.Invalid != 0 {
				t.Errorf("sync after the erasure: invalid %d, imported (-want +got):\n%s", res.Invalid, d)
			}
			again, err := store.ResidentByIDNumber(ctx, zhangID)
			if err != nil {
				t.Fatal(err)
			}
			if again.ID != zhang.ID || !strings.HasPrefix(string(again.Name), retention.PseudonymPrefix) || again.Phone != "" || len(again.Categories) != 0 {
				t.Errorf("张三 after the sync: %+v; want still erased", again)
			}
			qian, err := store.ResidentByIDNumber(ctx, pii.IDNumber(idNumber("19660606", 402)))
			if err != nil || qian.Phone != "13900000005" {
				t.Errorf("钱七 after the sync: phone %s, %v; want the new phone", qian.Phone, err)
			}
		})
	}
}
