package proof

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"fmt"
	"maps"
	"math/big"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/msp"
	"google.golang.org/protobuf/proto"

	"dataledger/chaincode/domain"
)

// Config is a channel's configuration as a proof judges blocks by it:
// each organization's MSP, and the endorsement and block validation
// policies.
type Config struct {
	Channel     string
	BlockNumber uint64
	MSPs        map[string]*MSP
	// Application and Ordering are the MSP IDs of the channel's
	// application and ordering organizations.
	Application, Ordering map[string]bool
	// Sequence counts the channel's configurations (genesis: 0).
	Sequence uint64
	// Time is the block's time (its transaction's timestamp).
	Time       time.Time
	root       *common.ConfigGroup
	lastUpdate *common.Envelope  // the update that made it (none in genesis)
	orgs       map[string]string // organization group ("Application/CityAMSP") → its MSP ID
}

// MSP is an organization's membership service provider: the roots and
// intermediates its identities chain to and the OUs that give them roles.
type MSP struct {
	ID            string
	Roots         []*x509.Certificate
	Intermediates []*x509.Certificate
	NodeOUs       *msp.FabricNodeOUs
	// CRLs are the MSP's revocation lists (each signed by one of its CAs,
	// checked when the identity is).
	CRLs []*x509.RevocationList
	raw  []byte // the MSP value as configured
}

// ConfigEnvelope is what a configuration block holds: the configuration
// and the update that made it, and the channel it names.
func ConfigEnvelope(b *common.Block) (*common.ConfigEnvelope, string, error) {
	if len(b.GetData().GetData()) != 1 {
		return nil, "", fmt.Errorf("block %d is not a configuration block (it has %d transactions)", b.GetHeader().GetNumber(), len(b.GetData().GetData()))
	}
	var env common.Envelope
	var payload common.Payload
	var ch common.ChannelHeader
	var ce common.ConfigEnvelope
	if err := proto.Unmarshal(b.Data.Data[0], &env); err != nil {
		return nil, "", fmt.Errorf("block %d: envelope: %w", b.GetHeader().GetNumber(), err)
	}
	if err := proto.Unmarshal(env.Payload, &payload); err != nil {
		return nil, "", fmt.Errorf("block %d: payload: %w", b.GetHeader().GetNumber(), err)
	}
	if err := proto.Unmarshal(payload.GetHeader().GetChannelHeader(), &ch); err != nil {
		return nil, "", fmt.Errorf("block %d: channel header: %w", b.GetHeader().GetNumber(), err)
	}
	if common.HeaderType(ch.Type) != common.HeaderType_CONFIG {
		return nil, "", fmt.Errorf("block %d is not a configuration block (its transaction is of type %s)", b.GetHeader().GetNumber(), common.HeaderType(ch.Type))
	}
	if err := proto.Unmarshal(payload.Data, &ce); err != nil {
		return nil, "", fmt.Errorf("block %d: configuration envelope: %w", b.GetHeader().GetNumber(), err)
	}
	return &ce, ch.ChannelId, nil
}

// ParseConfigBlock reads the channel configuration from a config block.
func ParseConfigBlock(b *common.Block) (*Config, error) {
	ce, channel, err := ConfigEnvelope(b)
	if err != nil {
		return nil, err
	}
	root := ce.GetConfig().GetChannelGroup()
	if root == nil {
		return nil, fmt.Errorf("block %d holds no channel group", b.GetHeader().GetNumber())
	}
	c := &Config{Channel: channel, BlockNumber: b.GetHeader().GetNumber(), MSPs: map[string]*MSP{}, root: root,
		Application: map[string]bool{}, Ordering: map[string]bool{}, Sequence: ce.GetConfig().GetSequence(), lastUpdate: ce.GetLastUpdate(),
		Time: blockTime(b), orgs: map[string]string{}}
	for _, section := range []string{"Application", "Orderer"} {
		for _, name := range slices.Sorted(maps.Keys(root.GetGroups()[section].GetGroups())) {
			v, ok := root.Groups[section].Groups[name].GetValues()["MSP"]
			if !ok {
				return nil, fmt.Errorf("%s org %s has no MSP value", section, name)
			}
			m, err := parseMSP(v.Value)
			if err != nil {
				return nil, fmt.Errorf("%s org %s: %w", section, name, err)
			}
			// One organization may be in both sections with one MSP;
			// two different MSPs under one ID would let either issue
			// the other's identities (Fabric's MSP manager refuses it).
			if other, dup := c.MSPs[m.ID]; dup && !sameMSP(other.raw, m.raw) {
				return nil, fmt.Errorf("configuration block %d: two different MSPs are named %s (%s org %s is one)", c.BlockNumber, m.ID, section, name)
			}
			c.orgs[section+"/"+name] = m.ID
			c.MSPs[m.ID] = m
			if section == "Application" {
				c.Application[m.ID] = true
			} else {
				c.Ordering[m.ID] = true
			}
		}
	}
	return c, nil
}

// sameMSP compares two MSP values as configurations (as Fabric does), not
// as bytes.
func sameMSP(a, b []byte) bool {
	var x, y msp.MSPConfig
	return proto.Unmarshal(a, &x) == nil && proto.Unmarshal(b, &y) == nil && proto.Equal(&x, &y)
}

// EditMSP rewrites an organization group's MSP value with edit (its
// version unchanged: a configuration update computes it, a forger
// leaves it).
func EditMSP(org *common.ConfigGroup, edit func(fc *msp.FabricMSPConfig) error) error {
	mc, fc, err := ReadMSP(org)
	if err != nil {
		return err
	}
	if err := edit(fc); err != nil {
		return err
	}
	if mc.Config, err = proto.Marshal(fc); err != nil {
		return err
	}
	org.Values["MSP"].Value, err = proto.Marshal(mc)
	return err
}

// ReadMSP is an organization group's MSP value: the MSP configuration and
// the Fabric MSP configuration inside it.
func ReadMSP(org *common.ConfigGroup) (*msp.MSPConfig, *msp.FabricMSPConfig, error) {
	v := org.GetValues()["MSP"]
	if v == nil {
		return nil, nil, fmt.Errorf("the organization group has no MSP value")
	}
	var mc msp.MSPConfig
	var fc msp.FabricMSPConfig
	if err := proto.Unmarshal(v.Value, &mc); err != nil {
		return nil, nil, err
	}
	if err := proto.Unmarshal(mc.Config, &fc); err != nil {
		return nil, nil, err
	}
	return &mc, &fc, nil
}

func parseMSP(raw []byte) (*MSP, error) {
	var mc msp.MSPConfig
	if err := proto.Unmarshal(raw, &mc); err != nil {
		return nil, err
	}
	var fc msp.FabricMSPConfig
	if err := proto.Unmarshal(mc.Config, &fc); err != nil {
		return nil, err
	}
	m := &MSP{ID: fc.Name, NodeOUs: fc.FabricNodeOus, raw: raw}
	var err error
	if m.Roots, err = parsePEMs(fc.RootCerts); err != nil {
		return nil, fmt.Errorf("root certificates: %w", err)
	}
	if m.Intermediates, err = parsePEMs(fc.IntermediateCerts); err != nil {
		return nil, fmt.Errorf("intermediate certificates: %w", err)
	}
	for i, raw := range fc.RevocationList {
		blk, _ := pem.Decode(raw)
		if blk == nil {
			return nil, fmt.Errorf("revocation list %d is not PEM", i)
		}
		crl, err := x509.ParseRevocationList(blk.Bytes)
		if err != nil {
			return nil, fmt.Errorf("revocation list %d: %w", i, err)
		}
		m.CRLs = append(m.CRLs, crl)
	}
	return m, nil
}

func parsePEMs(pems [][]byte) ([]*x509.Certificate, error) {
	var out []*x509.Certificate
	for _, p := range pems {
		certs, err := ParseCertificates(p)
		if err != nil {
			return nil, err
		}
		out = append(out, certs...)
	}
	return out, nil
}

// ParseCertificates reads every certificate of a PEM text.
func ParseCertificates(data []byte) ([]*x509.Certificate, error) {
	var out []*x509.Certificate
	for {
		var blk *pem.Block
		blk, data = pem.Decode(data)
		if blk == nil {
			break
		}
		if blk.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(blk.Bytes)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	if len(out) == 0 {
		return nil, errors.New("no PEM certificate")
	}
	return out, nil
}

// Signer is an identity whose signature verified and whose certificate
// chains to its MSP.
type Signer struct {
	MSP  string
	Role string // node OU: client, peer, admin, orderer ("" without node OUs)
	Cert *x509.Certificate
}

// Name is how a report names a signer.
func (s Signer) Name() string { return s.MSP + ":" + s.Cert.Subject.CommonName }

// Trust is how a verifier judges a channel's identities: under
// configurations anchored at a pinned genesis block (a trust file), or,
// without one, under the first configuration it is shown.
type Trust struct {
	anchor *ChannelTrust // nil: no trust file
	// strict refuses an identity any revocation list names, whenever it
	// was revoked: for signatures whose time their signer chooses (a
	// configuration update, judged at a block time the orderers set).
	strict bool
	// ids, when set, remembers identities whose certificate chain
	// verified under a configuration: a reader of many blocks (the
	// Auditor) checks each signer's chain once, not once per signature.
	ids *identities
}

// identities are the identities validated under a trust, by
// configuration block and serialized identity.
type identities struct {
	mu sync.Mutex
	m  map[string]validated
}

// validated is a signer whose chain verified, and when every certificate
// of that chain is valid.
type validated struct {
	Signer
	from, until time.Time
}

func (c *identities) get(key string) (validated, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	v, ok := c.m[key]
	return v, ok
}

func (c *identities) put(key string, v validated) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= 10_000 {
		c.m = map[string]validated{}
	}
	c.m[key] = v
}

// Validate checks a serialized identity against the configuration at a
// time: its MSP exists, its certificate chains to one of that MSP's
// (trusted) roots, and, with node OUs on, it carries one of the role OUs.
func (c *Config) Validate(id *msp.SerializedIdentity, at time.Time, tr Trust) (Signer, error) {
	m, ok := c.MSPs[id.GetMspid()]
	if !ok {
		return Signer{}, fmt.Errorf("MSP %q is not in the channel configuration (block %d)", id.GetMspid(), c.BlockNumber)
	}
	key := ""
	if tr.ids != nil {
		// A chain that verified under this configuration verifies again
		// at any time every certificate of it is valid; revocation is
		// judged at each signature's time.
		key = strconv.FormatUint(c.BlockNumber, 10) + "\x00" + id.GetMspid() + "\x00" + string(id.GetIdBytes())
		if v, ok := tr.ids.get(key); ok && !at.Before(v.from) && !at.After(v.until) {
			if err := m.revoked(v.Cert, at, tr.strict); err != nil {
				return Signer{}, err
			}
			return v.Signer, nil
		}
	}
	v, err := c.validate(m, id, at, tr)
	if err == nil && tr.ids != nil {
		tr.ids.put(key, v)
	}
	return v.Signer, err
}

func (c *Config) validate(m *MSP, id *msp.SerializedIdentity, at time.Time, tr Trust) (validated, error) {
	certs, err := ParseCertificates(id.GetIdBytes())
	if err != nil {
		return validated{}, fmt.Errorf("identity of %s: %w", m.ID, err)
	}
	cert := certs[0]
	roots := m.Roots
	if len(roots) == 0 {
		return validated{}, fmt.Errorf("%s has no root certificate in configuration block %d", m.ID, c.BlockNumber)
	}
	opts := x509.VerifyOptions{Roots: x509.NewCertPool(), Intermediates: x509.NewCertPool(), CurrentTime: at, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}}
	for _, r := range roots {
		opts.Roots.AddCert(r)
	}
	for _, r := range m.Intermediates {
		opts.Intermediates.AddCert(r)
	}
	chains, err := cert.Verify(opts)
	if err != nil {
		return validated{}, fmt.Errorf("certificate %q does not chain to %s's roots in configuration block %d: %v", cert.Subject.CommonName, m.ID, c.BlockNumber, err)
	}
	if err := m.revoked(cert, at, tr.strict); err != nil {
		return validated{}, err
	}
	role := roleOf(m, cert)
	if m.NodeOUs.GetEnable() && role == "" {
		return validated{}, fmt.Errorf("certificate %q carries none of %s's role OUs", cert.Subject.CommonName, m.ID)
	}
	v := validated{Signer: Signer{MSP: m.ID, Role: role, Cert: cert}, from: cert.NotBefore, until: cert.NotAfter}
	for _, c := range chains[0] {
		if c.NotBefore.After(v.from) {
			v.from = c.NotBefore
		}
		if c.NotAfter.Before(v.until) {
			v.until = c.NotAfter
		}
	}
	return v, nil
}

// revoked refuses a certificate a revocation list of its issuer names as
// revoked at or before at (the transaction's time: one revoked later
// signed while it was valid), or at any time when strict. A list not
// signed by one of the MSP's CAs is not believed.
func (m *MSP) revoked(cert *x509.Certificate, at time.Time, strict bool) error {
	for _, crl := range m.CRLs {
		if !bytes.Equal(crl.RawIssuer, cert.RawIssuer) {
			continue
		}
		signed := false
		for _, ca := range slices.Concat(m.Roots, m.Intermediates) {
			signed = signed || (bytes.Equal(ca.RawSubject, crl.RawIssuer) && crl.CheckSignatureFrom(ca) == nil)
		}
		if !signed {
			continue
		}
		for _, e := range crl.RevokedCertificateEntries {
			if e.SerialNumber.Cmp(cert.SerialNumber) == 0 && (strict || !e.RevocationTime.After(at)) {
				return fmt.Errorf("certificate %q was revoked by %s's CA at 北京时间 %s, before this signature (北京时间 %s)", cert.Subject.CommonName, m.ID,
					domain.ChinaTime(e.RevocationTime.Format(time.RFC3339Nano)), domain.ChinaTime(at.Format(time.RFC3339Nano)))
			}
		}
	}
	return nil
}

// roleOf is the node OU of a certificate: client, peer, admin, orderer.
func roleOf(m *MSP, cert *x509.Certificate) string {
	ous := m.NodeOUs
	for _, r := range []struct {
		name string
		id   *msp.FabricOUIdentifier
	}{{"client", ous.GetClientOuIdentifier()}, {"peer", ous.GetPeerOuIdentifier()}, {"admin", ous.GetAdminOuIdentifier()}, {"orderer", ous.GetOrdererOuIdentifier()}} {
		if r.id != nil && slices.Contains(cert.Subject.OrganizationalUnit, r.id.OrganizationalUnitIdentifier) {
			return r.name
		}
	}
	return ""
}

// VerifySigned checks a signature by an identity over data: the identity
// is valid under the configuration and its ECDSA signature (low S, as
// Fabric requires) verifies over SHA-256 of data.
func (c *Config) VerifySigned(creator []byte, data, sig []byte, at time.Time, tr Trust) (Signer, error) {
	var id msp.SerializedIdentity
	if err := proto.Unmarshal(creator, &id); err != nil {
		return Signer{}, fmt.Errorf("signer identity: %w", err)
	}
	s, err := c.Validate(&id, at, tr)
	if err != nil {
		return s, err
	}
	pub, ok := s.Cert.PublicKey.(*ecdsa.PublicKey)
	if !ok {
		return s, fmt.Errorf("%s: not an ECDSA key", s.Name())
	}
	var rs struct{ R, S *big.Int }
	if rest, err := asn1.Unmarshal(sig, &rs); err != nil || len(rest) != 0 || rs.R == nil || rs.S == nil {
		return s, fmt.Errorf("%s: signature is not one DER ECDSA signature", s.Name())
	}
	if rs.S.Cmp(new(big.Int).Rsh(pub.Curve.Params().N, 1)) > 0 {
		return s, fmt.Errorf("%s: signature has a high S value (Fabric accepts low S only)", s.Name())
	}
	h := sha256.Sum256(data)
	if !ecdsa.Verify(pub, h[:], rs.R, rs.S) {
		return s, fmt.Errorf("%s: signature does not verify", s.Name())
	}
	return s, nil
}
