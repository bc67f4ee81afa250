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
	links := newLinkReader(s) // credentials of one agreement, holder or key read it once
	for i := range recs.Items {
		c, err := domain.ReadCredentialChain(&recs.Items[i], links)
		if err != nil {
			return nil, err
		}
		out.Items = append(out.Items, domain.DiscloseCredential(c, now))
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
	now, err := s.Now()
	if err != nil {
		return nil, err
	}
	links := newLinkReader(s) // products of one enterprise, key or agreement read it once
	for i := range recs.Items {
		c, err := domain.ReadCertificateChain(&recs.Items[i], links)
		if err != nil {
			return nil, err
		}
		out.Items = append(out.Items, domain.DiscloseCertificate(c, now))
	}
	return out, nil
}

// ListDisclosedObligations pages through the obligations opened under a
// public kind (GD 35 fee schedules, ZW 32 disclosures) with how each
// stands now, over their own index: nothing of the others shows, not
// even in a bookmark.
func (a *App) ListDisclosedObligations(s store.Store, pageSize int32, bookmark string) (*domain.Page[domain.ObligationDisclosure], error) {
	kvs, next, err := page(s, domain.TypeObligationPublic, nil, pageSize, bookmark)
	if err != nil {
		return nil, err
	}
	now, err := s.Now()
	if err != nil {
		return nil, err
	}
	out := &domain.Page[domain.ObligationDisclosure]{Items: []domain.ObligationDisclosure{}, Bookmark: next}
	for _, kv := range kvs {
		// The public view: what the world state holds of a public kind.
		o, err := load[domain.Obligation](s, key(s, domain.TypeObligation, string(kv.Value)))
		if err != nil {
			return nil, err
		}
		if o == nil {
			continue
		}
		if d, ok := o.Disclose(now); ok {
			out.Items = append(out.Items, d)
		}
	}
	return out, nil
}
