package integration

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"dataledger/chaincode/domain"
	"dataledger/gateway"
	"dataledger/index"
	"dataledger/network"
	"dataledger/network/sample"
)

// onLiuzhou is a test's own gateway, with a supervision index of its
// own, over liuzhou, whose authority may adopt other regulations'
// profiles during the test: the profile liuzhou had is adopted again
// when the test ends.
type onLiuzhou struct {
	t      *testing.T
	is     *sample.Issuer
	ks     *gateway.KeyStore
	db     *index.DB
	call   func(method, path, key string, body any, want int) []byte
	issuer string // an issuer key of CityBMSP (it acts as liuzhou's authority)
	url    string // the gateway's API root
}

func newOnLiuzhou(t *testing.T) *onLiuzhou {
	t.Helper()
	is, err := sample.NewIssuer(net, "liuzhou", "柳州市大数据发展局")
	if err != nil {
		t.Fatal(network.ErrorText(err))
	}
	t.Cleanup(is.Close)
	ks, err := gateway.OpenKeyStore(filepath.Join(t.TempDir(), "keys.json"))
	if err != nil {
		t.Fatal(err)
	}
	db, err := index.Open(context.Background(), freshIndexDB(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(db.Close)
	cfg := gateway.DefaultConfig()
	cfg.Index = db
	srv, _ := startGateway(t, &cfg, ks)
	l := &onLiuzhou{t: t, is: is, ks: ks, db: db, call: rawAPIOf(t, srv.URL+"/api/v1"), url: srv.URL + "/api/v1"}
	l.issuer, _, _ = ks.Create("CityBMSP", gateway.RoleIssuer)
	var before domain.ProfileRecord
	_ = json.Unmarshal(l.call("GET", "/channels/liuzhou/profile", "", nil, 200), &before)
	t.Cleanup(func() {
		auth := connect(t, "CityBMSP", "authority", nil)
		if _, err := auth.Submit("liuzhou", "AdoptProfile", before.Profile.Name, "试点结束，恢复原办法"); err != nil {
			t.Errorf("restoring liuzhou's profile %s: %s", before.Profile.Name, network.ErrorText(err))
		}
	})
	return l
}

// party registers a party on liuzhou.
func (l *onLiuzhou) party(role, name string) string {
	l.t.Helper()
	code, err := l.is.Party(role, name)
	if err != nil {
		l.t.Fatal(network.ErrorText(err))
	}
	return code
}

// enterpriseKey is an API key of the enterprise, enrolled under CityBMSP.
func (l *onLiuzhou) enterpriseKey(code string) string {
	l.t.Helper()
	return enterpriseKey(l.t, l.ks, "CityBMSP", code)
}

// adopt has liuzhou's authority adopt a built-in profile over HTTP.
func (l *onLiuzhou) adopt(name string) domain.Profile {
	l.t.Helper()
	l.call("POST", "/channels/liuzhou/profile/adopt", l.issuer, map[string]string{"name": name, "reason": "试行" + name + "办法"}, 200)
	var p domain.ProfileRecord
	_ = json.Unmarshal(l.call("GET", "/channels/liuzhou/profile", "", nil, 200), &p)
	if p.Profile.Name != name {
		l.t.Fatalf("liuzhou's profile after adopting %s: %s", name, p.Profile.Name)
	}
	return p.Profile
}

// refused fails the test unless a problem document names rule.
func (l *onLiuzhou) refused(raw []byte, rule string) {
	l.t.Helper()
	if !strings.Contains(string(raw), `"rule":"`+rule+`"`) {
		l.t.Fatalf("refused by another rule than %s: %s", rule, raw)
	}
}

// catchUp brings the test's index up to liuzhou's height, as the
// province regulator's peer serves it.
func (l *onLiuzhou) catchUp(ctx context.Context) {
	l.t.Helper()
	reg := connect(l.t, "ProvinceMSP", "regulator", nil)
	_, trust := pinnedTrust(l.t)
	ix := &index.Indexer{DB: l.db, Chaincode: net.D.Chaincode.Name, Trust: trust}
	height, _ := reg.Height("liuzhou")
	if h, err := ix.CatchUp(ctx, "liuzhou", index.BlockEvents(reg.Gateway), time.Second); err != nil || h < height {
		l.t.Fatalf("the index caught up to %d of %d: %v", h, height, err)
	}
}
