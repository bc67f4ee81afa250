package proof_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"dataledger/chaincode/domain"
	"dataledger/proof"
)

// presentation is c's credential and certificate presented by their
// enterprise, signed by CityAMSP's witness.
func presentation(t *testing.T, c *chain) *proof.Presentation {
	t.Helper()
	creator, s, err := c.l.Signer("CityAMSP", "witness")
	if err != nil {
		t.Fatal(err)
	}
	p, err := proof.Present(c.enterprise, "某银行", []*proof.Bundle{c.bundle(t, c.credential), c.bundle(t, c.cert)}, c.l.Trust(), creator, s, c.l.Clock)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func sign(t *testing.T, c *chain, p *proof.Presentation, msp, ou string) {
	t.Helper()
	creator, s, err := c.l.Signer(msp, ou)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Sign(creator, s, c.l.Clock); err != nil {
		t.Fatal(err)
	}
}

// refusedFor verifies p and wants it invalid with a failed check named
// name (in the item numbered number, "" for the presentation's own) whose
// detail holds want.
func refusedFor(t *testing.T, p *proof.Presentation, c *chain, number, name, want string) {
	t.Helper()
	r := proof.VerifyPresentation(p, c.l.Trust())
	if r.OK {
		t.Fatalf("a presentation with %s %s tampered verifies", number, name)
	}
	checks := r.Checks
	for _, it := range r.Items {
		if it.Number == number {
			checks = it.Checks
		}
	}
	for _, ch := range checks {
		if ch.Name == name && !ch.OK && strings.Contains(ch.Detail, want) {
			return
		}
	}
	t.Fatalf("%s %s: want a failed %q check saying %q, got %+v", number, name, name, want, checks)
}

// TestPresentationsVerifyAndNameWhatWasTampered: an enterprise's
// credential and certificate, presented and signed by CityAMSP's witness,
// verify offline with the trust file, after a JSON round trip; each
// tampering fails with the item and the check named, also when the
// tamperer signs again with a key of its own org that is not the witness.
func TestPresentationsVerifyAndNameWhatWasTampered(t *testing.T) {
	c := newChain(t)
	p := presentation(t, c)
	raw, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	if !proof.IsPresentation(raw) {
		t.Fatal("a presentation is not recognised")
	}
	back, err := proof.ParsePresentation(raw)
	if err != nil {
		t.Fatal(err)
	}
	r := proof.VerifyPresentation(back, c.l.Trust())
	if !r.OK || r.SignedBy != "CityAMSP" || len(r.Items) != 2 || r.Items[0].Status != domain.VerifyValid {
		t.Fatalf("a genuine presentation: %+v", r)
	}
	// The counterparty's own freshness rule.
	fresh := proof.VerifyPresentation(back, c.l.Trust())
	if fresh.NotOlderThan(time.Hour, c.l.Clock.Add(time.Minute)); !fresh.OK {
		t.Errorf("a minute-old presentation under a one-hour rule: %+v", fresh.Checks)
	}
	stale := proof.VerifyPresentation(back, c.l.Trust())
	if stale.NotOlderThan(time.Hour, c.l.Clock.Add(2*time.Hour)); stale.OK || stale.Checks[len(stale.Checks)-1].Name != "age" {
		t.Errorf("a two-hour-old presentation under a one-hour rule: %+v", stale.Checks)
	}
	var sb strings.Builder
	r.Print(&sb)
	if !strings.Contains(sb.String(), "VALID presentation of "+c.enterprise) {
		t.Errorf("the report does not say it holds:\n%s", sb.String())
	}

	edited := func(edit func(p *proof.Presentation)) *proof.Presentation {
		q := presentation(t, c)
		edit(q)
		return q
	}
	// Any edit breaks the witness's signature.
	refusedFor(t, edited(func(q *proof.Presentation) { q.Items[0].Status = domain.VerifySuspended }), c, "", "signature", "does not verify")
	// Signed again by the witness (a gateway that lies): each check names it.
	resigned := func(edit func(p *proof.Presentation)) *proof.Presentation {
		return edited(func(q *proof.Presentation) { edit(q); sign(t, c, q, "CityAMSP", "witness") })
	}
	refusedFor(t, resigned(func(q *proof.Presentation) { q.Items[0].Status = domain.VerifySuspended }), c, c.credential, "status", `the bundle's records give "valid"`)
	refusedFor(t, resigned(func(q *proof.Presentation) { q.Items[1].Height++ }), c, c.cert, "height", "the bundle's newest block")
	other := "91450100MA5L0001AX"
	if ch, ok := domain.CreditCodeCheckChar(other[:17]); ok {
		other = other[:17] + string(ch)
	}
	refusedFor(t, resigned(func(q *proof.Presentation) { q.Holder = other }), c, c.credential, "holder", "not by the presenting enterprise")
	refusedFor(t, resigned(func(q *proof.Presentation) { q.Items[0].Bundle = q.Items[1].Bundle }), c, c.credential, "item", "the bundle proves certificate")
	refusedFor(t, resigned(func(q *proof.Presentation) { q.Items[1] = q.Items[0] }), c, c.credential, "item", "presented twice")
	refusedFor(t, resigned(func(q *proof.Presentation) {
		q.Items[1].Bundle = []byte(strings.Replace(string(q.Items[1].Bundle), `"txId":"`, `"txId":"0`, 1))
	}), c, c.cert, "bundle", "does not verify")
	refusedFor(t, resigned(func(q *proof.Presentation) { q.Items = nil }), c, "", "items", "holds no item")
	// Present refuses to sign as anyone but a witness of every item's
	// channel's application organizations.
	creator, peerSign, err := c.l.Signer("CityAMSP", "peer")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := proof.Present(c.enterprise, "", []*proof.Bundle{c.bundle(t, c.credential)}, c.l.Trust(), creator, peerSign, c.l.Clock); !errors.Is(err, proof.ErrSigner) {
		t.Errorf("a presentation signed by a peer: %v, want %v", err, proof.ErrSigner)
	}
	// Only the witness identity counts: a client or a peer of the org, or
	// no signature at all.
	for _, ou := range []string{"client", "peer"} {
		refusedFor(t, edited(func(q *proof.Presentation) { sign(t, c, q, "CityAMSP", ou) }), c, "", "signature", "witness identity")
	}
	refusedFor(t, edited(func(q *proof.Presentation) { q.Signature = nil }), c, "", "signature", "not signed")
	// Whom it was made for is signed; so is when.
	refusedFor(t, edited(func(q *proof.Presentation) { q.Audience = "另一家银行" }), c, "", "signature", "does not verify")
	refusedFor(t, resigned(func(q *proof.Presentation) { q.Created = "2020-01-01T00:00:00Z" }), c, "", "signature", "a presentation is signed when it is made")
	refusedFor(t, edited(func(q *proof.Presentation) {
		creator, s, _ := c.l.Signer("CityAMSP", "witness")
		early := c.l.Clock.Add(-24 * time.Hour)
		q.Created = early.UTC().Format(time.RFC3339)
		if err := q.Sign(creator, s, early); err != nil {
			t.Fatal(err)
		}
	}), c, "", "signature", "before an item's status")
	refusedFor(t, resigned(func(q *proof.Presentation) { q.Audience = strings.Repeat("行", proof.MaxAudience+1) }), c, "", "audience", "at most")
	// Without the trust file nothing is pinned: anyone's network of the
	// same names would verify, so the presentation does not.
	if r := proof.VerifyPresentation(p, nil); r.OK || r.Checks[0].Name != "trust" || r.Checks[0].OK {
		t.Errorf("an unpinned presentation: %+v", r.Checks)
	}
	// Unknown members are refused when read.
	if _, err := proof.ParsePresentation([]byte(strings.Replace(string(raw), `"holder"`, `"extra":1,"holder"`, 1))); err == nil {
		t.Error("a presentation with an unknown member parses")
	}
}
