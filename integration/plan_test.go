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
	"dataledger/proof"
)

// TestPlansAreFiledALevelUp: on liuzhou under GD's profile, whose
// authority a level up is the province's: liuzhou's authority records an
// implementation plan approved 40 days ago, whose filing (GD 19: 10
// working days after the approval) is overdue and listed so for the
// regulator; it files late, the province returns the filing with reasons
// (liuzhou may not decide on its own filing) and accepts the second; a
// change approved later supersedes the plan in one transaction and owes
// its own filing, and a selection follows it, not the superseded one;
// the province's feed pushes the change's overdue filing. An enterprise
// reads no plan; the plan's proof bundle
// verifies offline. Everything goes over HTTP.
func TestPlansAreFiledALevelUp(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	l := newOnLiuzhou(t)
	call, issuer, refused := l.call, l.issuer, l.refused
	province, _, _ := l.ks.Create("ProvinceMSP", gateway.RoleIssuer)
	regulator, _, _ := l.ks.Create("ProvinceMSP", gateway.RoleRegulator)
	ent := l.party(domain.PartyEnterprise, "柳州方案测试有限公司")
	key := l.enterpriseKey(ent)
	written := func(raw []byte) domain.Plan {
		t.Helper()
		var w struct {
			Record domain.Plan `json:"record"`
		}
		if err := json.Unmarshal(raw, &w); err != nil {
			t.Fatalf("%v: %s", err, raw)
		}
		return w.Record
	}
	listed := func(flag string) map[string]string {
		t.Helper()
		var page index.Page
		_ = json.Unmarshal(call("GET", "/channels/liuzhou/index/records?"+url.Values{"kind": {"plan"}, "flag": {flag}, "limit": {"500"}}.Encode(), regulator, nil, 200), &page)
		out := map[string]string{}
		for _, h := range page.Items {
			out[h.ID] = h.Status
		}
		return out
	}
	l.adopt("GD")
	today := domain.DateOf(time.Now().In(domain.CST))
	plan := domain.PlanInput{Number: sample.Number(domain.PrefixPlan, "450200"), Title: "柳州市公共数据资源授权运营实施方案",
		Scope: "交通出行、医疗健康、市场监管数据", DocumentDigest: certs.SM3Hex([]byte("柳州市实施方案（审定稿）")),
		ApprovedOn: today.AddDate(0, 0, -40).Format(time.DateOnly), ApprovedBy: "柳州市人民政府"}
	refused(call("POST", "/channels/liuzhou/plans", province, plan, 403), domain.RuleOwnAuthority) // the province records no city's plan
	a := written(call("POST", "/channels/liuzhou/plans", issuer, plan, 201))
	if a.Status != domain.PlanApproved || a.FilingRule != "GD-19" || a.FilingDue == "" || a.FilingDue >= today.Format(time.DateOnly) {
		t.Fatalf("recorded 40 days after its approval: %+v", a)
	}
	refused(call("POST", "/channels/liuzhou/plans", issuer, plan, 409), domain.RulePlanUnique)
	l.catchUp(ctx)
	if overdue := listed("overdue"); overdue[a.Number] != domain.PlanApproved {
		t.Fatalf("the unfiled plan is not listed overdue for the regulator: %v", overdue)
	}

	letter := domain.PlanFiling{DocumentDigest: certs.SM3Hex([]byte("关于报送柳州市实施方案备案的函")), Note: "书面报送"}
	if f := written(call("POST", "/plans/"+a.Number+"/filing", issuer, letter, 200)); f.Status != domain.PlanFiled || !f.FiledLate || f.FiledOn != today.Format(time.DateOnly) {
		t.Fatalf("filed after %s: %+v", a.FilingDue, f)
	}
	refused(call("POST", "/plans/"+a.Number+"/decision", issuer, gateway.ReviewRequest{Decision: domain.PlanAccepted}, 403), domain.RuleReviewer)
	refused(call("POST", "/plans/"+a.Number+"/decision", province, gateway.ReviewRequest{Decision: domain.PlanReturned}, 422), domain.RuleReasons)
	call("POST", "/plans/"+a.Number+"/decision", province, gateway.ReviewRequest{Decision: domain.PlanReturned, Reasons: "缺少授权运营数据资源目录"}, 200)
	letter.DocumentDigest = certs.SM3Hex([]byte("补正后的备案函"))
	written(call("POST", "/plans/"+a.Number+"/filing", issuer, letter, 200))
	if d := written(call("POST", "/plans/"+a.Number+"/decision", province, gateway.ReviewRequest{Decision: domain.PlanAccepted}, 200)); d.Status != domain.PlanAccepted || d.Last.Actor.MSP != "ProvinceMSP" || len(d.Steps) != 5 {
		t.Fatalf("accepted by the province: %+v", d)
	}

	change := plan
	change.Number, change.Supersedes, change.Title = sample.Number(domain.PrefixPlan, "450200"), a.Number, "柳州市公共数据资源授权运营实施方案（修订）"
	change.ApprovedOn, change.DocumentDigest = today.AddDate(0, 0, -30).Format(time.DateOnly), certs.SM3Hex([]byte("柳州市实施方案（修订稿）"))
	b := written(call("POST", "/channels/liuzhou/plans", issuer, change, 201))
	var old domain.Plan
	_ = json.Unmarshal(call("GET", "/plans/"+a.Number, regulator, nil, 200), &old)
	if old.Status != domain.PlanSuperseded || old.SupersededBy != b.Number || old.Last.TxID != b.Last.TxID || b.FilingDue == "" {
		t.Fatalf("the change %+v and the plan it supersedes %+v", b, old)
	}
	call("GET", "/plans/"+a.Number, key, nil, 403) // an enterprise reads no plan

	// An operator selection names the plan in force it follows (required
	// under GX 7(3); named here under GD): never the superseded one.
	agency := l.party(domain.PartyAgency, "柳州市方案实施机构")
	selection := domain.SelectionInput{Number: sample.Number(domain.PrefixSelection, "450200"), AgencyCreditCode: agency, Method: "public_tender",
		Scope: "柳州市公共数据授权运营", AnnouncementDigest: certs.SM3Hex([]byte("柳州市运营机构征集公告（方案）")), Plan: a.Number}
	refused(call("POST", "/channels/liuzhou/selections", issuer, selection, 409), domain.RuleSelection)
	selection.Plan = b.Number
	var sel struct {
		Record domain.Selection `json:"record"`
	}
	if _ = json.Unmarshal(call("POST", "/channels/liuzhou/selections", issuer, selection, 201), &sel); sel.Record.Plan != b.Number {
		t.Fatalf("the selection under plan %s: %+v", b.Number, sel.Record)
	}

	var bundle proof.Bundle
	if err := json.Unmarshal(call("GET", "/plans/"+a.Number+"/proof", issuer, nil, 200), &bundle); err != nil {
		t.Fatal(err)
	}
	if _, trust := pinnedTrust(t); !proof.Verify(&bundle, trust).OK {
		t.Fatal("the plan's proof bundle does not verify")
	}
	l.catchUp(ctx)
	if overdue := listed("overdue"); overdue[a.Number] != "" || overdue[b.Number] != domain.PlanApproved {
		t.Fatalf("overdue plans after the change: %v", overdue)
	}
	if late := listed("late"); late[a.Number] != domain.PlanSuperseded || late[b.Number] != "" {
		t.Fatalf("late plans (a superseded plan keeps its late filing): %v", late)
	}
	// The feed of the authority a level up pushes the overdue filing owed
	// to it; liuzhou's own authority is owed none.
	pushed := streamUntil(t, l.url+"/channels/liuzhou/feed", regulator, "plan"+gateway.OverdueEvent, b.Number, 30*time.Second)
	var o gateway.Overdue
	if err := json.Unmarshal([]byte(pushed), &o); err != nil || o.Due != b.FilingDue || o.Status != domain.PlanApproved {
		t.Fatalf("pushed: %s", pushed)
	}
	t.Logf("liuzhou: plan %s approved %s, due %s, filed late, returned, accepted by ProvinceMSP; superseded by %s (due %s)", a.Number, plan.ApprovedOn, a.FilingDue, b.Number, b.FilingDue)
}
