package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"dataledger/certs"
	"dataledger/chaincode/domain"
	"dataledger/proof"
)

// Check is one check of a report's verification.
type Check struct {
	Name   string `json:"name"`
	OK     bool   `json:"ok"`
	Detail string `json:"detail"`
}

// Verification is what Verify found.
type Verification struct {
	OK     bool                      `json:"ok"`
	Report *domain.SupervisionReport `json:"report,omitempty"`
	Checks []Check                   `json:"checks"`
	Pinned bool                      `json:"pinned"`
}

func (v *Verification) add(name string, err error, detail string) {
	c := Check{Name: name, OK: err == nil, Detail: detail}
	if err != nil {
		c.Detail = err.Error()
	}
	v.Checks = append(v.Checks, c)
}

// Verify checks a report's directory with no network: its summary's SM2
// signature verifies with the authority's public key; every file it names
// is there with the SM3 digest and size it names; and the proof bundle of
// its record proves, from the genesis block the trust file pins, that the
// ledger recorded this very summary. Nothing else in the directory is
// trusted.
func Verify(dir string, pub *certs.PublicKey, trust *proof.TrustFile) *Verification {
	v := &Verification{Pinned: trust != nil}
	defer func() {
		v.OK = len(v.Checks) > 0
		for _, c := range v.Checks {
			v.OK = v.OK && c.OK
		}
	}()
	signed, err := os.ReadFile(filepath.Join(dir, SummaryFile))
	if err != nil {
		v.add("summary", err, "")
		return v
	}
	o, err := certs.OpenSigned(signed, certs.OnlyKey(pub))
	if err == nil && o.Document.DocType() != domain.DocTypeReport {
		err = fmt.Errorf("%s is a %s, not a supervision report", SummaryFile, o.Document.DocType())
	}
	if err != nil {
		v.add("summary.signature", err, "")
		return v
	}
	doc := o.Document.(*domain.SupervisionReport)
	v.Report = doc
	if doc.IssuerKeyID != pub.KeyID() {
		err = fmt.Errorf("the summary names key %s, the key given is %s", doc.IssuerKeyID, pub.KeyID())
	}
	v.add("summary.signature", err, fmt.Sprintf("SM2 signature of %s verifies with key %s; every field is valid", doc.IssuingDepartment, pub.KeyID()))
	for _, f := range doc.Files {
		got, err := fileDigest(filepath.Join(dir, f.Name))
		if err == nil && (got.SM3 != f.SM3 || got.Bytes != f.Bytes) {
			err = fmt.Errorf("%s has SM3 %s (%d bytes), the signed summary names %s (%d bytes): the file was changed", f.Name, got.SM3, got.Bytes, f.SM3, f.Bytes)
		}
		v.add("file["+f.Name+"]", err, fmt.Sprintf("%s: SM3 %s, %d bytes, as signed", f.Name, f.SM3, f.Bytes))
	}
	raw, err := os.ReadFile(filepath.Join(dir, ProofFile))
	if err != nil {
		v.add("ledger", fmt.Errorf("no proof bundle of the report's record (%s): %w", ProofFile, err), "")
		return v
	}
	b, err := proof.ParseBundle(raw)
	if err != nil {
		v.add("ledger", err, "")
		return v
	}
	r := proof.Verify(b, trust)
	err = nil
	if !r.OK {
		for _, c := range r.Checks {
			if !c.OK {
				err = fmt.Errorf("the proof bundle fails %s: %s", c.Name, c.Detail)
				break
			}
		}
	}
	v.add("ledger.proof", err, fmt.Sprintf("block %d of channel %s holds the record's transaction %s: block, orderers, endorsements verified from the pinned genesis", b.Record.BlockNumber, b.Channel, b.Record.TxID))
	err = func() error {
		if b.Kind != "report" || b.Number != doc.ReportNumber || b.Channel != doc.Channel {
			return fmt.Errorf("the bundle proves %s %s on %s, not report %s on %s", b.Kind, b.Number, b.Channel, doc.ReportNumber, doc.Channel)
		}
		var rec domain.ReportRecord
		if err := json.Unmarshal(b.Record.Value, &rec); err != nil {
			return fmt.Errorf("the written value is not a report record: %v", err)
		}
		recorded, err := certs.Canonicalize(rec.Document)
		if err != nil {
			return err
		}
		if !bytes.Equal(recorded, o.Canonical) {
			return fmt.Errorf("the ledger recorded another summary under %s", doc.ReportNumber)
		}
		return nil
	}()
	v.add("ledger.summary", err, fmt.Sprintf("the ledger recorded this signed summary, with these file digests, as report %s", doc.ReportNumber))
	return v
}
