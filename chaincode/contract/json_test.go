package contract

import (
	"encoding/json"
	"strings"
	"testing"

	"dataledger/certs"
	"dataledger/chaincode/domain"
	"dataledger/chaincode/store"
	"dataledger/internal/strictjson"
)

// A member named twice, or named like a field but for case, must be
// refused: Go's decoder would store the last one while a reader matching
// names exactly would read the first.
func TestArgumentsWithAmbiguousMembersAreRefused(t *testing.T) {
	m := bootstrapped(t)
	const head = `{"creditCode":"91450100MA5L0000AW","role":"enterprise","divisionCode":"450102",`
	for field, arg := range map[string]string{
		"party.Name": head + `"name":"A","Name":"B"}`,
		"party.name": head + `"name":"A","name":"B"}`,
		"party.NAME": head + `"NAME":"B","name":"A"}`,
	} {
		_, err := m.Run(cityAAuthority, func(s store.Store) error { _, err := app.RegisterParty(s, arg); return err })
		re, ok := domain.AsRule(err)
		if !ok || re.Rule != domain.RuleJSONMember || re.Kind != domain.KindInvalid || re.Field != field {
			t.Errorf("%s: got %v, want %s invalid at %s", arg, err, domain.RuleJSONMember, field)
		}
	}

	// nested: a duplicate inside the profile's citations
	b, err := json.Marshal(domain.BuiltinProfiles()["NS"])
	if err != nil {
		t.Fatal(err)
	}
	var p struct {
		Citations map[string]string `json:"citations"`
	}
	_ = json.Unmarshal(b, &p)
	var some string
	for k := range p.Citations {
		some = k
		break
	}
	if some == "" {
		t.Fatal("the NS profile has no citations to duplicate")
	}
	dup := strings.Replace(string(b), `"citations":{`, `"citations":{"`+some+`":"x",`, 1)
	_, err = m.Run(cityAAuthority, func(s store.Store) error { _, err := app.SetProfile(s, dup, "r"); return err })
	if re, ok := domain.AsRule(err); !ok || re.Rule != domain.RuleJSONMember || re.Field != "profile.citations."+some {
		t.Errorf("nested duplicate: got %v, want %s at profile.citations.%s", err, domain.RuleJSONMember, some)
	}

	// and the refusal leaves the ledger as it was
	refused(t, m, cityAAuthority, domain.RuleJSONMember, func(s store.Store) error {
		_, err := app.RegisterParty(s, head+`"name":"A","Name":"B"}`)
		return err
	})

	// the exact names still register
	if _, err := m.Run(cityAAuthority, func(s store.Store) error { _, err := app.RegisterParty(s, head+`"name":"A"}`); return err }); err != nil {
		t.Fatal(err)
	}
}

func TestTheMemberRuleIsStrictjsons(t *testing.T) {
	if domain.RuleJSONMember != strictjson.Rule {
		t.Fatalf("domain.RuleJSONMember %q, strictjson.Rule %q", domain.RuleJSONMember, strictjson.Rule)
	}
}

// A credential signed by the registered key with HolderCreditCode next to
// holderCreditCode is refused before anything is registered: the ledger
// would keep a document whose holder reads differently to a verifier.
func TestSignedCredentialWithCaseVariantMemberIsRefused(t *testing.T) {
	f := newFixture(t, "GX")
	b, _ := json.Marshal(f.credential(nil))
	variant := strings.Replace(string(b), `"holderCreditCode":`, `"HolderCreditCode":"91450100MA5L0000AW","holderCreditCode":`, 1)
	signed, err := certs.Sign([]byte(variant), f.key, nil)
	if err != nil {
		t.Fatal(err)
	}
	f.refused(cityAOperator, domain.RuleJSONMember, func(s store.Store) error {
		_, err := app.IssueCredential(s, string(signed), f.agreem)
		if re, ok := domain.AsRule(err); ok && (re.Kind != domain.KindInvalid || re.Field != "HolderCreditCode") {
			t.Errorf("refused as %s at %s, want invalid at HolderCreditCode", re.Kind, re.Field)
		}
		return err
	})
}
