package contract

import (
	"encoding/json"
	"fmt"
	"time"

	"dataledger/chaincode/domain"
	"dataledger/chaincode/store"
	"dataledger/internal/strictjson"
)

// App holds the deployment's configuration: each channel's data authority
// and exchanges. It is consulted once, when a channel is bootstrapped;
// from then on the ledger's jurisdiction record decides.
type App struct {
	Channels map[string]domain.ChannelConfig // by channel name
	Bench    bool                            // the benchmark functions answer (bench.go)
}

// Rule codes of the adapter itself.
const (
	RuleJSON       = "DL-JSON" // arguments must be the documented JSON
	RuleRecordType = "DL-RECORD-TYPE"
	RulePageSize   = "DL-PAGE"
)

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

func load[T any](s store.Store, key string) (*T, error) { return loadBy[T](s.Get, key) }

// loadPrivate reads a value of the collection that is no sealed record
// (an index's).
func loadPrivate[T any](s store.Store, key string) (*T, error) { return loadBy[T](s.GetPrivate, key) }

func loadBy[T any](get func(string) ([]byte, error), key string) (*T, error) {
	b, err := get(key)
	if err != nil || b == nil {
		return nil, err
	}
	v := new(T)
	if err := json.Unmarshal(b, v); err != nil {
		return nil, fmt.Errorf("corrupt record at %q: %w", key, err)
	}
	return v, nil
}

// heldBy loads the numbered record an index key names (its value: the
// number), nil when the key holds none; get reads the key (s.Get, or
// s.GetPrivate for an index in the collection).
func heldBy[T any](s store.Store, get func(string) ([]byte, error), indexKey string, loadNumber func(store.Store, string) (*T, error)) (*T, error) {
	held, err := get(indexKey)
	if err != nil || held == nil {
		return nil, err
	}
	return loadNumber(s, string(held))
}

func put(s store.Store, key string, v any) error { return putBy(s.Put, key, v) }

// putPrivate writes a value of the collection that is no sealed record
// (an index's).
func putPrivate(s store.Store, key string, v any) error { return putBy(s.PutPrivate, key, v) }

func putBy(set func(string, []byte) error, key string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return set(key, b)
}

// changed is one entry of a transaction's event.
func changed(recordType, key, action, status string, version int) domain.Changed {
	return domain.Changed{RecordType: recordType, Key: key, Action: action, Status: status, Version: version}
}

func emit(s store.Store, c domain.Change, changes ...domain.Changed) error {
	b, _ := json.Marshal(domain.Event{TxID: c.TxID, Channel: s.Channel(), Time: c.Time, Changes: changes})
	name := changes[0].RecordType + "." + changes[0].Action
	if changes[0].KeyHash != "" {
		name = domain.ActionPrivate // a kind and a step would name what the block withholds
	}
	return s.Emit(name, b)
}

func decodeArg(field, arg string, v any) error {
	if len(arg) > 64<<10 {
		return domain.Invalid(RuleJSON, field, "argument is %d bytes, at most 65536", len(arg))
	}
	if err := strictUnmarshal([]byte(arg), v); err != nil {
		if me, ok := strictjson.As(err); ok {
			return domain.Invalid(domain.RuleJSONMember, field+"."+me.Path, "%s", me.Detail)
		}
		return domain.Invalid(RuleJSON, field, "is not the documented JSON object: %v", err)
	}
	return nil
}

func truncate(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}

// tx is one transaction's common context: the jurisdiction, the policy
// profile in force (nil on a channel that has not recorded it with the
// jurisdiction yet), the change stamp and its time.
type tx struct {
	s   store.Store
	j   *domain.Jurisdiction
	p   *domain.ProfileRecord
	c   domain.Change
	now time.Time
}

func (a *App) begin(s store.Store) (*tx, error) {
	g, err := loadGovernance(s)
	if err != nil {
		return nil, err
	}
	c, err := a.change(s)
	if err != nil {
		return nil, err
	}
	now, _ := s.Now()
	return &tx{s: s, j: &g.Jurisdiction, p: g.ProfileInForce, c: c, now: now}, nil
}

// allowed begins a transaction that writes: the jurisdiction, the change
// stamp and then the access table's answer for act (domain.Allow), before
// any record is loaded, so a caller who may not act learns nothing about
// what exists. verb is the transaction's own action argument where the
// refusal names it (suspend, terminate, …).
func (a *App) allowed(s store.Store, act domain.Action, verb ...string) (*tx, error) {
	t, err := a.begin(s)
	if err != nil {
		return nil, err
	}
	if err := domain.Allow(t.j, t.c.Actor, act, verb...); err != nil {
		return nil, err
	}
	return t, nil
}

// profile is the policy profile in force: from the jurisdiction's record,
// read by begin, or from the profile's own record on a channel that has
// not recorded it with the jurisdiction yet.
func (t *tx) profile() (domain.Profile, error) {
	if t.p != nil {
		return t.p.Profile, nil
	}
	pk, _ := t.s.Key(domain.TypeProfile)
	rec, err := load[domain.ProfileRecord](t.s, pk)
	if err != nil {
		return domain.Profile{}, fmt.Errorf("channel %s: reading its policy profile: %w", t.s.Channel(), err)
	}
	if rec == nil {
		return domain.Profile{}, fmt.Errorf("channel %s has no policy profile", t.s.Channel())
	}
	return rec.Profile, nil
}

// found turns a missing record into the given refusal.
func found[T any](v *T, err error, notFound error) (*T, error) {
	if err == nil && v == nil {
		err = notFound
	}
	return v, err
}

func key(s store.Store, recordType string, attrs ...string) string {
	k, err := s.Key(recordType, attrs...)
	if err != nil {
		panic(err) // attributes are validated before they reach a key
	}
	return k
}

// List indexes of the authorization ledger. An index key holds the listed
// record's key in its last attribute, so a list is a range read, never a
// scan, and no two issues touch a shared key.
const (
	indexCredentialByHolder    = "credential~holder"
	indexCredentialByAgreement = "credential~agreement"
	indexCredentialByIssuer    = "credential~issuer"
)

var indexMarker = []byte{0} // an empty value would read as a deletion
