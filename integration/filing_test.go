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
	"dataledger/network/sample"
)

// TestAnAgreementsChangeOpensItsFiling: on liuzhou, under HB, the
// authority's work report owed to the province (HB 37 ¶2) is filed and
// decided there; an operation agreement signed under HB and filed; under GD (GD 23 ¶3) its change and then its
// termination each open, in their own transaction on the peers, the
// implementing agency's filing of the change, due in 10 working days,
// public, naming the agreement; the regulator's index lists both under
// the agency, the public list discloses them, and the registrar files one
// for the agency; each also opens liuzhou's report of it to the province
// (GD 23 ¶4). Over HTTP.
func TestAnAgreementsChangeOpensItsFiling(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	l := newOnLiuzhou(t)
	call, issuer := l.call, l.issuer
	regulator, _, _ := l.ks.Create("ProvinceMSP", gateway.RoleRegulator)
	agency, operator := l.party(domain.PartyAgency, "柳州市数据实施机构丙"), l.party(domain.PartyOperator, "柳州数据运营第四有限公司")
	today := domain.DateOf(time.Now().In(domain.CST))
	l.adopt("HB")
	op := domain.AgreementInput{Number: sample.Number(domain.PrefixAgreement, "450200"), Kind: domain.AgreementOperation, GrantorCreditCode: agency,
		GranteeCreditCode: operator, DocumentDigest: certs.SM3Hex([]byte("授权运营协议（丙）")), Scope: "柳州市交通出行数据",
		TermStart: today.Format(time.DateOnly), TermEnd: today.AddDate(2, 0, 0).Format(time.DateOnly), SignedOn: today.Format(time.DateOnly), Declaration: sample.Declaration}
	call("POST", "/channels/liuzhou/agreements", issuer, op, 201)
	call("POST", "/agreements/"+op.Number+"/file", issuer, nil, 200)

	// HB 37 ¶2: liuzhou's yearly work report is owed to the province: it
	// names no party, liuzhou files it, and only the province decides.
	province, _, _ := l.ks.Create("ProvinceMSP", gateway.RoleIssuer)
	report := domain.ObligationInput{Number: sample.Number(domain.PrefixObligation, "450200"), Kind: "work_report",
		Due: today.AddDate(0, 1, 0).Format(time.DateOnly), Note: "本年度授权运营工作开展情况"}
	var upward struct {
		Record domain.Obligation `json:"record"`
	}
	if _ = json.Unmarshal(call("POST", "/channels/liuzhou/obligations", issuer, report, 201), &upward); !upward.Record.Upward || upward.Record.PartyCreditCode != "" {
		t.Fatalf("the work report: %+v", upward.Record)
	}
	call("POST", "/obligations/"+report.Number+"/filing", issuer, domain.ObligationFiling{DocumentDigest: certs.SM3Hex([]byte("柳州市授权运营工作情况报告"))}, 200)
	l.refused(call("POST", "/obligations/"+report.Number+"/decision", issuer, gateway.ReviewRequest{Decision: domain.ObligationAccepted}, 403), domain.RuleReviewer)
	call("POST", "/obligations/"+report.Number+"/decision", province, gateway.ReviewRequest{Decision: domain.ObligationAccepted}, 200)

	gd := l.adopt("GD")
	kind, _ := gd.ObligationKind("agreement_change_filing")
	change := map[string]any{"change": domain.AgreementChange{DocumentDigest: certs.SM3Hex([]byte("授权运营协议（丙）变更")), Scope: "柳州市交通出行与医疗健康数据",
		TermStart: op.TermStart, TermEnd: op.TermEnd}, "reason": privateText("增加医疗健康数据")}
	// Late in a year whose successor's calendar is not loaded, the days
	// are counted the latest they could end rather than hold the change up.
	due, _, err := builtinCalendars().WorkingDaysOrLatest(today, kind.Deadline.N)
	if err != nil {
		t.Fatal(err)
	}
	call("POST", "/agreements/"+op.Number+"/change", issuer, change, 200)
	call("POST", "/agreements/"+op.Number+"/end", issuer, map[string]string{"action": "terminate", "reason": privateText("协商一致终止（备案测试）")}, 200)

	l.catchUp(ctx)
	var page index.Page
	_ = json.Unmarshal(call("GET", "/channels/liuzhou/index/records?"+url.Values{"kind": {"obligation"}, "party": {agency}, "limit": {"50"}}.Encode(), regulator, nil, 200), &page)
	var opened []domain.Obligation
	for _, h := range page.Items {
		var o domain.Obligation
		_ = json.Unmarshal(h.Record, &o)
		if o.Kind == "agreement_change_filing" && o.Subject == op.Number && o.DueOn == due.Format(time.DateOnly) && o.Disclosed && o.Cite == "GD-23.3" {
			opened = append(opened, o)
		}
	}
	if len(opened) != 2 || len(page.Items) != 2 {
		t.Fatalf("the agency's obligations after the change and the termination: %d items, %d opened by them", len(page.Items), len(opened))
	}
	// GD 23 ¶4: liuzhou reports the change and the termination to the
	// province at once: two duties owed a level up, no party's.
	_ = json.Unmarshal(call("GET", "/channels/liuzhou/index/records?"+url.Values{"kind": {"obligation"}, "q": {"报省数据主管部门备案"}, "limit": {"50"}}.Encode(), regulator, nil, 200), &page)
	up := 0
	for _, h := range page.Items {
		var o domain.Obligation
		_ = json.Unmarshal(h.Record, &o)
		if o.Subject == op.Number && o.Upward && o.Cite == "GD-23.4" && len(h.Parties) == 0 {
			up++
		}
	}
	if up != 2 {
		t.Fatalf("%d upward filings of %s listed for the province, want 2 (the change, the termination)", up, op.Number)
	}
	var disclosed domain.Page[domain.ObligationDisclosure]
	_ = json.Unmarshal(call("GET", "/channels/liuzhou/disclosures/obligations?pageSize=200", "", nil, 200), &disclosed)
	public := map[string]bool{}
	for _, d := range disclosed.Items {
		public[d.Number] = d.PartyCreditCode == agency
	}
	if !public[opened[0].Number] || !public[opened[1].Number] {
		t.Fatalf("the public does not see the filings owed: %v", public)
	}
	var filed struct {
		Record domain.Obligation `json:"record"`
	}
	_ = json.Unmarshal(call("POST", "/obligations/"+opened[0].Number+"/filing", issuer, domain.ObligationFiling{DocumentDigest: certs.SM3Hex([]byte("协议变更备案函"))}, 200), &filed)
	if filed.Record.Status != domain.ObligationFiled || filed.Record.FiledLate {
		t.Fatalf("filed for the agency: %+v", filed.Record)
	}
	t.Logf("liuzhou: agreement %s changed and terminated under GD: filings %s and %s due %s", op.Number, opened[0].Number, opened[1].Number, due.Format(time.DateOnly))
}
