package contract

import (
	"strconv"
	"time"

	"dataledger/chaincode/domain"
	"dataledger/chaincode/store"
)

// LoadCalendar records a year's working-day calendar; replacing a loaded
// year needs a reason and keeps the old one in the history.
func (a *App) LoadCalendar(s store.Store, calendarJSON, reason string) (*domain.Calendar, error) {
	var cal domain.Calendar
	if err := decodeArg("calendar", calendarJSON, &cal); err != nil {
		return nil, err
	}
	t, err := a.allowed(s, domain.ActLoadCalendar)
	if err != nil {
		return nil, err
	}
	if err := cal.Validate(); err != nil {
		return nil, err
	}
	ck := key(s, domain.TypeCalendar, strconv.Itoa(cal.Year))
	existing, err := s.Get(ck)
	if err != nil {
		return nil, err
	}
	action := "load"
	if existing != nil {
		if err := domain.ValidateText("reason", reason, domain.MaxReason); err != nil {
			return nil, err
		}
		action = "replace"
	}
	if err := put(s, ck, cal); err != nil {
		return nil, err
	}
	return &cal, emit(s, t.c, changed(domain.TypeCalendar, strconv.Itoa(cal.Year), action, "", 0))
}

// GetCalendar reads a loaded year.
func (a *App) GetCalendar(s store.Store, year string) (*domain.Calendar, error) {
	y, err := strconv.Atoi(year)
	if err != nil || y < 2000 || y > 2999 {
		return nil, domain.Invalid(domain.RuleCalendar, "year", "must be a four-digit year, got %q", truncate(year))
	}
	c, err := load[domain.Calendar](s, key(s, domain.TypeCalendar, year))
	return found(c, err, domain.NotFound(domain.RuleCalendarYear, "year", "no calendar is loaded for %d on channel %s", y, s.Channel()))
}

// calendars loads the years a deadline from `from` can reach.
func calendars(s store.Store, from time.Time) (domain.Calendars, error) {
	cs := domain.Calendars{}
	for y := from.Year(); y <= from.Year()+1; y++ {
		c, err := load[domain.Calendar](s, key(s, domain.TypeCalendar, strconv.Itoa(y)))
		if err != nil {
			return nil, err
		}
		if c != nil {
			cs[y] = c
		}
	}
	return cs, nil
}
