// Package index is the supervision index: a PostgreSQL copy of every
// channel's records, fed by the block stream of the regulator's own peer,
// for the searches, lists and exports regulators need and the peers cannot
// answer (LevelDB, composite-key ranges only).
//
// Nothing is stored before its block passed the chain audit
// (proof.Auditor: previous hash, data hash, orderer signatures under the
// configuration in force). Each block's rows and the audit checkpoint after
// it are written in one database transaction, so an index killed at any
// moment resumes from its checkpoint with no duplicate and no gap, and a
// re-run from genesis writes the same tables. Every answer states the
// block height it is true at, and every row names the transaction of each
// of its versions, so an answer can be re-verified against the chain with
// the record's proof bundle.
//
// Blocks are parsed, their records read and their signatures checked
// ahead of their turn on every core (follow.go, proof.SignatureChecker);
// the audit and the storing still take them one by one, in order, and
// take a signature result only for the block and configuration it was
// made under.
//
// Files: rows.go reads a record into the columns searches filter on (one
// function per record kind); blocks.go decodes a block's valid writes;
// store.go writes them; follow.go follows channels; search.go (searches,
// snapshots, histories), export.go and summary.go answer. indextest gives
// tests an index of a real chain.
package index
