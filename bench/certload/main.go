// Command certload registers product certificates (pre-existing products,
// registered directly, each with its own 区块链编号 inside the signed
// certificate) at a fixed number of transactions in flight, and prints
// tx/s, latency and outcomes (MVCC conflicts included).
//
//	go run ./bench/certload -inflight 16,64 -n 1000
package main

import (
	"fmt"
	"log"
	"strings"

	"dataledger/bench/load"
	"dataledger/chaincode/domain"
	"dataledger/network"
)

func main() {
	o, err := load.Flags(1000)
	if err != nil {
		log.Fatal(err)
	}
	is, err := o.Issuer("南宁市大数据发展局")
	if err != nil {
		log.Fatal(network.ErrorText(err))
	}
	defer is.Close()
	enterprise, err := is.Party(domain.PartyEnterprise, "压测存量产品企业")
	if err != nil {
		log.Fatal(network.ErrorText(err))
	}
	o.RunLevels(func(i int) string {
		_, build := is.CertificateFor(enterprise, "压测存量产品企业", fmt.Sprintf("存量产品%06d", i), []string{"RES-450100-0001"}, true)
		if _, err := is.RegisterCertificate(build, ""); err != nil {
			if msg := network.ChaincodeMessage(err); msg != "" {
				return "refused " + strings.SplitN(msg, ":", 2)[0]
			}
			if strings.Contains(network.ErrorText(err), "MVCC_READ_CONFLICT") {
				return "MVCC_READ_CONFLICT"
			}
			return "error"
		}
		return "VALID"
	})
}
