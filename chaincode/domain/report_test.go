package domain

import (
	"strings"
	"testing"
	"time"
)

func TestParsePeriod(t *testing.T) {
	for in, want := range map[string]string{
		"2026": "2026-01-01..2026-12-31", "2026Q1": "2026-01-01..2026-03-31", "2026Q4": "2026-10-01..2026-12-31",
		"2024-02": "2024-02-01..2024-02-29", "2026-11": "2026-11-01..2026-11-30",
	} {
		from, until, err := ParsePeriod("period", in)
		if err != nil || from.Format(time.DateOnly)+".."+until.Format(time.DateOnly) != want {
			t.Errorf("%s: %s..%s %v, want %s", in, from, until, err, want)
		}
	}
	for _, bad := range []string{"", "26Q4", "2026Q5", "2026-13", "2026-1", "2026 Q4", "2026Q4x"} {
		if _, _, err := ParsePeriod("period", bad); !IsRule(err, RuleReport) {
			t.Errorf("%q: %v", bad, err)
		}
	}
}

func report() *SupervisionReport {
	return &SupervisionReport{Type: DocTypeReport, ReportNumber: Number{Prefix: PrefixReport, Division: "450100", Year: 2026, Serial: "3KQ7M2XA"}.String(),
		Title: "南宁市公共数据资源授权运营监管报告（2026年第一季度）", DivisionCode: "450100", Channel: "nanning", Period: "2026Q1",
		From: "2026-01-01", Until: "2026-03-31", IndexHeight: 42, Files: []ReportFile{{"report.html", strings.Repeat("a", 64), 100}, {"report.xlsx", strings.Repeat("b", 64), 200}},
		IssuingDepartment: "南宁市大数据发展局", IssueDate: "2026-03-02", IssuerKeyID: strings.Repeat("c", 64)}
}

// TestReportRules: a report is recorded by a key its jurisdiction's
// authority may sign with, on its own channel, for a period that has
// begun, once per number; its period and files describe themselves.
func TestReportRules(t *testing.T) {
	key := activeKey()
	key.KeyID = strings.Repeat("c", 64)
	c := Change{TxID: "tx", Time: at.Format(time.RFC3339)}
	cases := []struct {
		name        string
		edit        func(r *SupervisionReport, in *ReportInput)
		rule, field string
	}{
		{"recorded", func(*SupervisionReport, *ReportInput) {}, "", ""},
		{"twice", func(_ *SupervisionReport, in *ReportInput) { in.Existing = &ReportRecord{} }, RuleReportUnique, "reportNumber"},
		{"another channel", func(r *SupervisionReport, _ *ReportInput) { r.Channel = "liuzhou" }, RuleCredentialChannel, "channel"},
		{"another division", func(r *SupervisionReport, _ *ReportInput) { r.DivisionCode = "450200" }, RuleCredentialDivision, "divisionCode"},
		{"a number of another division", func(r *SupervisionReport, _ *ReportInput) {
			r.ReportNumber = Number{Prefix: PrefixReport, Division: "450200", Year: 2026, Serial: "3KQ7M2XA"}.String()
		}, RuleCredentialDivision, "reportNumber"},
		{"a period not begun", func(r *SupervisionReport, _ *ReportInput) {
			r.Period, r.From, r.Until = "2026Q2", "2026-04-01", "2026-06-30"
		}, RuleReport, "period"},
		{"an unknown key", func(_ *SupervisionReport, in *ReportInput) { in.Key = nil }, RuleKeyUnknown, "issuerKeyId"},
		{"another jurisdiction's key", func(_ *SupervisionReport, in *ReportInput) { k := *key; k.OwnerMSP = "CityBMSP"; in.Key = &k }, RuleKeyOwner, "issuerKeyId"},
		{"another department", func(r *SupervisionReport, _ *ReportInput) { r.IssuingDepartment = "柳州市大数据发展局" }, RuleKeyDepartment, "issuingDepartment"},
	}
	for _, tc := range cases {
		r := report()
		in := ReportInput{Doc: r, Canonical: []byte(`{}`), Key: key}
		tc.edit(r, &in)
		rec, err := RecordReport(nanning, in, at, c)
		if tc.rule == "" {
			if err != nil || rec.Number != r.ReportNumber || rec.Version != 1 || rec.Recorded.TxID != "tx" || rec.Period != "2026Q1" {
				t.Errorf("%s: %+v %v", tc.name, rec, err)
			}
			continue
		}
		if re, ok := AsRule(err); !ok || re.Rule != tc.rule || re.Field != tc.field {
			t.Errorf("%s: %v, want %s on %s", tc.name, err, tc.rule, tc.field)
		}
	}
	for name, edit := range map[string]func(r *SupervisionReport){
		"from":           func(r *SupervisionReport) { r.From = "2026-01-02" },
		"files":          func(r *SupervisionReport) { r.Files = nil },
		"files[1].name":  func(r *SupervisionReport) { r.Files[1].Name = "report.html" },
		"files[0].bytes": func(r *SupervisionReport) { r.Files[0].Bytes = 0 },
		"files[0].sm3":   func(r *SupervisionReport) { r.Files[0].SM3 = "x" },
		"period":         func(r *SupervisionReport) { r.Period = "Q1" },
	} {
		r := report()
		edit(r)
		if re, ok := AsRule(r.Validate()); !ok || re.Field != name {
			t.Errorf("%s: %v", name, r.Validate())
		}
	}
	if err := report().Validate(); err != nil {
		t.Fatal(err)
	}
}
