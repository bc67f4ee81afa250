// Package store is the chaincode's narrow view of the ledger: the few stub
// calls the contract needs, behind one interface, so the same contract code
// runs on Fabric (Stub) and in unit tests (Memory).
package store

import (
	"time"

	"dataledger/chaincode/domain"
)

// KV is one state entry.
type KV struct {
	Key   string
	Value []byte
}

// HistoryEntry is one committed version of a key.
type HistoryEntry struct {
	TxID     string    `json:"txId"`
	Time     time.Time `json:"time"`
	IsDelete bool      `json:"isDelete"`
	Value    []byte    `json:"-"`
}

// Store is one transaction's access to the ledger.
type Store interface {
	Get(key string) ([]byte, error)
	Put(key string, value []byte) error
	// Key builds a composite key (objectType + attributes).
	Key(objectType string, attrs ...string) (string, error)
	// Page lists composite keys under objectType+attrs in key order.
	Page(objectType string, attrs []string, pageSize int32, bookmark string) (items []KV, next string, err error)
	History(key string) ([]HistoryEntry, error)
	TxID() string
	Channel() string
	// Now is the transaction timestamp, never the wall clock.
	Now() (time.Time, error)
	Caller() (domain.Actor, error)
	Emit(name string, payload []byte) error
	// GetPrivate reads a key of the channel's private data collection
	// (domain.Collection); PutPrivate writes one, of which the block keeps
	// only hashes. As with Get, a read sees committed data, never this
	// transaction's own writes.
	GetPrivate(key string) ([]byte, error)
	PutPrivate(key string, value []byte) error
	// PrivateRange reads every key of the collection under objectType
	// and attrs (a partial composite key), in key order. As on a peer,
	// only in a transaction that writes nothing (a query): a write
	// refuses it, and it refuses a later write. A peer answers at most
	// its ledger.state.totalQueryLimit keys, silently: keep ranges below.
	PrivateRange(objectType string, attrs ...string) ([]KV, error)
	// Transient is an entry of the proposal's transient map (nil when
	// absent): private inputs, which no block keeps.
	Transient(name string) []byte
}
