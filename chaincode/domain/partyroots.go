package domain

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
)

// The party registry's roots (docs/PRIVACY.md, "Whom a private
// transaction concerns"). A transaction keeps in its block the key of
// every world-state record it reads, so a private transaction that read
// its party's record (an applicant, the party of an evaluation or a credit
// record) would name the party in clear. Instead the registry is committed
// to by roots of sparse Merkle trees, one per bucket of credit codes, which
// RegisterParty and ChangePartyStatus keep (they name the party anyway). A
// private transaction reads every bucket's root, so its read set tells
// nothing of which party it concerns, and checks the party's record
// against its root with a proof the client sends in the transient map.
//
// A code's path is SHA-256 of the code; its first PartyBucketBits bits
// choose the bucket, whose root is the node at depth PartyBucketBits of a
// compact binary tree: an empty subtree is 32 zero bytes, a subtree that
// holds one party is that party's leaf, SHA-256(0x00 ‖ path ‖
// SHA-256(record)) with record the party's bytes as the world state holds
// them, and any other is SHA-256(0x01 ‖ left ‖ right). A leaf thus sits
// just below the depth where its path parts from every other's, and a
// proof has as many siblings as the bucket's tree is deep there (about
// log2 of its parties), not 250. Buckets let registrations of parties in
// different buckets commit in one block: each writes its own root.
//
// A second registry of the same shape, with its own roots (256 of them,
// ProductBucketBits: a registration moves one, and two registrations in
// one bucket commit one per block), holds each
// registered certificate's entry (CertificateEntry: its number and its
// enterprise, which never change) under its registration number, which
// RegisterCertificate adds: an application that re-develops registered
// products (redevelopedFrom, a private field) and an order whose subject
// is a certificate check it by proof, so that no read set links a private
// record to a product. Its own roots keep a registration from moving the
// roots every other private transaction reads.

// PartyBucketBits is the number of a path's bits that choose its bucket.
const PartyBucketBits = 6

// PartyBuckets is the number of buckets, hence of roots.
const PartyBuckets = 1 << PartyBucketBits

// TypePartyRoot keys a bucket's root in the world state (hex).
const TypePartyRoot = "partyRoot"

// TypePartyInBucket keys each party's record again under its bucket
// (bucket, credit code), so that a proof reads its bucket's parties
// only, not the whole registry.
const TypePartyInBucket = "partyRoot~party"

// ProductBucketBits is the number of a path's bits that choose a
// registered product's bucket; ProductBuckets the number of its roots.
const (
	ProductBucketBits = 8
	ProductBuckets    = 1 << ProductBucketBits
)

// RegistryBucketBits is the bucket bits of the registry of kind
// (RegistryKind): the parties' or the registered products'.
func RegistryBucketBits(kind string) int {
	if kind == TypeCertificate {
		return ProductBucketBits
	}
	return PartyBucketBits
}

// RegistryBucket is the bucket of id in its registry.
func RegistryBucket(id string) int { return BucketOf(id, RegistryBucketBits(RegistryKind(id))) }

// BucketOf is id's bucket among 2^bits (bits ≤ 8).
func BucketOf(id string, bits int) int { return bucketOf(partyPath(id), bits) }

// TypeProductRoot and TypeProductInBucket are the same for the registered
// products (CertificateEntry, by registration number).
const (
	TypeProductRoot     = "productRoot"
	TypeProductInBucket = "productRoot~certificate"
)

// TransientParty is the transient map entry with the proof of a party
// (by credit code) or a registered product (by registration number) the
// transaction names (a PartyProof in JSON).
func TransientParty(code string) string { return "party:" + code }

// Rule codes of the registry's roots.
const (
	// RulePartyProof: a transaction that names a party carries the
	// party's record and its proof against the registry's root.
	RulePartyProof = "DL-PARTY-PROOF"
	// RulePartyStale: the proof does not hold against the root (the
	// registry moved since it was made, or it was bent): nothing is
	// written, and a client asks for proofs again.
	RulePartyStale = "DL-PARTY-STALE"
)

// MaxPartiesNamed bounds the proofs a transaction may carry (an
// application's applicant, its 50 data providers and the 50 registered
// products it re-develops).
const MaxPartiesNamed = 101

// CertificateEntry is a registered certificate as the registry's trees
// hold it, with the field names of its record: what an application that
// re-develops it (GX 7(8), GD 25) and an order about it check.
type CertificateEntry struct {
	Number               string `json:"number"`
	EnterpriseCreditCode string `json:"enterpriseCreditCode"`
}

// Entry is the certificate's entry in the registry's trees.
func (r *CertificateRecord) Entry() CertificateEntry {
	return CertificateEntry{Number: r.Number, EnterpriseCreditCode: r.EnterpriseCreditCode}
}

// RegistryKind is the record type of the registry that holds id: TypeParty
// for a credit code, TypeCertificate for a registration number (the two
// never collide: a code has 18 characters and no hyphen), "" for neither.
func RegistryKind(id string) string {
	if ValidateCreditCode("id", id) == nil {
		return TypeParty
	}
	if _, err := ParseNumber("id", id, PrefixRegistration); err == nil {
		return TypeCertificate
	}
	return ""
}

// RegistryID checks that a registry holds things under id (RegistryKind).
func RegistryID(field, id string) error {
	if RegistryKind(id) == "" {
		return Invalid(RulePartyProof, field, "%q is neither a credit code nor a registration number", truncate(id, 40))
	}
	return nil
}

// PartyRoot is a bucket's root; the zero value is an empty bucket.
type PartyRoot [32]byte

func (r PartyRoot) String() string { return hex.EncodeToString(r[:]) }

// ParsePartyRoot reads a root as the world state holds it (nil: empty).
func ParsePartyRoot(b []byte) (PartyRoot, error) {
	var r PartyRoot
	if b == nil {
		return r, nil
	}
	if len(b) != 64 {
		return r, fmt.Errorf("a party root is 64 hex characters, not %d", len(b))
	}
	_, err := hex.Decode(r[:], b)
	return r, err
}

// PartyBucketName is a bucket's attribute in its root's key (two hex
// digits, as many as 256 buckets need).
func PartyBucketName(b int) string { return fmt.Sprintf("%02x", b) }

func bucketOf(path [32]byte, bits int) int {
	if bits == 0 {
		return 0
	}
	return int(path[0] >> (8 - bits))
}

func partyPath(code string) [32]byte { return sha256.Sum256([]byte(code)) }

func pathBit(path [32]byte, i int) byte { return (path[i/8] >> (7 - i%8)) & 1 }

// PartyProof is a party's record (a certificate's entry), as the world
// state holds it (null when nothing is registered under the id), with the siblings of the nodes on its
// path, deepest first, only those that are not empty. The deepest
// sibling's depth is where the path's subtree holds the party alone, or
// no party, or (Other) one other party, whose path parts from the code's
// below it: a proof of absence.
type PartyProof struct {
	Party    json.RawMessage `json:"party"`
	Siblings []PartySibling  `json:"siblings,omitempty"`
	Other    *PartyLeaf      `json:"other,omitempty"`
}

// PartySibling is the sibling of the path's node at Depth
// (PartyBucketBits < Depth ≤ 256), in hex.
type PartySibling struct {
	Depth int    `json:"depth"`
	Hash  string `json:"hash"`
}

// PartyLeaf is another party's leaf, by its path and its record's
// SHA-256 (hex).
type PartyLeaf struct {
	Path   string `json:"path"`
	Record string `json:"record"`
}

// record is the proof's party record; nil when it says none.
func (p PartyProof) record() []byte {
	if len(p.Party) == 0 || bytes.Equal(p.Party, []byte("null")) {
		return nil
	}
	return p.Party
}

func leafOf(path [32]byte, recordHash [32]byte) [32]byte {
	return sha256.Sum256(append(append([]byte{0}, path[:]...), recordHash[:]...))
}

func partyLeaf(path [32]byte, record []byte) [32]byte {
	if record == nil {
		return [32]byte{}
	}
	return leafOf(path, sha256.Sum256(record))
}

func partyNode(l, r [32]byte) [32]byte {
	b := make([]byte, 0, 65)
	b = append(append(append(b, 1), l[:]...), r[:]...)
	return sha256.Sum256(b)
}

func hex32(field, s string) ([32]byte, error) {
	var h [32]byte
	raw, err := hex.DecodeString(s)
	if err != nil || len(raw) != 32 {
		return h, fmt.Errorf("%s: not 32 bytes in hex", field)
	}
	copy(h[:], raw)
	return h, nil
}

// siblings checks the proof's siblings (deepest first, each depth once,
// below the bucket's root at depth bits, none empty) and answers them by
// depth, with the depth of the path's bottom node.
func (p PartyProof) siblings(bits int) (map[int][32]byte, int, error) {
	out := map[int][32]byte{}
	bottom, last := bits, 257
	for i, s := range p.Siblings {
		if s.Depth <= bits || s.Depth >= last {
			return nil, 0, fmt.Errorf("siblings must name depths %d..%d, deepest first, each once", 256, bits+1)
		}
		h, err := hex32(fmt.Sprintf("sibling at depth %d", s.Depth), s.Hash)
		if err != nil {
			return nil, 0, err
		}
		if h == ([32]byte{}) {
			return nil, 0, fmt.Errorf("sibling at depth %d: an empty sibling is left out", s.Depth)
		}
		if i == 0 {
			bottom = s.Depth
		}
		out[s.Depth], last = h, s.Depth
	}
	return out, bottom, nil
}

// fold computes the bucket's root from the node at depth bottom on
// code's path, up through the siblings: a subtree of one leaf (or none)
// stays that leaf while its siblings are empty.
func fold(path [32]byte, h [32]byte, bottom, bits int, sibs map[int][32]byte) PartyRoot {
	single := true
	for d := bottom; d > bits; d-- {
		sib := sibs[d]
		if single && sib == ([32]byte{}) {
			continue
		}
		if pathBit(path, d-1) == 0 {
			h = partyNode(h, sib)
		} else {
			h = partyNode(sib, h)
		}
		single = false
	}
	return PartyRoot(h)
}

// bottomNode is the node the proof claims at the bottom of code's path:
// the party's leaf, another party's (with that party's path), or none.
func (p PartyProof) bottomNode(path [32]byte, bottom int, record []byte) (node, otherPath [32]byte, err error) {
	if p.Other == nil {
		return partyLeaf(path, record), otherPath, nil
	}
	if record != nil {
		return node, otherPath, fmt.Errorf("a proof with another party's leaf proves absence, and its record must be null")
	}
	if otherPath, err = hex32("other.path", p.Other.Path); err != nil {
		return node, otherPath, err
	}
	rec, err := hex32("other.record", p.Other.Record)
	if err != nil {
		return node, otherPath, err
	}
	if otherPath == path || commonBits(otherPath, path) < bottom {
		return node, otherPath, fmt.Errorf("the other leaf's path must share the code's first %d bits and part from it below", bottom)
	}
	return leafOf(otherPath, rec), otherPath, nil
}

func commonBits(a, b [32]byte) int {
	for i := 0; i < 256; i++ {
		if pathBit(a, i) != pathBit(b, i) {
			return i
		}
	}
	return 256
}

// CheckIn verifies the proof of id against its bucket's root in a registry
// of bits bucket bits (RegistryBucketBits) and returns the record it
// proves (nil: nothing is registered under id).
func (p PartyProof) CheckIn(bits int, id string, root PartyRoot) ([]byte, error) {
	return p.check(bits, id, root)
}

// CheckFacts verifies a proof of code's private facts against the facts'
// root (one tree, no buckets) and returns the facts it proves (nil: none
// recorded).
func (p PartyProof) CheckFacts(code string, root PartyRoot) ([]byte, error) {
	return p.check(0, code, root)
}

func (p PartyProof) check(bits int, code string, root PartyRoot) ([]byte, error) {
	path := partyPath(code)
	sibs, bottom, err := p.siblings(bits)
	if err != nil {
		return nil, err
	}
	node, _, err := p.bottomNode(path, bottom, p.record())
	if err != nil {
		return nil, err
	}
	if got := fold(path, node, bottom, bits, sibs); got != root {
		return nil, fmt.Errorf("it folds to root %s, and bucket %s's root is %s", got, PartyBucketName(bucketOf(path, bits)), root)
	}
	return p.record(), nil
}

// RootWithIn is the bucket's root, in a registry of bits bucket bits, once
// id's leaf holds record, the proof having been checked against the root
// before: an update of the record it proves, or a registration where it
// proves absence (beside another leaf, the two then part below it).
func (p PartyProof) RootWithIn(bits int, id string, record []byte) (PartyRoot, error) {
	return p.rootWith(bits, id, record)
}

// FactsRootWith is the facts' root once code's leaf holds record (as
// RootWithIn).
func (p PartyProof) FactsRootWith(code string, record []byte) (PartyRoot, error) {
	return p.rootWith(0, code, record)
}

func (p PartyProof) rootWith(bits int, code string, record []byte) (PartyRoot, error) {
	if record == nil {
		return PartyRoot{}, fmt.Errorf("a leaf is never removed: a party's record (or facts) is superseded")
	}
	path := partyPath(code)
	sibs, bottom, err := p.siblings(bits)
	if err != nil {
		return PartyRoot{}, err
	}
	if p.Other != nil {
		other, otherPath, err := p.bottomNode(path, bottom, nil)
		if err != nil {
			return PartyRoot{}, err
		}
		bottom = commonBits(path, otherPath) + 1 // the depth where the two leaves part
		sibs[bottom] = other
	}
	return fold(path, partyLeaf(path, record), bottom, bits, sibs), nil
}

// PartyTree is the whole registry (or the parties' facts), from which
// the queries ProveParties and ProveFacts make proofs.
type PartyTree struct {
	bits    int
	buckets [][]partyEntry // sorted by path
	records map[string][]byte
}

type partyEntry struct {
	path       [32]byte
	recordHash [32]byte
}

// NewRegistryTree builds a registry's trees, of bits bucket bits, from its
// records: credit code → the party's bytes as the world state holds them
// (registration number → the certificate's entry).
func NewRegistryTree(bits int, records map[string][]byte) *PartyTree { return newTree(bits, records) }

// NewFactsTree builds the facts' tree: credit code → the party's facts
// (PartyFacts in JSON).
func NewFactsTree(records map[string][]byte) *PartyTree { return newTree(0, records) }

func newTree(bits int, records map[string][]byte) *PartyTree {
	t := &PartyTree{bits: bits, buckets: make([][]partyEntry, 1<<bits), records: records}
	for code, rec := range records {
		path := partyPath(code)
		b := bucketOf(path, bits)
		t.buckets[b] = append(t.buckets[b], partyEntry{path, sha256.Sum256(rec)})
	}
	for b := range t.buckets {
		sort.Slice(t.buckets[b], func(i, j int) bool { return bytes.Compare(t.buckets[b][i].path[:], t.buckets[b][j].path[:]) < 0 })
	}
	return t
}

// Root is a bucket's root.
func (t *PartyTree) Root(bucket int) PartyRoot {
	return PartyRoot(subtree(t.buckets[bucket], t.bits))
}

// subtree is the hash of the node at depth over entries, all of which
// share its path so far.
func subtree(entries []partyEntry, depth int) [32]byte {
	switch len(entries) {
	case 0:
		return [32]byte{}
	case 1:
		return leafOf(entries[0].path, entries[0].recordHash)
	}
	left, right := split(entries, depth)
	return partyNode(subtree(left, depth+1), subtree(right, depth+1))
}

func split(entries []partyEntry, depth int) ([]partyEntry, []partyEntry) {
	i := sort.Search(len(entries), func(i int) bool { return pathBit(entries[i].path, depth) == 1 })
	return entries[:i], entries[i:]
}

// Prove is the proof of code: its record (or none) and its path's
// siblings.
func (t *PartyTree) Prove(code string) PartyProof {
	path := partyPath(code)
	entries := t.buckets[bucketOf(path, t.bits)]
	var sibs []PartySibling
	for d := t.bits; len(entries) > 1; d++ {
		left, right := split(entries, d)
		mine, other := left, right
		if pathBit(path, d) == 1 {
			mine, other = right, left
		}
		if h := subtree(other, d+1); h != ([32]byte{}) {
			sibs = append(sibs, PartySibling{Depth: d + 1, Hash: hex.EncodeToString(h[:])})
		}
		entries = mine
	}
	slices.Reverse(sibs)
	p := PartyProof{Party: json.RawMessage("null"), Siblings: sibs}
	if rec, ok := t.records[code]; ok {
		p.Party = json.RawMessage(rec)
	} else if len(entries) == 1 {
		p.Other = &PartyLeaf{Path: hex.EncodeToString(entries[0].path[:]), Record: hex.EncodeToString(entries[0].recordHash[:])}
	}
	return p
}

// partiesNamed tells, for each transaction that checks parties by proof,
// which credit codes its arguments name.
var partiesNamed = map[Action]func(args []string) []string{
	ActRegisterParty:     inputNames(func(in *PartyInput) []string { return []string{in.CreditCode} }),
	ActChangePartyStatus: func(a []string) []string { return argAt(a, 0) },
	ActApply: inputNames(func(in *ApplicationInput) []string {
		return slices.Concat([]string{in.ApplicantCreditCode}, in.DataProviders, in.RedevelopedFrom)
	}),
	ActRegisterCertificate: inputNames(func(d *Certificate) []string { return []string{d.RegistrationNumber} }),
	ActRecordAgreement:     inputNames(func(in *AgreementInput) []string { return []string{in.GrantorCreditCode, in.GranteeCreditCode} }),
	ActRecordEvaluation:    evaluationParty,
	ActRecordCredit:        creditParty,
	ActOpenObligation:      obligationNamed,
}

// rootsMoved are the transactions that move the roots of what they name:
// a party's registration or change of status, a certificate's
// registration.
var rootsMoved = map[Action]bool{ActRegisterParty: true, ActChangePartyStatus: true, ActRegisterCertificate: true}

// MovesRoots tells whether fn moves the roots of what it names (its
// client takes one bucket's turn at a time).
func MovesRoots(fn string) bool { return rootsMoved[Action(fn)] }

// The party an evaluation's, a credit record's and an obligation's input
// names: the one whose record and facts the transaction checks.
var (
	evaluationParty = inputNames(func(in *EvaluationInput) []string { return []string{in.PartyCreditCode} })
	creditParty     = inputNames(func(in *CreditInput) []string { return []string{in.PartyCreditCode} })
	obligationParty = inputNames(func(in *ObligationInput) []string { return []string{in.PartyCreditCode} })
	// An order's subject, when it is a certificate, is checked by proof
	// as well.
	obligationNamed = inputNames(func(in *ObligationInput) []string { return []string{in.PartyCreditCode, in.Subject} })
)

// inputNames reads the codes a transaction's input (its first argument,
// a T in JSON) names; a malformed input names none that count (the
// chaincode refuses it).
func inputNames[T any](codes func(*T) []string) func(args []string) []string {
	return func(a []string) []string {
		var in T
		decodeNamed(a, 0, &in)
		return codes(&in)
	}
}

func argAt(a []string, i int) []string {
	if i < len(a) {
		return []string{a[i]}
	}
	return nil
}

func decodeNamed(a []string, i int, v any) {
	if i < len(a) {
		_ = json.Unmarshal([]byte(a[i]), v) // a malformed argument is the chaincode's to refuse
	}
}

// PartiesNamed is the credit codes and registration numbers whose proofs
// fn's client sends (TransientParty): the well-formed, distinct ones its
// arguments name (RegistryID), at most MaxPartiesNamed; nil for a
// transaction that reads nothing by proof.
//
// lookup reads a record as the client's caller reads it (nil: none are
// read): an order whose subject is an objection against a certificate
// checks the certificate by proof too.
func PartiesNamed(fn string, args []string, lookup func(recordType, number string) ([]byte, error)) ([]string, error) {
	named, ok := partiesNamed[Action(fn)]
	if !ok {
		return nil, nil
	}
	ids := named(args)
	if Action(fn) == ActOpenObligation && lookup != nil {
		objected, err := objectedCertificate(args, lookup)
		if err != nil {
			return nil, err
		}
		ids = append(ids, objected...)
	}
	var out []string
	seen := map[string]bool{}
	for _, c := range ids {
		if RegistryKind(c) != "" && !seen[c] && len(out) < MaxPartiesNamed {
			seen[c] = true
			out = append(out, c)
		}
	}
	return out, nil
}

// objectedCertificate is the certificate an order's subject objects to,
// when the subject is an objection against one (none otherwise, or when
// there is no such objection for lookup's caller: the chaincode refuses
// the order).
func objectedCertificate(args []string, lookup func(recordType, number string) ([]byte, error)) ([]string, error) {
	var in ObligationInput
	decodeNamed(args, 0, &in)
	if k, ok := NumberedOf(in.Subject); !ok || k.RecordType != TypeObjection {
		return nil, nil
	}
	b, err := lookup(TypeObjection, in.Subject)
	if err != nil {
		return nil, fmt.Errorf("reading the objection %s, the order's subject: %w", in.Subject, err)
	}
	var o Objection
	if b == nil || json.Unmarshal(b, &o) != nil || o.TargetKind != "certificate" {
		return nil, nil
	}
	return []string{o.Target}, nil
}

// ProvesParties tells whether fn checks the parties it names by proof.
func ProvesParties(fn string) bool { _, ok := partiesNamed[Action(fn)]; return ok }
