package proof

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"dataledger/certs"
	"dataledger/chaincode/domain"
)

// AtSkew is how far the time a bundle derives the status for may precede
// a proven link's transaction: both are client timestamps (the query's
// and the submitter's), which may differ by a clock's drift.
const AtSkew = 5 * time.Minute

// linked is a link the bundle proves: its kind and number, the record as
// the transaction wrote it, and whether every check of it held.
type linked struct {
	kind, number string
	inc          *Inclusion
	tx           *Tx
	value        []byte
}

// verifyLinks checks a signed document's links: each proven like the
// record, decoded, and together exactly the records the latest version of
// the document rests on; then derives its status from them at the
// bundle's time, as the chaincode does (domain.CertificateChain,
// domain.CredentialChain).
func verifyLinks(r *Report, b *Bundle, kind Kind, rec *record, configs map[uint64]*Config, tr Trust) {
	blocks := map[uint64][]byte{}
	var twice []string
	for _, inc := range b.inclusions() {
		if inc.Block != nil {
			if have, ok := blocks[inc.BlockNumber]; !ok {
				blocks[inc.BlockNumber] = inc.Block
			} else if !bytes.Equal(have, inc.Block) {
				twice = append(twice, fmt.Sprint(inc.BlockNumber))
			}
		}
	}
	if len(twice) > 0 { // one number, one block: what is bounded is what is checked
		r.add("links.blocks", fmt.Errorf("the bundle carries different blocks numbered %s", strings.Join(twice, ", ")), "")
		return
	}
	own, _ := domain.CompositeKey(kind.RecordType, b.Number)
	byKey := map[string]*linked{}
	var dup []string
	for i := range b.Links {
		inc := b.Links[i] // a copy: its block may be another inclusion's
		if inc.Block == nil {
			inc.Block = blocks[inc.BlockNumber]
		}
		rt, number := splitKey(inc.Key)
		name := fmt.Sprintf("link[%s %s]", rt, number)
		if byKey[inc.Key] != nil {
			dup = append(dup, rt+" "+number)
			continue
		}
		l := &linked{kind: rt, number: number, inc: &b.Links[i]}
		byKey[inc.Key] = l
		sub := &Report{}
		l.tx, l.value = verifyInclusion(sub, name, b, &inc, configs, tr)
		var err error
		for _, c := range sub.Checks {
			if !c.OK && err == nil {
				err = fmt.Errorf("%s: %s", strings.TrimPrefix(c.Name, name+"."), c.Detail)
			}
		}
		if err == nil {
			err = checkLinkValue(l)
		}
		if err == nil && inc.Key == own {
			err = sameRegistration(b, kind, rec, l.value)
		}
		detail := ""
		if l.tx != nil {
			detail = fmt.Sprintf("transaction %s of block %d (%s by %s at 北京时间 %s) writes it: block, orderers, submitter, validity, endorsements and write verified", short(l.tx.TxID), inc.BlockNumber, l.tx.Function(), creatorName(l.tx), domain.ChinaTime(l.tx.Timestamp.Format(time.RFC3339Nano)))
		}
		r.add(name, err, detail)
	}

	latest := byKey[own]
	required, chain := requiredLinks(kind, b.Number, latest, byKey)
	var missing, extra []string
	for _, k := range required {
		if byKey[k] == nil {
			rt, n := splitKey(k)
			missing = append(missing, rt+" "+n)
		}
	}
	for k, l := range byKey {
		if !slices.Contains(required, k) {
			extra = append(extra, l.kind+" "+l.number)
		}
	}
	slices.Sort(extra)
	var err error
	switch {
	case latest == nil:
		err = fmt.Errorf("the bundle does not prove the latest version of %s %s (link %s %s missing)", kind.Name, b.Number, kind.RecordType, b.Number)
	case len(missing) > 0 || len(extra) > 0 || len(dup) > 0:
		var parts []string
		if len(missing) > 0 {
			parts = append(parts, "missing "+strings.Join(missing, ", "))
		}
		if len(extra) > 0 {
			parts = append(parts, "not a link of this "+kind.Name+": "+strings.Join(extra, ", "))
		}
		if len(dup) > 0 {
			parts = append(parts, "proven twice: "+strings.Join(dup, ", "))
		}
		err = fmt.Errorf("%s", strings.Join(parts, "; "))
	}
	r.add("links.complete", err, fmt.Sprintf("the bundle proves exactly the %d records the latest version of %s %s rests on", len(required), kind.Name, b.Number))

	at, err := time.Parse(time.RFC3339Nano, b.At)
	if err != nil {
		err = fmt.Errorf("the bundle states no time to derive the status for (at %q)", b.At)
	} else {
		var newest *linked
		for _, l := range byKey {
			if l.tx != nil && (newest == nil || l.tx.Timestamp.After(newest.tx.Timestamp)) {
				newest = l
			}
		}
		switch {
		case newest != nil && at.Add(AtSkew).Before(newest.tx.Timestamp):
			err = fmt.Errorf("the status is derived for %s, before %s %s was written (%s)", b.At, newest.kind, newest.number, domain.ChinaTime(newest.tx.Timestamp.Format(time.RFC3339Nano)))
		case at.After(time.Now().Add(AtSkew)):
			err = fmt.Errorf("the status is derived for %s, a time still to come", domain.ChinaTime(b.At))
		}
	}
	r.add("links.at", err, fmt.Sprintf("the status is derived for 北京时间 %s, after every proven link was written", domain.ChinaTime(b.At)))
	for _, c := range r.Checks {
		if !c.OK && (c.Name == "links.complete" || c.Name == "links.at" || strings.HasPrefix(c.Name, "link[")) {
			return // no status from records that do not verify
		}
	}
	var v domain.Verification
	switch c := chain.(type) {
	case domain.CertificateChain:
		v = c.Verify(b.Channel, at)
	case domain.CredentialChain:
		v = c.Verify(b.Channel, at)
	default:
		return
	}
	v.Record = nil // the bundle holds it
	newest, written := uint64(0), time.Time{}
	for _, l := range byKey {
		newest = max(newest, l.inc.BlockNumber)
		if l.tx != nil && l.tx.Timestamp.After(written) {
			written = l.tx.Timestamp
		}
	}
	r.Derived = &v
	r.StatusNote = fmt.Sprintf("derived offline for 北京时间 %s from the records as the blocks this bundle proves hold them (the newest is block %d, last written 北京时间 %s): a change after them shows only in a newer bundle, whatever time it is derived for",
		domain.ChinaTime(b.At), newest, domain.ChinaTime(written.Format(time.RFC3339Nano)))
}

// sameRegistration: the latest version of the document's record is the
// registration the bundle proves, holding the same document.
func sameRegistration(b *Bundle, kind Kind, rec *record, value []byte) error {
	var latest record
	if err := json.Unmarshal(value, &latest); err != nil {
		return fmt.Errorf("the written value is not a %s record: %v", kind.Name, err)
	}
	if got, want := latest.provedTx(kind), rec.provedTx(kind); got != want {
		return fmt.Errorf("the latest version names registration %s, the bundle proves %s", got, want)
	}
	mine, err1 := certs.Canonicalize(b.Document)
	theirs, err2 := certs.Canonicalize(latest.Document)
	if err1 != nil || err2 != nil || !bytes.Equal(mine, theirs) {
		return fmt.Errorf("the latest version holds another document than the bundle's")
	}
	return nil
}

// checkLinkValue: the written value is a record of the link's kind, of its
// number, whose last change is the proven transaction.
func checkLinkValue(l *linked) error {
	var head struct {
		Number     string        `json:"number"`
		CreditCode string        `json:"creditCode"`
		KeyID      string        `json:"keyId"`
		Last       domain.Change `json:"last"`
	}
	if err := json.Unmarshal(l.value, &head); err != nil {
		return fmt.Errorf("the written value is not a %s record: %v", l.kind, err)
	}
	number := map[string]string{domain.TypeParty: head.CreditCode, domain.TypeIssuerKey: head.KeyID}[l.kind]
	if number == "" {
		number = head.Number
	}
	switch {
	case number != l.number:
		return fmt.Errorf("the written record is %s %q, not %q", l.kind, number, l.number)
	case head.Last.TxID != l.inc.TxID:
		return fmt.Errorf("the written record names its last change as transaction %s, the bundle %s", head.Last.TxID, l.inc.TxID)
	}
	return nil
}

// requiredLinks are the keys of the records the latest version of the
// document rests on, as domain's chains read them (ReadCertificateChain,
// ReadCredentialChain), and the chain assembled from the proven records.
// A record known only from another (a credential's agreement) is required
// only when that one is proven.
func requiredLinks(kind Kind, number string, latest *linked, byKey map[string]*linked) ([]string, any) {
	p := &proven{byKey: byKey}
	own := p.need(kind.RecordType, number)
	if latest == nil {
		return p.keys, nil
	}
	switch kind.RecordType {
	case domain.TypeCertificate:
		var r domain.CertificateRecord
		if !p.value(own, &r) {
			return p.keys, nil
		}
		c, _ := domain.ReadCertificateChain(&r, p)
		return p.keys, *c
	case domain.TypeCredential:
		var r domain.CredentialRecord
		if !p.value(own, &r) {
			return p.keys, nil
		}
		c, _ := domain.ReadCredentialChain(&r, p)
		return p.keys, c
	}
	return p.keys, nil
}

// proven is the domain.ChainReader over a bundle's proven records: every
// record read is required (keys), and is nil unless the bundle proves it.
type proven struct {
	byKey map[string]*linked
	keys  []string
}

func (p *proven) need(recordType, id string) string {
	k, err := domain.CompositeKey(recordType, id)
	if err != nil {
		return ""
	}
	if !slices.Contains(p.keys, k) {
		p.keys = append(p.keys, k)
	}
	return k
}

func (p *proven) value(k string, v any) bool {
	l := p.byKey[k]
	return l != nil && l.value != nil && json.Unmarshal(l.value, v) == nil
}

func provenRecord[T any](p *proven, recordType, id string) (*T, error) {
	v := new(T)
	if !p.value(p.need(recordType, id), v) {
		return nil, nil
	}
	return v, nil
}

func (p *proven) Agreement(n string) (*domain.Agreement, error) {
	return provenRecord[domain.Agreement](p, domain.TypeAgreement, n)
}
func (p *proven) Credential(n string) (*domain.CredentialRecord, error) {
	return provenRecord[domain.CredentialRecord](p, domain.TypeCredential, n)
}
func (p *proven) Party(code string) (*domain.Party, error) {
	return provenRecord[domain.Party](p, domain.TypeParty, code)
}
func (p *proven) IssuerKey(id string) (*domain.IssuerKey, error) {
	return provenRecord[domain.IssuerKey](p, domain.TypeIssuerKey, id)
}

// splitKey is a composite key's record type and first attribute.
func splitKey(key string) (string, string) {
	parts := strings.Split(strings.TrimPrefix(key, "\x00"), "\x00")
	if len(parts) < 2 {
		return "?", printableKey(key)
	}
	return parts[0], parts[1]
}

func short(id string) string {
	if len(id) > 16 {
		return id[:16] + "…"
	}
	return id
}

// printDerived writes the derived status, its cause and every link.
func (r *Report) printDerived(w io.Writer) {
	v := r.Derived
	if v == nil {
		return
	}
	fmt.Fprintf(w, "status at 北京时间 %s: %s（%s）\n", domain.ChinaTime(v.At), v.Status, domain.StatusNames[v.Status])
	fmt.Fprintf(w, "  %s\n  %s\n", v.ReasonZh, v.Reason)
	if c := v.Cause; c != nil {
		fmt.Fprintf(w, "  cause: %s %s (%s)\n", c.Kind, c.Number, c.Status)
	}
	for _, l := range v.Links {
		when := ""
		if l.Time != "" {
			when = "北京时间 " + domain.ChinaTime(l.Time)
		}
		number := l.Number
		if len(number) > 28 {
			number = short(number)
		}
		fmt.Fprintf(w, "  - %-11s %-28s %-19s %s  %s\n", l.Kind, number, l.Status, when, l.ReasonZh)
	}
	fmt.Fprintf(w, "  %s\n", r.StatusNote)
}
