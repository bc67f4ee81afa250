package domain

import (
	"encoding/json"
	"strings"
	"testing"
)

// The reason rule: a record's public view keeps every change but the
// words of its latest; Said puts them back for the change they are of,
// never over a public reason (an objection's cause) nor into another
// change; SayIn does the same to a record's JSON.
func TestWordsLeaveThePublicViewAndComeBackForTheirChange(t *testing.T) {
	suspend := Change{TxID: "t2", Action: "suspend", Reason: "限期整改：泄露用户数据"}
	p := &Party{CreditCode: "91450100MA5L0000AW", Status: PartySuspended, Onboarded: Change{TxID: "t1", Action: "register"}, Last: suspend, Version: 2}
	pub := p.Public()
	if pub.Last.Reason != "" || pub.Last.Action != "suspend" || pub.Last.TxID != "t2" || p.Last.Reason == "" {
		t.Fatalf("public view %+v (the record itself: %+v)", pub.Last, p.Last)
	}
	pub.Said(Words{TxID: "t1", Reason: "另一笔交易的话"})
	if pub.Last.Reason != "" {
		t.Fatalf("words of another change were put into the latest: %q", pub.Last.Reason)
	}
	pub.Said(Words{TxID: "t2", Reason: suspend.Reason})
	if pub.Last.Reason != suspend.Reason || !slicesEqual(pub.Spoken(), []string{"t2"}) {
		t.Fatalf("said back: %+v, spoken %v", pub.Last, pub.Spoken())
	}
	// An objection's cause is public: words never replace it.
	cert := &CertificateRecord{Number: "DJ-1", StatusReason: "objection YY-1: registration_revoked",
		National: &NationalRegistration{QueryCode: "Q1", Recorded: Change{TxID: "t3", Reason: "更正查询码"}},
		Last:     Change{TxID: "t4", Action: "objection", Reason: "objection YY-1: registration_revoked"}}
	cert.Said(Words{TxID: "t4", Reason: "不应出现"})
	if cert.Last.Reason != "objection YY-1: registration_revoked" {
		t.Fatalf("words replaced a public cause: %q", cert.Last.Reason)
	}
	// A correction's words stay its own after a later change.
	if got := cert.Spoken(); !slicesEqual(got, []string{"t4", "t3"}) {
		t.Fatalf("a certificate speaks for %v", got)
	}
	// A credential's status reason is the words of its status change.
	cred := &CredentialRecord{Status: CredentialSuspended, StatusReason: "核查中", Last: Change{TxID: "t5", Action: "suspend", Reason: "核查中"}}
	cp := cred.Public()
	if cp.StatusReason != "" || cp.Last.Reason != "" {
		t.Fatalf("credential public view: %q %q", cp.StatusReason, cp.Last.Reason)
	}
	body, _ := json.Marshal(cp)
	back, err := SayIn(TypeCredential, body, Words{TxID: "t5", Reason: "核查中"})
	if err != nil || !strings.Contains(string(back), `"statusReason":"核查中"`) || !strings.Contains(string(back), `"reason":"核查中"`) {
		t.Fatalf("SayIn: %s %v", back, err)
	}
	if same, _ := SayIn(TypeObligation, body, Words{TxID: "t5", Reason: "x"}); string(same) != string(body) || HasWords(TypeObligation) {
		t.Fatal("SayIn changed a record type that has no words")
	}
}

// Who reads the words: a regime role of a collection member; an
// enterprise of a member org, of its own record; nobody else.
func TestWhoReadsTheWords(t *testing.T) {
	cfg := ChannelConfig{Private: []string{"CityAMSP", "ProvinceMSP"}}
	mine := "91450100MA5L0000AW"
	body, _ := json.Marshal(Party{CreditCode: mine})
	for _, c := range []struct {
		a    Actor
		want bool
	}{
		{Actor{MSP: "CityAMSP", Role: RoleAuthority}, true},
		{Actor{MSP: "ProvinceMSP", Role: RoleRegulator}, true},
		{Actor{MSP: "CityAMSP", Role: RoleClerk}, false},
		{Actor{MSP: "ExchangeMSP", Role: RoleAuthority}, false},
		{Actor{MSP: "CityAMSP", Role: RoleEnterprise, CreditCode: mine}, true},
		{Actor{MSP: "CityAMSP", Role: RoleEnterprise, CreditCode: "91450100MA5L00002X"}, false},
		{Actor{MSP: "ExchangeMSP", Role: RoleEnterprise, CreditCode: mine}, false},
	} {
		if got := MayReadWords(cfg, c.a, TypeParty, body); got != c.want {
			t.Errorf("%s/%s (%s) reads the words: %v, want %v", c.a.MSP, c.a.Role, c.a.CreditCode, got, c.want)
		}
	}
}

func slicesEqual(a, b []string) bool { return strings.Join(a, ",") == strings.Join(b, ",") }
