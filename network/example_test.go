package network_test

import (
	"errors"
	"fmt"
	"log"

	"dataledger/chaincode/domain"
	"dataledger/network"
	"dataledger/network/sample"
)

// An integrator's first calls: open the network description, connect as
// an organization's user, register a party, verify a credential, and tell
// a refusal (a rule of the contract, with its code) from a failure of the
// network. It needs a running network (`dataledger network up`), so it
// has no Output to check.
func Example() {
	net, err := network.Open("network/dataledger.yaml", "/var/lib/dataledger", nil)
	if err != nil {
		log.Fatal(err)
	}
	c, err := net.Connect("CityAMSP", "operator", nil) // the org's first peer
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	party, res, err := c.RegisterParty("nanning", domain.PartyInput{
		CreditCode:   sample.CreditCode("450103"), // a fresh valid 统一社会信用代码
		Name:         "广西数智科技有限公司",
		Role:         domain.PartyEnterprise,
		DivisionCode: "450103",
	})
	if re, refused := domain.AsRule(err); refused {
		// The contract refused: nothing was written. re.Rule is the code
		// (domain.RulePartyUnique, …), re.Kind its class (invalid,
		// forbidden, conflict, not_found), re.Field the input at fault.
		fmt.Printf("refused: %s %s: %s\n", re.Rule, re.Field, re.Detail)
	} else if err != nil {
		log.Fatal(network.ErrorText(err)) // not a rule: a node down, a timeout
	} else {
		fmt.Printf("%s registered in block %d, tx %s\n", party.CreditCode, res.BlockNumber, res.TxID)
	}

	v, err := c.VerifyCredential("nanning", "SQ-450100-2026-000001-X")
	var ce *network.ChaincodeError
	switch {
	case errors.As(err, &ce) && ce.Refusal.Kind == domain.KindNotFound:
		fmt.Printf("no such credential (peer %s)\n", ce.Peer)
	case err != nil:
		log.Fatal(network.ErrorText(err))
	default:
		fmt.Printf("%s: %s — %s\n", v.Number, v.Status, v.Reason)
	}
}

// The same transactions run as any Invoker: network.Tx declares each one
// (name, argument order, answer type) and Evaluate, Raw or Submit runs it.
// The gateway runs them as the caller of each request; a benchmark takes
// the answer undecoded.
func ExampleTx() {
	net, err := network.Open("network/dataledger.yaml", "/var/lib/dataledger", nil)
	if err != nil {
		log.Fatal(err)
	}
	c, err := net.Connect("ExchangeMSP", "exchange", nil)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	q := network.Tx.VerifyCertificate("DJ-450100-2026-000001-X")
	raw, err := q.Raw(c, "nanning") // the chaincode's JSON, as it answered
	if err != nil {
		log.Fatal(network.ErrorText(err))
	}
	fmt.Printf("%s answered %d bytes\n", q.Fn, len(raw))
}
