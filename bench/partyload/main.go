// Command partyload registers parties on a running network at a fixed
// number of transactions in flight, waiting for each commit, and prints
// tx/s, latency and commit outcomes (MVCC conflicts included).
//
//	go run ./bench/partyload -inflight 16,64 -n 1000
package main

import (
	"encoding/json"
	"flag"
	"log"

	"github.com/hyperledger/fabric-gateway/pkg/client"

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
	contract := c.Contract(o.Channel)
	o.RunLevels(func(int) string {
		arg, _ := json.Marshal(domain.PartyInput{CreditCode: sample.CreditCode(*division), Name: "压测企业", Role: domain.PartyEnterprise, DivisionCode: *division})
		_, commit, err := contract.SubmitAsync("RegisterParty", client.WithArguments(string(arg)))
		if err != nil {
			return "endorse/submit error"
		}
		st, err := commit.Status()
		if err != nil {
			return "commit status error"
		}
		return st.Code.String()
	})
}
