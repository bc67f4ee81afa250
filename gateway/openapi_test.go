package gateway

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers/legacy"

	"dataledger/chaincode/contract"
	"dataledger/chaincode/domain"
)

var updateOpenAPI = flag.Bool("update-openapi", false, "rewrite "+committedOpenAPI+" from the route and schema tables")

// committedOpenAPI is the document the client in gateway/apiclient is
// generated from (go generate ./gateway/apiclient).
const committedOpenAPI = "apiclient/openapi.json"

// servedOpenAPI is the document as the gateway serves it, loaded and
// validated by kin-openapi.
func servedOpenAPI(t *testing.T) ([]byte, *openapi3.T) {
	t.Helper()
	hs := newHarness(t)
	w := hs.do(http.MethodGet, "/api/v1/openapi.json", RolePublic, "")
	if w.Code != http.StatusOK {
		t.Fatalf("openapi.json: %d %s", w.Code, w.Body)
	}
	doc, err := openapi3.NewLoader().LoadFromData(w.Body.Bytes())
	if err != nil {
		t.Fatalf("kin-openapi cannot load the document: %v", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("the document is not valid OpenAPI: %v", err)
	}
	return w.Body.Bytes(), doc
}

func TestOpenAPIDocumentIsValid(t *testing.T) {
	_, doc := servedOpenAPI(t)
	// Every operation states its success answer and a problem document
	// for every refusal.
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			var success int
			for code, r := range op.Responses.Map() {
				switch code {
				case "4XX", "5XX":
					if r.Value.Content.Get("application/problem+json") == nil {
						t.Errorf("%s %s: %s is not a problem document", method, path, code)
					}
				case "200", "201", "202":
					success++
					if len(r.Value.Content) == 0 {
						t.Errorf("%s %s: %s has no content", method, path, code)
					}
				default:
					t.Errorf("%s %s: unexpected response %s", method, path, code)
				}
			}
			if success != 1 {
				t.Errorf("%s %s: %d success answers", method, path, success)
			}
		}
	}
}

// TestCommittedOpenAPIIsServed: the client is generated from a committed
// copy of the document, which must be what the gateway serves (rewrite it
// with go test ./gateway -run TestCommittedOpenAPIIsServed -update-openapi,
// then go generate ./gateway/apiclient).
func TestCommittedOpenAPIIsServed(t *testing.T) {
	served, _ := servedOpenAPI(t)
	if *updateOpenAPI {
		if err := os.WriteFile(committedOpenAPI, served, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	committed, err := os.ReadFile(committedOpenAPI)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(committed, served) {
		t.Fatalf("%s differs from the document the gateway serves: run go test ./gateway -run TestCommittedOpenAPIIsServed -update-openapi && go generate ./gateway/apiclient", committedOpenAPI)
	}
}

// TestEveryRouteHasSchemas holds the schema table to acl.yaml: every row
// has its entry, every entry serves a row, and a tx row's body type reads
// exactly what the row takes from the body.
func TestEveryRouteHasSchemas(t *testing.T) {
	acl, err := LoadACL(nil)
	if err != nil {
		t.Fatal(err)
	}
	usedTx, usedHandler := map[string]bool{}, map[string]bool{}
	for _, r := range acl.Routes {
		row := r.Method + " " + r.Path
		types, ok := operationTypesOf(r)
		if !ok {
			t.Errorf("%s: %s has no entry in txTypes/handlerTypes (schemas.go)", row, operationID(r))
			continue
		}
		if r.Tx == "" {
			usedHandler[r.Handler] = true
			if types.Answer == nil && len(types.Media) == 0 {
				t.Errorf("%s: handler %s states no answer", row, r.Handler)
			}
			continue
		}
		usedTx[r.Tx] = true
		var fields []string
		whole := false
		for _, a := range r.Args {
			if a == "body" {
				whole = true
			} else if f, ok := strings.CutPrefix(a, "body:"); ok {
				fields = append(fields, f)
			}
		}
		switch {
		case whole && types.Body == nil:
			t.Errorf("%s: the row reads the body, the table states no body type", row)
		case whole && reflect.TypeOf(types.Body).PkgPath() != "dataledger/chaincode/domain":
			t.Errorf("%s: the chaincode decodes the whole body: its type is the domain's, not %T", row, types.Body)
		case len(fields) > 0:
			if got := jsonMembers(types.Body); strings.Join(got, ",") != strings.Join(sorted(fields), ",") {
				t.Errorf("%s: body type %T has members %v, the row takes %v", row, types.Body, got, sorted(fields))
			}
		case !whole && types.Body != nil:
			t.Errorf("%s: the row reads no body, the table states %T", row, types.Body)
		}
		if _, written := writtenRecord(types.Answer); written != r.Submit {
			t.Errorf("%s: submit=%v but the answer type is %T", row, r.Submit, types.Answer)
		}
	}
	for tx := range txTypes {
		if !usedTx[tx] {
			t.Errorf("txTypes lists %s, which no row of acl.yaml names", tx)
		}
	}
	for h := range handlerTypes {
		if !usedHandler[h] {
			t.Errorf("handlerTypes lists %s, which no row of acl.yaml names", h)
		}
	}

	// A row without schemas does not make a document, nor a router.
	bad := &ACL{Routes: append(append([]Route(nil), acl.Routes...), Route{Method: "GET", Path: "/api/v1/new", Tx: "NewThing", Channel: "param:channel", Roles: []string{RolePublic}})}
	if _, err := bad.OpenAPI(); err == nil || !strings.Contains(err.Error(), "NewThing") {
		t.Errorf("a row without schemas: %v", err)
	}
	srv := NewServer(DefaultConfig(), bad, nil, &fakeLedger{}, nil)
	if _, err := srv.Router(); err == nil {
		t.Error("the router serves a row without schemas")
	}
}

// TestSchemaTableMatchesContract: a tx row's answer type is the result
// type of the contract's function (what contract.out marshals).
func TestSchemaTableMatchesContract(t *testing.T) {
	app := reflect.TypeOf(&contract.App{})
	for tx, types := range txTypes {
		m, ok := app.MethodByName(tx)
		if !ok || m.Type.NumOut() != 2 {
			t.Errorf("%s: no contract.App method with a result and an error", tx)
			continue
		}
		want := m.Type.Out(0)
		if want.Kind() == reflect.Pointer {
			want = want.Elem()
		}
		got := reflect.TypeOf(types.Answer)
		if rec, ok := writtenRecord(types.Answer); ok {
			got = rec
		}
		if got != want {
			t.Errorf("%s: the schema table says %v, the contract answers %v", tx, got, want)
		}
	}
}

// writtenRecord is the record type of a Written answer.
func writtenRecord(v any) (reflect.Type, bool) {
	t := reflect.TypeOf(v)
	if t == nil || t.PkgPath() != reflect.TypeOf(WriteResponse{}).PkgPath() || !strings.HasPrefix(t.Name(), "Written[") {
		return nil, false
	}
	f, _ := t.FieldByName("Record")
	return f.Type, true
}

func jsonMembers(v any) []string {
	t := reflect.TypeOf(v)
	if t == nil || t.Kind() != reflect.Struct {
		return nil
	}
	var out []string
	for i := 0; i < t.NumField(); i++ {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		out = append(out, name)
	}
	return sorted(out)
}

func sorted(s []string) []string {
	out := append([]string(nil), s...)
	sort.Strings(out)
	return out
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Realistic records for the fake ledger to answer with.
func sampleCredential(t *testing.T) (domain.Credential, domain.CredentialRecord) {
	keyID := strings.Repeat("ab", 32)
	doc := domain.Credential{Type: domain.DocTypeCredential, AuthorizationNumber: credNumber, HolderName: "广西数智科技有限公司",
		HolderCreditCode: "91450100MA5L0000AW", Scope: "交通出行数据", ValidFrom: "2026-01-01", ValidUntil: "2026-12-31",
		IssuingDepartment: "南宁市大数据发展局", IssueDate: "2026-01-01", DivisionCode: "450100", Channel: "nanning",
		AgreementDigest: strings.Repeat("0f", 32), IssuerKeyID: keyID,
		Signature: json.RawMessage(`{"alg":"SM2-SM3","keyId":"` + keyID + `","value":"MEUCIQ=="}`)}
	at := domain.Change{TxID: strings.Repeat("c", 64), Time: "2026-01-01T02:00:00Z", Actor: domain.Actor{MSP: "CityAMSP", Role: "authority", ID: "x509::CN=authority"}, Action: "issue"}
	rec := domain.CredentialRecord{Number: credNumber, Document: mustJSON(t, doc), IssuerKeyID: keyID, HolderCreditCode: doc.HolderCreditCode,
		AgreementNumber: numberOf(domain.PrefixAgreement), ValidFrom: doc.ValidFrom, ValidUntil: doc.ValidUntil,
		Status: domain.CredentialValid, Issued: at, Last: at, Version: 1}
	return doc, rec
}

// withSampleAnswers has the harness's fake ledger answer the verification
// routes, the disclosure lists, GetCredential and ChangeCredentialStatus
// with realistic records; it returns the signed credential they are of.
func withSampleAnswers(t *testing.T, hs *harness) domain.Credential {
	t.Helper()
	signed, rec := sampleCredential(t)
	recJSON := mustJSON(t, rec)
	verification := mustJSON(t, domain.Verification{Status: domain.VerifyValid, Reason: "in force", Number: credNumber, Channel: "nanning",
		TxID: rec.Issued.TxID, Time: rec.Issued.Time, KeyID: rec.IssuerKeyID, KeyStatus: domain.KeyActive, Record: recJSON})
	hs.ledger.answers = map[string][]byte{
		"VerifyCredential":         verification,
		"VerifyCredentialDocument": verification,
		"GetCredential":            recJSON,
		"ListDisclosedAuthorizations": mustJSON(t, domain.Page[domain.AuthorizationDisclosure]{Items: []domain.AuthorizationDisclosure{{
			AuthorizationNumber: credNumber, Holder: signed.HolderName, HolderCreditCode: signed.HolderCreditCode, Content: signed.Scope,
			ValidFrom: signed.ValidFrom, ValidUntil: signed.ValidUntil, IssuingDepartment: signed.IssuingDepartment, Status: domain.CredentialValid}},
			Bookmark: "next"}),
		"ListDisclosedProducts": mustJSON(t, domain.Page[domain.ProductDisclosure]{Items: []domain.ProductDisclosure{{
			RegistrationNumber: certNumber, ProductName: "交通指数", ProductType: "dataset", Enterprise: signed.HolderName, ApplicationScenario: "交通",
			RegistrationDate: "2026-11-28", ChainReference: domain.ChainReference{Channel: "liuzhou", TxID: strings.Repeat("d", 64)}, Status: domain.VerifyValid}},
			Bookmark: ""}),
	}
	hs.ledger.results = map[string][]byte{"ChangeCredentialStatus": recJSON}
	return signed
}

// TestAnswersMatchTheDocument sends requests to the unit-test gateway and
// holds each request and answer to the document with kin-openapi's
// openapi3filter: the verification routes, the public disclosure lists, a
// keyed read, a write, and refusals.
func TestAnswersMatchTheDocument(t *testing.T) {
	_, doc := servedOpenAPI(t)
	router, err := legacy.NewRouter(doc)
	if err != nil {
		t.Fatal(err)
	}
	hs := newHarness(t)
	signed := withSampleAnswers(t, hs)
	mistyped := credNumber[:len(credNumber)-1] + "0"
	if mistyped == credNumber {
		mistyped = credNumber[:len(credNumber)-1] + "1"
	}
	cases := []struct {
		method, path, role, body string
		status                   int
		badRequest               bool // the document refuses the request too
	}{
		{"GET", "/api/v1/verify/" + credNumber, RolePublic, "", 200, false},
		{"GET", "/api/v1/verify/" + certNumber, RolePublic, "", 200, false}, // the fake's generic verification: no record
		{"GET", "/api/v1/verify/" + mistyped, RolePublic, "", 422, false},
		{"POST", "/api/v1/verify", RolePublic, string(mustJSON(t, signed)), 200, false},
		{"POST", "/api/v1/verify", RolePublic, `{"docType":"x"}`, 422, true},
		{"GET", "/api/v1/channels/nanning/disclosures/authorizations?pageSize=10", RolePublic, "", 200, false},
		{"GET", "/api/v1/channels/nanning/disclosures/products", RolePublic, "", 200, false},
		{"GET", "/api/v1/channels/nowhere/disclosures/products", RolePublic, "", 404, false},
		{"GET", "/api/v1/credentials/" + credNumber, RoleRegulator, "", 200, false},
		{"GET", "/api/v1/credentials/" + credNumber, RolePublic, "", 401, false},
		{"POST", "/api/v1/credentials/" + credNumber + "/status", RoleIssuer, `{"action":"suspend","reason":"异议处理中"}`, 200, false},
		{"POST", "/api/v1/credentials/" + credNumber + "/status", RoleIssuer, `{"action":"suspend","extra":1}`, 422, true},
		{"GET", "/api/v1/ping", RolePublic, "", 200, false},
	}
	ctx := context.Background()
	opts := &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc, IncludeResponseStatus: true}
	for _, c := range cases {
		name := c.method + " " + c.path + " as " + c.role
		newRequest := func() *http.Request {
			req := httptest.NewRequest(c.method, "http://gateway.test"+c.path, strings.NewReader(c.body))
			if c.body != "" {
				req.Header.Set("Content-Type", "application/json")
			}
			if c.role != RolePublic {
				req.Header.Set("Authorization", "Bearer "+hs.keys[c.role])
			}
			return req
		}
		req := newRequest()
		route, params, err := router.FindRoute(req)
		if err != nil {
			t.Errorf("%s: no route in the document: %v", name, err)
			continue
		}
		in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route, Options: opts}
		if err := openapi3filter.ValidateRequest(ctx, in); (err != nil) != c.badRequest {
			t.Errorf("%s: request against the document: %v (want refused: %v)", name, err, c.badRequest)
		}
		w := httptest.NewRecorder()
		hs.h.ServeHTTP(w, newRequest())
		if w.Code != c.status {
			t.Errorf("%s: %d, want %d: %s", name, w.Code, c.status, w.Body)
			continue
		}
		err = openapi3filter.ValidateResponse(ctx, &openapi3filter.ResponseValidationInput{RequestValidationInput: in,
			Status: w.Code, Header: w.Header(), Body: io.NopCloser(bytes.NewReader(w.Body.Bytes())), Options: opts})
		if err != nil {
			t.Errorf("%s: the answer does not match the document: %v\n%s", name, err, w.Body)
		}
	}
}
