package domain

import (
	"encoding/json"
	"time"
)

// AuthorizationDisclosure is the public view of an authorization
// (GX 15, GD 23/35: 授权对象、内容、范围和时限).
type AuthorizationDisclosure struct {
	AuthorizationNumber string `json:"authorizationNumber"`
	Holder              string `json:"holder"`
	HolderCreditCode    string `json:"holderCreditCode"`
	Content             string `json:"content"`
	ValidFrom           string `json:"validFrom"`
	ValidUntil          string `json:"validUntil"`
	IssuingDepartment   string `json:"issuingDepartment"`
	Status              string `json:"status"`
}

// DiscloseCredential is a credential's public view at t, ag being its
// agreement as it stands.
func DiscloseCredential(c CredentialChain, t time.Time) AuthorizationDisclosure {
	r := c.Credential
	var d Credential
	_ = json.Unmarshal(r.Document, &d)
	return AuthorizationDisclosure{AuthorizationNumber: r.Number, Holder: d.HolderName, HolderCreditCode: d.HolderCreditCode,
		Content: d.Scope, ValidFrom: r.ValidFrom, ValidUntil: r.ValidUntil, IssuingDepartment: d.IssuingDepartment, Status: c.Status(t)}
}

// ProductDisclosure is the public view of a registered product (GX 16).
type ProductDisclosure struct {
	RegistrationNumber  string         `json:"registrationNumber"`
	ProductName         string         `json:"productName"`
	ProductType         string         `json:"productType"`
	Enterprise          string         `json:"enterprise"`
	ApplicationScenario string         `json:"applicationScenario"`
	RegistrationDate    string         `json:"registrationDate"`
	ChainReference      ChainReference `json:"chainReference"`
	PreExisting         bool           `json:"preExisting"`
	Status              string         `json:"status"`
}

// DiscloseCertificate is a certificate's public view, its status derived
// from its chain at t as a verification's.
func DiscloseCertificate(c *CertificateChain, t time.Time) ProductDisclosure {
	r := c.Certificate
	var d Certificate
	_ = json.Unmarshal(r.Document, &d)
	return ProductDisclosure{RegistrationNumber: r.Number, ProductName: d.ProductName, ProductType: d.ProductType, Enterprise: d.EnterpriseName,
		ApplicationScenario: d.ApplicationScenario, RegistrationDate: d.RegistrationDate, ChainReference: d.ChainReference, PreExisting: r.PreExisting,
		Status: c.Status(t)}
}
