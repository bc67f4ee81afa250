package index

import (
	"context"
	"time"

	"dataledger/chaincode/domain"

	"github.com/jackc/pgx/v5"
)

// Summary is a channel at a glance, for a regulator's dashboard.
type Summary struct {
	Channel  string       `json:"channel"`
	Height   uint64       `json:"height"`
	Today    string       `json:"today"` // the China date overdue and upcoming are judged on
	Counts   []Count      `json:"counts"`
	Flags    []Count      `json:"flags"`    // by kind: late, open, overdue, deemed (the Count's status names the flag)
	Upcoming []Hit        `json:"upcoming"` // deadlines in the next 30 days, soonest first (at most 50)
	Months   []MonthCount `json:"months"`   // new credentials and certificates per month, the last 12 months
}

// Count is how many records of a kind have a status (or a flag).
type Count struct {
	Kind   string `json:"kind"`
	Status string `json:"status"`
	N      int    `json:"n"`
}

// MonthCount is how many records of a kind were first recorded in a
// month (China time).
type MonthCount struct {
	Month string `json:"month"` // YYYY-MM
	Kind  string `json:"kind"`
	N     int    `json:"n"`
}

// UpcomingDays is how far ahead a summary lists deadlines.
const UpcomingDays = 30

// Summary counts a channel's records by kind and status and by flag,
// lists deadlines of the next UpcomingDays days, and counts new
// credentials and certificates per month, all in one snapshot.
func (d *DB) Summary(ctx context.Context, channel string, today time.Time) (*Summary, error) {
	if today.IsZero() {
		today = time.Now()
	}
	day := domain.DateOf(today)
	s := &Summary{Channel: channel, Today: day.Format(time.DateOnly), Counts: []Count{}, Flags: []Count{}, Upcoming: []Hit{}, Months: []MonthCount{}}
	err := d.readOnly(ctx, channel, func(tx pgx.Tx, height uint64) error {
		s.Height = height
		counts := func(into *[]Count, sql string, args ...any) error {
			rows, err := tx.Query(ctx, sql, args...)
			if err != nil {
				return err
			}
			var c Count
			_, err = pgx.ForEachRow(rows, []any{&c.Kind, &c.Status, &c.N}, func() error {
				*into = append(*into, c)
				return nil
			})
			return err
		}
		if err := counts(&s.Counts, `SELECT kind, status, count(*) FROM records WHERE channel = $1 GROUP BY kind, status ORDER BY kind, status`, channel); err != nil {
			return err
		}
		if err := counts(&s.Flags, `SELECT kind, flag, count(*) FROM records,
			LATERAL (VALUES ('late', late), ('open', open), ('overdue', COALESCE(due < $2::date, false)),
			                ('deemed', deemed OR COALESCE(deemed_on <= $2::date, false))) AS f(flag, set)
			WHERE channel = $1 AND set GROUP BY kind, flag ORDER BY kind, flag`, channel, s.Today); err != nil {
			return err
		}
		b := &built{sortCol: "COALESCE(due, deemed_on)", dir: "ASC"}
		b.where = []string{"channel = " + b.arg(channel),
			"COALESCE(due, deemed_on) BETWEEN " + b.arg(s.Today) + "::date AND " + b.arg(day.AddDate(0, 0, UpcomingDays).Format(time.DateOnly)) + "::date"}
		sql, args := b.selectSQL(today, " LIMIT 50", true)
		rows, err := tx.Query(ctx, sql, args...)
		if err != nil {
			return err
		}
		if err := scanHits(rows, func(h Hit, _ string) error { s.Upcoming = append(s.Upcoming, h); return nil }); err != nil {
			return err
		}
		first := time.Date(day.Year(), day.Month(), 1, 0, 0, 0, 0, domain.CST).AddDate(0, -11, 0)
		rows, err = tx.Query(ctx, `SELECT to_char(first_time AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM') AS m, kind, count(*) FROM records
			WHERE channel = $1 AND kind IN ('credential', 'certificate') AND first_time >= $2 GROUP BY m, kind ORDER BY m, kind`, channel, first)
		if err != nil {
			return err
		}
		var m MonthCount
		_, err = pgx.ForEachRow(rows, []any{&m.Month, &m.Kind, &m.N}, func() error {
			s.Months = append(s.Months, m)
			return nil
		})
		return err
	})
	return s, err
}
