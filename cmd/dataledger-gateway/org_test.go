package main

import (
	"path/filepath"
	"strings"
	"testing"

	"dataledger/gateway"
	"dataledger/network"
)

// An org's gateway is configured with nothing of another org: an API
// key, public reader, exchange, witness or issuer key of another org
// stops it at the start, naming the setting.
func TestAnOrgsGatewayHoldsNothingOfAnother(t *testing.T) {
	nw, err := network.Open(filepath.Join("..", "..", "network", "dataledger.yaml"), t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	ks, err := gateway.OpenKeyStore(filepath.Join(t.TempDir(), "keys.json"))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := ks.Create("ExchangeMSP", "exchange"); err != nil {
		t.Fatal(err)
	}
	own := Settings{Org: "ExchangeMSP", PublicOrg: "ExchangeMSP", ExchangeOrg: "ExchangeMSP", Witness: "ExchangeMSP/witness", IssuerKeys: []string{"ExchangeMSP=k.pem"}}
	if err := ownOrgOnly(own, nw, ks); err != nil {
		t.Fatalf("its own org's settings: %v", err)
	}
	if err := ownOrgOnly(Settings{}, nw, ks); err != nil { // one gateway for every org
		t.Fatal(err)
	}
	empty, err := gateway.OpenKeyStore(filepath.Join(t.TempDir(), "none.json"))
	if err != nil {
		t.Fatal(err)
	}
	for setting, s := range map[string]Settings{
		"public_org":   {Org: "ExchangeMSP", PublicOrg: "ProvinceMSP"},
		"exchange_org": {Org: "CityAMSP", ExchangeOrg: "ExchangeMSP"},
		"witness":      {Org: "ExchangeMSP", Witness: "CityAMSP/witness"},
		"issuer_keys":  {Org: "ExchangeMSP", IssuerKeys: []string{"CityAMSP=k.pem"}},
		"org":          {Org: "NoSuchMSP"},
	} {
		if err := ownOrgOnly(s, nw, empty); err == nil || !strings.HasPrefix(err.Error(), setting+":") {
			t.Errorf("%s of another org: %v", setting, err)
		}
	}
	if _, _, err := ks.Create("ProvinceMSP", "regulator"); err != nil {
		t.Fatal(err)
	}
	if err := ownOrgOnly(own, nw, ks); err == nil || !strings.Contains(err.Error(), "ProvinceMSP") {
		t.Fatalf("a key of another org in its key file: %v", err)
	}
}
