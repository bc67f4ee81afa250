package contract

import (
	"bytes"
	"encoding/json"
	"sync"

	"dataledger/chaincode/domain"
	"dataledger/chaincode/store"
)

// The registries kept by roots (domain/partyroots.go): a private
// transaction reads every bucket's root of the registry it checks and
// checks the parties (registered products) it names by the proofs its
// client sends, so its read set names none of them.

// registry is one of the two: the parties, by credit code, whose roots
// RegisterParty and ChangePartyStatus move, and the registered products
// (certificates' entries, by registration number), whose roots
// RegisterCertificate moves.
type registry struct {
	what     string // in refusals and in the proof queries' cache
	rootType string
	inBucket string
	bits     int // a bucket's bits (domain.RegistryBucketBits)
}

var (
	partyRegistry   = registry{"party", domain.TypePartyRoot, domain.TypePartyInBucket, domain.PartyBucketBits}
	productRegistry = registry{"product", domain.TypeProductRoot, domain.TypeProductInBucket, domain.ProductBucketBits}
)

// registryOf is the registry that holds id (domain.RegistryKind).
func registryOf(id string) registry {
	if domain.RegistryKind(id) == domain.TypeCertificate {
		return productRegistry
	}
	return partyRegistry
}

// buckets is the number of the registry's buckets, hence of its roots;
// bucket is id's (domain.RegistryBucket, by the registry's own bits).
func (r registry) buckets() int         { return 1 << r.bits }
func (r registry) bucket(id string) int { return domain.BucketOf(id, r.bits) }

func (r registry) rootKey(s store.Store, bucket int) string {
	return key(s, r.rootType, domain.PartyBucketName(bucket))
}

func (r registry) root(s store.Store, bucket int) (domain.PartyRoot, error) {
	b, err := s.Get(r.rootKey(s, bucket))
	if err != nil {
		return domain.PartyRoot{}, err
	}
	root, err := domain.ParsePartyRoot(b)
	if err != nil {
		return root, domain.Invalid(domain.RulePartyProof, r.rootType, "bucket %s: %v", domain.PartyBucketName(bucket), err)
	}
	return root, nil
}

// checked verifies the proof of id in the transient map against root and
// returns the record it proves, as the world state holds it (nil: none
// under id), with the proof.
func (r registry) checked(s store.Store, field, id string, root domain.PartyRoot) ([]byte, *domain.PartyProof, error) {
	return checkedProof(s, field, domain.TransientParty(id), r.what+" "+id, "the registry's proof query",
		func(p domain.PartyProof) ([]byte, error) { return p.CheckIn(r.bits, id, root) })
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

// provenRoots are a registry's roots, all of which a private transaction
// reads, against which it checks what it names.
type provenRoots struct {
	s     store.Store
	r     registry
	roots []domain.PartyRoot
}

func (r registry) readRoots(s store.Store) (*provenRoots, error) {
	pp := &provenRoots{s: s, r: r, roots: make([]domain.PartyRoot, r.buckets())}
	var err error
	for b := range pp.roots {
		if pp.roots[b], err = r.root(s, b); err != nil {
			return nil, err
		}
	}
	return pp, nil
}

// readProvenParties reads the party registry's roots; readProvenProducts
// the registered products'.
func readProvenParties(s store.Store) (*provenRoots, error)  { return partyRegistry.readRoots(s) }
func readProvenProducts(s store.Store) (*provenRoots, error) { return productRegistry.readRoots(s) }

// party is loadParty for a private transaction: the party of a
// well-formed code by its proof, nil when the proof shows it is not
// registered.
func (pp *provenRoots) party(field, code string) (*domain.Party, error) {
	if err := domain.ValidateCreditCode(field, code); err != nil {
		return nil, err
	}
	return proven(pp, field, code, func(p *domain.Party) string { return p.CreditCode })
}

// certificate is a registered certificate's entry, by its proof; nil
// when the proof shows none is registered under number.
func (pp *provenRoots) certificate(field, number string) (*domain.CertificateEntry, error) {
	if _, err := domain.ParseNumber(field, number, domain.PrefixRegistration); err != nil {
		return nil, err
	}
	return proven(pp, field, number, func(e *domain.CertificateEntry) string { return e.Number })
}

// proven is the record its proof shows under id, a T that idOf reads id
// back from; nil when the proof shows none.
func proven[T any](pp *provenRoots, field, id string, idOf func(*T) string) (*T, error) {
	rec, _, err := pp.r.checked(pp.s, field, id, pp.roots[pp.r.bucket(id)])
	if err != nil || rec == nil {
		return nil, err
	}
	v := new(T)
	if err := json.Unmarshal(rec, v); err != nil || idOf(v) != id {
		return nil, domain.Invalid(domain.RulePartyProof, field, "the proven record of %s %s is not one of that %s", pp.r.what, id, pp.r.what)
	}
	return v, nil
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
// moves its bucket's root (registry.put).
func putParty(s store.Store, k, code string, old []byte, record any) error {
	b, err := json.Marshal(record)
	if err != nil {
		return err
	}
	if err := s.Put(k, b); err != nil {
		return err
	}
	return partyRegistry.put(s, "creditCode", code, old, b)
}

// put moves the root of id's bucket from what the proof in the transient
// map shows (old; nil: nothing under id yet) to b, and keeps b under the
// bucket for the proof queries. Once per transaction and bucket: a
// transaction reads committed state, never its own writes, so a second
// put in one bucket would move the root from the committed one and lose
// the first.
func (r registry) put(s store.Store, field, id string, old, b []byte) error {
	bucket := r.bucket(id)
	root, err := r.root(s, bucket)
	if err != nil {
		return err
	}
	proven, proof, err := r.checked(s, field, id, root)
	if err != nil {
		return err
	}
	if !bytes.Equal(proven, old) {
		return domain.Conflict(domain.RulePartyProof, r.rootType,
			"bucket %s's root does not commit to %s %s as the world state holds it: the registry's roots were made before this record (make the network anew)", domain.PartyBucketName(bucket), r.what, id)
	}
	next, err := proof.RootWithIn(r.bits, id, b)
	if err != nil {
		return err
	}
	if err := s.Put(key(s, r.inBucket, domain.PartyBucketName(bucket), id), b); err != nil {
		return err
	}
	return s.Put(r.rootKey(s, bucket), []byte(next.String()))
}

// ProveParties answers, for each credit code (or registration number), its
// party's record (the certificate's entry) and its proof against its
// bucket's root (domain.PartyProof): what a client sends with a
// transaction that names parties or registered products. It reads the
// entries of their buckets, and refuses when the roots do not commit to
// them.
func (a *App) ProveParties(s store.Store, codesJSON string) (map[string]domain.PartyProof, error) {
	codes, err := provenCodes(codesJSON)
	if err != nil {
		return nil, err
	}
	out := map[string]domain.PartyProof{}
	for _, c := range codes {
		r := registryOf(c)
		tree, err := r.provingTree(s, r.bucket(c))
		if err != nil {
			return nil, err
		}
		out[c] = tree.Prove(c)
	}
	return out, nil
}

// provingTree is a bucket's tree, from its entries (kept while its root
// stays), refused when its root does not commit to them.
func (r registry) provingTree(s store.Store, bucket int) (*domain.PartyTree, error) {
	root, err := r.root(s, bucket)
	if err != nil {
		return nil, err
	}
	name := r.what + "/" + s.Channel() + "/" + domain.PartyBucketName(bucket)
	tree, err := cachedTree(name, root.String(), func() (*domain.PartyTree, error) { return r.bucketTree(s, bucket) },
		func(t *domain.PartyTree) bool { return t.Root(bucket) == root })
	if err == nil && tree.Root(bucket) != root {
		err = domain.Conflict(domain.RulePartyProof, r.rootType,
			"bucket %s's root does not commit to its entries (a network made before the roots: make it anew)", domain.PartyBucketName(bucket))
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
// at most domain.MaxPartiesNamed credit codes and registration numbers
// (domain.RegistryID).
func provenCodes(codesJSON string) ([]string, error) {
	var codes []string
	if err := decodeArg("codes", codesJSON, &codes); err != nil {
		return nil, err
	}
	if len(codes) > domain.MaxPartiesNamed {
		return nil, domain.Invalid(domain.RulePartyProof, "codes", "at most %d codes", domain.MaxPartiesNamed)
	}
	for _, c := range codes {
		if err := domain.RegistryID("codes", c); err != nil {
			return nil, err
		}
	}
	return codes, nil
}

// bucketTree reads a bucket's entries into a tree (the others' buckets
// empty), each under the id its key ends with.
func (r registry) bucketTree(s store.Store, bucket int) (*domain.PartyTree, error) {
	records := map[string][]byte{}
	bookmark := ""
	for {
		kvs, next, err := page(s, r.inBucket, []string{domain.PartyBucketName(bucket)}, domain.MaxPageSize, bookmark)
		if err != nil {
			return nil, err
		}
		for _, kv := range kvs {
			_, attrs, err := domain.SplitCompositeKey(kv.Key)
			if err != nil || len(attrs) != 2 {
				return nil, domain.Invalid(domain.RulePartyProof, r.inBucket, "key %q is not a bucket's entry", kv.Key)
			}
			records[attrs[1]] = kv.Value
		}
		if next == "" || len(kvs) == 0 {
			break
		}
		bookmark = next
	}
	return domain.NewRegistryTree(r.bits, records), nil
}
