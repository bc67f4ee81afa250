package proof

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"

	"dataledger/internal/strictjson"
)

// TrustFormat names the trust file a verifier pins.
const TrustFormat = "dataledger-trust/1"

// TrustFile is what a verifier pins, out of band, for the channels it
// checks: each channel's genesis block by hash and, for reading, the
// organizations that block names. A bundle cannot bring its own
// configuration: its chain of configuration blocks must start at the
// pinned genesis, and each later configuration block must be an update
// the previous configuration allowed (see judgeUpdate).
type TrustFile struct {
	Format   string         `json:"format"`
	Made     string         `json:"made"` // RFC 3339, when it was made
	Channels []ChannelTrust `json:"channels"`
}

// ChannelTrust pins one channel.
type ChannelTrust struct {
	Channel string `json:"channel"`
	// Genesis is the hex SHA-256 of the genesis block's header (Fabric's
	// block hash; the header's data hash covers the configuration).
	Genesis string `json:"genesis"`
	// Config pins the configuration block in force when the file was made
	// (after genesis; absent: genesis is). A block after it that names an
	// older configuration is refused, so a weaker configuration from
	// before a change cannot be chosen again. Remake the file after a
	// configuration change.
	Config *PinnedBlock `json:"config,omitempty"`
	// Orgs are the organizations of the genesis configuration, each with
	// its roles and MSP root certificates: what a reader checks by hand
	// against the authority's publication; the verifier requires them to
	// be exactly the pinned block's.
	Orgs []OrgTrust `json:"orgs"`
}

// PinnedBlock is a block by number and header hash (hex SHA-256).
type PinnedBlock struct {
	Number uint64 `json:"number"`
	Hash   string `json:"hash"`
}

func (c *ChannelTrust) pinnedConfig() *PinnedBlock {
	if c == nil {
		return nil
	}
	return c.Config
}

// PinConfig pins, for its channel, the configuration block in force (a
// serialized configuration block after genesis, as the channel's
// orderers serve it to the file's maker).
func (tf *TrustFile) PinConfig(raw []byte) error {
	blk, err := ParseBlock(raw)
	if err != nil {
		return err
	}
	cfg, err := ParseConfigBlock(blk)
	if err != nil {
		return err
	}
	c := tf.channel(cfg.Channel)
	if c == nil {
		return fmt.Errorf("the trust file pins no channel %q", cfg.Channel)
	}
	if blk.Header.Number == 0 {
		c.Config = nil
		return nil
	}
	c.Config = &PinnedBlock{Number: blk.Header.Number, Hash: hex.EncodeToString(HeaderHash(blk.Header))}
	return nil
}

// OrgTrust is an organization as the genesis configuration names it.
type OrgTrust struct {
	MSP         string   `json:"msp"`
	Application bool     `json:"application"` // a member of the channel (endorses)
	Ordering    bool     `json:"ordering"`    // runs the channel's orderers (signs blocks)
	Roots       []string `json:"roots"`       // PEM, one certificate each
}

// MakeTrust pins channels by their genesis blocks (serialized
// common.Block, block 0 of each channel).
func MakeTrust(genesis ...[]byte) (*TrustFile, error) {
	tf := &TrustFile{Format: TrustFormat, Made: time.Now().UTC().Format(time.RFC3339)}
	for _, raw := range genesis {
		blk, err := ParseBlock(raw)
		if err != nil {
			return nil, err
		}
		if blk.Header.Number != 0 {
			return nil, fmt.Errorf("block %d is not a genesis block", blk.Header.Number)
		}
		if !bytes.Equal(DataHash(blk.Data), blk.Header.DataHash) {
			return nil, fmt.Errorf("genesis block: the header's data hash does not match its data")
		}
		cfg, err := ParseConfigBlock(blk)
		if err != nil {
			return nil, err
		}
		if err := cfg.checkPolicies(); err != nil {
			return nil, fmt.Errorf("channel %s: %w", cfg.Channel, err)
		}
		if tf.channel(cfg.Channel) != nil {
			return nil, fmt.Errorf("channel %s: two genesis blocks", cfg.Channel)
		}
		tf.Channels = append(tf.Channels, ChannelTrust{Channel: cfg.Channel, Genesis: hex.EncodeToString(HeaderHash(blk.Header)), Orgs: orgsOf(cfg)})
	}
	slices.SortFunc(tf.Channels, func(a, b ChannelTrust) int { return strings.Compare(a.Channel, b.Channel) })
	return tf, nil
}

func orgsOf(cfg *Config) []OrgTrust {
	var out []OrgTrust
	for id, m := range cfg.MSPs {
		o := OrgTrust{MSP: id, Application: cfg.Application[id], Ordering: cfg.Ordering[id]}
		for _, r := range m.Roots {
			o.Roots = append(o.Roots, string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: r.Raw})))
		}
		slices.Sort(o.Roots)
		out = append(out, o)
	}
	slices.SortFunc(out, func(a, b OrgTrust) int { return strings.Compare(a.MSP, b.MSP) })
	return out
}

// ParseTrust reads a trust file. A PEM file of roots (what verifiers
// pinned before trust files) is refused by name: roots alone let any
// holder of a node key describe the channel as it likes.
func ParseTrust(data []byte) (*TrustFile, error) {
	if blk, _ := pem.Decode(data); blk != nil {
		return nil, fmt.Errorf("this is a PEM file of root certificates, not a trust file (%s): roots alone do not pin a channel's configuration; make one with \"dataledger proof trust\"", TrustFormat)
	}
	var tf TrustFile
	if err := strictjson.Unmarshal(data, &tf); err != nil {
		return nil, fmt.Errorf("not a trust file: %w (%s)", err, strictjson.Rule)
	}
	if tf.Format != TrustFormat {
		return nil, fmt.Errorf("not a trust file: format %q, want %q", tf.Format, TrustFormat)
	}
	if _, err := time.Parse(time.RFC3339, tf.Made); err != nil {
		return nil, fmt.Errorf("trust file: made: %q is not an RFC 3339 time", tf.Made)
	}
	if len(tf.Channels) == 0 {
		return nil, fmt.Errorf("trust file: channels: pins no channel")
	}
	seen := map[string]bool{}
	for i, c := range tf.Channels {
		if c.Channel == "" || seen[c.Channel] {
			return nil, fmt.Errorf("trust file: channels[%d].channel: %q is empty or pinned twice", i, c.Channel)
		}
		seen[c.Channel] = true
		if h, err := hex.DecodeString(c.Genesis); err != nil || len(h) != 32 {
			return nil, fmt.Errorf("trust file: channels[%d].genesis: %q is not a hex SHA-256", i, c.Genesis)
		}
		if c.Config != nil {
			if h, err := hex.DecodeString(c.Config.Hash); err != nil || len(h) != 32 || c.Config.Number == 0 {
				return nil, fmt.Errorf("trust file: channels[%d].config: block %d, hash %q: not a configuration block after genesis by its hex SHA-256", i, c.Config.Number, c.Config.Hash)
			}
		}
		for j, o := range c.Orgs {
			if len(o.Roots) == 0 {
				return nil, fmt.Errorf("trust file: channels[%d].orgs[%d].roots: %s has no root certificate", i, j, o.MSP)
			}
			for _, r := range o.Roots {
				if _, err := ParseCertificates([]byte(r)); err != nil {
					return nil, fmt.Errorf("trust file: channels[%d].orgs[%d].roots: %v", i, j, err)
				}
			}
		}
	}
	return &tf, nil
}

// LoadTrust reads a trust file from disk.
func LoadTrust(path string) (*TrustFile, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	tf, err := ParseTrust(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return tf, nil
}

// Marshal is the trust file's JSON, indented for reading.
func (tf *TrustFile) Marshal() ([]byte, error) {
	b, err := json.MarshalIndent(tf, "", "  ")
	return append(b, '\n'), err
}

// ChannelNames are the channels the file pins.
func (tf *TrustFile) ChannelNames() []string {
	var out []string
	for _, c := range tf.Channels {
		out = append(out, c.Channel)
	}
	return out
}

func (tf *TrustFile) channel(name string) *ChannelTrust {
	if tf == nil {
		return nil
	}
	for i := range tf.Channels {
		if tf.Channels[i].Channel == name {
			return &tf.Channels[i]
		}
	}
	return nil
}

// trustFor is how a verifier of channel judges identities: anchored at
// the trust file's genesis for it, or (no trust file) at the first
// configuration it is shown. A trust file that does not pin the channel
// is an error: silently trusting the bundle would defeat it.
func trustFor(tf *TrustFile, channel string) (Trust, error) {
	tr := Trust{ids: &identities{}}
	if tf == nil {
		return tr, nil
	}
	if tr.anchor = tf.channel(channel); tr.anchor == nil {
		return tr, fmt.Errorf("the trust file pins no channel %q (it pins %s)", channel, strings.Join(tf.ChannelNames(), ", "))
	}
	return tr, nil
}

// anchors checks that a genesis block is the pinned one and names the
// pinned organizations.
func (c *ChannelTrust) anchors(b *common.Block, cfg *Config) error {
	if b.Header.Number != 0 {
		return fmt.Errorf("the configuration chain starts at block %d, not at the pinned genesis block", b.Header.Number)
	}
	if got := hex.EncodeToString(HeaderHash(b.Header)); got != c.Genesis {
		return fmt.Errorf("the genesis block's hash is %s, the trust file pins %s for channel %s", short(got), short(c.Genesis), c.Channel)
	}
	mine, _ := json.Marshal(c.Orgs)
	theirs, _ := json.Marshal(orgsOf(cfg))
	if !bytes.Equal(mine, theirs) {
		return fmt.Errorf("the trust file's organizations for channel %s are not the ones its pinned genesis block names: the trust file was edited", c.Channel)
	}
	return nil
}
