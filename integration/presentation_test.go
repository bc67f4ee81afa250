package integration

import (
	"bytes"
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
	"dataledger/network"
	"dataledger/proof"
)

// TestEnterprisePresentsToACounterparty: an enterprise with a credential
// and a registered product asks its gateway (the province's, a witness of
// nanning) for a presentation of both; the file verifies offline with the
// CLI and the pinned trust file, and on the verification page uploaded in
// Chromium, every item's checks shown. A presentation naming another
// enterprise's credential is refused; a tampered one fails with the item
// named, by the CLI and on the page.
func TestEnterprisePresentsToACounterparty(t *testing.T) {
	is, ag := holderAgreement(t, "出示测试")
	cred, signed, _ := is.Credential(ag, is.Key)
	issued, err := is.Issue(signed, ag)
	if err != nil {
		t.Fatal(network.ErrorText(err))
	}
	synced(t, issued)
	cert, build := is.CertificateFor(ag.Grantee, ag.GranteeName, "出示测试产品", []string{"RES-450100-0001"}, true)
	registered, err := is.RegisterCertificate(build, "")
	if err != nil {
		t.Fatal(network.ErrorText(err))
	}
	synced(t, registered)
	other := issuedCredential(t, "出示测试他人")

	ks, err := gateway.OpenKeyStore(filepath.Join(t.TempDir(), "keys.json"))
	if err != nil {
		t.Fatal(err)
	}
	key := enterpriseKey(t, ks, "CityAMSP", ag.Grantee)
	srv, _ := startGateway(t, witnessConfig(t, "ProvinceMSP", "witness", time.Hour), ks)
	ask := func(items ...string) (int, []byte) {
		body, _ := json.Marshal(gateway.PresentationRequest{Items: items})
		return request(t, http.MethodPost, srv.URL+"/api/v1/presentations", key, bytes.NewReader(body))
	}
	if status, body := ask(cred.AuthorizationNumber, other); status != http.StatusForbidden || !strings.Contains(string(body), domain.RuleEnterpriseRead) {
		t.Fatalf("a presentation of another's credential: %d %.300s", status, body)
	}
	if status, _ := request(t, http.MethodPost, srv.URL+"/api/v1/presentations", "", strings.NewReader(`{"items":["`+cred.AuthorizationNumber+`"]}`)); status != http.StatusUnauthorized {
		t.Fatalf("the public asks for a presentation: %d", status)
	}
	start := time.Now()
	status, raw := ask(cred.AuthorizationNumber, cert.RegistrationNumber)
	if status != http.StatusOK {
		t.Fatalf("presentation: %d %.300s", status, raw)
	}
	made := time.Since(start)
	p, err := proof.ParsePresentation(raw)
	if err != nil || p.Holder != ag.Grantee || len(p.Items) != 2 {
		t.Fatalf("presentation: %v %+v", err, p)
	}
	for _, it := range p.Items {
		if it.Status != domain.VerifyValid {
			t.Fatalf("%s stated %s", it.Number, it.Status)
		}
	}

	// Offline: the CLI with the pinned trust file.
	trustFile, _ := pinnedTrust(t)
	dir := t.TempDir()
	genuine := filepath.Join(dir, "presentation.json")
	if err := os.WriteFile(genuine, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	start = time.Now()
	code, out := exitCode(t, "proof", "verify", genuine, "--trust", trustFile)
	if code != 0 || !strings.Contains(out, "VALID presentation of "+ag.Grantee) || !strings.Contains(out, "signed by ProvinceMSP") {
		t.Fatalf("proof verify of the presentation: exit %d\n%s", code, out)
	}
	verified := time.Since(start)
	if code, out := exitCode(t, "proof", "verify", genuine, "--trust", trustFile, "--max-age", "1ns"); code != 1 || !strings.Contains(out, "older than 1ns") {
		t.Fatalf("proof verify --max-age 1ns: exit %d\n%s", code, out)
	}
	// Tampered: the certificate stated suspended (the signature no longer
	// covers it, and its status is not the bundle's).
	tampered := filepath.Join(dir, "tampered.json")
	q := *p
	q.Items = append([]proof.PresentedItem(nil), p.Items...)
	q.Items[1].Status = domain.VerifySuspended
	forged, _ := json.Marshal(q)
	if err := os.WriteFile(tampered, forged, 0o644); err != nil {
		t.Fatal(err)
	}
	code, out = exitCode(t, "proof", "verify", tampered, "--trust", trustFile)
	if code != 1 || !strings.Contains(out, "✗ certificate "+cert.RegistrationNumber) || !strings.Contains(out, "INVALID presentation") {
		t.Fatalf("proof verify of a tampered presentation: exit %d\n%s", code, out)
	}

	// On the page: upload each file; the genuine one shows both items
	// verified, the tampered one the certificate failed.
	b := newBrowser(t)
	page := func(file string) (ok string, items map[string]string) {
		t.Helper()
		b.step("upload "+filepath.Base(file), chromedp.Steps(chromedp.Navigate(srv.URL+"/"), chromedp.WaitVisible("#file"),
			chromedp.SetUploadFiles("#file", []string{file}), chromedp.WaitReady("#items[data-ok]")))
		var v chromedp.AttributeResult
		v, err := chromedp.Run(b.ctx, chromedp.AttributeValue("#items", "data-ok"))
		if err != nil {
			t.Fatal(err)
		}
		items = map[string]string{}
		for _, n := range []string{cred.AuthorizationNumber, cert.RegistrationNumber} {
			r, err := chromedp.Run(b.ctx, chromedp.AttributeValue(`#items .item[data-number="`+n+`"]`, "data-ok"))
			if err != nil {
				t.Fatal(err)
			}
			items[n] = r.Value
		}
		return v.Value, items
	}
	ok, items := page(genuine)
	if ok != "true" || items[cred.AuthorizationNumber] != "true" || items[cert.RegistrationNumber] != "true" {
		t.Fatalf("the page on the genuine presentation: %s %v (%s)", ok, items, b.text("#presented"))
	}
	if txt := b.text("#items"); !strings.Contains(txt, "document.signature") || !strings.Contains(txt, "holder") {
		t.Fatalf("the page does not list the items' checks:\n%s", txt)
	}
	ok, items = page(tampered)
	if ok != "false" || items[cert.RegistrationNumber] != "false" || items[cred.AuthorizationNumber] != "true" {
		t.Fatalf("the page on the tampered presentation: %s %v", ok, items)
	}
	t.Logf("presentation of %s: 2 items, %d bytes, made in %s, verified offline by the CLI in %s (process included)", ag.Grantee, len(raw), made.Round(time.Millisecond), verified.Round(time.Millisecond))
}
