package proof

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hyperledger/fabric-protos-go-apiv2/msp"
	"google.golang.org/protobuf/proto"
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
	ts := at.UTC().Format(time.RFC3339)
	d := sha256.Sum256(h.Statement(ts))
	sig, err := sign(d[:])
	if err != nil {
		return err
	}
	h.Signatures = append(h.Signatures, HeadSignature{Signer: creator, Time: ts, Signature: sig})
	return nil
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

func mspOf(serialized []byte) string {
	var id msp.SerializedIdentity
	if proto.Unmarshal(serialized, &id) != nil {
		return ""
	}
	return id.Mspid
}

// Witnesses checks every signature of a head under a configuration of
// its channel and answers the organizations that signed it, one each
// (sorted). A signature that does not verify, by an identity that is not
// of an organization of the channel, or a second one by an organization,
// is an error naming it: a head is shown whole or not at all.
func (c *Config) Witnesses(h *Head, tr Trust) ([]string, error) {
	if h.Format != HeadFormat {
		return nil, fmt.Errorf("head format %q, want %q", h.Format, HeadFormat)
	}
	if h.Channel != c.Channel {
		return nil, fmt.Errorf("a head of channel %q, not %q", h.Channel, c.Channel)
	}
	if b, err := hex.DecodeString(h.Hash); err != nil || len(b) != 32 || h.Height == 0 {
		return nil, fmt.Errorf("head: height %d, hash %q: not a chain's head", h.Height, h.Hash)
	}
	var orgs []string
	for i, s := range h.Signatures {
		at, err := time.Parse(time.RFC3339, s.Time)
		if err != nil {
			return nil, fmt.Errorf("head signature %d: time %q is not RFC 3339", i, s.Time)
		}
		signer, err := c.VerifySigned(s.Signer, h.Statement(s.Time), s.Signature, at, tr)
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

// CheckHead checks a head against a configuration read from one's own
// peer (not a bundle's): what a witness does before it believes another
// organization's signatures.
func CheckHead(h *Head, cfg *Config) ([]string, error) {
	return cfg.Witnesses(h, Trust{})
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
