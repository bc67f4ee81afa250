package domain

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
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
// choose the bucket, and its leaf sits at depth 256 of a binary tree whose
// node at depth PartyBucketBits is the bucket's root. A leaf is
// SHA-256(0x00 ‖ path ‖ SHA-256(record)), with record the party's bytes as
// the world state holds them; an inner node is SHA-256(0x01 ‖ left ‖
// right), except that a node over two empty subtrees is empty (32 zero
// bytes), as an absent leaf is. Buckets let registrations of parties in
// different buckets commit in one block: each writes its own root.

// PartyBucketBits is the number of a path's bits that choose its bucket.
const PartyBucketBits = 6

// PartyBuckets is the number of buckets, hence of roots.
const PartyBuckets = 1 << PartyBucketBits

// TypePartyRoot keys a bucket's root in the world state (hex).
const TypePartyRoot = "partyRoot"

// TransientParty is the transient map entry with the proof of a party
// the transaction names (a PartyProof in JSON).
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
// application's applicant and 50 data providers).
const MaxPartiesNamed = 52

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

// PartyBucketName is a bucket's attribute in its root's key.
func PartyBucketName(b int) string { return fmt.Sprintf("%02x", b) }

// PartyBucket is the bucket of a credit code.
func PartyBucket(code string) int { p := partyPath(code); return int(p[0] >> (8 - PartyBucketBits)) }

func partyPath(code string) [32]byte { return sha256.Sum256([]byte(code)) }

func pathBit(path [32]byte, i int) byte { return (path[i/8] >> (7 - i%8)) & 1 }

func partyLeaf(path [32]byte, record []byte) [32]byte {
	if record == nil {
		return [32]byte{}
	}
	v := sha256.Sum256(record)
	return sha256.Sum256(append(append([]byte{0}, path[:]...), v[:]...))
}

func partyNode(l, r [32]byte) [32]byte {
	if l == ([32]byte{}) && r == ([32]byte{}) {
		return l
	}
	b := make([]byte, 0, 65)
	b = append(append(append(b, 1), l[:]...), r[:]...)
	return sha256.Sum256(b)
}

// PartyProof is a party's record, as the world state holds it (null when
// the code is not registered), with the siblings of its leaf's path
// inside its bucket: only those that are not empty.
type PartyProof struct {
	Party    json.RawMessage `json:"party"`
	Siblings []PartySibling  `json:"siblings,omitempty"`
}

// PartySibling is the sibling of the path's node at Depth
// (PartyBucketBits < Depth ≤ 256), in hex.
type PartySibling struct {
	Depth int    `json:"depth"`
	Hash  string `json:"hash"`
}

// record is the proof's party record; nil when it says none.
func (p PartyProof) record() []byte {
	if len(p.Party) == 0 || bytes.Equal(p.Party, []byte("null")) {
		return nil
	}
	return p.Party
}

// fold computes the bucket's root with record at code's leaf and the
// proof's siblings; siblings must be sorted by depth, deepest first, each
// depth once.
func (p PartyProof) fold(code string, record []byte) (PartyRoot, error) {
	path := partyPath(code)
	if len(p.Siblings) > 256-PartyBucketBits {
		return PartyRoot{}, fmt.Errorf("%d siblings: a path has %d", len(p.Siblings), 256-PartyBucketBits)
	}
	h := partyLeaf(path, record)
	next := 0
	for d := 256; d > PartyBucketBits; d-- {
		var sib [32]byte
		if next < len(p.Siblings) && p.Siblings[next].Depth == d {
			raw, err := hex.DecodeString(p.Siblings[next].Hash)
			if err != nil || len(raw) != 32 {
				return PartyRoot{}, fmt.Errorf("sibling at depth %d: not 32 bytes in hex", d)
			}
			copy(sib[:], raw)
			if sib == ([32]byte{}) {
				return PartyRoot{}, fmt.Errorf("sibling at depth %d: an empty sibling is left out", d)
			}
			next++
		}
		if pathBit(path, d-1) == 0 {
			h = partyNode(h, sib)
		} else {
			h = partyNode(sib, h)
		}
	}
	if next != len(p.Siblings) {
		return PartyRoot{}, fmt.Errorf("siblings must name depths %d..%d once each, deepest first", 256, PartyBucketBits+1)
	}
	return PartyRoot(h), nil
}

// Check verifies the proof of code against its bucket's root and
// returns the record it proves (nil: code is not registered).
func (p PartyProof) Check(code string, root PartyRoot) ([]byte, error) {
	got, err := p.fold(code, p.record())
	if err != nil {
		return nil, err
	}
	if got != root {
		return nil, fmt.Errorf("it folds to root %s, and bucket %s's root is %s", got, PartyBucketName(PartyBucket(code)), root)
	}
	return p.record(), nil
}

// RootWith is the bucket's root once code's leaf holds record, the proof
// having been checked against the root before.
func (p PartyProof) RootWith(code string, record []byte) (PartyRoot, error) {
	return p.fold(code, record)
}

// PartyTree is the whole registry, from which a client (or the query
// ProveParties) makes proofs.
type PartyTree struct {
	buckets [PartyBuckets][]partyEntry // sorted by path
	records map[string][]byte
}

type partyEntry struct {
	path [32]byte
	leaf [32]byte
}

// NewPartyTree builds the tree of records: credit code → the party's
// bytes as the world state holds them.
func NewPartyTree(records map[string][]byte) *PartyTree {
	t := &PartyTree{records: records}
	for code, rec := range records {
		path := partyPath(code)
		b := PartyBucket(code)
		t.buckets[b] = append(t.buckets[b], partyEntry{path, partyLeaf(path, rec)})
	}
	for b := range t.buckets {
		sort.Slice(t.buckets[b], func(i, j int) bool { return bytes.Compare(t.buckets[b][i].path[:], t.buckets[b][j].path[:]) < 0 })
	}
	return t
}

// Root is a bucket's root.
func (t *PartyTree) Root(bucket int) PartyRoot {
	return PartyRoot(subtree(t.buckets[bucket], PartyBucketBits))
}

// subtree is the hash of the node at depth over entries, all of which
// share its path so far.
func subtree(entries []partyEntry, depth int) [32]byte {
	switch {
	case len(entries) == 0:
		return [32]byte{}
	case depth == 256:
		return entries[0].leaf
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
	entries := t.buckets[PartyBucket(code)]
	var sibs []PartySibling
	for d := PartyBucketBits; d < 256; d++ {
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
	for i, j := 0, len(sibs)-1; i < j; i, j = i+1, j-1 {
		sibs[i], sibs[j] = sibs[j], sibs[i]
	}
	p := PartyProof{Party: json.RawMessage("null"), Siblings: sibs}
	if rec, ok := t.records[code]; ok {
		p.Party = json.RawMessage(rec)
	}
	return p
}

// partiesNamed tells, for each transaction that checks parties by proof,
// which credit codes its arguments name.
var partiesNamed = map[Action]func(args []string) []string{
	ActRegisterParty: func(a []string) []string {
		var in PartyInput
		decodeNamed(a, 0, &in)
		return []string{in.CreditCode}
	},
	ActChangePartyStatus: func(a []string) []string { return argAt(a, 0) },
	ActApply: func(a []string) []string {
		var in ApplicationInput
		decodeNamed(a, 0, &in)
		return append([]string{in.ApplicantCreditCode}, in.DataProviders...)
	},
	ActRecordAgreement: func(a []string) []string {
		var in AgreementInput
		decodeNamed(a, 0, &in)
		return []string{in.GrantorCreditCode, in.GranteeCreditCode}
	},
	ActRecordEvaluation: func(a []string) []string {
		var in EvaluationInput
		decodeNamed(a, 0, &in)
		return []string{in.PartyCreditCode}
	},
	ActRecordCredit: func(a []string) []string {
		var in CreditInput
		decodeNamed(a, 0, &in)
		return []string{in.PartyCreditCode}
	},
	ActOpenObligation: func(a []string) []string {
		var in ObligationInput
		decodeNamed(a, 0, &in)
		return []string{in.PartyCreditCode}
	},
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

// PartiesNamed is the credit codes whose proofs fn's client sends
// (TransientParties): the well-formed, distinct codes its arguments name,
// at most MaxPartiesNamed; nil for a transaction that reads no party by
// proof.
func PartiesNamed(fn string, args []string) []string {
	named, ok := partiesNamed[Action(fn)]
	if !ok {
		return nil
	}
	var out []string
	seen := map[string]bool{}
	for _, c := range named(args) {
		if ValidateCreditCode("creditCode", c) == nil && !seen[c] && len(out) < MaxPartiesNamed {
			seen[c] = true
			out = append(out, c)
		}
	}
	return out
}

// ProvesParties tells whether fn checks the parties it names by proof.
func ProvesParties(fn string) bool { _, ok := partiesNamed[Action(fn)]; return ok }
