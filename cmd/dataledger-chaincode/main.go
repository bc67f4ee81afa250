// Command dataledger-chaincode serves the dataledger chaincode to a peer
// (chaincode as a service). Configuration is environment:
//
//	CHAINCODE_ID              package ID the peer installed
//	CHAINCODE_SERVER_ADDRESS  host:port to listen on
//	CHAINCODE_TLS_CERT/KEY    server TLS certificate and key (PEM)
//	DATALEDGER_AUTHORITIES    channel=MSPID,... the data authority of each channel
package main

import (
	"fmt"
	"log"
	"os"
	"strings"

	"github.com/hyperledger/fabric-chaincode-go/v2/shim"

	"dataledger/chaincode/contract"
)

func main() {
	if err := run(); err != nil {
		log.Fatalf("dataledger-chaincode: %v", err)
	}
}

func run() error {
	id, addr := os.Getenv("CHAINCODE_ID"), os.Getenv("CHAINCODE_SERVER_ADDRESS")
	if id == "" || addr == "" {
		return fmt.Errorf("CHAINCODE_ID and CHAINCODE_SERVER_ADDRESS are required")
	}
	auth, err := parseAuthorities(os.Getenv("DATALEDGER_AUTHORITIES"))
	if err != nil {
		return err
	}
	cc, err := contract.New(auth)
	if err != nil {
		return err
	}
	tls := shim.TLSProperties{Disabled: true}
	if certFile := os.Getenv("CHAINCODE_TLS_CERT"); certFile != "" {
		cert, err := os.ReadFile(certFile)
		if err != nil {
			return err
		}
		key, err := os.ReadFile(os.Getenv("CHAINCODE_TLS_KEY"))
		if err != nil {
			return err
		}
		tls = shim.TLSProperties{Key: key, Cert: cert}
	}
	server := &shim.ChaincodeServer{CCID: id, Address: addr, CC: cc, TLSProps: tls}
	log.Printf("serving %s on %s (TLS %v) for channels %v", id, addr, !tls.Disabled, auth)
	return server.Start()
}

func parseAuthorities(s string) (map[string]string, error) {
	m := map[string]string{}
	for _, kv := range strings.Split(s, ",") {
		if kv == "" {
			continue
		}
		ch, msp, ok := strings.Cut(kv, "=")
		if !ok || ch == "" || msp == "" {
			return nil, fmt.Errorf("DATALEDGER_AUTHORITIES: %q is not channel=MSPID", kv)
		}
		m[ch] = msp
	}
	return m, nil
}
