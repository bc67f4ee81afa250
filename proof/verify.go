package proof

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/protobuf/proto"

	"dataledger/certs"
	"dataledger/chaincode/domain"
	"dataledger/internal/strictjson"
)

// Check is one verified property of a bundle.
type Check struct {
	Name   string `json:"name"`
	OK     bool   `json:"ok"`
	Detail string `json:"detail"`
}

// Report is the outcome of verifying a bundle: every check, in order,
// and for a credential or certificate the status derived from its proven
// links.
type Report struct {
	Kind    string  `json:"kind"`
	Number  string  `json:"number"`
	Channel string  `json:"channel"`
	Pinned  bool    `json:"pinned"`
	OK      bool    `json:"ok"`
	Checks  []Check `json:"checks"`
	// Derived is, when every check holds, the credential's or
	// certificate's status at the bundle's time (at), derived offline from
	// the proven records exactly as the chaincode derives it: the status,
	// its cause and every link (without the record, which the bundle holds).
	Derived *domain.Verification `json:"derived,omitempty"`
	// StatusNote says what the derived status is as of: the records as
	// the bundle's blocks hold them.
	StatusNote string `json:"statusNote,omitempty"`
	// WitnessedBy are the organizations whose signed heads cover every
	// block of the bundle (empty: not every block is witnessed).
	WitnessedBy []string `json:"witnessedBy,omitempty"`
}

func (r *Report) add(name string, err error, okDetail string) {
	addCheck(&r.Checks, name, err, okDetail)
}

// Failed is the first failed check with the given name prefix, if any.
func (r *Report) Failed(name string) *Check {
	for i := range r.Checks {
		if !r.Checks[i].OK && strings.HasPrefix(r.Checks[i].Name, name) {
			return &r.Checks[i]
		}
	}
	return nil
}

// Print writes each check with ✓ or ✗.
func (r *Report) Print(w io.Writer) {
	fmt.Fprintf(w, "proof of %s %s on channel %s\n", r.Kind, r.Number, r.Channel)
	for _, c := range r.Checks {
		fmt.Fprintf(w, "  %s %-22s %s\n", mark(c.OK), c.Name, c.Detail)
	}
	if r.OK {
		fmt.Fprintln(w, "VERIFIED: every check holds")
		if len(r.WitnessedBy) > 0 {
			fmt.Fprintf(w, "every block witnessed by %d organization(s): %s\n", len(r.WitnessedBy), strings.Join(r.WitnessedBy, ", "))
		}
		r.printDerived(w)
	} else {
		fmt.Fprintln(w, "NOT VERIFIED")
	}
}

// ParseBundle reads a bundle's JSON.
func ParseBundle(data []byte) (*Bundle, error) {
	var b Bundle
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&b); err != nil {
		return nil, fmt.Errorf("not a proof bundle: %w", err)
	}
	if err := strictjson.Check(data, &b); err != nil {
		return nil, fmt.Errorf("not a proof bundle: %w (%s)", err, strictjson.Rule)
	}
	if b.Format == "dataledger-proof/1" {
		return nil, fmt.Errorf("a %s bundle proves a registration but not the records its status derives from: fetch a new bundle (%s)", b.Format, Format)
	}
	if b.Format != Format {
		return nil, fmt.Errorf("not a proof bundle: format %q, want %q", b.Format, Format)
	}
	return &b, nil
}

// Verify checks a bundle with no network. trust is the verifier's trust
// file, obtained out of band; nil takes the bundle's first configuration
// block as given, and the report says so (its trust check names it).
func Verify(b *Bundle, trust *TrustFile) *Report {
	r, _ := verify(b, trust)
	return r
}

// verify is Verify, also answering how to read the configuration in
// force at the bundle's newest block (nil when the bundle's
// configurations are not all proven).
func verify(b *Bundle, trust *TrustFile) (*Report, func() *Config) {
	r := &Report{Kind: b.Kind, Number: b.Number, Channel: b.Channel, Pinned: trust != nil}
	tr, trustErr := trustFor(trust, b.Channel)
	kind, known := Kinds[b.Kind]
	if !known {
		r.add("bundle", fmt.Errorf("kind %q is not one of %s", b.Kind, kindNames()), "")
		return r, noConfig
	}
	if b.EndorsementPolicy != EndorsementPolicy {
		r.add("bundle", fmt.Errorf("names endorsement policy %q; the chaincode is defined with %s", b.EndorsementPolicy, EndorsementPolicy), "")
	}
	if trustErr != nil {
		r.add("trust", trustErr, "")
		return finish(r), noConfig
	}
	sorted, configs, errs := configChain(b.Channel, b.Configs, tr)
	for i, cb := range sorted {
		detail := fmt.Sprintf("configuration block %d (sequence %d): data hash matches; an update signed by the orderers and under the modification policies of the configuration before it; %d MSPs", cb.BlockNumber, seqOf(configs[cb.BlockNumber]), mspCount(configs[cb.BlockNumber]))
		if i == 0 {
			detail = fmt.Sprintf("configuration block %d: data hash matches; %s; %d MSPs", cb.BlockNumber, anchorWord(tr), mspCount(configs[cb.BlockNumber]))
		}
		r.add(fmt.Sprintf("config[%d]", cb.BlockNumber), errs[i], detail)
	}
	r.add("trust", trustCheck(configs, tr), trustDetail(tr))

	wantKey, _ := domain.CompositeKey(kind.RecordType, b.Number)
	if b.Record.Key != wantKey {
		r.add("record.key", fmt.Errorf("bundle proves key %q, not the %s's key %q", b.Record.Key, kind.Name, wantKey), "")
	}
	recTx, recVal := verifyInclusion(r, "record", b, &b.Record, configs, tr)
	var rec record
	err := func() error {
		if recVal == nil {
			return fmt.Errorf("no written value to compare")
		}
		if err := json.Unmarshal(recVal, &rec); err != nil {
			return fmt.Errorf("the written value is not a %s record: %v", kind.Name, err)
		}
		if rec.Number != b.Number {
			return fmt.Errorf("the written record is %q, not %q", rec.Number, b.Number)
		}
		if got := rec.provedTx(kind); got != b.Record.TxID {
			return fmt.Errorf("the written record names transaction %s, the bundle %s", got, b.Record.TxID)
		}
		if kind.Signed {
			return sameDocument(b, &rec)
		}
		return nil
	}()
	r.add("record.content", err, fmt.Sprintf("the block writes %s %s exactly as the bundle shows it", kind.Name, b.Number))
	if b.Private != nil {
		detail := fmt.Sprintf("the block keeps the hash of the private part shown (collection %s, %d bytes), written by the same transaction; its record is the public one's", b.Private.Collection, len(b.Private.Value))
		if recTx != nil && !recTx.writes(b.Chaincode, b.Record.Key) {
			detail = fmt.Sprintf("the block keeps the hash of the private part shown (collection %s, %d bytes): the record, which has no public view", b.Private.Collection, len(b.Private.Value))
		}
		r.add("record.private", verifyPrivate(b, recTx, recVal), detail)
	}
	if kind.Signed {
		verifyDocument(r, b, &rec, recTx, configs, tr)
		verifyLinks(r, b, kind, &rec, configs, tr)
	} else if len(b.Links) > 0 || b.At != "" {
		r.add("bundle", fmt.Errorf("links are proven for credentials and certificates, not for a %s", kind.Name), "")
	}
	verifyHeads(r, b, configs, tr)
	// The configuration in force at the newest block, as that block names
	// it (the rule every inclusion was judged by), read only when asked.
	inForce := func() *Config {
		blk, err := ParseBlock(b.Blocks()[newestBlock(b)])
		if err != nil || slices.ContainsFunc(errs, func(err error) bool { return err != nil }) {
			return nil
		}
		cfg, _ := configFor(blk, configs, tr)
		return cfg
	}
	return finish(r), inForce
}

func noConfig() *Config { return nil }

// verifyHeads checks each witnessed head against the bundle's block it
// names (the same header hash) and its signatures under the configuration
// in force for that block, and records the organizations that witnessed
// every block.
func verifyHeads(r *Report, b *Bundle, configs map[uint64]*Config, tr Trust) {
	blocks := b.Blocks()
	seen := map[uint64][]string{}
	for i := range b.Heads {
		h := &b.Heads[i]
		n := h.Height - 1
		name := fmt.Sprintf("witness[%d]", n)
		orgs, err := func() ([]string, error) {
			raw, ok := blocks[n]
			if h.Height == 0 || !ok {
				return nil, fmt.Errorf("a head of height %d, but the bundle holds no block %d", h.Height, n)
			}
			if _, dup := seen[n]; dup {
				return nil, fmt.Errorf("block %d has two heads", n)
			}
			hash, err := HeaderHashHex(raw)
			if err != nil {
				return nil, err
			}
			if hash != h.Hash {
				return nil, fmt.Errorf("the head says block %d has hash %s, the bundle's block has %s: two versions of the block were signed", n, short(h.Hash), short(hash))
			}
			blk, _ := ParseBlock(raw)
			cfg, err := configFor(blk, configs, tr)
			if err != nil {
				return nil, err
			}
			return cfg.Witnesses(h, tr, blockTime(blk))
		}()
		r.add(name, err, fmt.Sprintf("block %d as the peers of %s hold it (signed heads)", n, strings.Join(orgs, ", ")))
		if err == nil {
			seen[n] = orgs
		}
	}
	var all []string
	for n := range blocks {
		orgs, ok := seen[n]
		if !ok {
			return
		}
		if all == nil {
			all = slices.Clone(orgs)
		} else {
			all = slices.DeleteFunc(all, func(o string) bool { return !slices.Contains(orgs, o) })
		}
	}
	r.WitnessedBy = all
}

// finish sets OK: every check holds (and there is at least one).
func finish(r *Report) *Report {
	r.OK = len(r.Checks) > 0
	for _, c := range r.Checks {
		r.OK = r.OK && c.OK
	}
	if !r.OK {
		r.Derived, r.StatusNote, r.WitnessedBy = nil, "", nil // nothing from a bundle that does not verify
	}
	return r
}

func seqOf(c *Config) uint64 {
	if c == nil {
		return 0
	}
	return c.Sequence
}

func anchorWord(tr Trust) string {
	if tr.anchor != nil {
		return "the genesis block the trust file pins (hash " + short(tr.anchor.Genesis) + ")"
	}
	return "NOT pinned: taken as given"
}

func mspCount(c *Config) int {
	if c == nil {
		return 0
	}
	return len(c.MSPs)
}

func trustDetail(tr Trust) string {
	if tr.anchor == nil {
		return "NOT pinned: the bundle's own configuration was trusted (pass --trust TRUST.json, made by \"dataledger proof trust\")"
	}
	return fmt.Sprintf("the configuration chain starts at the genesis block of channel %s the trust file pins, with its %d organizations", tr.anchor.Channel, len(tr.anchor.Orgs))
}

// trustCheck: some configuration holds (and with a trust file, the
// chain's first block is the pinned genesis, which configChain checked).
func trustCheck(configs map[uint64]*Config, tr Trust) error {
	if len(configs) == 0 {
		return fmt.Errorf("no configuration block holds: nothing to judge the blocks by")
	}
	if tr.anchor != nil && configs[0] == nil {
		return fmt.Errorf("the bundle's configuration chain does not start at the genesis block the trust file pins")
	}
	return nil
}

// verifyOrderers checks a block's orderer signatures and that they
// satisfy /Channel/Orderer/BlockValidation.
func verifyOrderers(blk *common.Block, cfg *Config, tr Trust, at time.Time) (string, error) {
	md, _, err := ordererMetadata(blk)
	if err != nil {
		return "", err
	}
	if len(md.Signatures) == 0 {
		return "", fmt.Errorf("block %d carries no orderer signature", blk.Header.Number)
	}
	var signers []Signer
	var errs []string
	for _, s := range md.Signatures {
		var sh common.SignatureHeader
		if err := proto.Unmarshal(s.SignatureHeader, &sh); err != nil {
			errs = append(errs, "signature header: "+err.Error())
			continue
		}
		data := slices.Concat(md.Value, s.SignatureHeader, HeaderBytes(blk.Header))
		signer, err := cfg.VerifySigned(sh.Creator, data, s.Signature, at, tr)
		if err == nil {
			err = blockSigner(cfg, signer)
		}
		if err != nil {
			errs = append(errs, err.Error())
			continue
		}
		signers = append(signers, signer)
	}
	if len(signers) == 0 {
		return "", fmt.Errorf("block %d: no signature of an ordering node (%s)", blk.Header.Number, strings.Join(errs, "; "))
	}
	signers = distinct(signers)
	ok, why := cfg.Satisfied([]string{"Orderer"}, "BlockValidation", signers)
	if !ok {
		return "", fmt.Errorf("block %d: %s (%s)", blk.Header.Number, why, strings.Join(errs, "; "))
	}
	names := make([]string, len(signers))
	for i, s := range signers {
		names[i] = s.Name() + " (" + s.Role + ")"
	}
	return fmt.Sprintf("signed by %s; %s", strings.Join(names, ", "), why), nil
}

// verifyInclusion checks one transaction of a bundle and returns it and
// the value it wrote to the inclusion's key.
func verifyInclusion(r *Report, name string, b *Bundle, inc *Inclusion, configs map[uint64]*Config, tr Trust) (*Tx, []byte) {
	blk, err := inc.block()
	if err == nil && blk.Header.Number != inc.BlockNumber {
		err = fmt.Errorf("block is number %d, the bundle says %d", blk.Header.Number, inc.BlockNumber)
	}
	if err == nil && !bytes.Equal(DataHash(blk.Data), blk.Header.DataHash) {
		err = fmt.Errorf("the header's data hash does not match the block's data: a transaction was changed, added or removed")
	}
	r.add(name+".block", err, fmt.Sprintf("block %d: its data hash covers its %d transaction(s)", inc.BlockNumber, len(blk.GetData().GetData())))
	if blk == nil {
		return nil, nil
	}
	cfg, err := configFor(blk, configs, tr)
	var tx *Tx
	if err == nil {
		tx, err = ParseTx(blk, inc.TxIndex)
	}
	at := time.Now()
	if tx != nil {
		at = tx.Timestamp
	}
	detail := ""
	if err == nil {
		detail, err = verifyOrderers(blk, cfg, tr, at)
	}
	r.add(name+".orderers", err, detail)
	if tx == nil {
		r.add(name+".tx", fmt.Errorf("transaction %d of block %d cannot be read", inc.TxIndex, inc.BlockNumber), "")
		return nil, nil
	}
	r.add(name+".tx", checkTx(b, inc, tx, cfg, tr), fmt.Sprintf("transaction %d of block %d is %s, invoked %s by %s at 北京时间 %s", inc.TxIndex, inc.BlockNumber, tx.TxID, tx.Function(), creatorName(tx), domain.ChinaTime(tx.Timestamp.Format(time.RFC3339Nano))))
	code, ok := ValidationCode(blk, inc.TxIndex)
	err = nil
	switch {
	case !ok:
		err = fmt.Errorf("block %d has no validation code for transaction %d", inc.BlockNumber, inc.TxIndex)
	case code != peer.TxValidationCode_VALID:
		err = fmt.Errorf("the block's transactions filter marks it %s (%d), not VALID", code, code)
	default:
		err = intraBlockConflict(blk, tx, b.Chaincode)
	}
	r.add(name+".valid", err, "marked VALID in the block's transactions filter; no earlier valid transaction of the block wrote what it read")
	detail, err = verifyEndorsements(tx, cfg, tr, b.Chaincode)
	r.add(name+".endorsements", err, detail)
	v, deleted, ok := tx.Write(b.Chaincode, inc.Key)
	err = nil
	private := !ok && inc == &b.Record && b.Private != nil
	switch {
	case private:
		// A record with no public view: the bundle's private part is the
		// record, if the block's hash names it (record.private).
		if err = provePrivate(b, tx); err == nil && inc.Value != nil {
			err = fmt.Errorf("the bundle shows a public value for %q, which the transaction did not write", inc.Key)
		}
		if err == nil {
			v, err = sealedRecord(b.Private.Value)
		}
		if err == nil {
			r.add(name+".write", nil, fmt.Sprintf("writes %s to collection %s only: the block keeps its hash, the bundle its private part (%d bytes)", printableKey(inc.Key), b.Private.Collection, len(b.Private.Value)))
			return tx, v
		}
	case !ok:
		err = fmt.Errorf("the transaction's write set does not write %q in %s", inc.Key, b.Chaincode)
	case deleted:
		err = fmt.Errorf("the transaction deletes %q", inc.Key)
	case inc.Value != nil && !bytes.Equal(canonicalOr(inc.Value), canonicalOr(v)):
		err = fmt.Errorf("the bundle shows a value for %q that differs from what the transaction wrote", inc.Key)
	}
	r.add(name+".write", err, fmt.Sprintf("writes %s (%d bytes)", printableKey(inc.Key), len(v)))
	return tx, v
}

func canonicalOr(b []byte) []byte {
	if c, err := certs.Canonicalize(b); err == nil {
		return c
	}
	return b
}

func printableKey(k string) string { return strings.Trim(strings.ReplaceAll(k, "\x00", "/"), "/") }

func creatorName(t *Tx) string {
	if cs, err := ParseCertificates(t.Creator.GetIdBytes()); err == nil {
		return t.Creator.Mspid + ":" + cs[0].Subject.CommonName
	}
	return t.Creator.GetMspid()
}

// checkTx: the transaction is the one the bundle names, on the channel,
// its ID derives from its nonce and creator, and its creator signed it.
func checkTx(b *Bundle, inc *Inclusion, tx *Tx, cfg *Config, tr Trust) error {
	if tx.TxID != inc.TxID {
		return fmt.Errorf("transaction %d of block %d is %s, the bundle names %s", inc.TxIndex, inc.BlockNumber, tx.TxID, inc.TxID)
	}
	if tx.Type != common.HeaderType_ENDORSER_TRANSACTION {
		return fmt.Errorf("transaction is of type %s, not a chaincode transaction", tx.Type)
	}
	return tx.checkOrigin(b.Channel, cfg, tr)
}

// checkOrigin: the transaction's ID derives from its nonce and creator,
// it is on the channel, and its creator signed it.
func (t *Tx) checkOrigin(channel string, cfg *Config, tr Trust) error {
	if got := t.ComputedTxID(); got != t.TxID {
		return fmt.Errorf("transaction ID %s is not SHA-256(nonce ‖ creator) = %s", t.TxID, got)
	}
	if t.Channel != channel {
		return fmt.Errorf("transaction is on channel %q, not %q", t.Channel, channel)
	}
	if cfg == nil {
		return fmt.Errorf("no configuration to check its submitter against")
	}
	if _, err := cfg.VerifySigned(t.creator, t.Envelope.Payload, t.Envelope.Signature, t.Timestamp, tr); err != nil {
		return fmt.Errorf("submitter: %w", err)
	}
	return nil
}

// blockSigner refuses a block signature by anything but a node of an
// ordering organization. The verifier's own rules, on top of the policies
// of the configuration
// (authenticated from the pinned genesis): a block is signed by a node of
// an ordering organization, never by a client or an admin; a transaction
// is endorsed by peer-role identities of distinct application
// organizations, two at least. A node here is an orderer-
// or peer-role identity: channels made before ordering nodes carried the
// orderer OU were signed by peer-role ones; a channel's BlockValidation
// policy that names orderer-role identities (every channel the network
// makes or updates now) narrows it to those.
func blockSigner(cfg *Config, s Signer) error {
	if !cfg.Ordering[s.MSP] {
		return fmt.Errorf("%s signed the block, but %s runs no orderer of channel %s", s.Name(), s.MSP, cfg.Channel)
	}
	if s.Role != "orderer" && s.Role != "peer" {
		return fmt.Errorf("%s signed the block as a %q identity: blocks are signed by ordering nodes", s.Name(), s.Role)
	}
	return nil
}

// endorsers keeps the endorsements that count: by a peer-role identity of
// an application organization, one per organization; and refuses fewer
// than two organizations (a majority of a channel of one or two): no
// record stands on one organization's word, whatever policy a
// configuration sets. The channel's endorsement policy, a majority of
// its organizations or every keeper of its private data together, is
// judged after.
func endorsers(cfg *Config, all []Signer) ([]Signer, []string, error) {
	var out []Signer
	var notes []string
	seen := map[string]bool{}
	for _, s := range all {
		switch {
		case !cfg.Application[s.MSP]:
			notes = append(notes, s.Name()+" is not of an application organization: not counted")
		case s.Role != "peer":
			notes = append(notes, fmt.Sprintf("%s endorsed as a %q identity: only peers endorse, not counted", s.Name(), s.Role))
		case seen[s.MSP]:
			notes = append(notes, "a second endorsement by "+s.MSP+" counts once")
		default:
			seen[s.MSP] = true
			out = append(out, s)
		}
	}
	if need := min(len(cfg.Application)/2+1, 2); len(out) < need {
		return out, notes, fmt.Errorf("%d application organization(s) of %d endorsed by a peer, the verifier needs %d (%s)", len(out), len(cfg.Application), need, strings.Join(notes, "; "))
	}
	return out, notes, nil
}

// verifyEndorsements checks every endorsement's signature and identity,
// and that together they satisfy the chaincode's endorsement policy and
// the verifier's own rules (endorsers).
func verifyEndorsements(tx *Tx, cfg *Config, tr Trust, chaincode string) (string, error) {
	if cfg == nil || tx.Action == nil {
		return "", fmt.Errorf("no chaincode action or configuration to check endorsements against")
	}
	if got := tx.Chaincode.GetChaincodeId().GetName(); got != chaincode {
		return "", fmt.Errorf("endorsed chaincode is %q, not %q", got, chaincode)
	}
	var signers []Signer
	var errs, names []string
	for _, e := range tx.Action.Endorsements {
		s, err := cfg.VerifySigned(e.Endorser, slices.Concat(tx.Action.ProposalResponsePayload, e.Endorser), e.Signature, tx.Timestamp, tr)
		if err != nil {
			errs = append(errs, "endorsement by "+err.Error())
			continue
		}
		signers = append(signers, s)
		names = append(names, s.Name())
	}
	if len(errs) > 0 {
		return "", fmt.Errorf("%s", strings.Join(errs, "; "))
	}
	signers, notes, err := endorsers(cfg, signers)
	if err != nil {
		return "", err
	}
	if len(notes) > 0 {
		names = append(names, "("+strings.Join(notes, "; ")+")")
	}
	ok, why := cfg.Satisfied(strings.Split(strings.TrimPrefix(EndorsementPolicy, "/Channel/"), "/")[:1], "Endorsement", signers)
	if !ok {
		return "", fmt.Errorf("endorsement policy not satisfied: %s", why)
	}
	return fmt.Sprintf("%d endorsement(s) by %s; %s", len(signers), strings.Join(names, ", "), why), nil
}

// intraBlockConflict re-checks what a verifier can of the peers' MVCC
// validation without state: no earlier transaction of the block marked
// valid wrote a key this one read.
func intraBlockConflict(blk *common.Block, tx *Tx, chaincode string) error {
	earlier := BlockWrites{}
	for i := 0; i < tx.Index; i++ {
		if c, _ := ValidationCode(blk, i); c != peer.TxValidationCode_VALID {
			continue
		}
		if other, err := ParseTx(blk, i); err == nil {
			earlier.Add(other)
		}
	}
	return earlier.conflict(tx)
}

// sameDocument: the written record holds exactly the bundle's document.
func sameDocument(b *Bundle, rec *record) error {
	mine, err := certs.Canonicalize(b.Document)
	if err != nil {
		return fmt.Errorf("the bundle's document is not JSON: %v", err)
	}
	theirs, err := certs.Canonicalize(rec.Document)
	if err != nil {
		return fmt.Errorf("the written document is not JSON: %v", err)
	}
	if !bytes.Equal(mine, theirs) {
		return fmt.Errorf("the bundle's document differs from the document the block writes")
	}
	if b.Kind == "certificate" {
		var ref struct {
			ChainReference domain.ChainReference `json:"chainReference"`
		}
		_ = json.Unmarshal(b.Document, &ref)
		if ref.ChainReference.TxID != b.Record.TxID || ref.ChainReference.Channel != b.Channel {
			return fmt.Errorf("the certificate's 区块链编号 %s@%s is not its registering transaction %s@%s", ref.ChainReference.TxID, ref.ChainReference.Channel, b.Record.TxID, b.Channel)
		}
	}
	return nil
}

// verifyDocument checks the document's SM2 signature against the issuer
// key the registering transaction read, itself proven on the ledger.
func verifyDocument(r *Report, b *Bundle, rec *record, recTx *Tx, configs map[uint64]*Config, tr Trust) {
	if b.IssuerKey == nil {
		r.add("issuerKey", fmt.Errorf("the bundle holds no proof of the issuer key"), "")
		return
	}
	kk, _ := domain.CompositeKey(domain.TypeIssuerKey, rec.IssuerKeyID)
	err := func() error {
		if b.IssuerKey.Key != kk {
			return fmt.Errorf("the bundle proves key %q, the record was signed with issuer key %s", printableKey(b.IssuerKey.Key), rec.IssuerKeyID)
		}
		if recTx == nil {
			return fmt.Errorf("the registering transaction cannot be read")
		}
		v, ok := recTx.Read(b.Chaincode, kk)
		if !ok || v == nil {
			return fmt.Errorf("the registering transaction did not read issuer key %s", rec.IssuerKeyID)
		}
		if v.BlockNum != b.IssuerKey.BlockNumber || int(v.TxNum) != b.IssuerKey.TxIndex {
			return fmt.Errorf("the registering transaction read issuer key version (block %d, tx %d), the bundle proves (block %d, tx %d)", v.BlockNum, v.TxNum, b.IssuerKey.BlockNumber, b.IssuerKey.TxIndex)
		}
		return nil
	}()
	r.add("issuerKey.version", err, fmt.Sprintf("the registration read issuer key %s as written in block %d, transaction %d", rec.IssuerKeyID, b.IssuerKey.BlockNumber, b.IssuerKey.TxIndex))
	_, keyVal := verifyInclusion(r, "issuerKey", b, b.IssuerKey, configs, tr)
	err = func() error {
		var k domain.IssuerKey
		if err := json.Unmarshal(keyVal, &k); err != nil {
			return fmt.Errorf("the written issuer key is not a key record: %v", err)
		}
		if k.Status != domain.KeyActive {
			return fmt.Errorf("issuer key %s was %s when the document was registered", k.KeyID, k.Status)
		}
		pub, err := certs.ParsePublicKeyPEM([]byte(k.PublicKey))
		if err != nil {
			return fmt.Errorf("issuer key %s: %v", k.KeyID, err)
		}
		if pub.KeyID() != k.KeyID || k.KeyID != rec.IssuerKeyID {
			return fmt.Errorf("issuer key %s is not the key %s that signed the document", pub.KeyID(), rec.IssuerKeyID)
		}
		_, err = certs.OpenSigned(b.Document, certs.OnlyKey(pub))
		return err
	}()
	r.add("document.signature", err, fmt.Sprintf("SM2 signature verifies with issuer key %s recorded on the ledger; every field is valid", rec.IssuerKeyID))
}

// verifyPrivate checks a key holder's private part: the record's
// transaction wrote, to the collection, exactly the value shown (the
// block keeps SHA-256 of key and value), sealed with a salt, and the
// record it holds is the public one with its private fields.
func verifyPrivate(b *Bundle, tx *Tx, public []byte) error {
	if err := provePrivate(b, tx); err != nil {
		return err
	}
	record, err := sealedRecord(b.Private.Value)
	if err != nil {
		return err
	}
	// Every field of the public view is the private record's (a record
	// with no public view is its private record: the same).
	var pub, whole map[string]any
	if json.Unmarshal(public, &pub) != nil || json.Unmarshal(record, &whole) != nil {
		return fmt.Errorf("the private record is not a record")
	}
	if !publicOf(pub, whole) {
		return fmt.Errorf("the private record is not the public record's whole: a public field differs")
	}
	return nil
}

// provePrivate checks that the record's transaction wrote, to the
// channel's collection, exactly the bundle's private part: the block
// keeps SHA-256 of key and value.
func provePrivate(b *Bundle, tx *Tx) error {
	if tx == nil {
		return fmt.Errorf("the record's transaction cannot be read")
	}
	if b.Private.Collection != domain.Collection {
		return fmt.Errorf("collection %q is not the channel's private data collection %q", b.Private.Collection, domain.Collection)
	}
	want, ok := tx.PrivateWrite(b.Chaincode, b.Private.Collection, b.Record.Key)
	if !ok {
		return fmt.Errorf("transaction %s wrote no private part of %s", tx.TxID, printableKey(b.Record.Key))
	}
	got := sha256.Sum256(b.Private.Value)
	if !bytes.Equal(got[:], want) {
		return fmt.Errorf("the private part shown is not what transaction %s wrote: its hash differs from the block's", tx.TxID)
	}
	return nil
}

// sealedRecord is the record a private part holds, if it is sealed with a
// salt (domain.Sealed).
func sealedRecord(value []byte) ([]byte, error) {
	var sealed domain.Sealed
	if err := json.Unmarshal(value, &sealed); err != nil || domain.ValidSalt(sealed.Salt) != nil || len(sealed.Record) == 0 {
		return nil, fmt.Errorf("the private part is not a salted record")
	}
	return sealed.Record, nil
}

// publicOf tells whether every field the public view sets has the same
// value in the whole record (a field the view blanks may differ).
func publicOf(pub, whole any) bool {
	switch p := pub.(type) {
	case map[string]any:
		w, ok := whole.(map[string]any)
		if !ok {
			return false
		}
		for k, v := range p {
			if !publicOf(v, w[k]) {
				return false
			}
		}
		return true
	case string:
		return p == "" || p == whole
	case nil: // a field the public view blanks to null (a list it omits)
		return true
	default:
		return reflect.DeepEqual(pub, whole)
	}
}
