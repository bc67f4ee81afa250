package contract

import (
	"encoding/json"
	"testing"
	"time"

	"dataledger/chaincode/domain"
	"dataledger/chaincode/store"
)

// TestRuleTable runs the same actions under four jurisdictions' profiles
// and expects the outcomes of SPEC §6: "" means accepted, otherwise the
// rule that refuses.
func TestRuleTable(t *testing.T) {
	type outcome struct {
		fourYearAgreement string // a 48-month scenario agreement
		filingLate        bool   // filed 7 working days after signing
		filingRule        string // the article the deadline comes from
		logsUntil         string // terminated 2026-03-11: logs kept until
		networkLogsUntil  string
		retentionRule     string
		subLicense        string // an enterprise grants a catalog authorization
		unfiledUse        string // a credential on a signed, not yet filed agreement
	}
	want := map[string]outcome{
		"GX": {"", false, "", "2026-09-11", "", "GX-12", domain.RuleSubLicense, "GX-12"},
		"NS": {"NS-15", false, "", "2026-09-11", "", "NS-16", domain.RuleSubLicense, ""},
		"GD": {"", false, "GD-23", "", "2031-03-11", "GD-39", domain.RuleSubLicense, ""},
		"HB": {"HB-9", true, "HB-37", "2026-09-11", "", "HB-18", "HB-21", ""},
	}
	ruleOf := func(err error) string {
		if err == nil {
			return ""
		}
		re, ok := domain.AsRule(err)
		if !ok {
			t.Fatalf("not a rule error: %v", err)
		}
		return re.Rule
	}
	for profile, w := range want {
		t.Run(profile, func(t *testing.T) {
			f := newFixture(t, profile)
			rec := func(in domain.AgreementInput) error {
				b, _ := json.Marshal(in)
				_, err := f.m.Run(cityAOperator, func(s store.Store) error { _, err := app.RecordAgreement(s, string(b)); return err })
				return err
			}
			// 1. maximum term: 2026-03-01 + 48 months.
			if got := ruleOf(rec(agreementInput(domain.AgreementScenario, operatorCode, holderCode, "2026-03-01", "2030-02-28", "2026-03-02"))); got != w.fourYearAgreement {
				t.Errorf("4-year agreement: got %q, want %q", got, w.fourYearAgreement)
			}
			// 2. filing 7 working days after signing on Monday 2026-03-02.
			late := agreementInput(domain.AgreementCatalog, operatorCode, otherEntCode, "2026-03-01", "2028-02-28", "2026-03-02")
			if err := rec(late); err != nil {
				t.Fatal(err)
			}
			unfiled := must[*domain.Agreement](t)(run(f, cityAClerk, func(s store.Store) (*domain.Agreement, error) { return app.GetAgreement(s, late.Number) }))
			// 3. a credential resting on it before it is filed.
			cred := f.credential(func(c *domain.Credential) {
				c.HolderCreditCode, c.HolderName, c.AgreementDigest = otherEntCode, "南宁链数科技有限公司", unfiled.DocumentDigest
				c.ValidFrom, c.ValidUntil = "2026-03-01", "2027-12-31"
			})
			_, err := f.issue(cityAOperator, f.sign(cred, f.key), late.Number)
			if got := ruleOf(err); got != w.unfiledUse {
				t.Errorf("credential on an unfiled agreement: got %q, want %q", got, w.unfiledUse)
			}
			f.m.SetClock(time.Date(2026, 3, 11, 2, 0, 0, 0, time.UTC)) // Wednesday, 7 working days later
			filed := must[*domain.Agreement](t)(run(f, cityAAuthority, func(s store.Store) (*domain.Agreement, error) { return app.FileAgreement(s, late.Number) }))
			if filed.Filing.Late != w.filingLate || filed.Filing.Rule != w.filingRule {
				t.Errorf("filing: %+v, want late=%v rule %q", filed.Filing, w.filingLate, w.filingRule)
			}
			// 4. termination: how long logs are kept.
			ended := must[*domain.Agreement](t)(run(f, cityAAuthority, func(s store.Store) (*domain.Agreement, error) {
				return app.EndAgreement(s, late.Number, "terminate", "到期前协商解除")
			}))
			if e := ended.Ending; e.LogsRetainedUntil != w.logsUntil || e.NetworkLogsRetainedUntil != w.networkLogsUntil || e.RetentionRule != w.retentionRule {
				t.Errorf("ending %+v, want logs %q network %q rule %q", e, w.logsUntil, w.networkLogsUntil, w.retentionRule)
			}
			// 5. sub-licensing: an enterprise grants onward.
			if got := ruleOf(rec(agreementInput(domain.AgreementCatalog, holderCode, otherEntCode, "2026-04-01", "2027-03-31", "2026-03-11"))); got != w.subLicense {
				t.Errorf("sub-licensing: got %q, want %q", got, w.subLicense)
			}
		})
	}
}
