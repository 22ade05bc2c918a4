package synth

import (
	"testing"

	"github.com/gridcast/gridcast/population"
)

// stats counts what the proportions test checks, over a whole stream.
type stats struct {
	n, households, working, over60, over65, under60                   int
	unemployed, hardToEmploy, trainee, elderlyAlone, emptyNest        int
	subsistence, disabled, guardian, floating, newResident            int
	openIDUnder60, openID60, noPhone60, prefWeChat, prefSMS, optedOut int
}

func gather(g *Generator) stats {
	now := g.Config().Now
	var s stats
	for hh := range g.Households() {
		s.households++
		for _, r := range hh {
			s.n++
			age := r.Age(now)
			has := r.HasCategory
			count := func(n *int, ok bool) {
				if ok {
					*n++
				}
			}
			if age >= 18 && age < 60 {
				s.working++
				count(&s.unemployed, has(population.Unemployed))
			}
			if age >= 60 {
				s.over60++
				count(&s.openID60, r.OpenID != "")
				count(&s.noPhone60, r.Phone == "")
				count(&s.emptyNest, has(population.EmptyNest))
			} else {
				s.under60++
				count(&s.openIDUnder60, r.OpenID != "")
			}
			if age >= 65 {
				s.over65++
				count(&s.elderlyAlone, has(population.ElderlyAlone))
			}
			count(&s.hardToEmploy, has(population.HardToEmploy))
			count(&s.trainee, has(population.Trainee))
			count(&s.subsistence, has(population.Subsistence))
			count(&s.disabled, has(population.Disabled))
			count(&s.guardian, has(population.LeftBehindGuardian))
			count(&s.floating, has(population.Floating))
			count(&s.newResident, has(population.NewResident))
			count(&s.prefWeChat, r.PreferredChannel == population.ChannelWeChat)
			count(&s.prefSMS, r.PreferredChannel == population.ChannelSMS)
			count(&s.optedOut, len(r.OptOuts) > 0)
		}
	}
	return s
}

func pct(a, b int) float64 { return 100 * float64(a) / float64(b) }

func TestProportions(t *testing.T) {
	t.Parallel()
	g, err := New(Config{Residents: 50_000, Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	s := gather(g)
	tests := []struct {
		name     string
		got      float64
		min, max float64 // percent
	}{
		{"unemployed share of 18-59", pct(s.unemployed, s.working), 4, 5.5},
		{"hard_to_employ share of 18-59", pct(s.hardToEmploy, s.working), 0.6, 1.6},
		{"trainee share of 18-59", pct(s.trainee, s.working), 1.5, 2.5},
		{"60+ share", pct(s.over60, s.n), 18, 23},
		{"elderly_alone share of 65+", pct(s.elderlyAlone, s.over65), 7, 10.5},
		{"empty_nest share of 60+", pct(s.emptyNest, s.over60), 16, 24},
		{"subsistence share", pct(s.subsistence, s.n), 1.3, 2.7},
		{"disabled share", pct(s.disabled, s.n), 4.5, 6.5},
		{"left_behind_guardian share", pct(s.guardian, s.n), 0.6, 1.4},
		{"floating share", pct(s.floating, s.n), 9, 15},
		{"new_resident share", pct(s.newResident, s.n), 2, 4.5},
		{"openid share of under-60s", pct(s.openIDUnder60, s.under60), 52, 58},
		{"openid share of 60+", pct(s.openID60, s.over60), 22, 28},
		{"60+ without phone", pct(s.noPhone60, s.over60), 2, 4.5},
		{"preferred channel wechat", pct(s.prefWeChat, s.n), 4, 10},
		{"preferred channel sms", pct(s.prefSMS, s.n), 2, 7},
		{"opted out of something", pct(s.optedOut, s.n), 2, 8},
		{"residents per household", float64(s.n) / float64(s.households), 3.0, 3.5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.got < tt.min || tt.got > tt.max {
				t.Errorf("%s = %.2f, want between %.1f and %.1f", tt.name, tt.got, tt.min, tt.max)
			}
		})
	}
}
