package segments_test

import (
	"fmt"
	"time"

	"github.com/gridcast/gridcast/segments"
)

func ExampleParse() {
	e, err := segments.Parse("category:失业登记 and age:>=18,<=45 && skill:(电工 OR 焊工*)")
	if err != nil {
		panic(err)
	}
	fmt.Println(e)

	_, err = segments.Parse("category:unemployed AND skill:")
	fmt.Println(err)
	fmt.Println(err.(*segments.Error).Pretty())
	// Output:
	// category:unemployed AND age:(18.. OR ..45) AND skill:(电工 OR 焊工*)
	// column 31: expected a value after "skill:"
	// category:unemployed AND skill:
	//                               ^
}

func ExampleCompile() {
	e, err := segments.Parse("category:elderly_alone AND age:>=70 AND NOT channel:wechat AND grid:NY-03*")
	if err != nil {
		panic(err)
	}
	where, args, err := segments.Compile(e, segments.Options{
		Dialect:  segments.Postgres,
		Now:      time.Date(2026, 3, 15, 0, 0, 0, 0, time.UTC),
		ArgStart: 2, // $1 is the query's own paging cursor
	})
	if err != nil {
		panic(err)
	}
	fmt.Println("SELECT r.id FROM residents r WHERE r.id > $1 AND " + where)
	fmt.Println(args)
	// Output:
	// SELECT r.id FROM residents r WHERE r.id > $1 AND (r.id IN (SELECT c.resident_id FROM resident_categories c WHERE c.category = $2) AND r.birth_date <= $3::date AND NOT (r.openid <> '') AND r.grid_code LIKE $4 ESCAPE '\')
	// [elderly_alone 1956-03-15 NY-03%]
}
