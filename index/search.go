package index

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"dataledger/chaincode/domain"

	"github.com/jackc/pgx/v5"
)

// Query is a search of one channel's records. Every filter is optional;
// together they narrow (AND).
type Query struct {
	Channel  string   `json:"channel"`
	Kind     string   `json:"kind,omitempty"`     // a Kind's name
	Status   string   `json:"status,omitempty"`   // as recorded (an application's stage)
	Outcome  string   `json:"outcome,omitempty"`  // an objection's decision, an egress check's result, an agreement's kind, a credit record's category, an evaluation's result, a selection's method
	Party    string   `json:"party,omitempty"`    // a credit code, its beginning, or part of a party's name
	Text     string   `json:"q,omitempty"`        // part of a record's name, product or scope
	Division string   `json:"division,omitempty"` // a division code: 450000 is the province and every city in it
	Dates    string   `json:"dates,omitempty"`    // which date From and To bound: recorded (first on the ledger, default), changed (last version), record (its own date)
	From     string   `json:"from,omitempty"`     // YYYY-MM-DD, China time, inclusive
	To       string   `json:"to,omitempty"`       // YYYY-MM-DD, China time, inclusive
	Flags    []string `json:"flags,omitempty"`    // late, overdue, deemed, open
	Sort     string   `json:"sort,omitempty"`     // recorded (default), changed, date, id
	Asc      bool     `json:"asc,omitempty"`      // oldest first (default: newest first)
	Limit    int      `json:"limit,omitempty"`    // a page's rows: 1 to 500, default 50
	Cursor   string   `json:"-"`                  // where the previous page ended
	// Today is the China date overdue and deemed are judged on (zero:
	// today).
	Today time.Time `json:"-"`

	// codes are the credit codes Party names, once a snapshot looked them
	// up: the planner then sees the codes, not a subquery.
	codes    []string
	resolved bool
}

// Flags a search may ask for.
const (
	FlagLate    = "late"    // recorded late: a filing past its deadline, a review past its term, a destruction past its order
	FlagOverdue = "overdue" // awaiting something whose deadline has passed
	FlagDeemed  = "deemed"  // approved by silence (ZW 21), recorded or due
	FlagOpen    = "open"    // awaiting a decision or a filing
)

// Sorts and date fields, with the column each reads.
var (
	sortColumns = map[string]string{"recorded": "first_time", "changed": "tx_time", "date": "record_date", "id": "id"}
	dateColumns = map[string]string{"recorded": "first_time", "changed": "tx_time", "record": "record_date"}
	sortTypes   = map[string]string{"first_time": "timestamptz", "tx_time": "timestamptz", "record_date": "date", "id": "text"}
)

// Hit is one record a search found, as the index holds it.
type Hit struct {
	Kind     string          `json:"kind"`
	ID       string          `json:"id"`
	Status   string          `json:"status"`
	Outcome  string          `json:"outcome,omitempty"`
	Division string          `json:"division"`
	Parties  []string        `json:"parties"`
	Title    string          `json:"title"`
	Date     string          `json:"date,omitempty"`
	Late     bool            `json:"late"`
	Open     bool            `json:"open"`
	Deemed   bool            `json:"deemed"`
	Overdue  bool            `json:"overdue"`
	Due      string          `json:"due,omitempty"`
	Versions int             `json:"versions"`
	Recorded time.Time       `json:"recorded"`
	Changed  time.Time       `json:"changed"`
	Block    uint64          `json:"block"` // of its latest version
	TxID     string          `json:"txId"`  // of its latest version
	Record   json.RawMessage `json:"record,omitempty"`
}

// Page is a page of hits, true at a block height.
type Page struct {
	Channel string `json:"channel"`
	Height  uint64 `json:"height"` // every block below it is in the answer
	Items   []Hit  `json:"items"`
	Next    string `json:"next,omitempty"` // the cursor of the next page; none after the last
}

// QueryError is a query that cannot run: it names the field and the rule.
type QueryError struct{ Field, Reason string }

func (e *QueryError) Error() string { return e.Field + ": " + e.Reason }

func bad(field, format string, a ...any) error {
	return &QueryError{field, fmt.Sprintf(format, a...)}
}

var (
	creditCode       = regexp.MustCompile(`^[0-9A-HJ-NPQRTUWXY]{18}$`)
	creditCodePrefix = regexp.MustCompile(`^[0-9A-HJ-NPQRTUWXY]{2,17}$`)
	divisionCode     = regexp.MustCompile(`^[1-9][0-9]{5}$`)
)

// built is a query as SQL: its WHERE clause, its ORDER BY and arguments.
type built struct {
	where    []string
	args     []any
	sortCol  string
	sortType string // of the sort value in a cursor
	dir      string
	// narrow: the filters leave few rows (a rare party), read through the
	// parties index and sorted, rather than walked in sort order.
	narrow bool
}

// narrowBelow is how many records of the searched parties make them
// rare: fewer, and a search reads them through the parties index first.
var narrowBelow = 5000

func (b *built) arg(v any) string {
	b.args = append(b.args, v)
	return "$" + strconv.Itoa(len(b.args))
}

func likeEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// build checks a query and turns it into SQL.
func (q *Query) build() (*built, error) {
	b := &built{}
	if q.Channel == "" {
		return nil, bad("channel", "required")
	}
	b.where = append(b.where, "channel = "+b.arg(q.Channel))
	if q.Kind != "" {
		if _, ok := KindNamed(q.Kind); !ok {
			return nil, bad("kind", "%q is not one of %s", q.Kind, strings.Join(KindNames(), ", "))
		}
		b.where = append(b.where, "kind = "+b.arg(q.Kind))
	}
	for _, f := range []struct {
		name, col, v string
	}{{"status", "status", q.Status}, {"outcome", "outcome", q.Outcome}} {
		if f.v == "" {
			continue
		}
		if len(f.v) > 64 {
			return nil, bad(f.name, "at most 64 characters")
		}
		b.where = append(b.where, f.col+" = "+b.arg(f.v))
	}
	if p := strings.TrimSpace(q.Party); p != "" {
		switch up := strings.ToUpper(p); {
		case q.resolved && len(q.codes) == 0:
			b.where = append(b.where, "false")
		case q.resolved:
			b.where = append(b.where, "parties && "+b.arg(q.codes)+"::text[]")
		case creditCode.MatchString(up):
			b.where = append(b.where, "parties @> ARRAY["+b.arg(up)+"]::text[]")
		case creditCodePrefix.MatchString(up):
			b.where = append(b.where, "EXISTS (SELECT 1 FROM unnest(parties) p WHERE p LIKE "+b.arg(likeEscape(up)+"%")+")")
		case len([]rune(p)) > 100:
			return nil, bad("party", "at most 100 characters")
		default:
			b.where = append(b.where, "parties && ARRAY(SELECT n.id FROM parties n WHERE n.channel = "+b.arg(q.Channel)+
				" AND n.title ILIKE "+b.arg("%"+likeEscape(p)+"%")+")")
		}
	}
	if t := strings.TrimSpace(q.Text); t != "" {
		if len([]rune(t)) > 100 {
			return nil, bad("q", "at most 100 characters")
		}
		b.where = append(b.where, "(title ILIKE "+b.arg("%"+likeEscape(t)+"%")+" OR id = "+b.arg(t)+")")
	}
	if q.Division != "" {
		if !divisionCode.MatchString(q.Division) {
			return nil, bad("division", "%q is not a six-digit division code", q.Division)
		}
		// 450000 is the province and every city and county in it; 450100
		// the city and its counties.
		d := q.Division
		for strings.HasSuffix(d, "00") && len(d) > 2 {
			d = strings.TrimSuffix(d, "00")
		}
		b.where = append(b.where, "division LIKE "+b.arg(d+"%"))
	}
	dates := q.Dates
	if dates == "" {
		dates = "recorded"
	}
	col, ok := dateColumns[dates]
	if !ok {
		return nil, bad("dates", "%q is not recorded, changed or record", q.Dates)
	}
	for _, bound := range []struct {
		field, v, op string
		days         int
	}{{"from", q.From, ">=", 0}, {"to", q.To, "<", 1}} {
		if bound.v == "" {
			continue
		}
		d, err := domain.ParseDate(bound.field, bound.v)
		if err != nil {
			return nil, bad(bound.field, "%q is not a date (YYYY-MM-DD)", bound.v)
		}
		d = d.AddDate(0, 0, bound.days)
		if col == "record_date" {
			b.where = append(b.where, col+" "+bound.op+" "+b.arg(d.Format(time.DateOnly))+"::date")
		} else {
			b.where = append(b.where, col+" "+bound.op+" "+b.arg(d))
		}
	}
	today := q.Today
	if today.IsZero() {
		today = time.Now()
	}
	day := domain.DateOf(today).Format(time.DateOnly)
	for _, f := range q.Flags {
		switch f {
		case FlagLate:
			b.where = append(b.where, "late")
		case FlagOpen:
			b.where = append(b.where, "open")
		case FlagOverdue:
			b.where = append(b.where, "due < "+b.arg(day)+"::date")
		case FlagDeemed:
			b.where = append(b.where, "(deemed OR deemed_on <= "+b.arg(day)+"::date)")
		case "":
		default:
			return nil, bad("flag", "%q is not late, overdue, deemed or open", f)
		}
	}
	sort := q.Sort
	if sort == "" {
		sort = "recorded"
	}
	if b.sortCol, ok = sortColumns[sort]; !ok {
		return nil, bad("sort", "%q is not recorded, changed, date or id", q.Sort)
	}
	b.sortType = sortTypes[b.sortCol]
	if b.sortCol == "record_date" {
		b.sortCol = "COALESCE(record_date, '0001-01-01'::date)"
	}
	b.dir = "DESC"
	if q.Asc {
		b.dir = "ASC"
	}
	return b, nil
}

// cursor is where a page ended: the last row's sort value, kind and id,
// and the query it belongs to.
type cursor struct {
	V string `json:"v"`
	K string `json:"k"`
	I string `json:"i"`
	Q string `json:"q"`
}

// fingerprint ties a cursor to its query (a cursor of another query is
// refused rather than answering a page of something else).
func (q *Query) fingerprint() string {
	c := *q
	c.Limit, c.Cursor = 0, ""
	b, _ := json.Marshal(c)
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:8])
}

const selectHit = `SELECT kind, id, status, outcome, division, parties, title, COALESCE(to_char(record_date, 'YYYY-MM-DD'), ''), late, open,
	deemed OR COALESCE(deemed_on <= $%d::date, false), COALESCE(due < $%d::date, false), COALESCE(to_char(due, 'YYYY-MM-DD'), ''),
	versions, first_time, tx_time, block, tx_id, %s, %s FROM records`

// latestBody is a record's body: its latest version's.
const latestBody = `(SELECT v.body FROM versions v WHERE v.channel = records.channel AND v.kind = records.kind AND v.id = records.id
	AND v.block = records.block AND v.tx_index = records.tx_index)`

// Search answers a page of a query, with the height it is true at.
func (d *DB) Search(ctx context.Context, q Query) (*Page, error) {
	var page *Page
	err := d.Snapshot(ctx, q.Channel, func(s *Snapshot) (err error) {
		page, err = s.Search(ctx, q)
		return err
	})
	return page, err
}

// Snapshot is one read-only view of a channel's records, true at Height:
// a report's figures and lists read through one agree with each other.
type Snapshot struct {
	Channel string
	Height  uint64
	tx      pgx.Tx
}

// Snapshot runs fn over one snapshot of a channel.
func (d *DB) Snapshot(ctx context.Context, channel string, fn func(*Snapshot) error) error {
	if channel == "" {
		return bad("channel", "required")
	}
	return d.readOnly(ctx, channel, func(tx pgx.Tx, height uint64) error {
		return fn(&Snapshot{Channel: channel, Height: height, tx: tx})
	})
}

// resolveParty looks up the parties a party filter that is part of a name
// names: the channel's registered parties of that name.
func (s *Snapshot) resolveParty(ctx context.Context, q *Query) error {
	p := strings.TrimSpace(q.Party)
	if p == "" || q.resolved || creditCode.MatchString(strings.ToUpper(p)) || len([]rune(p)) > 100 {
		return nil // build decides, or refuses
	}
	if creditCodePrefix.MatchString(strings.ToUpper(p)) {
		return nil // a code's beginning matches any party a record names, registered here or not
	}
	rows, err := s.tx.Query(ctx, `SELECT id FROM parties WHERE channel = $1 AND title ILIKE $2`, s.Channel, "%"+likeEscape(p)+"%")
	if err != nil {
		return err
	}
	codes, err := pgx.CollectRows(rows, pgx.RowTo[string])
	q.codes, q.resolved = codes, true
	return err
}

// narrows tells whether a query's resolved parties are rare (fewer than
// narrowBelow records name them).
func (s *Snapshot) narrows(ctx context.Context, q *Query) (bool, error) {
	if !q.resolved || len(q.codes) == 0 {
		return false, nil
	}
	var n int
	err := s.tx.QueryRow(ctx, `SELECT count(*) FROM (SELECT 1 FROM records WHERE channel = $1 AND parties && $2::text[] LIMIT $3) x`,
		s.Channel, q.codes, narrowBelow).Scan(&n)
	return n < narrowBelow, err
}

// Search answers a page of a query (of this snapshot's channel).
func (s *Snapshot) Search(ctx context.Context, q Query) (*Page, error) {
	if q.Channel != s.Channel {
		return nil, bad("channel", "a snapshot of %s answers no query of %s", s.Channel, q.Channel)
	}
	if err := s.resolveParty(ctx, &q); err != nil {
		return nil, err
	}
	b, err := q.build()
	if err != nil {
		return nil, err
	}
	if b.narrow, err = s.narrows(ctx, &q); err != nil {
		return nil, err
	}
	limit := q.Limit
	if limit == 0 {
		limit = 50
	}
	if limit < 1 || limit > 500 {
		return nil, bad("limit", "from 1 to 500")
	}
	fp := q.fingerprint()
	if q.Cursor != "" {
		raw, err := base64.RawURLEncoding.DecodeString(q.Cursor)
		var c cursor
		if err == nil {
			err = json.Unmarshal(raw, &c)
		}
		if err == nil {
			err = c.check(b.sortType)
		}
		if err != nil {
			return nil, bad("cursor", "not a cursor this index gave")
		}
		if c.Q != fp {
			return nil, bad("cursor", "the cursor belongs to another query")
		}
		op := "<"
		if q.Asc {
			op = ">"
		}
		b.where = append(b.where, fmt.Sprintf("(%s, kind, id) %s (%s::%s, %s, %s)", b.sortCol, op, b.arg(c.V), b.sortType, b.arg(c.K), b.arg(c.I)))
	}
	page := &Page{Channel: q.Channel, Height: s.Height, Items: []Hit{}}
	sql, args := b.selectSQL(q.Today, fmt.Sprintf(" LIMIT %d", limit+1), true)
	rows, err := s.tx.Query(ctx, sql, args...)
	if err != nil {
		return nil, err
	}
	var last string
	err = scanHits(rows, func(h Hit, sortValue string) error {
		if len(page.Items) == limit {
			c, _ := json.Marshal(cursor{V: last, K: page.Items[limit-1].Kind, I: page.Items[limit-1].ID, Q: fp})
			page.Next = base64.RawURLEncoding.EncodeToString(c)
			return errStop
		}
		page.Items, last = append(page.Items, h), sortValue
		return nil
	})
	return page, err
}

// Count is how many records a query finds (its cursor and limit aside).
func (s *Snapshot) Count(ctx context.Context, q Query) (int, error) {
	if q.Channel != s.Channel {
		return 0, bad("channel", "a snapshot of %s answers no query of %s", s.Channel, q.Channel)
	}
	q.Cursor = ""
	if err := s.resolveParty(ctx, &q); err != nil {
		return 0, err
	}
	b, err := q.build()
	if err != nil {
		return 0, err
	}
	var n int
	err = s.tx.QueryRow(ctx, "SELECT count(*) FROM records WHERE "+strings.Join(b.where, " AND "), b.args...).Scan(&n)
	return n, err
}

// check refuses a cursor whose sort value is not of its sort's type (it
// would reach PostgreSQL as a failed cast).
func (c *cursor) check(sortType string) error {
	var err error
	switch sortType {
	case "timestamptz":
		_, err = time.Parse(time.RFC3339Nano, c.V)
	case "date":
		_, err = time.Parse(time.DateOnly, c.V)
	}
	if err == nil && (c.K == "" || c.I == "") {
		err = fmt.Errorf("incomplete")
	}
	return err
}

var errStop = errors.New("stop")

// selectSQL is the query's SELECT with the sort value last.
func (b *built) selectSQL(today time.Time, tail string, withBody bool) (string, []any) {
	if today.IsZero() {
		today = time.Now()
	}
	args := append([]any(nil), b.args...)
	args = append(args, domain.DateOf(today).Format(time.DateOnly))
	n := len(args)
	sortText := b.sortCol + "::text"
	if strings.Contains(b.sortCol, "time") {
		sortText = "to_char(" + b.sortCol + " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"
	}
	body := latestBody
	if !withBody {
		body = "NULL::json"
	}
	sql := fmt.Sprintf(selectHit, n, n, body, sortText) + " WHERE " + strings.Join(b.where, " AND ")
	if b.narrow {
		// The planner would walk the sort's index through every record to
		// find a rare party's few: read them first, then sort.
		sql = "WITH narrowed AS MATERIALIZED (SELECT * FROM records WHERE " + strings.Join(b.where, " AND ") + ") " +
			strings.Replace(fmt.Sprintf(selectHit, n, n, body, sortText), "FROM records", "FROM narrowed AS records", 1)
	}
	sql += fmt.Sprintf(" ORDER BY %s %s, kind %s, id %s", b.sortCol, b.dir, b.dir, b.dir) + tail
	return sql, args
}

func scanHits(rows pgx.Rows, each func(Hit, string) error) error {
	defer rows.Close()
	for rows.Next() {
		var h Hit
		var block int64
		var body []byte
		var sortValue string
		if err := rows.Scan(&h.Kind, &h.ID, &h.Status, &h.Outcome, &h.Division, &h.Parties, &h.Title, &h.Date, &h.Late, &h.Open,
			&h.Deemed, &h.Overdue, &h.Due, &h.Versions, &h.Recorded, &h.Changed, &block, &h.TxID, &body, &sortValue); err != nil {
			return err
		}
		h.Block, h.Record = uint64(block), body
		h.Recorded, h.Changed = h.Recorded.UTC(), h.Changed.UTC()
		if err := each(h, sortValue); err != nil {
			if errors.Is(err, errStop) {
				return nil
			}
			return err
		}
	}
	return rows.Err()
}

// ErrNotIndexed is a channel the index does not (yet) hold.
var ErrNotIndexed = errors.New("channel not indexed")

// readOnly runs fn in one read-only snapshot, with the channel's height
// in it: what fn reads is true at that height.
func (d *DB) readOnly(ctx context.Context, channel string, fn func(tx pgx.Tx, height uint64) error) error {
	tx, err := d.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx)
	var height int64
	if err := tx.QueryRow(ctx, `SELECT height FROM channels WHERE channel = $1`, channel).Scan(&height); errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("%s: %w", channel, ErrNotIndexed)
	} else if err != nil {
		return err
	}
	if err := fn(tx, uint64(height)); err != nil {
		return err
	}
	return tx.Commit(ctx)
}

// Version is one version of a record.
type Version struct {
	Block    uint64          `json:"block"`
	TxIndex  int             `json:"txIndex"`
	TxID     string          `json:"txId"`
	Time     time.Time       `json:"time"`
	Function string          `json:"function"`
	Creator  string          `json:"creatorMsp"`
	Deleted  bool            `json:"deleted,omitempty"`
	Record   json.RawMessage `json:"record,omitempty"`
}

// History is every version of a record, oldest first.
type History struct {
	Channel  string    `json:"channel"`
	Height   uint64    `json:"height"`
	Kind     string    `json:"kind"`
	ID       string    `json:"id"`
	Versions []Version `json:"versions"`
}

// History answers every version of a record the index holds.
func (d *DB) History(ctx context.Context, channel, kind, id string) (*History, error) {
	if _, ok := KindNamed(kind); !ok {
		return nil, bad("kind", "%q is not one of %s", kind, strings.Join(KindNames(), ", "))
	}
	var h *History
	err := d.readOnly(ctx, channel, func(tx pgx.Tx, height uint64) error {
		h = &History{Channel: channel, Height: height, Kind: kind, ID: id, Versions: []Version{}}
		rows, err := tx.Query(ctx, `SELECT block, tx_index, tx_id, tx_time, function, creator_msp, deleted, body FROM versions
			WHERE channel = $1 AND kind = $2 AND id = $3 ORDER BY block, tx_index`, channel, kind, id)
		if err != nil {
			return err
		}
		var v Version
		var block int64
		var body []byte
		_, err = pgx.ForEachRow(rows, []any{&block, &v.TxIndex, &v.TxID, &v.Time, &v.Function, &v.Creator, &v.Deleted, &body}, func() error {
			v.Block, v.Record, v.Time = uint64(block), append(json.RawMessage(nil), body...), v.Time.UTC()
			h.Versions = append(h.Versions, v)
			return nil
		})
		return err
	})
	return h, err
}
