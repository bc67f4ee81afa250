package contract

import (
	"dataledger/chaincode/domain"
	"dataledger/chaincode/store"
)

// RecordNationalRegistration records a certificate's registration on a
// national platform: its 登记结果查询码 and unified code, indexed for
// search (domain.RecordNational). A correction needs a reason; the
// record's history keeps what it replaced.
func (a *App) RecordNationalRegistration(s store.Store, number, registrationJSON string) (*domain.CertificateRecord, error) {
	t, err := a.allowed(s, domain.ActRecordNational)
	if err != nil {
		return nil, err
	}
	var in domain.NationalInput
	if err := decodeArg("registration", registrationJSON, &in); err != nil {
		return nil, err
	}
	cert, err := a.loadCertificate(s, number)
	if err != nil {
		return nil, err
	}
	holders := map[string]string{}
	for _, code := range []string{in.QueryCode, in.UnifiedCode} {
		if code == "" || domain.ValidateNationalCode("code", code) != nil {
			continue // the domain names the field it refuses
		}
		if holders[code], err = a.nationalHolder(s, code); err != nil {
			return nil, err
		}
	}
	next, err := domain.RecordNational(t.j, cert, in, holders, t.c)
	if err != nil {
		return nil, err
	}
	if err := putSaid(s, key(s, domain.TypeCertificate, number), domain.TypeCertificate, number, next.Public(), in.Reason); err != nil {
		return nil, err
	}
	for _, code := range []string{in.QueryCode, in.UnifiedCode} {
		if code != "" {
			if err := s.Put(key(s, domain.TypeNationalCode, code), []byte(number)); err != nil {
				return nil, err
			}
		}
	}
	return next, emit(s, t.c, changed(domain.TypeCertificate, number, "national-registration", next.RegistrationStatus(), next.Version))
}

// nationalHolder is the certificate that carries a national code now, or
// "": an index entry whose certificate has since been corrected to other
// codes names nobody.
func (a *App) nationalHolder(s store.Store, code string) (string, error) {
	v, err := s.Get(key(s, domain.TypeNationalCode, code))
	if err != nil || len(v) == 0 {
		return "", err
	}
	cert, err := load[domain.CertificateRecord](s, key(s, domain.TypeCertificate, string(v)))
	if err != nil || cert == nil || cert.National == nil {
		return "", err
	}
	if cert.National.QueryCode == code || cert.National.UnifiedCode == code {
		return cert.Number, nil
	}
	return "", nil
}

// FindCertificateByNationalCode verifies the certificate a national
// registration code (query or unified) names on this channel.
func (a *App) FindCertificateByNationalCode(s store.Store, code string) (*domain.Verification, error) {
	if err := domain.ValidateNationalCode("code", code); err != nil {
		return nil, err
	}
	number, err := a.nationalHolder(s, code)
	if err != nil {
		return nil, err
	}
	if number == "" {
		return nil, domain.NotFound(domain.RuleCertificateExists, "code", "no certificate on channel %s carries the national registration code %s", s.Channel(), code)
	}
	return a.VerifyCertificate(s, number)
}
