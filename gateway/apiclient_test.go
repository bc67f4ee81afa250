package gateway

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"dataledger/chaincode/domain"
	"dataledger/gateway/apiclient"
)

// TestGeneratedClientDrivesTheGateway calls the unit-test gateway over
// HTTP through the client generated from the committed document: the
// public verification routes, the disclosure lists and a keyed write
// decode into the generated types with the values the ledger answered.
func TestGeneratedClientDrivesTheGateway(t *testing.T) {
	hs := newHarness(t)
	signed := withSampleAnswers(t, hs)
	srv := httptest.NewServer(hs.h)
	defer srv.Close()
	ctx := context.Background()
	public, err := apiclient.NewClientWithResponses(srv.URL)
	if err != nil {
		t.Fatal(err)
	}

	// GET /api/v1/verify/{number}
	v, err := public.VerifyNumberWithResponse(ctx, credNumber)
	if err != nil {
		t.Fatal(err)
	}
	if v.StatusCode() != http.StatusOK || v.JSON200 == nil || v.JSON200.Status != domain.VerifyValid || v.JSON200.Number != credNumber ||
		v.JSON200.BlockNumber == nil || *v.JSON200.BlockNumber != 42 || v.JSON200.Record == nil {
		t.Fatalf("verify: %d %s", v.StatusCode(), v.Body)
	}
	rec, err := v.JSON200.Record.AsCredentialRecord()
	if err != nil || rec.Number != credNumber || rec.Document.HolderName != signed.HolderName || rec.Document.Signature == nil || rec.Document.Signature.Alg != "SM2-SM3" {
		t.Fatalf("the verification's record: %+v (%v)", rec, err)
	}
	if last := hs.ledger.calls[len(hs.ledger.calls)-1]; last != "nanning/VerifyCredential" {
		t.Fatalf("verify called %s", last)
	}

	// A mistyped number: the problem document, decoded.
	mistyped := credNumber[:len(credNumber)-1] + "0"
	if mistyped == credNumber {
		mistyped = credNumber[:len(credNumber)-1] + "1"
	}
	v, err = public.VerifyNumberWithResponse(ctx, mistyped)
	if err != nil {
		t.Fatal(err)
	}
	if p := v.ApplicationproblemJSON4XX; v.StatusCode() != http.StatusUnprocessableEntity || p == nil || p.Rule == nil || *p.Rule != domain.RuleNumber || p.Status != 422 {
		t.Fatalf("a mistyped number: %d %s", v.StatusCode(), v.Body)
	}

	// POST /api/v1/verify with the signed credential.
	var doc apiclient.Credential
	if err := json.Unmarshal(mustJSON(t, signed), &doc); err != nil {
		t.Fatal(err)
	}
	var body apiclient.SignedDocument
	if err := body.FromCredential(doc); err != nil {
		t.Fatal(err)
	}
	d, err := public.VerifyDocumentWithResponse(ctx, body)
	if err != nil {
		t.Fatal(err)
	}
	if d.StatusCode() != http.StatusOK || d.JSON200 == nil || d.JSON200.Status != domain.VerifyValid {
		t.Fatalf("verify a document: %d %s", d.StatusCode(), d.Body)
	}
	if last := hs.ledger.calls[len(hs.ledger.calls)-1]; last != "nanning/VerifyCredentialDocument" {
		t.Fatalf("document verification called %s", last)
	}

	// The public disclosure lists, paged.
	size := 10
	a, err := public.ListDisclosedAuthorizationsWithResponse(ctx, "nanning", &apiclient.ListDisclosedAuthorizationsParams{PageSize: &size})
	if err != nil {
		t.Fatal(err)
	}
	if a.StatusCode() != http.StatusOK || a.JSON200 == nil || len(a.JSON200.Items) != 1 || a.JSON200.Items[0].AuthorizationNumber != credNumber ||
		a.JSON200.Items[0].Holder != signed.HolderName || a.JSON200.Bookmark != "next" {
		t.Fatalf("disclosed authorizations: %d %s", a.StatusCode(), a.Body)
	}
	if got := strings.Join(hs.ledger.evalArgs, ","); got != "10," {
		t.Fatalf("the list was asked with %q, want pageSize 10 and no bookmark", got)
	}
	p, err := public.ListDisclosedProductsWithResponse(ctx, "nanning", nil)
	if err != nil {
		t.Fatal(err)
	}
	if p.StatusCode() != http.StatusOK || p.JSON200 == nil || len(p.JSON200.Items) != 1 || p.JSON200.Items[0].RegistrationNumber != certNumber ||
		p.JSON200.Items[0].ChainReference.Channel != "liuzhou" || p.JSON200.Bookmark != "" {
		t.Fatalf("disclosed products: %d %s", p.StatusCode(), p.Body)
	}
	if got := strings.Join(hs.ledger.evalArgs, ","); got != "50," {
		t.Fatalf("the list was asked with %q, want the default pageSize 50", got)
	}

	// A keyed write: the issuer suspends the credential.
	issuer, err := apiclient.NewClientWithResponses(srv.URL, apiclient.WithRequestEditorFn(func(_ context.Context, req *http.Request) error {
		req.Header.Set("Authorization", "Bearer "+hs.keys[RoleIssuer])
		return nil
	}))
	if err != nil {
		t.Fatal(err)
	}
	w, err := issuer.ChangeCredentialStatusWithResponse(ctx, credNumber, nil, apiclient.ActionRequest{Action: "suspend", Reason: "异议处理中"})
	if err != nil {
		t.Fatal(err)
	}
	if w.StatusCode() != http.StatusOK || w.JSON200 == nil || w.JSON200.ChainReference.TxId != "tx1" || w.JSON200.ChainReference.BlockNumber != 7 ||
		w.JSON200.Record.Number != credNumber {
		t.Fatalf("status change: %d %s", w.StatusCode(), w.Body)
	}
	if who := hs.ledger.who[len(hs.ledger.who)-1]; who != (Identity{Org: "CityAMSP", User: "authority"}) {
		t.Fatalf("the write acted as %+v", who)
	}
	// Without the key the same call is refused with a problem document.
	w, err = public.ChangeCredentialStatusWithResponse(ctx, credNumber, nil, apiclient.ActionRequest{Action: "suspend", Reason: "x"})
	if err != nil {
		t.Fatal(err)
	}
	if w.StatusCode() != http.StatusUnauthorized || w.ApplicationproblemJSON4XX == nil || w.ApplicationproblemJSON4XX.Rule == nil || *w.ApplicationproblemJSON4XX.Rule != RuleAPIKey {
		t.Fatalf("an unkeyed write: %d %s", w.StatusCode(), w.Body)
	}
}

// TestGeneratedClientIsOfTheServedDocument: the client embeds the
// document it was generated from, which must be the one the gateway
// serves (after a change: go generate ./gateway/apiclient).
func TestGeneratedClientIsOfTheServedDocument(t *testing.T) {
	served, _ := servedOpenAPI(t)
	embedded, err := apiclient.GetSpecJSON()
	if err != nil {
		t.Fatal(err)
	}
	var a, b any
	if err := json.Unmarshal(served, &a); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(embedded, &b); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(a, b) {
		t.Fatal("gateway/apiclient was generated from another document than the gateway serves: go generate ./gateway/apiclient")
	}
}
