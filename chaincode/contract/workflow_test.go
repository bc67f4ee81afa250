package contract

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"dataledger/certs"
	"dataledger/chaincode/domain"
	"dataledger/chaincode/store"
)

var (
	providerCode    = withCheck("91450100MA5L00003")
	cityAExchange   = domain.Actor{MSP: "ExchangeMSP", Role: domain.RoleExchange, ID: "exchange"}
	provinceAuth    = domain.Actor{MSP: "ProvinceMSP", Role: domain.RoleAuthority, ID: "authority"}
	applicationSeq  = 0
	registrationSeq = 0
)

func (f *fixture) dataProvider() {
	b, _ := json.Marshal(domain.PartyInput{CreditCode: providerCode, Name: "南宁市公共交通集团", Role: domain.PartyDataProvider, DivisionCode: "450103"})
	must[*domain.Party](f.t)(run(f, cityAOperator, func(s store.Store) (*domain.Party, error) { return app.RegisterParty(s, string(b)) }))
}

// declaration is a grantee's eligibility declaration on an authorizing
// agreement (GX 6, 9, 11 and the others' articles).
var declaration = domain.FullDeclaration(certs.SM3Hex([]byte("资格条件承诺书")))

func applicationInput(applicant string, nonPublic bool, redeveloped ...string) domain.ApplicationInput {
	applicationSeq++
	return domain.ApplicationInput{
		Number:              domain.Number{Prefix: domain.PrefixApplication, Division: "450100", Year: 2026, Serial: fmt.Sprintf("AP%06d", applicationSeq)}.String(),
		ApplicantCreditCode: applicant, ProductName: "城市通勤客流指数", ProductType: "dataset", Scenario: "公交线网优化",
		ResourceIDs: []string{"RES-450100-0001"}, DataProviders: []string{providerCode}, UsesNonPublicData: nonPublic,
		RedevelopedFrom: redeveloped, DesignDigest: certs.SM3Hex([]byte("design")),
	}
}

func (f *fixture) apply(in domain.ApplicationInput) (*domain.Application, error) {
	b, _ := json.Marshal(in)
	return run(f, cityAOperator, func(s store.Store) (*domain.Application, error) { return app.Apply(s, string(b)) })
}

// throughVerification takes an application from apply to a passed
// consistency verification (of the product submitted, under GD 26).
func (f *fixture) throughVerification(in domain.ApplicationInput) string {
	t := f.t
	t.Helper()
	n := f.throughDevelopment(in)
	product := certs.SM3Hex([]byte("product"))
	verifier := cityAOperator
	if f.profile.ProductReviewWorkingDays > 0 { // GD 26: submitted, then evaluated for the authority
		must[*domain.Application](t)(run(f, cityAOperator, func(s store.Store) (*domain.Application, error) { return app.SubmitProduct(s, n, product) }))
		verifier = cityAAuthority
	}
	must[*domain.Application](t)(run(f, verifier, func(s store.Store) (*domain.Application, error) {
		return app.VerifyConsistency(s, n, product, "true", "", domain.DecisionApproved, "")
	}))
	return n
}

// throughDevelopment takes an application from apply to development.
func (f *fixture) throughDevelopment(in domain.ApplicationInput) string {
	t := f.t
	t.Helper()
	must[*domain.Application](t)(f.apply(in))
	n := in.Number
	steps := []func(s store.Store) (*domain.Application, error){
		func(s store.Store) (*domain.Application, error) {
			return app.PreliminaryReview(s, n, domain.DecisionApproved, "")
		},
	}
	for _, fn := range steps {
		must[*domain.Application](t)(run(f, cityAOperator, fn))
	}
	for _, reviewer := range []string{domain.ReviewerAgency, providerCode} {
		must[*domain.Application](t)(run(f, cityAAuthority, func(s store.Store) (*domain.Application, error) {
			return app.ComplianceReview(s, n, reviewer, domain.DecisionApproved, "")
		}))
	}
	scenario := f.recordAgreement(domain.AgreementScenario, operatorCode, in.ApplicantCreditCode, "2026-03-01", "2029-02-28", "2026-03-02")
	must[*domain.Agreement](t)(run(f, cityAAuthority, func(s store.Store) (*domain.Agreement, error) { return app.FileAgreement(s, scenario) }))
	for _, fn := range []func(s store.Store) (*domain.Application, error){
		func(s store.Store) (*domain.Application, error) { return app.AttachScenarioAgreement(s, n, scenario) },
		func(s store.Store) (*domain.Application, error) { return app.StartDevelopment(s, n) },
	} {
		must[*domain.Application](t)(run(f, cityAOperator, fn))
	}
	return n
}

// certificate builds a certificate for the next transaction on the ledger.
func (f *fixture) certificate(enterprise, name string, edit func(c *domain.Certificate)) *domain.Certificate {
	registrationSeq++
	c := &domain.Certificate{
		Type: domain.DocTypeCertificate, CertificateName: "数据产品登记证书", ProductName: "城市通勤客流指数",
		RegistrationNumber: domain.Number{Prefix: domain.PrefixRegistration, Division: "450100", Year: 2026, Serial: fmt.Sprintf("RG%06d", registrationSeq)}.String(),
		ProductType:        "dataset", EnterpriseName: name, EnterpriseCreditCode: enterprise, UpdateCycle: "每日",
		ApplicationScenario: "公交线网优化", ChainReference: domain.ChainReference{Channel: "nanning", TxID: f.m.NextTxID()},
		RegistrationDate: domain.DateOf(f.m.NextTime()).Format(time.DateOnly), ResourceIDs: []string{"RES-450100-0001"},
		IssuingDepartment: "南宁市大数据发展局", AuthorizationNumbers: []string{},
	}
	if edit != nil {
		edit(c)
	}
	return c
}

func (f *fixture) signCert(c *domain.Certificate) string {
	b, _ := json.Marshal(c)
	signed, err := certs.Sign(b, f.key, nil)
	if err != nil {
		f.t.Fatal(err)
	}
	return string(signed)
}

func (f *fixture) register(c *domain.Certificate, application string) (*domain.CertificateRecord, error) {
	signed := f.signCert(c)
	return run(f, cityAOperator, func(s store.Store) (*domain.CertificateRecord, error) {
		return app.RegisterCertificate(s, signed, application)
	})
}

func TestScenarioWorkflowToRegistration(t *testing.T) {
	f := newFixture(t, "GX")
	f.dataProvider()
	in := applicationInput(holderCode, true)
	// Steps out of order are refused naming the stage they need.
	must[*domain.Application](t)(f.apply(in))
	n := in.Number
	f.refused(cityAOperator, domain.RuleStep, func(s store.Store) error { _, err := app.StartDevelopment(s, n); return err })
	f.refused(cityAAuthority, domain.RuleStep, func(s store.Store) error {
		_, err := app.ComplianceReview(s, n, domain.ReviewerAgency, domain.DecisionApproved, "")
		return err
	})
	f.refused(cityAOperator, domain.RuleReasons, func(s store.Store) error {
		_, err := app.PreliminaryReview(s, n, domain.DecisionRejected, "")
		return err
	})
	f.refused(cityAClerk, domain.RuleRegistrar, func(s store.Store) error {
		_, err := app.PreliminaryReview(s, n, domain.DecisionApproved, "")
		return err
	})
	f.refused(cityAOperator, domain.RuleApplicationUniq, func(s store.Store) error {
		b, _ := json.Marshal(in)
		_, err := app.Apply(s, string(b))
		return err
	})
	a := must[*domain.Application](t)(run(f, cityAOperator, func(s store.Store) (*domain.Application, error) { return app.GetApplication(s, n) }))
	if a.PreliminaryDeadline != "2026-03-05" { // GX 12: 3 working days after Monday 2026-03-02
		t.Fatalf("preliminary deadline %s", a.PreliminaryDeadline)
	}

	n2 := f.throughVerification(applicationInput(holderCode, true))
	notice := must[*domain.Application](t)(run(f, cityAOperator, func(s store.Store) (*domain.Application, error) { return app.StartPublicNotice(s, n2) }))
	if notice.Stage != domain.StageInNotice || !strings.HasPrefix(notice.NoticeEnds, "2026-03-12") {
		t.Fatalf("notice %s until %s", notice.Stage, notice.NoticeEnds)
	}
	_, err := f.register(f.certificate(holderCode, "广西数智科技有限公司", nil), n2)
	wantRuleErr(t, err, "GX-12.6")

	f.m.SetClock(time.Date(2026, 3, 12, 2, 0, 0, 0, time.UTC))
	_, err = f.register(f.certificate(holderCode, "广西数智科技有限公司", func(c *domain.Certificate) { c.ChainReference.TxID = certs.SM3Hex([]byte("another tx")) }), n2)
	wantRuleErr(t, err, domain.RuleChainReference)
	_, err = f.register(f.certificate(holderCode, "广西数智科技有限公司", func(c *domain.Certificate) { c.ChainReference.Channel = "liuzhou" }), n2)
	wantRuleErr(t, err, domain.RuleCredentialChannel)
	_, err = f.register(f.certificate(holderCode, "广西数智科技有限公司", func(c *domain.Certificate) { c.ResourceIDs = []string{"RES-OTHER"} }), n2)
	wantRuleErr(t, err, domain.RuleCertificateLink)
	cert := f.certificate(holderCode, "广西数智科技有限公司", nil)
	rec, err := f.register(cert, n2)
	if err != nil {
		t.Fatal(err)
	}
	if rec.Registered.TxID != cert.ChainReference.TxID || rec.ApplicationNumber != n2 {
		t.Fatalf("record %+v", rec)
	}
	done := must[*domain.Application](t)(run(f, cityAOperator, func(s store.Store) (*domain.Application, error) { return app.GetApplication(s, n2) }))
	if done.Stage != domain.StageRegistered || done.RegistrationNumber != cert.RegistrationNumber {
		t.Fatalf("application after registration: %s %s", done.Stage, done.RegistrationNumber)
	}
	var ev domain.Event
	_ = json.Unmarshal(f.m.Events[len(f.m.Events)-1].Payload, &ev)
	if len(ev.Changes) != 2 || ev.Changes[0].Key != cert.RegistrationNumber || ev.Changes[1].Key != n2 {
		t.Fatalf("registration event %+v", ev)
	}
}

func wantRuleErr(t *testing.T, err error, rule string) {
	t.Helper()
	re, ok := domain.AsRule(err)
	if !ok || re.Rule != rule {
		t.Fatalf("got %v, want a refusal by %s", err, rule)
	}
}

func TestSilenceCountsAsApprovalAfterTheDeadline(t *testing.T) {
	f := newFixture(t, "ZW")
	f.dataProvider()
	in := applicationInput(holderCode, false)
	must[*domain.Application](t)(f.apply(in))
	n := in.Number
	pre := must[*domain.Application](t)(run(f, cityAOperator, func(s store.Store) (*domain.Application, error) {
		return app.PreliminaryReview(s, n, domain.DecisionApproved, "")
	}))
	// ZW 21: 10 working days after Monday 2026-03-02 is Monday 2026-03-16.
	if pre.ComplianceDeadline != "2026-03-16" {
		t.Fatalf("compliance deadline %s", pre.ComplianceDeadline)
	}
	get := func() *domain.Application {
		return must[*domain.Application](t)(run(f, cityAOperator, func(s store.Store) (*domain.Application, error) { return app.GetApplication(s, n) }))
	}
	f.m.SetClock(time.Date(2026, 3, 16, 15, 0, 0, 0, time.UTC)) // 23:00 CST on the deadline day
	if a := get(); a.Stage != domain.StagePreliminaryApproved {
		t.Fatalf("on the deadline day: %s", a.Stage)
	}
	f.m.SetClock(time.Date(2026, 3, 16, 16, 30, 0, 0, time.UTC)) // 00:30 CST the next day
	a := get()
	last := a.Steps[len(a.Steps)-1]
	if a.Stage != domain.StageComplianceApproved || last.Decision != domain.DecisionDeemedApproved || last.Effective != "2026-03-16T16:00:00Z" || last.TxID != "" {
		t.Fatalf("after the deadline: %s %+v", a.Stage, last)
	}
	// The next transaction on the record materializes it, effective at the deadline.
	scenario := f.recordAgreement(domain.AgreementScenario, operatorCode, holderCode, "2026-03-01", "2029-02-28", "2026-03-02")
	must[*domain.Agreement](t)(run(f, cityAAuthority, func(s store.Store) (*domain.Agreement, error) { return app.FileAgreement(s, scenario) }))
	// The agreement is found among the applicant's grants: another's is
	// none, and the read set names neither.
	theirs := f.recordAgreement(domain.AgreementScenario, operatorCode, otherEntCode, "2026-03-01", "2029-02-28", "2026-03-02")
	f.refused(cityAOperator, domain.RuleAgreementExists, func(s store.Store) error { _, err := app.AttachScenarioAgreement(s, n, theirs); return err })
	txID := f.m.NextTxID()
	after := must[*domain.Application](t)(run(f, cityAOperator, func(s store.Store) (*domain.Application, error) {
		return app.AttachScenarioAgreement(s, n, scenario)
	}))
	for k := range f.m.Last.Reads {
		if strings.Contains(k, scenario) || strings.Contains(k, holderCode) {
			t.Fatalf("attaching the scenario agreement read %q", k)
		}
	}
	if asked := f.m.Last.ProvedFacts; len(asked) != 1 || asked[0] != holderCode {
		t.Fatalf("attaching the scenario agreement checked the facts of %v", asked)
	}
	deemed := after.Steps[len(after.Steps)-2]
	if after.Stage != domain.StageAgreementFiled || deemed.Decision != domain.DecisionDeemedApproved || deemed.TxID != txID || deemed.Effective != "2026-03-16T16:00:00Z" {
		t.Fatalf("materialized: %s %+v", after.Stage, deemed)
	}

	// With an extension filed, silence is not approval.
	in2 := applicationInput(holderCode, false)
	must[*domain.Application](t)(f.apply(in2))
	must[*domain.Application](t)(run(f, cityAOperator, func(s store.Store) (*domain.Application, error) {
		return app.PreliminaryReview(s, in2.Number, domain.DecisionApproved, "")
	}))
	must[*domain.Application](t)(run(f, cityAAuthority, func(s store.Store) (*domain.Application, error) {
		return app.ExtendComplianceReview(s, in2.Number, "需补充数据安全评估")
	}))
	f.m.SetClock(time.Date(2026, 6, 1, 2, 0, 0, 0, time.UTC))
	if a := must[*domain.Application](t)(run(f, cityAOperator, func(s store.Store) (*domain.Application, error) { return app.GetApplication(s, in2.Number) })); a.Stage != domain.StagePreliminaryApproved {
		t.Fatalf("with an extension: %s", a.Stage)
	}
}

func TestCrossRegionIsReviewedALevelUp(t *testing.T) {
	f := newFixture(t, "GX")
	f.dataProvider()
	in := applicationInput(holderCode, false)
	in.CrossRegion = true
	must[*domain.Application](t)(f.apply(in))
	must[*domain.Application](t)(run(f, cityAOperator, func(s store.Store) (*domain.Application, error) {
		return app.PreliminaryReview(s, in.Number, domain.DecisionApproved, "")
	}))
	// Neither the channel's own authority, nor another member whose own
	// CA wrote "authority" into its certificate (outside the private data
	// collection, it cannot even read the application), nor the
	// province's clerk.
	for _, who := range []domain.Actor{cityAAuthority, {MSP: "ExchangeMSP", Role: domain.RoleAuthority, ID: "self-styled"},
		cityBAuthority, {MSP: "ProvinceMSP", Role: domain.RoleClerk, ID: "clerk"}} {
		rule := domain.RuleReviewer
		if who.MSP == "ExchangeMSP" || who.MSP == "CityBMSP" {
			rule = domain.RulePrivateRead
		}
		f.refused(who, rule, func(s store.Store) error {
			_, err := app.ComplianceReview(s, in.Number, domain.ReviewerAgency, domain.DecisionApproved, "")
			return err
		})
	}
	a := must[*domain.Application](t)(run(f, provinceAuth, func(s store.Store) (*domain.Application, error) {
		return app.ComplianceReview(s, in.Number, domain.ReviewerAgency, domain.DecisionRejected, "跨区域数据出境风险未评估")
	}))
	if a.Stage != domain.StageRejected || a.Steps[len(a.Steps)-1].Actor.MSP != "ProvinceMSP" {
		t.Fatalf("%s %+v", a.Stage, a.Steps[len(a.Steps)-1])
	}
}

func TestObjectionOutcomes(t *testing.T) {
	f := newFixture(t, "GX")
	cred := f.credential(nil)
	if _, err := f.issue(cityAOperator, f.sign(cred, f.key), f.agreem); err != nil {
		t.Fatal(err)
	}
	objectionSeq := 0
	file := func(actor domain.Actor, target string) string {
		objectionSeq++
		in := domain.ObjectionInput{Number: domain.Number{Prefix: domain.PrefixObjection, Division: "450100", Year: 2026, Serial: fmt.Sprintf("YJ%06d", objectionSeq)}.String(),
			TargetKind: "certificate", Target: target, EvidenceDigest: certs.SM3Hex([]byte("evidence")), Summary: "产品包含未授权数据"}
		b, _ := json.Marshal(in)
		must[*domain.Objection](f.t)(run(f, actor, func(s store.Store) (*domain.Objection, error) { return app.FileObjection(s, string(b)) }))
		return in.Number
	}
	decide := func(n, outcome, deadline string) (*domain.Objection, error) {
		b, _ := json.Marshal(domain.ObjectionDecision{Outcome: outcome, Reasons: "经核实", DestructionDeadline: deadline})
		return run(f, cityAOperator, func(s store.Store) (*domain.Objection, error) { return app.DecideObjection(s, n, string(b)) })
	}
	status := func(n string) string {
		return must[*domain.Verification](f.t)(run(f, cityAClerk, func(s store.Store) (*domain.Verification, error) { return app.VerifyCertificate(s, n) })).Status
	}
	newCert := func() string {
		c := f.certificate(holderCode, "广西数智科技有限公司", func(c *domain.Certificate) {
			c.PreExisting, c.AuthorizationNumbers = true, []string{cred.AuthorizationNumber}
		})
		if _, err := f.register(c, ""); err != nil {
			f.t.Fatal(err)
		}
		return c.RegistrationNumber
	}
	for _, tc := range []struct{ outcome, deadline, after, credential string }{
		{domain.OutcomeDismissed, "", domain.VerifyValid, domain.CredentialValid},
		{domain.OutcomeRegistrationRevoked, "", domain.VerifyRevoked, domain.CredentialValid},
		{domain.OutcomeDataDestructionOrdered, "2026-04-30", domain.VerifyRevoked, domain.CredentialValid},
		{domain.OutcomeAuthorizationChanged, "", domain.VerifySuspended, domain.CredentialSuspended}, // its listed credential is suspended
	} {
		t.Run(tc.outcome, func(t *testing.T) {
			f.t = t
			reg := newCert()
			o := file(cityAExchange, reg) // anyone on the channel may object
			if got := status(reg); got != domain.VerifySuspended {
				t.Fatalf("with an open objection the certificate reads %s", got)
			}
			txID := f.m.NextTxID()
			if _, err := decide(o, tc.outcome, tc.deadline); err != nil {
				t.Fatal(err)
			}
			if got := status(reg); got != tc.after {
				t.Fatalf("after %s: %s, want %s", tc.outcome, got, tc.after)
			}
			r := must[*domain.CredentialRecord](t)(run(f, cityAClerk, func(s store.Store) (*domain.CredentialRecord, error) {
				return app.GetCredential(s, cred.AuthorizationNumber)
			}))
			if r.Status != tc.credential {
				t.Fatalf("credential after %s: %s", tc.outcome, r.Status)
			}
			if tc.outcome == domain.OutcomeAuthorizationChanged && r.Last.TxID != txID {
				t.Fatal("the credential was not suspended in the decision's transaction")
			}
			f.refused(cityAOperator, domain.RuleObjectionClosed, func(s store.Store) error {
				_, err := app.DecideObjection(s, o, `{"outcome":"dismissed","reasons":"again"}`)
				return err
			})
			if tc.outcome == domain.OutcomeDataDestructionOrdered {
				c := must[*domain.Objection](t)(run(f, cityAOperator, func(s store.Store) (*domain.Objection, error) {
					return app.ConfirmDestruction(s, o, certs.SM3Hex([]byte("销毁记录")))
				}))
				if c.Destruction == nil || c.DestroyedLate {
					t.Fatalf("destruction %+v", c)
				}
			}
		})
	}
	f.t = t
	f.refused(cityAExchange, domain.RuleObjectionTarget, func(s store.Store) error {
		b, _ := json.Marshal(domain.ObjectionInput{Number: domain.Number{Prefix: domain.PrefixObjection, Division: "450100", Year: 2026, Serial: "YJ999999"}.String(),
			TargetKind: "certificate", Target: domain.Number{Prefix: domain.PrefixRegistration, Division: "450100", Year: 2026, Serial: "NPE00000"}.String(),
			EvidenceDigest: certs.SM3Hex([]byte("e")), Summary: "x"})
		_, err := app.FileObjection(s, string(b))
		return err
	})
}

func TestOperatorSelfDealingBan(t *testing.T) {
	f := newFixture(t, "GX")
	f.dataProvider()
	delivered := f.certificate(operatorCode, "广西数据运营有限公司", func(c *domain.Certificate) { c.PreExisting = true })
	if _, err := f.register(delivered, ""); err != nil {
		t.Fatal(err)
	}
	_, err := f.apply(applicationInput(operatorCode, false, delivered.RegistrationNumber))
	wantRuleErr(t, err, "GX-7.8")
	if _, err := f.apply(applicationInput(holderCode, false, delivered.RegistrationNumber)); err != nil {
		t.Fatalf("an enterprise re-developing the operator's product: %v", err)
	}
}

func TestExchangeAcknowledgementsAndEgress(t *testing.T) {
	f := newFixture(t, "GX")
	c := f.certificate(holderCode, "广西数智科技有限公司", func(c *domain.Certificate) { c.PreExisting = true })
	if _, err := f.register(c, ""); err != nil {
		t.Fatal(err)
	}
	n := c.RegistrationNumber
	ack := func(actor domain.Actor, action string) func(s store.Store) error {
		return func(s store.Store) error { _, err := app.AcknowledgeCertificate(s, n, action); return err }
	}
	f.refused(cityAOperator, domain.RuleExchangeOnly, ack(cityAOperator, domain.AckReceived))
	f.refused(provinceAuth, domain.RuleExchangeOnly, ack(provinceAuth, domain.AckReceived))
	selfStyled := domain.Actor{MSP: "CityAMSP", Role: domain.RoleExchange, ID: "self-styled"} // a role its own CA gave it
	f.refused(selfStyled, domain.RuleExchangeOnly, ack(selfStyled, domain.AckReceived))
	f.refused(cityAExchange, domain.RuleListing, ack(cityAExchange, domain.AckListed))
	// A second exchange joins the channel by the authority's decision.
	second := domain.Actor{MSP: "Exchange2MSP", Role: domain.RoleExchange, ID: "exchange"}
	f.refused(second, domain.RuleExchangeOnly, ack(second, domain.AckReceived))
	f.refused(cityAOperator, domain.RuleOwnAuthority, func(s store.Store) error {
		_, err := app.SetExchanges(s, `["ExchangeMSP","Exchange2MSP"]`, "北部湾数据交易所接入")
		return err
	})
	must[*domain.Jurisdiction](t)(run(f, cityAAuthority, func(s store.Store) (*domain.Jurisdiction, error) {
		return app.SetExchanges(s, `["ExchangeMSP","Exchange2MSP"]`, "北部湾数据交易所接入")
	}))
	if _, err := f.m.Run(second, ack(second, domain.AckReceived)); err != nil {
		t.Fatal(err)
	}
	for _, a := range []string{domain.AckReceived, domain.AckListed} {
		if _, err := f.m.Run(cityAExchange, ack(cityAExchange, a)); err != nil {
			t.Fatal(err)
		}
	}
	acks := must[[]domain.Acknowledgement](t)(run(f, cityAClerk, func(s store.Store) ([]domain.Acknowledgement, error) { return app.ListAcknowledgements(s, n) }))
	if len(acks) != 2 || acks[1].ExchangeMSP != "ExchangeMSP" || acks[1].Status != domain.AckListed || acks[0].ExchangeMSP != "Exchange2MSP" {
		t.Fatalf("acks %+v", acks)
	}
	egress := func(result, reasons string) func(s store.Store) error {
		return func(s store.Store) error {
			_, err := app.CheckEgress(s, n, result, certs.SM3Hex([]byte("report")), reasons)
			return err
		}
	}
	f.refused(cityAOperator, domain.RuleReasons, egress(domain.EgressFailed, ""))
	f.refused(cityAClerk, domain.RuleRegistrar, egress(domain.EgressPassed, ""))
	if _, err := f.m.Run(cityAOperator, egress(domain.EgressPassed, "")); err != nil {
		t.Fatal(err)
	}
	checks := must[*domain.Page[domain.EgressCheck]](t)(run(f, cityAClerk, func(s store.Store) (*domain.Page[domain.EgressCheck], error) {
		return app.ListEgressChecks(s, n, 10, "")
	}))
	if len(checks.Items) != 1 || checks.Items[0].Result != domain.EgressPassed {
		t.Fatalf("egress %+v", checks)
	}
	// A failed check's result is public (an exchange lists only after a
	// passed one); its reasons are words: the operator reads them, the
	// exchange does not, and the world state holds none.
	if _, err := f.m.Run(cityAOperator, egress(domain.EgressFailed, "出境接收方未通过安全评估")); err != nil {
		t.Fatal(err)
	}
	for who, words := range map[domain.Actor]bool{cityAOperator: true, cityAExchange: false} {
		checks := must[*domain.Page[domain.EgressCheck]](t)(run(f, who, func(s store.Store) (*domain.Page[domain.EgressCheck], error) {
			return app.ListEgressChecks(s, n, 10, "")
		}))
		failed := slices.IndexFunc(checks.Items, func(c domain.EgressCheck) bool { return c.Result == domain.EgressFailed })
		if len(checks.Items) != 2 || failed < 0 || (checks.Items[failed].Reasons == "出境接收方未通过安全评估") != words {
			t.Fatalf("%s/%s lists %+v", who.MSP, who.Role, checks.Items)
		}
	}
	for k, v := range f.m.Snapshot() {
		if strings.Contains(v, "出境接收方未通过安全评估") {
			t.Fatalf("world state key %q holds a check's reasons", k)
		}
	}
}

func TestDisclosuresArePaged(t *testing.T) {
	f := newFixture(t, "GX")
	for i := 0; i < 5; i++ {
		if _, err := f.issue(cityAOperator, f.sign(f.credential(nil), f.key), f.agreem); err != nil {
			t.Fatal(err)
		}
		c := f.certificate(holderCode, "广西数智科技有限公司", func(c *domain.Certificate) { c.PreExisting = true })
		if _, err := f.register(c, ""); err != nil {
			t.Fatal(err)
		}
	}
	var auths []domain.AuthorizationDisclosure
	var products []domain.ProductDisclosure
	for bm, i := "", 0; i == 0 || bm != ""; i++ {
		p := must[*domain.Page[domain.AuthorizationDisclosure]](t)(run(f, cityAExchange, func(s store.Store) (*domain.Page[domain.AuthorizationDisclosure], error) {
			return app.ListDisclosedAuthorizations(s, 2, bm)
		}))
		auths, bm = append(auths, p.Items...), p.Bookmark
	}
	for bm, i := "", 0; i == 0 || bm != ""; i++ {
		p := must[*domain.Page[domain.ProductDisclosure]](t)(run(f, cityAExchange, func(s store.Store) (*domain.Page[domain.ProductDisclosure], error) {
			return app.ListDisclosedProducts(s, 2, bm)
		}))
		products, bm = append(products, p.Items...), p.Bookmark
	}
	if len(auths) != 5 || auths[0].Holder != "广西数智科技有限公司" || auths[0].Content == "" || auths[0].Status != domain.CredentialValid {
		t.Fatalf("authorizations %d %+v", len(auths), auths)
	}
	if len(products) != 5 || products[0].Status != domain.VerifyValid || !products[0].PreExisting || products[0].ChainReference.TxID == "" {
		t.Fatalf("products %d %+v", len(products), products)
	}
}

// A certificate may list only credentials in force: one whose agreement
// has ended is refused, though its own record was never rewritten.
func TestCertificateRefusesACredentialWhoseAgreementEnded(t *testing.T) {
	f := newFixture(t, "GX")
	f.dataProvider()
	cred := f.credential(nil)
	if _, err := f.issue(cityAOperator, f.sign(cred, f.key), f.agreem); err != nil {
		t.Fatal(err)
	}
	n := f.throughVerification(applicationInput(holderCode, false))
	with := func(c *domain.Certificate) { c.AuthorizationNumbers = []string{cred.AuthorizationNumber} }
	must[*domain.Agreement](t)(run(f, cityAAuthority, func(s store.Store) (*domain.Agreement, error) {
		return app.EndAgreement(s, f.agreem, "revoke", "授权方撤销")
	}))
	_, err := f.register(f.certificate(holderCode, "广西数智科技有限公司", with), n)
	wantRuleErr(t, err, domain.RuleCertificateLink)
}

// The public product list, verification, listing and egress decide on the
// same derived status: a suspended enterprise suspends its products in
// each, and its reinstatement restores them.
func TestProductStatusFollowsItsChainEverywhere(t *testing.T) {
	f := newFixture(t, "GX")
	cred := f.issued()
	c := f.preExisting(cred)
	listed := func() string {
		p := must[*domain.Page[domain.ProductDisclosure]](t)(run(f, cityAClerk, func(s store.Store) (*domain.Page[domain.ProductDisclosure], error) {
			return app.ListDisclosedProducts(s, 50, "")
		}))
		for _, d := range p.Items {
			if d.RegistrationNumber == c.RegistrationNumber {
				return d.Status
			}
		}
		t.Fatalf("%s is not disclosed", c.RegistrationNumber)
		return ""
	}
	verified := func() string {
		return must[*domain.Verification](t)(run(f, cityAClerk, func(s store.Store) (*domain.Verification, error) {
			return app.VerifyCertificate(s, c.RegistrationNumber)
		})).Status
	}
	party := func(action string) {
		must[*domain.Party](t)(run(f, cityAAuthority, func(s store.Store) (*domain.Party, error) {
			return app.ChangePartyStatus(s, holderCode, action, "限期整改")
		}))
	}
	if listed() != domain.VerifyValid || verified() != domain.VerifyValid {
		t.Fatalf("registered: listed %s, verified %s", listed(), verified())
	}
	party("suspend")
	if listed() != domain.VerifySuspended || verified() != domain.VerifySuspended {
		t.Fatalf("enterprise suspended: listed %s, verified %s", listed(), verified())
	}
	must[*domain.Acknowledgement](t)(run(f, cityAExchange, func(s store.Store) (*domain.Acknowledgement, error) {
		return app.AcknowledgeCertificate(s, c.RegistrationNumber, domain.AckReceived)
	}))
	_, err := run(f, cityAExchange, func(s store.Store) (*domain.Acknowledgement, error) {
		return app.AcknowledgeCertificate(s, c.RegistrationNumber, domain.AckListed)
	})
	if re, ok := domain.AsRule(err); !ok || re.Rule != domain.RuleListing || !strings.Contains(re.Detail, "reads suspended") {
		t.Fatalf("listing a product whose enterprise is suspended: %v", err)
	}
	f.refused(cityAOperator, domain.RuleEgress, func(s store.Store) error {
		_, err := app.CheckEgress(s, c.RegistrationNumber, domain.EgressPassed, certs.SM3Hex([]byte("报告")), "")
		return err
	})
	party("reinstate")
	if listed() != domain.VerifyValid || verified() != domain.VerifyValid {
		t.Fatalf("enterprise reinstated: listed %s, verified %s", listed(), verified())
	}
	// The ledger clock past the agreement's term (2028-12-31): the
	// authorization ended, with nothing written.
	f.m.SetClock(time.Date(2029, 1, 1, 0, 0, 0, 0, time.UTC))
	v := must[*domain.Verification](t)(run(f, cityAClerk, func(s store.Store) (*domain.Verification, error) {
		return app.VerifyCertificate(s, c.RegistrationNumber)
	}))
	if v.Status != domain.VerifyAuthorizationEnded || listed() != domain.VerifyAuthorizationEnded || !strings.Contains(v.Reason, "expired") {
		t.Fatalf("past the agreement's term: %s (%s), listed %s", v.Status, v.Reason, listed())
	}
	for _, l := range v.Links {
		if l.Kind == domain.LinkAgreement && (l.Status != domain.VerifyAuthorizationEnded || !strings.Contains(l.ReasonZh, "到期")) {
			t.Fatalf("the agreement link past its term: %+v", l)
		}
	}
}

// A certificate signed with a key the channel's registry does not hold is
// refused by name, never a crash of the chaincode (the peer reports a
// panic as a terminated stream, with no rule).
func TestCertificateWithAnUnknownKeyIsRefused(t *testing.T) {
	f := newFixture(t, "GX")
	forger, err := certs.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	c := f.certificate(holderCode, "广西数智科技有限公司", func(c *domain.Certificate) { c.PreExisting = true; c.IssuerKeyID = forger.Public().KeyID() })
	b, _ := json.Marshal(c)
	signed, err := certs.Sign(b, forger, nil)
	if err != nil {
		t.Fatal(err)
	}
	f.refused(cityAOperator, domain.RuleKeyUnknown, func(s store.Store) error {
		_, err := app.RegisterCertificate(s, string(signed), "")
		return err
	})
}

// A certificate's national registration: recorded by the issuer, shown in
// its verification, found by either code; a code is one certificate's; a
// correction needs a reason and frees the codes it replaced; bad codes are
// refused by name.
func TestNationalRegistrationCodes(t *testing.T) {
	f := newFixture(t, "GX")
	cred := f.credential(nil)
	if _, err := f.issue(cityAOperator, f.sign(cred, f.key), f.agreem); err != nil {
		t.Fatal(err)
	}
	register := func() string {
		c := f.certificate(holderCode, "广西数智科技有限公司", func(c *domain.Certificate) {
			c.PreExisting, c.AuthorizationNumbers = true, []string{cred.AuthorizationNumber}
		})
		if _, err := f.register(c, ""); err != nil {
			t.Fatal(err)
		}
		return c.RegistrationNumber
	}
	a, b := register(), register()
	record := func(actor domain.Actor, number string, in domain.NationalInput) (*domain.CertificateRecord, error) {
		raw, _ := json.Marshal(in)
		return run(f, actor, func(s store.Store) (*domain.CertificateRecord, error) {
			return app.RecordNationalRegistration(s, number, string(raw))
		})
	}
	find := func(code string) (*domain.Verification, error) {
		return run(f, cityAClerk, func(s store.Store) (*domain.Verification, error) { return app.FindCertificateByNationalCode(s, code) })
	}
	in := domain.NationalInput{Platform: "国家数据资产登记平台", QueryCode: "CX-2026-000123", UnifiedCode: "DPR:450100:2026:0001"}
	rec, err := record(cityAOperator, a, in)
	if err != nil || rec.National == nil || rec.National.QueryCode != in.QueryCode || rec.National.Recorded.TxID == "" {
		t.Fatalf("recorded: %+v %v", rec, err)
	}
	for _, code := range []string{in.QueryCode, in.UnifiedCode} {
		if v, err := find(code); err != nil || v.Number != a || v.Status != domain.VerifyValid {
			t.Fatalf("find %s: %+v %v", code, v, err)
		}
	}
	wantRule := func(what, rule, field string, err error) {
		t.Helper()
		if re, ok := domain.AsRule(err); !ok || re.Rule != rule || re.Field != field {
			t.Fatalf("%s: %v, want %s on %s", what, err, rule, field)
		}
	}
	_, err = record(cityAOperator, b, domain.NationalInput{Platform: "国家数据资产登记平台", QueryCode: in.QueryCode})
	wantRule("another certificate's code", domain.RuleNationalUnique, "queryCode", err)
	_, err = record(cityAOperator, a, in)
	wantRule("the same registration twice", domain.RuleNationalUnique, "queryCode", err)
	_, err = record(cityAOperator, a, domain.NationalInput{Platform: "国家数据资产登记平台", QueryCode: "CX-2026-000124"})
	wantRule("a correction without a reason", domain.RuleText, "reason", err)
	for _, bad := range []string{"", "ab", "带中文的码", "has space", "CX/2026", "CX#1", strings.Repeat("x", 65)} {
		_, err = record(cityAOperator, b, domain.NationalInput{Platform: "国家数据资产登记平台", QueryCode: bad})
		wantRule("code "+bad, domain.RuleNationalCode, "queryCode", err)
	}
	_, err = record(cityAExchange, b, domain.NationalInput{Platform: "国家数据资产登记平台", QueryCode: "CX-2026-000200"})
	if re, ok := domain.AsRule(err); !ok || re.Kind != domain.KindForbidden {
		t.Fatalf("an exchange records a national registration: %v", err)
	}
	// A correction frees the codes it replaced: they name nobody, and may
	// be given to another certificate.
	corrected, err := record(cityAOperator, a, domain.NationalInput{Platform: "国家数据资产登记平台", QueryCode: "CX-2026-000124", Reason: "平台更正查询码"})
	if err != nil {
		t.Fatal(err)
	}
	// The correction's words are private (the reason rule): not in the
	// answer the block keeps, nor in the world state; the operator reads
	// them, the public does not, and they stay with the correction after
	// a later change (an objection) becomes the certificate's last.
	if answer, _ := outPublic(corrected, nil); strings.Contains(answer, "平台更正查询码") {
		t.Fatalf("the answer holds the words: %s", answer)
	}
	for k, v := range f.m.Snapshot() {
		if strings.Contains(v, "平台更正查询码") {
			t.Fatalf("world state key %q holds the words", k)
		}
	}
	obj, _ := json.Marshal(domain.ObjectionInput{Number: domain.Number{Prefix: domain.PrefixObjection, Division: "450100", Year: 2026, Serial: "YY0NAT10"}.String(),
		TargetKind: "certificate", Target: a, EvidenceDigest: certs.SM3Hex([]byte("e")), Summary: "异议"})
	must[*domain.Objection](t)(run(f, cityAClerk, func(s store.Store) (*domain.Objection, error) { return app.FileObjection(s, string(obj)) }))
	for who, want := range map[domain.Actor]string{cityAOperator: "平台更正查询码", cityAClerk: ""} {
		c := must[*domain.CertificateRecord](t)(run(f, who, func(s store.Store) (*domain.CertificateRecord, error) { return app.GetCertificate(s, a) }))
		if c.National.Recorded.Reason != want || c.Last.Action == "national-registration" {
			t.Fatalf("%s/%s reads the correction's words %q after %s, want %q", who.MSP, who.Role, c.National.Recorded.Reason, c.Last.Action, want)
		}
	}
	_, err = find(in.QueryCode)
	wantRule("a replaced code", domain.RuleCertificateExists, "code", err)
	if _, err := record(cityAOperator, b, domain.NationalInput{Platform: "国家数据资产登记平台", QueryCode: in.QueryCode}); err != nil {
		t.Fatalf("a freed code given to another certificate: %v", err)
	}
	if v, err := find(in.QueryCode); err != nil || v.Number != b {
		t.Fatalf("the freed code now names %+v %v", v, err)
	}
}

// A revoked certificate takes no national registration: its verification
// keeps naming the revocation as its last change.
func TestNationalRegistrationNotOnARevokedCertificate(t *testing.T) {
	d := domain.Jurisdiction{Channel: "nanning"}
	revoked := &domain.CertificateRecord{Number: "DJ-1", Status: domain.CertificateRevoked, StatusReason: "objection upheld"}
	_, err := domain.RecordNational(&d, revoked, domain.NationalInput{Platform: "国家数据资产登记平台", QueryCode: "CX-2026-000999"}, nil, domain.Change{})
	if re, ok := domain.AsRule(err); !ok || re.Rule != domain.RuleNationalUnique || re.Field != "registrationNumber" {
		t.Fatalf("a revoked certificate: %v", err)
	}
	_, err = domain.RecordNational(&d, &domain.CertificateRecord{Number: "DJ-2", Status: domain.CertificateValid}, domain.NationalInput{Platform: "平台", QueryCode: "CX-2026-000998", Reason: "bad\u202ereason"}, nil, domain.Change{})
	if re, ok := domain.AsRule(err); !ok || re.Rule != domain.RuleText || re.Field != "reason" {
		t.Fatalf("a reason with a bidi override: %v", err)
	}
}

// An enterprise files its own application and answers the 初审's request
// for correction itself (GX 10(2), 12(2)): the correction is asked once,
// names what to supplement, stops the review's clock, and the
// resubmission starts it again from that day; another enterprise can do
// neither for it.
func TestPreliminaryReviewAsksForCorrectionOnce(t *testing.T) {
	f := newFixture(t, "GX")
	f.dataProvider()
	self := domain.Actor{MSP: "CityAMSP", Role: domain.RoleEnterprise, ID: "enterprise-" + holderCode, CreditCode: holderCode}
	other := domain.Actor{MSP: "CityAMSP", Role: domain.RoleEnterprise, ID: "enterprise-x", CreditCode: providerCode}
	in := applicationInput(holderCode, false)
	b, _ := json.Marshal(in)
	f.refused(other, domain.RuleOwnApplication, func(s store.Store) error { _, err := app.Apply(s, string(b)); return err })
	f.refused(cityAClerk, domain.RuleRegistrar, func(s store.Store) error { _, err := app.Apply(s, string(b)); return err })
	a := must[*domain.Application](t)(run(f, self, func(s store.Store) (*domain.Application, error) { return app.Apply(s, string(b)) }))
	if a.Stage != domain.StageApplied || a.PreliminaryDeadline != "2026-03-05" || a.Steps[0].Actor.Role != domain.RoleEnterprise {
		t.Fatalf("filed by the enterprise on Monday 2026-03-02: %s due %s by %+v", a.Stage, a.PreliminaryDeadline, a.Steps[0].Actor)
	}
	n := in.Number
	review := func(decision, reasons string) func(s store.Store) (*domain.Application, error) {
		return func(s store.Store) (*domain.Application, error) {
			return app.PreliminaryReview(s, n, decision, reasons)
		}
	}
	f.refused(cityAOperator, domain.RuleReasons, func(s store.Store) error { _, err := review(domain.DecisionCorrection, "")(s); return err })
	f.refused(self, domain.RuleRegistrar, func(s store.Store) error { _, err := review(domain.DecisionApproved, "")(s); return err })
	f.m.SetClock(time.Date(2026, 3, 6, 1, 0, 0, 0, time.UTC)) // Friday: past the deadline
	a = must[*domain.Application](t)(run(f, cityAOperator, review(domain.DecisionCorrection, "补充：数据安全防护措施说明；场景合规承诺书")))
	if a.Stage != domain.StageCorrection || a.PreliminaryDeadline != "" || !a.Steps[1].Late {
		t.Fatalf("after the correction request: %s due %q late %v", a.Stage, a.PreliminaryDeadline, a.Steps[1].Late)
	}
	f.refused(cityAOperator, domain.RuleStep, func(s store.Store) error { _, err := review(domain.DecisionApproved, "")(s); return err })
	resubmit := func(r domain.Resubmission) func(s store.Store) (*domain.Application, error) {
		rb, _ := json.Marshal(r)
		return func(s store.Store) (*domain.Application, error) { return app.ResubmitApplication(s, n, string(rb)) }
	}
	materials := certs.SM3Hex([]byte("补充材料"))
	f.refused(other, domain.RuleOwnApplication, func(s store.Store) error {
		_, err := resubmit(domain.Resubmission{MaterialsDigest: materials})(s)
		return err
	})
	f.refused(self, domain.RuleDigest, func(s store.Store) error {
		_, err := resubmit(domain.Resubmission{MaterialsDigest: "abc"})(s)
		return err
	})
	a = must[*domain.Application](t)(run(f, self, resubmit(domain.Resubmission{MaterialsDigest: materials, Note: "已补充"})))
	// Resubmitted on Friday 2026-03-06: 3 working days → Wednesday 03-11.
	if a.Stage != domain.StageApplied || a.PreliminaryDeadline != "2026-03-11" || a.SupplementDigest != materials {
		t.Fatalf("after the resubmission: %s due %s materials %s", a.Stage, a.PreliminaryDeadline, a.SupplementDigest)
	}
	f.refused(self, domain.RuleStep, func(s store.Store) error {
		_, err := resubmit(domain.Resubmission{MaterialsDigest: materials})(s)
		return err
	})
	f.refused(cityAOperator, domain.RuleCorrection, func(s store.Store) error { _, err := review(domain.DecisionCorrection, "再补充")(s); return err })
	a = must[*domain.Application](t)(run(f, cityAOperator, review(domain.DecisionApproved, "")))
	if a.Stage != domain.StagePreliminaryApproved || a.Steps[len(a.Steps)-1].Late {
		t.Fatalf("approved in time after the resubmission: %s late %v", a.Stage, a.Steps[len(a.Steps)-1].Late)
	}
}

// A catalog authorization application (GX 10): its scope, resources and
// materials, no product; reviewed within the profile's working days
// (GX: 3), returned once for correction, and approved to
// catalog_approved, where the scenario steps do not apply. Under a
// profile that sets no figure it has no deadline.
func TestCatalogApplicationIsReviewedWithinItsDays(t *testing.T) {
	f := newFixture(t, "GX")
	f.dataProvider()
	self := domain.Actor{MSP: "CityAMSP", Role: domain.RoleEnterprise, ID: "enterprise-" + holderCode, CreditCode: holderCode}
	applicationSeq++
	in := domain.ApplicationInput{Number: domain.Number{Prefix: domain.PrefixApplication, Division: "450100", Year: 2026, Serial: fmt.Sprintf("CA%06d", applicationSeq)}.String(),
		Kind: domain.KindCatalog, ApplicantCreditCode: holderCode, Scope: "交通出行类开发目录", ResourceIDs: []string{"RES-450100-0001"},
		MaterialsDigest: certs.SM3Hex([]byte("附件3材料"))}
	apply := func(in domain.ApplicationInput) func(s store.Store) (*domain.Application, error) {
		b, _ := json.Marshal(in)
		return func(s store.Store) (*domain.Application, error) { return app.Apply(s, string(b)) }
	}
	withProduct := in
	withProduct.ProductName = "某产品"
	f.refused(self, domain.RuleApplication, func(s store.Store) error { _, err := apply(withProduct)(s); return err })
	noScope := in
	noScope.Scope = ""
	f.refused(self, domain.RuleText, func(s store.Store) error { _, err := apply(noScope)(s); return err })
	scenarioWithScope := applicationInput(holderCode, false)
	scenarioWithScope.Scope = "x"
	f.refused(self, domain.RuleApplication, func(s store.Store) error { _, err := apply(scenarioWithScope)(s); return err })
	a := must[*domain.Application](t)(run(f, self, apply(in)))
	if a.Stage != domain.StageApplied || a.PreliminaryDeadline != "2026-03-05" || !a.IsCatalog() {
		t.Fatalf("filed: %s due %s", a.Stage, a.PreliminaryDeadline)
	}
	n := in.Number
	review := func(decision, reasons string) func(s store.Store) (*domain.Application, error) {
		return func(s store.Store) (*domain.Application, error) {
			return app.PreliminaryReview(s, n, decision, reasons)
		}
	}
	must[*domain.Application](t)(run(f, cityAOperator, review(domain.DecisionCorrection, "补充：营业执照副本")))
	rb, _ := json.Marshal(domain.Resubmission{MaterialsDigest: certs.SM3Hex([]byte("营业执照副本"))})
	must[*domain.Application](t)(run(f, self, func(s store.Store) (*domain.Application, error) { return app.ResubmitApplication(s, n, string(rb)) }))
	a = must[*domain.Application](t)(run(f, cityAOperator, review(domain.DecisionApproved, "")))
	if a.Stage != domain.StageCatalogApproved {
		t.Fatalf("approved: %s", a.Stage)
	}
	f.refused(cityAAuthority, domain.RuleStep, func(s store.Store) error {
		_, err := app.ComplianceReview(s, n, domain.ReviewerAgency, domain.DecisionApproved, "")
		return err
	})

	zw := newFixture(t, "ZW")
	in.Number = domain.Number{Prefix: domain.PrefixApplication, Division: "450100", Year: 2026, Serial: fmt.Sprintf("CB%06d", applicationSeq)}.String()
	if a := must[*domain.Application](t)(run(zw, self, apply(in))); a.PreliminaryDeadline != "" {
		t.Fatalf("ZW sets no catalog review figure, yet the application is due %s", a.PreliminaryDeadline)
	}
}

// The filing rules an attacker would probe: an enterprise identity that
// another member's CA issued may not file or correct; a caller learns
// nothing of whether an application exists; a number of another division
// is refused; a correction awaiting materials may only be rejected; a
// catalog application takes no design.
func TestApplicationFilingIsTheApplicantsOwn(t *testing.T) {
	f := newFixture(t, "GX")
	f.dataProvider()
	self := domain.Actor{MSP: "CityAMSP", Role: domain.RoleEnterprise, ID: "enterprise-" + holderCode, CreditCode: holderCode}
	forged := domain.Actor{MSP: "ExchangeMSP", Role: domain.RoleEnterprise, ID: "enterprise-" + holderCode, CreditCode: holderCode}
	in := applicationInput(holderCode, false)
	b, _ := json.Marshal(in)
	f.refused(forged, domain.RulePrivateRead, func(s store.Store) error { _, err := app.Apply(s, string(b)); return err }) // outside the collection
	otherDivision := applicationInput(holderCode, false)
	otherDivision.Number = strings.Replace(otherDivision.Number, "450100", "450200", 1)
	ob, _ := json.Marshal(otherDivision)
	f.refused(self, domain.RuleNumber, func(s store.Store) error { _, err := app.Apply(s, string(ob)); return err })

	missing := applicationInput(holderCode, false).Number
	rb, _ := json.Marshal(domain.Resubmission{MaterialsDigest: certs.SM3Hex([]byte("m"))})
	resubmit := func(n string) func(s store.Store) error {
		return func(s store.Store) error { _, err := app.ResubmitApplication(s, n, string(rb)); return err }
	}
	// Not found, or another's: the same refusal, before anything is judged.
	f.refused(cityAClerk, domain.RuleRegistrar, resubmit(missing))
	f.refused(cityAExchange, domain.RulePrivateRead, resubmit(missing)) // outside the collection, for any number
	must[*domain.Application](t)(run(f, self, func(s store.Store) (*domain.Application, error) { return app.Apply(s, string(b)) }))
	stranger := domain.Actor{MSP: "CityAMSP", Role: domain.RoleEnterprise, ID: "enterprise-x", CreditCode: providerCode}
	f.refused(stranger, domain.RuleOwnApplication, resubmit(missing))
	f.refused(stranger, domain.RuleOwnApplication, resubmit(in.Number))
	f.refused(forged, domain.RulePrivateRead, resubmit(in.Number))

	review := func(decision, reasons string) func(s store.Store) (*domain.Application, error) {
		return func(s store.Store) (*domain.Application, error) {
			return app.PreliminaryReview(s, in.Number, decision, reasons)
		}
	}
	must[*domain.Application](t)(run(f, cityAOperator, review(domain.DecisionCorrection, "补充材料清单")))
	f.refused(cityAOperator, domain.RuleStep, func(s store.Store) error { _, err := review(domain.DecisionApproved, "")(s); return err })
	a := must[*domain.Application](t)(run(f, cityAOperator, review(domain.DecisionRejected, "逾期未补正")))
	if a.Stage != domain.StageRejected {
		t.Fatalf("rejected while awaiting materials: %s", a.Stage)
	}

	catalog := domain.ApplicationInput{Number: applicationInput(holderCode, false).Number, Kind: domain.KindCatalog, ApplicantCreditCode: holderCode,
		Scope: "目录", ResourceIDs: []string{"RES-450100-0001"}, MaterialsDigest: certs.SM3Hex([]byte("c"))}
	cb, _ := json.Marshal(catalog)
	must[*domain.Application](t)(run(f, self, func(s store.Store) (*domain.Application, error) { return app.Apply(s, string(cb)) }))
	must[*domain.Application](t)(run(f, cityAOperator, func(s store.Store) (*domain.Application, error) {
		return app.PreliminaryReview(s, catalog.Number, domain.DecisionCorrection, "补充")
	}))
	db, _ := json.Marshal(domain.Resubmission{MaterialsDigest: certs.SM3Hex([]byte("m")), DesignDigest: certs.SM3Hex([]byte("d"))})
	f.refused(self, domain.RuleApplication, func(s store.Store) error {
		_, err := app.ResubmitApplication(s, catalog.Number, string(db))
		return err
	})
}

// GD 26: a developed product is evaluated once submitted, within 10
// working days: the verification before the submission is refused by the
// article, as is the operator's (the implementing agency organizes the
// evaluation: the authority records it), the product evaluated is the one
// submitted, a verification
// after the deadline is recorded late, and a failed one sends it back to
// development to be submitted again.
func TestProductIsEvaluatedOnceSubmitted(t *testing.T) {
	f := newFixture(t, "GD")
	f.dataProvider()
	n := f.throughDevelopment(applicationInput(holderCode, false))
	product := certs.SM3Hex([]byte("交通指数 v1"))
	verify := func(digest, decision, reasons string) func(s store.Store) (*domain.Application, error) {
		return func(s store.Store) (*domain.Application, error) {
			return app.VerifyConsistency(s, n, digest, "true", "", decision, reasons)
		}
	}
	f.refused(cityAOperator, "GD-26", func(s store.Store) error { _, err := verify(product, domain.DecisionApproved, "")(s); return err })
	f.refused(cityAClerk, domain.RuleRegistrar, func(s store.Store) error { _, err := app.SubmitProduct(s, n, product); return err })
	a := must[*domain.Application](t)(run(f, cityAOperator, func(s store.Store) (*domain.Application, error) { return app.SubmitProduct(s, n, product) }))
	submitted := domain.DateOf(f.m.Clock())
	cals := domain.Calendars{}
	for _, c := range domain.BuiltinCalendars() {
		cals[c.Year] = &c
	}
	want, _ := cals.AddWorkingDays(submitted, 10)
	if a.Stage != domain.StageProductSubmitted || a.ProductReviewDeadline != want.Format("2006-01-02") || a.ProductDigest != product {
		t.Fatalf("submitted on %s: %s due %s", submitted.Format("2006-01-02"), a.Stage, a.ProductReviewDeadline)
	}
	f.refused(cityAOperator, "GD-26", func(s store.Store) error { _, err := verify(product, domain.DecisionApproved, "")(s); return err }) // the operator evaluates not
	f.refused(cityAAuthority, domain.RuleApplication, func(s store.Store) error {
		_, err := verify(certs.SM3Hex([]byte("另一个产品")), domain.DecisionApproved, "")(s)
		return err
	})
	back := must[*domain.Application](t)(run(f, cityAAuthority, verify(product, domain.DecisionRejected, "存在个人信息泄露风险")))
	if back.Stage != domain.StageDeveloping || back.Steps[len(back.Steps)-1].Late {
		t.Fatalf("rejected in time: %+v", back.Steps[len(back.Steps)-1])
	}
	v2 := certs.SM3Hex([]byte("交通指数 v2"))
	must[*domain.Application](t)(run(f, cityAOperator, func(s store.Store) (*domain.Application, error) { return app.SubmitProduct(s, n, v2) }))
	f.m.SetClock(f.m.Clock().AddDate(0, 0, 30)) // past the 10 working days
	done := must[*domain.Application](t)(run(f, cityAAuthority, verify(v2, domain.DecisionApproved, "")))
	if done.Stage != domain.StageVerified || !done.Steps[len(done.Steps)-1].Late {
		t.Fatalf("verified 30 days after the submission: %s, late %v", done.Stage, done.Steps[len(done.Steps)-1].Late)
	}
}

// issued issues a credential on the fixture's agreement.
func (f *fixture) issued() *domain.Credential {
	f.t.Helper()
	cred := f.credential(nil)
	if _, err := f.issue(cityAOperator, f.sign(cred, f.key), f.agreem); err != nil {
		f.t.Fatal(err)
	}
	return cred
}

// preExisting registers a pre-existing product's certificate on cred.
func (f *fixture) preExisting(cred *domain.Credential) *domain.Certificate {
	f.t.Helper()
	c := f.certificate(holderCode, "广西数智科技有限公司", func(c *domain.Certificate) {
		c.PreExisting, c.AuthorizationNumbers = true, []string{cred.AuthorizationNumber}
	})
	if _, err := f.register(c, ""); err != nil {
		f.t.Fatal(err)
	}
	return c
}
