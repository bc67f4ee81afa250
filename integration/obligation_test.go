package integration

import (
	"context"
	"encoding/json"
	"net/url"
	"testing"
	"time"

	"dataledger/certs"
	"dataledger/chaincode/domain"
	"dataledger/gateway"
	"dataledger/index"
	"dataledger/network"
	"dataledger/network/sample"
	"dataledger/proof"
)

// TestObligationsAreRecordedTimedAndListed: on liuzhou under GD's and then
// HB's profile (adopted by its authority, restored after): the
// implementing agency's annual report for last year (GD 37: by 31 March)
// is opened, filed late (by the operator for it) and accepted, and a second
// one for the same period is refused, while a second agency's stays unfiled
// and is listed overdue for the regulator; an enterprise reports a risk it
// found itself (HB 35: immediately), the authority orders its
// rectification (HB 36) with a deadline, returns the first filing with
// reasons and accepts the second. Another enterprise reads none of it.
// Under GD an operator selection's candidates are in notice (GD 20(4)):
// no operator is selected and no operation agreement is signed while it
// runs; under HB the operator is evaluated (HB 37) and its operation
// agreement (HB 14: with its declaration) names the evaluation, a credit
// record follows the order (HB 36), HB 14 declarations are refused by an
// incident and by a credit record, and an operator selected at once (HB
// sets no notice) signs the agreement naming its selection. Everything but the agency's
// filing goes over HTTP.
func TestObligationsAreRecordedTimedAndListed(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	l := newOnLiuzhou(t)
	call, issuer, refused := l.call, l.issuer, l.refused
	agencyA, agencyB := l.party(domain.PartyAgency, "柳州市数据实施机构甲"), l.party(domain.PartyAgency, "柳州市数据实施机构乙")
	ent, other := l.party(domain.PartyEnterprise, "柳州履职测试有限公司"), l.party(domain.PartyEnterprise, "柳州履职测试他人有限公司")
	key, otherKey := l.enterpriseKey(ent), l.enterpriseKey(other)
	regulator, _, _ := l.ks.Create("ProvinceMSP", gateway.RoleRegulator)
	written := func(raw []byte) domain.Obligation {
		t.Helper()
		var w struct {
			Record domain.Obligation `json:"record"`
		}
		if err := json.Unmarshal(raw, &w); err != nil {
			t.Fatalf("%v: %s", err, raw)
		}
		return w.Record
	}
	read := func(number, key string) domain.ObligationView {
		t.Helper()
		var v domain.ObligationView
		_ = json.Unmarshal(call("GET", "/obligations/"+number, key, nil, 200), &v)
		return v
	}
	adopt := func(name string) { t.Helper(); l.adopt(name) }
	today := domain.DateOf(time.Now().In(domain.CST))
	lastYear := today.AddDate(-1, 0, 0).Format("2006")
	number := func() string { return sample.Number(domain.PrefixObligation, "450200") }

	// GD 37: last year's annual reports, due 31 March of this year.
	adopt("GD")
	reportA := domain.ObligationInput{Number: number(), Kind: "annual_report", PartyCreditCode: agencyA, Period: lastYear, Note: lastYear + "年度运营报告"}
	reportB := reportA
	reportB.Number, reportB.PartyCreditCode = number(), agencyB
	refused(call("POST", "/channels/liuzhou/obligations", key, reportA, 403), domain.RuleOwnAuthority)
	for _, in := range []domain.ObligationInput{reportA, reportB} {
		if o := written(call("POST", "/channels/liuzhou/obligations", issuer, in, 201)); o.DueOn != today.Format("2006")+"-03-31" || o.Cite != "GD-37" {
			t.Fatalf("annual report opened: due %s cite %s", o.DueOn, o.Cite)
		}
	}
	if v := read(reportA.Number, issuer); v.Standing != domain.StandingOverdue {
		t.Fatalf("last year's report, unfiled in %s: %s", today.Format("2006-01"), v.Standing)
	}
	// The agency has no identity of its own: the operator files for it, so
	// that the authority, which opened it, decides on another's filing.
	filed, committed, err := l.is.Operator.FileObligation("liuzhou", reportA.Number, domain.ObligationFiling{DocumentDigest: certs.SM3Hex([]byte("年度运营报告甲"))})
	if err != nil {
		t.Fatal(network.ErrorText(err))
	}
	synced(t, committed)
	// Read on the ledger: this test's gateway runs no cache invalidator for
	// writes it did not make (the gateway binary does).
	v, err := l.is.Authority.GetObligation("liuzhou", reportA.Number)
	if err != nil || !filed.FiledLate || v.Standing != domain.StandingFiledLate {
		t.Fatalf("filed after 31 March: late %v, reads %+v (%v)", filed.FiledLate, v, err)
	}
	var o domain.Obligation
	if o = written(call("POST", "/obligations/"+reportA.Number+"/decision", issuer, gateway.ReviewRequest{Decision: domain.ObligationAccepted}, 200)); o.Status != domain.ObligationAccepted {
		t.Fatalf("decided: %s", o.Status)
	}
	again := reportA
	again.Number = number()
	refused(call("POST", "/channels/liuzhou/obligations", issuer, again, 409), domain.RuleObligationUnique) // one per party and period

	// GD 35: the operator's fee schedule, a public kind, disclosed to anyone
	// with its products' fees, priced as GD 29 allows.
	operator := l.party(domain.PartyOperator, "柳州数据运营有限公司")
	fees := domain.ObligationInput{Number: number(), Kind: "fee_schedule", PartyCreditCode: operator, Due: today.AddDate(0, 0, 30).Format(time.DateOnly), Note: "公开产品和服务清单及收费标准"}
	written(call("POST", "/channels/liuzhou/obligations", issuer, fees, 201))
	feeDigest := certs.SM3Hex([]byte("柳州公共数据产品收费标准（2027版）"))
	items := []domain.FeeItem{{Product: "柳州公交客流指数", Use: domain.UsePublicGood, Basis: domain.BasisFree},
		{Product: "柳州公交客流指数", Use: domain.UseCommercial, Basis: "government_guided", Cap: "800", Unit: "每月"}}
	// GD 29: a public-good use is free, a commercial one government-guided.
	marketPrice := append([]domain.FeeItem(nil), items...)
	marketPrice[1].Basis = "market"
	if _, _, err = l.is.Operator.FileObligation("liuzhou", fees.Number, domain.ObligationFiling{DocumentDigest: feeDigest, Fees: marketPrice}); !domain.IsRule(err, "GD-29") {
		t.Fatalf("a market price under GD 29: %v", network.ErrorText(err))
	}
	_, committed, err = l.is.Operator.FileObligation("liuzhou", fees.Number, domain.ObligationFiling{DocumentDigest: feeDigest, Fees: items})
	if err != nil {
		t.Fatal(network.ErrorText(err))
	}
	synced(t, committed)
	call("POST", "/obligations/"+fees.Number+"/decision", issuer, gateway.ReviewRequest{Decision: domain.ObligationAccepted}, 200)
	var disclosed domain.Page[domain.ObligationDisclosure]
	_ = json.Unmarshal(call("GET", "/channels/liuzhou/disclosures/obligations?pageSize=200", "", nil, 200), &disclosed) // no key: the public
	public := map[string]domain.ObligationDisclosure{}
	for _, d := range disclosed.Items {
		public[d.Number] = d
	}
	if d, ok := public[fees.Number]; !ok || d.DocumentDigest != feeDigest || d.Standing != domain.StandingFiled || d.Cite != "GD-35" ||
		len(d.Fees) != 2 || d.Fees[1].Cap != "800" || d.Fees[1].Basis != "government_guided" {
		t.Fatalf("the public list's fee schedule: %+v (listed %v)", d, ok)
	}
	if _, ok := public[reportA.Number]; ok {
		t.Fatal("the public list discloses an annual report (not a public kind)")
	}

	// GD 20: the call, the candidates' notice (at least 5 days: the
	// operator is not selected while it runs), and an operation agreement
	// refused without a selection.
	operation := func(grantee string, d *domain.Declaration) domain.AgreementInput {
		return domain.AgreementInput{Number: sample.Number(domain.PrefixAgreement, "450200"), Kind: domain.AgreementOperation, GrantorCreditCode: agencyA,
			GranteeCreditCode: grantee, DocumentDigest: certs.SM3Hex([]byte("授权运营协议" + grantee)), Scope: "柳州市公共数据授权运营",
			TermStart: today.Format(time.DateOnly), TermEnd: today.AddDate(2, 0, 0).Format(time.DateOnly), SignedOn: today.Format(time.DateOnly), Declaration: d}
	}
	selection := domain.SelectionInput{Number: sample.Number(domain.PrefixSelection, "450200"), AgencyCreditCode: agencyA, Method: "public_tender",
		Scope: "柳州市公共数据授权运营", AnnouncementDigest: certs.SM3Hex([]byte("柳州市运营机构征集公告"))}
	call("POST", "/channels/liuzhou/selections", issuer, selection, 201)
	var nominated struct {
		Record domain.Selection `json:"record"`
	}
	_ = json.Unmarshal(call("POST", "/selections/"+selection.Number+"/candidates", issuer, domain.Nomination{Candidates: []string{operator}, ReviewDigest: certs.SM3Hex([]byte("综合评审报告"))}, 200), &nominated)
	if nominated.Record.NoticeEndsOn != domain.DateOf(time.Now()).AddDate(0, 0, 5).Format(time.DateOnly) || nominated.Record.NoticeRule != "GD-20.4" {
		t.Fatalf("the candidates' notice: %+v", nominated.Record)
	}
	refused(call("POST", "/selections/"+selection.Number+"/select", issuer, gateway.SelectRequest{Operator: operator, Reason: "综合评审第一名"}, 409), "GD-20.4")
	var notice domain.Selection
	_ = json.Unmarshal(call("GET", "/selections/"+selection.Number, "", nil, 200), &notice) // the notice is public
	if len(notice.Candidates) != 1 || notice.Candidates[0] != operator {
		t.Fatalf("the public notice: %+v", notice)
	}
	refused(call("POST", "/channels/liuzhou/agreements", issuer, operation(operator, sample.Declaration), 422), "GD-20.4")
	inNotice := operation(operator, sample.Declaration)
	inNotice.Selection = selection.Number
	refused(call("POST", "/channels/liuzhou/agreements", issuer, inNotice, 409), "GD-20.4") // contracting during the notice

	// HB 35: a risk the enterprise found, reported immediately, by itself;
	// HB 36: the rectification ordered.
	adopt("HB")
	// HB 37 ¶4: the authority's evaluation of the operator, the basis of
	// its re-authorization: its operation agreement (HB 14: with the
	// operator's declaration) records the latest, the correction.
	evaluation := domain.EvaluationInput{Number: sample.Number(domain.PrefixEvaluation, "450200"), PartyCreditCode: operator, Period: lastYear,
		Outcome: domain.EvaluationQualified, Evaluators: []string{"柳州市数据实施机构甲", "柳州市财政局"}, ReportDigest: certs.SM3Hex([]byte(lastYear + "年度运营机构综合评价报告")),
		Summary: privateText(lastYear + "年度运营机构综合评价：服务质量达标")}
	refused(call("POST", "/channels/liuzhou/evaluations", key, evaluation, 403), gateway.RuleRole)
	var ev struct {
		Record domain.Evaluation `json:"record"`
	}
	_ = json.Unmarshal(call("POST", "/channels/liuzhou/evaluations", issuer, evaluation, 201), &ev)
	if ev.Record.Cite != "HB-37.4" || ev.Record.Status != domain.EvaluationStanding {
		t.Fatalf("evaluation: %+v", ev.Record)
	}
	corrected := evaluation
	corrected.Number, corrected.Supersedes, corrected.Outcome = sample.Number(domain.PrefixEvaluation, "450200"), evaluation.Number, domain.EvaluationUnqualified
	refused(call("POST", "/channels/liuzhou/evaluations", issuer, func() domain.EvaluationInput { x := corrected; x.Supersedes = ""; return x }(), 409), domain.RuleEvaluationUnique)
	call("POST", "/channels/liuzhou/evaluations", issuer, corrected, 201)
	var old domain.Evaluation
	_ = json.Unmarshal(call("GET", "/evaluations/"+evaluation.Number, issuer, nil, 200), &old)
	if old.Status != domain.EvaluationSuperseded || old.SupersededBy != corrected.Number {
		t.Fatalf("the corrected evaluation: %+v", old)
	}
	refused(call("POST", "/channels/liuzhou/agreements", issuer, operation(operator, nil), 422), "HB-14")
	var hbOp struct {
		Record domain.Agreement `json:"record"`
	}
	_ = json.Unmarshal(call("POST", "/channels/liuzhou/agreements", issuer, operation(operator, sample.Declaration), 201), &hbOp)
	if hbOp.Record.Evaluation != corrected.Number {
		t.Fatalf("the operation agreement's evaluation: %q, want the correction %s", hbOp.Record.Evaluation, corrected.Number)
	}
	refused(call("GET", "/evaluations/"+evaluation.Number, key, nil, 403), domain.RuleEnterpriseRead)
	var evBundle proof.Bundle
	if err := json.Unmarshal(call("GET", "/evaluations/"+evaluation.Number+"/proof", issuer, nil, 200), &evBundle); err != nil {
		t.Fatal(err)
	}
	if _, trust := pinnedTrust(t); !proof.Verify(&evBundle, trust).OK {
		t.Fatal("the evaluation's proof bundle does not verify")
	}

	incident := domain.ObligationInput{Number: number(), Kind: "risk_report", PartyCreditCode: ent, OccurredOn: today.Format(time.DateOnly),
		Note: privateText("发现数据关联可能识别个人，已停止处理"), DocumentDigest: certs.SM3Hex([]byte("风险情况报告"))}
	refused(call("POST", "/channels/liuzhou/obligations", otherKey, incident, 403), domain.RuleOwnApplication)
	if o = written(call("POST", "/channels/liuzhou/obligations", key, incident, 201)); o.Status != domain.ObligationFiled || o.FiledLate || o.Cite != "HB-35" {
		t.Fatalf("risk reported: %s late %v cite %s", o.Status, o.FiledLate, o.Cite)
	}
	due := today.AddDate(0, 0, 10).Format(time.DateOnly)
	order := domain.ObligationInput{Number: number(), Kind: "rectification", PartyCreditCode: ent, Subject: incident.Number, Due: due, Note: privateText("责令改正：关闭异常接口并报送整改情况")}
	if o = written(call("POST", "/channels/liuzhou/obligations", issuer, order, 201)); o.DueOn != due || o.Subject != incident.Number {
		t.Fatalf("order: due %s after %s", o.DueOn, o.Subject)
	}
	path := "/obligations/" + order.Number
	refused(call("GET", path, otherKey, nil, 403), domain.RuleEnterpriseRead)
	refused(call("POST", path+"/filing", otherKey, domain.ObligationFiling{DocumentDigest: certs.SM3Hex([]byte("x"))}, 403), domain.RuleOwnApplication)
	call("POST", path+"/filing", key, domain.ObligationFiling{DocumentDigest: certs.SM3Hex([]byte("整改报告")), Note: privateText("已关闭接口")}, 200)
	refused(call("POST", path+"/decision", issuer, gateway.ReviewRequest{Decision: domain.ObligationReturned}, 422), domain.RuleReasons)
	call("POST", path+"/decision", issuer, gateway.ReviewRequest{Decision: domain.ObligationReturned, Reasons: privateText("未附接口关闭的日志证明")}, 200)
	if v := read(order.Number, key); v.Status != domain.ObligationReturned || v.Standing != domain.StandingDue {
		t.Fatalf("returned: %s reads %s", v.Status, v.Standing)
	}
	call("POST", path+"/filing", key, domain.ObligationFiling{DocumentDigest: certs.SM3Hex([]byte("整改报告及日志证明"))}, 200)
	if o = written(call("POST", path+"/decision", issuer, gateway.ReviewRequest{Decision: domain.ObligationAccepted}, 200)); o.Status != domain.ObligationAccepted || o.Filings != 2 || o.FiledLate {
		t.Fatalf("accepted: %s after %d filings, late %v", o.Status, o.Filings, o.FiledLate)
	}

	// HB 36 ¶2: the finding behind the order goes to the enterprise's
	// credit file, naming the order as the decision that caused it; a
	// report it filed itself is no such decision.
	credit := domain.CreditInput{Number: sample.Number(domain.PrefixCredit, "450200"), PartyCreditCode: ent, Cause: incident.Number,
		Category: "consumer_rights", FindingDigest: certs.SM3Hex([]byte("行政处理决定书")), Finding: privateText("违规处理个人信息，侵害消费者权益")}
	refused(call("POST", "/channels/liuzhou/credit-records", issuer, credit, 422), domain.RuleCreditCause)
	credit.Cause = order.Number
	refused(call("POST", "/channels/liuzhou/credit-records", key, credit, 403), gateway.RuleRole)
	var cr struct {
		Record domain.CreditRecord `json:"record"`
	}
	_ = json.Unmarshal(call("POST", "/channels/liuzhou/credit-records", issuer, credit, 201), &cr)
	if cr.Record.Status != domain.CreditRecorded || cr.Record.Cite != "HB-36.2" || cr.Record.CauseKind != domain.TypeObligation || cr.Record.Cause != order.Number {
		t.Fatalf("credit record: %+v", cr.Record)
	}
	twice := credit
	twice.Number = sample.Number(domain.PrefixCredit, "450200")
	refused(call("POST", "/channels/liuzhou/credit-records", issuer, twice, 409), domain.RuleCreditUnique) // one in force per decision
	creditPath := "/credit-records/" + credit.Number
	refused(call("GET", creditPath, otherKey, nil, 403), domain.RuleEnterpriseRead)
	var own domain.CreditRecord
	_ = json.Unmarshal(call("GET", creditPath, key, nil, 200), &own)
	if own.Number != credit.Number || own.Finding != credit.Finding {
		t.Fatalf("the enterprise reads its credit record: %+v", own)
	}
	var creditBundle proof.Bundle
	if err := json.Unmarshal(call("GET", creditPath+"/proof", key, nil, 200), &creditBundle); err != nil {
		t.Fatal(err)
	}
	_, trust := pinnedTrust(t)
	started := time.Now()
	if !proof.Verify(&creditBundle, trust).OK || creditBundle.Private == nil || creditBundle.Record.Value != nil {
		t.Fatal("the enterprise's bundle of its credit record, which has no public view, does not verify by its private part")
	}
	t.Logf("the enterprise's bundle of its credit record (no public view): %d bytes, its private part %d bytes, verified offline in %s",
		len(call("GET", creditPath+"/proof", key, nil, 200)), len(creditBundle.Private.Value), time.Since(started).Round(time.Microsecond))
	// A decision about another party is no cause; the first record is
	// rescinded (its version 2), and the decision may stand again, anew.
	notHers := twice
	notHers.Cause = reportA.Number // the agency's report: refused
	refused(call("POST", "/channels/liuzhou/credit-records", issuer, notHers, 422), domain.RuleCreditCause)
	call("POST", creditPath+"/rescind", issuer, map[string]string{"reason": privateText("复议撤销原处理决定")}, 200)
	_ = json.Unmarshal(call("GET", creditPath, issuer, nil, 200), &own)
	if own.Status != domain.CreditRescinded || own.Version != 2 {
		t.Fatalf("rescinded: %s v%d", own.Status, own.Version)
	}
	_ = json.Unmarshal(call("POST", "/channels/liuzhou/credit-records", issuer, twice, 201), &cr)
	if cr.Record.Status != domain.CreditRecorded {
		t.Fatalf("recorded again: %s", cr.Record.Status)
	}

	// HB 14: an operator declares its eligibility on its operation
	// agreement; the incident it reported (HB 34(3)) refuses "no incident
	// in three years", and a credit record in force refuses "no bad
	// record", each by the article.
	refused(call("POST", "/channels/liuzhou/agreements", issuer, operation(operator, nil), 422), "HB-14")
	reported := domain.ObligationInput{Number: number(), Kind: "security_incident", PartyCreditCode: operator, OccurredOn: today.Format(time.DateOnly),
		Note: privateText("平台接口遭未授权访问"), DocumentDigest: certs.SM3Hex([]byte("数据安全事件报告"))}
	written(call("POST", "/channels/liuzhou/obligations", issuer, reported, 201))
	refused(call("POST", "/channels/liuzhou/agreements", issuer, operation(operator, sample.Declaration), 409), "HB-14")
	operator2 := l.party(domain.PartyOperator, "柳州数据运营第二有限公司")
	order2 := domain.ObligationInput{Number: number(), Kind: "rectification", PartyCreditCode: operator2, Due: due, Note: privateText("责令改正：停止不正当竞争行为")}
	written(call("POST", "/channels/liuzhou/obligations", issuer, order2, 201))
	// An order about the operator's registered product names it as its
	// subject, checked by proof (TestZZNoPrivateTransactionReadsAParty
	// reads its block); another party's product is refused as not its own.
	product, build := l.is.CertificateFor(operator2, "柳州数据运营第二有限公司", "柳州存量客流产品", []string{"RES-450200-0001"}, true)
	if _, err := l.is.RegisterCertificate(build, ""); err != nil {
		t.Fatal(network.ErrorText(err))
	}
	aboutProduct := domain.ObligationInput{Number: number(), Kind: "rectification", PartyCreditCode: operator2, Subject: product.RegistrationNumber, Due: due,
		Note: privateText("责令改正：更正产品说明")}
	if o := written(call("POST", "/channels/liuzhou/obligations", issuer, aboutProduct, 201)); o.Subject != product.RegistrationNumber {
		t.Fatalf("an order about a product: subject %q", o.Subject)
	}
	notTheirs := aboutProduct
	notTheirs.Number, notTheirs.PartyCreditCode = number(), operator
	refused(call("POST", "/channels/liuzhou/obligations", issuer, notTheirs, 404), domain.RuleObligation)
	call("POST", "/channels/liuzhou/credit-records", issuer, domain.CreditInput{Number: sample.Number(domain.PrefixCredit, "450200"), PartyCreditCode: operator2,
		Cause: order2.Number, Category: "unfair_competition", FindingDigest: certs.SM3Hex([]byte("处理决定")), Finding: privateText("低价倾销数据产品，排挤竞争对手")}, 201)
	refused(call("POST", "/channels/liuzhou/agreements", issuer, operation(operator2, sample.Declaration), 409), "HB-14")
	operator3 := l.party(domain.PartyOperator, "柳州数据运营第三有限公司")
	// HB sets no candidates' notice: the operator is selected at once, and
	// its operation agreement names the selection.
	hbSelection := selection
	hbSelection.Number, hbSelection.Method = sample.Number(domain.PrefixSelection, "450200"), "public_selection"
	call("POST", "/channels/liuzhou/selections", issuer, hbSelection, 201)
	call("POST", "/selections/"+hbSelection.Number+"/candidates", issuer, domain.Nomination{Candidates: []string{operator3}, ReviewDigest: certs.SM3Hex([]byte("遴选评审"))}, 200)
	call("POST", "/selections/"+hbSelection.Number+"/select", issuer, gateway.SelectRequest{Operator: operator3, Reason: "专家评审确定"}, 200)
	var op struct {
		Record domain.Agreement `json:"record"`
	}
	withSelection := operation(operator3, sample.Declaration)
	withSelection.Selection = hbSelection.Number
	_ = json.Unmarshal(call("POST", "/channels/liuzhou/agreements", issuer, withSelection, 201), &op)
	if op.Record.Declaration == nil || op.Record.Declaration.EvidenceDigest != sample.Declaration.EvidenceDigest || op.Record.Selection != hbSelection.Number {
		t.Fatalf("the operation agreement keeps its declaration: %+v", op.Record.Declaration)
	}

	// HB 27: a development agreement's terms are the parties': the block
	// keeps its public view; the issuer and the enterprise read it whole,
	// another enterprise not at all.
	dev := domain.AgreementInput{Number: sample.Number(domain.PrefixAgreement, "450200"), Kind: domain.AgreementDevelopment, GrantorCreditCode: operator3,
		GranteeCreditCode: ent, DocumentDigest: certs.SM3Hex([]byte("开发合作协议" + ent)), Scope: privateText("联合开发：柳州公交客流预测模型（开发协议）"),
		TermStart: today.Format(time.DateOnly), TermEnd: today.AddDate(1, 0, 0).Format(time.DateOnly), SignedOn: today.Format(time.DateOnly)}
	var devRec struct {
		Record domain.Agreement `json:"record"`
	}
	_ = json.Unmarshal(call("POST", "/channels/liuzhou/agreements", issuer, dev, 201), &devRec)
	var devOwn domain.Agreement
	_ = json.Unmarshal(call("GET", "/agreements/"+dev.Number, key, nil, 200), &devOwn)
	if devRec.Record.Scope != dev.Scope || devOwn.Scope != dev.Scope || devOwn.GranteeCreditCode != ent {
		t.Fatalf("the development agreement read back by the issuer (%q) and its grantee (%+v)", devRec.Record.Scope, devOwn)
	}
	refused(call("GET", "/agreements/"+dev.Number, otherKey, nil, 403), domain.RuleEnterpriseRead)
	var devFiled struct {
		Record domain.Agreement `json:"record"`
	}
	_ = json.Unmarshal(call("POST", "/agreements/"+dev.Number+"/file", issuer, nil, 200), &devFiled) // its answer in the block: the public view
	if devFiled.Record.Status != domain.AgreementFiled || devFiled.Record.Scope != dev.Scope {
		t.Fatalf("the development agreement filed, read back by the issuer: %+v", devFiled.Record)
	}

	// Orders about an agreement and a credential name neither in their
	// read sets (TestZZNoPrivateTransactionReadsAParty reads their
	// blocks): the agreement is among its grantee's grants, for an order
	// to its grantee or to its grantor; the credential is its signed
	// document, verified with its department's key. Another party's is
	// refused as not its own.
	held, err := l.is.HolderAgreement("柳州整改")
	if err != nil {
		t.Fatal(network.ErrorText(err))
	}
	cred, signedCred, err := l.is.Credential(held, l.is.Key)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.is.Issue(signedCred, held); err != nil {
		t.Fatal(network.ErrorText(err))
	}
	for _, about := range []struct{ party, subject, what string }{
		{ent, dev.Number, "an order about an agreement, to its grantee"},
		{operator3, dev.Number, "an order about an agreement, to its grantor"},
		{held.Grantee, cred.AuthorizationNumber, "an order about a credential"},
	} {
		in := domain.ObligationInput{Number: number(), Kind: "rectification", PartyCreditCode: about.party, Subject: about.subject, Due: due, Note: privateText("责令改正：" + about.what)}
		o := written(call("POST", "/channels/liuzhou/obligations", issuer, in, 201))
		if o.Subject != about.subject {
			t.Fatalf("%s: subject %q", about.what, o.Subject)
		}
		provenSubjects[o.Last.TxID] = about.what
		notTheirs := in
		notTheirs.Number, notTheirs.PartyCreditCode = number(), other
		refused(call("POST", "/channels/liuzhou/obligations", issuer, notTheirs, 404), domain.RuleObligation)
	}

	// The regulator's index lists the enterprise's credit file, and the
	// unfiled report as overdue, and only it.
	l.catchUp(ctx)
	var page index.Page
	_ = json.Unmarshal(call("GET", "/channels/liuzhou/index/records?"+url.Values{"kind": {"creditRecord"}, "party": {ent}, "limit": {"50"}}.Encode(), regulator, nil, 200), &page)
	credits := map[string]string{}
	for _, h := range page.Items {
		var r domain.CreditRecord
		_ = json.Unmarshal(h.Record, &r)
		credits[h.ID] = h.Status + " " + r.Cause
	}
	if credits[credit.Number] != domain.CreditRescinded+" "+order.Number || credits[twice.Number] != domain.CreditRecorded+" "+order.Number || len(credits) != 2 {
		t.Fatalf("the regulator's index of the enterprise's credit file: %v", credits)
	}
	_ = json.Unmarshal(call("GET", "/channels/liuzhou/index/records?"+url.Values{"kind": {"obligation"}, "flag": {"overdue"}, "limit": {"500"}}.Encode(), regulator, nil, 200), &page)
	overdue := map[string]bool{}
	for _, h := range page.Items {
		overdue[h.ID] = true
	}
	if !overdue[reportB.Number] || overdue[reportA.Number] || overdue[order.Number] || overdue[incident.Number] {
		t.Fatalf("overdue obligations listed for the regulator: %v", overdue)
	}
	_ = json.Unmarshal(call("GET", "/channels/liuzhou/index/records?"+url.Values{"kind": {"obligation"}, "flag": {"late"}, "limit": {"500"}}.Encode(), regulator, nil, 200), &page)
	late := map[string]bool{}
	for _, h := range page.Items {
		late[h.ID] = true
	}
	if !late[reportA.Number] || late[reportB.Number] || late[order.Number] {
		t.Fatalf("late obligations: %v", late)
	}
	// The accepted order's proof bundle verifies offline against the pinned roots.
	var bundle proof.Bundle
	if err := json.Unmarshal(call("GET", path+"/proof", key, nil, 200), &bundle); err != nil {
		t.Fatal(err)
	}
	if r := proof.Verify(&bundle, trust); !r.OK || bundle.Record.TxID == "" || bundle.Private == nil {
		t.Fatalf("the order's proof bundle: ok=%v %+v", r.OK, r)
	}
	var view gateway.Obligations
	_ = json.Unmarshal(call("GET", "/me/obligations", key, nil, 200), &view)
	mine := map[string]bool{}
	for _, it := range view.Items {
		mine[it.ID] = true
	}
	if !mine[incident.Number] || !mine[order.Number] || !mine[twice.Number] || mine[reportB.Number] {
		t.Fatalf("the enterprise's view: %v", mine)
	}
	// An agreement revoked is a decision against its grantee (HB 36): the
	// revocation notes it in the grantee's private facts, where the credit
	// record on it finds it, never by the agreement's key.
	call("POST", "/agreements/"+dev.Number+"/end", issuer, map[string]string{"action": "revoke", "reason": privateText("违约使用数据，撤销开发协议")}, 200)
	_ = json.Unmarshal(call("POST", "/channels/liuzhou/credit-records", issuer, domain.CreditInput{Number: sample.Number(domain.PrefixCredit, "450200"), PartyCreditCode: ent,
		Cause: dev.Number, Category: "consumer_rights", FindingDigest: certs.SM3Hex([]byte("撤销决定书")), Finding: privateText("超出开发协议范围使用数据")}, 201), &cr)
	if cr.Record.CauseKind != domain.TypeAgreement || cr.Record.CauseDecision != "agreement revoked" {
		t.Fatalf("the credit record on the revoked agreement: %+v", cr.Record)
	}
	t.Logf("liuzhou: annual report %s filed late, %s overdue (due %s-03-31); incident %s → rectification %s due %s, returned once, accepted",
		reportA.Number, reportB.Number, today.Format("2006"), incident.Number, order.Number, due)
}
