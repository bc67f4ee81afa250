package contract

import (
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"dataledger/chaincode/domain"
	"dataledger/chaincode/store"
)

// History returns every committed version of a record, oldest first. key
// is the credit code for a party and ignored for the channel-wide records.
func (a *App) History(s store.Store, recordType, key string) ([]domain.HistoryItem, error) {
	var k string
	var err error
	switch recordType {
	case domain.TypeParty:
		k, err = partyKey(s, key)
	case domain.TypeProfile, domain.TypeJurisdiction:
		k, err = s.Key(recordType)
	case domain.TypeBench:
		k, err = s.Key(recordType, key)
	case domain.TypeIssuerKey:
		if err = validKeyID("key", key); err == nil {
			k, err = s.Key(recordType, key)
		}
	case domain.TypeAgreement, domain.TypeCredential, domain.TypeApplication, domain.TypeCertificate, domain.TypeObjection, domain.TypeObligation, domain.TypeCredit, domain.TypeEvaluation, domain.TypeSelection, domain.TypePlan:
		numbered, _ := domain.NumberedByRecordType(recordType)
		if _, err = domain.ParseNumber("key", key, numbered.Prefix); err == nil {
			k, err = s.Key(recordType, key)
		}
	case domain.TypeCalendar:
		if _, err = a.GetCalendar(s, key); err == nil {
			k, err = s.Key(recordType, key)
		}
	default:
		return nil, domain.Invalid(RuleRecordType, "recordType", "%q is not party, profile, jurisdiction, issuerKey, agreement, credential, calendar, application, certificate, objection, obligation, creditRecord, evaluation, selection or plan", truncate(recordType))
	}
	if err != nil {
		return nil, err
	}
	if domain.PublicNever(recordType) {
		return nil, privateHistory(recordType, key)
	}
	hs, err := s.History(k)
	if err != nil {
		return nil, err
	}
	if len(hs) == 0 {
		// A peer joined from a snapshot holds the state but none of its
		// history before the snapshot: a record it holds without history
		// is not "not found".
		if v, err := s.Get(k); err != nil {
			return nil, err
		} else if v != nil {
			return nil, partialHistory(recordType, key, s.Channel(), "none of its versions")
		}
		// A record with no public view yet (an application before its
		// notice, an obligation of a kind that is not public): its
		// versions are the collection's, named to a regime role of a member
		// (an enterprise learns nothing of another's).
		if domain.HasPrivatePart(recordType) {
			if ok, err := a.mayReadPrivate(s, ""); err != nil {
				return nil, err
			} else if ok {
				if held, err := readSealed(s, k); err != nil {
					return nil, err
				} else if held != nil {
					return nil, privateHistory(recordType, key)
				}
			}
		}
		return nil, domain.NotFound(RuleRecordType, "key", "no %s record %q on channel %s", recordType, truncate(key), s.Channel())
	}
	out := make([]domain.HistoryItem, 0, len(hs))
	for _, h := range hs {
		rec := h.Value
		if domain.HasWords(recordType) && len(rec) > 0 { // each change's words, for whom may read them
			w, err := a.words(s, recordType, key, h.TxID, rec)
			if err != nil {
				return nil, err
			}
			if w != nil {
				if rec, err = domain.SayIn(recordType, rec, *w); err != nil {
					return nil, err
				}
			}
		}
		out = append(out, domain.HistoryItem{TxID: h.TxID, Time: h.Time.UTC().Format(time.RFC3339Nano), Record: rec})
	}
	if recordType == domain.TypeAgreement {
		if err := a.partiesInHistory(s, out); err != nil {
			return nil, err
		}
	}
	// Fabric returns newest first; the regulators' view reads oldest first.
	if len(out) > 1 && out[0].Time > out[len(out)-1].Time {
		for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
			out[i], out[j] = out[j], out[i]
		}
	}
	// A versioned record's history starts at version 1; one that starts
	// later was cut by a snapshot the answering peer joined from. An
	// application's public history starts at its notice (or registration):
	// its versions before are its private part's (docs/PRIVACY.md).
	var first struct {
		Version json.RawMessage `json:"version"`
	}
	if recordType != domain.TypeApplication && json.Unmarshal(out[0].Record, &first) == nil {
		if v, err := strconv.Atoi(string(first.Version)); err == nil && v > 1 {
			return nil, partialHistory(recordType, key, s.Channel(), fmt.Sprintf("its versions before %d", v))
		}
	}
	return out, nil
}

// RuleHistoryPartial refuses a history the answering peer holds only in
// part: it joined the channel from a ledger snapshot.
const RuleHistoryPartial = "DL-HISTORY-PARTIAL"

func partialHistory(recordType, key, channel, missing string) error {
	return domain.Partial(RuleHistoryPartial, "key", "the peer that answered joined channel %s from a snapshot and holds %s of the %s record %q: ask through a peer that holds the whole chain",
		channel, missing, recordType, truncate(key))
}

// privateHistory refuses the history of a record kept in the collection:
// Fabric keeps none of a collection's versions.
func privateHistory(recordType, key string) error {
	return domain.Invalid(domain.RulePrivateRead, "recordType", "%s %s is kept in the channel's private data collection, which keeps no history: a collection member's supervision index holds every version", recordType, truncate(key))
}

// partiesInHistory names, in every version of a development or
// product-use agreement's history, its grantor and grantee (which never
// change) for a caller who may read its terms: its public versions name
// none (the collection keeps no history of the rest of its terms).
func (a *App) partiesInHistory(s store.Store, items []domain.HistoryItem) error {
	var latest domain.Agreement
	if len(items) == 0 || json.Unmarshal(items[len(items)-1].Record, &latest) != nil || !latest.KeepsTerms() {
		return nil
	}
	if ok, err := a.mayReadPrivate(s, domain.TypeAgreement); err != nil || !ok {
		return err
	}
	whole, err := a.agreementWhole(s, &latest)
	if err != nil {
		return err
	}
	for i := range items {
		var v domain.Agreement
		if err := json.Unmarshal(items[i].Record, &v); err != nil {
			return err
		}
		v.GrantorCreditCode, v.GranteeCreditCode = whole.GrantorCreditCode, whole.GranteeCreditCode
		if items[i].Record, err = json.Marshal(&v); err != nil {
			return err
		}
	}
	return nil
}
