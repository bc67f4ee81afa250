package contract

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/hyperledger/fabric-chaincode-go/v2/shim"

	"dataledger/certs"
	"dataledger/chaincode/domain"
	"dataledger/chaincode/store"
)

// An objection's summary and its decision's reasons live in the
// collection only: the world state, the answers (which a block keeps) and
// the events hold its public view; the collection's members read it whole.
func TestObjectionSummaryAndReasonsAreOnlyInTheCollection(t *testing.T) {
	f := newFixture(t, "GX")
	cred := f.issued()
	c := f.preExisting(cred)
	const summary, reasons = "异议人张三称产品含其个人数据", "经核实该数据未经授权使用"
	number := func(serial string) string {
		return domain.Number{Prefix: domain.PrefixObjection, Division: "450100", Year: 2026, Serial: serial}.String()
	}
	in := domain.ObjectionInput{Number: number("YJ000001"), TargetKind: "certificate", Target: c.RegistrationNumber,
		EvidenceDigest: certs.SM3Hex([]byte("evidence")), Summary: summary}
	b, _ := json.Marshal(in)
	filed := must[*domain.Objection](t)(run(f, cityAExchange, func(s store.Store) (*domain.Objection, error) { return app.FileObjection(s, string(b)) }))
	if filed.Summary != "" {
		t.Fatalf("the answer, which the block keeps, carries the summary: %+v", filed)
	}
	d, _ := json.Marshal(domain.ObjectionDecision{Outcome: domain.OutcomeRegistrationRevoked, Reasons: reasons})
	decided := must[*domain.Objection](t)(run(f, cityAOperator, func(s store.Store) (*domain.Objection, error) {
		return app.DecideObjection(s, in.Number, string(d))
	}))
	if decided.Decision == nil || decided.Decision.Reasons != "" || decided.Decision.Outcome != domain.OutcomeRegistrationRevoked {
		t.Fatalf("decision answer: %+v", decided.Decision)
	}
	for k, v := range f.m.Snapshot() {
		if strings.Contains(v, summary) || strings.Contains(v, reasons) {
			t.Fatalf("world state key %q holds private text: %s", k, v)
		}
	}
	for _, e := range f.m.Events {
		if strings.Contains(string(e.Payload), summary) || strings.Contains(string(e.Payload), reasons) {
			t.Fatalf("event %s holds private text", e.Name)
		}
	}
	sealedAt := ""
	for k, v := range f.m.PrivateSnapshot() {
		if strings.Contains(v, summary) && strings.Contains(v, reasons) && strings.Contains(v, `"salt":"`+strings.Repeat("5a", 32)) {
			sealedAt = k
		}
	}
	if sealedAt == "" {
		t.Fatal("the collection does not hold the objection whole, sealed with the transaction's salt")
	}
	get := func(who domain.Actor) *domain.Objection {
		return must[*domain.Objection](t)(run(f, who, func(s store.Store) (*domain.Objection, error) { return app.GetObjection(s, in.Number) }))
	}
	for _, who := range []domain.Actor{cityAOperator, provinceAuth} {
		if o := get(who); o.Summary != summary || o.Decision.Reasons != reasons || o.Status != domain.ObjectionDecided {
			t.Fatalf("%s/%s reads %+v, want it whole", who.MSP, who.Role, o)
		}
	}
	for _, who := range []domain.Actor{cityAClerk, cityAExchange} {
		if o := get(who); o.Summary != "" || o.Decision.Reasons != "" || o.Status != domain.ObjectionDecided {
			t.Fatalf("%s/%s reads %+v, want the public view", who.MSP, who.Role, o)
		}
	}
	// The certificate says why publicly by cause, not by the reasons.
	v := must[*domain.Verification](t)(run(f, cityAClerk, func(s store.Store) (*domain.Verification, error) {
		return app.VerifyCertificate(s, c.RegistrationNumber)
	}))
	if v.Status != domain.VerifyRevoked {
		t.Fatalf("certificate reads %s", v.Status)
	}
	// The peer refuses a non-member's read of the collection itself; the
	// contract never tries one for it.
	if _, err := f.m.Run(cityAExchange, func(s store.Store) error { _, err := s.GetPrivate(sealedAt); return err }); err == nil || !strings.Contains(err.Error(), "read access") {
		t.Fatalf("a non-member read the collection: %v", err)
	}
	// A new private record is sealed with the client's salt, or not at all.
	other := f.preExisting(cred)
	for _, salt := range []string{"", "short", strings.Repeat("5a", 31)} {
		f.m.Transient = map[string][]byte{domain.TransientSalt: []byte(salt)}
		in.Number, in.Target = number("YJ000002"), other.RegistrationNumber
		b, _ := json.Marshal(in)
		f.refused(cityAExchange, domain.RulePrivateArgs, func(s store.Store) error { _, err := app.FileObjection(s, string(b)); return err })
	}
}

// argsOnly is a stub that answers only what privateChaincode reads
// before it hands the transaction on.
type argsOnly struct {
	shim.ChaincodeStubInterface
	fn        string
	args      []string
	transient map[string][]byte
}

func (s argsOnly) GetFunctionAndParameters() (string, []string) { return s.fn, s.args }
func (s argsOnly) GetTransient() (map[string][]byte, error)     { return s.transient, nil }

func TestPrivateArgumentsNeverInTheProposal(t *testing.T) {
	cc, err := New(app.Channels, false)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		stub argsOnly
		want string
	}{
		{argsOnly{fn: "FileObjection", args: []string{`{"summary":"x"}`}}, "from the transient map"},
		{argsOnly{fn: "dataledger:DecideObjection", args: []string{"YY-450100-2026-P00001", "{}"}}, "from the transient map"},
		{argsOnly{fn: "FileObjection", transient: map[string][]byte{domain.TransientArgs: []byte(`{"not":"an array"}`)}}, "JSON array of strings"},
		{argsOnly{fn: "DecideObjection"}, "JSON array of strings"},
	} {
		res := cc.Invoke(tc.stub)
		re, ok := domain.ParseWire(res.GetMessage())
		if res.GetStatus() == shim.OK || !ok || re.Rule != domain.RulePrivateArgs || !strings.Contains(re.Detail, tc.want) {
			t.Fatalf("%s %v: %d %q", tc.stub.fn, tc.stub.args, res.GetStatus(), res.GetMessage())
		}
	}
}
