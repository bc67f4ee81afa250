package domain

import "encoding/json"

// The chaincode's answers and events as clients read them: the contract
// writes these, the gateway, the CLI and the benchmarks decode them.

// Event is the payload of every chaincode event. Fabric keeps one event
// per transaction, so the event lists every record the transaction
// changed; its name is "<recordType>.<action>" of the first, e.g.
// "party.suspend" or "certificate.register" (followed by the application
// it registered).
type Event struct {
	TxID    string    `json:"txId"`
	Channel string    `json:"channel"`
	Time    string    `json:"time"`
	Changes []Changed `json:"changes"`
}

// Changed is one record changed by a transaction.
type Changed struct {
	// RecordType is the kind of record changed ("" for a record with no
	// public view yet).
	RecordType string `json:"recordType,omitempty"`
	Key        string `json:"key"` // "" for a record with no public view yet: KeyHash names it
	// KeyHash is, for a change of a record that has no public view yet,
	// the hex SHA-256 of its state key, as the block's hashed write set
	// names it: a collection member's gateway finds the record with
	// FindPrivateRecord; its kind, action and status are withheld with
	// it (Action is ActionPrivate).
	KeyHash string `json:"keyHash,omitempty"`
	Action  string `json:"action"`
	Status  string `json:"status,omitempty"`
	Version int    `json:"version"`
}

// ActionPrivate is the action of a change to a record that has no public
// view yet, and the name of the event of a transaction whose first change
// is one: neither tells which kind of record, nor which step.
const ActionPrivate = "private"

// HistoryItem is one committed version of a record: the regulators' view.
type HistoryItem struct {
	TxID   string          `json:"txId"`
	Time   string          `json:"time"`
	Record json.RawMessage `json:"record"`
}

// Page is one page of a list, with the bookmark of the next (empty at the end).
type Page[T any] struct {
	Items    []T    `json:"items"`
	Bookmark string `json:"bookmark"`
}

// MaxPageSize bounds every list query.
const MaxPageSize = 200

// MaxBenchLoad bounds one BenchLoad transaction (its write set stays far
// below the orderer's preferred block size).
const MaxBenchLoad = 1000

// CommitReference is where a committed write landed: its chain reference
// (the transaction on its channel) and the block that holds it.
type CommitReference struct {
	ChainReference
	BlockNumber uint64 `json:"blockNumber"`
}
