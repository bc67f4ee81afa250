package contract

import (
	"encoding/json"
	"strings"
	"testing"

	"dataledger/certs"
	"dataledger/chaincode/domain"
	"dataledger/chaincode/store"
)

func (f *fixture) report(edit func(r *domain.SupervisionReport), key *certs.PrivateKey) string {
	f.t.Helper()
	r := &domain.SupervisionReport{Type: domain.DocTypeReport, ReportNumber: domain.Number{Prefix: domain.PrefixReport, Division: "450100", Year: 2026, Serial: "RP000001"}.String(),
		Title: "南宁市公共数据资源授权运营监管报告（2026年第一季度）", DivisionCode: "450100", Channel: "nanning", Period: "2026Q1", From: "2026-01-01", Until: "2026-03-31",
		IndexHeight: 40, Files: []domain.ReportFile{{Name: "report.html", SM3: strings.Repeat("a", 64), Bytes: 10}},
		IssuingDepartment: "南宁市大数据发展局", IssueDate: "2026-03-02", IssuerKeyID: key.Public().KeyID()}
	if edit != nil {
		edit(r)
	}
	b, _ := json.Marshal(r)
	signed, err := certs.Sign(b, key, nil)
	if err != nil {
		f.t.Fatal(err)
	}
	return string(signed)
}

// TestRecordReport: the channel's authority records a report signed with
// its registered key, once; the operator may not, an unregistered key may
// not, a signature over other content does not verify, and the record
// reads back with the canonical summary.
func TestRecordReport(t *testing.T) {
	f := newFixture(t, "GX")
	signed := f.report(nil, f.key)
	record := func(s store.Store) error { _, err := app.RecordReport(s, signed); return err }
	f.refused(cityAOperator, domain.RuleOwnAuthority, record)
	other, _ := certs.GenerateKey(nil)
	forged := f.report(nil, other)
	f.refused(cityAAuthority, domain.RuleKeyUnknown, func(s store.Store) error { _, err := app.RecordReport(s, forged); return err })
	tampered := strings.Replace(signed, `"indexHeight":40`, `"indexHeight":41`, 1)
	f.refused(cityAAuthority, domain.RuleSignature, func(s store.Store) error { _, err := app.RecordReport(s, tampered); return err })
	rec := must[*domain.ReportRecord](t)(run(f, cityAAuthority, func(s store.Store) (*domain.ReportRecord, error) { return app.RecordReport(s, signed) }))
	if rec.Version != 1 || rec.IssuerKeyID != f.keyID || rec.Period != "2026Q1" {
		t.Fatalf("%+v", rec)
	}
	f.refused(cityAAuthority, domain.RuleReportUnique, record)
	got := must[*domain.ReportRecord](t)(run(f, cityAOperator, func(s store.Store) (*domain.ReportRecord, error) { return app.GetReport(s, rec.Number) }))
	o, err := certs.OpenSigned(got.Document, certs.OnlyKey(f.key.Public()))
	if err != nil || o.Document.(*domain.SupervisionReport).IndexHeight != 40 {
		t.Fatalf("the recorded summary: %v", err)
	}
	f.refused(cityAOperator, domain.RuleReportExists, func(s store.Store) error {
		_, err := app.GetReport(s, domain.Number{Prefix: domain.PrefixReport, Division: "450100", Year: 2026, Serial: "RP000002"}.String())
		return err
	})
}
