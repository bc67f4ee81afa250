// Command partyload registers parties on a running network at a fixed
// number of transactions in flight, waiting for each commit, and prints
// tx/s, latency and commit outcomes (MVCC conflicts included).
//
//	go run ./bench/partyload -inflight 16,64 -n 1000
package main

import (
	"flag"
	"log"

	"dataledger/bench/load"
	"dataledger/chaincode/domain"
	"dataledger/network"
	"dataledger/network/sample"
)

func main() {
	org := flag.String("org", "CityAMSP", "registrar org (the channel's authority)")
	division := flag.String("division", "450102", "division code of the parties")
	o, err := load.Flags(1000)
	if err != nil {
		log.Fatal(err)
	}
	net, err := network.Open(o.Description, o.Home, nil)
	if err != nil {
		log.Fatal(err)
	}
	c, err := net.Connect(*org, "operator", nil)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	o.RunLevels(func(int) string {
		in := domain.PartyInput{CreditCode: sample.CreditCode(*division), Name: "压测企业", Role: domain.PartyEnterprise, DivisionCode: *division}
		_, err := network.Tx.RegisterParty(in).SubmitRaw(c, o.Channel)
		if code := network.CommitCode(err); code != "" {
			return code // VALID, or how it committed invalid
		}
		return "endorse/submit/status error"
	})
}
