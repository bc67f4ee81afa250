package proof

import (
	"bytes"
	"crypto/sha256"
	"crypto/x509"
	"encoding/asn1"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hyperledger/fabric-protos-go-apiv2/msp"
	"google.golang.org/protobuf/proto"

	"dataledger/chaincode/domain"
)

// HeadFormat names a witnessed head.
const HeadFormat = "dataledger-head/1"

// A Head says that a channel's chain holds Height blocks and that the
// last of them, block Height-1, has header hash Hash. Each organization's
// gateway signs the heads it read from its own peer, and co-signs another
// organization's head only after finding the same hash in its own peer's
// chain. The province runs every orderer, so it could sign two versions
// of a block and show each to different orgs; two signed heads of one
// channel and height with different hashes are the evidence, and a head
// several organizations signed is a block they all hold. (After C2SP's
// tlog-checkpoint and tlog-witness: a signed statement of a log's size
// and root, co-signed by witnesses that checked it against their own
// view; a Fabric chain's "root" is its last header hash.)
type Head struct {
	Format     string          `json:"format"`
	Channel    string          `json:"channel"`
	Height     uint64          `json:"height"`
	Hash       string          `json:"hash"` // hex SHA-256 of block Height-1's header
	Signatures []HeadSignature `json:"signatures"`
}

// HeadSignature is one organization's signature of a head.
type HeadSignature struct {
	// Signer is the serialized identity (msp.SerializedIdentity) that
	// signed; its certificate is judged at Time under the channel's
	// configuration.
	Signer []byte `json:"signer"`
	// Time is when it signed (RFC 3339, UTC).
	Time string `json:"time"`
	// Signature is ECDSA (low S) over SHA-256 of the head's Statement.
	Signature []byte `json:"signature"`
}

// NewHead is the head of a chain whose last block (number height-1) has
// the given header.
func NewHead(channel string, height uint64, headerHash []byte) *Head {
	return &Head{Format: HeadFormat, Channel: channel, Height: height, Hash: hex.EncodeToString(headerHash)}
}

// Statement is the text a signature covers: the format, channel, height,
// hash and the signer's time, one per line.
func (h *Head) Statement(at string) []byte {
	return []byte(strings.Join([]string{HeadFormat, h.Channel, strconv.FormatUint(h.Height, 10), h.Hash, at}, "\n") + "\n")
}

// Sign adds a signature: creator is the signer's serialized identity,
// sign signs a SHA-256 digest (as Fabric identities sign).
func (h *Head) Sign(creator []byte, sign func(digest []byte) ([]byte, error), at time.Time) error {
	s, err := signStatement(creator, sign, at, func(ts string) ([]byte, error) { return h.Statement(ts), nil })
	if err == nil {
		h.Signatures = append(h.Signatures, s)
	}
	return err
}

// signStatement signs, as a Fabric identity signs (sign: over a SHA-256
// digest), the statement of what is signed at the time at (RFC 3339, UTC,
// the statement's last line).
func signStatement(creator []byte, sign func(digest []byte) ([]byte, error), at time.Time, statement func(ts string) ([]byte, error)) (HeadSignature, error) {
	ts := at.UTC().Format(time.RFC3339)
	st, err := statement(ts)
	if err != nil {
		return HeadSignature{}, err
	}
	d := sha256.Sum256(st)
	sig, err := sign(d[:])
	if err != nil {
		return HeadSignature{}, err
	}
	return HeadSignature{Signer: creator, Time: ts, Signature: sig}, nil
}

// Same tells whether two heads state the same channel, height and hash.
func (h *Head) Same(o *Head) bool {
	return h.Channel == o.Channel && h.Height == o.Height && h.Hash == o.Hash
}

// Merge adds o's signatures by organizations h has none of (o states the
// same head).
func (h *Head) Merge(o *Head) {
	for _, s := range o.Signatures {
		if !slices.ContainsFunc(h.Signatures, func(x HeadSignature) bool { return mspOf(x.Signer) == mspOf(s.Signer) }) {
			h.Signatures = append(h.Signatures, s)
		}
	}
}

// SignedBy tells whether the head carries a signature by an identity of
// the MSP (checked or not).
func (h *Head) SignedBy(mspID string) bool {
	return slices.ContainsFunc(h.Signatures, func(s HeadSignature) bool { return mspOf(s.Signer) == mspID })
}

func mspOf(serialized []byte) string {
	var id msp.SerializedIdentity
	if proto.Unmarshal(serialized, &id) != nil {
		return ""
	}
	return id.Mspid
}

// Witnesses checks every signature of a head under a configuration of
// its channel and answers the organizations that signed it, one each
// (sorted). Each signer is its organization's witness identity (a client
// certificate whose role attribute is witness, issued by the org's CA
// for its gateway) of an application organization of the channel (one
// whose peer holds the chain), not revoked at all, signing no earlier
// than notBefore (the block's time) and not in the future. A signature
// that does not verify or breaks a rule, or a second one by an
// organization, is an error naming it: a head is shown whole or not at all.
func (c *Config) Witnesses(h *Head, tr Trust, notBefore time.Time) ([]string, error) {
	if h.Format != HeadFormat {
		return nil, fmt.Errorf("head format %q, want %q", h.Format, HeadFormat)
	}
	if h.Channel != c.Channel {
		return nil, fmt.Errorf("a head of channel %q, not %q", h.Channel, c.Channel)
	}
	if b, err := hex.DecodeString(h.Hash); err != nil || len(b) != 32 || h.Height == 0 || hex.EncodeToString(b) != h.Hash {
		return nil, fmt.Errorf("head: height %d, hash %q: not a chain's head (a height of at least 1, 64 lower-case hex digits)", h.Height, h.Hash)
	}
	var orgs []string
	for i, s := range h.Signatures {
		at, err := time.Parse(time.RFC3339, s.Time)
		if err != nil {
			return nil, fmt.Errorf("head signature %d: time %q is not RFC 3339", i, s.Time)
		}
		if at.Before(notBefore.Truncate(time.Second)) || at.After(time.Now().Add(5*time.Minute)) {
			return nil, fmt.Errorf("head signature %d: signed at %s, before the block (%s) or in the future", i, s.Time, notBefore.UTC().Format(time.RFC3339))
		}
		signer, err := c.witness(s, h.Statement(s.Time), at, tr)
		if err != nil {
			return nil, fmt.Errorf("head signature %d: %w", i, err)
		}
		if slices.Contains(orgs, signer.MSP) {
			return nil, fmt.Errorf("head signature %d: a second signature by %s", i, signer.MSP)
		}
		orgs = append(orgs, signer.MSP)
	}
	if len(orgs) == 0 {
		return nil, fmt.Errorf("head of height %d carries no signature", h.Height)
	}
	slices.Sort(orgs)
	return orgs, nil
}

// witness verifies a signature of statement, made at, under the
// configuration: its signer must be the witness identity (a client
// certificate whose role attribute is witness, issued by the org's CA
// for its gateway) of an application organization of the channel (one
// whose peer holds the chain), and not revoked at all (the signer
// chooses the time it states).
func (c *Config) witness(s HeadSignature, statement []byte, at time.Time, tr Trust) (Signer, error) {
	tr.strict = true
	signer, err := c.VerifySigned(s.Signer, statement, s.Signature, at, tr)
	if err != nil {
		return Signer{}, err
	}
	if !c.Application[signer.MSP] {
		return Signer{}, fmt.Errorf("%s is not an application organization of channel %s: no peer of it holds the chain", signer.MSP, c.Channel)
	}
	if signer.Role != "client" || RoleOf(signer.Cert) != domain.RoleWitness {
		return Signer{}, fmt.Errorf("%s is not %s's witness identity (a client certificate with %s=%s)", signer.Name(), signer.MSP, domain.RoleAttribute, domain.RoleWitness)
	}
	return signer, nil
}

// CheckHead checks a head against a configuration read from one's own
// peer (not a bundle's), the head's block made at blockTime: what a
// witness does before it believes another organization's signatures.
func CheckHead(h *Head, cfg *Config, blockTime time.Time) ([]string, error) {
	return cfg.Witnesses(h, Trust{}, blockTime)
}

// oidFabricAttrs is the certificate extension Fabric CA writes identity
// attributes to ({"attrs": {...}}).
var oidFabricAttrs = asn1.ObjectIdentifier{1, 2, 3, 4, 5, 6, 7, 8, 1}

// RoleOf is the dataledger role attribute a certificate carries ("" :
// none).
func RoleOf(cert *x509.Certificate) string {
	for _, e := range cert.Extensions {
		if e.Id.Equal(oidFabricAttrs) {
			var v struct {
				Attrs map[string]string `json:"attrs"`
			}
			if json.Unmarshal(e.Value, &v) == nil {
				return v.Attrs[domain.RoleAttribute]
			}
		}
	}
	return ""
}

// HeaderHashHex is a block's header hash as a head states it.
func HeaderHashHex(raw []byte) (string, error) {
	blk, err := ParseBlock(raw)
	if err != nil {
		return "", err
	}
	if !bytes.Equal(DataHash(blk.Data), blk.Header.DataHash) {
		return "", fmt.Errorf("block %d: the header's data hash does not match its data", blk.Header.Number)
	}
	return hex.EncodeToString(HeaderHash(blk.Header)), nil
}
