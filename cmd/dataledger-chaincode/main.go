// Command dataledger-chaincode serves the dataledger chaincode to a peer
// (chaincode as a service). Configuration is environment:
//
//	CHAINCODE_ID              package ID the peer installed
//	CHAINCODE_SERVER_ADDRESS  host:port to listen on
//	CHAINCODE_TLS_CERT/KEY    server TLS certificate and key (PEM)
//	DATALEDGER_CHANNELS       {"channel": {"authority": MSPID, "exchanges": [MSPID…]}, …}
//	DATALEDGER_BENCH          1: the benchmark functions answer (network up --bench)
package main

import (
	"encoding/json"
	"fmt"
	"log"
	"os"

	"github.com/hyperledger/fabric-chaincode-go/v2/shim"

	"dataledger/chaincode/contract"
	"dataledger/chaincode/domain"
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
	var channels map[string]domain.ChannelConfig
	if err := json.Unmarshal([]byte(os.Getenv("DATALEDGER_CHANNELS")), &channels); err != nil {
		return fmt.Errorf("DATALEDGER_CHANNELS: %w", err)
	}
	cc, err := contract.New(channels, os.Getenv("DATALEDGER_BENCH") == "1")
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
	log.Printf("serving %s on %s (TLS %v) for channels %v", id, addr, !tls.Disabled, channels)
	return server.Start()
}
