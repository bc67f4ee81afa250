package gateway

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"testing"
)

// FuzzRoutes sends any parameter and body to any route of the allow table
// (fake ledger, every role's key): the gateway never panics (a panic is a
// 500 from the recovery middleware) and never answers 500.
func FuzzRoutes(f *testing.F) {
	ks, err := OpenKeyStore(filepath.Join(f.TempDir(), "keys.json"))
	if err != nil {
		f.Fatal(err)
	}
	keys := map[string]string{RolePublic: ""}
	for _, role := range Roles[1:] {
		if keys[role], _, err = createKey(ks, "CityAMSP", role); err != nil {
			f.Fatal(err)
		}
	}
	acl, err := LoadACL(nil)
	if err != nil {
		f.Fatal(err)
	}
	router := newTestRouter(f, ks)
	param := regexp.MustCompile(`[:*][A-Za-z]+`)
	f.Add(uint8(0), "SQ-450100-2026-3KQ7M2XA-K", []byte(`{}`))
	f.Add(uint8(20), "nanning", []byte(`{"creditCode":"91450100MA5L0000AW"}`))
	f.Add(uint8(40), "../../etc", []byte("\xff\xfe"))
	f.Fuzz(func(t *testing.T, route uint8, p string, body []byte) {
		r := acl.Routes[int(route)%len(acl.Routes)]
		if r.Handler == "feed" {
			return // a stream
		}
		target := param.ReplaceAllLiteralString(r.Path, p)
		req, err := http.NewRequest(r.Method, "http://gateway"+target, bytes.NewReader(body))
		if err != nil {
			return // not a URL a client could send
		}
		if k := keys[r.Roles[len(r.Roles)-1]]; k != "" {
			req.Header.Set("Authorization", "Bearer "+k)
		}
		w := httptest.NewRecorder()
		router.ServeHTTP(w, req)
		if w.Code == http.StatusInternalServerError {
			t.Fatalf("%s %s: 500 %s", r.Method, target, w.Body)
		}
	})
}
