package integration

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"dataledger/certs"
	"dataledger/chaincode/domain"
	"dataledger/gateway"
	"dataledger/gateway/webhook"
	"dataledger/network"
	"dataledger/network/sample"
)

// TestEnterpriseFilesAndCorrectsItsOwnApplication: over HTTP only, an
// enterprise files its scenario application with its own key; the 初审
// asks once for supplementary materials (一次性告知补正, GX 12(2)), which
// reaches the enterprise's webhook receiver; the enterprise resubmits and
// the review's deadline runs again from that day by the channel's
// calendar; a second request for correction is refused and the review
// approves. Another enterprise can neither file for it, read it nor
// resubmit it.
func TestEnterpriseFilesAndCorrectsItsOwnApplication(t *testing.T) {
	is, ag := holderAgreement(t, "自行申请测试")
	provider, err := is.Party(domain.PartyDataProvider, "自行申请测试数据提供方")
	if err != nil {
		t.Fatal(network.ErrorText(err))
	}
	other, err := is.HolderAgreement("自行申请测试他人")
	if err != nil {
		t.Fatal(network.ErrorText(err))
	}
	ks, err := gateway.OpenKeyStore(filepath.Join(t.TempDir(), "keys.json"))
	if err != nil {
		t.Fatal(err)
	}
	keyE := enterpriseKey(t, ks, "CityAMSP", ag.Grantee)
	keyF := enterpriseKey(t, ks, "CityAMSP", other.Grantee)
	issuer, _, _ := ks.Create("CityAMSP", gateway.RoleIssuer)
	cfg := gateway.DefaultConfig()
	cfg.WebhookOptions = gateway.WebhookOptions{AllowPrivate: true, RetryBase: 200 * time.Millisecond}
	srv, _, gw := startServer(t, &cfg, ks)
	call := rawAPIOf(t, srv.URL+"/api/v1")
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { gw.RunWebhooks(ctx, net, filepath.Join(t.TempDir(), "checkpoints")); close(done) }()
	t.Cleanup(func() { stop(); <-done })
	rcv := newHookReceiver(t)
	var made gateway.WebhookCreated
	if err := json.Unmarshal(call("POST", "/webhooks", keyE, gateway.WebhookRequest{URL: rcv.srv.URL, Types: []string{webhook.TypeCorrection}}, 201), &made); err != nil {
		t.Fatal(err)
	}
	rcv.secret.Store(made.Secret)

	cals := builtinCalendars()
	dueFrom := func() string {
		d, err := cals.AddWorkingDays(domain.DateOf(time.Now().In(domain.CST)), 3) // GX 12(2): 3 working days
		if err != nil {
			t.Fatal(err)
		}
		return d.Format(time.DateOnly)
	}
	in := domain.ApplicationInput{Number: sample.Number(domain.PrefixApplication, "450100"), ApplicantCreditCode: ag.Grantee, ProductName: "自行申请测试产品",
		ProductType: "dataset", Scenario: "城市交通出行分析", ResourceIDs: []string{"RES-450100-0001"}, DataProviders: []string{provider},
		DesignDigest: certs.SM3Hex([]byte("自行申请测试设计"))}
	written := func(raw []byte) domain.Application { t.Helper(); return writtenApplication(t, raw) }
	refused := func(raw []byte, rule string) {
		t.Helper()
		if !strings.Contains(string(raw), `"rule":"`+rule+`"`) {
			t.Fatalf("refused by another rule than %s: %s", rule, raw)
		}
	}

	refused(call("POST", "/channels/nanning/applications", keyF, in, 403), domain.RuleOwnApplication)
	a := written(call("POST", "/channels/nanning/applications", keyE, in, 201))
	if a.Stage != domain.StageApplied || a.PreliminaryDeadline != dueFrom() || a.Steps[0].Actor.Role != domain.RoleEnterprise || a.Steps[0].Actor.CreditCode != ag.Grantee {
		t.Fatalf("filed by the enterprise: %s due %s (want %s) by %+v", a.Stage, a.PreliminaryDeadline, dueFrom(), a.Steps[0].Actor)
	}
	path := "/applications/" + in.Number
	refused(call("GET", path, keyF, nil, 403), domain.RuleEnterpriseRead)
	refused(call("POST", path+"/preliminary-review", issuer, gateway.ReviewRequest{Decision: domain.DecisionCorrection}, 422), domain.RuleReasons)
	materialsAsked := "补充：数据安全防护措施说明；场景合规承诺书"
	a = written(call("POST", path+"/preliminary-review", issuer, gateway.ReviewRequest{Decision: domain.DecisionCorrection, Reasons: materialsAsked}, 200))
	if a.Stage != domain.StageCorrection || a.PreliminaryDeadline != "" {
		t.Fatalf("returned for correction: %s due %q", a.Stage, a.PreliminaryDeadline)
	}
	var own domain.Application
	_ = json.Unmarshal(call("GET", path, keyE, nil, 200), &own)
	if own.Stage != domain.StageCorrection || own.Steps[len(own.Steps)-1].Reasons != materialsAsked {
		t.Fatalf("the enterprise reads %s, told %q", own.Stage, own.Steps[len(own.Steps)-1].Reasons)
	}
	materials := domain.Resubmission{MaterialsDigest: certs.SM3Hex([]byte("自行申请测试补充材料")), Note: "已按要求补充"}
	refused(call("POST", path+"/resubmission", keyF, materials, 403), domain.RuleOwnApplication)
	a = written(call("POST", path+"/resubmission", keyE, materials, 200))
	if a.Stage != domain.StageApplied || a.PreliminaryDeadline != dueFrom() || a.SupplementDigest != materials.MaterialsDigest {
		t.Fatalf("resubmitted: %s due %s (want %s)", a.Stage, a.PreliminaryDeadline, dueFrom())
	}
	refused(call("POST", path+"/preliminary-review", issuer, gateway.ReviewRequest{Decision: domain.DecisionCorrection, Reasons: "再补充"}, 409), domain.RuleCorrection)
	a = written(call("POST", path+"/preliminary-review", issuer, gateway.ReviewRequest{Decision: domain.DecisionApproved}, 200))
	if a.Stage != domain.StagePreliminaryApproved {
		t.Fatalf("approved: %s", a.Stage)
	}

	waitHooks(t, "the request for correction", func() bool { return len(rcv.got()) >= 1 })
	time.Sleep(time.Second)
	want := fmt.Sprintf("%s application %s %s 2", webhook.TypeCorrection, in.Number, domain.StageCorrection)
	if got := rcv.got(); len(got) != 1 || got[0] != want {
		t.Fatalf("the enterprise's receiver holds %q, want %q", got, want)
	}
	var steps []string
	for _, s := range a.Steps {
		steps = append(steps, s.Step+":"+s.Decision+"/"+s.Actor.Role)
	}
	t.Logf("application %s: %s; deadline %s after the resubmission; the correction reached the enterprise's receiver", in.Number, strings.Join(steps, " → "), a.PreliminaryDeadline)
}

// TestEnterpriseFilesACatalogApplication: over HTTP, an enterprise applies
// for a catalog authorization (GX 10(1)) with its own key; the review is
// due in the GX profile's 3 working days (GX 10(2)), returns it once for
// correction, and approves it after the resubmission; the scenario
// workflow's steps are refused on it.
func TestEnterpriseFilesACatalogApplication(t *testing.T) {
	is, err := sample.NewIssuer(net, "nanning", "南宁市大数据发展局")
	if err != nil {
		t.Fatal(network.ErrorText(err))
	}
	t.Cleanup(is.Close)
	code, err := is.Party(domain.PartyEnterprise, "目录申请测试有限公司")
	if err != nil {
		t.Fatal(network.ErrorText(err))
	}
	ks, err := gateway.OpenKeyStore(filepath.Join(t.TempDir(), "keys.json"))
	if err != nil {
		t.Fatal(err)
	}
	key := enterpriseKey(t, ks, "CityAMSP", code)
	issuer, _, _ := ks.Create("CityAMSP", gateway.RoleIssuer)
	srv, _ := startGateway(t, nil, ks)
	call := rawAPIOf(t, srv.URL+"/api/v1")
	var profile domain.ProfileRecord
	_ = json.Unmarshal(call("GET", "/channels/nanning/profile", "", nil, 200), &profile)
	cals := builtinCalendars()
	due, err := cals.AddWorkingDays(domain.DateOf(time.Now().In(domain.CST)), profile.Profile.CatalogReviewWorkingDays)
	if err != nil || profile.Profile.CatalogReviewWorkingDays != 3 {
		t.Fatalf("the channel's catalog review: %d working days (%v)", profile.Profile.CatalogReviewWorkingDays, err)
	}
	in := domain.ApplicationInput{Number: sample.Number(domain.PrefixApplication, "450100"), Kind: domain.KindCatalog, ApplicantCreditCode: code,
		Scope: "交通出行类开发目录及样例数据", ResourceIDs: []string{"RES-450100-0001"}, MaterialsDigest: certs.SM3Hex([]byte("目录申请测试材料"))}
	record := func(raw []byte) domain.Application { t.Helper(); return writtenApplication(t, raw) }
	bad := in
	bad.ProductName = "不该有的产品名"
	call("POST", "/channels/nanning/applications", key, bad, 422)
	a := record(call("POST", "/channels/nanning/applications", key, in, 201))
	if a.Stage != domain.StageApplied || a.PreliminaryDeadline != due.Format(time.DateOnly) {
		t.Fatalf("filed: %s due %s, want %s", a.Stage, a.PreliminaryDeadline, due.Format(time.DateOnly))
	}
	path := "/applications/" + in.Number
	record(call("POST", path+"/preliminary-review", issuer, gateway.ReviewRequest{Decision: domain.DecisionCorrection, Reasons: "补充：法定代表人身份证明"}, 200))
	record(call("POST", path+"/resubmission", key, domain.Resubmission{MaterialsDigest: certs.SM3Hex([]byte("法定代表人身份证明"))}, 200))
	a = record(call("POST", path+"/preliminary-review", issuer, gateway.ReviewRequest{Decision: domain.DecisionApproved}, 200))
	if a.Stage != domain.StageCatalogApproved {
		t.Fatalf("approved: %s", a.Stage)
	}
	call("POST", path+"/compliance-review", issuer, gateway.ComplianceReviewRequest{Reviewer: domain.ReviewerAgency, Decision: domain.DecisionApproved}, 409)
	t.Logf("catalog application %s: filed by %s, due %s (GX 10(2): 3 working days), corrected once, %s", in.Number, code, due.Format(time.DateOnly), a.Stage)
}

// writtenApplication is the application a write's answer carries.
func writtenApplication(t *testing.T, raw []byte) domain.Application {
	t.Helper()
	var w struct {
		Record domain.Application `json:"record"`
	}
	if err := json.Unmarshal(raw, &w); err != nil {
		t.Fatalf("%v: %s", err, raw)
	}
	return w.Record
}

// builtinCalendars are the working-day calendars every channel loads at
// bootstrap: what a test computes a deadline by on its own.
func builtinCalendars() domain.Calendars {
	cals := domain.Calendars{}
	for _, c := range domain.BuiltinCalendars() {
		cals[c.Year] = &c
	}
	return cals
}
