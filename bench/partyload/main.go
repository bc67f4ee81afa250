// Command partyload registers parties on a running network at a fixed
// number of transactions in flight, waiting for each commit, and prints
// tx/s, latency and commit outcomes (MVCC conflicts included).
//
//	go run ./bench/partyload -inflight 16,64 -n 1000
package main

import (
	"crypto/rand"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"math/big"
	"strconv"
	"strings"

	"github.com/hyperledger/fabric-gateway/pkg/client"

	"dataledger/bench/load"
	"dataledger/chaincode/domain"
	"dataledger/network"
)

func main() {
	desc := flag.String("description", "network/dataledger.yaml", "network description")
	home := flag.String("home", ".run", "network home")
	channel := flag.String("channel", "nanning", "channel")
	org := flag.String("org", "CityAMSP", "registrar org (the channel's authority)")
	division := flag.String("division", "450102", "division code of the parties")
	inflight := flag.String("inflight", "16,64", "comma-separated in-flight levels")
	n := flag.Int("n", 1000, "registrations per level")
	flag.Parse()

	net, err := network.Open(*desc, *home, nil)
	if err != nil {
		log.Fatal(err)
	}
	c, err := net.Connect(*org, "operator", nil)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	contract := c.Gateway.GetNetwork(*channel).GetContract("dataledger")
	for _, lvl := range strings.Split(*inflight, ",") {
		k, err := strconv.Atoi(lvl)
		if err != nil {
			log.Fatal(err)
		}
		r := load.Run(k, *n, func(int) string {
			arg, _ := json.Marshal(domain.PartyInput{CreditCode: randomCode(*division), Name: "压测企业", Role: domain.PartyEnterprise, DivisionCode: *division})
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
		fmt.Println(r)
	}
}

// randomCode is a valid credit code with a random 9-character body.
func randomCode(division string) string {
	const alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
	b := []byte("91" + division)
	for len(b) < 17 {
		i, _ := rand.Int(rand.Reader, big.NewInt(int64(len(alphabet))))
		b = append(b, alphabet[i.Int64()])
	}
	c, _ := domain.CreditCodeCheckChar(string(b))
	return string(b) + string(c)
}
