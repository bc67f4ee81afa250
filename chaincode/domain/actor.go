package domain

import (
	"fmt"
	"regexp"
)

// Roles carried in a Fabric identity's "dataledger.role" attribute.
const (
	RoleAuthority  = "authority"  // 数据主管部门: issues, decides, sets policy
	RoleOperator   = "operator"   // 运营机构: runs the operation platform
	RoleAgency     = "agency"     // 实施机构
	RoleExchange   = "exchange"   // 数据交易场所
	RoleEnterprise = "enterprise" // 经营主体
	RoleRegulator  = "regulator"  // read-only supervision
	RoleClerk      = "clerk"      // a member with no regime role
	RoleWitness    = "witness"    // signs its org's chain heads (proof.Head); no transactions
)

// RoleAttribute is the certificate attribute that carries the role.
const RoleAttribute = "dataledger.role"

// Actor is who submitted a transaction: the organization (MSP ID), the role
// in its certificate and the identity's name (the certificate's common name,
// never personal data beyond that).
type Actor struct {
	MSP  string `json:"msp"`
	Role string `json:"role,omitempty"`
	ID   string `json:"id"`
	// CreditCode is an enterprise identity's own unified social credit
	// code (CreditCodeAttribute; empty for every other role).
	CreditCode string `json:"creditCode,omitempty"`
}

// Change is the stamp every record carries for its latest change; the
// ledger's key history holds the earlier ones.
type Change struct {
	TxID   string `json:"txId"`
	Time   string `json:"time"` // RFC 3339 UTC, the transaction timestamp
	Actor  Actor  `json:"actor"`
	Action string `json:"action"`
	Reason string `json:"reason,omitempty"`
}

// Jurisdiction is a channel's governance record: whose authority owns it
// (set once, at bootstrap, by that authority) and its exchanges (changed
// by SetExchanges, with a reason).
type Jurisdiction struct {
	Channel      string   `json:"channel"`
	Name         string   `json:"name"`
	DivisionCode string   `json:"divisionCode"`
	AuthorityMSP string   `json:"authorityMsp"`
	ExchangeMSPs []string `json:"exchangeMsps"` // the exchanges on the channel (GX 12(7))
	// SupervisorMSP is the data authority a level up, as the deployment
	// named it at bootstrap ("" for a channel with none, or bootstrapped
	// before it was recorded: no cross-region review there).
	SupervisorMSP string `json:"supervisorMsp,omitempty"`
	Created       Change `json:"created"`
}

// ChannelConfig is what the deployment says of a channel: its data
// authority and its exchanges. It is read once, at bootstrap; from then on
// the jurisdiction record decides.
type ChannelConfig struct {
	Authority string   `json:"authority"`
	Exchanges []string `json:"exchanges"`
	// Supervisor is the data authority a level up (on a city channel, the
	// province's): it alone reviews a cross-region application.
	Supervisor string `json:"supervisor,omitempty"`
	// Private are the members of the channel's private data collection
	// (Collection): the channel's data authorities. Their peers keep the
	// private parts of records; the others keep their hashes.
	Private []string `json:"private,omitempty"`
}

// ACL rule codes.
const (
	RuleOwnAuthority  = "DL-ACL-AUTHORITY"           // only the channel's own data authority (SPEC §4)
	RuleRegistrar     = "DL-ACL-REGISTRAR"           // party registry: the authority or its operator
	RuleBootstrapOnce = "DL-JURISDICTION-1"          // a channel's jurisdiction is set once
	RuleSupervisor    = "DL-JURISDICTION-SUPERVISOR" // the authority a level up is another organization than the channel's own
	RuleBootstrapped  = "DL-JURISDICTION-0"          // a channel must be bootstrapped before use
)

// NewJurisdiction validates a bootstrap request. expectedMSP is the authority
// the deployment names for this channel; the first caller cannot claim it.
func NewJurisdiction(existing *Jurisdiction, channel, name, division string, cfg ChannelConfig, a Actor, c Change) (*Jurisdiction, error) {
	expectedMSP := cfg.Authority
	if existing != nil {
		return nil, Conflict(RuleBootstrapOnce, "channel", "channel %s already belongs to %s since %s", channel, existing.AuthorityMSP, existing.Created.Time)
	}
	if expectedMSP == "" {
		return nil, Forbidden(RuleBootstrapOnce, "channel", "the deployment names no data authority for channel %s", channel)
	}
	if a.MSP != expectedMSP || a.Role != RoleAuthority {
		return nil, Forbidden(RuleOwnAuthority, "caller", "channel %s is bootstrapped by %s with role %q; caller is %s with role %q", channel, expectedMSP, RoleAuthority, a.MSP, a.Role)
	}
	if err := ValidateDivisionCode("divisionCode", division); err != nil {
		return nil, err
	}
	if cfg.Supervisor == expectedMSP {
		return nil, Invalid(RuleSupervisor, "supervisor", "channel %s names its own authority %s as the authority a level up: it would decide on its own filings", channel, expectedMSP)
	}
	if err := ValidateText("name", name, MaxName); err != nil {
		return nil, err
	}
	return &Jurisdiction{Channel: channel, Name: name, DivisionCode: division, AuthorityMSP: a.MSP, ExchangeMSPs: append([]string{}, cfg.Exchanges...),
		SupervisorMSP: cfg.Supervisor, Created: c}, nil
}

var mspIDPattern = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9]{1,40}$`)

// SetExchanges records which organizations are the channel's exchanges
// (an exchange joining, or a ledger bootstrapped before exchanges were
// recorded): the channel authority's decision, with a reason.
func SetExchanges(j *Jurisdiction, msps []string, reason string, c Change) (*Jurisdiction, error) {
	if len(msps) > 20 {
		return nil, Invalid(RuleBootstrapOnce, "exchanges", "at most 20 exchanges")
	}
	for i, m := range msps {
		if !mspIDPattern.MatchString(m) {
			return nil, Invalid(RuleBootstrapOnce, fmt.Sprintf("exchanges[%d]", i), "%q is not an MSP ID", truncate(m, 40))
		}
	}
	if err := ValidateText("reason", reason, MaxReason); err != nil {
		return nil, err
	}
	next := *j
	next.ExchangeMSPs = append([]string{}, msps...)
	return &next, nil
}
