package domain

// Party roles in the regime (SPEC §4.1).
const (
	PartyOperator     = "operator"      // 运营机构
	PartyEnterprise   = "enterprise"    // 经营主体 / 数商
	PartyExchange     = "exchange"      // 数据交易场所
	PartyDataProvider = "data_provider" // 数源单位
	PartyAgency       = "agency"        // 实施机构
)

// PartyRoles lists the roles with their Chinese names.
var PartyRoles = map[string]string{
	PartyOperator:     "运营机构",
	PartyEnterprise:   "数据产品经营主体",
	PartyExchange:     "数据交易场所",
	PartyDataProvider: "数源单位",
	PartyAgency:       "实施机构",
}

// Party statuses.
const (
	PartyActive    = "active"
	PartySuspended = "suspended"
	PartyExited    = "exited"
)

// Party is a registered operator, enterprise, exchange, data provider or
// implementing agency. Its key is the unified social credit code.
type Party struct {
	CreditCode   string  `json:"creditCode"`
	Name         string  `json:"name"`
	Role         string  `json:"role"`
	DivisionCode string  `json:"divisionCode"`
	Status       string  `json:"status"`
	Onboarded    Change  `json:"onboarded"`
	Exited       *Change `json:"exited,omitempty"`
	Last         Change  `json:"last"`
	Version      int     `json:"version"`
}

// PartyInput is what a registrar submits.
type PartyInput struct {
	CreditCode   string `json:"creditCode"`
	Name         string `json:"name"`
	Role         string `json:"role"`
	DivisionCode string `json:"divisionCode"`
}

// Party rule codes.
const (
	RulePartyUnique     = "DL-PARTY-UNIQUE"     // one record per credit code and channel
	RulePartyRole       = "DL-PARTY-ROLE"       // a known regime role
	RulePartyDivision   = "DL-PARTY-DIVISION"   // within the channel's jurisdiction
	RulePartyTransition = "DL-PARTY-TRANSITION" // active ⇄ suspended → exited
	RulePartyExists     = "DL-PARTY-EXISTS"
)

// Validate checks a registration request on its own.
func (in PartyInput) Validate() error {
	if err := ValidateCreditCode("creditCode", in.CreditCode); err != nil {
		return err
	}
	if err := ValidateText("name", in.Name, MaxName); err != nil {
		return err
	}
	if _, ok := PartyRoles[in.Role]; !ok {
		return Invalid(RulePartyRole, "role", "%q is not one of operator, enterprise, exchange, data_provider, agency", truncate(in.Role, 32))
	}
	return ValidateDivisionCode("divisionCode", in.DivisionCode)
}

// RegisterParty decides a registration (ZW 18, NS 18): the registrar of the
// channel's jurisdiction records a new party, active from the transaction
// time. existing is the current record for that credit code, if any.
func RegisterParty(j *Jurisdiction, existing *Party, in PartyInput, c Change) (*Party, error) {
	if err := in.Validate(); err != nil {
		return nil, err
	}
	if !DivisionContains(j.DivisionCode, in.DivisionCode) {
		return nil, Invalid(RulePartyDivision, "divisionCode", "%s is outside the jurisdiction %s (%s) of channel %s", in.DivisionCode, j.DivisionCode, j.Name, j.Channel)
	}
	if existing != nil {
		return nil, Conflict(RulePartyUnique, "creditCode", "%s is already registered on %s as %q (status %s, since %s)", in.CreditCode, j.Channel, existing.Name, existing.Status, existing.Onboarded.Time)
	}
	c.Action = "register"
	return &Party{
		CreditCode: in.CreditCode, Name: in.Name, Role: in.Role, DivisionCode: in.DivisionCode,
		Status: PartyActive, Onboarded: c, Last: c, Version: 1,
	}, nil
}

// partyTransitions lists which status each action leads from and to.
var partyTransitions = map[string]struct {
	from []string
	to   string
}{
	"suspend":   {[]string{PartyActive}, PartySuspended},
	"reinstate": {[]string{PartySuspended}, PartyActive},
	"exit":      {[]string{PartyActive, PartySuspended}, PartyExited},
}

// ChangePartyStatus decides a suspension, reinstatement or exit; each needs
// a reason. The record is superseded, never deleted.
func ChangePartyStatus(j *Jurisdiction, p *Party, action, reason string, c Change) (*Party, error) {
	t, ok := partyTransitions[action]
	if !ok {
		return nil, Invalid(RulePartyTransition, "action", "%q is not suspend, reinstate or exit", truncate(action, 32))
	}
	if p == nil {
		return nil, NotFound(RulePartyExists, "creditCode", "no party with this credit code on channel %s", j.Channel)
	}
	if err := ValidateText("reason", reason, MaxReason); err != nil {
		return nil, err
	}
	allowed := false
	for _, f := range t.from {
		allowed = allowed || p.Status == f
	}
	if !allowed {
		return nil, Conflict(RulePartyTransition, "status", "cannot %s a party that is %s", action, p.Status)
	}
	next := *p
	c.Action, c.Reason = action, reason
	next.Status, next.Last, next.Version = t.to, c, p.Version+1
	if action == "exit" {
		next.Exited = &c
	}
	return &next, nil
}
