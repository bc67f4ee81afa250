package domain

import (
	"embed"
	"encoding/json"
	"fmt"
	"sort"
	"time"
)

// Calendar is one year of China's official working-day calendar: the
// public holidays and the make-up working weekends (调休) announced by the
// State Council. Working days are never guessed from weekdays alone.
type Calendar struct {
	Year     int      `json:"year"`
	Source   string   `json:"source"`
	Holidays []string `json:"holidays"` // YYYY-MM-DD, days off (weekends inside a holiday included)
	Workdays []string `json:"workdays"` // YYYY-MM-DD, weekend days that are working days
}

// Calendar rule codes.
const (
	RuleCalendar     = "DL-CALENDAR"      // a calendar must be valid
	RuleCalendarYear = "DL-CALENDAR-YEAR" // a deadline needs that year's calendar
)

// CST is China Standard Time: dates in the regime are local dates.
var CST = time.FixedZone("CST", 8*3600)

// Validate checks dates are in the year, unique, holidays are not make-up
// days, and make-up days fall on weekends.
func (c Calendar) Validate() error {
	if c.Year < 2000 || c.Year > 2999 {
		return Invalid(RuleCalendar, "year", "must be a four-digit year, got %d", c.Year)
	}
	if err := ValidateText("source", c.Source, MaxReason); err != nil {
		return err
	}
	if len(c.Holidays) > 60 || len(c.Workdays) > 30 {
		return Invalid(RuleCalendar, "holidays", "at most 60 holidays and 30 make-up days a year")
	}
	seen := map[string]string{}
	for _, list := range []struct {
		field string
		days  []string
	}{{"holidays", c.Holidays}, {"workdays", c.Workdays}} {
		for i, d := range list.days {
			f := fmt.Sprintf("%s[%d]", list.field, i)
			t, err := time.ParseInLocation(time.DateOnly, d, CST)
			if err != nil || t.Year() != c.Year {
				return Invalid(RuleCalendar, f, "%q is not a date of %d", truncate(d, 20), c.Year)
			}
			if prev, dup := seen[d]; dup {
				return Invalid(RuleCalendar, f, "%s is already listed in %s", d, prev)
			}
			seen[d] = list.field
			if list.field == "workdays" && t.Weekday() != time.Saturday && t.Weekday() != time.Sunday {
				return Invalid(RuleCalendar, f, "%s is a %s: make-up working days are weekend days", d, t.Weekday())
			}
		}
	}
	return nil
}

// Calendars are the loaded years.
type Calendars map[int]*Calendar

// IsWorkingDay tells whether a date (in CST) is a working day; a year
// without a loaded calendar is an error, not a guess.
func (cs Calendars) IsWorkingDay(day time.Time) (bool, error) {
	day = day.In(CST)
	c, ok := cs[day.Year()]
	if !ok {
		return false, Invalid(RuleCalendarYear, "calendar", "no working-day calendar is loaded for %d: the data authority must load it before a deadline in %d can be computed", day.Year(), day.Year())
	}
	d := day.Format(time.DateOnly)
	for _, h := range c.Holidays {
		if h == d {
			return false, nil
		}
	}
	for _, w := range c.Workdays {
		if w == d {
			return true, nil
		}
	}
	return day.Weekday() != time.Saturday && day.Weekday() != time.Sunday, nil
}

// AddWorkingDays returns the date of the n-th working day after from (the
// day of the event itself does not count): a deadline of "n working days".
func (cs Calendars) AddWorkingDays(from time.Time, n int) (time.Time, error) {
	if n <= 0 {
		return DateOf(from), nil
	}
	d, _, err := cs.nthWorkingDay(DateOf(from).AddDate(0, 0, 1), n, false)
	return d, err
}

// MonthsBefore is the date m months before d, the last day of that month
// when it has no such day (31 August less 6 months is 28 February, not 3
// March).
func MonthsBefore(d time.Time, m int) time.Time {
	first := time.Date(d.Year(), d.Month(), 1, 0, 0, 0, 0, d.Location()).AddDate(0, -m, 0)
	last := first.AddDate(0, 1, -1).Day()
	return first.AddDate(0, 0, min(d.Day(), last)-1)
}

// PastDue tells whether now (its China date) is after the deadline day
// due (YYYY-MM-DD); no deadline ("") is never past.
func PastDue(now time.Time, due string) bool {
	return due != "" && DateOf(now).Format(time.DateOnly) > due
}

// DateOf is the CST calendar date of t, at midnight CST.
func DateOf(t time.Time) time.Time {
	t = t.In(CST)
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, CST)
}

// ParseDate reads a YYYY-MM-DD date in CST.
func ParseDate(field, s string) (time.Time, error) {
	t, err := time.ParseInLocation(time.DateOnly, s, CST)
	if err != nil {
		return time.Time{}, Invalid(RuleDocument, field, "must be a date YYYY-MM-DD, got %q", truncate(s, 20))
	}
	return t, nil
}

//go:embed calendars/*.json
var calendarFiles embed.FS

// BuiltinCalendars are the official calendars shipped as sample data
// (2025 and 2026, sources in each file); the data authority loads them.
func BuiltinCalendars() []Calendar {
	entries, _ := calendarFiles.ReadDir("calendars")
	var out []Calendar
	for _, e := range entries {
		b, _ := calendarFiles.ReadFile("calendars/" + e.Name())
		var c Calendar
		if err := json.Unmarshal(b, &c); err != nil {
			panic("domain: calendar " + e.Name() + ": " + err.Error())
		}
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Year < out[j].Year })
	return out
}

// CalendarGap is a working-day calendar a channel lacks at a time: this
// year's (every deadline is refused), or, from 1 November, next year's
// (every deadline that crosses into it is refused). The State Council
// announces a year's arrangement in November or December of the year
// before (2026's on 2025-11-04), so the gap shows before it bites.
type CalendarGap struct {
	Channel string `json:"channel"`
	Year    int    `json:"year"`
	Message string `json:"message"`   // English
	Zh      string `json:"messageZh"` // 中文
}

// NextCalendarFrom is the month from which next year's calendar is due
// at the latest.
const NextCalendarFrom = time.November

// HolidayMargin is the longest official holiday (春节, 国庆: 9 days with
// their 调休): what a count of working days may lose to holidays not yet
// announced.
const HolidayMargin = 9

// WorkingDaysOrLatest is n working days after from on the calendar or,
// where a day they reach falls in a year with no calendar loaded, the
// latest they could end: weekdays counted as working days there, and
// HolidayMargin days more — the most lenient reading, so that no filing
// is marked late, published late or pushed overdue before the law's own
// deadline — with a note saying so. For a deadline that must not hold up
// the event it follows (a revocation, the record of a plan approved long
// ago, a product's submission).
func (cs Calendars) WorkingDaysOrLatest(from time.Time, n int) (time.Time, string, error) {
	if n <= 0 {
		return DateOf(from), "", nil
	}
	return cs.nthWorkingDay(DateOf(from).AddDate(0, 0, 1), n, true)
}

// SameWorkingDayOrLatest is day if it is a working day, else the first
// working day after it (立即, 及时: the same working day); where the
// calendar of a year it reaches is not loaded, the first weekday and
// HolidayMargin days more, with a note (as WorkingDaysOrLatest).
func (cs Calendars) SameWorkingDayOrLatest(day time.Time) (time.Time, string, error) {
	return cs.nthWorkingDay(DateOf(day), 1, true)
}

// nthWorkingDay is the n-th working day (n ≥ 1) counted from d itself on
// the calendar. A year with no calendar is refused — or, where guess, its
// weekdays stand in for working days, and the day is then the latest it
// could be (latest).
func (cs Calendars) nthWorkingDay(d time.Time, n int, guess bool) (time.Time, string, error) {
	for missing := 0; ; d = d.AddDate(0, 0, 1) {
		ok, err := cs.IsWorkingDay(d)
		if guess && IsRule(err, RuleCalendarYear) {
			ok, err = d.Weekday() != time.Saturday && d.Weekday() != time.Sunday, nil
			if missing == 0 {
				missing = d.Year()
			}
		}
		if err != nil {
			return time.Time{}, "", err
		}
		if ok {
			if n--; n == 0 {
				return latest(d, missing)
			}
		}
	}
}

// latest is d or, a day of the year missing having been guessed, d and
// HolidayMargin days more, with the note that says so.
func latest(d time.Time, missing int) (time.Time, string, error) {
	if missing == 0 {
		return d, "", nil
	}
	return d.AddDate(0, 0, HolidayMargin), fmt.Sprintf("counted without the calendar of %d (not loaded): weekdays, and %d days for its holidays — the latest the deadline could be", missing, HolidayMargin), nil
}

// Reach is how many natural days a working-day deadline of the profile
// can reach ahead (its longest, at 7 natural days to 5 working days, plus
// a 9-day holiday such as 春节 or 国庆): next year's calendar is due as soon
// as a deadline counted today could end in it.
func (p Profile) Reach() int {
	longest := max(p.PreliminaryReviewWorkingDays, p.SilenceApprovalWorkingDays, p.FilingDeadlineWorkingDays, p.PlanFilingWorkingDays, p.ProductReviewWorkingDays)
	for _, k := range p.Obligations {
		if k.Deadline.Rule == DeadlineWorkingDays {
			longest = max(longest, k.Deadline.N)
		}
	}
	return (longest*7+4)/5 + HolidayMargin
}

// CalendarGaps are the calendars a channel lacks at t; loaded tells
// whether a year's calendar is on the channel; reach is how far ahead its
// deadlines count (Profile.Reach): next year's calendar is due from 1
// November, or earlier when a deadline counted today can reach into it.
func CalendarGaps(channel string, t time.Time, reach int, loaded func(year int) bool) []CalendarGap {
	now := t.In(CST)
	var gaps []CalendarGap
	if y := now.Year(); !loaded(y) {
		gaps = append(gaps, CalendarGap{Channel: channel, Year: y,
			Message: fmt.Sprintf("channel %s has no working-day calendar for %d: every deadline is refused until the data authority loads it (dataledger network calendar load)", channel, y),
			Zh:      fmt.Sprintf("通道 %s 未载入 %d 年工作日历：在数据主管部门载入前，所有期限均无法计算（dataledger calendar load）", channel, y)})
	}
	if y := now.Year() + 1; (now.Month() >= NextCalendarFrom || now.AddDate(0, 0, reach).Year() >= y) && !loaded(y) {
		gaps = append(gaps, CalendarGap{Channel: channel, Year: y,
			Message: fmt.Sprintf("channel %s has no working-day calendar for %d: every deadline that reaches into %d is refused; load the State Council's %d holiday arrangement once it is published (dataledger network calendar load)", channel, y, y, y),
			Zh:      fmt.Sprintf("通道 %s 尚未载入 %d 年工作日历：跨入 %d 年的期限均无法计算；国务院办公厅公布 %d 年节假日安排后请及时载入（dataledger calendar load）", channel, y, y, y)})
	}
	return gaps
}
