package report

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"dataledger/certs"
	"dataledger/chaincode/domain"
	"dataledger/index/indextest"
	"dataledger/proof"
	"dataledger/proof/prooftest"
)

// spec is the fixture chain's quarter (its demo ran on 2026-12-02).
func spec() Spec {
	return Spec{Channel: "nanning", DivisionCode: "450100", Jurisdiction: "南宁市", Period: "2026Q4", Department: "南宁市大数据发展局",
		Now: time.Date(2026, 12, 20, 2, 0, 0, 0, time.UTC)}
}

// TestBuildReadsThePeriodFromTheIndex: the fixture's quarter has its one
// credential, certificate and (dismissed) objection; another quarter has
// none; the files carry them.
func TestBuildReadsThePeriodFromTheIndex(t *testing.T) {
	db := indextest.Fixture(t)
	c, err := Build(context.Background(), db, spec())
	if err != nil {
		t.Fatal(err)
	}
	fig := map[string]int{}
	for _, f := range c.Figures {
		fig[f.Label] = f.Value
	}
	if fig["新增授权（电子凭证）"] != 1 || fig["产品登记"] != 1 || fig["异议"] != 1 || fig["异议：驳回"] != 1 || fig["异议：待处理"] != 0 || c.Height < 20 {
		t.Fatalf("figures %v at %d", fig, c.Height)
	}
	if c.Title() != "南宁市公共数据资源授权运营监管报告（2026年第四季度）" || c.From != "2026-10-01" || c.Until != "2026-12-31" {
		t.Fatalf("%s %s..%s", c.Title(), c.From, c.Until)
	}
	other := spec()
	other.Period = "2026Q3"
	empty, err := Build(context.Background(), db, other)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range empty.Sections {
		if len(s.Hits) != 0 {
			t.Errorf("2026Q3 %s: %d", s.Title, len(s.Hits))
		}
	}
	dir := t.TempDir()
	key, _ := certs.GenerateKey(nil)
	doc, signed, err := c.Write(dir, key)
	if err != nil {
		t.Fatal(err)
	}
	html, _ := os.ReadFile(filepath.Join(dir, HTMLFile))
	if !strings.Contains(string(html), c.Sections[1].Hits[0].ID) || !strings.Contains(string(html), "数据截至区块高度") {
		t.Fatal("the HTML report lacks the registration")
	}
	f, err := excelize.OpenFile(filepath.Join(dir, XLSXFile))
	if err != nil {
		t.Fatal(err)
	}
	rows, _ := f.GetRows("产品登记")
	if len(rows) != 2 || rows[1][1] != c.Sections[1].Hits[0].ID {
		t.Fatalf("workbook: %v", rows)
	}
	if len(doc.Files) != 2 || doc.IssuerKeyID != key.Public().KeyID() || !json.Valid(signed) {
		t.Fatalf("summary %+v", doc)
	}
}

// TestVerifyOffline: a report recorded on a (test) ledger verifies from
// its directory alone; a changed file, another key, and a bundle of
// another summary are each refused, naming what failed.
func TestVerifyOffline(t *testing.T) {
	db := indextest.Fixture(t)
	c, err := Build(context.Background(), db, spec())
	if err != nil {
		t.Fatal(err)
	}
	key, _ := certs.GenerateKey(nil)
	dir := t.TempDir()
	doc, signed, err := c.Write(dir, key)
	if err != nil {
		t.Fatal(err)
	}
	genesis, err := prooftest.OpenPeer("nanning", "dataledger", filepath.Join(indextest.Dir(), "nanning"), 1)
	if err != nil {
		t.Fatal(err)
	}
	l, err := prooftest.NewLedger(genesis.Block(0), "dataledger", time.Now().Add(-time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	record := func(number string, document []byte) {
		t.Helper()
		tx, err := l.Begin("CityAMSP", "authority", "RecordReport")
		if err != nil {
			t.Fatal(err)
		}
		canonical, _ := certs.Canonicalize(document)
		ch := tx.Change("record", "")
		if err := tx.Put(domain.TypeReport, number, domain.ReportRecord{Number: number, Document: canonical, IssuerKeyID: doc.IssuerKeyID,
			Period: doc.Period, DivisionCode: doc.DivisionCode, Recorded: ch, Last: ch, Version: 1}); err != nil {
			t.Fatal(err)
		}
		if _, err := tx.Commit("ProvinceMSP", "CityAMSP", "ProvinceMSP"); err != nil {
			t.Fatal(err)
		}
	}
	bundle := func(number string) {
		t.Helper()
		b, err := proof.Build(l.Peer(), "nanning", "dataledger", proof.Kinds["report"], number)
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := json.Marshal(b)
		if err := os.WriteFile(filepath.Join(dir, ProofFile), raw, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	record(doc.ReportNumber, signed)
	bundle(doc.ReportNumber)
	if v := Verify(dir, key.Public(), l.Trust()); !v.OK || len(v.Checks) != 5 {
		t.Fatalf("the report does not verify: %+v", v.Checks)
	}
	failed := func(v *Verification) string {
		for _, c := range v.Checks {
			if !c.OK {
				return c.Name + ": " + c.Detail
			}
		}
		return ""
	}
	other, _ := certs.GenerateKey(nil)
	if v := Verify(dir, other.Public(), l.Trust()); v.OK || !strings.HasPrefix(failed(v), "summary.signature") {
		t.Errorf("another key: %s", failed(v))
	}
	if v := Verify(dir, key.Public(), nil); !v.OK || v.Pinned {
		t.Errorf("unpinned: %v %s", v.OK, failed(v))
	}
	if v := Verify(dir, key.Public(), indextest.Trust(t)); v.OK || !strings.HasPrefix(failed(v), "ledger.proof") {
		t.Errorf("another network's genesis pinned: %s", failed(v))
	}
	// A file changed after signing.
	path := filepath.Join(dir, HTMLFile)
	orig, _ := os.ReadFile(path)
	os.WriteFile(path, []byte(strings.Replace(string(orig), "产品登记", "产品登纪", 1)), 0o644)
	if v := Verify(dir, key.Public(), l.Trust()); v.OK || !strings.Contains(failed(v), "report.html") {
		t.Errorf("a changed file: %s", failed(v))
	}
	os.WriteFile(path, orig, 0o644)
	// The ledger holds another summary under this number.
	alt := *doc
	alt.IndexHeight++
	raw, _ := json.Marshal(alt)
	altSigned, _ := certs.Sign(raw, key, nil)
	record(doc.ReportNumber, altSigned)
	bundle(doc.ReportNumber)
	if v := Verify(dir, key.Public(), l.Trust()); v.OK || !strings.HasPrefix(failed(v), "ledger.summary") {
		t.Errorf("another summary recorded: %s", failed(v))
	}
}
