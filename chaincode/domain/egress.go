package domain

import "time"

// Egress checks (出域核查, ZW 23) and exchanges' acknowledgements
// (GX 12(7): pushed to the exchanges; GD 28).

// Egress results.
const (
	EgressPassed = "passed"
	EgressFailed = "failed"
)

// Exchange acknowledgement statuses.
const (
	AckReceived = "received"
	AckListed   = "listed"
	AckDelisted = "delisted"
)

// Rule codes.
const (
	RuleEgress       = "DL-EGRESS"
	RuleExchangeOnly = "DL-ACL-EXCHANGE" // only an exchange acknowledges, for itself
	RuleListing      = "DL-LISTING"
)

// EgressCheck is one egress check of a registered product.
type EgressCheck struct {
	RegistrationNumber string `json:"registrationNumber"`
	Result             string `json:"result"`
	ReportDigest       string `json:"reportDigest"`
	Reasons            string `json:"reasons,omitempty"`
	Checked            Change `json:"checked"`
}

// CheckEgress records an egress check by the operator: a product leaves
// the platform only after a passed check (ZW 23); a failed check carries
// its reasons.
func CheckEgress(j *Jurisdiction, chain *CertificateChain, now time.Time, result, reportDigest, reasons string, c Change) (*EgressCheck, error) {
	if chain == nil || chain.Certificate == nil {
		return nil, NotFound(RuleCertificateExists, "registrationNumber", "no registered product on channel %s", j.Channel)
	}
	if result != EgressPassed && result != EgressFailed {
		return nil, Invalid(RuleEgress, "result", "%q is not passed or failed", truncate(result, 32))
	}
	cert := chain.Certificate
	if v := chain.Verify(j.Channel, now); result == EgressPassed && v.Status != VerifyValid {
		return nil, Conflict(RuleEgress, "registrationNumber", "the product reads %s: it may not leave the platform (%s)", v.Status, v.Reason)
	}
	if !digestRE.MatchString(reportDigest) {
		return nil, Invalid(RuleDigest, "reportDigest", "must be the SM3 digest of the check report")
	}
	if result == EgressFailed {
		if err := requireReasons(DecisionRejected, reasons); err != nil {
			return nil, err
		}
	}
	c.Action = "egress-" + result
	return &EgressCheck{RegistrationNumber: cert.Number, Result: result, ReportDigest: reportDigest, Reasons: reasons, Checked: c}, nil
}

// Acknowledgement is one exchange's receipt and listing of a certificate.
type Acknowledgement struct {
	RegistrationNumber string `json:"registrationNumber"`
	ExchangeMSP        string `json:"exchangeMsp"`
	Status             string `json:"status"`
	Last               Change `json:"last"`
	Version            int    `json:"version"`
}

// Acknowledge records an exchange's receipt, listing or delisting of a
// certificate. The exchange is the caller's own organization: nobody
// acknowledges for another exchange. Listing needs a certificate in force.
func Acknowledge(j *Jurisdiction, chain *CertificateChain, now time.Time, cur *Acknowledgement, action string, c Change) (*Acknowledgement, error) {
	if chain == nil || chain.Certificate == nil {
		return nil, NotFound(RuleCertificateExists, "registrationNumber", "no such registered product")
	}
	from := map[string][]string{
		AckReceived: {""},
		AckListed:   {AckReceived, AckDelisted},
		AckDelisted: {AckListed},
	}[action]
	if from == nil {
		return nil, Invalid(RuleListing, "action", "%q is not received, listed or delisted", truncate(action, 32))
	}
	status, version := "", 0
	if cur != nil {
		status, version = cur.Status, cur.Version
	}
	if !contains(from, status) {
		return nil, Conflict(RuleListing, "action", "cannot record %s after %q", action, status)
	}
	cert := chain.Certificate
	if v := chain.Verify(j.Channel, now); action == AckListed && v.Status != VerifyValid {
		return nil, Conflict(RuleListing, "registrationNumber", "the certificate reads %s and may not be listed (%s)", v.Status, v.Reason)
	}
	c.Action = action
	return &Acknowledgement{RegistrationNumber: cert.Number, ExchangeMSP: c.Actor.MSP, Status: action, Last: c, Version: version + 1}, nil
}
