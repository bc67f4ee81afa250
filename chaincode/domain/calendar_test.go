package domain

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

func builtin(t *testing.T) Calendars {
	cs := Calendars{}
	for _, c := range BuiltinCalendars() {
		if err := c.Validate(); err != nil {
			t.Fatalf("%d: %v", c.Year, err)
		}
		c := c
		cs[c.Year] = &c
	}
	if len(cs) != 2 || cs[2025] == nil || cs[2026] == nil {
		t.Fatalf("built-in calendars: %v", cs)
	}
	return cs
}

func day(s string) time.Time {
	t, err := time.ParseInLocation(time.DateOnly, s, CST)
	if err != nil {
		panic(err)
	}
	return t
}

func TestDeadlinesAcrossSpringFestivalAndNationalDay(t *testing.T) {
	cs := builtin(t)
	cases := []struct {
		from string
		n    int
		want string
		why  string
	}{
		// 2026 春节: 2-15..2-23 off, Sat 2-14 and Sat 2-28 are working days.
		{"2026-02-12", 1, "2026-02-13", "Friday before the holiday"},
		{"2026-02-12", 2, "2026-02-14", "make-up Saturday 2-14 counts"},
		{"2026-02-12", 3, "2026-02-24", "nine days off, then Tuesday 2-24"},
		{"2026-02-13", 10, "2026-03-05", "2-14 (1), 2-24..2-27 (2-5), 2-28 make-up (6), 3-2..3-5 (7-10)"},
		// GD 23: 10 working days after signing on 2026-09-18 crosses 中秋 and 国庆.
		{"2026-09-18", 10, "2026-10-09", "9-20 make-up (1), 9-21..24 (2-5), 中秋 off, 9-28..30 (6-8), 国庆 off, 10-8, 10-9 (9, 10)"},
		{"2026-09-30", 2, "2026-10-09", "10-1..10-7 off, then 10-8, 10-9"},
		{"2026-10-09", 1, "2026-10-10", "Saturday 10-10 is a make-up working day"},
		// HB 37: 5 working days across 2025 春节 (1-28..2-4 off, 1-26 and 2-8 make-up).
		{"2025-01-24", 5, "2025-02-07", "1-26 Sun make-up (1), 1-27 (2), 1-28..2-4 off, 2-5..2-7 (3-5)"},
		// 2025 国庆+中秋 8 days: 10-1..10-8 off; 9-28 Sun and 10-11 Sat make-up.
		{"2025-09-26", 4, "2025-10-09", "9-28 make-up (1), 9-29, 9-30 (2, 3), 10-1..10-8 off, 10-9 (4)"},
	}
	for _, c := range cases {
		got, err := cs.AddWorkingDays(day(c.from), c.n)
		if err != nil {
			t.Fatal(err)
		}
		if got.Format(time.DateOnly) != c.want {
			t.Errorf("%s + %d working days = %s, want %s (%s)", c.from, c.n, got.Format(time.DateOnly), c.want, c.why)
		}
	}
}

func TestNoCalendarNoGuess(t *testing.T) {
	cs := builtin(t)
	_, err := cs.AddWorkingDays(day("2026-12-24"), 10)
	if re, ok := AsRule(err); !ok || re.Rule != RuleCalendarYear {
		t.Fatalf("a deadline in 2027 without its calendar: %v", err)
	}
	if ok, err := cs.IsWorkingDay(day("2026-10-10")); !ok || err != nil {
		t.Fatal("Saturday 2026-10-10 is a make-up working day")
	}
	if ok, _ := cs.IsWorkingDay(day("2026-10-05")); ok {
		t.Fatal("Monday 2026-10-05 is 国庆")
	}
}

func TestCalendarValidation(t *testing.T) {
	bad := []Calendar{
		{Year: 2026, Source: "x", Holidays: []string{"2025-10-01"}},
		{Year: 2026, Source: "x", Workdays: []string{"2026-10-12"}}, // a Monday
		{Year: 2026, Source: "x", Holidays: []string{"2026-10-01"}, Workdays: []string{"2026-10-01"}},
		{Year: 2026, Source: ""},
	}
	for i, c := range bad {
		if c.Validate() == nil {
			t.Errorf("case %d accepted", i)
		}
	}
}

func TestCalendarGapsShowBeforeTheyBite(t *testing.T) {
	loaded := func(years ...int) func(int) bool {
		return func(y int) bool {
			for _, l := range years {
				if l == y {
					return true
				}
			}
			return false
		}
	}
	for _, tc := range []struct {
		name  string
		at    time.Time
		have  []int
		years []int
	}{
		{"October: next year not due yet", time.Date(2026, 10, 31, 15, 59, 0, 0, time.UTC), []int{2026}, nil},       // 23:59 CST
		{"1 November CST: next year due", time.Date(2026, 10, 31, 16, 0, 0, 0, time.UTC), []int{2026}, []int{2027}}, // 00:00 CST
		{"December, both loaded", time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC), []int{2026, 2027}, nil},             //
		{"new year without its calendar", time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC), []int{2026}, []int{2027}},    //
		{"December, neither loaded", time.Date(2026, 12, 31, 0, 0, 0, 0, time.UTC), []int{2025}, []int{2026, 2027}}, //
	} {
		gaps := CalendarGaps("nanning", tc.at, 0, loaded(tc.have...))
		var years []int
		for _, g := range gaps {
			years = append(years, g.Year)
			if g.Channel != "nanning" || !strings.Contains(g.Message, fmt.Sprint(g.Year)) || !strings.Contains(g.Zh, "工作日历") {
				t.Errorf("%s: %+v", tc.name, g)
			}
		}
		if fmt.Sprint(years) != fmt.Sprint(tc.years) {
			t.Errorf("%s: gaps for %v, want %v", tc.name, years, tc.years)
		}
	}
}

// A profile whose deadlines reach far (60 working days) needs next year's
// calendar before November.
func TestCalendarGapsFollowTheProfilesReach(t *testing.T) {
	far := Profile{FilingDeadlineWorkingDays: 60}
	if r := far.Reach(); r != 93 {
		t.Fatalf("reach of 60 working days: %d natural days", r)
	}
	only2026 := func(y int) bool { return y == 2026 }
	if g := CalendarGaps("nanning", time.Date(2026, 9, 30, 0, 0, 0, 0, time.UTC), far.Reach(), only2026); len(g) != 1 || g[0].Year != 2027 {
		t.Fatalf("30 September with a 60-working-day deadline: %+v", g)
	}
	if g := CalendarGaps("nanning", time.Date(2026, 9, 30, 0, 0, 0, 0, time.UTC), Profile{FilingDeadlineWorkingDays: 10}.Reach(), only2026); len(g) != 0 {
		t.Fatalf("30 September with a 10-working-day deadline: %+v", g)
	}
}

// The renewal window's first day: the same day of the month m months
// earlier, or that month's last day when it has none.
func TestMonthsBefore(t *testing.T) {
	for _, c := range []struct {
		d    string
		m    int
		want string
	}{{"2026-08-31", 6, "2026-02-28"}, {"2028-08-31", 6, "2028-02-29"}, {"2026-06-30", 6, "2025-12-30"}, {"2027-03-01", 6, "2026-09-01"}, {"2026-12-31", 1, "2026-11-30"}} {
		d, _ := ParseDate("d", c.d)
		if got := MonthsBefore(d, c.m).Format(time.DateOnly); got != c.want {
			t.Errorf("%s less %d months: %s, want %s", c.d, c.m, got, c.want)
		}
	}
}
