package integration

import (
	"testing"

	"dataledger/certs"
	"dataledger/chaincode/domain"
	"dataledger/network"
	"dataledger/network/sample"
)

// A cross-region application is reviewed a level up, by the supervising
// authority the deployment names (the province). A role attribute is
// written by each org's own CA, so the exchange can give itself
// "authority": calling the peers directly with such an identity, it is
// refused, and so is the city's own authority; the province decides.
func TestCrossRegionReviewOnlyByTheSupervisorOnThePeers(t *testing.T) {
	is, err := sample.NewIssuer(net, "nanning", "南宁市大数据发展局")
	if err != nil {
		t.Fatal(network.ErrorText(err))
	}
	defer is.Close()
	enterprise, err := is.Party(domain.PartyEnterprise, "跨区域数据科技有限公司")
	if err != nil {
		t.Fatal(network.ErrorText(err))
	}
	provider, err := is.Party(domain.PartyDataProvider, "南宁市跨区域数据中心")
	if err != nil {
		t.Fatal(network.ErrorText(err))
	}
	app := domain.ApplicationInput{Number: is.Number(domain.PrefixApplication), ApplicantCreditCode: enterprise, ProductName: "跨区域通勤指数",
		ProductType: "dataset", Scenario: "跨区域通勤分析", ResourceIDs: []string{"RES-450100-0009"}, DataProviders: []string{provider},
		DesignDigest: certs.SM3Hex([]byte("跨区域通勤指数设计")), CrossRegion: true}
	_, applied, err := is.Operator.Apply("nanning", app)
	if err != nil {
		t.Fatal(network.ErrorText(err))
	}
	synced(t, applied) // other orgs' peers review it next
	_, reviewed, err := is.Operator.PreliminaryReview("nanning", app.Number, domain.DecisionApproved, "")
	if err != nil {
		t.Fatal(network.ErrorText(err))
	}
	synced(t, reviewed)
	if err := net.EnrollUser("ExchangeMSP", network.User{Name: "self-styled-authority", Role: domain.RoleAuthority}); err != nil {
		t.Fatal(err)
	}
	forged := connect(t, "ExchangeMSP", "self-styled-authority", peerOf("ExchangeMSP"))
	// The exchange is outside the channel's private data collection: its
	// self-styled authority cannot even read the application (and only
	// the collection members' peers were asked to endorse).
	for who, c := range map[string]*network.Client{"the exchange's self-styled authority": forged, "the city's own authority": is.Authority} {
		rule := domain.RuleReviewer
		if c == forged {
			rule = domain.RulePrivateRead
		}
		_, _, err := c.ComplianceReview("nanning", app.Number, domain.ReviewerAgency, domain.DecisionApproved, "")
		if !domain.IsRule(err, rule) {
			t.Fatalf("%s: %v, want refused by %s", who, network.ErrorText(err), rule)
		}
	}
	province := connect(t, "ProvinceMSP", "authority", nil)
	a, _, err := province.ComplianceReview("nanning", app.Number, domain.ReviewerAgency, domain.DecisionApproved, "")
	if err != nil {
		t.Fatal(network.ErrorText(err))
	}
	if last := a.Steps[len(a.Steps)-1]; last.Actor.MSP != "ProvinceMSP" || a.Reviews[domain.ReviewerAgency] != domain.DecisionApproved {
		t.Fatalf("the province's review: %+v", last)
	}
}
