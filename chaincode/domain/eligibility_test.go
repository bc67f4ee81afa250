package domain

import (
	"testing"
	"time"
)

// A declaration under each profile's rule: every condition its article
// sets, the evidence's digest, nothing the ledger contradicts.
func TestDeclarationsAreCheckedByTheirArticle(t *testing.T) {
	profiles := BuiltinProfiles()
	today := time.Date(2026, 12, 3, 0, 0, 0, 0, CST)
	digest := "ab00000000000000000000000000000000000000000000000000000000000000"
	full := FullDeclaration(digest)
	for name, purposes := range map[string][]string{
		"GX": {EligibilityOperation, EligibilityCatalog, EligibilityScenario},
		"ZW": {EligibilityOperation}, "GD": {EligibilityOperation}, "NS": {EligibilityOperation}, "HB": {EligibilityOperation},
	} {
		p := profiles[name]
		for _, purpose := range purposes {
			rule, ok := p.EligibilityFor(purpose)
			if !ok {
				t.Fatalf("%s sets no rule for %s", name, purpose)
			}
			if err := CheckDeclaration(p, purpose, "declaration", full, GranteeFacts{}, today); err != nil {
				t.Errorf("%s %s: a full declaration: %v", name, purpose, err)
			}
			if err := CheckDeclaration(p, purpose, "declaration", nil, GranteeFacts{}, today); !IsRule(err, rule.Cite) {
				t.Errorf("%s %s: none declared: %v, want %s", name, purpose, err, rule.Cite)
			}
			for _, missing := range rule.Items {
				d := &Declaration{EvidenceDigest: digest}
				for _, it := range rule.Items {
					if it != missing {
						d.Items = append(d.Items, it)
					}
				}
				if err := CheckDeclaration(p, purpose, "declaration", d, GranteeFacts{}, today); !IsRule(err, rule.Cite) {
					t.Errorf("%s %s without %s: %v", name, purpose, missing, err)
				}
			}
		}
		// A purpose the profile sets no rule for asks nothing.
		if _, ok := p.EligibilityFor(EligibilityCatalog); !ok {
			if err := CheckDeclaration(p, EligibilityCatalog, "declaration", nil, GranteeFacts{}, today); err != nil {
				t.Errorf("%s asks a catalog declaration: %v", name, err)
			}
		}
	}
	gx := profiles["GX"]
	for what, c := range map[string]struct {
		d           *Declaration
		rule, field string
	}{
		"an unknown condition": {&Declaration{Items: []string{"mlps", "no_tax"}, EvidenceDigest: digest}, RuleEligibility, "declaration.items[1]"},
		"a condition twice":    {&Declaration{Items: []string{"mlps", "mlps"}, EvidenceDigest: digest}, RuleEligibility, "declaration.items[1]"},
		"too many":             {&Declaration{Items: append(append([]string{}, full.Items...), "mlps"), EvidenceDigest: digest}, RuleEligibility, "declaration.items"},
		"no evidence":          {&Declaration{Items: full.Items}, RuleDigest, "declaration.evidenceDigest"},
		"a condition missing":  {&Declaration{Items: []string{"mlps"}, EvidenceDigest: digest}, "GX-11", "declaration.items"},
	} {
		err := CheckDeclaration(gx, EligibilityScenario, "declaration", c.d, GranteeFacts{}, today)
		if e, ok := AsRule(err); !ok || e.Rule != c.rule || e.Field != c.field {
			t.Errorf("%s: %v, want %s on %s", what, err, c.rule, c.field)
		}
	}
	// What the ledger knows refuses what it contradicts: HB 14's "no bad
	// record" against a credit record in force, "no incident in three
	// years" against an incident reported within them.
	hb := profiles["HB"]
	if err := CheckDeclaration(hb, EligibilityOperation, "declaration", full, GranteeFacts{CreditRecords: []string{"XD-450100-2026-00000001-0"}}, today); !IsRule(err, "HB-14") {
		t.Errorf("a credit record in force: %v", err)
	}
	old := ReportedEvent{Number: "LX-450100-2023-00000001-0", OccurredOn: "2023-12-03"}
	recent := ReportedEvent{Number: "LX-450100-2024-00000001-0", OccurredOn: "2023-12-04"}
	if err := CheckDeclaration(hb, EligibilityOperation, "declaration", full, GranteeFacts{Incidents: []ReportedEvent{old, recent}}, today); !IsRule(err, "HB-14") {
		t.Errorf("an incident within three years: %v", err)
	}
	if err := CheckDeclaration(hb, EligibilityOperation, "declaration", full, GranteeFacts{Incidents: []ReportedEvent{old}}, today); err != nil {
		t.Errorf("an incident three years ago to the day: %v", err)
	}
	// Only what a declaration's conditions are checked against is read.
	if c, i := (&Declaration{Items: []string{"mlps"}}).ChecksLedger(); c || i {
		t.Error("ChecksLedger of mlps")
	}
	if c, i := (&Declaration{Items: []string{ItemGoodCreditStanding}}).ChecksLedger(); !c || i {
		t.Error("ChecksLedger of good_credit_standing")
	}
	if c, i := full.ChecksLedger(); !c || !i {
		t.Error("ChecksLedger of every condition")
	}
	// A rule asking "no incident" on a profile that defines no incident
	// report owed by the declaring role is refused.
	gd := profiles["GD"]
	gd.Eligibility = []EligibilityRule{{For: EligibilityOperation, Items: []string{ItemNoIncident3Y}, Cite: "GD-21"}}
	if err := gd.Validate(); !IsRule(err, RuleProfile) {
		t.Errorf("GD asking no_security_incident_3y without incident reports: %v", err)
	}
}
