package gateway

import (
	"context"
	"encoding/json"
	"net/http"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"dataledger/chaincode/domain"
	"dataledger/gateway/webhook"
)

func webhookHarness(t *testing.T) *harness {
	t.Helper()
	store, err := webhook.Open(filepath.Join(t.TempDir(), "webhooks.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	cfg := DefaultConfig()
	cfg.Webhooks = store
	return newHarnessConfig(t, cfg)
}

// A subscription is its owner's only: made with a URL the gateway may post
// to and known types, listed, disabled and its log read by its owner
// alone; its secret is answered once.
func TestWebhookSubscriptionsAreTheirOwnersOnly(t *testing.T) {
	hs := webhookHarness(t)
	for body, field := range map[string]string{
		`{"url":"http://example.com/h"}`:                             "url",
		`{"url":"https://127.0.0.1/h"}`:                              "url",
		`{"url":"https://example.com/h","types":["record.deleted"]}`: "types[0]",
		`{"url":"https://example.com/h","secret":"mine"}`:            "body",
	} {
		w := hs.do("POST", "/api/v1/webhooks", RoleEnterprise, body)
		if w.Code != http.StatusUnprocessableEntity || !strings.Contains(w.Body.String(), `"field":"`+field+`"`) {
			t.Errorf("%s: %d %s", body, w.Code, w.Body)
		}
	}
	w := hs.do("POST", "/api/v1/webhooks", RoleEnterprise, `{"url":"https://example.com/hooks"}`)
	if w.Code != http.StatusCreated {
		t.Fatalf("subscribe: %d %s", w.Code, w.Body)
	}
	var made WebhookCreated
	_ = json.Unmarshal(w.Body.Bytes(), &made)
	if !strings.HasPrefix(made.Secret, "dlwh_") || made.CreditCode != testEnterprise || len(made.Types) != 4 {
		t.Fatalf("made: %+v", made)
	}
	if w := hs.do("POST", "/api/v1/webhooks", RoleExchange, `{"url":"https://exchange.example.com/hooks","types":["record.changed"]}`); w.Code != http.StatusCreated {
		t.Fatalf("exchange subscribes: %d %s", w.Code, w.Body)
	}
	list := func(role string) []WebhookView {
		w := hs.do("GET", "/api/v1/webhooks", role, "")
		var l WebhookList
		if w.Code != 200 || json.Unmarshal(w.Body.Bytes(), &l) != nil {
			t.Fatalf("list as %s: %d %s", role, w.Code, w.Body)
		}
		if strings.Contains(w.Body.String(), "dlwh_") {
			t.Fatalf("a list carries a secret: %s", w.Body)
		}
		return l.Items
	}
	if l := list(RoleEnterprise); len(l) != 1 || l[0].ID != made.ID {
		t.Fatalf("the enterprise's list: %+v", l)
	}
	if l := list(RoleExchange); len(l) != 1 || l[0].ID == made.ID {
		t.Fatalf("the exchange's list: %+v", l)
	}
	// Another enterprise of the same organization sees none of it.
	other, _, _ := hs.ks.CreateEnterprise("CityAMSP", "91450100MA5L0001AW"[:17]+checkChar("91450100MA5L0001A"))
	mine := hs.keys[RoleEnterprise]
	hs.keys[RoleEnterprise] = other
	if l := list(RoleEnterprise); len(l) != 0 {
		t.Fatalf("another enterprise lists %+v", l)
	}
	for _, r := range []struct{ method, path string }{{"DELETE", "/api/v1/webhooks/" + made.ID}, {"POST", "/api/v1/webhooks/" + made.ID + "/ping"}, {"GET", "/api/v1/webhooks/" + made.ID + "/deliveries"}, {"POST", "/api/v1/webhooks/" + made.ID + "/secret"}} {
		if w := hs.do(r.method, r.path, RoleEnterprise, ""); w.Code != http.StatusNotFound || !strings.Contains(w.Body.String(), RuleWebhook) {
			t.Errorf("another enterprise %s %s: %d %s", r.method, r.path, w.Code, w.Body)
		}
	}
	hs.keys[RoleEnterprise] = mine
	w = hs.do("POST", "/api/v1/webhooks/"+made.ID+"/secret", RoleEnterprise, "")
	var rotated WebhookSecret
	if _ = json.Unmarshal(w.Body.Bytes(), &rotated); w.Code != 200 || !strings.HasPrefix(rotated.Secret, "dlwh_") || rotated.Secret == made.Secret || time.Until(rotated.PreviousUntil) < 23*time.Hour {
		t.Fatalf("rotate: %d %s", w.Code, w.Body)
	}
	if sub, _ := hs.srv.cfg.Webhooks.Subscription(made.ID); sub.Secret != rotated.Secret || sub.PreviousSecret != made.Secret {
		t.Fatal("the store does not hold the rotated secrets")
	}
	if w := hs.do("POST", "/api/v1/webhooks/"+made.ID+"/ping", RoleEnterprise, ""); w.Code != http.StatusAccepted {
		t.Fatalf("ping: %d %s", w.Code, w.Body)
	}
	w = hs.do("GET", "/api/v1/webhooks/"+made.ID+"/deliveries", RoleEnterprise, "")
	var log WebhookDeliveries
	if _ = json.Unmarshal(w.Body.Bytes(), &log); w.Code != 200 || len(log.Items) != 1 || log.Items[0].Event.Type != webhook.TypePing || log.Items[0].State != webhook.StatePending {
		t.Fatalf("log after a ping: %d %s", w.Code, w.Body)
	}
	if w := hs.do("DELETE", "/api/v1/webhooks/"+made.ID, RoleEnterprise, ""); w.Code != 200 || !strings.Contains(w.Body.String(), `"disabled"`) {
		t.Fatalf("disable: %d %s", w.Code, w.Body)
	}
	if w := hs.do("POST", "/api/v1/webhooks/"+made.ID+"/ping", RoleEnterprise, ""); w.Code != http.StatusConflict {
		t.Fatalf("ping a disabled one: %d %s", w.Code, w.Body)
	}
	if l := list(RoleEnterprise); len(l) != 1 || l[0].Disabled == nil {
		t.Fatalf("a disabled subscription is kept: %+v", l)
	}
	if w := hs.do("POST", "/api/v1/webhooks", RoleRegulator, `{"url":"https://example.com/h"}`); w.Code != http.StatusForbidden {
		t.Fatalf("a regulator subscribes: %d", w.Code)
	}
}

func checkChar(body string) string { c, _ := domain.CreditCodeCheckChar(body); return string(c) }

// A chaincode event becomes one delivery per subscriber it concerns: an
// enterprise's own records and the objections against them, an
// exchange's channel's certificates; the same event routed again adds
// nothing.
func TestEventsGoToTheSubscribersTheyConcern(t *testing.T) {
	hs := webhookHarness(t)
	mine, theirs := testEnterprise, "91450100MA5L0001A"+checkChar("91450100MA5L0001A")
	store := hs.srv.cfg.Webhooks
	subs := map[string]webhook.Subscription{
		"wh_mine":     {ID: "wh_mine", Role: RoleEnterprise, Org: "CityAMSP", CreditCode: mine, Types: []string{webhook.TypeRecordChanged, webhook.TypeObjection}},
		"wh_theirs":   {ID: "wh_theirs", Role: RoleEnterprise, Org: "CityAMSP", CreditCode: theirs, Types: []string{webhook.TypeRecordChanged, webhook.TypeObjection, webhook.TypeCorrection}},
		"wh_exchange": {ID: "wh_exchange", Role: RoleExchange, Org: "ExchangeMSP", Types: []string{webhook.TypeRecordChanged, webhook.TypeObjection}},
		"wh_quiet":    {ID: "wh_quiet", Role: RoleEnterprise, Org: "CityAMSP", CreditCode: mine, Types: []string{webhook.TypeDeadline}},
	}
	for _, s := range subs {
		s.Owner, s.URL, s.Created = webhook.OwnerOf(s.Role, s.Org, s.CreditCode), "https://example.com/"+s.ID, time.Now()
		if err := store.Subscribe(s, 10, 100); err != nil {
			t.Fatal(err)
		}
	}
	// Their keys; and an enterprise whose every key was revoked (its
	// subscription stays, and is told nothing).
	_, _, _ = hs.ks.CreateEnterprise("CityAMSP", theirs)
	_, _, _ = hs.ks.Create("ExchangeMSP", RoleExchange)
	gone := "91450100MA5L0002A" + checkChar("91450100MA5L0002A")
	_, k, _ := hs.ks.CreateEnterprise("CityAMSP", gone)
	_ = hs.ks.Revoke(k.ID)
	if err := store.Subscribe(webhook.Subscription{ID: "wh_gone", Role: RoleEnterprise, Org: "CityAMSP", CreditCode: gone, Owner: webhook.OwnerOf(RoleEnterprise, "CityAMSP", gone),
		Types: []string{webhook.TypeRecordChanged}, URL: "https://example.com/gone", Created: time.Now()}, 10, 100); err != nil {
		t.Fatal(err)
	}
	subs["wh_gone"] = webhook.Subscription{}
	js := func(v any) []byte { b, _ := json.Marshal(v); return b }
	hs.ledger.answers = map[string][]byte{
		"GetCredential":   js(domain.CredentialRecord{HolderCreditCode: mine}),
		"GetParty":        js(domain.Party{CreditCode: gone}),
		"GetCertificate":  js(domain.CertificateRecord{EnterpriseCreditCode: mine}),
		"GetObjection":    js(domain.Objection{ObjectionInput: domain.ObjectionInput{Target: certNumber}}),
		"GetApplication":  js(domain.Application{ApplicationInput: domain.ApplicationInput{ApplicantCreditCode: theirs, DataProviders: []string{mine}}}),
		"GetJurisdiction": js(domain.Jurisdiction{ExchangeMSPs: []string{"ExchangeMSP"}}),
	}
	ev := domain.Event{TxID: "tx9", Channel: "liuzhou", Time: time.Now().Add(time.Second).UTC().Format(time.RFC3339Nano), Changes: []domain.Changed{
		{RecordType: domain.TypeCredential, Key: credNumber, Action: "issue", Status: "valid", Version: 1},
		{RecordType: domain.TypeCertificate, Key: certNumber, Action: "suspend", Status: "suspended", Version: 2},
		{RecordType: domain.TypeObjection, Key: "YY-450200-2026-ABCDEFGH", Action: "file", Status: "filed", Version: 1},
		{RecordType: domain.TypeApplication, Key: "SA-450200-2026-ABCDEFGH", Action: "apply", Status: "submitted", Version: 1},
		{RecordType: domain.TypeApplication, Key: "SA-450200-2026-ABCDEFGJ", Action: "preliminary_review", Status: domain.StageCorrection, Version: 2},
		{RecordType: domain.TypeEgress, Key: "e1", Action: "check", Version: 1},
		{RecordType: domain.TypeParty, Key: gone, Action: "suspend", Status: "suspended", Version: 2},
	}}
	r := &webhookRouter{s: hs.srv, who: hs.srv.cfg.PublicIdentity, exchanges: map[string][]string{}}
	for range 2 { // the second time: a replay after a restart
		if err := r.route(context.Background(), "liuzhou", 12, js(ev)); err != nil {
			t.Fatal(err)
		}
	}
	got := map[string][]string{}
	for id := range subs {
		page, _, err := store.Log(id, 100, "")
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range page {
			if d.Event.Block != 12 || d.Event.TxID != "tx9" || d.Event.Channel != "liuzhou" {
				t.Errorf("%s: %+v", id, d.Event)
			}
			got[id] = append(got[id], d.Event.Type+" "+d.Event.RecordType+" "+d.Event.Status+" "+d.Event.Target)
		}
		sort.Strings(got[id])
	}
	want := map[string][]string{
		"wh_mine": {"objection.changed objection filed " + certNumber, "record.changed certificate suspended ", "record.changed credential valid "},
		// The application is its applicant's, not a data provider's.
		"wh_theirs":   {"correction.requested application correction_requested ", "record.changed application correction_requested ", "record.changed application submitted "},
		"wh_exchange": {"objection.changed objection filed " + certNumber, "record.changed certificate suspended "},
	}
	for id := range subs {
		if strings.Join(got[id], "|") != strings.Join(want[id], "|") {
			t.Errorf("%s got %q, want %q", id, got[id], want[id])
		}
	}
}
