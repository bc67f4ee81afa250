package integration

import (
	"encoding/json"
	"testing"

	"dataledger/certs"
	"dataledger/chaincode/domain"
	"dataledger/network"
	"dataledger/network/sample"
)

// An objection decided "authorization to be changed" suspends every
// credential the certificate lists, in one transaction whose event both
// endorsing peers must build byte for byte alike (MAJORITY of three): with
// eight credentials a list built in map order would differ between the
// peers almost always, and the transaction would fail endorsement.
func TestObjectionSuspendingManyCredentialsEndorsesAlikeOnTwoPeers(t *testing.T) {
	is, err := sample.NewIssuer(net, "nanning", "南宁市大数据发展局")
	if err != nil {
		t.Fatal(network.ErrorText(err))
	}
	defer is.Close()
	ag, err := is.HolderAgreement("多证书异议")
	if err != nil {
		t.Fatal(network.ErrorText(err))
	}
	var numbers []string
	for range 8 {
		c, signed, err := is.Credential(ag, is.Key)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := is.Issue(signed, ag); err != nil {
			t.Fatal(network.ErrorText(err))
		}
		numbers = append(numbers, c.AuthorizationNumber)
	}
	cert, build := is.CertificateFor(ag.Grantee, ag.GranteeName, "多授权客流产品", []string{"RES-450100-0001"}, true, numbers...)
	if _, err := is.RegisterCertificate(build, ""); err != nil {
		t.Fatal(network.ErrorText(err))
	}
	objection := domain.ObjectionInput{Number: is.Number(domain.PrefixObjection), TargetKind: "certificate", Target: cert.RegistrationNumber,
		EvidenceDigest: certs.SM3Hex([]byte("授权范围证据")), Summary: privateText("授权范围与产品不符")}
	exchange := connect(t, "ExchangeMSP", "exchange", nil)
	synced(t, submitJSON(t, exchange, "FileObjection", objection))
	// The operator's gateway peer endorses, with a second org's peer for
	// MAJORITY: two endorsers, one event.
	decided := submitJSON(t, is.Operator, "DecideObjection", objection.Number, domain.ObjectionDecision{Outcome: domain.OutcomeAuthorizationChanged, Reasons: privateText("授权范围需变更")})
	synced(t, decided)
	for _, n := range numbers {
		b, err := is.Operator.Evaluate("nanning", "GetCredential", n)
		if err != nil {
			t.Fatal(network.ErrorText(err))
		}
		var r domain.CredentialRecord
		_ = json.Unmarshal(b, &r)
		if r.Status != domain.CredentialSuspended || r.Last.TxID != decided.TxID {
			t.Fatalf("credential %s after the decision: %s (tx %s)", n, r.Status, r.Last.TxID)
		}
	}
}
