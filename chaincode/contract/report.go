package contract

import (
	"dataledger/chaincode/domain"
	"dataledger/chaincode/store"
)

// RecordReport records a supervision report's signed summary: the
// authority's SM2 signature verifies with its registered key, and the
// digests of the report's files are on the ledger from then on.
func (a *App) RecordReport(s store.Store, signedJSON string) (*domain.ReportRecord, error) {
	sd, err := beginSigned[*domain.SupervisionReport](a, s, signedJSON, domain.ActRecordReport)
	if err != nil {
		return nil, err
	}
	in := domain.ReportInput{Doc: sd.doc, Canonical: sd.canonical, Key: sd.key}
	rk := key(s, domain.TypeReport, sd.doc.ReportNumber)
	if in.Existing, err = load[domain.ReportRecord](s, rk); err != nil {
		return nil, err
	}
	rec, err := domain.RecordReport(sd.t.j, in, sd.t.now, sd.t.c)
	if err != nil {
		return nil, err
	}
	if err := put(s, rk, rec); err != nil {
		return nil, err
	}
	return rec, emit(s, sd.t.c, changed(domain.TypeReport, rec.Number, "record", "recorded", rec.Version))
}

// GetReport reads a supervision report's record by its number.
func (a *App) GetReport(s store.Store, number string) (*domain.ReportRecord, error) {
	if _, err := domain.ParseNumber("number", number, domain.PrefixReport); err != nil {
		return nil, err
	}
	r, err := load[domain.ReportRecord](s, key(s, domain.TypeReport, number))
	return found(r, err, domain.NotFound(domain.RuleReportExists, "number", "no report %s on channel %s", number, s.Channel()))
}
