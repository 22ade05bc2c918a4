package tickets_test

import (
	"fmt"

	"github.com/gridcast/gridcast/tickets"
)

// Residents' replies read on the default scale and on the 1–5 option.
func ExampleRatingScale_Parse() {
	for _, r := range []string{"1", "基本满意", "非常满意！", "3"} {
		l, _ := tickets.ThreeLevel.Parse(r)
		fmt.Printf("three %q → %s\n", r, l.Label())
	}
	for _, r := range []string{"5", "4分", "3", "1"} {
		l, _ := tickets.FivePoint.Parse(r)
		fmt.Printf("five %q → %s\n", r, l.Label())
	}
	_, err := tickets.ThreeLevel.Parse("5")
	fmt.Println(err)
	// Output:
	// three "1" → 满意
	// three "基本满意" → 基本满意
	// three "非常满意！" → 满意
	// three "3" → 不满意
	// five "5" → 满意
	// five "4分" → 满意
	// five "3" → 基本满意
	// five "1" → 不满意
	// satisfaction "5": want 1 满意, 2 基本满意 or 3 不满意
}
