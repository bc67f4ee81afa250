package gateway

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net"
	"path/filepath"
	"testing"
	"time"

	"github.com/hyperledger/fabric-gateway/pkg/client"
	fgid "github.com/hyperledger/fabric-gateway/pkg/identity"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"dataledger/chaincode/domain"
	"dataledger/network"
)

// silentPeer is a FabricLedger whose one identity's peer accepts
// connections and never answers (a peer hung or a network partition):
// without the request's context a call waits as long as fabric-gateway's
// own timeouts, the client long gone.
func silentPeer(t *testing.T) (*FabricLedger, Identity) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			t.Cleanup(func() { conn.Close() }) // held open, never a byte
		}
	}()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "clerk"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, _ := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	cert, _ := x509.ParseCertificate(der)
	id, err := fgid.NewX509Identity("CityAMSP", cert)
	if err != nil {
		t.Fatal(err)
	}
	sign, err := fgid.NewPrivateKeySign(key)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := grpc.NewClient(ln.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	gw, err := client.Connect(id, client.WithSign(sign), client.WithClientConnection(conn),
		client.WithEvaluateTimeout(time.Minute), client.WithEndorseTimeout(time.Minute), client.WithSubmitTimeout(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	who := Identity{Org: "CityAMSP", User: "clerk"}
	d := &network.Description{Channels: []network.Channel{{Name: "nanning", Members: []string{"CityAMSP"}}}}
	d.Chaincode.Name = "dataledger"
	f := &FabricLedger{Net: &network.Net{D: d}}
	f.clients = map[Identity]*network.Client{who: {Gateway: gw, Chaincode: "dataledger", Org: &network.Org{MSPID: "CityAMSP"}}}
	return f, who
}

// Evaluate, Submit, SubmitOwnTxID and Block end when the request's context
// does, not when fabric-gateway's timeouts (here a minute) do.
func TestLedgerCallsHonourTheRequestContext(t *testing.T) {
	f, who := silentPeer(t)
	calls := map[string]func(ctx context.Context) error{
		"evaluate": func(ctx context.Context) error {
			_, err := f.Evaluate(ctx, who, "nanning", "GetJurisdiction")
			return err
		},
		"submit": func(ctx context.Context) error { _, err := f.Submit(ctx, who, "nanning", "Ping"); return err },
		"submitOwnTxID": func(ctx context.Context) error {
			_, err := f.SubmitOwnTxID(ctx, who, "nanning", "Ping", func(string) ([]string, error) { return nil, nil })
			return err
		},
		"block":         func(ctx context.Context) error { _, err := f.Block(ctx, who, "nanning", "tx"); return err },
		"waitCommitted": func(ctx context.Context) error { return f.WaitCommitted(ctx, "nanning", 5) },
	}
	for name, call := range calls {
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		start := time.Now()
		err := call(ctx)
		cancel()
		if err == nil || time.Since(start) > 5*time.Second {
			t.Fatalf("%s on a silent peer: %v after %v; want an error within the request's 300ms", name, err, time.Since(start))
		}
	}
}

// A gateway that acts for one org refuses another org's identity before
// it loads anything of it.
func TestAnOrgsLedgerRefusesAnotherOrgsIdentity(t *testing.T) {
	nw, err := network.Open(filepath.Join("..", "network", "dataledger.yaml"), t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	f := &FabricLedger{Net: nw, Org: "ExchangeMSP"}
	_, err = f.client(Identity{Org: "ProvinceMSP", User: "clerk"})
	if !domain.IsRule(err, RuleOwnOrg) {
		t.Fatalf("another org's identity: %v", err)
	}
	// Its own org's identity is looked for in the home (none here): not
	// refused by the rule.
	if _, err := f.client(Identity{Org: "ExchangeMSP", User: "clerk"}); domain.IsRule(err, RuleOwnOrg) {
		t.Fatalf("its own org's identity refused: %v", err)
	}
}
