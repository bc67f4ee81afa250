// Package contract is the chaincode: an adapter from a ledger Store to the
// domain rules. Each transaction loads records, asks the domain to decide,
// stores the result and emits one event. It holds no rule of its own.
package contract

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"dataledger/chaincode/domain"
	"dataledger/chaincode/store"
)

// Rule codes of the adapter itself.
const (
	RuleJSON       = "DL-JSON" // arguments must be the documented JSON
	RuleRecordType = "DL-RECORD-TYPE"
	RulePageSize   = "DL-PAGE"
)

// App holds the deployment's configuration: each channel's data authority
// and exchanges. It is consulted once, when a channel is bootstrapped;
// from then on the ledger's jurisdiction record decides.
type App struct {
	Channels map[string]domain.ChannelConfig // by channel name
	Bench    bool                            // the benchmark functions answer (bench.go)
}

func (a *App) change(s store.Store) (domain.Change, error) {
	actor, err := s.Caller()
	if err != nil {
		return domain.Change{}, fmt.Errorf("reading the caller's identity: %w", err)
	}
	now, err := s.Now()
	if err != nil {
		return domain.Change{}, err
	}
	return domain.Change{TxID: s.TxID(), Time: now.UTC().Format(time.RFC3339Nano), Actor: actor}, nil
}

func load[T any](s store.Store, key string) (*T, error) {
	b, err := s.Get(key)
	if err != nil || b == nil {
		return nil, err
	}
	v := new(T)
	if err := json.Unmarshal(b, v); err != nil {
		return nil, fmt.Errorf("corrupt record at %q: %w", key, err)
	}
	return v, nil
}

func put(s store.Store, key string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return s.Put(key, b)
}

// changed is one entry of a transaction's event.
func changed(recordType, key, action, status string, version int) domain.Changed {
	return domain.Changed{RecordType: recordType, Key: key, Action: action, Status: status, Version: version}
}

func emit(s store.Store, c domain.Change, changes ...domain.Changed) error {
	b, _ := json.Marshal(domain.Event{TxID: c.TxID, Channel: s.Channel(), Time: c.Time, Changes: changes})
	return s.Emit(changes[0].RecordType+"."+changes[0].Action, b)
}

func decodeArg(field, arg string, v any) error {
	if len(arg) > 64<<10 {
		return domain.Invalid(RuleJSON, field, "argument is %d bytes, at most 65536", len(arg))
	}
	if err := strictUnmarshal([]byte(arg), v); err != nil {
		return domain.Invalid(RuleJSON, field, "is not the documented JSON object: %v", err)
	}
	return nil
}

func jurisdictionKey(s store.Store) (string, error) { return s.Key(domain.TypeJurisdiction) }

// jurisdiction loads the channel's governance record; nothing else works
// before the channel is bootstrapped.
func (a *App) jurisdiction(s store.Store) (*domain.Jurisdiction, error) {
	k, err := jurisdictionKey(s)
	if err != nil {
		return nil, err
	}
	j, err := load[domain.Jurisdiction](s, k)
	if err != nil {
		return nil, err
	}
	if j == nil {
		return nil, domain.NotFound(domain.RuleBootstrapped, "channel", "channel %s has no jurisdiction yet: its data authority must bootstrap it first", s.Channel())
	}
	return j, nil
}

// Bootstrap records the channel's jurisdiction and adopts its first policy
// profile (a built-in one by name) in the same transaction.
func (a *App) Bootstrap(s store.Store, name, division, profileName string) (*domain.Jurisdiction, error) {
	c, err := a.change(s)
	if err != nil {
		return nil, err
	}
	jk, err := jurisdictionKey(s)
	if err != nil {
		return nil, err
	}
	existing, err := load[domain.Jurisdiction](s, jk)
	if err != nil {
		return nil, err
	}
	c.Action = "bootstrap"
	j, err := domain.NewJurisdiction(existing, s.Channel(), name, division, a.Channels[s.Channel()], c.Actor, c)
	if err != nil {
		return nil, err
	}
	p, ok := domain.BuiltinProfiles()[profileName]
	if !ok {
		return nil, domain.Invalid(domain.RuleProfile, "profile", "%q is not a built-in profile (%v)", truncate(profileName), domain.BuiltinProfileNames())
	}
	rec, err := domain.SetProfile(j, nil, p, "", c)
	if err != nil {
		return nil, err
	}
	pk, _ := s.Key(domain.TypeProfile)
	if err := put(s, jk, j); err != nil {
		return nil, err
	}
	if err := put(s, pk, rec); err != nil {
		return nil, err
	}
	return j, emit(s, c, changed(domain.TypeJurisdiction, s.Channel(), "bootstrap", "", 1), changed(domain.TypeProfile, s.Channel(), rec.Last.Action, rec.Profile.Name, rec.Version))
}

// SetExchanges records the channel's exchange organizations.
func (a *App) SetExchanges(s store.Store, mspsJSON, reason string) (*domain.Jurisdiction, error) {
	var msps []string
	if err := decodeArg("exchanges", mspsJSON, &msps); err != nil {
		return nil, err
	}
	t, err := a.begin(s)
	if err != nil {
		return nil, err
	}
	j, c := t.j, t.c
	next, err := domain.SetExchanges(j, msps, reason, c)
	if err != nil {
		return nil, err
	}
	jk, _ := jurisdictionKey(s)
	if err := put(s, jk, next); err != nil {
		return nil, err
	}
	return next, emit(s, c, changed(domain.TypeJurisdiction, s.Channel(), "set-exchanges", "", 0))
}

// GetJurisdiction reads the channel's governance record.
func (a *App) GetJurisdiction(s store.Store) (*domain.Jurisdiction, error) { return a.jurisdiction(s) }

// SetProfile replaces the channel's policy profile (a full profile as JSON).
func (a *App) SetProfile(s store.Store, profileJSON, reason string) (*domain.ProfileRecord, error) {
	var p domain.Profile
	if err := decodeArg("profile", profileJSON, &p); err != nil {
		return nil, err
	}
	return a.setProfile(s, p, reason)
}

// AdoptProfile switches the channel to a built-in profile by name.
func (a *App) AdoptProfile(s store.Store, name, reason string) (*domain.ProfileRecord, error) {
	p, ok := domain.BuiltinProfiles()[name]
	if !ok {
		return nil, domain.Invalid(domain.RuleProfile, "profile", "%q is not a built-in profile (%v)", truncate(name), domain.BuiltinProfileNames())
	}
	return a.setProfile(s, p, reason)
}

func (a *App) setProfile(s store.Store, p domain.Profile, reason string) (*domain.ProfileRecord, error) {
	t, err := a.begin(s)
	if err != nil {
		return nil, err
	}
	j, c := t.j, t.c
	pk, _ := s.Key(domain.TypeProfile)
	cur, err := load[domain.ProfileRecord](s, pk)
	if err != nil {
		return nil, err
	}
	rec, err := domain.SetProfile(j, cur, p, reason, c)
	if err != nil {
		return nil, err
	}
	if err := put(s, pk, rec); err != nil {
		return nil, err
	}
	return rec, emit(s, c, changed(domain.TypeProfile, s.Channel(), rec.Last.Action, rec.Profile.Name, rec.Version))
}

// GetProfile reads the channel's policy profile in force.
func (a *App) GetProfile(s store.Store) (*domain.ProfileRecord, error) {
	if _, err := a.jurisdiction(s); err != nil {
		return nil, err
	}
	pk, _ := s.Key(domain.TypeProfile)
	return load[domain.ProfileRecord](s, pk)
}

func partyKey(s store.Store, code string) (string, error) {
	if err := domain.ValidateCreditCode("creditCode", code); err != nil {
		return "", err
	}
	return s.Key(domain.TypeParty, code)
}

// RegisterParty records a new party (domain.RegisterParty).
func (a *App) RegisterParty(s store.Store, inputJSON string) (*domain.Party, error) {
	var in domain.PartyInput
	if err := decodeArg("party", inputJSON, &in); err != nil {
		return nil, err
	}
	t, err := a.begin(s)
	if err != nil {
		return nil, err
	}
	j, c := t.j, t.c
	if err := domain.RequireRegistrar(j, c.Actor, "registering a party"); err != nil {
		return nil, err // refuse callers before telling them what exists
	}
	k, err := partyKey(s, in.CreditCode)
	if err != nil {
		return nil, err
	}
	existing, err := load[domain.Party](s, k)
	if err != nil {
		return nil, err
	}
	p, err := domain.RegisterParty(j, existing, in, c)
	if err != nil {
		return nil, err
	}
	if err := put(s, k, p); err != nil {
		return nil, err
	}
	return p, emit(s, c, changed(domain.TypeParty, p.CreditCode, "register", p.Status, p.Version))
}

// ChangePartyStatus suspends, reinstates or exits a party.
func (a *App) ChangePartyStatus(s store.Store, creditCode, action, reason string) (*domain.Party, error) {
	t, err := a.begin(s)
	if err != nil {
		return nil, err
	}
	j, c := t.j, t.c
	if err := domain.RequireRegistrar(j, c.Actor, action+" of a party"); err != nil {
		return nil, err
	}
	k, err := partyKey(s, creditCode)
	if err != nil {
		return nil, err
	}
	cur, err := load[domain.Party](s, k)
	if err != nil {
		return nil, err
	}
	p, err := domain.ChangePartyStatus(j, cur, action, reason, c)
	if err != nil {
		return nil, err
	}
	if err := put(s, k, p); err != nil {
		return nil, err
	}
	return p, emit(s, c, changed(domain.TypeParty, p.CreditCode, action, p.Status, p.Version))
}

// GetParty reads a party by credit code.
func (a *App) GetParty(s store.Store, creditCode string) (*domain.Party, error) {
	k, err := partyKey(s, creditCode)
	if err != nil {
		return nil, err
	}
	p, err := load[domain.Party](s, k)
	if err != nil {
		return nil, err
	}
	if p == nil {
		return nil, domain.NotFound(domain.RulePartyExists, "creditCode", "no party %s on channel %s", creditCode, s.Channel())
	}
	return p, nil
}

// ListParties pages through the party registry in credit-code order.
func (a *App) ListParties(s store.Store, pageSize int32, bookmark string) (*domain.Page[domain.Party], error) {
	return listRecords[domain.Party](s, domain.TypeParty, nil, pageSize, bookmark)
}

// History returns every committed version of a record, oldest first. key
// is the credit code for a party and ignored for the channel-wide records.
func (a *App) History(s store.Store, recordType, key string) ([]domain.HistoryItem, error) {
	var k string
	var err error
	switch recordType {
	case domain.TypeParty:
		k, err = partyKey(s, key)
	case domain.TypeProfile, domain.TypeJurisdiction:
		k, err = s.Key(recordType)
	case domain.TypeBench:
		k, err = s.Key(recordType, key)
	case domain.TypeIssuerKey:
		if err = validKeyID("key", key); err == nil {
			k, err = s.Key(recordType, key)
		}
	case domain.TypeAgreement, domain.TypeCredential, domain.TypeApplication, domain.TypeCertificate, domain.TypeObjection:
		numbered, _ := domain.NumberedByRecordType(recordType)
		if _, err = domain.ParseNumber("key", key, numbered.Prefix); err == nil {
			k, err = s.Key(recordType, key)
		}
	case domain.TypeCalendar:
		if _, err = a.GetCalendar(s, key); err == nil {
			k, err = s.Key(recordType, key)
		}
	default:
		return nil, domain.Invalid(RuleRecordType, "recordType", "%q is not party, profile, jurisdiction, issuerKey, agreement, credential, calendar, application, certificate or objection", truncate(recordType))
	}
	if err != nil {
		return nil, err
	}
	hs, err := s.History(k)
	if err != nil {
		return nil, err
	}
	if len(hs) == 0 {
		return nil, domain.NotFound(RuleRecordType, "key", "no %s record %q on channel %s", recordType, truncate(key), s.Channel())
	}
	out := make([]domain.HistoryItem, 0, len(hs))
	for _, h := range hs {
		out = append(out, domain.HistoryItem{TxID: h.TxID, Time: h.Time.UTC().Format(time.RFC3339Nano), Record: h.Value})
	}
	// Fabric returns newest first; the regulators' view reads oldest first.
	if len(out) > 1 && out[0].Time > out[len(out)-1].Time {
		for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
			out[i], out[j] = out[j], out[i]
		}
	}
	return out, nil
}

func truncate(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}

var errTrailing = errors.New("unexpected data after the JSON object")
