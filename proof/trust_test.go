package proof_test

import (
	"encoding/json"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/msp"
	"github.com/hyperledger/fabric-protos-go-apiv2/orderer"
	"google.golang.org/protobuf/proto"

	"dataledger/proof"
	"dataledger/proof/prooftest"
)

// failsWith requires check (a name prefix) to fail with reason in its
// detail.
func failsWith(t *testing.T, r *proof.Report, check, reason string) {
	t.Helper()
	c := r.Failed(check)
	if r.OK || c == nil || !strings.Contains(c.Detail, reason) {
		var sb strings.Builder
		r.Print(&sb)
		t.Fatalf("want %s to fail with %q:\n%s", check, reason, sb.String())
	}
}

// A genesis the trust file does not pin is refused, whatever it says:
// the finding that opened this work was a genesis saying zero signatures
// satisfy endorsement and block validation, with every check passing.
func TestTheGenesisMustBeThePinnedOne(t *testing.T) {
	b := prooftest.Clone(fixture(t, "certificate"))
	if err := prooftest.EditConfig(&b.Configs[0].Block, func(root *common.ConfigGroup) error {
		root.Groups["Application"].Policies["Endorsement"] = prooftest.NoSignatures()
		root.Groups["Orderer"].Policies["BlockValidation"] = prooftest.NoSignatures()
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	failsWith(t, proof.Verify(b, trust(t)), "config[0]", "the trust file pins")
	// Without a trust file the degenerate policies are refused by name.
	failsWith(t, proof.Verify(b, nil), "config[0]", "degenerate policies")
	failsWith(t, proof.Verify(b, nil), "config[0]", "/Channel/Orderer/BlockValidation: a rule met by 0 signatures")

	// Another channel's genesis (the forged ledger's, re-rooted) in its place.
	c := newChain(t)
	b = prooftest.Clone(fixture(t, "certificate"))
	b.Configs[0].Block = c.l.Peer().Block(0)
	failsWith(t, proof.Verify(b, trust(t)), "config[0]", "the trust file pins")
	// A bundle relabelled to a channel the trust file does not pin.
	b = prooftest.Clone(fixture(t, "certificate"))
	b.Channel = "liuzhou"
	failsWith(t, proof.Verify(b, trust(t)), "trust", `pins no channel "liuzhou"`)
	// A bundle with no configuration block at all.
	b = prooftest.Clone(fixture(t, "certificate"))
	b.Configs = nil
	failsWith(t, proof.Verify(b, trust(t)), "trust", "no configuration block holds")
}

func TestTrustFilesAreReadStrictly(t *testing.T) {
	pem, err := os.ReadFile("testdata/roots.pem")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := proof.ParseTrust(pem); err == nil || !strings.Contains(err.Error(), "roots alone do not pin") {
		t.Errorf("a roots file read as a trust file: %v", err)
	}
	good, _ := os.ReadFile("testdata/trust.json")
	for name, in := range map[string]string{
		"empty":          `{}`,
		"other format":   strings.Replace(string(good), proof.TrustFormat, "dataledger-trust/0", 1),
		"unknown field":  strings.Replace(string(good), `"made"`, `"extra": 1, "made"`, 1),
		"short genesis":  strings.Replace(string(good), trust(t).Channels[0].Genesis, "abcd", 1),
		"no channel":     `{"format":"dataledger-trust/1","made":"2026-12-02T00:00:00Z","channels":[]}`,
		"duplicate keys": strings.Replace(string(good), `"made"`, `"made": "x", "made"`, 1),
		"trailing data":  string(good) + `{"format":"dataledger-trust/1"}`,
		"made no time":   strings.Replace(string(good), trust(t).Made, "yesterday", 1),
	} {
		if _, err := proof.ParseTrust([]byte(in)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	// An edited trust file (an organization's roles changed) no longer
	// matches the genesis it pins.
	tf := trust(t)
	tf.Channels[0].Orgs[0].Ordering = !tf.Channels[0].Orgs[0].Ordering
	failsWith(t, proof.Verify(fixture(t, "certificate"), tf), "config[0]", "the trust file was edited")
}

// batchTimeout sets the orderers' batch timeout: an element whose
// modification policy is /Channel/Orderer/Admins (MAJORITY Admins of the
// ordering organizations: ProvinceMSP's admin).
func batchTimeout(d string) func(*common.ConfigGroup) error {
	return func(root *common.ConfigGroup) error {
		v := root.Groups["Orderer"].Values["BatchTimeout"]
		v.Value = mustMarshal(&orderer.BatchTimeout{Timeout: d})
		v.Version++
		return nil
	}
}

// anyEndorsement weakens the endorsement policy to one org's peer: an
// element whose modification policy is /Channel/Application/Admins
// (MAJORITY Admins of the three application organizations).
func anyEndorsement(root *common.ConfigGroup) error {
	p := root.Groups["Application"].Policies["Endorsement"]
	p.Policy = &common.Policy{Type: int32(common.Policy_IMPLICIT_META), Value: mustMarshal(&common.ImplicitMetaPolicy{SubPolicy: "Endorsement", Rule: common.ImplicitMetaPolicy_ANY})}
	p.Version++
	return nil
}

func mustMarshal(m proto.Message) []byte {
	b, err := proto.Marshal(m)
	if err != nil {
		panic(err)
	}
	return b
}

// reconfigure orders a configuration block on the chain's ledger.
func (c *chain) reconfigure(t *testing.T, edit func(*common.ConfigGroup) error, rewrite func(*common.ConfigGroup), signers ...string) {
	t.Helper()
	if _, err := c.l.Reconfigure("ProvinceMSP", edit, rewrite, signers...); err != nil {
		t.Fatal(err)
	}
}

// TestConfigurationBlocksAreJudgedUnderTheOneBefore: a configuration
// block after genesis verifies only as an update the configuration before
// it allowed, signed by the admins its modification policy names; the
// orderers alone cannot change the rules.
func TestConfigurationBlocksAreJudgedUnderTheOneBefore(t *testing.T) {
	// Genuine updates: the ordering org's admin sets the batch timeout; two
	// of the three application orgs' admins (a majority) weaken endorsement.
	c := newChain(t)
	c.reconfigure(t, batchTimeout("1s"), nil, "ProvinceMSP/admin")
	c.reconfigure(t, anyEndorsement, nil, "CityAMSP/admin", "ProvinceMSP/admin")
	c.terminate(t, c.scenario, "许可范围变更")
	b := c.bundle(t, c.cert)
	if len(b.Configs) != 3 || b.Configs[1].BlockNumber == 0 || b.Configs[2].BlockNumber <= b.Configs[1].BlockNumber {
		t.Fatalf("the bundle carries configurations %+v, want genesis and both updates", b.Configs)
	}
	r := c.verified(t, b)
	for _, want := range []string{"config[0]", "config[" + itoa(b.Configs[2].BlockNumber) + "]"} {
		if ch := check(r, want); ch == nil || !ch.OK {
			t.Errorf("%s: %+v", want, ch)
		}
	}
	// The chain audit judges them alike.
	if a := auditLedger(t, c.l); !a.OK() || a.ConfigBlocks != 3 {
		t.Errorf("audit: %+v", a.FirstBroken)
	}
	// Leaving the first update out of the bundle breaks the chain.
	gap := prooftest.Clone(b)
	gap.Configs = append(gap.Configs[:1], gap.Configs[2])
	failsWith(t, proof.Verify(gap, c.l.Trust()), "config[", "a configuration block between them is missing")
}

func TestConfigurationUpdatesWithoutTheirSignaturesAreRefused(t *testing.T) {
	cases := []struct {
		name    string
		edit    func(*common.ConfigGroup) error
		rewrite func(*common.ConfigGroup)
		signers []string
		reason  string
	}{
		{"endorsement weakened by one org's admin of three", anyEndorsement, nil, []string{"CityAMSP/admin"},
			"which needs /Channel/Application/Admins of block 0"},
		{"endorsement weakened by peers, not admins", anyEndorsement, nil, []string{"CityAMSP/peer", "ProvinceMSP/peer"},
			"which needs /Channel/Application/Admins"},
		{"batch timeout set by an application org's admin", batchTimeout("1s"), nil, []string{"CityAMSP/admin"},
			"which needs /Channel/Orderer/Admins"},
		{"an update with no signature", batchTimeout("1s"), nil, nil, "which needs /Channel/Orderer/Admins"},
		{"the orderer adds a change after the admins signed", batchTimeout("1s"), func(root *common.ConfigGroup) { _ = anyEndorsement(root) },
			[]string{"ProvinceMSP/admin"}, "policy Endorsement: the new policy is not the signed update's"},
		{"the orderer rewrites the signed change", batchTimeout("1s"), func(root *common.ConfigGroup) { _ = batchTimeout("9s")(root) },
			[]string{"ProvinceMSP/admin"}, "value BatchTimeout: the new value is not the signed update's"},
		{"the orderer removes an organization after the admins signed", batchTimeout("1s"), func(root *common.ConfigGroup) {
			delete(root.Groups["Application"].Groups, "ExchangeMSP")
		}, []string{"ProvinceMSP/admin"}, "/Channel/Application (its members or modification policy)"},
		{"a zero-signature policy voted in", func(root *common.ConfigGroup) error {
			root.Groups["Orderer"].Policies["BlockValidation"] = prooftest.NoSignatures()
			return nil
		}, nil, []string{"ProvinceMSP/admin"}, "degenerate policies"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := newChain(t)
			c.reconfigure(t, tc.edit, tc.rewrite, tc.signers...)
			c.terminate(t, c.scenario, "许可范围变更")
			r := proof.Verify(c.bundle(t, c.cert), c.l.Trust())
			failsWith(t, r, "config[", tc.reason)
			if a := auditLedger(t, c.l); a.OK() || !strings.Contains(a.FirstBroken.Reason, tc.reason) {
				t.Errorf("audit: %+v", a.FirstBroken)
			}
		})
	}
}

func check(r *proof.Report, name string) *proof.Check {
	for i := range r.Checks {
		if r.Checks[i].Name == name {
			return &r.Checks[i]
		}
	}
	return nil
}

func itoa(n uint64) string { b, _ := json.Marshal(n); return string(b) }

// audit runs the chain audit over every block of a ledger, its genesis
// pinned.
func auditLedger(t *testing.T, l *prooftest.Ledger) *proof.AuditReport {
	t.Helper()
	var raw [][]byte
	for i := 0; i < l.Peer().Height(); i++ {
		raw = append(raw, l.Peer().Block(uint64(i)))
	}
	r, err := proof.Audit(l.Channel, &sliceBlocks{raw}, nil, l.Trust())
	if err != nil {
		t.Fatal(err)
	}
	return r
}

type sliceBlocks struct{ blocks [][]byte }

func (s *sliceBlocks) Next() ([]byte, error) {
	if len(s.blocks) == 0 {
		return nil, io.EOF
	}
	b := s.blocks[0]
	s.blocks = s.blocks[1:]
	return b, nil
}

// TestBlockValidationNamingOrderersRefusesPeerSignedBlocks: once the
// channel's configuration (authenticated from the pinned genesis) names
// orderer-role identities for BlockValidation, a block signed by a peer of
// the ordering organization no longer verifies; before, it did (channels
// made when ordering nodes carried the peer OU).
func TestBlockValidationNamingOrderersRefusesPeerSignedBlocks(t *testing.T) {
	c := newChain(t)
	c.l.BlockSignerRole = "peer"
	c.terminate(t, c.catalog, "许可范围变更")
	c.verified(t, c.bundle(t, c.credential)) // a peer-signed block under ANY Writers verifies
	c.l.BlockSignerRole = ""
	c.reconfigure(t, func(root *common.ConfigGroup) error {
		p := root.Groups["Orderer"].Policies["BlockValidation"]
		p.Policy = &common.Policy{Type: int32(common.Policy_SIGNATURE), Value: mustMarshal(&common.SignaturePolicyEnvelope{
			Rule: &common.SignaturePolicy{Type: &common.SignaturePolicy_NOutOf_{NOutOf: &common.SignaturePolicy_NOutOf{N: 1,
				Rules: []*common.SignaturePolicy{{Type: &common.SignaturePolicy_SignedBy{SignedBy: 0}}}}}},
			Identities: []*msp.MSPPrincipal{{PrincipalClassification: msp.MSPPrincipal_ROLE, Principal: mustMarshal(&msp.MSPRole{MspIdentifier: "ProvinceMSP", Role: msp.MSPRole_ORDERER})}}})}
		return nil
	}, nil, "ProvinceMSP/admin")
	c.l.BlockSignerRole = "peer"
	c.terminate(t, c.scenario, "许可范围变更")
	b := c.bundle(t, c.cert)
	failsWith(t, proof.Verify(b, c.l.Trust()), "link[agreement", "/Channel/Orderer/BlockValidation")
}

// heads are signed heads of every block of b, one per block, each signed
// by orgs' witness identities on l.
func heads(t *testing.T, l *prooftest.Ledger, b *proof.Bundle, orgs ...string) []proof.Head {
	t.Helper()
	var out []proof.Head
	for n, raw := range b.Blocks() {
		blk, err := proof.ParseBlock(raw)
		if err != nil {
			t.Fatal(err)
		}
		h := proof.NewHead(b.Channel, n+1, proof.HeaderHash(blk.Header))
		for _, o := range orgs {
			if err := l.SignHead(h, o, "witness"); err != nil {
				t.Fatal(err)
			}
		}
		out = append(out, *h)
	}
	return out
}

// TestWitnessedHeadsCoverTheBundlesBlocks: heads signed by organizations
// whose peers hold the bundle's blocks are checked against those blocks
// and their signers against the channel's configuration; the report names
// the organizations that witnessed every block. A head of another version
// of a block (what an equivocating orderer shows one org) fails.
func TestWitnessedHeadsCoverTheBundlesBlocks(t *testing.T) {
	c := newChain(t)
	b := c.bundle(t, c.cert)
	b.Heads = heads(t, c.l, b, "CityAMSP", "ExchangeMSP")
	r := c.verified(t, b)
	if strings.Join(r.WitnessedBy, ",") != "CityAMSP,ExchangeMSP" || r.Failed("witness") != nil {
		t.Fatalf("witnessed by %v", r.WitnessedBy)
	}
	var sb strings.Builder
	r.Print(&sb)
	if !strings.Contains(sb.String(), "every block witnessed by 2 organization(s): CityAMSP, ExchangeMSP") {
		t.Errorf("the report does not say who witnessed:\n%s", sb.String())
	}
	// One block without a head: every check holds, but not every block is witnessed.
	partial := prooftest.Clone(b)
	partial.Heads = partial.Heads[1:]
	if r := proof.Verify(partial, c.l.Trust()); !r.OK || r.WitnessedBy != nil {
		t.Errorf("partly witnessed: ok=%v by %v", r.OK, r.WitnessedBy)
	}

	// Each forgery edits the first head of a bundle whose every head
	// ExchangeMSP signed.
	forge := func(edit func(h *proof.Head) error) *proof.Bundle {
		f := prooftest.Clone(b)
		f.Heads = heads(t, c.l, b, "ExchangeMSP")
		if err := edit(&f.Heads[0]); err != nil {
			t.Fatal(err)
		}
		return f
	}
	other := proof.HeaderHash(&common.BlockHeader{Number: 1, DataHash: []byte("another version")})
	failsWith(t, proof.Verify(forge(func(h *proof.Head) error {
		h.Hash, h.Signatures = proof.NewHead(h.Channel, h.Height, other).Hash, nil
		return c.l.SignHead(h, "CityAMSP", "witness")
	}), c.l.Trust()), "witness[", "two versions of the block were signed")
	failsWith(t, proof.Verify(forge(func(h *proof.Head) error {
		return c.l.SignHead(h, "ExchangeMSP", "witness")
	}), c.l.Trust()), "witness[", "a second signature by ExchangeMSP")
	// Any other identity of an organization is not its witness: a client
	// user, a peer.
	for _, ou := range []string{"client", "peer"} {
		failsWith(t, proof.Verify(forge(func(h *proof.Head) error {
			return c.l.SignHead(h, "CityAMSP", ou)
		}), c.l.Trust()), "witness[", "is not CityAMSP's witness identity")
	}
	failsWith(t, proof.Verify(forge(func(h *proof.Head) error {
		at, err := time.Parse(time.RFC3339, h.Signatures[0].Time)
		h.Signatures[0].Time = at.Add(time.Minute).Format(time.RFC3339) // the signature no longer covers the statement
		return err
	}), c.l.Trust()), "witness[", "signature does not verify")
	failsWith(t, proof.Verify(forge(func(h *proof.Head) error { h.Signatures = nil; return nil }), c.l.Trust()), "witness[", "carries no signature")
	// A head signed by a CA the channel does not know.
	ca, key, _ := prooftest.NewCA("someone else")
	leaf, leafKey, _ := prooftest.NewLeaf(ca, key, "witness", "client")
	failsWith(t, proof.Verify(forge(func(h *proof.Head) error {
		creator := mustMarshal(&msp.SerializedIdentity{Mspid: "CityAMSP", IdBytes: leaf})
		return h.Sign(creator, func(d []byte) ([]byte, error) { return prooftest.SignDigest(leafKey, d) }, time.Now())
	}), c.l.Trust()), "witness[", "does not chain to CityAMSP's roots")
}

// TestConfigurationAttacksTheReviewFound: what the orderers (or one org's
// admin with them) could otherwise pass off as authorized.
func TestConfigurationAttacksTheReviewFound(t *testing.T) {
	t.Run("an update the admins signed earlier, replayed", func(t *testing.T) {
		c := newChain(t)
		first, err := c.l.Reconfigure("ProvinceMSP", batchTimeout("1s"), nil, "ProvinceMSP/admin")
		if err != nil {
			t.Fatal(err)
		}
		c.reconfigure(t, batchTimeout("2s"), nil, "ProvinceMSP/admin")
		if _, err := c.l.Replay("ProvinceMSP", first); err != nil {
			t.Fatal(err)
		}
		c.terminate(t, c.scenario, "许可范围变更")
		failsWith(t, proof.Verify(c.bundle(t, c.cert), c.l.Trust()), "config[", "the new value is not the signed update's at the next version")
		if a := auditLedger(t, c.l); a.OK() || !strings.Contains(a.FirstBroken.Reason, "at the next version") {
			t.Errorf("audit: %+v", a.FirstBroken)
		}
	})
	t.Run("an organization's admin renames its MSP to another org's", func(t *testing.T) {
		c := newChain(t)
		c.reconfigure(t, func(root *common.ConfigGroup) error {
			org := root.Groups["Application"].Groups["CityAMSP"]
			org.Values["MSP"].Version++
			return proof.EditMSP(org, func(fc *msp.FabricMSPConfig) error { fc.Name = "ProvinceMSP"; return nil })
		}, nil, "CityAMSP/admin")
		c.terminate(t, c.scenario, "许可范围变更")
		failsWith(t, proof.Verify(c.bundle(t, c.cert), c.l.Trust()), "config[", "two different MSPs are named ProvinceMSP")
	})
	t.Run("a block naming the configuration before the one in force", func(t *testing.T) {
		c := newChain(t)
		cfgBlock, err := c.l.Reconfigure("ProvinceMSP", batchTimeout("1s"), nil, "ProvinceMSP/admin")
		if err != nil {
			t.Fatal(err)
		}
		c.l.StaleConfig = true
		c.terminate(t, c.scenario, "许可范围变更")
		b := c.bundle(t, c.cert)
		// The newer configuration in the bundle: the block may not skip it.
		with := prooftest.Clone(b)
		with.Configs = append(with.Configs, proof.ConfigBlock{BlockNumber: uint64(c.l.Peer().Height() - 2), Block: cfgBlock})
		failsWith(t, proof.Verify(with, c.l.Trust()), "link[agreement", "came into force before it")
		if a := auditLedger(t, c.l); a.OK() || !strings.Contains(a.FirstBroken.Reason, "the configuration in force is block") {
			t.Errorf("audit: %+v", a.FirstBroken)
		}
		// Leaving the newer configuration out of the bundle: the trust file
		// made after it pins it.
		pinned := c.l.Trust()
		if err := pinned.PinConfig(cfgBlock); err != nil {
			t.Fatal(err)
		}
		failsWith(t, proof.Verify(b, pinned), "link[agreement", "the trust file pins configuration block")
		// A trust file made before the change cannot tell (the chain audit
		// and witnessed heads can): the bundle verifies.
		if r := proof.Verify(b, c.l.Trust()); !r.OK {
			t.Errorf("without the newer configuration pinned: %+v", r.Failed(""))
		}
	})
	t.Run("an implicit-meta rule that is none of ANY, ALL, MAJORITY", func(t *testing.T) {
		c := newChain(t)
		c.reconfigure(t, func(root *common.ConfigGroup) error {
			p := root.Groups["Orderer"].Policies["BlockValidation"]
			p.Policy = &common.Policy{Type: int32(common.Policy_IMPLICIT_META), Value: mustMarshal(&common.ImplicitMetaPolicy{SubPolicy: "Writers", Rule: 7})}
			p.Version++
			return nil
		}, nil, "ProvinceMSP/admin")
		c.terminate(t, c.scenario, "许可范围变更")
		failsWith(t, proof.Verify(c.bundle(t, c.cert), c.l.Trust()), "config[", "none of ANY, ALL, MAJORITY")
	})
}
