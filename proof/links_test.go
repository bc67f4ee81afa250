package proof_test

import (
	"crypto/rand"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"dataledger/certs"
	"dataledger/chaincode/domain"
	"dataledger/proof"
	"dataledger/proof/prooftest"
)

// chain is a forged channel (prooftest.Ledger, roots the test holds) on
// which an enterprise holds a credential under a catalog agreement and a
// certificate under a scenario agreement listing that credential: every
// record a certificate's status derives from, written as the chaincode
// writes it.
type chain struct {
	l                     *prooftest.Ledger
	key                   *certs.PrivateKey
	today                 string
	catalog, scenario     *domain.Agreement
	credential, cert      string
	enterprise, operators string
}

const (
	testEnterprise = "91450100MA5L0000AW"
	testDepartment = "南宁市大数据发展局"
)

func number(t *testing.T, prefix string) string {
	t.Helper()
	n, err := domain.NewNumber(prefix, "450100", time.Now().In(domain.CST).Year(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return n.String()
}

func newChain(t *testing.T) *chain { t.Helper(); return newChainRevoking(t, nil) }

// newChainRevoking is newChain on a channel whose configuration revokes
// identities (revoked["CityAMSP/peer"]) that long after the chain's
// clock starts.
func newChainRevoking(t *testing.T, revoked map[string]time.Duration) *chain {
	t.Helper()
	genesis, err := prooftest.OpenPeer("nanning", "dataledger", "testdata/nanning", 1)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now().Add(-2 * time.Hour)
	at := map[string]time.Time{}
	for who, d := range revoked {
		at[who] = start.Add(d)
	}
	l, err := prooftest.NewLedgerRevoking(genesis.Block(0), "dataledger", start, at)
	if err != nil {
		t.Fatal(err)
	}
	key, err := certs.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	c := &chain{l: l, key: key, today: domain.DateOf(l.Clock).Format(time.DateOnly), enterprise: testEnterprise}
	c.commit(t, "operator", "RegisterParty", func(tx *prooftest.Tx) any {
		ch := tx.Change("register", "")
		return put(t, tx, domain.TypeParty, testEnterprise, domain.Party{CreditCode: testEnterprise, Name: "广西数智科技有限公司", Role: domain.PartyEnterprise,
			DivisionCode: "450103", Status: domain.PartyActive, Onboarded: ch, Last: ch, Version: 1})
	})
	pub := key.Public()
	c.commit(t, "authority", "RegisterIssuerKey", func(tx *prooftest.Tx) any {
		ch := tx.Change("register", "")
		return put(t, tx, domain.TypeIssuerKey, pub.KeyID(), domain.IssuerKey{KeyID: pub.KeyID(), PublicKey: string(pub.PEM()), OwnerMSP: "CityAMSP",
			Department: testDepartment, ValidFrom: c.today, ValidUntil: c.date(5, 0), Status: domain.KeyActive, Registered: ch, Last: ch, Version: 1})
	})
	c.catalog = c.agreement(t, domain.AgreementCatalog)
	c.credential = number(t, domain.PrefixAuthorization)
	c.commit(t, "operator", "IssueCredential", func(tx *prooftest.Tx) any {
		doc := domain.Credential{Type: domain.DocTypeCredential, AuthorizationNumber: c.credential, HolderName: "广西数智科技有限公司",
			HolderCreditCode: testEnterprise, Scope: "公共交通客流统计数据（开发目录）", ValidFrom: c.catalog.TermStart, ValidUntil: c.catalog.TermEnd,
			IssuingDepartment: testDepartment, IssueDate: c.today, DivisionCode: "450100", Channel: c.l.Channel, AgreementDigest: c.catalog.DocumentDigest}
		signed := c.sign(t, doc)
		ch := tx.Change("issue", "")
		read(t, tx, domain.TypeIssuerKey, pub.KeyID())
		return put(t, tx, domain.TypeCredential, c.credential, domain.CredentialRecord{Number: c.credential, Document: signed, IssuerKeyID: pub.KeyID(),
			HolderCreditCode: testEnterprise, AgreementNumber: c.catalog.Number, ValidFrom: doc.ValidFrom, ValidUntil: doc.ValidUntil,
			Status: domain.CredentialValid, Issued: ch, Last: ch, Version: 1})
	})
	c.scenario = c.agreement(t, domain.AgreementScenario)
	c.cert = number(t, domain.PrefixRegistration)
	c.commit(t, "operator", "RegisterCertificate", func(tx *prooftest.Tx) any {
		doc := domain.Certificate{Type: domain.DocTypeCertificate, CertificateName: "数据产品登记证书", ProductName: "城市通勤客流指数",
			RegistrationNumber: c.cert, ProductType: "dataset", EnterpriseName: "广西数智科技有限公司", EnterpriseCreditCode: testEnterprise,
			UpdateCycle: "每日", ApplicationScenario: "城市交通规划与公交线网优化", ChainReference: domain.ChainReference{Channel: c.l.Channel, TxID: tx.ID},
			RegistrationDate: c.today, AuthorizationNumbers: []string{c.credential}, ResourceIDs: []string{"RES-450100-0001"}, IssuingDepartment: testDepartment}
		signed := c.sign(t, doc)
		ch := tx.Change("register", "")
		read(t, tx, domain.TypeIssuerKey, pub.KeyID())
		return put(t, tx, domain.TypeCertificate, c.cert, domain.CertificateRecord{Number: c.cert, Document: signed, AgreementNumber: c.scenario.Number,
			EnterpriseCreditCode: testEnterprise, AuthorizationNumbers: doc.AuthorizationNumbers, ResourceIDs: doc.ResourceIDs,
			IssuerKeyID: pub.KeyID(), Status: domain.CertificateValid, Registered: ch, Last: ch, Version: 1})
	})
	return c
}

// date is today plus years and days, China time.
func (c *chain) date(years, days int) string {
	return domain.DateOf(c.l.Clock).AddDate(years, 0, days).Format(time.DateOnly)
}

func (c *chain) sign(t *testing.T, doc any) json.RawMessage {
	t.Helper()
	raw, _ := json.Marshal(doc)
	signed, err := certs.Sign(raw, c.key, nil)
	if err != nil {
		t.Fatal(err)
	}
	return signed
}

func put(t *testing.T, tx *prooftest.Tx, recordType, number string, v any) any {
	t.Helper()
	if err := tx.Put(recordType, number, v); err != nil {
		t.Fatal(err)
	}
	return v
}

func read(t *testing.T, tx *prooftest.Tx, recordType, number string) {
	t.Helper()
	if err := tx.Read(recordType, number); err != nil {
		t.Fatal(err)
	}
}

// commit runs one transaction of CityAMSP in role, endorsed by CityAMSP's
// and ProvinceMSP's peers (MAJORITY of three), ordered by ProvinceMSP.
func (c *chain) commit(t *testing.T, role, fn string, write func(*prooftest.Tx) any) any {
	t.Helper()
	tx, err := c.l.Begin("CityAMSP", role, fn)
	if err != nil {
		t.Fatal(err)
	}
	v := write(tx)
	if _, err := tx.Commit("ProvinceMSP", "CityAMSP", "ProvinceMSP"); err != nil {
		t.Fatal(err)
	}
	return v
}

// agreement records a filed agreement of a kind, in force for three years.
func (c *chain) agreement(t *testing.T, kind string) *domain.Agreement {
	t.Helper()
	n := number(t, domain.PrefixAgreement)
	a := c.commit(t, "authority", "FileAgreement", func(tx *prooftest.Tx) any {
		ch := tx.Change("file", "")
		return put(t, tx, domain.TypeAgreement, n, domain.Agreement{AgreementInput: domain.AgreementInput{Number: n, Kind: kind,
			GrantorCreditCode: "91450100MA5L0001AX", GranteeCreditCode: testEnterprise, DocumentDigest: certs.SM3Hex([]byte(kind + n)),
			Scope: "公共交通客流统计数据", TermStart: c.today, TermEnd: c.date(3, -1), SignedOn: c.today},
			Status: domain.AgreementFiled, Filing: &domain.Filing{FiledOn: c.today}, Registered: ch, Last: ch, Version: 2})
	}).(domain.Agreement)
	return &a
}

// terminate ends an agreement with a reason, as TerminateAgreement does.
func (c *chain) terminate(t *testing.T, a *domain.Agreement, reason string) {
	t.Helper()
	next := *a
	c.commit(t, "authority", "TerminateAgreement", func(tx *prooftest.Tx) any {
		next.Status, next.Ending, next.Last, next.Version = domain.AgreementTerminated, &domain.Ending{On: c.today}, tx.Change("terminate", reason), a.Version+1
		return put(t, tx, domain.TypeAgreement, a.Number, next)
	})
	*a = next
}

func (c *chain) bundle(t *testing.T, number string) *proof.Bundle {
	t.Helper()
	kind, _, err := proof.KindOf(number)
	if err != nil {
		t.Fatal(err)
	}
	b, err := proof.Build(c.l.Peer(), c.l.Channel, c.l.Chaincode, kind, number)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// verified verifies a bundle with the chain's roots pinned and requires
// every check to hold.
func (c *chain) verified(t *testing.T, b *proof.Bundle) *proof.Report {
	t.Helper()
	r := proof.Verify(b, c.l.Trust())
	if !r.OK || r.Derived == nil {
		var sb strings.Builder
		r.Print(&sb)
		t.Fatalf("the bundle does not verify:\n%s", sb.String())
	}
	return r
}

// sameVerification: the status derived offline is the chaincode's at the
// bundle's time, link for link.
func sameVerification(t *testing.T, offline *domain.Verification, chaincode domain.Verification) {
	t.Helper()
	chaincode.Record = nil
	a, _ := json.Marshal(offline)
	b, _ := json.Marshal(chaincode)
	if string(a) != string(b) {
		t.Fatalf("derived offline:\n%s\nthe chaincode's:\n%s", a, b)
	}
}

func TestBundleDerivesTheCertificatesStatusFromItsLinks(t *testing.T) {
	c := newChain(t)
	before := c.bundle(t, c.cert)
	r := c.verified(t, before)
	if r.Derived.Status != domain.VerifyValid || len(r.Derived.Links) != 6 || len(before.Links) != 6 {
		t.Fatalf("derived %s with %d links from %d proven", r.Derived.Status, len(r.Derived.Links), len(before.Links))
	}
	sameVerification(t, r.Derived, c.l.Peer().VerifyCertificate(c.cert))
	var sb strings.Builder
	r.Print(&sb)
	for _, want := range []string{"status at 北京时间", "valid（有效）", "agreement   " + c.scenario.Number, "credential  " + c.credential, "newer bundle"} {
		if !strings.Contains(sb.String(), want) {
			t.Errorf("the printed report lacks %q:\n%s", want, sb.String())
		}
	}

	c.terminate(t, c.scenario, "经营主体违反场景授权协议约定")
	after := c.bundle(t, c.cert)
	r = c.verified(t, after)
	if r.Derived.Status != domain.VerifyAuthorizationEnded || r.Derived.Cause == nil ||
		r.Derived.Cause.Kind != domain.LinkAgreement || r.Derived.Cause.Number != c.scenario.Number ||
		!strings.Contains(r.Derived.ReasonZh, "经营主体违反场景授权协议约定") {
		t.Fatalf("after termination: %s, cause %+v (%s)", r.Derived.Status, r.Derived.Cause, r.Derived.ReasonZh)
	}
	sameVerification(t, r.Derived, c.l.Peer().VerifyCertificate(c.cert))

	// The earlier bundle still says valid: its records are as of its blocks.
	if r := c.verified(t, before); r.Derived.Status != domain.VerifyValid || !strings.Contains(r.StatusNote, "newer bundle") {
		t.Fatalf("the earlier bundle: %s (%s)", r.Derived.Status, r.StatusNote)
	}
}

func TestBundleDerivesTheCredentialsStatusFromItsLinks(t *testing.T) {
	c := newChain(t)
	r := c.verified(t, c.bundle(t, c.credential))
	if r.Derived.Status != domain.VerifyValid || len(r.Derived.Links) != 4 {
		t.Fatalf("derived %s with %d links", r.Derived.Status, len(r.Derived.Links))
	}
	sameVerification(t, r.Derived, c.l.Peer().VerifyCredential(c.credential))

	c.terminate(t, c.catalog, "目录授权协议解除")
	for _, n := range []string{c.credential, c.cert} {
		r := c.verified(t, c.bundle(t, n))
		if r.Derived.Status != domain.VerifyAuthorizationEnded || r.Derived.Cause.Number != c.catalog.Number {
			t.Fatalf("%s after its catalog agreement ended: %s, cause %+v", n, r.Derived.Status, r.Derived.Cause)
		}
	}
	sameVerification(t, c.verified(t, c.bundle(t, c.cert)).Derived, c.l.Peer().VerifyCertificate(c.cert))
}

// linkIndex is the index of the bundle's link of a record.
func linkIndex(t *testing.T, b *proof.Bundle, recordType, number string) int {
	t.Helper()
	k, _ := domain.CompositeKey(recordType, number)
	for i, l := range b.Links {
		if l.Key == k {
			return i
		}
	}
	t.Fatalf("the bundle has no link %s %s", recordType, number)
	return -1
}

// failed verifies a forged bundle and requires the named check to fail
// with reason, and no status to be derived.
func failed(t *testing.T, c *chain, b *proof.Bundle, check, reason string) {
	t.Helper()
	r := proof.Verify(b, c.l.Trust())
	if f := r.Failed(check); r.OK || f == nil || !strings.Contains(f.Detail, reason) || r.Derived != nil {
		var sb strings.Builder
		r.Print(&sb)
		t.Fatalf("want %s to fail with %q and no status:\n%s", check, reason, sb.String())
	}
}

func TestForgedLinksAreCaught(t *testing.T) {
	c := newChain(t)
	c.terminate(t, c.scenario, "经营主体违反场景授权协议约定")
	genuine := c.bundle(t, c.cert)
	c.verified(t, genuine)
	ag := linkIndex(t, genuine, domain.TypeAgreement, c.scenario.Number)

	t.Run("the ended agreement left out", func(t *testing.T) {
		b := prooftest.Clone(genuine)
		b.Links = append(b.Links[:ag], b.Links[ag+1:]...)
		failed(t, c, b, "links.complete", "missing agreement "+c.scenario.Number)
	})
	t.Run("the agreement shown in force", func(t *testing.T) {
		b := prooftest.Clone(genuine)
		var a map[string]any
		_ = json.Unmarshal(b.Links[ag].Value, &a)
		a["status"] = domain.AgreementFiled
		b.Links[ag].Value, _ = json.Marshal(a)
		failed(t, c, b, "link[agreement "+c.scenario.Number+"]", "differs from what the transaction wrote")
	})
	t.Run("the agreement rewritten in its block", func(t *testing.T) {
		b := prooftest.Clone(genuine)
		if err := prooftest.RewriteLink(b, ag, func(v map[string]any) { v["status"] = domain.AgreementFiled }); err != nil {
			t.Fatal(err)
		}
		failed(t, c, b, "link[agreement "+c.scenario.Number+"]", "orderers: ")
	})
	t.Run("another record's proof in the agreement's place", func(t *testing.T) {
		b := prooftest.Clone(genuine)
		b.Links[ag] = b.Links[linkIndex(t, b, domain.TypeAgreement, c.catalog.Number)]
		failed(t, c, b, "links.complete", "missing agreement "+c.scenario.Number)
	})
	t.Run("a record the certificate does not rest on", func(t *testing.T) {
		b := c.bundle(t, c.credential)
		b.Links = append(b.Links, genuine.Links[ag])
		failed(t, c, b, "links.complete", "not a link of this credential: agreement "+c.scenario.Number)
	})
	t.Run("the status derived before the records were written", func(t *testing.T) {
		b := prooftest.Clone(genuine)
		b.At = time.Now().Add(-24 * time.Hour).In(domain.CST).Format(time.RFC3339)
		failed(t, c, b, "links.at", "before agreement "+c.scenario.Number+" was written")
	})
	t.Run("no time to derive it for", func(t *testing.T) {
		b := prooftest.Clone(genuine)
		b.At = ""
		failed(t, c, b, "links.at", "states no time")
	})
	t.Run("links on a record that has none", func(t *testing.T) {
		b := prooftest.Clone(genuine)
		b.Kind = "agreement"
		r := proof.Verify(b, c.l.Trust())
		if r.OK || r.Failed("bundle") == nil {
			t.Fatal("an agreement's bundle carried links")
		}
	})
}

// Blocks already in the bundle are not repeated: a link written in the
// record's block (a credential never changed since its issue) or in the
// issuer key's block carries none, and the bundle still verifies.
func TestLinkBlocksAreNotRepeated(t *testing.T) {
	c := newChain(t)
	b := c.bundle(t, c.credential)
	own := linkIndex(t, b, domain.TypeCredential, c.credential)
	key := linkIndex(t, b, domain.TypeIssuerKey, c.key.Public().KeyID())
	if b.Links[own].Block != nil || b.Links[key].Block != nil || b.Links[own].BlockNumber != b.Record.BlockNumber {
		t.Fatalf("repeated blocks: own %d bytes, key %d bytes", len(b.Links[own].Block), len(b.Links[key].Block))
	}
	c.verified(t, b)
	// A block named but carried nowhere in the bundle does not verify.
	b.Links[own].BlockNumber = 999
	failed(t, c, b, "link[credential "+c.credential+"]", "block: ")
}

// The verifier's own rules hold whatever the bundle's configuration says
// of its policies: a record written by a transaction that client
// identities endorsed, or in a block a client identity signed, does not
// verify, however genuine the client's key.
func TestOnlyPeersEndorseAndOnlyOrderingNodesSignBlocks(t *testing.T) {
	for _, tc := range []struct {
		name, check, want string
		hostile           func(l *prooftest.Ledger)
	}{
		{"endorsed by clients", "endorsements", "only peers endorse", func(l *prooftest.Ledger) { l.EndorserRole = "client" }},
		{"block signed by a client", "orderers", "blocks are signed by ordering nodes", func(l *prooftest.Ledger) { l.BlockSignerRole = "client" }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newChain(t)
			tc.hostile(c.l)
			c.terminate(t, c.scenario, "由客户端身份伪造的终止") // the agreement's latest version, written the hostile way
			b := c.bundle(t, c.cert)
			r := proof.Verify(b, c.l.Trust())
			var sb strings.Builder
			r.Print(&sb)
			if r.OK || r.Derived != nil {
				t.Fatalf("a bundle with a record %s verifies:\n%s", tc.name, sb.String())
			}
			if !strings.Contains(sb.String(), tc.want) {
				t.Fatalf("the report does not say %q:\n%s", tc.want, sb.String())
			}
		})
	}
}

// An endorser whose certificate the configuration's revocation list names
// counts until its revocation, never after: a record written before it
// verifies, one written after does not, naming the revocation.
func TestRevokedEndorserCountsOnlyBeforeItsRevocation(t *testing.T) {
	c := newChainRevoking(t, map[string]time.Duration{"CityAMSP/peer": time.Hour})
	c.verified(t, c.bundle(t, c.cert)) // every record so far was endorsed before the revocation
	c.l.Clock = c.l.Clock.Add(2 * time.Hour)
	c.terminate(t, c.scenario, "吊销后的背书")
	r := proof.Verify(c.bundle(t, c.cert), c.l.Trust())
	var sb strings.Builder
	r.Print(&sb)
	if r.OK || r.Derived != nil || !strings.Contains(sb.String(), "was revoked by CityAMSP's CA") {
		t.Fatalf("a record endorsed after its endorser's revocation:\n%s", sb.String())
	}
}
