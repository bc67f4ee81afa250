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
	materialsAsked := privateText("补充：数据安全防护措施说明；场景合规承诺书")
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
	record(call("POST", path+"/preliminary-review", issuer, gateway.ReviewRequest{Decision: domain.DecisionCorrection, Reasons: privateText("补充：法定代表人身份证明")}, 200))
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

// TestEnterpriseOnboardsRenewsAndRaisesAQualityRequest: over HTTP, on
// liuzhou under each regulation's profile in turn (adopted by its
// authority, restored after): an enterprise onboards as a 数商 (ZW 18),
// is refused once with reasons and registered when it files again naming
// the refusal, and exits; it renews its catalog agreement in the 6 months
// before it expires (NS 15; earlier is refused citing NS-15) and the
// authority's new agreement links old and new; it raises a data-quality
// request to a data provider (HB 25), which its own view lists as owed by
// the provider by the deadline, answered and resolved. Each deadline is
// the profile's figure on the channel's calendar. A second enterprise can
// read none of it and act on none of it.
func TestEnterpriseOnboardsRenewsAndRaisesAQualityRequest(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	l := newOnLiuzhou(t)
	call, issuer, refused, adopt := l.call, l.issuer, l.refused, l.adopt
	ent, other := l.party(domain.PartyEnterprise, "柳州进驻测试有限公司"), l.party(domain.PartyEnterprise, "柳州进驻测试他人有限公司")
	operator, provider := l.party(domain.PartyOperator, "柳州数据运营有限公司"), l.party(domain.PartyDataProvider, "柳州市公共交通集团")
	key, otherKey := l.enterpriseKey(ent), l.enterpriseKey(other)
	written := func(raw []byte) domain.Application { t.Helper(); return writtenApplication(t, raw) }
	cals := builtinCalendars()
	today := domain.DateOf(time.Now().In(domain.CST))
	due := func(days int) string {
		t.Helper()
		d, err := cals.AddWorkingDays(today, days)
		if err != nil {
			t.Fatal(err)
		}
		return d.Format(time.DateOnly)
	}

	// Onboarding (ZW 18): registered or refused within 5 working days.
	zw := adopt("ZW")
	onboard := domain.ApplicationInput{Number: sample.Number(domain.PrefixApplication, "450200"), Kind: domain.KindOnboarding, ApplicantCreditCode: ent,
		MaterialsDigest: certs.SM3Hex([]byte("柳州进驻申请材料"))}
	refused(call("POST", "/channels/liuzhou/applications", otherKey, onboard, 403), domain.RuleOwnApplication)
	a := written(call("POST", "/channels/liuzhou/applications", key, onboard, 201))
	if zw.OnboardingReviewWorkingDays != 5 || a.PreliminaryDeadline != due(5) {
		t.Fatalf("onboarding filed: due %s, want %s (ZW 18: %d working days)", a.PreliminaryDeadline, due(5), zw.OnboardingReviewWorkingDays)
	}
	path := "/applications/" + onboard.Number
	refused(call("GET", path, otherKey, nil, 403), domain.RuleEnterpriseRead)
	refused(call("POST", path+"/preliminary-review", issuer, gateway.ReviewRequest{Decision: domain.DecisionRejected}, 422), domain.RuleReasons)
	refusal := privateText("营业执照经营范围不含数据服务")
	a = written(call("POST", path+"/preliminary-review", issuer, gateway.ReviewRequest{Decision: domain.DecisionRejected, Reasons: refusal}, 200))
	if a.Stage != domain.StageRejected || a.Steps[len(a.Steps)-1].Reasons != refusal {
		t.Fatalf("refused: %s %q", a.Stage, a.Steps[len(a.Steps)-1].Reasons)
	}
	again := onboard
	again.Number, again.Previous, again.MaterialsDigest = sample.Number(domain.PrefixApplication, "450200"), onboard.Number, certs.SM3Hex([]byte("变更后的营业执照"))
	a = written(call("POST", "/channels/liuzhou/applications", key, again, 201))
	third := onboard
	third.Number, third.Previous = sample.Number(domain.PrefixApplication, "450200"), ""
	refused(call("POST", "/channels/liuzhou/applications", key, third, 409), domain.RuleApplicationUniq) // one pending at a time
	path = "/applications/" + again.Number
	a = written(call("POST", path+"/preliminary-review", issuer, gateway.ReviewRequest{Decision: domain.DecisionApproved}, 200))
	if a.Stage != domain.StageOnboarded || a.Previous != onboard.Number {
		t.Fatalf("registered: %s after %s", a.Stage, a.Previous)
	}
	refused(call("POST", path+"/exit", otherKey, gateway.ReasonRequest{Reason: "代为退出"}, 403), domain.RuleOwnApplication)
	if a = written(call("POST", path+"/exit", key, gateway.ReasonRequest{Reason: "业务调整，主动退出平台"}, 200)); a.Stage != domain.StageExited {
		t.Fatalf("exited: %s", a.Stage)
	}

	// Renewal (NS 15): in the 6 months before the agreement expires.
	ns := adopt("NS")
	end := today.AddDate(0, 3, 0)
	agreement := func(termEnd time.Time, renewalOf string) domain.AgreementInput {
		return domain.AgreementInput{Number: sample.Number(domain.PrefixAgreement, "450200"), Kind: domain.AgreementCatalog, GrantorCreditCode: operator,
			GranteeCreditCode: ent, DocumentDigest: certs.SM3Hex([]byte("柳州目录授权协议" + termEnd.String())), Scope: "柳州市公共交通数据目录",
			TermStart: termEnd.AddDate(0, -30, 0).Format(time.DateOnly), TermEnd: termEnd.Format(time.DateOnly), SignedOn: today.Format(time.DateOnly), RenewalOf: renewalOf,
			DataClass: domain.DataUnconditional}
	}
	ending, later := agreement(end, ""), agreement(today.AddDate(2, 0, 0), "")
	// NS 2: data not to be opened is outside authorized operation; NS 20:
	// data opened conditionally is granted after the joint meeting's
	// assessment, by the signing.
	closed := ending
	closed.DataClass = domain.DataClosed
	refused(call("POST", "/channels/liuzhou/agreements", issuer, closed, 403), "NS-2")
	ending.DataClass = domain.DataConditional
	refused(call("POST", "/channels/liuzhou/agreements", issuer, ending, 422), "NS-20")
	ending.JointAssessment = &domain.JointAssessment{OpinionDigest: certs.SM3Hex([]byte("授权运营联席会议评估确认意见")), IssuedOn: today.AddDate(0, 0, 1).Format(time.DateOnly)}
	refused(call("POST", "/channels/liuzhou/agreements", issuer, ending, 422), "NS-20") // assessed after the signing
	ending.JointAssessment.IssuedOn = today.Format(time.DateOnly)
	for _, ag := range []domain.AgreementInput{ending, later} {
		call("POST", "/channels/liuzhou/agreements", issuer, ag, 201)
		call("POST", "/agreements/"+ag.Number+"/file", issuer, nil, 200)
	}
	renewal := domain.ApplicationInput{Number: sample.Number(domain.PrefixApplication, "450200"), Kind: domain.KindRenewal, ApplicantCreditCode: ent,
		Renews: later.Number, MaterialsDigest: certs.SM3Hex([]byte("柳州续期申请材料"))}
	refused(call("POST", "/channels/liuzhou/applications", key, renewal, 409), "NS-15")
	renewal.Renews = ending.Number
	theirs := renewal
	theirs.ApplicantCreditCode = other
	refused(call("POST", "/channels/liuzhou/applications", otherKey, theirs, 404), domain.RuleAgreementExists)
	a = written(call("POST", "/channels/liuzhou/applications", key, renewal, 201))
	provenSubjects[a.Last.TxID] = "a renewal's application (its agreement among the applicant's grants)"
	if ns.RenewalWindowMonths != 6 || a.PreliminaryDeadline != "" {
		t.Fatalf("renewal filed: window %d months, due %q", ns.RenewalWindowMonths, a.PreliminaryDeadline)
	}
	path = "/applications/" + renewal.Number
	refused(call("GET", path, otherKey, nil, 403), domain.RuleEnterpriseRead)
	if a = written(call("POST", path+"/preliminary-review", issuer, gateway.ReviewRequest{Decision: domain.DecisionApproved}, 200)); a.Stage != domain.StageRenewalApproved {
		t.Fatalf("renewal reviewed: %s", a.Stage)
	}
	renewed := agreement(end.AddDate(2, 6, 0), renewal.Number)
	renewed.TermStart = end.AddDate(0, 0, 1).Format(time.DateOnly)
	var made struct {
		Record domain.Agreement `json:"record"`
	}
	_ = json.Unmarshal(call("POST", "/channels/liuzhou/agreements", issuer, renewed, 201), &made)
	if made.Record.Renews != ending.Number || made.Record.RenewalOf != renewal.Number {
		t.Fatalf("the new agreement renews %q from %q", made.Record.Renews, made.Record.RenewalOf)
	}
	_ = json.Unmarshal(call("GET", path, key, nil, 200), &a)
	if a.Stage != domain.StageRenewed || a.AgreementNumber != renewed.Number {
		t.Fatalf("the renewal after the new agreement: %s %s", a.Stage, a.AgreementNumber)
	}
	var old domain.Agreement
	_ = json.Unmarshal(call("GET", "/agreements/"+ending.Number, key, nil, 200), &old)
	if old.RenewedBy != renewed.Number || old.TermEnd != ending.TermEnd {
		t.Fatalf("the renewed agreement names %q as its successor, term to %s", old.RenewedBy, old.TermEnd)
	}
	second := renewal
	second.Number = sample.Number(domain.PrefixApplication, "450200")
	refused(call("POST", "/channels/liuzhou/applications", key, second, 409), domain.RuleRenewal)
	refused(call("GET", "/agreements/"+renewed.Number, otherKey, nil, 403), domain.RuleEnterpriseRead)

	// A data-quality request (HB 25): answered within 3 working days.
	hb := adopt("HB")
	quality := domain.ApplicationInput{Number: sample.Number(domain.PrefixApplication, "450200"), Kind: domain.KindQuality, ApplicantCreditCode: ent,
		Problem: "公交到站数据2026年11月缺失约8%记录", ResourceIDs: []string{"RES-450200-0001"}, DataProviders: []string{provider}}
	a = written(call("POST", "/channels/liuzhou/applications", key, quality, 201))
	if hb.QualityFeedbackWorkingDays != 3 || a.PreliminaryDeadline != due(3) {
		t.Fatalf("quality request filed: due %s, want %s (HB 25)", a.PreliminaryDeadline, due(3))
	}
	path = "/applications/" + quality.Number
	refused(call("GET", path, otherKey, nil, 403), domain.RuleEnterpriseRead)
	call("POST", path+"/quality-answer", key, domain.QualityAnswer{Decision: domain.DecisionNotConfirmed, Reasons: "自说自话"}, 403) // the provider answers through the platform

	// The enterprise's own view lists the request as the provider's to
	// answer by its deadline; the other enterprise's view holds none of it.
	l.catchUp(ctx)
	var view, theirView gateway.Obligations
	_ = json.Unmarshal(call("GET", "/me/obligations", key, nil, 200), &view)
	_ = json.Unmarshal(call("GET", "/me/obligations", otherKey, nil, 200), &theirView)
	listed := map[string]gateway.OwnItem{}
	for _, o := range view.Items {
		listed[o.ID] = o
	}
	for _, n := range []string{onboard.Number, again.Number, renewal.Number, renewed.Number, quality.Number} {
		if _, ok := listed[n]; !ok {
			t.Fatalf("the enterprise's view lacks %s", n)
		}
	}
	if q := listed[quality.Number]; q.Owes != "provider" || q.Due != due(3) || !q.Open {
		t.Fatalf("the quality request in the view: owes %q due %s open %v", q.Owes, q.Due, q.Open)
	}
	for _, o := range theirView.Items {
		if o.ID != other {
			t.Fatalf("the other enterprise's view holds %s %s", o.Kind, o.ID)
		}
	}

	resolveBy := today.AddDate(0, 0, 7).Format(time.DateOnly)
	a = written(call("POST", path+"/quality-answer", issuer, domain.QualityAnswer{Decision: domain.DecisionConfirmed, Reasons: privateText("确认缺失，正在补采"), ResolveBy: resolveBy}, 200))
	if s := a.Steps[len(a.Steps)-1]; a.Stage != domain.StageQualityConfirmed || s.Late || s.Reviewer != provider || a.ResolveBy != resolveBy {
		t.Fatalf("answered: %s late %v by %s, resolve by %s", a.Stage, s.Late, s.Reviewer, a.ResolveBy)
	}
	a = written(call("POST", path+"/quality-resolution", issuer, domain.QualityResolution{Note: "已补采并重新汇聚", Digest: certs.SM3Hex([]byte("补采报告"))}, 200))
	if a.Stage != domain.StageQualityResolved {
		t.Fatalf("resolved: %s", a.Stage)
	}
	t.Logf("liuzhou: onboarding %s refused, %s registered then exited (due %s); renewal %s links %s → %s; quality request %s due %s, answered and resolved",
		onboard.Number, again.Number, due(5), renewal.Number, ending.Number, renewed.Number, quality.Number, due(3))
}
