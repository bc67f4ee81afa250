package gateway

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"dataledger/chaincode/domain"
	"dataledger/index"
	"dataledger/index/indextest"
)

// TestRegulatorsSearchTheIndex: a regulator searches, pages, exports and
// reads a history; an authority reads its own jurisdiction only; bad
// parameters are named; a gateway without an index says so.
func TestRegulatorsSearchTheIndex(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Index = indextest.Fixture(t)
	hs := newHarnessConfig(t, cfg)

	w := hs.do("GET", "/api/v1/channels/nanning/index/records?party="+url.QueryEscape("数智")+"&limit=3", RoleRegulator, "")
	if w.Code != http.StatusOK {
		t.Fatalf("search: %d %s", w.Code, w.Body)
	}
	var page SearchAnswer
	if err := json.Unmarshal(w.Body.Bytes(), &page); err != nil {
		t.Fatal(err)
	}
	if page.Height < 20 || len(page.Items) != 3 || page.Next == "" {
		t.Fatalf("first page: height %d, %d items, next %q", page.Height, len(page.Items), page.Next)
	}
	seen := map[string]bool{}
	for cursor := page.Next; ; {
		for _, h := range page.Items {
			if seen[h.Kind+h.ID] {
				t.Fatalf("%s %s twice", h.Kind, h.ID)
			}
			seen[h.Kind+h.ID] = true
			if h.Links.History == "" || (h.Kind == "certificate" && h.Links.Proof != "/api/v1/certificates/"+h.ID+"/proof") {
				t.Errorf("links of %s %s: %+v", h.Kind, h.ID, h.Links)
			}
		}
		if cursor == "" {
			break
		}
		w = hs.do("GET", "/api/v1/channels/nanning/index/records?party="+url.QueryEscape("数智")+"&limit=3&cursor="+cursor, RoleRegulator, "")
		page = SearchAnswer{}
		if err := json.Unmarshal(w.Body.Bytes(), &page); err != nil || w.Code != 200 {
			t.Fatalf("next page: %d %s", w.Code, w.Body)
		}
		cursor = page.Next
	}
	if len(seen) < 7 {
		t.Fatalf("%d records of the enterprise", len(seen))
	}

	// The export holds the same records, with the query and height.
	w = hs.do("GET", "/api/v1/channels/nanning/index/export?format=csv&party="+url.QueryEscape("数智"), RoleRegulator, "")
	if w.Code != 200 || !strings.HasPrefix(w.Header().Get("Content-Type"), "text/csv") || !strings.Contains(w.Header().Get("Content-Disposition"), ".csv") {
		t.Fatalf("export: %d %v", w.Code, w.Header())
	}
	r := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(w.Body.Bytes(), []byte("\ufeff"))))
	r.FieldsPerRecord = -1
	recs, err := r.ReadAll()
	if err != nil || len(recs) != 3+len(seen) || !strings.Contains(recs[0][2], "height") || recs[len(recs)-1][0] != index.EndOfExport {
		t.Fatalf("export: %v lines, %v", len(recs), err)
	}

	// History of the certificate, each version with its transaction.
	w = hs.do("GET", "/api/v1/channels/nanning/index/history?kind=certificate&id=DJ-450100-2026-80Y95700-1", RoleRegulator, "")
	var h index.History
	if json.Unmarshal(w.Body.Bytes(), &h); w.Code != 200 || len(h.Versions) < 2 || h.Versions[0].TxID == "" {
		t.Fatalf("history: %d %s", w.Code, w.Body)
	}
	w = hs.do("GET", "/api/v1/channels/nanning/index/summary", RoleRegulator, "")
	if w.Code != 200 || !strings.Contains(w.Body.String(), `"certificate"`) {
		t.Fatalf("summary: %d %s", w.Code, w.Body)
	}

	// Bad parameters name themselves.
	for param, query := range map[string]string{"kind": "kind=widget", "limit": "limit=x", "order": "order=up", "division": "division=45", "flag": "flag=urgent"} {
		w = hs.do("GET", "/api/v1/channels/nanning/index/records?"+query, RoleRegulator, "")
		var p Problem
		json.Unmarshal(w.Body.Bytes(), &p)
		if w.Code != 400 || p.Rule != RuleQuery || p.Field != param {
			t.Errorf("%s: %d %+v", query, w.Code, p)
		}
	}
	w = hs.do("GET", "/api/v1/channels/nanning/index/export?format=pdf", RoleRegulator, "")
	if w.Code != 400 {
		t.Errorf("export as pdf: %d", w.Code)
	}

	// The channel's authority reads its own index; another's may not.
	// (Each harness caches the jurisdiction it read.)
	hs.ledger.answers = map[string][]byte{"GetJurisdiction": mustJSON(t, domain.Jurisdiction{Channel: "nanning", AuthorityMSP: "ProvinceMSP"})}
	if w = hs.do("GET", "/api/v1/channels/nanning/index/records", RoleIssuer, ""); w.Code != 403 {
		t.Errorf("another channel's authority: %d %.200s", w.Code, w.Body)
	}
	own := newHarnessConfig(t, cfg)
	own.ledger.answers = map[string][]byte{"GetJurisdiction": mustJSON(t, domain.Jurisdiction{Channel: "nanning", AuthorityMSP: "CityAMSP"})}
	if w = own.do("GET", "/api/v1/channels/nanning/index/records", RoleIssuer, ""); w.Code != 200 {
		t.Errorf("the authority: %d %.200s", w.Code, w.Body)
	}
	// A regulator key of an org that has no regulator on the network.
	stray, _, _ := hs.ks.Create("NoUsersMSP", RoleRegulator)
	for _, path := range []string{"/api/v1/channels/nanning/index/records", "/api/v1/index/status"} {
		req := httptest.NewRequest("GET", path, nil)
		req.Header.Set("Authorization", "Bearer "+stray)
		rec := httptest.NewRecorder()
		hs.h.ServeHTTP(rec, req)
		if rec.Code != 403 {
			t.Errorf("%s with a regulator key of an org without a regulator: %d %.200s", path, rec.Code, rec.Body)
		}
	}
	for _, role := range []string{RolePublic, RoleEnterprise, RoleExchange} {
		if w = hs.do("GET", "/api/v1/channels/nanning/index/records", role, ""); w.Code != 401 && w.Code != 403 {
			t.Errorf("%s: %d", role, w.Code)
		}
	}

	// Without an index: 503, said plainly.
	bare := newHarness(t)
	if w = bare.do("GET", "/api/v1/channels/nanning/index/records", RoleRegulator, ""); w.Code != 503 || !strings.Contains(w.Body.String(), "supervision index") {
		t.Errorf("no index: %d %.200s", w.Code, w.Body)
	}
}
