package domain

import (
	"testing"
	"time"
)

// at is 2026-03-02 09:00 CST.
var at = time.Date(2026, 3, 2, 1, 0, 0, 0, time.UTC)

func activeKey() *IssuerKey {
	return &IssuerKey{KeyID: "k1", OwnerMSP: "CityAMSP", Department: "南宁市大数据发展局", ValidFrom: "2026-01-01", ValidUntil: "2030-12-31", Status: KeyActive}
}

// TestCanSign is the one issuer-key rule credentials and certificates are
// signed under.
func TestCanSign(t *testing.T) {
	cases := []struct {
		name        string
		key         func(k *IssuerKey) *IssuerKey
		department  string
		at          time.Time
		rule, field string
	}{
		{"usable", func(k *IssuerKey) *IssuerKey { return k }, "南宁市大数据发展局", at, "", ""},
		{"first and last day of its window (CST)", func(k *IssuerKey) *IssuerKey { k.ValidFrom, k.ValidUntil = "2026-03-02", "2026-03-02"; return k }, "南宁市大数据发展局", at, "", ""},
		{"not in the registry", func(*IssuerKey) *IssuerKey { return nil }, "南宁市大数据发展局", at, RuleKeyUnknown, "issuerKeyId"},
		{"another jurisdiction's key", func(k *IssuerKey) *IssuerKey { k.OwnerMSP = "CityBMSP"; return k }, "南宁市大数据发展局", at, RuleKeyOwner, "issuerKeyId"},
		{"retired", func(k *IssuerKey) *IssuerKey { k.Status = KeyRetired; return k }, "南宁市大数据发展局", at, RuleKeyStatus, "issuerKeyId"},
		{"revoked", func(k *IssuerKey) *IssuerKey { k.Status = KeyRevoked; return k }, "南宁市大数据发展局", at, RuleKeyStatus, "issuerKeyId"},
		{"before its window", func(k *IssuerKey) *IssuerKey { k.ValidFrom = "2026-03-03"; return k }, "南宁市大数据发展局", at, RuleKeyWindow, "issuerKeyId"},
		{"after its window", func(k *IssuerKey) *IssuerKey { k.ValidUntil = "2026-03-01"; return k }, "南宁市大数据发展局", at, RuleKeyWindow, "issuerKeyId"},
		// Department differs from the key's (moved from the adapter's credential refusals).
		{"another department", func(k *IssuerKey) *IssuerKey { return k }, "柳州市大数据发展局", at, RuleKeyDepartment, "issuingDepartment"},
		{"the owner is checked before the status", func(k *IssuerKey) *IssuerKey { k.OwnerMSP, k.Status = "CityBMSP", KeyRevoked; return k }, "南宁市大数据发展局", at, RuleKeyOwner, "issuerKeyId"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.key(activeKey()).CanSign(nanning, "k1", c.department, c.at)
			if c.rule == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			wantRule(t, err, c.rule, c.field)
		})
	}
}

// TestRegisterIssuerKeyWindow: the window rules of a registration
// (moved from the adapter's key-registry test).
func TestRegisterIssuerKeyWindow(t *testing.T) {
	c := change("CityAMSP", RoleAuthority)
	in := IssuerKeyInput{PublicKey: "pem", Department: "南宁市大数据发展局", ValidFrom: "2026-01-01", ValidUntil: "2027-01-01"}
	k, err := RegisterIssuerKey(nanning, nil, "k2", in, at, c)
	if err != nil || k.OwnerMSP != "CityAMSP" || k.Status != KeyActive || k.Version != 1 {
		t.Fatalf("%+v %v", k, err)
	}
	_, err = RegisterIssuerKey(nanning, k, "k2", in, at, c)
	wantRule(t, err, RuleKeyUnique, "publicKey")
	for _, w := range []struct{ from, until string }{
		{"2026-01-01", "2025-12-31"}, // ends before it starts
		{"2025-01-01", "2025-12-31"}, // already over
		{"2026-01-01", "2036-01-02"}, // longer than 10 years
	} {
		in := in
		in.ValidFrom, in.ValidUntil = w.from, w.until
		_, err := RegisterIssuerKey(nanning, nil, "k3", in, at, c)
		wantRule(t, err, RuleKeyWindow, "validUntil")
	}
}

// TestCredentialAsSubject: a signed credential sent as an order's subject
// vouches for its holder only if it is the one numbered (of this
// jurisdiction and its issue year), of this channel, dated by today,
// signed with this authority's key of its department, the key it names,
// not compromised by its issue day; a key retired since still vouches for
// what it signed.
func TestCredentialAsSubject(t *testing.T) {
	j := &Jurisdiction{Channel: "nanning", DivisionCode: "450100", AuthorityMSP: "CityAMSP"}
	number, holder := Number{Prefix: PrefixAuthorization, Division: "450100", Year: 2026, Serial: "3KQ7M2XA"}.String(), "91450100MA5KXXXX0X"
	doc := func() *Credential {
		return &Credential{AuthorizationNumber: number, HolderCreditCode: holder, IssuingDepartment: "南宁市大数据发展局", IssueDate: "2026-03-02",
			DivisionCode: "450100", Channel: "nanning", IssuerKeyID: "k1"}
	}
	cases := []struct {
		name        string
		doc         func(d *Credential)
		key         func(k *IssuerKey) *IssuerKey
		party, rule string
		ofParty     bool
	}{
		{name: "the holder's", party: holder, ofParty: true},
		{name: "another's", party: "91450100MA5KYYYY0Y"},
		{name: "retired since", key: func(k *IssuerKey) *IssuerKey { k.Status = KeyRetired; return k }, party: holder, ofParty: true},
		{name: "withdrawn, not compromised", key: func(k *IssuerKey) *IssuerKey { k.Status = KeyRevoked; return k }, party: holder, ofParty: true},
		{name: "compromised after", key: func(k *IssuerKey) *IssuerKey {
			k.Status, k.CompromisedAt = KeyRevoked, "2026-03-02T16:00:00Z" // 03-03 in CST
			return k
		}, party: holder, ofParty: true},
		{name: "compromised that day", key: func(k *IssuerKey) *IssuerKey {
			k.Status, k.CompromisedAt = KeyRevoked, "2026-03-01T16:00:00Z" // 03-02 in CST
			return k
		}, party: holder, rule: RuleKeyStatus},
		{name: "another number", doc: func(d *Credential) { d.AuthorizationNumber = "SQ-450100-2026-3KQ7M2XB" }, party: holder, rule: RuleObligation},
		{name: "another channel", doc: func(d *Credential) { d.Channel = "liuzhou" }, party: holder, rule: RuleObligation},
		{name: "no such key", key: func(*IssuerKey) *IssuerKey { return nil }, party: holder, rule: RuleKeyUnknown},
		{name: "names another key", doc: func(d *Credential) { d.IssuerKeyID = "k2" }, party: holder, rule: RuleSignature},
		{name: "another authority's key", key: func(k *IssuerKey) *IssuerKey { k.OwnerMSP = "CityBMSP"; return k }, party: holder, rule: RuleKeyOwner},
		{name: "another department", doc: func(d *Credential) { d.IssuingDepartment = "柳州市大数据发展局" }, party: holder, rule: RuleKeyDepartment},
		{name: "dated another year than its number's", doc: func(d *Credential) { d.IssueDate = "2025-12-31" }, party: holder, rule: RuleObligation},
		{name: "dated in the future", doc: func(d *Credential) { d.IssueDate = "2026-03-03" }, party: holder, rule: RuleObligation},
		{name: "not a date", doc: func(d *Credential) { d.IssueDate = "2026-3-2" }, party: holder, rule: RuleDocument},
	}
	for _, c := range cases {
		d, k := doc(), activeKey()
		if c.doc != nil {
			c.doc(d)
		}
		if c.key != nil {
			k = c.key(k)
		}
		ofParty, err := CredentialAsSubject(j, k, d, number, c.party, at)
		if c.rule != "" {
			if re, ok := AsRule(err); !ok || re.Rule != c.rule || ofParty {
				t.Errorf("%s: %v (its party's: %v), want a refusal by %s", c.name, err, ofParty, c.rule)
			}
			continue
		}
		if err != nil || ofParty != c.ofParty {
			t.Errorf("%s: %v, %v; want %v", c.name, ofParty, err, c.ofParty)
		}
	}
}
