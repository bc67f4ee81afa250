package certs

import (
	"encoding/base64"
	"encoding/json"

	"dataledger/chaincode/domain"
	"testing"
)

var sampleAuthNumber = domain.Number{Prefix: domain.PrefixAuthorization, Division: "450100", Year: 2026, Serial: "3KQ7M2XA"}.String()

// sampleCredential is a valid credential before signing.
func sampleCredential() *Credential {
	return &Credential{
		Type:                TypeCredential,
		AuthorizationNumber: sampleAuthNumber,
		HolderName:          "广西数智科技有限公司",
		HolderCreditCode:    "91350100M000100Y43",
		Scope:               "南宁市公共交通客流统计数据（目录授权）",
		ValidFrom:           "2026-01-01",
		ValidUntil:          "2028-12-31",
		IssuingDepartment:   "南宁市大数据发展局",
		IssueDate:           "2026-01-01",
		DivisionCode:        "450100",
		Channel:             "nanning",
		AgreementDigest:     SM3Hex([]byte("catalog authorization agreement")),
	}
}

func sampleCertificate() *Certificate {
	return &Certificate{
		Type:                 TypeCertificate,
		CertificateName:      "数据产品登记证书",
		ProductName:          "城市通勤客流指数",
		RegistrationNumber:   domain.Number{Prefix: domain.PrefixRegistration, Division: "450100", Year: 2026, Serial: "7K3M9QXA"}.String(),
		ProductType:          "dataset",
		EnterpriseName:       "广西数智科技有限公司",
		EnterpriseCreditCode: "91350100M000100Y43",
		UpdateCycle:          "每日",
		ApplicationScenario:  "城市交通规划与公交线网优化",
		ChainReference:       ChainReference{Channel: "nanning", TxID: SM3Hex([]byte("tx"))},
		RegistrationDate:     "2026-06-30",
		AuthorizationNumbers: []string{sampleAuthNumber},
		ResourceIDs:          []string{"RES-450100-0001"},
		IssuingDepartment:    "南宁市大数据发展局",
	}
}

func mustJSON(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func mustKey(t testing.TB) *PrivateKey {
	t.Helper()
	k, err := GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func decodeSig(t testing.TB, e *Envelope) []byte {
	t.Helper()
	der, err := base64.StdEncoding.DecodeString(e.Signature.Value)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

// attachSignature builds a signed envelope from canonical signing input and
// a DER signature made elsewhere.
func attachSignature(t testing.TB, input []byte, keyID string, der []byte) []byte {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(input, &m); err != nil {
		t.Fatal(err)
	}
	m["signature"] = mustJSON(t, Signature{Alg: AlgSM2SM3, KeyID: keyID, Value: base64.StdEncoding.EncodeToString(der)})
	return mustJSON(t, m)
}
