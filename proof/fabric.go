package proof

import (
	"bytes"
	"crypto/sha256"
	"encoding/asn1"
	"encoding/hex"
	"fmt"
	"math/big"
	"time"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/rwset"
	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/rwset/kvrwset"
	"github.com/hyperledger/fabric-protos-go-apiv2/msp"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/protobuf/proto"
)

// What a Fabric 2.5 block is made of, parsed as far as a proof needs. The
// byte layouts follow Fabric's protoutil (block header = DER of number,
// previous hash, data hash; data hash = SHA-256 of the concatenated
// envelopes; orderer signature over metadata value ‖ signature header ‖
// header bytes).

// HeaderBytes is the DER encoding of a block header that block hashes
// and orderer signatures cover.
func HeaderBytes(h *common.BlockHeader) []byte {
	b, err := asn1.Marshal(struct {
		Number       *big.Int
		PreviousHash []byte
		DataHash     []byte
	}{new(big.Int).SetUint64(h.GetNumber()), h.GetPreviousHash(), h.GetDataHash()})
	if err != nil {
		panic(err) // only encodable types
	}
	return b
}

// HeaderHash is the hash the next block's header names as previous.
func HeaderHash(h *common.BlockHeader) []byte {
	s := sha256.Sum256(HeaderBytes(h))
	return s[:]
}

// DataHash is the hash a block header must carry for its data.
func DataHash(d *common.BlockData) []byte {
	s := sha256.Sum256(bytes.Join(d.GetData(), nil))
	return s[:]
}

// ParseBlock decodes a serialized block.
func ParseBlock(raw []byte) (*common.Block, error) {
	var b common.Block
	if err := proto.Unmarshal(raw, &b); err != nil {
		return nil, fmt.Errorf("not a Fabric block: %w", err)
	}
	if b.Header == nil || b.Data == nil || b.Metadata == nil {
		return nil, fmt.Errorf("not a Fabric block: header, data or metadata missing")
	}
	return &b, nil
}

// ordererMetadata is the orderers' signed metadata of a block.
func ordererMetadata(b *common.Block) (*common.Metadata, *common.OrdererBlockMetadata, error) {
	md := b.GetMetadata().GetMetadata()
	if len(md) <= int(common.BlockMetadataIndex_SIGNATURES) {
		return nil, nil, fmt.Errorf("block %d has no signatures metadata", b.GetHeader().GetNumber())
	}
	var m common.Metadata
	if err := proto.Unmarshal(md[common.BlockMetadataIndex_SIGNATURES], &m); err != nil {
		return nil, nil, fmt.Errorf("block %d: signatures metadata: %w", b.GetHeader().GetNumber(), err)
	}
	var obm common.OrdererBlockMetadata
	if len(m.Value) > 0 {
		if err := proto.Unmarshal(m.Value, &obm); err != nil {
			return nil, nil, fmt.Errorf("block %d: orderer block metadata: %w", b.GetHeader().GetNumber(), err)
		}
	}
	return &m, &obm, nil
}

// LastConfig is the number of the configuration block in force for a
// block, as the orderers signed it.
func LastConfig(b *common.Block) (uint64, error) {
	_, obm, err := ordererMetadata(b)
	if err != nil {
		return 0, err
	}
	if obm.GetLastConfig() == nil {
		if b.GetHeader().GetNumber() == 0 {
			return 0, nil
		}
		return 0, fmt.Errorf("block %d names no last configuration block", b.GetHeader().GetNumber())
	}
	return obm.GetLastConfig().GetIndex(), nil
}

// ValidationCode is what the committing peer recorded for a transaction
// in the block's transactions filter.
func ValidationCode(b *common.Block, i int) (peer.TxValidationCode, bool) {
	md := b.GetMetadata().GetMetadata()
	if len(md) <= int(common.BlockMetadataIndex_TRANSACTIONS_FILTER) {
		return 0, false
	}
	f := md[common.BlockMetadataIndex_TRANSACTIONS_FILTER]
	if i < 0 || i >= len(f) {
		return 0, false
	}
	return peer.TxValidationCode(f[i]), true
}

// Tx is one transaction of a block.
type Tx struct {
	Index     int
	TxID      string
	Channel   string
	Type      common.HeaderType
	Timestamp time.Time
	Creator   *msp.SerializedIdentity
	creator   []byte
	nonce     []byte
	Envelope  *common.Envelope

	// Endorser transactions only.
	Action    *peer.ChaincodeEndorsedAction
	Response  *peer.ProposalResponsePayload
	Chaincode *peer.ChaincodeAction
	Input     [][]byte // chaincode function and arguments
	nsRWSets  map[string]*kvrwset.KVRWSet
	// hashed are the private data collections' hashed write sets, by
	// namespace and collection: all a block keeps of private data.
	hashed map[string]map[string]*kvrwset.HashedRWSet
}

// ParseTx decodes the i-th envelope of a block.
func ParseTx(b *common.Block, i int) (*Tx, error) {
	data := b.GetData().GetData()
	if i < 0 || i >= len(data) {
		return nil, fmt.Errorf("block %d has no transaction %d (it has %d)", b.GetHeader().GetNumber(), i, len(data))
	}
	t := &Tx{Index: i, Envelope: &common.Envelope{}}
	if err := proto.Unmarshal(data[i], t.Envelope); err != nil {
		return nil, fmt.Errorf("transaction %d: envelope: %w", i, err)
	}
	var payload common.Payload
	if err := proto.Unmarshal(t.Envelope.Payload, &payload); err != nil {
		return nil, fmt.Errorf("transaction %d: payload: %w", i, err)
	}
	var ch common.ChannelHeader
	if err := proto.Unmarshal(payload.GetHeader().GetChannelHeader(), &ch); err != nil {
		return nil, fmt.Errorf("transaction %d: channel header: %w", i, err)
	}
	var sh common.SignatureHeader
	if err := proto.Unmarshal(payload.GetHeader().GetSignatureHeader(), &sh); err != nil {
		return nil, fmt.Errorf("transaction %d: signature header: %w", i, err)
	}
	t.TxID, t.Channel, t.Type = ch.TxId, ch.ChannelId, common.HeaderType(ch.Type)
	t.Timestamp = ch.GetTimestamp().AsTime()
	t.creator, t.nonce = sh.Creator, sh.Nonce
	t.Creator = &msp.SerializedIdentity{}
	if err := proto.Unmarshal(sh.Creator, t.Creator); err != nil {
		return nil, fmt.Errorf("transaction %d: creator: %w", i, err)
	}
	if t.Type != common.HeaderType_ENDORSER_TRANSACTION {
		return t, nil
	}
	var tx peer.Transaction
	if err := proto.Unmarshal(payload.Data, &tx); err != nil {
		return nil, fmt.Errorf("transaction %d: %w", i, err)
	}
	if len(tx.Actions) != 1 {
		return nil, fmt.Errorf("transaction %d has %d actions, a chaincode transaction has one", i, len(tx.Actions))
	}
	var cap peer.ChaincodeActionPayload
	if err := proto.Unmarshal(tx.Actions[0].Payload, &cap); err != nil {
		return nil, fmt.Errorf("transaction %d: action payload: %w", i, err)
	}
	t.Action = cap.Action
	var cpp peer.ChaincodeProposalPayload
	if err := proto.Unmarshal(cap.ChaincodeProposalPayload, &cpp); err == nil {
		var spec peer.ChaincodeInvocationSpec
		if proto.Unmarshal(cpp.Input, &spec) == nil {
			t.Input = spec.GetChaincodeSpec().GetInput().GetArgs()
		}
	}
	t.Response = &peer.ProposalResponsePayload{}
	if err := proto.Unmarshal(cap.GetAction().GetProposalResponsePayload(), t.Response); err != nil {
		return nil, fmt.Errorf("transaction %d: proposal response: %w", i, err)
	}
	t.Chaincode = &peer.ChaincodeAction{}
	if err := proto.Unmarshal(t.Response.Extension, t.Chaincode); err != nil {
		return nil, fmt.Errorf("transaction %d: chaincode action: %w", i, err)
	}
	var rws rwset.TxReadWriteSet
	if err := proto.Unmarshal(t.Chaincode.Results, &rws); err != nil {
		return nil, fmt.Errorf("transaction %d: read-write set: %w", i, err)
	}
	t.nsRWSets = map[string]*kvrwset.KVRWSet{}
	for _, ns := range rws.NsRwset {
		var kv kvrwset.KVRWSet
		if err := proto.Unmarshal(ns.Rwset, &kv); err != nil {
			return nil, fmt.Errorf("transaction %d: namespace %s: %w", i, ns.Namespace, err)
		}
		t.nsRWSets[ns.Namespace] = &kv
		for _, coll := range ns.CollectionHashedRwset {
			var h kvrwset.HashedRWSet
			if err := proto.Unmarshal(coll.HashedRwset, &h); err != nil {
				return nil, fmt.Errorf("transaction %d: collection %s/%s: %w", i, ns.Namespace, coll.CollectionName, err)
			}
			if t.hashed == nil {
				t.hashed = map[string]map[string]*kvrwset.HashedRWSet{}
			}
			if t.hashed[ns.Namespace] == nil {
				t.hashed[ns.Namespace] = map[string]*kvrwset.HashedRWSet{}
			}
			t.hashed[ns.Namespace][coll.CollectionName] = &h
		}
	}
	return t, nil
}

// WritesPrivate tells whether the transaction wrote to a private data
// collection of the namespace (its block keeps the hashes).
func (t *Tx) WritesPrivate(ns string) bool {
	for _, h := range t.hashed[ns] {
		if len(h.GetHashedWrites()) > 0 {
			return true
		}
	}
	return false
}

// PrivateWrite is the hash of the value a transaction wrote to key of a
// private data collection: a block keeps SHA-256 of the key and of the
// value, never either.
func (t *Tx) PrivateWrite(ns, collection, key string) (valueHash []byte, ok bool) {
	kh := sha256.Sum256([]byte(key))
	for _, w := range t.hashed[ns][collection].GetHashedWrites() {
		if bytes.Equal(w.KeyHash, kh[:]) && !w.IsDelete {
			return w.ValueHash, true
		}
	}
	return nil, false
}

// PrivateTouches tells whether the transaction read or wrote key of a
// private data collection (the block keeps the key's SHA-256).
func (t *Tx) PrivateTouches(ns, collection, key string) bool {
	kh := sha256.Sum256([]byte(key))
	set := t.hashed[ns][collection]
	for _, r := range set.GetHashedReads() {
		if bytes.Equal(r.KeyHash, kh[:]) {
			return true
		}
	}
	for _, w := range set.GetHashedWrites() {
		if bytes.Equal(w.KeyHash, kh[:]) {
			return true
		}
	}
	return false
}

// ComputedTxID is what the transaction ID must be: hex SHA-256 of the
// nonce and the creator.
func (t *Tx) ComputedTxID() string {
	s := sha256.Sum256(append(append([]byte(nil), t.nonce...), t.creator...))
	return hex.EncodeToString(s[:])
}

// writes tells whether the transaction writes key to the world state.
func (t *Tx) writes(ns, key string) bool { _, _, ok := t.Write(ns, key); return ok }

// Write is the value a transaction wrote to a key of a namespace.
func (t *Tx) Write(ns, key string) (value []byte, deleted, ok bool) {
	for _, w := range t.nsRWSets[ns].GetWrites() {
		if w.Key == key {
			return w.Value, w.IsDelete, true
		}
	}
	return nil, false, false
}

// Writes are every key a transaction wrote in a namespace, in order.
func (t *Tx) Writes(ns string) []*kvrwset.KVWrite {
	return t.nsRWSets[ns].GetWrites()
}

// Read is the version of a key a transaction read (nil version: the key
// did not exist).
func (t *Tx) Read(ns, key string) (*kvrwset.Version, bool) {
	for _, r := range t.nsRWSets[ns].GetReads() {
		if r.Key == key {
			return r.Version, true
		}
	}
	return nil, false
}

// ReadSet is the world-state keys the transaction read, by namespace:
// its read set keeps them in clear.
func (t *Tx) ReadSet() map[string][]string {
	out := map[string][]string{}
	for ns, kv := range t.nsRWSets {
		for _, r := range kv.GetReads() {
			out[ns] = append(out[ns], r.Key)
		}
	}
	return out
}

// reads and writes of every namespace, for the intra-block MVCC check.
func (t *Tx) readKeys() map[string]bool {
	m := map[string]bool{}
	for ns, kv := range t.nsRWSets {
		for _, r := range kv.GetReads() {
			m[ns+"\x01"+r.Key] = true
		}
	}
	return m
}

func (t *Tx) writeKeys() []string {
	var out []string
	for ns, kv := range t.nsRWSets {
		for _, w := range kv.GetWrites() {
			out = append(out, ns+"\x01"+w.Key)
		}
	}
	return out
}

// Function is the chaincode function the transaction invoked.
func (t *Tx) Function() string {
	if len(t.Input) == 0 {
		return ""
	}
	return string(t.Input[0])
}

// blockTime is when a block's first transaction was created: the time its
// signers' certificates are judged at (now, if it has none readable).
// BlockTime is a block's time: its first transaction's timestamp (now,
// for a block whose first transaction cannot be read).
func BlockTime(b *common.Block) time.Time { return blockTime(b) }

func blockTime(b *common.Block) time.Time {
	if t, err := ParseTx(b, 0); err == nil {
		return t.Timestamp
	}
	return time.Now()
}
