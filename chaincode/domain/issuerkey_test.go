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
