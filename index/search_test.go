package index

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"dataledger/chaincode/domain"
	"dataledger/proof"
)

const enterprise = "91450100MA5L0000AW" // 广西数智科技有限公司 in the fixture

func indexed(t *testing.T) *DB {
	t.Helper()
	d := testDB(t)
	catchUp(t, indexer(t, d), slice(t, fixtureBlocks(t), 0))
	return d
}

func ids(p *Page) []string {
	var out []string
	for _, h := range p.Items {
		out = append(out, h.Kind+" "+h.ID)
	}
	sort.Strings(out)
	return out
}

func search(t *testing.T, d *DB, q Query) *Page {
	t.Helper()
	q.Channel = "nanning"
	p, err := d.Search(context.Background(), q)
	if err != nil {
		t.Fatalf("%+v: %v", q, err)
	}
	return p
}

// TestSearchFiltersAnswerWhatTheRecordsSay: each filter, checked against
// the records it must and must not find.
func TestSearchFiltersAnswerWhatTheRecordsSay(t *testing.T) {
	d := indexed(t)
	all := search(t, d, Query{Limit: 500})
	if all.Height < 20 || len(all.Items) < 15 {
		t.Fatalf("height %d, %d records", all.Height, len(all.Items))
	}
	byCode := search(t, d, Query{Party: enterprise, Limit: 500})
	byPrefix := search(t, d, Query{Party: "91450100MA5", Limit: 500})
	byName := search(t, d, Query{Party: "数智", Limit: 500})
	if len(byCode.Items) < 7 {
		t.Fatalf("records of %s: %v", enterprise, ids(byCode))
	}
	for _, p := range []*Page{byPrefix, byName} {
		if strings.Join(ids(p), ",") != strings.Join(ids(byCode), ",") {
			t.Errorf("the same party three ways:\n%v\n%v", ids(byCode), ids(p))
		}
	}
	for _, h := range byCode.Items {
		if !contains(h.Parties, enterprise) {
			t.Errorf("%s %s does not concern %s: %v", h.Kind, h.ID, enterprise, h.Parties)
		}
	}
	// The objection concerns its target's enterprise, through its target.
	obj := search(t, d, Query{Kind: "objection", Party: enterprise})
	if len(obj.Items) != 1 || obj.Items[0].Outcome != "dismissed" || obj.Items[0].Status != "decided" {
		t.Fatalf("objections of %s: %+v", enterprise, obj.Items)
	}
	if got := search(t, d, Query{Party: "不存在的公司"}); len(got.Items) != 0 {
		t.Errorf("an unknown name found %v", ids(got))
	}
	certs := search(t, d, Query{Kind: "certificate", Status: "valid"})
	if len(certs.Items) != 1 || certs.Items[0].ID != "DJ-450100-2026-80Y95700-1" || ProofPath("certificate", certs.Items[0].ID) == "" {
		t.Fatalf("valid certificates: %v", ids(certs))
	}
	if got := search(t, d, Query{Kind: "certificate", Status: "revoked"}); len(got.Items) != 0 {
		t.Errorf("revoked certificates: %v", ids(got))
	}
	if got := search(t, d, Query{Text: "客流指数"}); len(got.Items) != 2 { // the application and the certificate
		t.Errorf("product name: %v", ids(got))
	}
	// Division: the province holds the city's records, another city none.
	if got := search(t, d, Query{Division: "450000", Limit: 500}); len(got.Items) != len(all.Items) {
		t.Errorf("province: %d of %d", len(got.Items), len(all.Items))
	}
	if got := search(t, d, Query{Division: "450200"}); len(got.Items) != 0 {
		t.Errorf("liuzhou: %v", ids(got))
	}
	if got := search(t, d, Query{Division: "450103", Kind: "party"}); len(got.Items) != 1 || got.Items[0].ID != enterprise {
		t.Errorf("county 450103: %v", ids(got))
	}
	// Dates: everything was recorded on the fixture's day, nothing before.
	day := all.Items[0].Recorded
	from := day.Add(8 * time.Hour).Format(time.DateOnly) // China date
	if got := search(t, d, Query{From: from, To: from, Limit: 500}); len(got.Items) != len(all.Items) {
		t.Errorf("recorded on %s: %d of %d", from, len(got.Items), len(all.Items))
	}
	if got := search(t, d, Query{To: "2020-01-01"}); len(got.Items) != 0 {
		t.Errorf("recorded before 2020: %v", ids(got))
	}
	// Flags: the fixture's story was on time and closed.
	for _, f := range []string{FlagLate, FlagOverdue, FlagDeemed, FlagOpen} {
		if got := search(t, d, Query{Flags: []string{f}}); len(got.Items) != 0 {
			t.Errorf("%s: %v", f, ids(got))
		}
	}
	// Bad input names its field.
	for field, q := range map[string]Query{
		"kind": {Kind: "widget"}, "division": {Division: "45"}, "from": {From: "2026-13-01"}, "flag": {Flags: []string{"urgent"}},
		"sort": {Sort: "size"}, "dates": {Dates: "someday"}, "limit": {Limit: 501}, "cursor": {Cursor: "nonsense"},
	} {
		q.Channel = "nanning"
		_, err := d.Search(context.Background(), q)
		var qe *QueryError
		if !errors.As(err, &qe) || qe.Field != field {
			t.Errorf("%s: %v", field, err)
		}
	}
	if _, err := d.Search(context.Background(), Query{Channel: "liuzhou"}); !errors.Is(err, ErrNotIndexed) {
		t.Errorf("a channel not indexed: %v", err)
	}
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// TestCursorPagesEveryRecordOnce: pages of two, in every sort and both
// directions, together are the whole answer in order, each record once.
func TestCursorPagesEveryRecordOnce(t *testing.T) {
	d := indexed(t)
	for _, s := range []string{"recorded", "changed", "date", "id"} {
		for _, asc := range []bool{false, true} {
			whole := search(t, d, Query{Sort: s, Asc: asc, Limit: 500})
			var paged []string
			q := Query{Sort: s, Asc: asc, Limit: 2}
			for n := 0; ; n++ {
				p := search(t, d, q)
				for _, h := range p.Items {
					paged = append(paged, h.Kind+" "+h.ID)
				}
				if p.Next == "" {
					break
				}
				if n > 100 {
					t.Fatal("endless pages")
				}
				q.Cursor = p.Next
			}
			var want []string
			for _, h := range whole.Items {
				want = append(want, h.Kind+" "+h.ID)
			}
			if strings.Join(paged, ",") != strings.Join(want, ",") {
				t.Errorf("sort %s asc %v:\npaged %v\nwhole %v", s, asc, paged, want)
			}
		}
	}
	p := search(t, d, Query{Limit: 2})
	_, err := d.Search(context.Background(), Query{Channel: "nanning", Kind: "party", Cursor: p.Next})
	var qe *QueryError
	if !errors.As(err, &qe) || qe.Field != "cursor" {
		t.Errorf("another query's cursor: %v", err)
	}
	// A forged cursor (its sort value not a time) is refused as a cursor,
	// not sent to PostgreSQL to fail a cast.
	raw, _ := base64.RawURLEncoding.DecodeString(p.Next)
	var c cursor
	json.Unmarshal(raw, &c)
	c.V = "'; DROP TABLE records; --"
	forged, _ := json.Marshal(c)
	_, err = d.Search(context.Background(), Query{Channel: "nanning", Limit: 2, Cursor: base64.RawURLEncoding.EncodeToString(forged)})
	if !errors.As(err, &qe) || qe.Field != "cursor" {
		t.Errorf("a forged cursor: %v", err)
	}
}

// TestHistoryIsEveryVersion: the application's history is its eight
// versions, oldest first, each with its transaction.
func TestHistoryIsEveryVersion(t *testing.T) {
	d := indexed(t)
	app := search(t, d, Query{Kind: "application"}).Items[0]
	h, err := d.History(context.Background(), "nanning", "application", app.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(h.Versions) != app.Versions || app.Versions < 5 {
		t.Fatalf("%d versions, the record says %d", len(h.Versions), app.Versions)
	}
	for i := 1; i < len(h.Versions); i++ {
		if h.Versions[i].Block <= h.Versions[i-1].Block || h.Versions[i].TxID == "" {
			t.Fatalf("version %d: %+v after %+v", i, h.Versions[i], h.Versions[i-1])
		}
	}
	last := h.Versions[len(h.Versions)-1]
	if last.TxID != app.TxID || !sameJSON(t, last.Record, app.Record) {
		t.Fatalf("the latest version is not the record")
	}
}

// TestExportsOpen: the CSV starts with a byte-order mark and the query,
// and parses; the XLSX opens and holds the same rows.
func TestExportsOpen(t *testing.T) {
	d := indexed(t)
	q := Query{Channel: "nanning", Party: "数智"}
	want := search(t, d, Query{Party: "数智", Limit: 500})
	var c bytes.Buffer
	got, err := d.Export(context.Background(), q, CSV, &c)
	if err != nil {
		t.Fatal(err)
	}
	if got.Rows != len(want.Items) || got.Height != want.Height {
		t.Fatalf("exported %+v, searched %d at %d", got, len(want.Items), want.Height)
	}
	if !bytes.HasPrefix(c.Bytes(), []byte("\ufeff")) {
		t.Fatal("no byte-order mark")
	}
	r := csv.NewReader(bytes.NewReader(c.Bytes()[3:]))
	r.FieldsPerRecord = -1
	recs, err := r.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 3+len(want.Items) || !strings.Contains(strings.Join(recs[0], " "), "数智") || recs[1][1] != ExportColumns[1] ||
		recs[len(recs)-1][0] != EndOfExport || recs[len(recs)-1][1] != strconv.Itoa(len(want.Items)) {
		t.Fatalf("csv head %v / %v, %d lines", recs[0], recs[1], len(recs))
	}
	var x bytes.Buffer
	if _, err := d.Export(context.Background(), q, XLSX, &x); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(&x)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := f.GetRows("记录 records")
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1+len(want.Items) {
		t.Fatalf("xlsx has %d rows, want %d", len(rows), 1+len(want.Items))
	}
	for i, rec := range recs[2 : len(recs)-1] {
		if strings.Join(rows[i+1], "|") != strings.Join(trimRight(rec), "|") {
			t.Errorf("row %d: xlsx %v, csv %v", i, rows[i+1], rec)
		}
	}
	about, _ := f.GetRows("查询 query")
	if len(about) < 5 || about[2][0] != "height" {
		t.Fatalf("query sheet %v", about)
	}
}

// trimRight drops trailing empty cells (a spreadsheet has none).
func trimRight(r []string) []string {
	for len(r) > 0 && r[len(r)-1] == "" {
		r = r[:len(r)-1]
	}
	return r
}

// TestDeadlinesAreJudgedOnTheDayAsked: overdue and deemed are read on the
// query's day, not the day a record was indexed; the summary lists what
// falls due in the next 30 days.
func TestDeadlinesAreJudgedOnTheDayAsked(t *testing.T) {
	d := indexed(t)
	st, _ := d.Channel(context.Background(), "nanning")
	today := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	row := func(id, due, deemedOn string) Write {
		return Write{Row: &Row{Kind: "application", Channel: "nanning", ID: id, Status: "applied", Parties: []string{enterprise}, Title: "测试产品",
			Open: true, Due: due, DeemedOn: deemedOn, Body: []byte(`{}`)}, Block: st.Height, TxID: "tx-" + id, TxTime: today}
	}
	blk := &Block{Channel: "nanning", Number: st.Height, HeaderHash: []byte{1}, Writes: []Write{
		row("SA-A", "2026-12-07", ""), row("SA-B", "2026-12-01", ""), row("SA-C", "", "2026-12-02"), row("SA-D", "2027-03-01", "")}}
	cp := &proof.Checkpoint{Channel: "nanning", Next: st.Height + 1, PreviousHash: blk.HeaderHash, ConfigBlock: st.Checkpoint.ConfigBlock}
	if err := d.Store(context.Background(), "nanning", []*Block{blk}, cp); err != nil {
		t.Fatal(err)
	}
	for flag, want := range map[string]string{FlagOverdue: "application SA-B", FlagDeemed: "application SA-C"} {
		if got := search(t, d, Query{Flags: []string{flag}, Today: today}); strings.Join(ids(got), ",") != want {
			t.Errorf("%s on %s: %v", flag, today.Format(time.DateOnly), ids(got))
		}
	}
	// A day earlier nothing was overdue or deemed yet.
	for _, flag := range []string{FlagOverdue, FlagDeemed} {
		if got := search(t, d, Query{Flags: []string{flag}, Today: today.AddDate(0, 0, -1)}); len(got.Items) != 0 {
			t.Errorf("%s a day earlier: %v", flag, ids(got))
		}
	}
	s, err := d.Summary(context.Background(), "nanning", today)
	if err != nil {
		t.Fatal(err)
	}
	var upcoming []string
	for _, h := range s.Upcoming {
		upcoming = append(upcoming, h.ID)
	}
	if strings.Join(upcoming, ",") != "SA-C,SA-A" || s.Height != st.Height+1 {
		t.Errorf("upcoming %v at %d", upcoming, s.Height)
	}
	n := map[string]int{}
	for _, c := range s.Counts {
		n[c.Kind+"/"+c.Status] = c.N
	}
	for _, c := range s.Flags {
		n[c.Kind+"/"+c.Status] = c.N
	}
	if n["certificate/valid"] != 1 || n["application/applied"] != 4 || n["application/open"] != 4 || n["application/overdue"] != 1 || n["application/deemed"] != 1 {
		t.Errorf("counts %v", n)
	}
	if len(s.Months) != 2 || s.Months[0].N != 1 {
		t.Errorf("months %+v", s.Months)
	}
}

func TestCSVCellsAreNeverFormulas(t *testing.T) {
	got := inert([]string{"=HYPERLINK(\"http://x\")", "+1", "-2", "@SUM(A1)", "\tx", "城市通勤", "", "a=b"})
	want := []string{"'=HYPERLINK(\"http://x\")", "'+1", "'-2", "'@SUM(A1)", "'\tx", "城市通勤", "", "a=b"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("%q", got)
	}
}

// TestCredentialsStandWithTheirAgreement: ending an agreement is one write
// to the agreement, yet every credential resting on it reads
// authorization-ended, as the chaincode's reads derive it (domain's
// Standing); a revoked credential stays revoked.
func TestCredentialsStandWithTheirAgreement(t *testing.T) {
	d := indexed(t)
	ctx := context.Background()
	st, _ := d.Channel(ctx, "nanning")
	ag := search(t, d, Query{Kind: "agreement", Outcome: "catalog"}).Items[0]
	cred := search(t, d, Query{Kind: "credential"}).Items[0]
	var rec domain.CredentialRecord
	json.Unmarshal(cred.Record, &rec)
	store := func(rows ...*Row) {
		t.Helper()
		st, _ = d.Channel(ctx, "nanning")
		blk := &Block{Channel: "nanning", Number: st.Height, HeaderHash: []byte{byte(st.Height)}}
		for _, r := range rows {
			blk.Writes = append(blk.Writes, Write{Row: r, Block: st.Height, TxID: fmt.Sprintf("tx-%d", st.Height), TxTime: time.Now()})
		}
		cp := &proof.Checkpoint{Channel: "nanning", Next: st.Height + 1, PreviousHash: blk.HeaderHash, ConfigBlock: st.Checkpoint.ConfigBlock}
		if err := d.Store(ctx, "nanning", []*Block{blk}, cp); err != nil {
			t.Fatal(err)
		}
	}
	// A second credential of the agreement, revoked.
	revoked := rec
	revoked.Number, revoked.Status = "SQ-450100-2026-REVOKED0-0", domain.CredentialRevoked
	body, _ := json.Marshal(revoked)
	r, _, err := Summarize("nanning", "\x00credential\x00"+revoked.Number+"\x00", body)
	if err != nil {
		t.Fatal(err)
	}
	store(r)
	// The agreement terminated: one write.
	var a domain.Agreement
	json.Unmarshal(ag.Record, &a)
	a.Status = domain.AgreementTerminated
	body, _ = json.Marshal(a)
	r, _, err = Summarize("nanning", "\x00agreement\x00"+a.Number+"\x00", body)
	if err != nil {
		t.Fatal(err)
	}
	store(r)
	for id, want := range map[string]string{cred.ID: domain.CredentialAuthorizationEnded, revoked.Number: domain.CredentialRevoked} {
		got := search(t, d, Query{Kind: "credential", Text: id}).Items
		if len(got) != 1 || got[0].Status != want {
			t.Errorf("%s: %+v, want %s", id, got, want)
		}
	}
	if got := search(t, d, Query{Kind: "credential", Status: domain.CredentialAuthorizationEnded}); len(got.Items) != 1 {
		t.Errorf("authorization-ended credentials: %v", ids(got))
	}
	// A credential written after its agreement ended stands the same way.
	body, _ = json.Marshal(rec)
	r, _, _ = Summarize("nanning", "\x00credential\x00"+rec.Number+"\x00", body)
	store(r)
	if got := search(t, d, Query{Kind: "credential", Text: rec.Number}).Items; len(got) != 1 || got[0].Status != domain.CredentialAuthorizationEnded {
		t.Errorf("rewritten after the ending: %+v", got)
	}
}

// TestRareAndCommonPartiesAnswerAlike: a party's records read through the
// parties index first (rare) or in the sort's order (common) page the
// same.
func TestRareAndCommonPartiesAnswerAlike(t *testing.T) {
	d := indexed(t)
	pages := func() []string {
		var out []string
		q := Query{Party: "数智", Limit: 3}
		for {
			p := search(t, d, q)
			for _, h := range p.Items {
				out = append(out, h.Kind+" "+h.ID)
			}
			if q.Cursor = p.Next; q.Cursor == "" {
				return out
			}
		}
	}
	rare := pages()
	defer func(n int) { narrowBelow = n }(narrowBelow)
	narrowBelow = 0
	common := pages()
	if len(rare) < 7 || strings.Join(rare, ",") != strings.Join(common, ",") {
		t.Fatalf("rare %v\ncommon %v", rare, common)
	}
}
