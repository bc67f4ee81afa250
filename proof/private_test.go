package proof_test

import (
	"encoding/json"
	"strings"
	"testing"

	"dataledger/certs"
	"dataledger/chaincode/domain"
	"dataledger/proof"
	"dataledger/proof/prooftest"
)

// keyHolder is a peer read by a collection member: it answers private parts.
type keyHolder struct {
	*prooftest.Peer
	private map[string][]byte
}

func (k keyHolder) PrivatePart(channel, recordType, number string) ([]byte, error) {
	key, _ := domain.CompositeKey(recordType, number)
	return k.private[key], nil
}

// Record is the record as the peer holds it or, with no public view,
// as a member reads it: its private part's.
func (k keyHolder) Record(channel, recordType, number string) ([]byte, error) {
	v, err := k.Peer.Record(channel, recordType, number)
	key, _ := domain.CompositeKey(recordType, number)
	if sealed, ok := k.private[key]; err != nil && ok {
		var s domain.Sealed
		err = json.Unmarshal(sealed, &s)
		v = s.Record
	}
	return v, err
}

// A record with no public view (a credit record) is proven by a key
// holder's bundle through its private part alone: the block keeps only
// its hash. No public bundle of it exists; a changed private part, a
// public value shown, a private part of another record fail.
func TestARecordWithNoPublicViewIsProvenByItsPrivatePart(t *testing.T) {
	c := newChain(t)
	n := number(t, domain.PrefixCredit)
	var held map[string][]byte
	c.commit(t, "authority", "RecordCreditRecord", func(tx *prooftest.Tx) any {
		ch := tx.Change("record", "")
		r := domain.CreditRecord{CreditInput: domain.CreditInput{Number: n, PartyCreditCode: "91450100MA5XXXXX0A", Finding: "违规处理个人信息"},
			Status: domain.CreditRecorded, Last: ch, Version: 1}
		rec, _ := json.Marshal(r)
		sealed, _ := json.Marshal(domain.Sealed{Salt: strings.Repeat("ab", 32), Record: rec})
		if err := tx.PutPrivate(domain.TypeCredit, n, sealed); err != nil {
			t.Fatal(err)
		}
		held = tx.Private
		return nil
	})
	kind, _, _ := proof.KindOf(n)
	if _, err := proof.Build(c.l.Peer(), c.l.Channel, "dataledger", kind, n); err == nil {
		t.Fatal("a public bundle of a record with no public view")
	}
	b, err := proof.Build(keyHolder{c.l.Peer(), held}, c.l.Channel, "dataledger", kind, n)
	if err != nil {
		t.Fatal(err)
	}
	r := proof.Verify(b, c.l.Trust())
	onlyPrivate := false
	for _, ch := range r.Checks {
		onlyPrivate = onlyPrivate || ch.Name == "record.write" && strings.Contains(ch.Detail, "to collection private only")
	}
	if !r.OK || b.Record.Value != nil || !onlyPrivate {
		var sb strings.Builder
		r.Print(&sb)
		t.Fatalf("the key holder's bundle:\n%s", sb.String())
	}
	for name, edit := range map[string]func(x *proof.Bundle){
		"another finding": func(x *proof.Bundle) {
			x.Private.Value = []byte(strings.Replace(string(x.Private.Value), "违规处理个人信息", "无", 1))
		},
		"a public value shown": func(x *proof.Bundle) { x.Record.Value = json.RawMessage(`{"number":"` + n + `"}`) },
		"no private part":      func(x *proof.Bundle) { x.Private = nil },
	} {
		x := prooftest.Clone(b)
		edit(x)
		if r := proof.Verify(x, c.l.Trust()); r.OK || r.Failed("record.write") == nil {
			t.Fatalf("%s: verifies (%+v)", name, r.Failed("record.write"))
		}
	}
}

// A key holder's bundle of an objection carries its private part, which
// the record's block proves by the hashes it keeps; a public bundle has
// none; a private part that is not the one written, or that is not the
// public record's whole, fails.
func TestAPrivatePartIsProvenByItsBlocksHash(t *testing.T) {
	c := newChain(t)
	n := number(t, domain.PrefixObjection)
	salt := strings.Repeat("ab", 32)
	var sealed []byte
	var held map[string][]byte
	c.commit(t, "operator", "DecideObjection", func(tx *prooftest.Tx) any {
		ch := tx.Change("decide", "objection "+n+": dismissed")
		o := domain.Objection{ObjectionInput: domain.ObjectionInput{Number: n, TargetKind: "certificate", Target: c.cert,
			EvidenceDigest: certs.SM3Hex([]byte("e")), Summary: "异议人称含其个人数据"}, Status: domain.ObjectionDecided,
			Decision: &domain.ObjectionDecision{Outcome: domain.OutcomeDismissed, Reasons: "数据来源合规"}, Decided: &ch, Last: ch, Version: 2}
		rec, _ := json.Marshal(o)
		sealed, _ = json.Marshal(domain.Sealed{Salt: salt, Record: rec})
		if err := tx.PutPrivate(domain.TypeObjection, n, sealed); err != nil {
			t.Fatal(err)
		}
		held = tx.Private
		return put(t, tx, domain.TypeObjection, n, o.Public())
	})
	kind, _, _ := proof.KindOf(n)
	public, err := proof.Build(c.l.Peer(), c.l.Channel, "dataledger", kind, n)
	if err != nil {
		t.Fatal(err)
	}
	if public.Private != nil || strings.Contains(string(public.Record.Value), "个人数据") {
		t.Fatal("a public bundle carries the private part")
	}
	b, err := proof.Build(keyHolder{c.l.Peer(), held}, c.l.Channel, "dataledger", kind, n)
	if err != nil {
		t.Fatal(err)
	}
	r := proof.Verify(b, c.l.Trust())
	if !r.OK || b.Private == nil || r.Failed("record.private") != nil || len(r.Checks) <= len(proof.Verify(public, c.l.Trust()).Checks) {
		var sb strings.Builder
		r.Print(&sb)
		t.Fatalf("the key holder's bundle:\n%s", sb.String())
	}
	reseal := func(edit func(map[string]any), salt string) []byte {
		var s domain.Sealed
		_ = json.Unmarshal(sealed, &s)
		var m map[string]any
		_ = json.Unmarshal(s.Record, &m)
		edit(m)
		s.Record, _ = json.Marshal(m)
		s.Salt = salt
		out, _ := json.Marshal(s)
		return out
	}
	for name, tc := range map[string]struct {
		value  []byte
		reason string
	}{
		"another summary":    {reseal(func(m map[string]any) { m["summary"] = "无" }, salt), "its hash differs"},
		"the same, resealed": {reseal(func(map[string]any) {}, strings.Repeat("cd", 32)), "its hash differs"},
		"an unsalted record": {[]byte(`{"number":"` + n + `"}`), "its hash differs"},
		"nothing":            {nil, "its hash differs"},
	} {
		x := prooftest.Clone(b)
		x.Private.Value = tc.value
		r := proof.Verify(x, c.l.Trust())
		if f := r.Failed("record.private"); r.OK || f == nil || !strings.Contains(f.Detail, tc.reason) {
			t.Fatalf("%s: %+v", name, f)
		}
	}
	// A private part whose hash the block keeps, but whose record is not
	// the public one's whole (a collection member wrote it so): refused.
	other := reseal(func(m map[string]any) { m["status"] = "open" }, salt)
	c2 := newChain(t)
	c2.commit(t, "operator", "DecideObjection", func(tx *prooftest.Tx) any {
		_ = tx.PutPrivate(domain.TypeObjection, n, other)
		held = tx.Private
		var s domain.Sealed
		_ = json.Unmarshal(sealed, &s)
		var o domain.Objection
		_ = json.Unmarshal(s.Record, &o)
		o.Decided.TxID, o.Last.TxID = tx.ID, tx.ID
		return put(t, tx, domain.TypeObjection, n, o.Public())
	})
	b2, err := proof.Build(keyHolder{c2.l.Peer(), held}, c2.l.Channel, "dataledger", kind, n)
	if err != nil {
		t.Fatal(err)
	}
	if r := proof.Verify(b2, c2.l.Trust()); r.OK || r.Failed("record.private") == nil || !strings.Contains(r.Failed("record.private").Detail, "public field differs") {
		t.Fatalf("a private record that is not the public one's whole: %+v", r.Failed("record.private"))
	}
}

// A public view that omits a list (an obligation's steps, which carry
// reasons: null in its JSON) is the whole record's still: a member's
// bundle of a public kind's obligation verifies.
func TestAPublicViewWithoutItsStepsIsTheWholeRecords(t *testing.T) {
	c := newChain(t)
	n := number(t, domain.PrefixObligation)
	var held map[string][]byte
	c.commit(t, "authority", "DecideObligation", func(tx *prooftest.Tx) any {
		ch := tx.Change("return", "未附收费依据")
		o := domain.Obligation{ObligationInput: domain.ObligationInput{Number: n, Kind: "fee_schedule", PartyCreditCode: "91450100MA5XXXXX0A", Note: "请报送收费标准"},
			Title: "收费标准", Disclosed: true, Status: domain.ObligationReturned, Filings: 1,
			Steps: []domain.Step{{Step: "decide", Decision: domain.ObligationReturned, Reasons: "未附收费依据"}}, Last: ch, Version: 3}
		rec, _ := json.Marshal(o)
		sealed, _ := json.Marshal(domain.Sealed{Salt: strings.Repeat("ab", 32), Record: rec})
		if err := tx.PutPrivate(domain.TypeObligation, n, sealed); err != nil {
			t.Fatal(err)
		}
		held = tx.Private
		return put(t, tx, domain.TypeObligation, n, o.Public())
	})
	kind, _, _ := proof.KindOf(n)
	b, err := proof.Build(keyHolder{c.l.Peer(), held}, c.l.Channel, "dataledger", kind, n)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b.Record.Value), "未附收费依据") || !strings.Contains(string(b.Record.Value), `"steps":null`) {
		t.Fatalf("the public view: %s", b.Record.Value)
	}
	if r := proof.Verify(b, c.l.Trust()); !r.OK {
		var sb strings.Builder
		r.Print(&sb)
		t.Fatalf("the member's bundle of a public kind's obligation:\n%s", sb.String())
	}
}
