package contract

import (
	"reflect"
	"testing"

	"dataledger/chaincode/store"
)

// fuzzOps are the transactions whose arguments come from outside (JSON
// inputs, numbers, actions, reasons), each given two fuzzed strings.
var fuzzOps = []func(s store.Store, a, b string) error{
	func(s store.Store, a, b string) error { _, err := app.RegisterParty(s, a); return err },
	func(s store.Store, a, b string) error { _, err := app.ChangePartyStatus(s, a, b, b); return err },
	func(s store.Store, a, b string) error { _, err := app.SetProfile(s, a, b); return err },
	func(s store.Store, a, b string) error { _, err := app.AdoptProfile(s, a, b); return err },
	func(s store.Store, a, b string) error { _, err := app.SetExchanges(s, a, b); return err },
	func(s store.Store, a, b string) error { _, err := app.RegisterIssuerKey(s, a); return err },
	func(s store.Store, a, b string) error { _, err := app.LoadCalendar(s, a, b); return err },
	func(s store.Store, a, b string) error { _, err := app.GetCalendar(s, a); return err },
	func(s store.Store, a, b string) error { _, err := app.RecordAgreement(s, a); return err },
	func(s store.Store, a, b string) error { _, err := app.ChangeAgreement(s, a, b, b); return err },
	func(s store.Store, a, b string) error { _, err := app.EndAgreement(s, a, b, b); return err },
	func(s store.Store, a, b string) error { _, err := app.IssueCredential(s, a, b); return err },
	func(s store.Store, a, b string) error { _, err := app.ChangeCredentialStatus(s, a, b, b); return err },
	func(s store.Store, a, b string) error { _, err := app.VerifyCredential(s, a); return err },
	func(s store.Store, a, b string) error { _, err := app.VerifyCredentialDocument(s, a); return err },
	func(s store.Store, a, b string) error { _, err := app.ListCredentials(s, a, b, 10, b); return err },
	func(s store.Store, a, b string) error { _, err := app.Apply(s, a); return err },
	func(s store.Store, a, b string) error { _, err := app.PreliminaryReview(s, a, b, b); return err },
	func(s store.Store, a, b string) error { _, err := app.ComplianceReview(s, a, b, b, b); return err },
	func(s store.Store, a, b string) error {
		_, err := app.VerifyConsistency(s, a, b, b, b, b, b)
		return err
	},
	func(s store.Store, a, b string) error { _, err := app.RegisterCertificate(s, a, b); return err },
	func(s store.Store, a, b string) error { _, err := app.VerifyCertificateDocument(s, a); return err },
	func(s store.Store, a, b string) error { _, err := app.FileObjection(s, a); return err },
	func(s store.Store, a, b string) error { _, err := app.DecideObjection(s, a, b); return err },
	func(s store.Store, a, b string) error { _, err := app.CheckEgress(s, a, b, b, b); return err },
	func(s store.Store, a, b string) error { _, err := app.AcknowledgeCertificate(s, a, b); return err },
	func(s store.Store, a, b string) error { _, err := app.History(s, a, b); return err },
	func(s store.Store, a, b string) error { _, err := app.OpenObligation(s, a); return err },
	func(s store.Store, a, b string) error { _, err := app.FileObligation(s, a, b); return err },
	func(s store.Store, a, b string) error { _, err := app.DecideObligation(s, a, b, b); return err },
	func(s store.Store, a, b string) error { _, err := app.RecordCreditRecord(s, a); return err },
	func(s store.Store, a, b string) error { _, err := app.RescindCreditRecord(s, a, b); return err },
	func(s store.Store, a, b string) error { _, err := app.GetCreditRecord(s, a); return err },
	func(s store.Store, a, b string) error { _, err := app.RecordEvaluation(s, a); return err },
	func(s store.Store, a, b string) error { _, err := app.GetEvaluation(s, a); return err },
	func(s store.Store, a, b string) error { _, err := app.OpenSelection(s, a); return err },
	func(s store.Store, a, b string) error { _, err := app.NominateCandidates(s, a, b); return err },
	func(s store.Store, a, b string) error { _, err := app.SelectOperator(s, a, b, b); return err },
	func(s store.Store, a, b string) error { _, err := app.GetSelection(s, a); return err },
	func(s store.Store, a, b string) error { _, err := app.RecordPlan(s, a); return err },
	func(s store.Store, a, b string) error { _, err := app.FilePlan(s, a, b); return err },
	func(s store.Store, a, b string) error { _, err := app.DecidePlanFiling(s, a, b, b); return err },
	func(s store.Store, a, b string) error { _, err := app.GetPlan(s, a); return err },
	func(s store.Store, a, b string) error { _, err := app.SubmitProduct(s, a, b); return err },
}

// FuzzTransactions feeds any input to every transaction that parses one:
// no panic, and a refused transaction changes nothing (the memory store
// commits only on success; the fuzzer checks the refusal leaves the
// snapshot as it was).
func FuzzTransactions(f *testing.F) {
	for i := range fuzzOps {
		f.Add(uint8(i), partyJSON, "reason")
	}
	f.Add(uint8(8), `{"number":"XY-450100-2026-00000000-0","kind":"catalog"}`, "")
	f.Add(uint8(22), `{"number":"YY-450100-2026-00000000-0","targetKind":"certificate","target":"DJ-x"}`, "")
	f.Add(uint8(6), `{"year":2026,"workdays":["2026-02-15"],"holidays":["2026-02-16"]}`, "r")
	f.Add(uint8(len(fuzzOps)-9), `{"number":"XD-450100-2026-00000000-0","partyCreditCode":"91450100MA5L00001X","cause":"LX-450100-2026-00000000-0","category":"data_security"}`, "")
	f.Add(uint8(len(fuzzOps)-8), "XD-450100-2026-00000000-0", "复议撤销")
	f.Add(uint8(len(fuzzOps)-6), `{"number":"PJ-450100-2026-00000000-0","partyCreditCode":"91450100MA5L00001X","period":"2025","outcome":"qualified","evaluators":["x"]}`, "")
	f.Add(uint8(len(fuzzOps)-3), "ZJ-450100-2026-00000000-0", `{"candidates":["91450100MA5L00001X"],"reviewDigest":""}`)
	m := bootstrapped(f)
	f.Fuzz(func(t *testing.T, op uint8, a, b string) {
		fn := fuzzOps[int(op)%len(fuzzOps)]
		before := m.Snapshot()
		if _, err := m.Run(cityAAuthority, func(s store.Store) error { return fn(s, a, b) }); err != nil {
			if !reflect.DeepEqual(before, m.Snapshot()) {
				t.Fatalf("a refused transaction (%v) changed the state", err)
			}
		}
	})
}
