// Command certload registers product certificates (pre-existing products,
// registered directly, each with its own 区块链编号 inside the signed
// certificate) at a fixed number of transactions in flight, and prints
// tx/s, latency and outcomes (MVCC conflicts included).
//
//	go run ./bench/certload -inflight 16,64 -n 1000
package main

import (
	"flag"
	"fmt"
	"log"
	"strconv"
	"strings"

	"dataledger/bench/load"
	"dataledger/chaincode/domain"
	"dataledger/network"
	"dataledger/network/sample"
)

func main() {
	desc := flag.String("description", "network/dataledger.yaml", "network description")
	home := flag.String("home", ".run", "network home")
	channel := flag.String("channel", "nanning", "channel")
	inflight := flag.String("inflight", "16,64", "comma-separated in-flight levels")
	n := flag.Int("n", 1000, "registrations per level")
	flag.Parse()

	net, err := network.Open(*desc, *home, nil)
	if err != nil {
		log.Fatal(err)
	}
	is, err := sample.NewIssuer(net, *channel, "南宁市大数据发展局")
	if err != nil {
		log.Fatal(network.ErrorText(err))
	}
	defer is.Close()
	enterprise, err := is.Party(domain.PartyEnterprise, "压测存量产品企业")
	if err != nil {
		log.Fatal(network.ErrorText(err))
	}
	for _, lvl := range strings.Split(*inflight, ",") {
		k, err := strconv.Atoi(lvl)
		if err != nil {
			log.Fatal(err)
		}
		r := load.Run(k, *n, func(i int) string {
			_, build := is.CertificateFor(enterprise, "压测存量产品企业", fmt.Sprintf("存量产品%06d", i), []string{"RES-450100-0001"}, true)
			if _, err := is.RegisterCertificate(build, ""); err != nil {
				if msg := network.ChaincodeMessage(err); msg != "" {
					return "refused " + strings.SplitN(msg, ":", 2)[0]
				}
				if text := network.ErrorText(err); strings.Contains(text, "MVCC_READ_CONFLICT") {
					return "MVCC_READ_CONFLICT"
				}
				return "error"
			}
			return "VALID"
		})
		fmt.Println(r)
	}
}
