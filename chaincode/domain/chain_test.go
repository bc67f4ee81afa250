package domain

import (
	"strings"
	"testing"
	"time"
)

// chainAt builds a certificate registered at 2026-03-12 10:00 CST under a
// scenario agreement, listing one credential under a catalog agreement.
func chainAt() CertificateChain {
	ch := func(tx, at, action, reason string) Change {
		return Change{TxID: tx, Time: at, Actor: Actor{MSP: "CityAMSP"}, Action: action, Reason: reason}
	}
	reg := ch("reg", "2026-03-12T02:00:00Z", "register", "")
	return CertificateChain{
		Certificate: &CertificateRecord{Number: "DJ-1", EnterpriseCreditCode: "E1", AuthorizationNumbers: []string{"SQ-1"},
			AgreementNumber: "XY-S", IssuerKeyID: "K1", Status: CertificateValid, Registered: reg, Last: reg},
		Agreement: &Agreement{AgreementInput: AgreementInput{Number: "XY-S", TermStart: "2026-01-01", TermEnd: "2026-12-31"}, Status: AgreementFiled, Last: ch("ags", "2026-02-01T00:00:00Z", "file", "")},
		Credentials: map[string]*CredentialRecord{"SQ-1": {Number: "SQ-1", AgreementNumber: "XY-C", HolderCreditCode: "E1", IssuerKeyID: "K1",
			ValidFrom: "2026-03-01", ValidUntil: "2026-11-30", Status: CredentialValid, Issued: ch("iss", "2026-03-02T01:00:00Z", "issue", ""), Last: ch("iss", "2026-03-02T01:00:00Z", "issue", "")}},
		Agreements: map[string]*Agreement{"XY-C": {AgreementInput: AgreementInput{Number: "XY-C", TermStart: "2026-01-01", TermEnd: "2027-12-31"}, Status: AgreementFiled, Last: ch("agc", "2026-02-01T00:00:00Z", "file", "")}},
		Enterprise: &Party{CreditCode: "E1", Name: "企业", Status: PartyActive, Last: ch("p", "2026-01-05T00:00:00Z", "register", "")},
		Key:        &IssuerKey{KeyID: "K1", Department: "局", ValidFrom: "2026-01-01", ValidUntil: "2030-12-31", Status: KeyActive, Registered: ch("k", "2026-01-02T00:00:00Z", "register", ""), Last: ch("k", "2026-01-02T00:00:00Z", "register", "")},
	}
}

var june = time.Date(2026, 6, 1, 4, 0, 0, 0, time.UTC)

func TestEveryLinkDecidesTheCertificatesStatus(t *testing.T) {
	change := func(tx, reason string) Change {
		return Change{TxID: tx, Time: "2026-05-20T08:30:00.123456789Z", Actor: Actor{MSP: "CityAMSP"}, Reason: reason}
	}
	for _, tc := range []struct {
		name      string
		edit      func(c *CertificateChain)
		at        time.Time
		want      string
		causeKind string
		causeTx   string
	}{
		{"all links hold", func(c *CertificateChain) {}, june, VerifyValid, "", ""},
		{"objection open", func(c *CertificateChain) { c.Certificate.OpenObjections = 1 }, june, VerifySuspended, LinkCertificate, "reg"},
		{"registration revoked", func(c *CertificateChain) {
			c.Certificate.Status, c.Certificate.Last = CertificateRevoked, change("rv", "objection upheld")
		}, june, VerifyRevoked, LinkCertificate, "rv"},
		{"destruction ordered", func(c *CertificateChain) {
			c.Certificate.Status, c.Certificate.DestructionDeadline, c.Certificate.Last = CertificateRevoked, "2026-06-30", change("ds", "违规")
		}, june, VerifyRevoked, LinkCertificate, "ds"},
		{"scenario agreement terminated", func(c *CertificateChain) {
			c.Agreement.Status, c.Agreement.Last = AgreementTerminated, change("end", "企业申请")
		}, june, VerifyAuthorizationEnded, LinkAgreement, "end"},
		{"scenario agreement expired (ledger clock past its term)", func(c *CertificateChain) {}, time.Date(2026, 12, 31, 16, 0, 0, 0, time.UTC), VerifyAuthorizationEnded, LinkAgreement, "ags"},
		{"catalog agreement of a listed credential revoked", func(c *CertificateChain) {
			c.Agreements["XY-C"].Status, c.Agreements["XY-C"].Last = AgreementRevoked, change("cr", "违约")
		}, june, VerifyAuthorizationEnded, LinkAgreement, "cr"},
		{"listed credential suspended", func(c *CertificateChain) {
			c.Credentials["SQ-1"].Status, c.Credentials["SQ-1"].Last = CredentialSuspended, change("cs", "核查")
		}, june, VerifySuspended, LinkCredential, "cs"},
		{"listed credential revoked", func(c *CertificateChain) {
			c.Credentials["SQ-1"].Status, c.Credentials["SQ-1"].Last = CredentialRevoked, change("cv", "撤销")
		}, june, VerifyAuthorizationEnded, LinkCredential, "cv"},
		{"listed credential expired", func(c *CertificateChain) {}, time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC), VerifyAuthorizationEnded, LinkCredential, "iss"},
		{"listed credential missing", func(c *CertificateChain) { delete(c.Credentials, "SQ-1") }, june, VerifyAuthorizationEnded, LinkCredential, ""},
		{"enterprise suspended", func(c *CertificateChain) {
			c.Enterprise.Status, c.Enterprise.Last = PartySuspended, change("ps", "整改")
		}, june, VerifySuspended, LinkParty, "ps"},
		{"enterprise exited", func(c *CertificateChain) {
			c.Enterprise.Status, c.Enterprise.Last = PartyExited, change("px", "退出")
		}, june, VerifyAuthorizationEnded, LinkParty, "px"},
		{"key compromised before registration", func(c *CertificateChain) {
			c.Key.Status, c.Key.CompromisedAt, c.Key.Last = KeyRevoked, "2026-03-12T01:59:59Z", change("kc", "私钥泄露")
		}, june, VerifyRevoked, LinkIssuerKey, "kc"},
		{"key compromised after registration", func(c *CertificateChain) {
			c.Key.Status, c.Key.CompromisedAt, c.Key.Last = KeyRevoked, "2026-03-12T02:00:01Z", change("kc", "私钥泄露")
		}, june, VerifyValid, "", ""},
		{"key retired after registration", func(c *CertificateChain) {
			c.Key.Status, c.Key.ValidUntil, c.Key.Last = KeyRetired, "2026-04-01", change("kr", "轮换")
		}, june, VerifyValid, "", ""},
		{"listed credential signed with another key, compromised before it was issued", func(c *CertificateChain) {
			c.Credentials["SQ-1"].IssuerKeyID = "K2"
			c.Keys = map[string]*IssuerKey{"K2": {KeyID: "K2", Department: "局", ValidFrom: "2026-01-01", ValidUntil: "2030-12-31", Status: KeyRevoked,
				CompromisedAt: "2026-03-02T01:00:00Z", Last: change("k2", "私钥泄露")}} // at the very issue time
		}, june, VerifyAuthorizationEnded, LinkIssuerKey, "k2"},
		{"listed credential signed with another key, compromised after it was issued", func(c *CertificateChain) {
			c.Credentials["SQ-1"].IssuerKeyID = "K2"
			c.Keys = map[string]*IssuerKey{"K2": {KeyID: "K2", Department: "局", ValidFrom: "2026-01-01", ValidUntil: "2030-12-31", Status: KeyRevoked,
				CompromisedAt: "2026-03-02T01:00:00.000000001Z", Last: change("k2", "私钥泄露")}}
		}, june, VerifyValid, "", ""},
		{"an unreadable compromise time reads compromised", func(c *CertificateChain) {
			c.Key.Status, c.Key.CompromisedAt, c.Key.Last = KeyRevoked, "garbled", change("kc", "私钥泄露")
		}, june, VerifyRevoked, LinkIssuerKey, "kc"},
		{"a certificate from the workflow that names no scenario agreement", func(c *CertificateChain) {
			c.Certificate.AgreementNumber = ""
		}, june, VerifyAuthorizationEnded, LinkAgreement, ""},
		{"revoked outranks suspended whatever the order", func(c *CertificateChain) {
			c.Certificate.OpenObjections = 1
			c.Key.Status, c.Key.CompromisedAt, c.Key.Last = KeyRevoked, "2026-03-01T00:00:00Z", change("kc", "私钥泄露")
		}, june, VerifyRevoked, LinkIssuerKey, "kc"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := chainAt()
			tc.edit(&c)
			v := c.Verify("nanning", tc.at)
			if v.Status != tc.want {
				t.Fatalf("status %s, want %s (%s)", v.Status, tc.want, v.Reason)
			}
			if want := 6 + len(c.Keys); len(v.Links) != want && tc.name != "listed credential missing" {
				t.Fatalf("%d links, want certificate, 2 agreements, credential, enterprise, key: %+v", len(v.Links), v.Links)
			}
			if tc.causeKind == "" {
				if v.Cause != nil {
					t.Fatalf("cause %+v on a valid certificate", v.Cause)
				}
				return
			}
			if v.Cause == nil || v.Cause.Kind != tc.causeKind || v.Cause.TxID != tc.causeTx || v.Cause.Status != tc.want {
				t.Fatalf("cause %+v, want the %s link set by %q", v.Cause, tc.causeKind, tc.causeTx)
			}
			if v.Reason == "" || v.ReasonZh == "" || !strings.HasPrefix(v.ReasonZh, StatusNames[tc.want]+"：") {
				t.Fatalf("reasons %q / %q", v.Reason, v.ReasonZh)
			}
			if strings.Contains(v.ReasonZh, "T08:30") || strings.Contains(v.ReasonZh, ".123") || strings.Contains(v.Reason, ".123") {
				t.Fatalf("a raw UTC time in %q / %q", v.ReasonZh, v.Reason)
			}
		})
	}
}

func TestReinstatingTheSuspendedLinkRestoresValid(t *testing.T) {
	c := chainAt()
	c.Enterprise.Status = PartySuspended
	if v := c.Verify("nanning", june); v.Status != VerifySuspended {
		t.Fatalf("suspended enterprise: %s", v.Status)
	}
	c.Enterprise.Status = PartyActive
	if v := c.Verify("nanning", june); v.Status != VerifyValid {
		t.Fatalf("reinstated enterprise: %s (%s)", v.Status, v.Reason)
	}
}

func TestCredentialChain(t *testing.T) {
	base := chainAt()
	mk := func() CredentialChain {
		b := chainAt()
		return CredentialChain{Credential: b.Credentials["SQ-1"], Agreement: b.Agreements["XY-C"], Holder: b.Enterprise, Key: b.Key}
	}
	_ = base
	for _, tc := range []struct {
		name string
		edit func(c *CredentialChain)
		at   time.Time
		want string
	}{
		{"valid", func(c *CredentialChain) {}, june, VerifyValid},
		{"own revocation is revoked", func(c *CredentialChain) { c.Credential.Status = CredentialRevoked }, june, VerifyRevoked},
		{"own expiry is expired", func(c *CredentialChain) {}, time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC), VerifyExpired},
		{"before its validity", func(c *CredentialChain) {}, time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC), VerifyPending},
		{"agreement terminated", func(c *CredentialChain) { c.Agreement.Status = AgreementTerminated }, june, VerifyAuthorizationEnded},
		{"holder suspended", func(c *CredentialChain) { c.Holder.Status = PartySuspended }, june, VerifySuspended},
		{"holder exited", func(c *CredentialChain) { c.Holder.Status = PartyExited }, june, VerifyAuthorizationEnded},
		{"key compromised before issue", func(c *CredentialChain) { c.Key.CompromisedAt = "2026-03-02T00:59:00Z" }, june, VerifyRevoked},
		{"key compromised after issue", func(c *CredentialChain) { c.Key.CompromisedAt = "2026-03-02T01:00:01Z" }, june, VerifyValid},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := mk()
			tc.edit(&c)
			if v := c.Verify("nanning", tc.at); v.Status != tc.want || len(v.Links) != 4 {
				t.Fatalf("status %s with %d links, want %s (%s)", v.Status, len(v.Links), tc.want, v.Reason)
			}
			if got := c.Status(tc.at); got != tc.want {
				t.Fatalf("Status %s, want %s as verification says", got, tc.want)
			}
		})
	}
}

func TestKeyCompromiseIsStatedOnRevocationWithinTheKeysLife(t *testing.T) {
	j := &Jurisdiction{Channel: "nanning"}
	k := chainAt().Key
	now := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	for _, bad := range []struct{ action, at string }{
		{"revoke", "yesterday"},
		{"revoke", "2027-01-01T00:00:00+08:00"}, // future
		{"revoke", "2025-12-31T00:00:00+08:00"}, // before the key was registered
		{"retire", "2026-05-01T00:00:00+08:00"}, // only a revocation states a compromise
	} {
		_, err := EndIssuerKey(j, k, bad.action, "泄露", "", bad.at, now, Change{})
		if re, ok := AsRule(err); !ok || re.Rule != RuleKeyCompromise || re.Field != "compromisedAt" {
			t.Errorf("%s at %q: %v, want %s on compromisedAt", bad.action, bad.at, err, RuleKeyCompromise)
		}
	}
	withdrawn, err := EndIssuerKey(j, k, "revoke", "停用", "", "", now, Change{})
	if err != nil || withdrawn.CompromisedAt != "" {
		t.Fatalf("withdrawn: %+v %v", withdrawn, err)
	}
	got, err := EndIssuerKey(j, withdrawn, "revoke", "泄露", "", "2026-05-01T08:00:00.5+08:00", now, Change{})
	if err != nil || got.CompromisedAt != "2026-05-01T00:00:00.5Z" || got.Status != KeyRevoked {
		t.Fatalf("a withdrawn key marked compromised: %+v %v", got, err)
	}
	if _, err := EndIssuerKey(j, got, "revoke", "泄露", "", "2026-05-01T08:00:00.6+08:00", now, Change{}); err == nil {
		t.Fatal("a compromise moved later")
	}
	earlier, err := EndIssuerKey(j, got, "revoke", "更早泄露", "", "2026-05-01T08:00:00+08:00", now, Change{})
	if err != nil || earlier.CompromisedAt != "2026-05-01T00:00:00Z" {
		t.Fatalf("a compromise moved earlier: %+v %v", earlier, err)
	}
}

func TestChinaTime(t *testing.T) {
	if got := ChinaTime("2026-12-01T21:26:42.123456789Z"); got != "2026-12-02 05:26:42" {
		t.Fatalf("ChinaTime = %q", got)
	}
}
