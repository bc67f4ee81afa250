package integration

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"dataledger/chaincode/domain"
	"dataledger/gateway"
	"dataledger/index"
	"dataledger/network"
)

// TestEnterprisesReadOnlyTheirOwn: two enterprises of Nanning, each with a
// catalog agreement and a credential, each with an API key that acts as
// its own identity (role enterprise, its credit code in the certificate).
// Over HTTP each reads its own party, agreement, list of credentials and
// agreement's proof bundle and none of the other's, even after a regulator's read put the
// other's record in the gateway's cache; both read what the public reads.
// On the network itself, the enterprise's identity gets the same refusals
// from the chaincode, and may not write.
func TestEnterprisesReadOnlyTheirOwn(t *testing.T) {
	type enterprise struct {
		code, agreement, credential, key string
	}
	keys := filepath.Join(t.TempDir(), "keys.json")
	ks, err := gateway.OpenKeyStore(keys)
	if err != nil {
		t.Fatal(err)
	}
	var ents [2]enterprise
	for i := range ents {
		is, ag := holderAgreement(t, []string{"甲", "乙"}[i])
		cred, signed, _ := is.Credential(ag, is.Key)
		issued, err := is.Issue(signed, ag)
		if err != nil {
			t.Fatal(network.ErrorText(err))
		}
		synced(t, issued)
		ents[i] = enterprise{code: ag.Grantee, agreement: ag.Number, credential: cred.AuthorizationNumber}
	}
	// The first enterprise's key as an operator makes it: the CLI has the
	// org's CA issue the identity; the running gateway follows the file.
	args := []string{"gateway", "keys", "create", "--keys", keys, "--org", "CityAMSP", "--home", home, "--description", description, "--role", "enterprise"}
	if code, out := exitCode(t, append(args, "--credit-code", "91450100MA5L0000A")...); code == 0 {
		t.Fatalf("a key for a malformed credit code: %s", out)
	}
	code, out := exitCode(t, append(args, "--credit-code", ents[0].code)...)
	if code != 0 {
		t.Fatalf("gateway keys create: exit %d\n%s", code, out)
	}
	ents[0].key = strings.Fields(out)[0]
	ents[1].key = enterpriseKey(t, ks, "CityAMSP", ents[1].code)
	regulator, _, err := ks.Create("ProvinceMSP", gateway.RoleRegulator)
	if err != nil {
		t.Fatal(err)
	}
	srv, _ := startGateway(t, nil, ks)
	api := srv.URL + "/api/v1"
	own := func(e enterprise) []string {
		return []string{
			api + "/channels/nanning/parties/" + e.code,
			api + "/agreements/" + e.agreement,
			api + "/channels/nanning/credentials?by=holder&value=" + e.code,
			api + "/agreements/" + e.agreement + "/proof",
		}
	}
	for i, e := range ents {
		other := ents[1-i]
		for _, url := range own(e) {
			if status, body := httpGet(t, url, e.key); status != http.StatusOK {
				t.Fatalf("enterprise %s reads its own %s: %d %s", e.code, url, status, body)
			}
		}
		// The regulator's read of the other's records comes first: a
		// cached answer must not reach the enterprise.
		for _, url := range own(other) {
			if status, body := httpGet(t, url, regulator); status != http.StatusOK {
				t.Fatalf("the regulator reads %s: %d %s", url, status, body)
			}
			status, body := httpGet(t, url, e.key)
			if status != http.StatusForbidden || !strings.Contains(string(body), domain.RuleEnterpriseRead) {
				t.Fatalf("enterprise %s reads the other's %s: %d %s", e.code, url, status, body)
			}
		}
		for _, url := range []string{api + "/channels/nanning/parties", api + "/channels/nanning/credentials?by=agreement&value=" + other.agreement} {
			if status, body := httpGet(t, url, e.key); status != http.StatusForbidden {
				t.Fatalf("enterprise %s lists %s: %d %s", e.code, url, status, body)
			}
		}
		// What the public reads, an enterprise reads: the other's
		// credential verifies, its timeline shows.
		for _, url := range []string{api + "/verify/" + other.credential, api + "/verify/" + other.credential + "/timeline", api + "/credentials/" + other.credential + "/proof",
			api + "/credentials/" + other.credential} { // a credential's record is public: every verification answers with it

			if status, body := httpGet(t, url, e.key); status != http.StatusOK {
				t.Fatalf("enterprise %s reads public %s: %d %s", e.code, url, status, body)
			}
		}
	}
	// The list of its credentials holds its own and nothing else.
	status, body := httpGet(t, api+"/channels/nanning/credentials?by=holder&value="+ents[0].code, ents[0].key)
	var page domain.Page[domain.CredentialRecord]
	if status != http.StatusOK || json.Unmarshal(body, &page) != nil || len(page.Items) != 1 || page.Items[0].Number != ents[0].credential {
		t.Fatalf("own credentials: %d %s", status, body)
	}

	// On the network: the chaincode decides, whoever the client is.
	e, other := ents[0], ents[1]
	c := connect(t, "CityAMSP", network.EnterpriseUser(e.code).Name, nil)
	if _, err := c.GetCredential("nanning", e.credential); err != nil {
		t.Fatalf("the enterprise's identity reads its credential: %s", network.ErrorText(err))
	}
	if _, err := c.ListParties("nanning", 50, ""); !domain.IsRule(err, domain.RuleEnterpriseRead) {
		t.Fatalf("the enterprise's identity lists the parties: %v", err)
	}
	if _, err := c.GetAgreement("nanning", other.agreement); !domain.IsRule(err, domain.RuleEnterpriseRead) {
		t.Fatalf("the enterprise's identity reads another's agreement: %v", err)
	}
	if _, _, err := c.RegisterParty("nanning", domain.PartyInput{CreditCode: newCreditCode("450102"), Name: "自行登记测试有限公司", Role: domain.PartyEnterprise, DivisionCode: "450102"}); !domain.IsRule(err, domain.RuleEnterpriseRead) {
		t.Fatalf("an enterprise registers a party: %v, want refused before it runs by %s", err, domain.RuleEnterpriseRead)
	}
	t.Logf("enterprises %s and %s: each reads its own 4 non-public records over HTTP, 0 of the other's (403 %s), and what the public reads", ents[0].code, ents[1].code, domain.RuleEnterpriseRead)
}

// TestEnterpriseSeesItsOwnObligations: an enterprise with a credential and
// an application awaiting its preliminary review reads, from the
// supervision index, its own records with the review's deadline first
// (owed by the authority); none of another enterprise's; other roles may
// not call the view.
func TestEnterpriseSeesItsOwnObligations(t *testing.T) {
	ctx := context.Background()
	is, ag := holderAgreement(t, "事项测试")
	cred, signed, _ := is.Credential(ag, is.Key)
	issued, err := is.Issue(signed, ag)
	if err != nil {
		t.Fatal(network.ErrorText(err))
	}
	synced(t, issued)
	provider, err := is.Party(domain.PartyDataProvider, "事项测试数据提供方")
	if err != nil {
		t.Fatal(network.ErrorText(err))
	}
	app, err := is.Application(ag.Grantee, provider, "事项测试产品", "RES-450100-0001")
	if err != nil {
		t.Fatal(network.ErrorText(err))
	}
	other := issuedCredential(t, "事项测试他人")

	// The supervision index of the network, caught up with nanning.
	db, err := index.Open(ctx, freshIndexDB(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(db.Close)
	_, trust := pinnedTrust(t)
	reg := connect(t, "ProvinceMSP", "regulator", nil)
	height, err := reg.Height("nanning")
	if err != nil {
		t.Fatal(err)
	}
	ix := &index.Indexer{DB: db, Chaincode: net.D.Chaincode.Name, Trust: trust}
	if h, err := ix.CatchUp(ctx, "nanning", index.BlockEvents(reg.Gateway), time.Second); err != nil || h < height {
		t.Fatalf("the index caught up to %d of %d: %v", h, height, err)
	}

	ks, err := gateway.OpenKeyStore(filepath.Join(t.TempDir(), "keys.json"))
	if err != nil {
		t.Fatal(err)
	}
	key := enterpriseKey(t, ks, "CityAMSP", ag.Grantee)
	regulator, _, _ := ks.Create("ProvinceMSP", gateway.RoleRegulator)
	cfg := witnessConfig(t, "ProvinceMSP", "witness", time.Hour) // it signs presentations
	cfg.Index = db
	srv, _ := startGateway(t, cfg, ks)
	url := srv.URL + "/api/v1/me/obligations"
	if status, _ := httpGet(t, url, regulator); status != http.StatusForbidden {
		t.Fatalf("a regulator calls the enterprise's view: %d", status)
	}
	status, body := httpGet(t, url, key)
	var view gateway.Obligations
	if status != http.StatusOK || json.Unmarshal(body, &view) != nil {
		t.Fatalf("the view: %d %.300s", status, body)
	}
	ids := map[string]gateway.OwnItem{}
	for _, o := range view.Items {
		ids[o.ID] = o
		if o.ID == other {
			t.Fatalf("the view holds another enterprise's credential %s", other)
		}
	}
	for _, id := range []string{ag.Grantee, ag.Number, cred.AuthorizationNumber, app.Number} {
		if _, ok := ids[id]; !ok {
			t.Fatalf("the view lacks %s: %.500s", id, body)
		}
	}
	// The data provider the application names sees its own party record,
	// not the application (only its applicant's).
	status, body = httpGet(t, url, enterpriseKey(t, ks, "CityAMSP", provider))
	var theirs gateway.Obligations
	if status != http.StatusOK || json.Unmarshal(body, &theirs) != nil {
		t.Fatalf("the provider's view: %d %.300s", status, body)
	}
	for _, o := range theirs.Items {
		if o.ID == app.Number || o.ID == cred.AuthorizationNumber {
			t.Fatalf("the data provider's view holds %s %s", o.Kind, o.ID)
		}
	}
	if len(theirs.Items) != 1 || theirs.Items[0].ID != provider {
		t.Fatalf("the data provider's view: %+v", theirs.Items)
	}
	first := view.Items[0]
	if first.ID != app.Number || first.Due == "" || first.Owes != "authority" || !first.Open {
		t.Fatalf("first in the view: %+v", first)
	}
	if view.Holder != ag.Grantee || view.Heights["nanning"] < height {
		t.Fatalf("the view's holder %s, heights %v", view.Holder, view.Heights)
	}

	// The same on the enterprise's page, in Chromium: its records, the
	// review first; it ticks its credential and gets a presentation.
	b := newBrowser(t)
	b.step("log in to /me", chromedp.Steps(chromedp.Navigate(srv.URL+"/me"), chromedp.WaitVisible("#apikey"),
		chromedp.SendKeys("#apikey", key), chromedp.Click(`#login button[type="submit"]`), chromedp.WaitVisible(`#items[data-loaded]`)))
	firstRow, err := chromedp.Run(b.ctx, chromedp.AttributeValue("#items tbody tr", "data-id"))
	if err != nil || firstRow.Value != app.Number {
		t.Fatalf("the page's first row: %q %v", firstRow.Value, err)
	}
	if txt := b.text("#items tbody tr"); !strings.Contains(txt, first.Due) || !strings.Contains(txt, "主管部门") {
		t.Fatalf("the page's first row says %q", txt)
	}
	if strings.Contains(b.text("#items"), other) {
		t.Fatal("the page shows another enterprise's credential")
	}
	b.step("tick the credential and present", chromedp.Steps(chromedp.SendKeys("#audience", "某商业银行"), chromedp.Click(`input.pick[value="`+cred.AuthorizationNumber+`"]`),
		chromedp.Click("#present"), chromedp.WaitReady("#presented[data-ok]")))
	if ok, err := chromedp.Run(b.ctx, chromedp.AttributeValue("#presented", "data-ok")); err != nil || ok.Value != "true" {
		t.Fatalf("the page's presentation: %q %v: %s", ok.Value, err, b.text("#presented"))
	}
	if png, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100)); err == nil {
		dir := filepath.Join(root, "integration", "artifacts")
		_ = os.MkdirAll(dir, 0o755)
		_ = os.WriteFile(filepath.Join(dir, "me.png"), png, 0o644)
	}
	t.Logf("enterprise %s: %d records in its view, first the preliminary review of %s due %s (owed by the authority); the page shows the same", ag.Grantee, len(view.Items), app.Number, first.Due)
}
