package prooftest

import (
	"cmp"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	"slices"
	"strings"
	"time"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/rwset"
	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/rwset/kvrwset"
	"github.com/hyperledger/fabric-protos-go-apiv2/msp"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"dataledger/chaincode/domain"
	"dataledger/network"
	"dataledger/proof"
)

// Ledger forges a channel the tests hold every key of: a real genesis
// configuration with each organization's root replaced by a CA of the
// test's, then blocks of one transaction each, submitted, endorsed and
// ordered by identities of those CAs exactly as Fabric lays them out. A
// bundle built from its Peer verifies with its Trust file, so tests can
// prove any records they choose (a terminated agreement, a suspended
// party) with no network.
type Ledger struct {
	Channel, Chaincode string
	// Clock is the timestamp of the last transaction; each new one is a
	// minute later.
	Clock time.Time
	// EndorserRole and BlockSignerRole are the node OUs that endorse and
	// sign blocks ("" : peer and orderer, as on a real network); a hostile
	// test sets them to "client".
	EndorserRole, BlockSignerRole string
	// StaleConfig makes the orderer name the genesis configuration as in
	// force whatever came after it (a hostile test).
	StaleConfig bool
	orgs        map[string]*org
	peer        *Peer
	versions    map[string]*kvrwset.Version
	lastConfig  uint64 // the configuration block in force
}

type org struct {
	ca  *x509.Certificate
	key *ecdsa.PrivateKey
	ids map[string]*signer // by node OU
}

type signer struct {
	serialized []byte
	key        *ecdsa.PrivateKey
	name       string
	cert       *x509.Certificate
}

// NewLedger re-roots a genesis block (every MSP of its configuration gets
// a fresh CA) and starts a channel from it whose clock starts at start.
func NewLedger(genesis []byte, chaincode string, start time.Time) (*Ledger, error) {
	return NewLedgerRevoking(genesis, chaincode, start, nil)
}

// NewLedgerRevoking is NewLedger with identities its configuration's
// revocation lists name: revoked["CityAMSP/peer"] is when that org's peer
// identity was revoked (a CRL signed by the org's CA).
func NewLedgerRevoking(genesis []byte, chaincode string, start time.Time, revoked map[string]time.Time) (*Ledger, error) {
	l := &Ledger{Chaincode: chaincode, Clock: start, orgs: map[string]*org{}, versions: map[string]*kvrwset.Version{}}
	err := editMSPs(&genesis, func(fc *msp.FabricMSPConfig) error {
		o, err := l.org(fc.Name)
		if err != nil {
			return err
		}
		fc.RootCerts = [][]byte{pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: o.ca.Raw})}
		fc.IntermediateCerts = nil
		fc.RevocationList = nil
		var entries []x509.RevocationListEntry
		for who, at := range revoked {
			mspID, ou, _ := strings.Cut(who, "/")
			if mspID != fc.Name {
				continue
			}
			s, err := l.identity(mspID, ou)
			if err != nil {
				return err
			}
			entries = append(entries, x509.RevocationListEntry{SerialNumber: s.cert.SerialNumber, RevocationTime: at})
		}
		if len(entries) > 0 {
			crl, err := x509.CreateRevocationList(rand.Reader, &x509.RevocationList{Number: big.NewInt(1), ThisUpdate: start.Add(-24 * time.Hour),
				NextUpdate: start.Add(365 * 24 * time.Hour), RevokedCertificateEntries: entries}, o.ca, o.key)
			if err != nil {
				return err
			}
			fc.RevocationList = [][]byte{pem.EncodeToMemory(&pem.Block{Type: "X509 CRL", Bytes: crl})}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	blk, err := proof.ParseBlock(genesis)
	if err != nil {
		return nil, err
	}
	cfg, err := proof.ParseConfigBlock(blk)
	if err != nil {
		return nil, err
	}
	l.Channel = cfg.Channel
	if l.peer, err = NewPeer(l.Channel, chaincode, [][]byte{genesis}); err != nil {
		return nil, err
	}
	l.peer.Now = start
	return l, nil
}

// org is an organization's CA, made on first use.
func (l *Ledger) org(mspID string) (*org, error) {
	if o := l.orgs[mspID]; o != nil {
		return o, nil
	}
	ca, key, err := NewCA("ca." + mspID + " (prooftest)")
	if err != nil {
		return nil, err
	}
	o := &org{ca: ca, key: key, ids: map[string]*signer{}}
	l.orgs[mspID] = o
	return o, nil
}

// identity is an organization's node of a role (client, peer, orderer).
func (l *Ledger) identity(mspID, ou string) (*signer, error) {
	o, err := l.org(mspID)
	if err != nil {
		return nil, err
	}
	if s := o.ids[ou]; s != nil {
		return s, nil
	}
	name := ou + "." + mspID
	leafOU, role := ou, ""
	if ou == "witness" { // the org's witness: a client with the witness role attribute
		leafOU, role = "client", domain.RoleWitness
	}
	certPEM, key, err := NewLeafWithRole(o.ca, o.key, name, leafOU, role)
	if err != nil {
		return nil, err
	}
	ser, err := proto.Marshal(&msp.SerializedIdentity{Mspid: mspID, IdBytes: certPEM})
	if err != nil {
		return nil, err
	}
	blk, _ := pem.Decode(certPEM)
	cert, err := x509.ParseCertificate(blk.Bytes)
	if err != nil {
		return nil, err
	}
	s := &signer{serialized: ser, key: key, name: name, cert: cert}
	o.ids[ou] = s
	return s, nil
}

func (s *signer) sign(data []byte) ([]byte, error) {
	h := sha256.Sum256(data)
	return lowS(s.key, h[:])
}

// SignHead signs a head as mspID's identity with node OU ou; ou
// "witness" is the org's witness identity (a client with the witness role
// attribute), the only one whose signature counts.
func (l *Ledger) SignHead(h *proof.Head, mspID, ou string) error {
	creator, sign, err := l.Signer(mspID, ou)
	if err != nil {
		return err
	}
	return h.Sign(creator, sign, l.Clock)
}

// Signer is mspID's identity with node OU ou ("witness": the org's
// witness identity) as a gateway holds it: its serialized identity and a
// signer of SHA-256 digests.
func (l *Ledger) Signer(mspID, ou string) ([]byte, func(digest []byte) ([]byte, error), error) {
	s, err := l.identity(mspID, ou)
	if err != nil {
		return nil, nil, err
	}
	return s.serialized, func(d []byte) ([]byte, error) { return lowS(s.key, d) }, nil
}

// Trust is the trust file that pins the ledger's genesis block.
func (l *Ledger) Trust() *proof.TrustFile {
	tf, err := proof.MakeTrust(l.peer.Block(0))
	if err != nil {
		panic(err) // the ledger's own genesis
	}
	return tf
}

// Peer is a peer that has committed every block of the ledger.
func (l *Ledger) Peer() *Peer { return l.peer }

// Tx is a transaction being built: its ID and time are fixed when it is
// begun, so records can name them (a certificate its 区块链编号).
type Tx struct {
	ID     string
	Time   time.Time
	Actor  domain.Actor
	fn     string
	args   []string
	nonce  []byte
	client *signer
	reads  []*kvrwset.KVRead
	writes []*kvrwset.KVWrite
	hashed []*kvrwset.KVWriteHash // to the private data collection
	l      *Ledger
	// Private are the collection's writes, as the endorsers held them
	// (the block keeps their hashes).
	Private map[string][]byte
}

// Begin starts a transaction invoking fn, submitted by a client of mspID
// acting in role.
func (l *Ledger) Begin(mspID, role, fn string, args ...string) (*Tx, error) {
	c, err := l.identity(mspID, "client")
	if err != nil {
		return nil, err
	}
	nonce := make([]byte, 24)
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	id := sha256.Sum256(append(slices.Clone(nonce), c.serialized...))
	l.Clock = l.Clock.Add(time.Minute)
	return &Tx{ID: hex.EncodeToString(id[:]), Time: l.Clock, Actor: domain.Actor{MSP: mspID, Role: role, ID: role + "@" + mspID},
		fn: fn, args: args, nonce: nonce, client: c, l: l}, nil
}

// Change is the stamp a record written by this transaction carries.
func (t *Tx) Change(action, reason string) domain.Change {
	return domain.Change{TxID: t.ID, Time: t.Time.UTC().Format(time.RFC3339Nano), Actor: t.Actor, Action: action, Reason: reason}
}

// Read records a read of a record at the version the ledger holds.
func (t *Tx) Read(recordType, number string) error {
	k, err := domain.CompositeKey(recordType, number)
	if err != nil {
		return err
	}
	t.reads = append(t.reads, &kvrwset.KVRead{Key: k, Version: t.l.versions[k]})
	return nil
}

// Put writes a record as JSON.
func (t *Tx) Put(recordType, number string, v any) error {
	k, err := domain.CompositeKey(recordType, number)
	if err != nil {
		return err
	}
	raw, err := json.Marshal(v)
	if err != nil {
		return err
	}
	t.writes = append(t.writes, &kvrwset.KVWrite{Key: k, Value: raw})
	return nil
}

// PutPrivate writes value to a record's key of the channel's private data
// collection: the block keeps SHA-256 of key and value.
func (t *Tx) PutPrivate(recordType, number string, value []byte) error {
	k, err := domain.CompositeKey(recordType, number)
	if err != nil {
		return err
	}
	t.PutPrivateKey(k, value)
	return nil
}

// PutPrivateKey writes value at a composite key of the collection (an
// index's, a change's words).
func (t *Tx) PutPrivateKey(k string, value []byte) {
	kh, vh := sha256.Sum256([]byte(k)), sha256.Sum256(value)
	t.hashed = append(t.hashed, &kvrwset.KVWriteHash{KeyHash: kh[:], ValueHash: vh[:]})
	if t.Private == nil {
		t.Private = map[string][]byte{}
	}
	t.Private[k] = value
}

// Commit endorses the transaction by a peer of each of endorsers, orders
// it in a block of its own signed by ordererMSP's orderer, and commits the
// block.
func (t *Tx) Commit(ordererMSP string, endorsers ...string) ([]byte, error) {
	l := t.l
	kv, err := proto.Marshal(&kvrwset.KVRWSet{Reads: t.reads, Writes: t.writes})
	if err != nil {
		return nil, err
	}
	ns := &rwset.NsReadWriteSet{Namespace: l.Chaincode, Rwset: kv}
	if len(t.hashed) > 0 {
		ns.CollectionHashedRwset = []*rwset.CollectionHashedReadWriteSet{{CollectionName: domain.Collection,
			HashedRwset: mustMarshal(&kvrwset.HashedRWSet{HashedWrites: t.hashed})}}
	}
	results, err := proto.Marshal(&rwset.TxReadWriteSet{DataModel: rwset.TxReadWriteSet_KV, NsRwset: []*rwset.NsReadWriteSet{ns}})
	if err != nil {
		return nil, err
	}
	ccID := &peer.ChaincodeID{Name: l.Chaincode, Version: "1"}
	action, err := proto.Marshal(&peer.ChaincodeAction{Results: results, Response: &peer.Response{Status: 200}, ChaincodeId: ccID})
	if err != nil {
		return nil, err
	}
	args := [][]byte{[]byte(t.fn)}
	for _, a := range t.args {
		args = append(args, []byte(a))
	}
	input, err := proto.Marshal(&peer.ChaincodeInvocationSpec{ChaincodeSpec: &peer.ChaincodeSpec{ChaincodeId: ccID, Input: &peer.ChaincodeInput{Args: args}}})
	if err != nil {
		return nil, err
	}
	ccpp, err := proto.Marshal(&peer.ChaincodeProposalPayload{Input: input})
	if err != nil {
		return nil, err
	}
	chHeader, err := proto.Marshal(&common.ChannelHeader{Type: int32(common.HeaderType_ENDORSER_TRANSACTION), ChannelId: l.Channel, TxId: t.ID,
		Timestamp: timestamppb.New(t.Time), Extension: mustMarshal(&peer.ChaincodeHeaderExtension{ChaincodeId: ccID})})
	if err != nil {
		return nil, err
	}
	sigHeader, err := proto.Marshal(&common.SignatureHeader{Creator: t.client.serialized, Nonce: t.nonce})
	if err != nil {
		return nil, err
	}
	proposalHash := sha256.Sum256(slices.Concat(chHeader, sigHeader, ccpp))
	prp, err := proto.Marshal(&peer.ProposalResponsePayload{ProposalHash: proposalHash[:], Extension: action})
	if err != nil {
		return nil, err
	}
	var endorsements []*peer.Endorsement
	for _, m := range endorsers {
		p, err := l.identity(m, cmp.Or(l.EndorserRole, "peer"))
		if err != nil {
			return nil, err
		}
		sig, err := p.sign(slices.Concat(prp, p.serialized))
		if err != nil {
			return nil, err
		}
		endorsements = append(endorsements, &peer.Endorsement{Endorser: p.serialized, Signature: sig})
	}
	cap, err := proto.Marshal(&peer.ChaincodeActionPayload{ChaincodeProposalPayload: ccpp,
		Action: &peer.ChaincodeEndorsedAction{ProposalResponsePayload: prp, Endorsements: endorsements}})
	if err != nil {
		return nil, err
	}
	txBytes, err := proto.Marshal(&peer.Transaction{Actions: []*peer.TransactionAction{{Header: sigHeader, Payload: cap}}})
	if err != nil {
		return nil, err
	}
	payload, err := proto.Marshal(&common.Payload{Header: &common.Header{ChannelHeader: chHeader, SignatureHeader: sigHeader}, Data: txBytes})
	if err != nil {
		return nil, err
	}
	sig, err := t.client.sign(payload)
	if err != nil {
		return nil, err
	}
	env, err := proto.Marshal(&common.Envelope{Payload: payload, Signature: sig})
	if err != nil {
		return nil, err
	}
	raw, err := l.order(ordererMSP, env)
	if err != nil {
		return nil, err
	}
	if err := l.peer.Commit(raw); err != nil {
		return nil, err
	}
	n := uint64(l.peer.Height() - 1)
	for _, w := range t.writes {
		l.versions[w.Key] = &kvrwset.Version{BlockNum: n, TxNum: 0}
	}
	return raw, nil
}

// order makes the next block of one transaction, marked VALID, naming the
// configuration in force, signed by ordererMSP's orderer.
func (l *Ledger) order(ordererMSP string, env []byte) ([]byte, error) {
	if l.StaleConfig {
		return l.orderAs(ordererMSP, env, 0)
	}
	return l.orderAs(ordererMSP, env, l.lastConfig)
}

// Replay orders, as the next configuration, the configuration and the
// signed update an earlier configuration block holds: what an orderer
// could do with an update the admins signed before.
func (l *Ledger) Replay(ordererMSP string, earlier []byte) ([]byte, error) {
	blk, err := proof.ParseBlock(earlier)
	if err != nil {
		return nil, err
	}
	ce, _, err := proof.ConfigEnvelope(blk)
	if err != nil {
		return nil, err
	}
	cur, err := l.Config()
	if err != nil {
		return nil, err
	}
	ce.Config.Sequence = cur.Sequence + 1
	l.Clock = l.Clock.Add(time.Minute)
	return l.orderConfig(ordererMSP, ce)
}

// orderConfig orders a configuration block holding ce, signed (block and
// envelope) by ordererMSP's orderer, and makes it the configuration in
// force.
func (l *Ledger) orderConfig(ordererMSP string, ce *common.ConfigEnvelope) ([]byte, error) {
	o, err := l.identity(ordererMSP, cmp.Or(l.BlockSignerRole, "orderer"))
	if err != nil {
		return nil, err
	}
	nonce := make([]byte, 24)
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	chHeader := mustMarshal(&common.ChannelHeader{Type: int32(common.HeaderType_CONFIG), ChannelId: l.Channel, Timestamp: timestamppb.New(l.Clock)})
	sigHeader := mustMarshal(&common.SignatureHeader{Creator: o.serialized, Nonce: nonce})
	payload := mustMarshal(&common.Payload{Header: &common.Header{ChannelHeader: chHeader, SignatureHeader: sigHeader}, Data: mustMarshal(ce)})
	sig, err := o.sign(payload)
	if err != nil {
		return nil, err
	}
	n := uint64(l.peer.Height())
	raw, err := l.orderAs(ordererMSP, mustMarshal(&common.Envelope{Payload: payload, Signature: sig}), n)
	if err != nil {
		return nil, err
	}
	if err := l.peer.Commit(raw); err != nil {
		return nil, err
	}
	l.lastConfig = n
	return raw, nil
}

func (l *Ledger) orderAs(ordererMSP string, env []byte, lastConfig uint64) ([]byte, error) {
	o, err := l.identity(ordererMSP, cmp.Or(l.BlockSignerRole, "orderer"))
	if err != nil {
		return nil, err
	}
	prev, err := proof.ParseBlock(l.peer.Block(uint64(l.peer.Height() - 1)))
	if err != nil {
		return nil, err
	}
	data := &common.BlockData{Data: [][]byte{env}}
	header := &common.BlockHeader{Number: prev.Header.Number + 1, PreviousHash: proof.HeaderHash(prev.Header), DataHash: proof.DataHash(data)}
	value, err := proto.Marshal(&common.OrdererBlockMetadata{LastConfig: &common.LastConfig{Index: lastConfig}})
	if err != nil {
		return nil, err
	}
	nonce := make([]byte, 24)
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	sh, err := proto.Marshal(&common.SignatureHeader{Creator: o.serialized, Nonce: nonce})
	if err != nil {
		return nil, err
	}
	sig, err := o.sign(slices.Concat(value, sh, proof.HeaderBytes(header)))
	if err != nil {
		return nil, err
	}
	sigs, err := proto.Marshal(&common.Metadata{Value: value, Signatures: []*common.MetadataSignature{{SignatureHeader: sh, Signature: sig}}})
	if err != nil {
		return nil, err
	}
	md := make([][]byte, len(common.BlockMetadataIndex_name))
	md[common.BlockMetadataIndex_SIGNATURES] = sigs
	md[common.BlockMetadataIndex_TRANSACTIONS_FILTER] = []byte{byte(peer.TxValidationCode_VALID)}
	return proto.Marshal(&common.Block{Header: header, Data: data, Metadata: &common.BlockMetadata{Metadata: md}})
}

// Config is the channel configuration in force, a copy.
func (l *Ledger) Config() (*common.Config, error) {
	blk, err := proof.ParseBlock(l.peer.Block(l.lastConfig))
	if err != nil {
		return nil, err
	}
	ce, _, err := proof.ConfigEnvelope(blk)
	if err != nil {
		return nil, err
	}
	return ce.Config, nil
}

// Reconfigure orders a configuration block as Fabric makes one from a
// configuration update: edit changes a copy of the configuration in
// force; the update is computed as operators compute it (read and write
// sets, network.ComputeUpdate) and the new configuration is the old one
// with the write set applied, as the orderers apply it; each of
// signers ("CityAMSP/admin": an org and a node OU) signs the update;
// ordererMSP's orderer signs the block, which then is the configuration
// in force. rewrite, when set, changes the configuration the block
// holds after the update was signed (an orderer's forgery).
func (l *Ledger) Reconfigure(ordererMSP string, edit func(*common.ConfigGroup) error, rewrite func(*common.ConfigGroup), signers ...string) ([]byte, error) {
	cur, err := l.Config()
	if err != nil {
		return nil, err
	}
	next := proto.Clone(cur).(*common.Config)
	next.Sequence++
	if err := edit(next.ChannelGroup); err != nil {
		return nil, err
	}
	rs, ws, changed := network.ComputeUpdate(cur.ChannelGroup, next.ChannelGroup)
	if !changed {
		return nil, fmt.Errorf("the edit changes nothing")
	}
	applyUpdate(next.ChannelGroup, cur.ChannelGroup, ws)
	cu, err := proto.Marshal(&common.ConfigUpdate{ChannelId: l.Channel, ReadSet: rs, WriteSet: ws})
	if err != nil {
		return nil, err
	}
	cue := &common.ConfigUpdateEnvelope{ConfigUpdate: cu}
	for _, who := range signers {
		mspID, ou, _ := strings.Cut(who, "/")
		s, err := l.identity(mspID, ou)
		if err != nil {
			return nil, err
		}
		nonce := make([]byte, 24)
		if _, err := rand.Read(nonce); err != nil {
			return nil, err
		}
		sh := mustMarshal(&common.SignatureHeader{Creator: s.serialized, Nonce: nonce})
		sig, err := s.sign(slices.Concat(sh, cu))
		if err != nil {
			return nil, err
		}
		cue.Signatures = append(cue.Signatures, &common.ConfigSignature{SignatureHeader: sh, Signature: sig})
	}
	l.Clock = l.Clock.Add(time.Minute)
	updHeader := mustMarshal(&common.ChannelHeader{Type: int32(common.HeaderType_CONFIG_UPDATE), ChannelId: l.Channel, Timestamp: timestamppb.New(l.Clock)})
	update := &common.Envelope{Payload: mustMarshal(&common.Payload{Header: &common.Header{ChannelHeader: updHeader}, Data: mustMarshal(cue)})}
	if rewrite != nil {
		rewrite(next.ChannelGroup)
	}
	return l.orderConfig(ordererMSP, &common.ConfigEnvelope{Config: next, LastUpdate: update})
}

// applyUpdate makes dst (the edited configuration) what the orderers make
// of cur and a write set: an element written at a new version is taken
// from the write set; an element written by version only is cur's.
func applyUpdate(dst, cur, ws *common.ConfigGroup) {
	if ws == nil {
		return
	}
	if ws.Version != cur.GetVersion() || ws.ModPolicy != "" {
		dst.Version, dst.ModPolicy = ws.Version, ws.ModPolicy
	}
	for k, v := range ws.Values {
		if v.ModPolicy != "" || v.Value != nil {
			dst.Values[k] = v
		}
	}
	for k, p := range ws.Policies {
		if p.Policy != nil {
			dst.Policies[k] = p
		}
	}
	for k, g := range ws.Groups {
		if c, ok := cur.GetGroups()[k]; ok {
			applyUpdate(dst.Groups[k], c, g)
		} else {
			dst.Groups[k] = g
		}
	}
}

func mustMarshal(m proto.Message) []byte {
	b, err := proto.Marshal(m)
	if err != nil {
		panic(fmt.Sprintf("prooftest: %v", err))
	}
	return b
}
