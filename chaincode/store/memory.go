package store

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"dataledger/chaincode/domain"
)

// Memory is an in-memory ledger for unit tests of chaincode logic. Each Tx
// is one transaction: its writes and event become visible only when the
// function given to Run returns nil, as a Fabric transaction's write set is
// committed only when it succeeds. Reads see committed state, as endorsement
// does. The history of every key is kept, like Fabric's history database.
type Memory struct {
	mu      sync.Mutex
	Channel string
	state   map[string][]byte
	history map[string][]HistoryEntry
	Events  []Event
	clock   time.Time
	seq     int
	// Last counts the round trips of the last transaction Run ran.
	Last RoundTrips
	// Collection lists the members of the channel's private data
	// collection (domain.Collection); nil: the chaincode definition has
	// none, and every private read or write fails, as on a peer. As on a
	// peer (memberOnlyRead true, memberOnlyWrite false in
	// network.Description.Collections), a caller of another org cannot read
	// it, and may write to it.
	Collection []string
	private    map[string][]byte
	// Transient is every transaction's transient map, as the client sent
	// it.
	Transient map[string][]byte
	// Prove, when set, is the client that adds to a transaction's
	// transient map the proof of each party it names
	// (domain.TransientParty) and of each party's facts it checks
	// (domain.TransientFacts), from the committed state: the fake makes
	// the proof named by the entry when the transaction asks for it, as
	// network.Client sends those the arguments name.
	Prove func(s Store, entry string) ([]byte, error)
}

// Event is an emitted chaincode event.
type Event struct {
	TxID, Name string
	Payload    []byte
}

// NewMemory makes an empty ledger whose clock starts at start and advances
// one minute per transaction.
func NewMemory(channel string, start time.Time) *Memory {
	return &Memory{Channel: channel, state: map[string][]byte{}, history: map[string][]HistoryEntry{}, clock: start}
}

// JoinedFromSnapshot makes the ledger read as a peer that joined the
// channel from a snapshot taken now: the state stays, the history of
// every key before it is gone (Fabric's history database starts at the
// snapshot).
func (m *Memory) JoinedFromSnapshot() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.history = map[string][]HistoryEntry{}
}

// NextTime is the timestamp the next transaction will have.
func (m *Memory) NextTime() time.Time {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.clock.Add(time.Minute)
}

// SetClock moves the transaction clock (for deadline tests).
func (m *Memory) SetClock(t time.Time) { m.mu.Lock(); m.clock = t; m.mu.Unlock() }

// Clock is the time the next transaction will have.
func (m *Memory) Clock() time.Time { m.mu.Lock(); defer m.mu.Unlock(); return m.clock }

func (m *Memory) txID(seq int) string {
	sum := sha256.Sum256([]byte(fmt.Sprintf("%s/%d", m.Channel, seq)))
	return hex.EncodeToString(sum[:])
}

// NextTxID is the ID the next transaction will have, as a Fabric client
// knows its transaction ID before it submits.
func (m *Memory) NextTxID() string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.txID(m.seq + 1)
}

// Run executes fn as one transaction by actor; it returns fn's result and
// commits the writes only when fn succeeds.
func (m *Memory) Run(actor domain.Actor, fn func(Store) error) (txID string, err error) {
	m.mu.Lock()
	m.seq++
	m.clock = m.clock.Add(time.Minute)
	tx := &memTx{m: m, id: m.txID(m.seq), now: m.clock, actor: actor, writes: map[string][]byte{}, privateWrites: map[string][]byte{}}
	m.mu.Unlock()
	err = fn(tx)
	if err == nil {
		err = tx.namesNoProvenParty()
	}
	m.mu.Lock()
	m.Last = tx.trips
	m.mu.Unlock()
	if err != nil {
		return tx.id, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	for k, v := range tx.writes {
		if len(v) == 0 { // an empty value is a deletion on the peer
			delete(m.state, k)
		} else {
			m.state[k] = v
		}
		m.history[k] = append(m.history[k], HistoryEntry{TxID: tx.id, Time: tx.now, IsDelete: len(v) == 0, Value: v})
	}
	if m.private == nil {
		m.private = map[string][]byte{}
	}
	for k, v := range tx.privateWrites {
		m.private[k] = v
	}
	if tx.event != nil {
		m.Events = append(m.Events, *tx.event)
	}
	return tx.id, nil
}

// Snapshot returns a copy of the committed state, to prove a refusal
// changed nothing.
func (m *Memory) Snapshot() map[string]string {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := map[string]string{}
	for k, v := range m.state {
		out[k] = string(v)
	}
	return out
}

// PrivateSnapshot returns a copy of the collection's committed data.
func (m *Memory) PrivateSnapshot() map[string]string {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := map[string]string{}
	for k, v := range m.private {
		out[k] = string(v)
	}
	return out
}

// RoundTrips counts one transaction's calls that, on a peer, are each a
// message between the chaincode and the peer (the shim's round trips):
// reads, writes, range pages and history queries. Reads counts each key
// read, so a key read twice shows.
type RoundTrips struct {
	Gets, Puts, Pages, Histories int
	Reads                        map[string]int
	// Proved are the codes whose proofs the transaction asked of the
	// transient map (domain.TransientParty), ProvedFacts those whose
	// facts' proofs it asked (domain.TransientFacts).
	Proved, ProvedFacts []string
	// PrivateKeys are the collection's keys it read or wrote (the block
	// keeps their hashes).
	PrivateKeys []string
}

// Total is the number of round trips.
func (r RoundTrips) Total() int { return r.Gets + r.Puts + r.Pages + r.Histories }

type memTx struct {
	trips  RoundTrips
	m      *Memory
	id     string
	now    time.Time
	actor  domain.Actor
	writes map[string][]byte
	event  *Event
	// privateWrites are the collection's writes, committed with the rest.
	privateWrites map[string][]byte
	// The peer's transaction simulator refuses a paginated query after a
	// write and a write after a paginated query; so does the fake.
	wrote, paged bool
	// queriedPrivate: it read a range of the collection (writes refused).
	queriedPrivate bool
}

func (t *memTx) Get(key string) ([]byte, error) {
	t.trips.Gets++
	if t.trips.Reads == nil {
		t.trips.Reads = map[string]int{}
	}
	t.trips.Reads[key]++
	t.m.mu.Lock()
	defer t.m.mu.Unlock()
	return t.m.state[key], nil
}

// Put refuses what the shim and the peer refuse (an empty key, a key that
// is not UTF-8, a write after a paginated query); an empty value deletes
// the key, as it does on the peer.
func (t *memTx) Put(key string, value []byte) error {
	if key == "" {
		return errors.New("key must not be an empty string")
	}
	if !utf8.ValidString(key) {
		return fmt.Errorf("invalid key [%x]: must be a valid UTF-8 string", key)
	}
	if err := t.mayWrite(); err != nil {
		return err
	}
	if _, again := t.writes[key]; again && movesARoot(key) {
		return fmt.Errorf("key %q written twice in one transaction: a registry's root moves once per transaction and bucket (its second move would start from the committed root and lose the first)", key)
	}
	t.trips.Puts++
	t.writes[key] = append([]byte(nil), value...)
	return nil
}

// movesARoot tells whether key is a root of the registries kept by roots
// (domain/partyroots.go) or the parties' facts' root (in the collection),
// which the chaincode moves from the committed
// root with a proof: Fabric lets a transaction write a key twice, the last
// write winning, which for a root loses the first move.
func movesARoot(key string) bool {
	for _, t := range []string{domain.TypePartyRoot, domain.TypeProductRoot, domain.TypeFactsRoot} {
		if prefix, _ := domain.CompositeKey(t); strings.HasPrefix(key, prefix) {
			return true
		}
	}
	return false
}

// mayWrite refuses a write after a paginated query or a query of private
// data, as the peer's transaction simulator does, and marks the
// transaction as one that wrote.
func (t *memTx) mayWrite() error {
	if t.paged {
		return fmt.Errorf("txid [%s]: unsuppored transaction. Transaction has already performed a paginated query. Writes are not allowed", t.id)
	}
	if t.queriedPrivate {
		return fmt.Errorf("txid [%s]: unsuppored transaction. Transaction has already performed queries on pvt data. Writes are not allowed", t.id)
	}
	t.wrote = true
	return nil
}

// PrivateRange reads the collection's keys under objectType, in key
// order, as GetPrivateDataByPartialCompositeKey on a peer: a member's
// query only.
func (t *memTx) PrivateRange(objectType string, attrs ...string) ([]KV, error) {
	if err := t.collectionMember("read"); err != nil {
		return nil, err
	}
	if t.wrote {
		return nil, fmt.Errorf("txid [%s]: unsuppored transaction. Queries on pvt data is supported only in a read-only transaction", t.id)
	}
	prefix, err := t.Key(objectType, attrs...)
	if err != nil {
		return nil, err
	}
	t.queriedPrivate = true
	t.trips.Pages++
	t.m.mu.Lock()
	defer t.m.mu.Unlock()
	var out []KV
	for k, v := range t.m.private {
		if strings.HasPrefix(k, prefix) {
			out = append(out, KV{Key: k, Value: v})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out, nil
}

// Key builds composite keys the way the Fabric shim does.
func (t *memTx) Key(objectType string, attrs ...string) (string, error) {
	return domain.CompositeKey(objectType, attrs...)
}

// Page reads like the peer's paginated partial-composite-key query: the
// range runs from the bookmark (or the prefix) to the prefix followed by
// U+10FFFF, so a bookmark below the prefix reads other keys, exactly as
// on the peer; the next bookmark is the first key not returned.
func (t *memTx) Page(objectType string, attrs []string, size int32, bookmark string) ([]KV, string, error) {
	prefix, err := t.Key(objectType, attrs...)
	if err != nil {
		return nil, "", err
	}
	if t.wrote {
		return nil, "", fmt.Errorf("txid [%s]: unsuppored transaction. Paginated queries are supported only in a read-only transaction", t.id)
	}
	if size <= 0 {
		return nil, "", fmt.Errorf("pageSize must be greater than zero")
	}
	t.paged = true
	t.trips.Pages++
	start, end := prefix, prefix+string(utf8.MaxRune)
	if bookmark != "" {
		start = bookmark
	}
	t.m.mu.Lock()
	defer t.m.mu.Unlock()
	var keys []string
	for k := range t.m.state {
		if k >= start && k < end {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var out []KV
	for i, k := range keys {
		if int32(i) == size {
			return out, k, nil
		}
		out = append(out, KV{Key: k, Value: t.m.state[k]})
	}
	return out, "", nil
}

func (t *memTx) History(key string) ([]HistoryEntry, error) {
	t.trips.Histories++
	t.m.mu.Lock()
	defer t.m.mu.Unlock()
	return append([]HistoryEntry(nil), t.m.history[key]...), nil
}

func (t *memTx) TxID() string                  { return t.id }
func (t *memTx) Channel() string               { return t.m.Channel }
func (t *memTx) Now() (time.Time, error)       { return t.now, nil }
func (t *memTx) Caller() (domain.Actor, error) { return t.actor, nil }

func (t *memTx) Emit(name string, payload []byte) error {
	if name == "" {
		return errors.New("event name can not be empty string")
	}
	t.event = &Event{TxID: t.id, Name: name, Payload: payload} // Fabric keeps one event per transaction
	return nil
}

// collectionMember refuses what the peer refuses: a collection the
// chaincode definition does not have, a read by a caller of an org
// outside it.
func (t *memTx) collectionMember(access string) error {
	if t.m.Collection == nil {
		return fmt.Errorf("collection %s not defined for chaincode", domain.Collection)
	}
	if access == "write" {
		return nil
	}
	for _, msp := range t.m.Collection {
		if msp == t.actor.MSP {
			return nil
		}
	}
	return fmt.Errorf("tx creator does not have %s access permission on privatedata in collectionName: %s", access, domain.Collection)
}

// GetPrivate reads committed private data, never this transaction's own
// writes (as GetPrivateData on a peer).
func (t *memTx) GetPrivate(key string) ([]byte, error) {
	if err := t.collectionMember("read"); err != nil {
		return nil, err
	}
	t.trips.Gets++
	t.trips.PrivateKeys = append(t.trips.PrivateKeys, key)
	t.m.mu.Lock()
	defer t.m.mu.Unlock()
	return t.m.private[key], nil
}

func (t *memTx) PutPrivate(key string, value []byte) error {
	if err := t.collectionMember("write"); err != nil {
		return err
	}
	if key == "" || !utf8.ValidString(key) {
		return fmt.Errorf("invalid key [%x]", key)
	}
	if err := t.mayWrite(); err != nil {
		return err
	}
	if _, again := t.privateWrites[key]; again && movesARoot(key) {
		return fmt.Errorf("private key %q written twice in one transaction: the facts' root moves once per transaction (its second move would start from the committed root and lose the first)", key)
	}
	t.trips.Puts++
	t.trips.PrivateKeys = append(t.trips.PrivateKeys, key)
	t.privateWrites[key] = append([]byte(nil), value...)
	return nil
}

// namesNoProvenParty is the rule of the party registry's roots
// (docs/PRIVACY.md): a transaction that checks parties (registered
// products) by proof reads no party (certificate) by its world-state key,
// which its read set would name, unless it writes that record (a
// registration, a change of status).
func (t *memTx) namesNoProvenParty() error {
	for _, id := range t.trips.Proved {
		recordType := domain.RegistryKind(id)
		if recordType == "" {
			continue // asked of no registry: the transaction refuses it
		}
		prefix, _ := domain.CompositeKey(recordType)
		for k := range t.trips.Reads {
			if _, wrote := t.writes[k]; strings.HasPrefix(k, prefix) && !wrote {
				return fmt.Errorf("a transaction that checks a %s by proof read key %q: its read set names it", recordType, k)
			}
		}
	}
	return nil
}

func (t *memTx) Transient(name string) []byte {
	code, isParty := strings.CutPrefix(name, domain.TransientParty(""))
	facts, isFacts := strings.CutPrefix(name, domain.TransientFacts(""))
	if isParty {
		t.trips.Proved = append(t.trips.Proved, code)
	}
	if isFacts {
		t.trips.ProvedFacts = append(t.trips.ProvedFacts, facts)
	}
	if v, ok := t.m.Transient[name]; ok || t.m.Prove == nil || !(isParty || isFacts) {
		return v
	}
	client := &memTx{m: t.m, id: t.id, now: t.now, actor: t.actor, writes: map[string][]byte{}, privateWrites: map[string][]byte{}}
	b, err := t.m.Prove(client, name)
	if err != nil {
		panic(fmt.Sprintf("the fake client's proof %s: %v", name, err))
	}
	return b
}
