package gateway

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"dataledger/certs"
	"dataledger/chaincode/domain"
)

// Bodies naming a member twice, or naming a member but for case, are
// refused before anything reaches the ledger: Go would read the last (or
// the case-folded) one where the chaincode and verifiers read another.
func TestAmbiguousBodyMembersAreRefused(t *testing.T) {
	hs := newHarness(t)
	key, _ := certs.GenerateKey(nil)
	cred, _ := json.Marshal(domain.Credential{Type: domain.DocTypeCredential, AuthorizationNumber: credNumber, HolderName: "广西数智科技有限公司",
		HolderCreditCode: "91350100M000100Y43", Channel: "nanning", IssueDate: "2026-01-01"})
	signed, err := certs.Sign([]byte(strings.Replace(string(cred), `"holderCreditCode":`, `"HolderCreditCode":"91450100MA5L0000AW","holderCreditCode":`, 1)), key, nil)
	if err != nil {
		t.Fatal(err)
	}
	plainCred := string(cred)
	const party = `"creditCode":"91450100MA5L0000AW","role":"enterprise","divisionCode":"450102"`
	for _, c := range []struct {
		name, method, path, role, body, field string
	}{
		{"case variant, whole body", http.MethodPost, "/api/v1/channels/nanning/parties", RoleIssuer, `{` + party + `,"name":"A","Name":"B"}`, "Name"},
		{"duplicate, whole body", http.MethodPost, "/api/v1/channels/nanning/parties", RoleIssuer, `{` + party + `,"name":"A","name":"B"}`, "name"},
		{"case variant, named members", http.MethodPost, "/api/v1/channels/nanning/profile/adopt", RoleIssuer, `{"name":"GX","Name":"NS","reason":"r"}`, "Name"},
		{"duplicate, named members", http.MethodPost, "/api/v1/channels/nanning/profile/adopt", RoleIssuer, `{"name":"GX","name":"NS","reason":"r"}`, "name"},
		{"nested duplicate", http.MethodPut, "/api/v1/channels/nanning/profile", RoleIssuer, `{"profile":{"name":"X1","citations":{"a":"x","a":"y"}},"reason":"r"}`, "profile.citations.a"},
		{"nested case variant", http.MethodPut, "/api/v1/channels/nanning/profile", RoleIssuer, `{"profile":{"name":"X1","NAME":"X2"},"reason":"r"}`, "profile.NAME"},
		{"signed credential with a case variant", http.MethodPost, "/api/v1/credentials", RoleIssuer, `{"document":` + string(signed) + `,"agreementNumber":"x"}`, "document.HolderCreditCode"},
		{"duplicate request member", http.MethodPost, "/api/v1/credentials", RoleIssuer, `{"document":` + plainCred + `,"agreementNumber":"x","agreementNumber":"y"}`, "agreementNumber"},
		{"verify: signed case variant", http.MethodPost, "/api/v1/verify", RolePublic, string(signed), "HolderCreditCode"},
		{"verify: channel named twice", http.MethodPost, "/api/v1/verify", RolePublic, strings.Replace(plainCred, `"channel":`, `"Channel":"liuzhou","channel":`, 1), "Channel"},
		{"proof bundle", http.MethodPost, "/api/v1/proofs/verify", RolePublic, `{"format":"a","Format":"b"}`, "Format"},
	} {
		calls := len(hs.ledger.calls)
		w := hs.do(c.method, c.path, c.role, c.body)
		var p Problem
		_ = json.Unmarshal(w.Body.Bytes(), &p)
		if w.Code != http.StatusUnprocessableEntity || p.Rule != domain.RuleJSONMember || p.Field != c.field {
			t.Errorf("%s: %d %+v, want 422 %s at %s", c.name, w.Code, p, domain.RuleJSONMember, c.field)
		}
		if len(hs.ledger.calls) != calls {
			t.Errorf("%s: reached the ledger (%v)", c.name, hs.ledger.calls[calls:])
		}
	}
	// exact names still pass
	if w := hs.do(http.MethodPost, "/api/v1/channels/nanning/parties", RoleIssuer, `{`+party+`,"name":"A"}`); w.Code != http.StatusCreated {
		t.Errorf("a plain party: %d %s", w.Code, w.Body)
	}
	if w := hs.do(http.MethodPost, "/api/v1/channels/nanning/profile/adopt", RoleIssuer, `{"name":"GX","reason":"r"}`); w.Code != http.StatusOK {
		t.Errorf("a plain adoption: %d %s", w.Code, w.Body)
	}
}
