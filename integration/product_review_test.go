package integration

import (
	"encoding/json"
	"testing"
	"time"

	"dataledger/certs"
	"dataledger/chaincode/domain"
	"dataledger/gateway"
	"dataledger/network/sample"
)

// TestGDProductIsEvaluatedOnceSubmitted: on liuzhou under GD's profile, over
// HTTP, a scenario application is taken to development; its verification
// is refused before the product is submitted (GD 26); the submission sets
// the evaluation's deadline 10 working days on, and the authority's issuer
// key — the authority's own identity — evaluates the product submitted.
func TestGDProductIsEvaluatedOnceSubmitted(t *testing.T) {
	l := newOnLiuzhou(t)
	call, issuer, refused := l.call, l.issuer, l.refused
	operator, ent := l.party(domain.PartyOperator, "柳州评估审核运营有限公司"), l.party(domain.PartyEnterprise, "柳州评估审核数据企业")
	provider := l.party(domain.PartyDataProvider, "柳州市评估审核数源单位")
	gd := l.adopt("GD")
	today := domain.DateOf(time.Now().In(domain.CST))
	app := domain.ApplicationInput{Number: sample.Number(domain.PrefixApplication, "450200"), ApplicantCreditCode: ent, ProductName: "柳州通勤指数",
		ProductType: "dataset", Scenario: "通勤分析", ResourceIDs: []string{"RES-450200-0001"}, DataProviders: []string{provider}, DesignDigest: certs.SM3Hex([]byte("柳州通勤指数设计"))}
	call("POST", "/channels/liuzhou/applications", issuer, app, 201)
	a := "/applications/" + app.Number
	call("POST", a+"/preliminary-review", issuer, gateway.ReviewRequest{Decision: domain.DecisionApproved}, 200)
	for _, reviewer := range []string{domain.ReviewerAgency, provider} {
		call("POST", a+"/compliance-review", issuer, map[string]string{"reviewer": reviewer, "decision": domain.DecisionApproved}, 200)
	}
	scenario := domain.AgreementInput{Number: sample.Number(domain.PrefixAgreement, "450200"), Kind: domain.AgreementScenario, GrantorCreditCode: operator,
		GranteeCreditCode: ent, DocumentDigest: certs.SM3Hex([]byte("柳州场景授权协议（评估审核）")), Scope: "柳州市通勤数据",
		TermStart: today.Format(time.DateOnly), TermEnd: today.AddDate(2, 0, 0).Format(time.DateOnly), SignedOn: today.Format(time.DateOnly)}
	call("POST", "/channels/liuzhou/agreements", issuer, scenario, 201)
	call("POST", "/agreements/"+scenario.Number+"/file", issuer, nil, 200)
	call("POST", a+"/agreement", issuer, map[string]string{"agreementNumber": scenario.Number}, 200)
	call("POST", a+"/development", issuer, nil, 200)

	product := certs.SM3Hex([]byte("柳州通勤指数 v1"))
	verify := map[string]any{"productDigest": product, "matchesDesign": true, "changeNote": "", "decision": domain.DecisionApproved, "reasons": ""}
	refused(call("POST", a+"/consistency", issuer, verify, 409), "GD-26") // not yet submitted
	var submitted struct {
		Record domain.Application `json:"record"`
	}
	_ = json.Unmarshal(call("POST", a+"/product", issuer, map[string]string{"productDigest": product}, 200), &submitted)
	due, _, err := builtinCalendars().WorkingDaysOrLatest(today, gd.ProductReviewWorkingDays)
	if err != nil || submitted.Record.Stage != domain.StageProductSubmitted || submitted.Record.ProductReviewDeadline != due.Format(time.DateOnly) {
		t.Fatalf("submitted: %s due %s, want %s (%v)", submitted.Record.Stage, submitted.Record.ProductReviewDeadline, due.Format(time.DateOnly), err)
	}
	var verified struct {
		Record domain.Application `json:"record"`
	}
	_ = json.Unmarshal(call("POST", a+"/consistency", issuer, verify, 200), &verified)
	if last := verified.Record.Steps[len(verified.Record.Steps)-1]; verified.Record.Stage != domain.StageVerified || last.Late || last.Actor.Role != domain.RoleAuthority {
		t.Fatalf("evaluated: %s, late %v, by %s/%s", verified.Record.Stage, last.Late, last.Actor.MSP, last.Actor.Role)
	}
	t.Logf("liuzhou: product of %s submitted, evaluation due %s, evaluated in time by %s", app.Number, submitted.Record.ProductReviewDeadline, verified.Record.Last.Actor.MSP)
}
