package index

import (
	"encoding/json"
	"testing"

	"dataledger/chaincode/domain"
)

// TestKindNamesAreRecordTypes: a kind is searched by its record type
// (the enterprise's view asks for domain.TypeX), so each kind's name is
// its record type.
func TestKindNamesAreRecordTypes(t *testing.T) {
	for _, k := range Kinds {
		if k.Name != k.RecordType {
			t.Errorf("kind %s holds record type %s", k.Name, k.RecordType)
		}
	}
}

// TestPlanRowIsOpenWhileItsFilingIsOwed: a plan owes its filing a level
// up by its due date (listed overdue after it), awaits the decision once
// filed, and awaits nothing once accepted, superseded, or where no filing
// is owed.
func TestPlanRowIsOpenWhileItsFilingIsOwed(t *testing.T) {
	for _, c := range []struct {
		plan       domain.Plan
		open, late bool
		due        string
	}{
		{domain.Plan{Status: domain.PlanApproved, FilingDue: "2026-10-16"}, true, false, "2026-10-16"},
		{domain.Plan{Status: domain.PlanReturned, FilingDue: "2026-10-16", FiledLate: true}, true, false, "2026-10-16"},
		{domain.Plan{Status: domain.PlanFiled, FilingDue: "2026-10-16", FiledLate: true}, true, true, ""},
		{domain.Plan{Status: domain.PlanAccepted, FilingDue: "2026-10-16", FiledLate: true}, false, true, ""},
		{domain.Plan{Status: domain.PlanSuperseded, FilingDue: "2026-10-16"}, false, false, ""},
		{domain.Plan{Status: domain.PlanSuperseded, FilingDue: "2026-10-16", FiledLate: true}, false, true, ""},
		{domain.Plan{Status: domain.PlanApproved}, false, false, ""}, // no filing owed
	} {
		raw, _ := json.Marshal(c.plan)
		var r Row
		if err := summarizePlan(raw, &r); err != nil {
			t.Fatal(err)
		}
		if r.Open != c.open || r.Late != c.late || r.Due != c.due || r.Status != c.plan.Status {
			t.Errorf("%s (due %s, late %v): open %v, late %v, due %q", c.plan.Status, c.plan.FilingDue, c.plan.FiledLate, r.Open, r.Late, r.Due)
		}
	}
}
