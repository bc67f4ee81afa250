package contract

import (
	"dataledger/chaincode/domain"
	"dataledger/chaincode/store"
)

// CheckEgress records an egress check of a registered product (ZW 23).
func (a *App) CheckEgress(s store.Store, number, result, reportDigest, reasons string) (*domain.EgressCheck, error) {
	t, err := a.allowed(s, domain.ActCheckEgress)
	if err != nil {
		return nil, err
	}
	chain, err := a.certificateChain(s, number)
	if err != nil {
		return nil, err
	}
	e, err := domain.CheckEgress(t.j, chain, t.now, result, reportDigest, reasons, t.c)
	if err != nil {
		return nil, err
	}
	if err := putSaid(s, key(s, domain.TypeEgress, number, t.c.TxID), domain.TypeEgress, number, e.Public(), e.Reasons); err != nil {
		return nil, err
	}
	return e, emit(s, t.c, changed(domain.TypeEgress, number, e.Checked.Action, e.Result, 1))
}

// ListEgressChecks lists a product's egress checks in order.
func (a *App) ListEgressChecks(s store.Store, number string, pageSize int32, bookmark string) (*domain.Page[domain.EgressCheck], error) {
	if _, err := domain.ParseNumber("registrationNumber", number, domain.PrefixRegistration); err != nil {
		return nil, err
	}
	p, err := listRecords[domain.EgressCheck](s, domain.TypeEgress, []string{number}, pageSize, bookmark)
	if err != nil {
		return nil, err
	}
	for i := range p.Items { // each check's reasons, for whom may read them
		if err := a.saidTo(s, domain.TypeEgress, number, &p.Items[i]); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// AcknowledgeCertificate records the calling exchange's receipt, listing
// or delisting of a certificate (GX 12(7), GD 28).
func (a *App) AcknowledgeCertificate(s store.Store, number, action string) (*domain.Acknowledgement, error) {
	t, err := a.allowed(s, domain.ActAcknowledgeCertificate)
	if err != nil {
		return nil, err
	}
	chain, err := a.certificateChain(s, number)
	if err != nil {
		return nil, err
	}
	ak := key(s, domain.TypeAck, number, t.c.Actor.MSP)
	cur, err := load[domain.Acknowledgement](s, ak)
	if err != nil {
		return nil, err
	}
	ack, err := domain.Acknowledge(t.j, chain, t.now, cur, action, t.c)
	if err != nil {
		return nil, err
	}
	if err := put(s, ak, ack); err != nil {
		return nil, err
	}
	return ack, emit(s, t.c, changed(domain.TypeAck, number+"/"+ack.ExchangeMSP, action, ack.Status, ack.Version))
}

// ListAcknowledgements lists every exchange's acknowledgement of a product.
func (a *App) ListAcknowledgements(s store.Store, number string) ([]domain.Acknowledgement, error) {
	if _, err := domain.ParseNumber("registrationNumber", number, domain.PrefixRegistration); err != nil {
		return nil, err
	}
	p, err := listRecords[domain.Acknowledgement](s, domain.TypeAck, []string{number}, domain.MaxPageSize, "")
	if err != nil {
		return nil, err
	}
	return p.Items, nil
}
