package gateway

import (
	"encoding/json"
	"net/http"
	"testing"

	"dataledger/chaincode/domain"
)

// A credential whose agreement ended reads authorization-ended without a version of
// its own; the public timeline ends with the agreement's ending, as the
// verification answer says, not with the last stored version.
func TestTimelineEndsWithTheAgreementsEnding(t *testing.T) {
	hs := newHarness(t)
	issued := domain.Change{TxID: "t1", Time: "2026-03-02T01:00:00Z", Action: "issue", Actor: domain.Actor{MSP: "CityAMSP"}}
	stored := domain.CredentialRecord{Number: credNumber, Status: domain.CredentialValid, AgreementNumber: "XY", Issued: issued, Last: issued, Version: 1}
	rec, _ := json.Marshal(stored)
	hist, _ := json.Marshal([]domain.HistoryItem{{TxID: "t1", Time: issued.Time, Record: rec}})
	ended := domain.Change{TxID: "t2", Time: "2026-04-01T01:00:00Z", Action: "terminate", Reason: "企业申请终止", Actor: domain.Actor{MSP: "CityAMSP"}}
	standing := stored
	standing.Status, standing.StatusReason, standing.Last = domain.CredentialAuthorizationEnded, "authorization ended with its agreement: XY terminated", ended
	now, _ := json.Marshal(standing)
	hs.ledger.answers = map[string][]byte{"History": hist, "GetCredential": now}
	w := hs.do(http.MethodGet, "/api/v1/verify/"+credNumber+"/timeline", RolePublic, "")
	var tl []TimelineEntry
	if err := json.Unmarshal(w.Body.Bytes(), &tl); err != nil || w.Code != http.StatusOK {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
	if len(tl) != 2 || tl[1].TxID != "t2" || tl[1].Status != domain.CredentialAuthorizationEnded || tl[1].Action != "terminate" {
		t.Fatalf("timeline %+v", tl)
	}
	hs = newHarness(t) // a credential in force (a fresh gateway: nothing cached): nothing to add
	hs.ledger.answers = map[string][]byte{"History": hist, "GetCredential": rec}
	w = hs.do(http.MethodGet, "/api/v1/verify/"+credNumber+"/timeline", RolePublic, "")
	if err := json.Unmarshal(w.Body.Bytes(), &tl); err != nil || len(tl) != 1 {
		t.Fatalf("timeline of a credential in force: %s", w.Body)
	}
}
