package domain

import (
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"testing"
)

func partyRecords(n int) map[string][]byte {
	out := map[string][]byte{}
	for i := 0; i < n; i++ {
		body := fmt.Sprintf("91450100%09d", i)
		c, _ := CreditCodeCheckChar(body)
		code := body + string(c)
		out[code] = []byte(fmt.Sprintf(`{"creditCode":%q,"status":"active","version":1}`, code))
	}
	return out
}

func TestPartyProofsFoldToTheirBucketsRoot(t *testing.T) {
	recs := partyRecords(300)
	tree := NewRegistryTree(PartyBucketBits, recs)
	used := map[int]bool{}
	for code, rec := range recs {
		b := RegistryBucket(code)
		used[b] = true
		got, err := tree.Prove(code).CheckIn(PartyBucketBits, code, tree.Root(b))
		if err != nil || string(got) != string(rec) {
			t.Fatalf("%s: %q, %v", code, got, err)
		}
	}
	if len(used) < PartyBuckets/2 {
		t.Fatalf("300 codes fell in %d buckets of %d", len(used), PartyBuckets)
	}
	// An unregistered code proves absent.
	absent := "91450100999999999" + func() string { c, _ := CreditCodeCheckChar("91450100999999999"); return string(c) }()
	got, err := tree.Prove(absent).CheckIn(PartyBucketBits, absent, tree.Root(RegistryBucket(absent)))
	if err != nil || got != nil {
		t.Fatalf("absent: %q, %v", got, err)
	}
}

func TestPartyRootWithIsTheTreeAfterTheChange(t *testing.T) {
	recs := partyRecords(120)
	tree := NewRegistryTree(PartyBucketBits, recs)
	var some string
	for code := range recs {
		some = code
		break
	}
	// An update: the new root is the root of the registry rebuilt.
	p := tree.Prove(some)
	changed := []byte(`{"status":"suspended"}`)
	root, err := p.RootWithIn(PartyBucketBits, some, changed)
	if err != nil {
		t.Fatal(err)
	}
	recs[some] = changed
	if want := NewRegistryTree(PartyBucketBits, recs).Root(RegistryBucket(some)); root != want {
		t.Fatalf("update: %s, rebuilt %s", root, want)
	}
	// A registration into a bucket, from the proof of absence.
	fresh := "91450100888888888" + func() string { c, _ := CreditCodeCheckChar("91450100888888888"); return string(c) }()
	tree = NewRegistryTree(PartyBucketBits, recs)
	p = tree.Prove(fresh)
	if _, err := p.CheckIn(PartyBucketBits, fresh, tree.Root(RegistryBucket(fresh))); err != nil {
		t.Fatal(err)
	}
	root, _ = p.RootWithIn(PartyBucketBits, fresh, []byte(`{}`))
	recs[fresh] = []byte(`{}`)
	if want := NewRegistryTree(PartyBucketBits, recs).Root(RegistryBucket(fresh)); root != want {
		t.Fatalf("insert: %s, rebuilt %s", root, want)
	}
	// The first party of an empty registry.
	empty := NewRegistryTree(PartyBucketBits, nil)
	root, _ = empty.Prove(fresh).RootWithIn(PartyBucketBits, fresh, []byte(`{}`))
	if want := NewRegistryTree(PartyBucketBits, map[string][]byte{fresh: []byte(`{}`)}).Root(RegistryBucket(fresh)); root != want || empty.Root(RegistryBucket(fresh)) != (PartyRoot{}) {
		t.Fatalf("first: %s, want %s", root, want)
	}
}

// A registry grown one party at a time: each registration's proof of
// absence (an empty bucket, an empty subtree, or another party's leaf
// where the new one's path parts from it) checks against the root, and
// the root it leads to is the root of the registry rebuilt; each party
// then proves present, and a proof of absence of a registered party
// made from a neighbour's leaf is refused.
func TestPartyRootsGrowOneRegistrationAtATime(t *testing.T) {
	t.Run("registry", func(t *testing.T) { growOneAtATime(t, PartyBucketBits) })
	t.Run("products", func(t *testing.T) { growOneAtATime(t, ProductBucketBits) })
	t.Run("facts", func(t *testing.T) { growOneAtATime(t, 0) })
}

func growOneAtATime(t *testing.T, bits int) {
	all := partyRecords(600)
	recs := map[string][]byte{}
	forms := map[string]int{}
	for code, rec := range all {
		tree := newTree(bits, recs)
		b := bucketOf(partyPath(code), bits)
		p := tree.Prove(code)
		switch {
		case p.Other != nil:
			forms["beside another leaf"]++
		case len(p.Siblings) == 0:
			forms["empty bucket"]++
		default:
			forms["empty subtree"]++
		}
		if got, err := p.check(bits, code, tree.Root(b)); err != nil || got != nil {
			t.Fatalf("absence of %s: %q, %v", code, got, err)
		}
		root, err := p.rootWith(bits, code, rec)
		if err != nil {
			t.Fatal(err)
		}
		recs[code] = rec
		if want := newTree(bits, recs).Root(b); root != want {
			t.Fatalf("registering %s (%+v): root %s, rebuilt %s", code, p, root, want)
		}
	}
	if forms["beside another leaf"] == 0 || forms["empty bucket"] == 0 || forms["empty subtree"] == 0 && bits > 0 {
		t.Fatalf("the registrations did not meet every form of absence: %v", forms)
	}
	tree := newTree(bits, recs)
	depth := 0
	for code, rec := range recs {
		p := tree.Prove(code)
		depth = max(depth, len(p.Siblings))
		if got, err := p.check(bits, code, tree.Root(bucketOf(partyPath(code), bits))); err != nil || string(got) != string(rec) {
			t.Fatalf("%s: %v", code, err)
		}
		// Absent, by a neighbour's leaf put where the party's is.
		forged := p
		forged.Party = json.RawMessage("null")
		forged.Other = &PartyLeaf{Path: fmt.Sprintf("%x", partyPath(code)), Record: fmt.Sprintf("%x", sha256Sum(rec))}
		if _, err := forged.check(bits, code, tree.Root(bucketOf(partyPath(code), bits))); err == nil {
			t.Fatalf("%s proved absent by its own leaf", code)
		}
	}
	t.Logf("600 parties: forms of absence met %v; deepest proof %d siblings", forms, depth)
}

func TestPartyProofRefusesWhatTheRootDoesNotHold(t *testing.T) {
	recs := partyRecords(400)
	tree := NewRegistryTree(PartyBucketBits, recs)
	var code, other string
	for c := range recs {
		if code == "" && len(tree.Prove(c).Siblings) >= 2 {
			code = c
		}
	}
	for c := range recs {
		if c != code && RegistryBucket(c) == RegistryBucket(code) {
			other = c
		}
	}
	root := tree.Root(RegistryBucket(code))
	good := tree.Prove(code)
	cases := map[string]func(p PartyProof) (PartyProof, string){
		"a record changed (status)": func(p PartyProof) (PartyProof, string) {
			p.Party = json.RawMessage(`{"creditCode":"` + code + `","status":"suspended","version":1}`)
			return p, code
		},
		"said absent":          func(p PartyProof) (PartyProof, string) { p.Party = json.RawMessage("null"); return p, code },
		"another code's proof": func(p PartyProof) (PartyProof, string) { return p, other },
		"a sibling left out": func(p PartyProof) (PartyProof, string) {
			p.Siblings = p.Siblings[1:]
			return p, code
		},
		"siblings out of order": func(p PartyProof) (PartyProof, string) {
			p.Siblings = append([]PartySibling{}, p.Siblings...)
			p.Siblings[0], p.Siblings[len(p.Siblings)-1] = p.Siblings[len(p.Siblings)-1], p.Siblings[0]
			return p, code
		},
		"an empty sibling spelled out": func(p PartyProof) (PartyProof, string) {
			p.Siblings = append([]PartySibling{{Depth: 256, Hash: fmt.Sprintf("%064d", 0)}}, p.Siblings...)
			return p, code
		},
		"a sibling not hex": func(p PartyProof) (PartyProof, string) {
			p.Siblings = append([]PartySibling{}, p.Siblings...)
			p.Siblings[0].Hash = "zz"
			return p, code
		},
	}
	if other == "" || len(good.Siblings) < 2 {
		t.Fatalf("fixture: other %q, %d siblings", other, len(good.Siblings))
	}
	for name, bend := range cases {
		p, c := bend(good)
		if _, err := p.CheckIn(PartyBucketBits, c, root); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestPartiesNamedReadsTheArgumentsOfEachTransaction(t *testing.T) {
	recs := partyRecords(3)
	var codes []string
	for c := range recs {
		codes = append(codes, c)
	}
	js := func(v any) string { b, _ := json.Marshal(v); return string(b) }
	reg := SequenceNumber(PrefixRegistration, "450100", 2026, 7).String()
	agreement := SequenceNumber(PrefixAgreement, "450100", 2026, 7).String()
	if RegistryKind(reg) != TypeCertificate || RegistryKind(codes[0]) != TypeParty || RegistryKind(agreement) != "" {
		t.Fatalf("registry kinds: %q %q", RegistryKind(reg), RegistryKind(codes[0]))
	}
	cases := []struct {
		fn   string
		args []string
		want []string
	}{
		{"RegisterParty", []string{js(PartyInput{CreditCode: codes[0]})}, codes[:1]},
		{"ChangePartyStatus", []string{codes[1], "suspend", "why"}, codes[1:2]},
		{"Apply", []string{js(ApplicationInput{ApplicantCreditCode: codes[0], DataProviders: []string{codes[1], codes[0], "not a code", codes[2]}})}, codes},
		{"RecordAgreement", []string{js(AgreementInput{GrantorCreditCode: codes[2], GranteeCreditCode: codes[1]})}, []string{codes[2], codes[1]}},
		{"RecordEvaluation", []string{js(EvaluationInput{PartyCreditCode: codes[0]})}, codes[:1]},
		{"RecordCreditRecord", []string{js(CreditInput{PartyCreditCode: codes[0]})}, codes[:1]},
		{"OpenObligation", []string{js(ObligationInput{PartyCreditCode: codes[0]})}, codes[:1]},
		{"OpenObligation", []string{"{not json"}, nil},
		// Registered products, by registration number.
		{"Apply", []string{js(ApplicationInput{ApplicantCreditCode: codes[0], RedevelopedFrom: []string{reg, "DJ-not-a-number", reg}})}, []string{codes[0], reg}},
		{"OpenObligation", []string{js(ObligationInput{PartyCreditCode: codes[0], Subject: reg})}, []string{codes[0], reg}},
		{"OpenObligation", []string{js(ObligationInput{PartyCreditCode: codes[0], Subject: agreement})}, codes[:1]},
		{"RegisterCertificate", []string{js(Certificate{RegistrationNumber: reg, EnterpriseCreditCode: codes[1]}), ""}, []string{reg}},
		{"IssueCredential", []string{codes[0]}, nil},
	}
	for _, c := range cases {
		if got, _ := PartiesNamed(c.fn, c.args, nil); fmt.Sprint(got) != fmt.Sprint(c.want) {
			t.Errorf("%s: %v, want %v", c.fn, got, c.want)
		}
	}
}

// The cost of a proof: the registry's tree made and one code proven
// (what ProveParties does on the peer), against checking a proof (what
// every endorser of a private transaction does).
func BenchmarkPartyProof(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		recs := partyRecords(n)
		var code string
		for c := range recs {
			code = c
			break
		}
		b.Run(fmt.Sprintf("prove/%d", n), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				NewRegistryTree(PartyBucketBits, recs).Prove(code)
			}
		})
		tree := NewRegistryTree(PartyBucketBits, recs)
		p, root := tree.Prove(code), tree.Root(RegistryBucket(code))
		b.Run(fmt.Sprintf("check/%d", n), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				if _, err := p.CheckIn(PartyBucketBits, code, root); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func sha256Sum(b []byte) [32]byte { return sha256.Sum256(b) }
