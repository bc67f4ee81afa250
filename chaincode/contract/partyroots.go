package contract

import (
	"bytes"
	"encoding/json"
	"sync"

	"dataledger/chaincode/domain"
	"dataledger/chaincode/store"
)

// The party registry's roots (domain/partyroots.go): RegisterParty and
// ChangePartyStatus keep their bucket's root; a private transaction reads
// every bucket's root and checks the parties it names by the proofs its
// client sends, so its read set names no party.

func partyRootKey(s store.Store, bucket int) string {
	return key(s, domain.TypePartyRoot, domain.PartyBucketName(bucket))
}

func readPartyRoot(s store.Store, bucket int) (domain.PartyRoot, error) {
	b, err := s.Get(partyRootKey(s, bucket))
	if err != nil {
		return domain.PartyRoot{}, err
	}
	r, err := domain.ParsePartyRoot(b)
	if err != nil {
		return r, domain.Invalid(domain.RulePartyProof, "partyRoot", "bucket %s: %v", domain.PartyBucketName(bucket), err)
	}
	return r, nil
}

// checkedParty verifies the proof of code in the transient map against
// root and returns the record it proves, as the world state holds it
// (nil: not registered), with the proof.
func checkedParty(s store.Store, field, code string, root domain.PartyRoot) ([]byte, *domain.PartyProof, error) {
	return checkedProof(s, field, domain.TransientParty(code), "party "+code, "the registry's proof query",
		func(p domain.PartyProof) ([]byte, error) { return p.Check(code, root) })
}

// checkedProof takes the proof at entry of the transient map (of what,
// as query answers it) and checks it: none is DL-PARTY-PROOF, one that
// does not fold to its root DL-PARTY-STALE (field names the input).
func checkedProof(s store.Store, field, entry, what, query string, check func(domain.PartyProof) ([]byte, error)) ([]byte, *domain.PartyProof, error) {
	raw := s.Transient(entry)
	if raw == nil {
		return nil, nil, domain.Invalid(domain.RulePartyProof, field,
			"the transient map carries no proof of %s (%q): a transaction carries the record of each party it names and the facts of each it checks, with their proofs, as %s answers them", what, entry, query)
	}
	var p domain.PartyProof
	if err := json.Unmarshal(raw, &p); err != nil {
		return nil, nil, domain.Invalid(domain.RulePartyProof, "transient."+entry, "must be a proof in JSON, as %s answers it: %v", query, err)
	}
	rec, err := check(p)
	if err != nil {
		return nil, nil, domain.Conflict(domain.RulePartyStale, field,
			"the proof of %s does not hold against its root: %v (it changed since the proof was made: ask %s again)", what, err, query)
	}
	return rec, &p, nil
}

// provenParties are the parties a private transaction names, checked
// against the registry's roots, all of which it reads.
type provenParties struct {
	s     store.Store
	roots [domain.PartyBuckets]domain.PartyRoot
}

func readProvenParties(s store.Store) (*provenParties, error) {
	pp := &provenParties{s: s}
	var err error
	for b := range pp.roots {
		if pp.roots[b], err = readPartyRoot(s, b); err != nil {
			return nil, err
		}
	}
	return pp, nil
}

// party is loadParty for a private transaction: the party of a
// well-formed code by its proof, nil when the proof shows it is not
// registered.
func (pp *provenParties) party(field, code string) (*domain.Party, error) {
	if err := domain.ValidateCreditCode(field, code); err != nil {
		return nil, err
	}
	rec, _, err := checkedParty(pp.s, field, code, pp.roots[domain.PartyBucket(code)])
	if err != nil || rec == nil {
		return nil, err
	}
	p := new(domain.Party)
	if err := json.Unmarshal(rec, p); err != nil || p.CreditCode != code {
		return nil, domain.Invalid(domain.RulePartyProof, field, "the proven record of party %s is not a party record of that code", code)
	}
	return p, nil
}

// provenParty reads one party by proof (a transaction that names one).
func (a *App) provenParty(s store.Store, field, code string) (*domain.Party, error) {
	if err := domain.ValidateCreditCode(field, code); err != nil {
		return nil, err
	}
	pp, err := readProvenParties(s)
	if err != nil {
		return nil, err
	}
	return pp.party(field, code)
}

// putParty writes a party's record as the world state holds it and
// moves its bucket's root: the proof in the transient map must show the
// record the world state held before (old; nil for a registration). Once
// per transaction and bucket: a transaction reads committed state, never
// its own writes, so a second put in one bucket would move the root from
// the committed one and lose the first.
func putParty(s store.Store, k, code string, old []byte, record any) error {
	b, err := json.Marshal(record)
	if err != nil {
		return err
	}
	bucket := domain.PartyBucket(code)
	root, err := readPartyRoot(s, bucket)
	if err != nil {
		return err
	}
	proven, proof, err := checkedParty(s, "creditCode", code, root)
	if err != nil {
		return err
	}
	if !bytes.Equal(proven, old) {
		return domain.Conflict(domain.RulePartyProof, "partyRoot",
			"bucket %s's root does not commit to party %s as the world state holds it: the registry's roots were made before this record (make the network anew)", domain.PartyBucketName(bucket), code)
	}
	next, err := proof.RootWith(code, b)
	if err != nil {
		return err
	}
	if err := s.Put(k, b); err != nil {
		return err
	}
	if err := s.Put(key(s, domain.TypePartyInBucket, domain.PartyBucketName(bucket), code), b); err != nil {
		return err
	}
	return s.Put(partyRootKey(s, bucket), []byte(next.String()))
}

// ProveParties answers, for each credit code, its party's record and its
// proof against its bucket's root (domain.PartyProof): what a client sends
// with a transaction that names parties. It reads the parties of their buckets, and
// refuses when the roots do not commit to it.
func (a *App) ProveParties(s store.Store, codesJSON string) (map[string]domain.PartyProof, error) {
	codes, err := provenCodes(codesJSON)
	if err != nil {
		return nil, err
	}
	out := map[string]domain.PartyProof{}
	for _, c := range codes {
		tree, err := provingTree(s, domain.PartyBucket(c))
		if err != nil {
			return nil, err
		}
		out[c] = tree.Prove(c)
	}
	return out, nil
}

// provingTree is a bucket's tree, from its parties (kept while its root
// stays), refused when its root does not commit to them.
func provingTree(s store.Store, bucket int) (*domain.PartyTree, error) {
	root, err := readPartyRoot(s, bucket)
	if err != nil {
		return nil, err
	}
	name := "parties/" + s.Channel() + "/" + domain.PartyBucketName(bucket)
	tree, err := cachedTree(name, root.String(), func() (*domain.PartyTree, error) { return bucketTree(s, bucket) },
		func(t *domain.PartyTree) bool { return t.Root(bucket) == root })
	if err == nil && tree.Root(bucket) != root {
		err = domain.Conflict(domain.RulePartyProof, "partyRoot",
			"bucket %s's root does not commit to its parties (a network made before the roots: make it anew)", domain.PartyBucketName(bucket))
	}
	return tree, err
}

// trees keeps, per channel and tree, the last tree a proof query built
// and the roots it was built at: a chaincode server answers many proof
// queries between two changes, and one at the same roots answers from it
// instead of reading the whole registry (or every party's facts) again.
// Only queries use it; a transaction checks what they answer.
var trees = struct {
	sync.Mutex
	at   map[string]string
	tree map[string]*domain.PartyTree
}{at: map[string]string{}, tree: map[string]*domain.PartyTree{}}

// A tree that does not commit to the roots it was built at (a member
// peer still waiting for a block's private data) is answered, and not
// kept.
func cachedTree(name, at string, build func() (*domain.PartyTree, error), holds func(*domain.PartyTree) bool) (*domain.PartyTree, error) {
	trees.Lock()
	t, ok := trees.tree[name]
	ok = ok && trees.at[name] == at
	trees.Unlock()
	if ok {
		return t, nil
	}
	t, err := build()
	if err != nil || !holds(t) {
		return t, err
	}
	trees.Lock()
	trees.at[name], trees.tree[name] = at, t
	trees.Unlock()
	return t, nil
}

// provenCodes reads the codes a proof query is asked for: a JSON array of
// at most domain.MaxPartiesNamed well-formed credit codes.
func provenCodes(codesJSON string) ([]string, error) {
	var codes []string
	if err := decodeArg("codes", codesJSON, &codes); err != nil {
		return nil, err
	}
	if len(codes) > domain.MaxPartiesNamed {
		return nil, domain.Invalid(domain.RulePartyProof, "codes", "at most %d codes", domain.MaxPartiesNamed)
	}
	for _, c := range codes {
		if err := domain.ValidateCreditCode("codes", c); err != nil {
			return nil, err
		}
	}
	return codes, nil
}

// bucketTree reads a bucket's parties into a tree (the others' buckets
// empty).
func bucketTree(s store.Store, bucket int) (*domain.PartyTree, error) {
	records := map[string][]byte{}
	bookmark := ""
	for {
		kvs, next, err := page(s, domain.TypePartyInBucket, []string{domain.PartyBucketName(bucket)}, domain.MaxPageSize, bookmark)
		if err != nil {
			return nil, err
		}
		for _, kv := range kvs {
			var p struct {
				CreditCode string `json:"creditCode"`
			}
			if err := json.Unmarshal(kv.Value, &p); err != nil {
				return nil, err
			}
			records[p.CreditCode] = kv.Value
		}
		if next == "" || len(kvs) == 0 {
			break
		}
		bookmark = next
	}
	return domain.NewPartyTree(records), nil
}
