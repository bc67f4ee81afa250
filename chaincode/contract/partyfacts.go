package contract

import (
	"encoding/json"
	"fmt"

	"dataledger/chaincode/domain"
	"dataledger/chaincode/store"
)

// A party's private facts (domain/partyfacts.go): one tree in the
// collection, its root under one key; a transaction that checks a
// party's facts reads the root and takes the facts and their proof from
// the transient map, and one that changes them moves the root and writes
// the facts, sealed, under its own transaction ID.

// partyFacts are one party's facts as a transaction read them, with what
// it needs to change them.
type partyFacts struct {
	*domain.PartyFacts
	proof *domain.PartyProof
}

// readFacts checks the facts of a well-formed code (field names it in the
// input) against the root; a party of which none are recorded has empty
// ones.
func readFacts(s store.Store, field, code string) (*partyFacts, error) {
	if err := domain.ValidateCreditCode(field, code); err != nil {
		return nil, err
	}
	root, err := readFactsRoot(s)
	if err != nil {
		return nil, err
	}
	rec, p, err := checkedProof(s, field, domain.TransientFacts(code), "the facts of party "+code, "the facts' proof query",
		func(p domain.PartyProof) ([]byte, error) { return p.CheckFacts(code, root) })
	if err != nil {
		return nil, err
	}
	f := &partyFacts{PartyFacts: &domain.PartyFacts{CreditCode: code}, proof: p}
	if rec != nil {
		if err := json.Unmarshal(rec, f.PartyFacts); err != nil || f.CreditCode != code {
			return nil, domain.Invalid(domain.RulePartyProof, field, "the proven facts of party %s are not that party's", code)
		}
	}
	return f, nil
}

// partyWithFacts reads a party by proof and, when it is registered, its
// facts (nil for a party not registered).
func (a *App) partyWithFacts(s store.Store, field, code string) (*domain.Party, *partyFacts, error) {
	p, err := a.provenParty(s, field, code)
	if err != nil || p == nil {
		return p, nil, err
	}
	facts, err := readFacts(s, field, code)
	return p, facts, err
}

// noteDecision notes, in the facts of the party it is against, the
// decision the record (of recordType, as this transaction writes it) holds
// (domain.DecisionOn): what a credit record may follow. None: nothing is
// read.
func noteDecision(s store.Store, recordType, number string, record any, party string) error {
	d, ok := domain.DecisionOn(recordType, record, party)
	if !ok || party == "" {
		return nil
	}
	facts, err := readFacts(s, "party", party)
	if err != nil {
		return err
	}
	facts.noteDecision(number, d)
	return facts.save(s)
}

// noteGrant notes, in the facts of its grantee, how the agreement ag (as
// this transaction writes it) stands, with the decision against the
// grantee it holds (a revocation).
func noteGrant(s store.Store, ag *domain.Agreement) error {
	facts, err := readFacts(s, "number", ag.GranteeCreditCode)
	if err != nil {
		return err
	}
	return facts.noteGrants(s, ag)
}

// noteGrants notes agreements granted to f's party, as this transaction
// writes them, with the decisions against it they hold, and saves f.
func (f *partyFacts) noteGrants(s store.Store, agreements ...*domain.Agreement) error {
	for _, ag := range agreements {
		if ag.GranteeCreditCode != f.CreditCode {
			return fmt.Errorf("agreement %s is granted to %s, not to %s", ag.Number, ag.GranteeCreditCode, f.CreditCode)
		}
		f.NoteGrant(ag)
		if d, ok := domain.DecisionOn(domain.TypeAgreement, ag, f.CreditCode); ok {
			f.noteDecision(ag.Number, d)
		}
	}
	return f.save(s)
}

// decision is the decision against the party the record numbered holds
// (none: f is nil, no party).
func (f *partyFacts) decision(number string) (domain.PartyDecision, bool) {
	if f == nil {
		return domain.PartyDecision{}, false
	}
	d, ok := f.Decisions[number]
	return d, ok
}

func (f *partyFacts) noteDecision(number string, d domain.PartyDecision) {
	if f.Decisions == nil {
		f.Decisions = map[string]domain.PartyDecision{}
	}
	f.Decisions[number] = d
}

// readFactsRoot reads the facts' root (empty before any facts).
func readFactsRoot(s store.Store) (domain.PartyRoot, error) {
	raw, err := s.GetPrivate(key(s, domain.TypeFactsRoot))
	if err != nil {
		return domain.PartyRoot{}, err
	}
	root, err := domain.ParsePartyRoot(raw)
	if err != nil {
		return root, domain.Invalid(domain.RulePartyProof, "factsRoot", "%v", err)
	}
	return root, nil
}

// save writes the changed facts: the new root, and the facts sealed under
// this transaction's ID. Once per transaction: a transaction reads the
// committed root, never its own write, so a second save would move the
// root from the committed one and lose the first.
func (f *partyFacts) save(s store.Store) error {
	f.Version++
	b, err := json.Marshal(f.PartyFacts)
	if err != nil {
		return err
	}
	root, err := f.proof.FactsRootWith(f.CreditCode, b)
	if err != nil {
		return err
	}
	if err := s.PutPrivate(key(s, domain.TypeFactsRoot), []byte(root.String())); err != nil {
		return err
	}
	k := key(s, domain.TypeFacts, s.TxID()[:1], s.TxID())
	salt, err := saltFor(s, k)
	if err != nil {
		return err
	}
	return putSalted(s, k, salt, f.PartyFacts)
}

// factsTree rebuilds the facts' tree from every party's latest facts in
// the collection (a member's query: ranges of private data, one per first
// hex digit of the writing transaction's ID, each far below a peer's
// totalQueryLimit).
func factsTree(s store.Store) (*domain.PartyTree, error) {
	var kvs []store.KV
	for _, shard := range "0123456789abcdef" {
		part, err := s.PrivateRange(domain.TypeFacts, string(shard))
		if err != nil {
			return nil, err
		}
		kvs = append(kvs, part...)
	}
	latest := map[string]*domain.PartyFacts{}
	records := map[string][]byte{}
	for _, kv := range kvs {
		var sealed domain.Sealed
		var f domain.PartyFacts
		if err := json.Unmarshal(kv.Value, &sealed); err != nil {
			return nil, err
		}
		if err := json.Unmarshal(sealed.Record, &f); err != nil {
			return nil, err
		}
		if held := latest[f.CreditCode]; held == nil || f.Version > held.Version {
			latest[f.CreditCode] = &f
			records[f.CreditCode] = sealed.Record // the bytes save hashed
		}
	}
	return domain.NewFactsTree(records), nil
}

// ProveFacts answers, for each credit code, its party's facts and their
// proof against the facts' root (domain.PartyProof): what a client sends
// with a transaction that checks a party's facts. A collection member's
// query: it reads every party's facts, and refuses when the root does not
// commit to them.
func (a *App) ProveFacts(s store.Store, codesJSON string) (map[string]domain.PartyProof, error) {
	codes, err := provenCodes(codesJSON)
	if err != nil {
		return nil, err
	}
	if ok, err := a.mayReadPrivate(s, domain.TypeFacts); err != nil || !ok {
		if err == nil {
			err = domain.Forbidden(domain.RulePrivateRead, "caller", "a party's facts are read by a regime role of a collection member, and by the party itself")
		}
		return nil, err
	}
	root, err := readFactsRoot(s)
	if err != nil {
		return nil, err
	}
	tree, err := cachedTree("facts/"+s.Channel(), root.String(), func() (*domain.PartyTree, error) { return factsTree(s) },
		func(t *domain.PartyTree) bool { return t.Root(0) == root })
	if err != nil {
		return nil, err
	}
	if tree.Root(0) != root {
		return nil, domain.Conflict(domain.RulePartyStale, "factsRoot",
			"the facts' root does not commit to the parties' facts this peer holds (its private data of a recent block may still be on its way: ask again; or a network made before the facts: make it anew)")
	}
	out := map[string]domain.PartyProof{}
	for _, c := range codes {
		out[c] = tree.Prove(c)
	}
	return out, nil
}
