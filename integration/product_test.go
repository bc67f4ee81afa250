package integration

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hyperledger/fabric-gateway/pkg/client"

	"dataledger/certs"
	"dataledger/chaincode/domain"
	"dataledger/network"
	"dataledger/network/sample"
)

func submitJSON(t *testing.T, c *network.Client, fn string, args ...any) *network.Committed {
	t.Helper()
	r, err := c.SubmitJSON("nanning", fn, args...)
	if err != nil {
		t.Fatalf("%s: %s", fn, network.ErrorText(err))
	}
	return r
}

// TestProductStory: application → reviews → scenario agreement →
// development → consistency verification → certificate registered on
// nanning with its own 区块链编号 → the exchange reads and acknowledges it
// → an objection → suspended → 撤销登记 → revoked; the province peer sees
// the whole history and events arrive in order for every step.
func TestProductStory(t *testing.T) {
	is, err := sample.NewIssuer(net, "nanning", "南宁市大数据发展局")
	if err != nil {
		t.Fatal(network.ErrorText(err))
	}
	defer is.Close()
	operator, _ := is.Party(domain.PartyOperator, "广西数字运营平台有限公司")
	enterprise, _ := is.Party(domain.PartyEnterprise, "南宁交通数据科技有限公司")
	provider, err := is.Party(domain.PartyDataProvider, "南宁市公共交通集团")
	if err != nil {
		t.Fatal(network.ErrorText(err))
	}
	first, err := net.Height(peerOf("CityAMSP"), "nanning")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	events, err := connect(t, "ProvinceMSP", "regulator", nil).Gateway.GetNetwork("nanning").ChaincodeEvents(ctx, net.D.Chaincode.Name, client.WithStartBlock(first))
	if err != nil {
		t.Fatal(err)
	}

	app, err := is.Application(enterprise, provider, "城市通勤客流指数", "RES-450100-0001", "RES-450100-0007")
	if err != nil {
		t.Fatal(network.ErrorText(err))
	}
	_, err = is.Operator.Submit("nanning", "StartDevelopment", app.Number)
	wantRefusal(t, err, domain.RuleStep)
	if err := is.Develop(app, operator); err != nil {
		t.Fatal(network.ErrorText(err))
	}

	// A certificate whose 区块链编号 is some other transaction is refused.
	wrong, buildWrong := is.CertificateFor(enterprise, "南宁交通数据科技有限公司", app.ProductName, app.ResourceIDs, false)
	signed, _ := buildWrong(certs.SM3Hex([]byte("another transaction")))
	_, err = is.Operator.Submit("nanning", "RegisterCertificate", signed, app.Number)
	wantRefusal(t, err, domain.RuleChainReference)
	_ = wrong

	cert, build := is.CertificateFor(enterprise, "南宁交通数据科技有限公司", app.ProductName, app.ResourceIDs, false)
	registered, err := is.RegisterCertificate(build, app.Number)
	if err != nil {
		t.Fatal(network.ErrorText(err))
	}
	synced(t, registered)
	if registered.TxID != cert.ChainReference.TxID {
		t.Fatalf("committed as %s, the certificate says %s", registered.TxID, cert.ChainReference.TxID)
	}

	exchange := connect(t, "ExchangeMSP", "exchange", nil)
	v := verification(t, exchange, "nanning", "VerifyCertificate", cert.RegistrationNumber)
	if v.Status != domain.VerifyValid || v.TxID != registered.TxID {
		t.Fatalf("exchange verification %+v", v)
	}
	if block, err := exchange.BlockOf("nanning", v.TxID); err != nil || block != registered.BlockNumber {
		t.Fatalf("区块链编号 resolves to block %d (%v), committed in %d", block, err, registered.BlockNumber)
	}
	// The enterprise presents the certificate exactly as registered.
	rb, err := exchange.Evaluate("nanning", "GetCertificate", cert.RegistrationNumber)
	if err != nil {
		t.Fatal(network.ErrorText(err))
	}
	presented := string(decode[domain.CertificateRecord](t, rb).Document)
	if v := verification(t, exchange, "nanning", "VerifyCertificateDocument", presented); v.Status != domain.VerifyValid {
		t.Fatalf("presented certificate %+v", v)
	}
	forgedName := strings.Replace(presented, "城市通勤客流指数", "城市通勤客流指数（增强版）", 1)
	if v := verification(t, exchange, "nanning", "VerifyCertificateDocument", forgedName); v.Status != domain.VerifyTampered || !strings.Contains(v.Reason, "productName") {
		t.Fatalf("a changed product name: %+v", v)
	}
	// The registered certificate replayed: in a new transaction on its own
	// channel (its 区块链编号 names the first one), and on another city's.
	_, err = is.Operator.Submit("nanning", "RegisterCertificate", presented, app.Number)
	wantRefusal(t, err, domain.RuleChainReference)
	_, err = connect(t, "CityBMSP", "operator", nil).Submit("liuzhou", "RegisterCertificate", presented, "")
	wantRefusal(t, err, domain.RuleCredentialChannel)

	// Only an exchange acknowledges, and only for itself (the record is
	// keyed by the caller's own organization): the issuer and the
	// exchange's clerk are refused.
	_, err = is.Operator.Submit("nanning", "AcknowledgeCertificate", cert.RegistrationNumber, domain.AckReceived)
	wantRefusal(t, err, domain.RuleExchangeOnly)
	_, err = connect(t, "ExchangeMSP", "clerk", nil).Submit("nanning", "AcknowledgeCertificate", cert.RegistrationNumber, domain.AckReceived)
	wantRefusal(t, err, domain.RuleExchangeOnly)
	// An enterprise granting onward (sub-licensing) is refused, by the
	// article of the profile in force (HB-21 under Hebei's) or DL-SUBLICENSE.
	profile, err := exchange.Evaluate("nanning", "GetProfile")
	if err != nil {
		t.Fatal(network.ErrorText(err))
	}
	_, err = is.CatalogAgreement(enterprise, operator, "广西数字运营平台有限公司")
	wantRefusal(t, err, decode[domain.ProfileRecord](t, profile).Profile.Cite("subLicensing", domain.RuleSubLicense))
	for _, a := range []string{domain.AckReceived, domain.AckListed} {
		r, err := exchange.Submit("nanning", "AcknowledgeCertificate", cert.RegistrationNumber, a)
		if err != nil {
			t.Fatal(network.ErrorText(err))
		}
		synced(t, r) // "listed" needs "received" on its endorsers
	}

	objection := domain.ObjectionInput{Number: is.Number(domain.PrefixObjection), TargetKind: "certificate", Target: cert.RegistrationNumber,
		EvidenceDigest: certs.SM3Hex([]byte("证据材料")), Summary: privateText("产品中含有未经授权的个人出行轨迹")}
	synced(t, submitJSON(t, exchange, "FileObjection", objection))
	if v := verification(t, exchange, "nanning", "VerifyCertificate", cert.RegistrationNumber); v.Status != domain.VerifySuspended {
		t.Fatalf("with an open objection: %+v", v)
	}
	reasons := privateText("经核实含有未授权数据，撤销登记")
	synced(t, submitJSON(t, is.Operator, "DecideObjection", objection.Number, domain.ObjectionDecision{Outcome: domain.OutcomeRegistrationRevoked, Reasons: reasons}))
	// The public reads the cause (the objection and its outcome); the
	// summary and the reasons are the collection members' only.
	if v := verification(t, exchange, "nanning", "VerifyCertificate", cert.RegistrationNumber); v.Status != domain.VerifyRevoked ||
		!strings.Contains(v.Reason, objection.Number+": "+domain.OutcomeRegistrationRevoked) || strings.Contains(string(v.Record), reasons) {
		t.Fatalf("after 撤销登记: %+v", v)
	}
	if o, err := exchange.GetObjection("nanning", objection.Number); err != nil || o.Summary != "" || o.Decision.Reasons != "" || o.Decision.Outcome != domain.OutcomeRegistrationRevoked {
		t.Fatalf("the exchange reads %+v (%v), want the public view", o, err)
	}
	if o, err := is.Operator.GetObjection("nanning", objection.Number); err != nil || o.Summary != objection.Summary || o.Decision.Reasons != reasons {
		t.Fatalf("the operator reads %+v (%v), want it whole", o, err)
	}
	_, err = exchange.Evaluate("nanning", "GetPrivatePart", domain.TypeObjection, objection.Number)
	wantRefusal(t, err, domain.RulePrivateRead)
	_, err = is.Operator.Submit("nanning", "DecideObjection", objection.Number, `{"outcome":"dismissed","reasons":"再议"}`)
	wantRefusal(t, err, domain.RuleObjectionClosed)
	unknown := objection
	unknown.Number, unknown.Target = is.Number(domain.PrefixObjection), is.Number(domain.PrefixRegistration)
	b, _ := json.Marshal(unknown)
	_, err = exchange.Submit("nanning", "FileObjection", string(b))
	wantRefusal(t, err, domain.RuleObjectionTarget)

	// The province peer holds the whole history.
	province := connect(t, "ProvinceMSP", "regulator", peerOf("ProvinceMSP"))
	hb, err := province.Evaluate("nanning", "History", "certificate", cert.RegistrationNumber)
	if err != nil {
		t.Fatal(network.ErrorText(err))
	}
	if h := decode[[]domain.HistoryItem](t, hb); len(h) != 3 || h[0].TxID != registered.TxID {
		t.Fatalf("certificate history has %d versions", len(h))
	}
	ab, err := province.Evaluate("nanning", "GetApplication", app.Number)
	if err != nil {
		t.Fatal(network.ErrorText(err))
	}
	var steps []string
	for _, s := range decode[domain.Application](t, ab).Steps {
		steps = append(steps, s.Step+":"+s.Decision)
	}
	wantSteps := "apply:done preliminary_review:approved compliance_review:approved compliance_review:approved agreement_filed:done development:done consistency_verification:approved registration:done"
	if strings.Join(steps, " ") != wantSteps {
		t.Fatalf("application steps\n got %s\nwant %s", strings.Join(steps, " "), wantSteps)
	}
	pb, _ := province.Evaluate("nanning", "ListDisclosedProducts", "200", "")
	found := false
	for _, p := range decode[domain.Page[domain.ProductDisclosure]](t, pb).Items {
		found = found || (p.RegistrationNumber == cert.RegistrationNumber && p.Status == domain.VerifyRevoked)
	}
	if !found {
		t.Fatal("the disclosed product list does not show the revoked product")
	}

	// Every step's event, in commit order. The application is private until
	// its registration (it used no non-public data: no notice): its events
	// name it by its key's hash only, with no kind, step or stage.
	want := []string{"private", "private", "private", "private",
		"private", "private", "private",
		"certificate.register", "ack.received", "ack.listed", "objection.file", "objection.decide"}
	appKey, _ := domain.CompositeKey(domain.TypeApplication, app.Number)
	appHash := sha256.Sum256([]byte(appKey))
	mine := map[string]bool{hex.EncodeToString(appHash[:]): true, cert.RegistrationNumber: true, objection.Number: true,
		cert.RegistrationNumber + "/ExchangeMSP": true}
	var got []string
	for len(got) < len(want) {
		select {
		case ev := <-events:
			var e domain.Event
			_ = json.Unmarshal(ev.Payload, &e)
			if len(e.Changes) > 0 && mine[e.Changes[0].Key+e.Changes[0].KeyHash] {
				if e.Changes[0].KeyHash != "" && (strings.Contains(string(ev.Payload), app.Number) || e.Changes[0].Status != "" || e.Changes[0].RecordType != "") {
					t.Fatalf("an event of the private application names it: %s", ev.Payload)
				}
				got = append(got, ev.EventName)
			}
		case <-ctx.Done():
			t.Fatalf("events so far: %v", got)
		}
	}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("events\n got %v\nwant %v", got, want)
	}
}

// Test64RegistrationsInFlightAllCommit registers 64 different products
// at once: numbers are their own keys, and each registration adds its
// entry to one of the registered products' 256 roots, so two in one bucket
// commit one per block (the client takes the bucket's turn, and sends one
// that lost a race anyway again with fresh proofs): all 64 commit, none
// twice. An application then re-develops two of them,
// checked by proof (TestZZNoPrivateTransactionReadsAParty reads its block).
func Test64RegistrationsInFlightAllCommit(t *testing.T) {
	is, err := sample.NewIssuer(net, "nanning", "南宁市大数据发展局")
	if err != nil {
		t.Fatal(network.ErrorText(err))
	}
	defer is.Close()
	enterprise, err := is.Party(domain.PartyEnterprise, "南宁存量产品企业")
	if err != nil {
		t.Fatal(network.ErrorText(err))
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	outcomes := map[string]int{}
	var numbers []string
	for i := 0; i < 64; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			doc, build := is.CertificateFor(enterprise, "南宁存量产品企业", fmt.Sprintf("存量数据产品%02d", i), []string{"RES-450100-0001"}, true)
			_, err := is.RegisterCertificate(build, "")
			o := "VALID"
			if err == nil {
				mu.Lock()
				numbers = append(numbers, doc.RegistrationNumber)
				mu.Unlock()
			}
			if err != nil {
				o = network.ErrorText(err)
				if strings.Contains(o, "MVCC_READ_CONFLICT") {
					o = "MVCC_READ_CONFLICT"
				}
			}
			mu.Lock()
			outcomes[o]++
			mu.Unlock()
		}(i)
	}
	wg.Wait()
	t.Logf("64 registrations in flight: %v", outcomes)
	if outcomes["VALID"] != 64 {
		t.Fatalf("outcomes %v, want 64 VALID", outcomes)
	}
	for _, n := range numbers { // each once, as its own registration wrote it
		c, err := network.Tx.GetCertificate(n).Evaluate(is.Operator, "nanning")
		if err != nil || c.Number != n || c.Version != 1 || c.EnterpriseCreditCode != enterprise {
			t.Fatalf("certificate %s: %+v %v", n, c, network.ErrorText(err))
		}
	}

	// A product built on two of them (GX 7(8)): the application's read
	// set names neither.
	provider, err := is.Party(domain.PartyDataProvider, "南宁再开发数据提供单位")
	if err != nil {
		t.Fatal(network.ErrorText(err))
	}
	developer, err := is.Party(domain.PartyEnterprise, "南宁再开发企业")
	if err != nil {
		t.Fatal(network.ErrorText(err))
	}
	in := domain.ApplicationInput{Number: is.Number(domain.PrefixApplication), ApplicantCreditCode: developer, ProductName: "再开发客流指数",
		ProductType: "dataset", Scenario: "城市交通规划与公交线网优化", ResourceIDs: []string{"RES-450100-0001"}, DataProviders: []string{provider},
		RedevelopedFrom: numbers[:2], DesignDigest: certs.SM3Hex([]byte("再开发产品设计方案"))}
	app, res, err := is.Operator.Apply("nanning", in)
	if err != nil {
		t.Fatal(network.ErrorText(err))
	}
	if !slices.Equal(app.RedevelopedFrom, numbers[:2]) {
		t.Fatalf("the application read back re-develops %v, want %v", app.RedevelopedFrom, numbers[:2])
	}
	redevelopments = append(redevelopments, res.TxID)
	missing := in
	missing.Number, missing.RedevelopedFrom = is.Number(domain.PrefixApplication), []string{is.Number(domain.PrefixRegistration)}
	if _, _, err := is.Operator.Apply("nanning", missing); !domain.IsRule(err, domain.RuleApplication) {
		t.Fatalf("re-developing a product registered nowhere: %v", network.ErrorText(err))
	}
}

// redevelopments are the transactions of applications that re-develop
// registered products, whose read sets TestZZNoPrivateTransactionReadsAParty
// checks.
var redevelopments []string
