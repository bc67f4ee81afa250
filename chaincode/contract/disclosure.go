package contract

import (
	"dataledger/chaincode/domain"
	"dataledger/chaincode/store"
)

// ListDisclosedAuthorizations pages through the public view of every
// authorization on the channel (GX 15, GD 35).
func (a *App) ListDisclosedAuthorizations(s store.Store, pageSize int32, bookmark string) (*domain.Page[domain.AuthorizationDisclosure], error) {
	recs, err := listRecords[domain.CredentialRecord](s, domain.TypeCredential, nil, pageSize, bookmark)
	if err != nil {
		return nil, err
	}
	now, _ := s.Now()
	out := &domain.Page[domain.AuthorizationDisclosure]{Items: []domain.AuthorizationDisclosure{}, Bookmark: recs.Bookmark}
	agreements := map[string]*domain.Agreement{}
	for i := range recs.Items {
		ag, err := agreementOf(s, agreements, &recs.Items[i])
		if err != nil {
			return nil, err
		}
		out.Items = append(out.Items, domain.DiscloseCredential(&recs.Items[i], ag, now))
	}
	return out, nil
}

// ListDisclosedProducts pages through the public product list with each
// certificate's status (GX 16).
func (a *App) ListDisclosedProducts(s store.Store, pageSize int32, bookmark string) (*domain.Page[domain.ProductDisclosure], error) {
	recs, err := listRecords[domain.CertificateRecord](s, domain.TypeCertificate, nil, pageSize, bookmark)
	if err != nil {
		return nil, err
	}
	out := &domain.Page[domain.ProductDisclosure]{Items: []domain.ProductDisclosure{}, Bookmark: recs.Bookmark}
	for i := range recs.Items {
		out.Items = append(out.Items, domain.DiscloseCertificate(&recs.Items[i]))
	}
	return out, nil
}
