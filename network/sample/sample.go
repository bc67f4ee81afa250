// Package sample drives the authorization flow on a running network with
// sample data: an issuing department's SM2 key, parties, a filed catalog
// agreement, signed credentials. The demo, the integration tests and the
// load generators use it, so the flow is written once.
package sample

import (
	"crypto/rand"
	"encoding/json"
	"fmt"
	"math/big"
	"time"

	"dataledger/certs"
	"dataledger/chaincode/domain"
	"dataledger/network"
)

// Issuer is a channel's data authority and operation platform, connected,
// with a registered SM2 issuer key.
type Issuer struct {
	Channel    string
	Division   string
	Department string
	Authority  *network.Client // role authority: keys, filing, status decisions
	Operator   *network.Client // role operator: parties, agreements, issuing
	Key        *certs.PrivateKey
	net        *network.Net
}

// NewIssuer connects as the channel authority org's "authority" and
// "operator" users and registers a fresh issuer key valid from today.
func NewIssuer(n *network.Net, channel, department string) (*Issuer, error) {
	ch := n.D.Channel(channel)
	if ch == nil {
		return nil, fmt.Errorf("no channel %q in the description", channel)
	}
	auth, err := n.Connect(ch.Authority, "authority", nil)
	if err != nil {
		return nil, err
	}
	op, err := n.Connect(ch.Authority, "operator", nil)
	if err != nil {
		auth.Close()
		return nil, err
	}
	is := &Issuer{Channel: channel, Division: ch.DivisionCode, Department: department, Authority: auth, Operator: op, net: n}
	if is.Key, err = certs.GenerateKey(nil); err != nil {
		return nil, err
	}
	if _, err := is.RegisterKey(is.Key); err != nil {
		is.Close()
		return nil, err
	}
	return is, nil
}

// Close ends both connections.
func (is *Issuer) Close() {
	is.Authority.Close()
	is.Operator.Close()
}

// Today is today's date in China Standard Time.
func Today() string { return time.Now().In(domain.CST).Format(time.DateOnly) }

// RegisterKey registers an SM2 key for the department, valid five years.
func (is *Issuer) RegisterKey(k *certs.PrivateKey) (*network.Committed, error) {
	until := time.Now().In(domain.CST).AddDate(5, 0, 0).Format(time.DateOnly)
	_, res, err := is.Authority.RegisterIssuerKey(is.Channel, domain.IssuerKeyInput{PublicKey: string(k.Public().PEM()), Department: is.Department, ValidFrom: Today(), ValidUntil: until})
	return is.held(res, err)
}

// held waits, after a write, until every peer of the channel holds it
// (network.Net.Held): what a story does next is endorsed or read by other
// orgs' peers too, which may be a block behind the one that reported it.
func (is *Issuer) held(res *network.Committed, err error) (*network.Committed, error) {
	return res, is.net.Held(res, err)
}

// CreditCode makes a random valid unified social credit code in division.
func CreditCode(division string) string {
	const alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
	b := []byte("91" + division)
	for len(b) < 17 {
		i, _ := rand.Int(rand.Reader, big.NewInt(int64(len(alphabet))))
		b = append(b, alphabet[i.Int64()])
	}
	c, _ := domain.CreditCodeCheckChar(string(b))
	return string(b) + string(c)
}

// Party registers a party with a random credit code in the jurisdiction.
func (is *Issuer) Party(role, name string) (string, error) {
	code := CreditCode(is.Division)
	_, res, err := is.Operator.RegisterParty(is.Channel, domain.PartyInput{CreditCode: code, Name: name, Role: role, DivisionCode: is.Division})
	if _, err := is.held(res, err); err != nil {
		return "", err
	}
	return code, nil
}

// Number makes a fresh random number of a kind in this jurisdiction.
func (is *Issuer) Number(prefix string) string { return Number(prefix, is.Division) }

// Number makes a fresh random number of a kind (its prefix) in a
// jurisdiction (its division code), of this year.
func Number(prefix, division string) string {
	n, err := domain.NewNumber(prefix, division, time.Now().In(domain.CST).Year(), rand.Reader)
	if err != nil {
		panic(err)
	}
	return n.String()
}

// Agreement is a recorded and filed catalog agreement.
type Agreement struct {
	Number, Digest, Grantee, GranteeName, TermStart, TermEnd string
}

// CatalogAgreement records a catalog authorization agreement from the
// operator party to the grantee, signed today for three years, and files it.
func (is *Issuer) CatalogAgreement(grantor, grantee, granteeName string) (*Agreement, error) {
	start := time.Now().In(domain.CST)
	a := &Agreement{
		Number: is.Number(domain.PrefixAgreement), Grantee: grantee, GranteeName: granteeName,
		TermStart: start.Format(time.DateOnly), TermEnd: start.AddDate(3, 0, -1).Format(time.DateOnly),
	}
	a.Digest = certs.SM3Hex([]byte("目录授权协议 " + a.Number + " " + grantee))
	in := domain.AgreementInput{Number: a.Number, Kind: domain.AgreementCatalog, GrantorCreditCode: grantor, GranteeCreditCode: grantee,
		DocumentDigest: a.Digest, Scope: "公共交通客流统计数据（开发目录）", TermStart: a.TermStart, TermEnd: a.TermEnd, SignedOn: Today(), Declaration: Declaration}
	_, rec, err := is.Operator.RecordAgreement(is.Channel, in)
	if err != nil {
		return nil, err
	}
	// Filing may be endorsed by another org's peer: it must have the record.
	if err := is.net.Synced(rec, 15*time.Second); err != nil {
		return nil, err
	}
	_, filed, err := is.Authority.FileAgreement(is.Channel, a.Number)
	if err != nil {
		return nil, err
	}
	// So may what uses the agreement next (an issuance): it must see it filed.
	if err := is.net.Synced(filed, 15*time.Second); err != nil {
		return nil, err
	}
	return a, nil
}

// Credential builds a credential for the agreement's grantee, valid for
// the agreement's term, and signs it with key.
func (is *Issuer) Credential(a *Agreement, key *certs.PrivateKey) (*domain.Credential, string, error) {
	c := &domain.Credential{
		Type: domain.DocTypeCredential, AuthorizationNumber: is.Number(domain.PrefixAuthorization),
		HolderName: a.GranteeName, HolderCreditCode: a.Grantee, Scope: "公共交通客流统计数据（开发目录）",
		ValidFrom: a.TermStart, ValidUntil: a.TermEnd, IssuingDepartment: is.Department, IssueDate: Today(),
		DivisionCode: is.Division, Channel: is.Channel, AgreementDigest: a.Digest,
	}
	b, _ := json.Marshal(c)
	signed, err := certs.Sign(b, key, nil)
	return c, string(signed), err
}

// Issue registers a signed credential.
func (is *Issuer) Issue(signed string, a *Agreement) (*network.Committed, error) {
	_, res, err := is.Operator.IssueCredential(is.Channel, signed, a.Number)
	return is.held(res, err)
}

// CertificateFor builds a product certificate of the enterprise; the
// returned function completes and signs it once the registering
// transaction's ID is known (its 区块链编号).
func (is *Issuer) CertificateFor(enterprise, enterpriseName, productName string, resources []string, preExisting bool, auths ...string) (*domain.Certificate, func(txID string) (string, error)) {
	c := &domain.Certificate{
		Type: domain.DocTypeCertificate, CertificateName: "数据产品登记证书", ProductName: productName,
		RegistrationNumber: is.Number(domain.PrefixRegistration), ProductType: "dataset",
		EnterpriseName: enterpriseName, EnterpriseCreditCode: enterprise, UpdateCycle: "每日",
		ApplicationScenario: "城市交通规划与公交线网优化", RegistrationDate: Today(),
		AuthorizationNumbers: append([]string{}, auths...), ResourceIDs: resources, PreExisting: preExisting,
		IssuingDepartment: is.Department,
	}
	return c, func(txID string) (string, error) {
		c.ChainReference = domain.ChainReference{Channel: is.Channel, TxID: txID}
		b, _ := json.Marshal(c)
		signed, err := certs.Sign(b, is.Key, nil)
		return string(signed), err
	}
}

// RegisterCertificate registers a certificate built by CertificateFor,
// through its application (empty for a pre-existing product).
func (is *Issuer) RegisterCertificate(sign func(txID string) (string, error), application string) (*network.Committed, error) {
	_, res, err := is.Operator.RegisterCertificate(is.Channel, application, sign)
	return is.held(res, err)
}

// Declaration is the eligibility declaration of a sample grantee that
// meets every condition the profiles set (GX 6, 9, 11, HB 14, …), made on
// the agreement that authorizes it.
var Declaration = domain.FullDeclaration(certs.SM3Hex([]byte("资格条件承诺书及信用查询报告")))

// Application files a scenario-authorization application for a dataset
// built from the given resources, reviewed by the provider.
func (is *Issuer) Application(applicant, provider, product string, resources ...string) (*domain.ApplicationInput, error) {
	in := &domain.ApplicationInput{
		Number: is.Number(domain.PrefixApplication), ApplicantCreditCode: applicant, ProductName: product,
		ProductType: "dataset", Scenario: "城市交通规划与公交线网优化", ResourceIDs: resources,
		DataProviders: []string{provider}, DesignDigest: certs.SM3Hex([]byte("产品设计方案 " + product)),
	}
	_, res, err := is.Operator.Apply(is.Channel, *in)
	_, err = is.held(res, err)
	return in, err
}

// Develop takes an application through GX 12's steps up to a passed
// consistency verification: preliminary review, compliance review by the
// agency and the provider, a filed scenario agreement from the operator,
// development, verification.
func (is *Issuer) Develop(app *domain.ApplicationInput, operator string) error {
	scenario := domain.AgreementInput{Number: is.Number(domain.PrefixAgreement), Kind: domain.AgreementScenario, GrantorCreditCode: operator,
		GranteeCreditCode: app.ApplicantCreditCode, DocumentDigest: certs.SM3Hex([]byte("场景授权协议 " + app.Number)), Scope: "场景开发：" + app.Scenario,
		TermStart: Today(), TermEnd: time.Now().In(domain.CST).AddDate(2, 0, 0).Format(time.DateOnly), SignedOn: Today(), Declaration: Declaration}
	steps := []struct {
		c    *network.Client
		call network.Write[*domain.Application]
	}{
		{is.Operator, network.Tx.PreliminaryReview(app.Number, domain.DecisionApproved, "")},
		{is.Authority, network.Tx.ComplianceReview(app.Number, domain.ReviewerAgency, domain.DecisionApproved, "")},
		{is.Authority, network.Tx.ComplianceReview(app.Number, app.DataProviders[0], domain.DecisionApproved, "")},
	}
	// Each step acts on what the one before wrote, possibly endorsed by
	// another org's peer: it waits until every peer has the block.
	synced := func(what string, res *network.Committed, err error) error {
		if err == nil {
			err = is.net.Synced(res, 15*time.Second)
		}
		if err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		return nil
	}
	for _, s := range steps {
		_, res, err := s.call.Submit(s.c, is.Channel)
		if err := synced(s.call.Fn, res, err); err != nil {
			return err
		}
	}
	_, res, err := is.Operator.RecordAgreement(is.Channel, scenario)
	if err := synced("scenario agreement", res, err); err != nil {
		return err
	}
	_, res, err = is.Authority.FileAgreement(is.Channel, scenario.Number)
	if err := synced("filing the scenario agreement", res, err); err != nil {
		return err
	}
	for _, call := range []network.Write[*domain.Application]{
		network.Tx.AttachScenarioAgreement(app.Number, scenario.Number),
		network.Tx.StartDevelopment(app.Number),
		network.Tx.VerifyConsistency(app.Number, certs.SM3Hex([]byte("产品 "+app.Number)), true, "", domain.DecisionApproved, ""),
	} {
		_, res, err := call.Submit(is.Operator, is.Channel)
		if err := synced(call.Fn, res, err); err != nil {
			return err
		}
	}
	return nil
}

// HolderAgreement registers an operator and an enterprise named after
// label and records and files a catalog agreement between them: the usual
// start of a credential.
func (is *Issuer) HolderAgreement(label string) (*Agreement, error) {
	operator, err := is.Party(domain.PartyOperator, label+"运营平台")
	if err != nil {
		return nil, err
	}
	holder, err := is.Party(domain.PartyEnterprise, label+"企业")
	if err != nil {
		return nil, err
	}
	return is.CatalogAgreement(operator, holder, label+"企业")
}
