package proof

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"dataledger/certs"
	"dataledger/chaincode/domain"
	"dataledger/internal/strictjson"
)

// PresentationFormat names a presentation.
const PresentationFormat = "dataledger-presentation/1"

// MaxPresentedItems bounds a presentation's items; MaxAudience its
// audience's characters.
const (
	MaxPresentedItems = 20
	MaxAudience       = 200
)

// A Presentation is what an enterprise hands to a counterparty that is
// not on the network (a bank, a buyer, an exchange elsewhere): the
// credentials and certificates it chose to show, each with its proof
// bundle and the status the bundle's records give at a stated height,
// signed by the organization whose gateway made it. Anyone verifies it
// offline with the network's trust file: every bundle as a bundle is
// verified, each item's stated status and height against what its bundle
// proves, each item held by the presenting enterprise, and the signature
// by that organization's witness identity under the channel's
// configuration. Nothing else about the enterprise is in it.
type Presentation struct {
	Format string `json:"format"`
	// Holder is the presenting enterprise's unified social credit code:
	// every item is held by it (a credential's holder, a certificate's
	// enterprise).
	Holder  string `json:"holder"`
	Created string `json:"created"` // RFC 3339, UTC
	// Audience names whom the enterprise made it for (optional, at most
	// MaxAudience characters; covered by the signature): a copy shown to
	// someone else says who it was for.
	Audience string          `json:"audience,omitempty"`
	Items    []PresentedItem `json:"items"`
	// Signature is by the witness identity of the organization whose
	// gateway made the presentation, over Statement.
	Signature *HeadSignature `json:"signature,omitempty"`
}

// PresentedItem is one credential or certificate of a presentation.
type PresentedItem struct {
	Kind    string `json:"kind"` // credential | certificate
	Number  string `json:"number"`
	Channel string `json:"channel"`
	// Height is the chain height the status is stated at: one past the
	// newest block the bundle holds.
	Height uint64 `json:"height"`
	// Status is the status the bundle's records give (domain.Verify*).
	Status string          `json:"status"`
	Bundle json.RawMessage `json:"bundle"`
}

// ErrSigner: the identity that signed a presentation may not sign one of
// these items (not an application organization's witness of every
// item's channel).
var ErrSigner = errors.New("the signer may not sign a presentation of these items")

// Present makes a presentation of holder's bundles for audience and signs
// it at now with creator's key (sign signs a SHA-256 digest): each bundle
// is verified once with the trust file and its derived status stated at
// one past its newest block, and the signature is checked under the
// configurations the bundles prove, so what is handed out verifies. The
// caller has checked the bundles are the holder's (Subject), distinct and
// at most MaxPresentedItems.
func Present(holder, audience string, bundles []*Bundle, trust *TrustFile, creator []byte, sign func(digest []byte) ([]byte, error), now time.Time) (*Presentation, error) {
	p := &Presentation{Format: PresentationFormat, Holder: holder, Audience: audience, Created: now.UTC().Format(time.RFC3339)}
	var configs []*Config
	var latest time.Time
	for _, b := range bundles {
		raw, err := json.Marshal(b)
		if err != nil {
			return nil, err
		}
		r, inForce := verify(b, trust)
		cfg := inForce()
		if !r.OK || r.Derived == nil || cfg == nil {
			return nil, fmt.Errorf("%s %s: the bundle does not verify with the trust file (%s)", b.Kind, b.Number, r.FirstFailure())
		}
		p.Items = append(p.Items, PresentedItem{Kind: b.Kind, Number: b.Number, Channel: b.Channel, Height: newestBlock(b) + 1, Status: r.Derived.Status, Bundle: raw})
		configs = append(configs, cfg)
		if at, err := time.Parse(time.RFC3339Nano, b.At); err == nil && at.After(latest) {
			latest = at
		}
	}
	if err := p.Sign(creator, sign, now); err != nil {
		return nil, err
	}
	if _, err := p.verifySignature(configs, trust, latest); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrSigner, err)
	}
	return p, nil
}

func newestBlock(b *Bundle) uint64 {
	var n uint64
	for num := range b.Blocks() {
		n = max(n, num)
	}
	return n
}

// Statement is what the signature covers: the format, the SHA-256 of the
// presentation's RFC 8785 form without its signature, and the signer's
// time, one per line.
func (p *Presentation) Statement(at string) ([]byte, error) {
	unsigned := *p
	unsigned.Signature = nil
	raw, err := json.Marshal(unsigned)
	if err != nil {
		return nil, err
	}
	canonical, err := certs.Canonicalize(raw)
	if err != nil {
		return nil, err
	}
	d := sha256.Sum256(canonical)
	return []byte(strings.Join([]string{PresentationFormat, hex.EncodeToString(d[:]), at}, "\n") + "\n"), nil
}

// Sign signs the presentation: creator is the signer's serialized
// identity, sign signs a SHA-256 digest (as Fabric identities sign).
func (p *Presentation) Sign(creator []byte, sign func(digest []byte) ([]byte, error), at time.Time) error {
	s, err := signStatement(creator, sign, at, p.Statement)
	if err == nil {
		p.Signature = &s
	}
	return err
}

// IsPresentation tells whether a JSON document names the presentation
// format (a bundle names its own).
func IsPresentation(data []byte) bool {
	var f struct {
		Format string `json:"format"`
	}
	return json.Unmarshal(data, &f) == nil && f.Format == PresentationFormat
}

// ParsePresentation reads a presentation strictly (no unknown or repeated
// members).
func ParsePresentation(data []byte) (*Presentation, error) {
	var p Presentation
	if err := strictjson.Unmarshal(data, &p); err != nil {
		return nil, fmt.Errorf("not a presentation: %w", err)
	}
	if p.Format != PresentationFormat {
		return nil, fmt.Errorf("format %q, want %q", p.Format, PresentationFormat)
	}
	return &p, nil
}

// PresentationReport is the outcome of verifying a presentation: its own
// checks, then each item's, with the item's bundle report.
type PresentationReport struct {
	Format   string       `json:"format"`
	Holder   string       `json:"holder"`
	Audience string       `json:"audience,omitempty"`
	Created  string       `json:"created"`
	Pinned   bool         `json:"pinned"`
	OK       bool         `json:"ok"`
	SignedBy string       `json:"signedBy,omitempty"` // the MSP ID whose witness signed
	SignedAt string       `json:"signedAt,omitempty"` // when, as the signer states it
	Checks   []Check      `json:"checks"`
	Items    []ItemReport `json:"items"`
}

// ItemReport is one item's outcome: the checks of the item against its
// bundle and the bundle's own report.
type ItemReport struct {
	Kind   string `json:"kind"`
	Number string `json:"number"`
	Status string `json:"status"` // as stated
	// At is the time the bundle derives the status for (its chaincode
	// verification's time); the status holds as of the bundle's blocks.
	At     string  `json:"at,omitempty"`
	OK     bool    `json:"ok"`
	Checks []Check `json:"checks"`
	Bundle *Report `json:"bundle,omitempty"`
}

func addCheck(checks *[]Check, name string, err error, okDetail string) {
	c := Check{Name: name, OK: err == nil, Detail: okDetail}
	if err != nil {
		c.Detail = err.Error()
	}
	*checks = append(*checks, c)
}

// RuleProof refuses a bundle or a presentation that is not one.
const RuleProof = "DL-PROOF"

// VerifyPresentation verifies a presentation with the network's trust
// file (nil: each bundle's genesis as it is, said in its report). The
// presentation holds when every check of it and of every item holds.
func VerifyPresentation(p *Presentation, trust *TrustFile) *PresentationReport {
	r := &PresentationReport{Format: p.Format, Holder: p.Holder, Audience: p.Audience, Created: p.Created, Pinned: trust != nil}
	if p.Signature != nil {
		r.SignedAt = p.Signature.Time
	}
	// Unpinned, each bundle's first configuration is taken as given: a
	// network of anyone's making with the same names would verify.
	var trustErr error
	if trust == nil {
		trustErr = fmt.Errorf("no trust file: a presentation is judged only against the network's pinned genesis (--trust)")
	}
	addCheck(&r.Checks, "trust", trustErr, "each item's channel is judged from its pinned genesis")
	addCheck(&r.Checks, "holder", domain.ValidateCreditCode("holder", p.Holder), "the presenting enterprise is "+p.Holder)
	var audienceErr error
	if n := len([]rune(p.Audience)); n > MaxAudience {
		audienceErr = fmt.Errorf("the audience has %d characters, at most %d", n, MaxAudience)
	}
	addCheck(&r.Checks, "audience", audienceErr, map[bool]string{true: "made for " + p.Audience, false: "made for no one named"}[p.Audience != ""])
	var itemsErr error
	switch {
	case len(p.Items) == 0:
		itemsErr = fmt.Errorf("the presentation holds no item")
	case len(p.Items) > MaxPresentedItems:
		itemsErr = fmt.Errorf("%d items, at most %d", len(p.Items), MaxPresentedItems)
	}
	addCheck(&r.Checks, "items", itemsErr, fmt.Sprintf("%d item(s)", len(p.Items)))
	if itemsErr != nil {
		return r.finish()
	}
	seen := map[string]bool{}
	var configs []*Config // the configuration in force at each item's newest block
	var latest time.Time  // the latest time an item's status is derived for
	for i := range p.Items {
		ir, cfg := verifyItem(&p.Items[i], p.Holder, trust, seen)
		r.Items = append(r.Items, *ir)
		if cfg != nil {
			configs = append(configs, cfg)
		}
		if at, err := time.Parse(time.RFC3339Nano, ir.At); err == nil && at.After(latest) {
			latest = at
		}
	}
	signer, err := p.verifySignature(configs, trust, latest)
	if err == nil {
		r.SignedBy = signer
	}
	addCheck(&r.Checks, "signature", err, fmt.Sprintf("signed by %s's witness identity at %s, an application organization of every item's channel, after every item's status", signer, r.SignedAt))
	return r.finish()
}

// NotOlderThan adds the counterparty's own freshness rule: the
// presentation must have been signed within maxAge before now.
func (r *PresentationReport) NotOlderThan(maxAge time.Duration, now time.Time) {
	at, err := time.Parse(time.RFC3339, r.SignedAt)
	switch {
	case err != nil:
		err = fmt.Errorf("no signing time to judge its age by")
	case now.Sub(at) > maxAge:
		err = fmt.Errorf("signed at %s, %s ago: older than %s", r.SignedAt, now.Sub(at).Round(time.Second), maxAge)
	}
	addCheck(&r.Checks, "age", err, "signed within "+maxAge.String())
	r.finish()
}

func (r *PresentationReport) finish() *PresentationReport {
	r.OK = len(r.Checks) > 0 && len(r.Items) > 0
	for _, c := range r.Checks {
		r.OK = r.OK && c.OK
	}
	for _, it := range r.Items {
		r.OK = r.OK && it.OK
	}
	return r
}

// verifyItem verifies one item and answers the configuration in force at
// its bundle's newest block (nil when the bundle does not verify).
func verifyItem(it *PresentedItem, holder string, trust *TrustFile, seen map[string]bool) (*ItemReport, *Config) {
	ir := &ItemReport{Kind: it.Kind, Number: it.Number, Status: it.Status}
	defer func() {
		ir.OK = len(ir.Checks) > 0
		for _, c := range ir.Checks {
			ir.OK = ir.OK && c.OK
		}
		ir.OK = ir.OK && ir.Bundle != nil && ir.Bundle.OK
	}()
	b, err := ParseBundle(it.Bundle)
	if err == nil {
		switch {
		case it.Kind != "credential" && it.Kind != "certificate":
			err = fmt.Errorf("a presentation shows credentials and certificates, not a %q", it.Kind)
		case b.Kind != it.Kind || b.Number != it.Number || b.Channel != it.Channel:
			err = fmt.Errorf("the bundle proves %s %s on %s, the item names %s %s on %s", b.Kind, b.Number, b.Channel, it.Kind, it.Number, it.Channel)
		case seen[it.Number]:
			err = fmt.Errorf("%s is presented twice", it.Number)
		}
	}
	addCheck(&ir.Checks, "item", err, fmt.Sprintf("a bundle of %s %s on channel %s", it.Kind, it.Number, it.Channel))
	if err != nil {
		return ir, nil
	}
	seen[it.Number] = true
	rep, inForce := verify(b, trust)
	ir.Bundle, ir.At = rep, b.At
	if !rep.OK {
		addCheck(&ir.Checks, "bundle", fmt.Errorf("the bundle does not verify: %s", rep.FirstFailure()), "")
		return ir, nil
	}
	cfg := inForce()
	var derived string
	if rep.Derived != nil {
		derived = rep.Derived.Status
	}
	addCheck(&ir.Checks, "status", func() error {
		if derived != it.Status {
			return fmt.Errorf("states %q; the bundle's records give %q", it.Status, derived)
		}
		return nil
	}(), fmt.Sprintf("%s, as the bundle's records give it", it.Status))
	addCheck(&ir.Checks, "height", func() error {
		if want := newestBlock(b) + 1; it.Height != want {
			return fmt.Errorf("states height %d; the bundle's newest block is %d (height %d)", it.Height, want-1, want)
		}
		return nil
	}(), "at height "+strconv.FormatUint(it.Height, 10)+" of channel "+it.Channel)
	addCheck(&ir.Checks, "holder", func() error {
		if got := Subject(b); got != holder {
			return fmt.Errorf("the %s is held by %s, not by the presenting enterprise %s", it.Kind, got, holder)
		}
		return nil
	}(), "held by "+holder)
	return ir, cfg
}

// FirstFailure names a report's first failed check ("" when all hold).
func (r *Report) FirstFailure() string {
	for _, c := range r.Checks {
		if !c.OK {
			return c.Name + ": " + c.Detail
		}
	}
	return ""
}

// FirstFailure names a presentation report's first failed check, its own
// or an item's ("" when all hold).
func (r *PresentationReport) FirstFailure() string {
	for _, c := range r.Checks {
		if !c.OK {
			return c.Name + ": " + c.Detail
		}
	}
	for _, it := range r.Items {
		for _, c := range it.Checks {
			if !c.OK {
				return it.Number + " " + c.Name + ": " + c.Detail
			}
		}
	}
	return ""
}

// Subject is who a bundle's signed document is of: a credential's
// holder, a certificate's enterprise ("" for another kind). Read it from
// a bundle that verifies: the verifier holds the document to its record.
func Subject(b *Bundle) string {
	env, err := certs.ParseEnvelope(b.Document)
	if err != nil {
		return ""
	}
	member := map[string]string{"credential": "holderCreditCode", "certificate": "enterpriseCreditCode"}[b.Kind]
	raw, _ := env.Member(member)
	var code string
	_ = json.Unmarshal(raw, &code)
	return code
}

// verifySignature checks the signature by an application organization's
// witness identity under the configuration of every item's channel.
// A signature must come after every item's status (latest: the latest
// time a bundle derives one for) and say when the presentation was made.
func (p *Presentation) verifySignature(configs []*Config, trust *TrustFile, latest time.Time) (string, error) {
	s := p.Signature
	if s == nil {
		return "", fmt.Errorf("the presentation is not signed")
	}
	if len(configs) == 0 || len(configs) != len(p.Items) {
		return "", fmt.Errorf("not every item's bundle verifies: the signer cannot be judged")
	}
	at, err := time.Parse(time.RFC3339, s.Time)
	if err != nil {
		return "", fmt.Errorf("time %q is not RFC 3339", s.Time)
	}
	switch created, err := time.Parse(time.RFC3339, p.Created); {
	case at.After(time.Now().Add(5 * time.Minute)):
		return "", fmt.Errorf("signed at %s, in the future", s.Time)
	case at.Before(latest.Truncate(time.Second)):
		return "", fmt.Errorf("signed at %s, before an item's status (derived for %s)", s.Time, latest.UTC().Format(time.RFC3339))
	case err != nil || !created.Equal(at):
		return "", fmt.Errorf("created %q, signed at %s: a presentation is signed when it is made", p.Created, s.Time)
	}
	st, err := p.Statement(s.Time)
	if err != nil {
		return "", err
	}
	var signer string
	for _, cfg := range configs {
		tr, err := trustFor(trust, cfg.Channel)
		if err != nil {
			return "", err
		}
		who, err := cfg.witness(*s, st, at, tr)
		if err != nil {
			return "", err
		}
		signer = who.MSP
	}
	return signer, nil
}

// Print writes a report for people: the presentation's checks, then each
// item's (a bundle's own checks when one fails), with ✓ or ✗, and when it
// was made: a status holds as of its bundle's blocks.
func (r *PresentationReport) Print(w io.Writer) {
	fmt.Fprintf(w, "presentation by %s, made %s", r.Holder, r.Created)
	if r.Audience != "" {
		fmt.Fprintf(w, " for %s", r.Audience)
	}
	fmt.Fprintln(w)
	for _, c := range r.Checks {
		fmt.Fprintf(w, "  %s %-10s %s\n", mark(c.OK), c.Name, c.Detail)
	}
	for _, it := range r.Items {
		fmt.Fprintf(w, "%s %s %s: stated %s, derived for %s\n", mark(it.OK), it.Kind, it.Number, it.Status, it.At)
		for _, c := range it.Checks {
			fmt.Fprintf(w, "  %s %-10s %s\n", mark(c.OK), c.Name, c.Detail)
		}
		if it.Bundle != nil && !it.Bundle.OK {
			for _, c := range it.Bundle.Checks {
				if !c.OK {
					fmt.Fprintf(w, "  %s bundle %s: %s\n", mark(false), c.Name, c.Detail)
				}
			}
		}
	}
	if r.OK {
		fmt.Fprintf(w, "VALID presentation of %s: %d item(s), signed by %s at %s; each status holds as of its bundle's blocks\n", r.Holder, len(r.Items), r.SignedBy, r.SignedAt)
	} else {
		fmt.Fprintf(w, "INVALID presentation\n")
	}
}

func mark(ok bool) string {
	if ok {
		return "✓"
	}
	return "✗"
}
