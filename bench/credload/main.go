// Command credload issues SM2-signed credentials on a running network at a
// fixed number of transactions in flight, each submit waiting for its
// commit, and prints tx/s, latency and commit outcomes (MVCC conflicts
// included). Setup (issuer key, parties, a filed catalog agreement) and
// document signing happen before the clock starts.
//
//	go run ./bench/credload -inflight 16,64 -n 1000
package main

import (
	"fmt"
	"log"
	"strings"

	"github.com/hyperledger/fabric-gateway/pkg/client"

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
	operator, err := is.Party(domain.PartyOperator, "压测运营平台")
	if err != nil {
		log.Fatal(network.ErrorText(err))
	}
	holder, err := is.Party(domain.PartyEnterprise, "压测持证企业")
	if err != nil {
		log.Fatal(network.ErrorText(err))
	}
	ag, err := is.CatalogAgreement(operator, holder, "压测持证企业")
	if err != nil {
		log.Fatal(network.ErrorText(err))
	}
	contract := is.Operator.Gateway.GetNetwork(o.Channel).GetContract("dataledger")
	docs := make([]string, o.N*len(o.Levels))
	for i := range docs {
		if _, docs[i], err = is.Credential(ag, is.Key); err != nil {
			log.Fatal(err)
		}
	}
	for level, k := range o.Levels {
		base := level * o.N
		fmt.Println(load.Run(k, o.N, func(i int) string {
			_, commit, err := contract.SubmitAsync("IssueCredential", client.WithArguments(docs[base+i], ag.Number))
			if err != nil {
				if msg := network.ChaincodeMessage(err); msg != "" {
					return "refused " + strings.SplitN(msg, ":", 2)[0]
				}
				return "endorse/submit error"
			}
			st, err := commit.Status()
			if err != nil {
				return "commit status error"
			}
			return st.Code.String()
		}))
	}
}
