// Package prooftest forges proof bundles and block files the ways an
// attacker would, for tests that show the verifier and the audit catch
// each one with its reason.
package prooftest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	"os"
	"strings"
	"time"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/rwset"
	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/rwset/kvrwset"
	"github.com/hyperledger/fabric-protos-go-apiv2/msp"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	"dataledger/chaincode/domain"
	"dataledger/proof"
)

// Tampering is one forgery and what the verifier must say about it.
type Tampering struct {
	Name   string
	Check  string // the check (name prefix) that must fail
	Reason string // a phrase its detail must contain
	Apply  func(*proof.Bundle) error
}

// Tamperings are the forgeries a bundle must not survive. Each is applied
// to a copy of a genuine bundle and verified with its channel's trust
// file.
func Tamperings() []Tampering {
	return []Tampering{
		{"changed document field", "record.content", "differs from the document the block writes", changeDocument},
		{"transaction swapped from another block", "record.orderers", "signature does not verify", swapTx},
		{"flipped validation code", "record.valid", "MVCC_READ_CONFLICT", flipValidation},
		{"removed endorsement", "record.endorsements", "the verifier needs 2", removeEndorsement},
		{"one org endorsing twice", "record.endorsements", "counts once", duplicateEndorsement},
		{"endorsement by a foreign CA", "record.endorsements", "does not chain to", foreignEndorsement},
		{"block signature removed", "record.orderers", "carries no orderer signature", removeBlockSignatures},
		{"roots replaced inside the bundle", "config[0]", "the trust file pins", replaceRoots},
		{"genesis needing zero signatures", "config[0]", "the trust file pins", zeroSignatureGenesis},
		{"a link left out", "links.complete", "missing issuerKey", removeKeyLink},
		{"a link's record shown otherwise", "link[", "differs from what the transaction wrote", reviseLink},
		{"status derived before its records", "links.at", "before", moveAt},
	}
}

// removeKeyLink drops the proof of the issuer key as it stands (every
// credential and certificate rests on its key).
func removeKeyLink(b *proof.Bundle) error {
	for i, l := range b.Links {
		if strings.HasPrefix(l.Key, "\x00issuerKey\x00") {
			b.Links = append(b.Links[:i], b.Links[i+1:]...)
			return nil
		}
	}
	return fmt.Errorf("the bundle proves no issuer key link")
}

// reviseLink shows the document's own record as revoked, the block as it was.
func reviseLink(b *proof.Bundle) error {
	if len(b.Links) == 0 {
		return fmt.Errorf("the bundle has no links")
	}
	var m map[string]any
	if err := json.Unmarshal(b.Links[0].Value, &m); err != nil {
		return err
	}
	m["status"] = "revoked"
	v, err := json.Marshal(m)
	b.Links[0].Value = v
	return err
}

// moveAt claims the status for a day before the bundle's records.
func moveAt(b *proof.Bundle) error {
	at, err := time.Parse(time.RFC3339, b.At)
	if err != nil {
		return err
	}
	b.At = at.AddDate(0, 0, -1).Format(time.RFC3339)
	return nil
}

// Clone deep-copies a bundle.
func Clone(b *proof.Bundle) *proof.Bundle {
	raw, _ := json.Marshal(b)
	var c proof.Bundle
	_ = json.Unmarshal(raw, &c)
	return &c
}

func changeDocument(b *proof.Bundle) error {
	var m map[string]any
	if err := json.Unmarshal(b.Document, &m); err != nil {
		return err
	}
	for _, f := range []string{"productName", "holderName", "scope"} {
		if s, ok := m[f].(string); ok {
			m[f] = s + "（增补）"
			doc, err := json.Marshal(m)
			b.Document = doc
			return err
		}
	}
	return fmt.Errorf("the document has none of the fields to change")
}

// editBlock decodes a block, lets edit change it and, when rehash is set,
// recomputes its data hash (a forger covering their tracks).
func editBlock(raw *[]byte, rehash bool, edit func(*common.Block) error) error {
	blk, err := proof.ParseBlock(*raw)
	if err != nil {
		return err
	}
	if err := edit(blk); err != nil {
		return err
	}
	if rehash {
		blk.Header.DataHash = proof.DataHash(blk.Data)
	}
	*raw, err = proto.Marshal(blk)
	return err
}

func swapTx(b *proof.Bundle) error {
	if b.IssuerKey == nil {
		return fmt.Errorf("no second block in the bundle")
	}
	other, err := proof.ParseBlock(b.IssuerKey.Block)
	if err != nil {
		return err
	}
	return editBlock(&b.Record.Block, true, func(blk *common.Block) error {
		blk.Data.Data[b.Record.TxIndex] = other.Data.Data[b.IssuerKey.TxIndex]
		return nil
	})
}

func flipValidation(b *proof.Bundle) error {
	return editBlock(&b.Record.Block, false, func(blk *common.Block) error {
		blk.Metadata.Metadata[common.BlockMetadataIndex_TRANSACTIONS_FILTER][b.Record.TxIndex] = byte(peer.TxValidationCode_MVCC_READ_CONFLICT)
		return nil
	})
}

func removeBlockSignatures(b *proof.Bundle) error {
	return editBlock(&b.Record.Block, false, func(blk *common.Block) error {
		var md common.Metadata
		if err := proto.Unmarshal(blk.Metadata.Metadata[common.BlockMetadataIndex_SIGNATURES], &md); err != nil {
			return err
		}
		md.Signatures = nil
		raw, err := proto.Marshal(&md)
		blk.Metadata.Metadata[common.BlockMetadataIndex_SIGNATURES] = raw
		return err
	})
}

// editEndorsements rewrites the record transaction's endorsements.
func editEndorsements(b *proof.Bundle, edit func(prp []byte, es []*peer.Endorsement) ([]*peer.Endorsement, error)) error {
	return editBlock(&b.Record.Block, true, func(blk *common.Block) error {
		var env common.Envelope
		var payload common.Payload
		var tx peer.Transaction
		var cap peer.ChaincodeActionPayload
		raw := blk.Data.Data[b.Record.TxIndex]
		if err := proto.Unmarshal(raw, &env); err != nil {
			return err
		}
		if err := proto.Unmarshal(env.Payload, &payload); err != nil {
			return err
		}
		if err := proto.Unmarshal(payload.Data, &tx); err != nil {
			return err
		}
		if err := proto.Unmarshal(tx.Actions[0].Payload, &cap); err != nil {
			return err
		}
		es, err := edit(cap.Action.ProposalResponsePayload, cap.Action.Endorsements)
		if err != nil {
			return err
		}
		cap.Action.Endorsements = es
		if tx.Actions[0].Payload, err = proto.Marshal(&cap); err != nil {
			return err
		}
		if payload.Data, err = proto.Marshal(&tx); err != nil {
			return err
		}
		if env.Payload, err = proto.Marshal(&payload); err != nil {
			return err
		}
		blk.Data.Data[b.Record.TxIndex], err = proto.Marshal(&env)
		return err
	})
}

func removeEndorsement(b *proof.Bundle) error {
	return editEndorsements(b, func(_ []byte, es []*peer.Endorsement) ([]*peer.Endorsement, error) {
		if len(es) < 2 {
			return nil, fmt.Errorf("only %d endorsement(s)", len(es))
		}
		return es[1:], nil
	})
}

// foreignEndorsement replaces an endorsement with a genuine signature by a
// peer certificate of the same MSP ID issued by a CA the channel does not
// know.
func foreignEndorsement(b *proof.Bundle) error {
	return editEndorsements(b, func(prp []byte, es []*peer.Endorsement) ([]*peer.Endorsement, error) {
		var id msp.SerializedIdentity
		if err := proto.Unmarshal(es[0].Endorser, &id); err != nil {
			return nil, err
		}
		ca, caKey, err := NewCA("forged " + id.Mspid + " CA")
		if err != nil {
			return nil, err
		}
		certPEM, key, err := NewLeaf(ca, caKey, "peer0.forged", "peer")
		if err != nil {
			return nil, err
		}
		endorser, err := proto.Marshal(&msp.SerializedIdentity{Mspid: id.Mspid, IdBytes: certPEM})
		if err != nil {
			return nil, err
		}
		h := sha256.Sum256(append(append([]byte(nil), prp...), endorser...))
		sig, err := lowS(key, h[:])
		if err != nil {
			return nil, err
		}
		es[0] = &peer.Endorsement{Endorser: endorser, Signature: sig}
		return es, nil
	})
}

func replaceRoots(b *proof.Bundle) error {
	ca, _, err := NewCA("replacement root")
	if err != nil {
		return err
	}
	rootPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ca.Raw})
	for i := range b.Configs {
		if err := editMSPs(&b.Configs[i].Block, func(fc *msp.FabricMSPConfig) error {
			fc.RootCerts = [][]byte{rootPEM}
			return nil
		}); err != nil {
			return err
		}
	}
	return nil
}

// editMSPs rewrites every MSP of a configuration block (its application
// and orderer organizations) with edit, and re-hashes the block.
func editMSPs(raw *[]byte, edit func(fc *msp.FabricMSPConfig) error) error {
	return EditConfig(raw, func(root *common.ConfigGroup) error {
		for _, section := range []string{"Application", "Orderer"} {
			for _, org := range root.Groups[section].GetGroups() {
				if err := proof.EditMSP(org, edit); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

// EditConfig rewrites the channel group of a configuration block with
// edit and re-hashes the block, as a forger of a configuration would.
func EditConfig(raw *[]byte, edit func(root *common.ConfigGroup) error) error {
	return editBlock(raw, true, func(blk *common.Block) error {
		var env common.Envelope
		var payload common.Payload
		if err := proto.Unmarshal(blk.Data.Data[0], &env); err != nil {
			return err
		}
		if err := proto.Unmarshal(env.Payload, &payload); err != nil {
			return err
		}
		ce, _, err := proof.ConfigEnvelope(blk)
		if err != nil {
			return err
		}
		if err := edit(ce.Config.ChannelGroup); err != nil {
			return err
		}
		if payload.Data, err = proto.Marshal(ce); err != nil {
			return err
		}
		if env.Payload, err = proto.Marshal(&payload); err != nil {
			return err
		}
		blk.Data.Data[0], err = proto.Marshal(&env)
		return err
	})
}

// NoSignatures is a signature policy met by zero signatures: what a
// forged genesis names to make every block and endorsement pass.
func NoSignatures() *common.ConfigPolicy {
	return &common.ConfigPolicy{ModPolicy: "Admins", Policy: &common.Policy{Type: int32(common.Policy_SIGNATURE),
		Value: mustMarshal(&common.SignaturePolicyEnvelope{Rule: &common.SignaturePolicy{Type: &common.SignaturePolicy_NOutOf_{NOutOf: &common.SignaturePolicy_NOutOf{N: 0}}},
			Identities: []*msp.MSPPrincipal{{PrincipalClassification: msp.MSPPrincipal_ROLE, Principal: mustMarshal(&msp.MSPRole{MspIdentifier: "ProvinceMSP", Role: msp.MSPRole_MEMBER})}}})}}
}

// zeroSignatureGenesis: the bundle's genesis says no signature is needed
// to endorse or to sign a block.
func zeroSignatureGenesis(b *proof.Bundle) error {
	return EditConfig(&b.Configs[0].Block, func(root *common.ConfigGroup) error {
		root.Groups["Application"].Policies["Endorsement"] = NoSignatures()
		root.Groups["Orderer"].Policies["BlockValidation"] = NoSignatures()
		return nil
	})
}

// NewCA makes a self-signed P-256 CA.
func NewCA(name string) (*x509.Certificate, *ecdsa.PrivateKey, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-24 * 365 * time.Hour), NotAfter: time.Now().Add(24 * 365 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, err
	}
	cert, err := x509.ParseCertificate(der)
	return cert, key, err
}

// NewLeaf makes a certificate with an OU (a Fabric node role) under ca.
func NewLeaf(ca *x509.Certificate, caKey *ecdsa.PrivateKey, name, ou string) ([]byte, *ecdsa.PrivateKey, error) {
	return NewLeafWithRole(ca, caKey, name, ou, "")
}

// NewLeafWithRole is NewLeaf carrying a dataledger role attribute (as
// Fabric CA writes attributes), when role is not empty.
func NewLeafWithRole(ca *x509.Certificate, caKey *ecdsa.PrivateKey, name, ou, role string) ([]byte, *ecdsa.PrivateKey, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: name, OrganizationalUnit: []string{ou}},
		NotBefore: ca.NotBefore, NotAfter: ca.NotAfter, KeyUsage: x509.KeyUsageDigitalSignature,
	}
	if role != "" {
		attrs, _ := json.Marshal(map[string]map[string]string{"attrs": {domain.RoleAttribute: role}})
		tmpl.ExtraExtensions = []pkix.Extension{{Id: asn1.ObjectIdentifier{1, 2, 3, 4, 5, 6, 7, 8, 1}, Value: attrs}}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		return nil, nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), key, nil
}

// lowS signs a digest with S in the lower half, as Fabric requires.
// SignDigest signs a SHA-256 digest as Fabric identities sign: DER ECDSA
// with a low S.
func SignDigest(key *ecdsa.PrivateKey, digest []byte) ([]byte, error) { return lowS(key, digest) }

func lowS(key *ecdsa.PrivateKey, digest []byte) ([]byte, error) {
	r, s, err := ecdsa.Sign(rand.Reader, key, digest)
	if err != nil {
		return nil, err
	}
	n := key.Curve.Params().N
	if s.Cmp(new(big.Int).Rsh(n, 1)) > 0 {
		s.Sub(n, s)
	}
	return asn1Sig(r, s)
}

// CorruptBlockFile flips one byte in the middle of the first transaction
// of a block inside a copy of a node's block file, leaving the file's
// framing intact (what bit rot or a careless edit does).
func CorruptBlockFile(path string, block uint64) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	off := 0
	for off < len(data) {
		size, n := protowire.ConsumeVarint(data[off:])
		if n < 0 {
			return fmt.Errorf("%s: bad framing at %d", path, off)
		}
		rec := data[off+n : off+n+int(size)]
		num, m := protowire.ConsumeVarint(rec)
		if num == block {
			p := m
			for range 2 { // data hash, previous hash
				_, k := protowire.ConsumeBytes(rec[p:])
				p += k
			}
			_, k := protowire.ConsumeVarint(rec[p:]) // transaction count
			p += k
			tx, k := protowire.ConsumeBytes(rec[p:])
			if k < 0 || len(tx) == 0 {
				return fmt.Errorf("block %d has no transaction to corrupt", block)
			}
			start := p + (k - len(tx))
			rec[start+len(tx)/2] ^= 0x01
			return os.WriteFile(path, data, 0o600)
		}
		off += n + int(size)
	}
	return fmt.Errorf("block %d is not in %s", block, path)
}

func asn1Sig(r, s *big.Int) ([]byte, error) {
	return asn1.Marshal(struct{ R, S *big.Int }{r, s})
}

// RewriteLink changes the record a bundle's link i proves, in the bundle
// and inside its block's transaction alike, and recomputes the block's
// data hash: a forger who rewrites history rather than the bundle's copy.
func RewriteLink(b *proof.Bundle, i int, edit func(map[string]any)) error {
	inc := &b.Links[i]
	if inc.Block == nil {
		return fmt.Errorf("link %d carries no block of its own", i)
	}
	var value []byte
	err := editBlock(&inc.Block, true, func(blk *common.Block) error {
		var env common.Envelope
		var payload common.Payload
		var tx peer.Transaction
		var cap peer.ChaincodeActionPayload
		var prp peer.ProposalResponsePayload
		var action peer.ChaincodeAction
		var rws rwset.TxReadWriteSet
		steps := []struct {
			raw *[]byte
			msg proto.Message
		}{
			{&blk.Data.Data[inc.TxIndex], &env}, {&env.Payload, &payload}, {&payload.Data, &tx},
		}
		for _, s := range steps {
			if err := proto.Unmarshal(*s.raw, s.msg); err != nil {
				return err
			}
		}
		if err := proto.Unmarshal(tx.Actions[0].Payload, &cap); err != nil {
			return err
		}
		if err := proto.Unmarshal(cap.Action.ProposalResponsePayload, &prp); err != nil {
			return err
		}
		if err := proto.Unmarshal(prp.Extension, &action); err != nil {
			return err
		}
		if err := proto.Unmarshal(action.Results, &rws); err != nil {
			return err
		}
		for _, ns := range rws.NsRwset {
			var kv kvrwset.KVRWSet
			if err := proto.Unmarshal(ns.Rwset, &kv); err != nil {
				return err
			}
			for _, w := range kv.Writes {
				if w.Key != inc.Key {
					continue
				}
				var m map[string]any
				if err := json.Unmarshal(w.Value, &m); err != nil {
					return err
				}
				edit(m)
				var err error
				if w.Value, err = json.Marshal(m); err != nil {
					return err
				}
				value = w.Value
			}
			var err error
			if ns.Rwset, err = proto.Marshal(&kv); err != nil {
				return err
			}
		}
		if value == nil {
			return fmt.Errorf("the transaction does not write %q", inc.Key)
		}
		var err error
		for _, step := range []struct {
			out *[]byte
			msg proto.Message
		}{
			{&action.Results, &rws}, {&prp.Extension, &action}, {&cap.Action.ProposalResponsePayload, &prp},
			{&tx.Actions[0].Payload, &cap}, {&payload.Data, &tx}, {&env.Payload, &payload}, {&blk.Data.Data[inc.TxIndex], &env},
		} {
			if *step.out, err = proto.Marshal(step.msg); err != nil {
				return err
			}
		}
		return nil
	})
	inc.Value = value
	return err
}

// duplicateEndorsement replaces the second endorsement by the first: two
// genuine endorsements, one organization.
func duplicateEndorsement(b *proof.Bundle) error {
	return editEndorsements(b, func(_ []byte, es []*peer.Endorsement) ([]*peer.Endorsement, error) {
		if len(es) < 2 {
			return nil, fmt.Errorf("only %d endorsement(s)", len(es))
		}
		es[1] = es[0]
		return es, nil
	})
}
