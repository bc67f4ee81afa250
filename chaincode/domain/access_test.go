package domain

import (
	"strings"
	"testing"
	"time"
)

// onNanning is nanning with its exchange.
var onNanning = func() *Jurisdiction {
	j := *nanning
	j.ExchangeMSPs, j.SupervisorMSP = []string{"ExchangeMSP"}, "ProvinceMSP"
	return &j
}()

// The representative callers, in the order of the columns below.
var callers = []struct {
	name  string
	actor Actor
}{
	{"authority", Actor{MSP: "CityAMSP", Role: RoleAuthority}},
	{"operator", Actor{MSP: "CityAMSP", Role: RoleOperator}},
	{"clerk", Actor{MSP: "CityAMSP", Role: RoleClerk}},
	{"no role", Actor{MSP: "CityAMSP"}},
	{"province regulator", Actor{MSP: "ProvinceMSP", Role: RoleRegulator}},
	{"province authority", Actor{MSP: "ProvinceMSP", Role: RoleAuthority}},
	{"exchange", Actor{MSP: "ExchangeMSP", Role: RoleExchange}},
	{"self-styled exchange", Actor{MSP: "CityAMSP", Role: RoleExchange}}, // a role its own CA gave it
	{"exchange not on the channel", Actor{MSP: "Exchange2MSP", Role: RoleExchange}},
	{"another city's authority", Actor{MSP: "CityBMSP", Role: RoleAuthority}},
}

// Who may act, one column per caller above: + allowed, - refused.
const (
	authorityOnlyCols = "+---------"
	registrarCols     = "++--------"
	exchangeCols      = "------+---"
	supervisorCols    = "-----+----"
	everyoneCols      = "++++++++++"
)

// TestAccessTable states, for every action, who may act and the rule a
// refusal names; it is written out here, apart from the table, so a change
// of the table is a change of this test too.
func TestAccessTable(t *testing.T) {
	want := map[Action]struct {
		cols, rule, doing string
	}{
		ActBootstrap:               {everyoneCols, "", ""}, // NewJurisdiction decides, on the deployment's configuration
		ActSetExchanges:            {authorityOnlyCols, RuleOwnAuthority, "setting the channel's exchanges"},
		ActSetProfile:              {authorityOnlyCols, RuleOwnAuthority, "setting the policy profile"},
		ActAdoptProfile:            {authorityOnlyCols, RuleOwnAuthority, "setting the policy profile"},
		ActLoadCalendar:            {authorityOnlyCols, RuleOwnAuthority, "loading a working-day calendar"},
		ActRegisterParty:           {registrarCols, RuleRegistrar, "registering a party"},
		ActChangePartyStatus:       {registrarCols, RuleRegistrar, "suspend of a party"},
		ActRegisterIssuerKey:       {authorityOnlyCols, RuleOwnAuthority, "registering an issuer key"},
		ActRotateIssuerKey:         {authorityOnlyCols, RuleOwnAuthority, "registering an issuer key"},
		ActRevokeIssuerKey:         {authorityOnlyCols, RuleOwnAuthority, "revoke of an issuer key"},
		ActRecordAgreement:         {registrarCols, RuleRegistrar, "recording an agreement"},
		ActFileAgreement:           {authorityOnlyCols, RuleOwnAuthority, "filing an agreement"},
		ActChangeAgreement:         {authorityOnlyCols, RuleOwnAuthority, "changing an agreement"},
		ActEndAgreement:            {authorityOnlyCols, RuleOwnAuthority, "suspend of an agreement"},
		ActIssueCredential:         {registrarCols, RuleIssuer, "issuing a credential"},
		ActChangeCredentialStatus:  {authorityOnlyCols, RuleOwnAuthority, "suspend of a credential"},
		ActApply:                   {everyoneCols, "", ""}, // Apply decides: the enterprise itself, or the registrar for it
		ActResubmitApplication:     {everyoneCols, "", ""}, // Resubmit decides, likewise
		ActPreliminaryReview:       {registrarCols, RuleRegistrar, "the preliminary review"},
		ActExitOnboarding:          {everyoneCols, "", ""}, // ExitOnboarding decides: the enterprise itself, or the registrar for it
		ActAnswerQualityRequest:    {authorityOnlyCols, RuleOwnAuthority, "recording a data provider's answer"},
		ActResolveQualityRequest:   {authorityOnlyCols, RuleOwnAuthority, "recording a quality resolution"},
		ActExtendComplianceReview:  {authorityOnlyCols, RuleOwnAuthority, "extending the compliance review"},
		ActComplianceReview:        {everyoneCols, "", ""}, // ComplianceReview decides, on the application (cross-region: a level up)
		ActAttachScenarioAgreement: {registrarCols, RuleRegistrar, "linking the scenario agreement"},
		ActStartDevelopment:        {registrarCols, RuleRegistrar, "starting development"},
		ActSubmitProduct:           {registrarCols, RuleRegistrar, "submitting the product for its evaluation"},
		ActVerifyConsistency:       {registrarCols, RuleRegistrar, "the consistency verification"},
		ActStartPublicNotice:       {registrarCols, RuleRegistrar, "the public notice"},
		ActRegisterCertificate:     {registrarCols, RuleIssuer, "registering a product certificate"},
		ActFileObjection:           {everyoneCols, "", ""},
		ActDecideObjection:         {registrarCols, RuleRegistrar, "deciding an objection"},
		ActConfirmDestruction:      {registrarCols, RuleRegistrar, "confirming data destruction"},
		ActCheckEgress:             {registrarCols, RuleRegistrar, "an egress check"},
		ActAcknowledgeCertificate:  {exchangeCols, RuleExchangeOnly, "acknowledges certificates"},
		ActRecordNational:          {registrarCols, RuleIssuer, "recording a national registration"},
		ActRecordReport:            {authorityOnlyCols, RuleOwnAuthority, "recording a supervision report"},
		ActOpenObligation:          {everyoneCols, "", ""}, // OpenObligation decides, by the kind
		ActFileObligation:          {everyoneCols, "", ""}, // FileObligation decides: the party itself, or the registrar for it
		ActDecideObligation:        {everyoneCols, "", ""}, // DecideObligation decides: the authority, or the supervisor of what is owed a level up
		ActRecordCredit:            {authorityOnlyCols, RuleOwnAuthority, "recording a credit record"},
		ActRescindCredit:           {authorityOnlyCols, RuleOwnAuthority, "rescinding a credit record"},
		ActRecordEvaluation:        {authorityOnlyCols, RuleOwnAuthority, "recording an evaluation"},
		ActOpenSelection:           {authorityOnlyCols, RuleOwnAuthority, "announcing an operator selection"},
		ActNominateCandidates:      {authorityOnlyCols, RuleOwnAuthority, "publishing the operator candidates"},
		ActSelectOperator:          {authorityOnlyCols, RuleOwnAuthority, "selecting the operator"},
		ActRecordPlan:              {authorityOnlyCols, RuleOwnAuthority, "recording an implementation plan"},
		ActFilePlan:                {authorityOnlyCols, RuleOwnAuthority, "filing an implementation plan a level up"},
		ActDecidePlanFiling:        {supervisorCols, RuleReviewer, "deciding on a plan's upward filing"},
	}
	for _, act := range Actions() {
		if _, ok := want[act]; !ok {
			t.Errorf("%s is in the access table but not in this test", act)
		}
	}
	for act, w := range want {
		if _, ok := AccessOf(act); !ok {
			t.Errorf("%s has no row in the access table", act)
			continue
		}
		for i, c := range callers {
			err := Allow(onNanning, c.actor, act, "suspend")
			if w.cols[i] == '+' {
				if err != nil {
					t.Errorf("%s by %s: refused: %v", act, c.name, err)
				}
				continue
			}
			re, ok := AsRule(err)
			if !ok || re.Kind != KindForbidden || re.Rule != w.rule || re.Field != "caller" {
				t.Errorf("%s by %s: got %v, want forbidden %s on caller", act, c.name, err, w.rule)
				continue
			}
			if !strings.Contains(re.Detail, w.doing) || !strings.Contains(re.Detail, c.actor.MSP) {
				t.Errorf("%s by %s: the refusal %q does not name the action (%q) and the caller", act, c.name, re.Detail, w.doing)
			}
		}
	}
}

// TestSupervisorRowNeedsASupervisor: on a channel that records no
// authority a level up (the province's own), nobody decides what is for
// the supervisor, and the refusal says why.
func TestSupervisorRowNeedsASupervisor(t *testing.T) {
	for _, c := range callers {
		err := Allow(nanning, c.actor, ActDecidePlanFiling)
		wantRule(t, err, RuleReviewer, "caller")
		if re, _ := AsRule(err); !strings.Contains(re.Detail, "records none") {
			t.Errorf("%s: %q does not say the channel records no supervisor", c.name, re.Detail)
		}
	}
}

func TestAllowRefusesAnActionWithoutARow(t *testing.T) {
	err := Allow(onNanning, callers[0].actor, Action("MintMoney"))
	wantRule(t, err, RuleAccessUnknown, "function")
}

// TestAllowWordsTheVerb: the rows that name the transaction's own verb
// read as before the table ("terminate of an agreement …"), and the
// others ignore it.
func TestAllowWordsTheVerb(t *testing.T) {
	clerk := callers[2].actor
	re, _ := AsRule(Allow(onNanning, clerk, ActEndAgreement, "terminate"))
	if !strings.HasPrefix(re.Detail, "terminate of an agreement on channel nanning is reserved to the data authority CityAMSP") {
		t.Errorf("detail %q", re.Detail)
	}
	re, _ = AsRule(Allow(onNanning, clerk, ActFileAgreement, "x"))
	if !strings.HasPrefix(re.Detail, "filing an agreement on channel nanning") {
		t.Errorf("detail %q", re.Detail)
	}
	re, _ = AsRule(Allow(onNanning, clerk, ActAcknowledgeCertificate))
	if !strings.HasPrefix(re.Detail, "only an exchange of channel nanning ([ExchangeMSP]) with role \"exchange\" acknowledges certificates") {
		t.Errorf("detail %q", re.Detail)
	}
}

// TestComplianceReviewDecidesWhoReviews: who records a compliance review
// depends on the application, so ComplianceReview decides it (the table
// lets everyone through): the channel's authority, and for a cross-region
// application an authority of another organization.
func TestComplianceReviewDecidesWhoReviews(t *testing.T) {
	app := func(cross bool) *Application {
		return &Application{ApplicationInput: ApplicationInput{CrossRegion: cross}, Stage: StagePreliminaryApproved, Reviews: map[string]string{}}
	}
	for _, c := range []struct {
		caller      int
		cross       bool
		rule, field string
	}{
		{0, false, "", ""},
		{5, false, RuleOwnAuthority, "caller"},
		{2, false, RuleOwnAuthority, "caller"},
		{0, true, RuleReviewer, "caller"},
		{2, true, RuleReviewer, "caller"},
		{5, true, "", ""},
		{9, true, RuleReviewer, "caller"}, // another city's authority is not the supervisor
	} {
		ch := Change{TxID: "tx", Time: "2026-03-02T01:00:00Z", Actor: callers[c.caller].actor}
		supervised := *nanning
		supervised.SupervisorMSP = "ProvinceMSP"
		_, err := ComplianceReview(&supervised, app(c.cross), ReviewerAgency, DecisionApproved, "", at, ch)
		if c.rule == "" {
			if err != nil {
				t.Errorf("%s (cross-region %v): %v", callers[c.caller].name, c.cross, err)
			}
			continue
		}
		wantRule(t, err, c.rule, c.field)
	}
	// No application: refused as not the authority before "not found".
	_, err := ComplianceReview(nanning, nil, ReviewerAgency, DecisionApproved, "", at, change("CityAMSP", RoleClerk))
	wantRule(t, err, RuleOwnAuthority, "caller")
}

// A cross-region application is reviewed only by the supervising
// authority the deployment named; a channel that records none fails
// closed.
func TestCrossRegionReviewerIsTheNamedSupervisor(t *testing.T) {
	app := &Application{ApplicationInput: ApplicationInput{CrossRegion: true}}
	now := time.Date(2026, 3, 2, 1, 0, 0, 0, time.UTC)
	province := Actor{MSP: "ProvinceMSP", Role: RoleAuthority}
	for _, c := range []struct {
		supervisor string
		actor      Actor
	}{
		{"", province},
		{"ProvinceMSP", Actor{MSP: "ExchangeMSP", Role: RoleAuthority}},
		{"ProvinceMSP", Actor{MSP: "CityAMSP", Role: RoleAuthority}},
		{"ProvinceMSP", Actor{MSP: "ProvinceMSP", Role: RoleClerk}},
	} {
		j := &Jurisdiction{Channel: "nanning", AuthorityMSP: "CityAMSP", SupervisorMSP: c.supervisor}
		_, err := ComplianceReview(j, app, ReviewerAgency, DecisionApproved, "", now, Change{Actor: c.actor})
		if re, ok := AsRule(err); !ok || re.Rule != RuleReviewer || re.Kind != KindForbidden {
			t.Errorf("supervisor %q, caller %+v: %v", c.supervisor, c.actor, err)
		}
	}
	j := &Jurisdiction{Channel: "nanning", AuthorityMSP: "CityAMSP", SupervisorMSP: "ProvinceMSP"}
	_, err := ComplianceReview(j, app, ReviewerAgency, DecisionApproved, "", now, Change{Actor: province})
	if re, ok := AsRule(err); ok && re.Rule == RuleReviewer && re.Field == "caller" {
		t.Fatalf("the named supervisor is refused as caller: %v", err)
	}
}
