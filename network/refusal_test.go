package network

import (
	"errors"
	"fmt"
	"testing"

	"github.com/hyperledger/fabric-protos-go-apiv2/gateway"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"dataledger/chaincode/domain"
)

// peerError is a gateway error as a peer sends it: a status whose
// details carry each endorser's message.
func peerError(code codes.Code, messages ...string) error {
	st := status.New(code, "failed to endorse transaction, see attached details for more info")
	for i, m := range messages {
		var err error
		if st, err = st.WithDetails(&gateway.ErrorDetail{Address: fmt.Sprintf("peer%d:7051", i), MspId: "CityAMSP", Message: m}); err != nil {
			panic(err)
		}
	}
	return fmt.Errorf("endorse error: %w", st.Err())
}

func TestRefusalReadsTheChaincodesWireForm(t *testing.T) {
	want := domain.Forbidden(domain.RuleOwnAuthority, "caller", "reserved to CityAMSP: 南宁市")
	err := refusal(peerError(codes.Aborted, "chaincode response 500, "+want.Wire()))
	var ce *ChaincodeError
	if !errors.As(err, &ce) || ce.Peer != "peer0:7051" || ce.MSP != "CityAMSP" {
		t.Fatalf("not a ChaincodeError naming the peer: %#v", err)
	}
	re, ok := domain.AsRule(err)
	if !ok || *re != *want {
		t.Fatalf("refusal %+v, want %+v", re, want)
	}
	if !domain.IsRule(err, domain.RuleOwnAuthority) || domain.AnswerOf(re).HTTP != 403 {
		t.Fatalf("IsRule or the answer table does not see the refusal: %v", err)
	}
	if _, ok := status.FromError(errors.Unwrap(errors.Unwrap(err))); !ok {
		t.Fatal("the gateway error is no longer reachable by unwrapping")
	}
}

func TestRefusalOfAnotherChaincodeMessageIsInternal(t *testing.T) {
	// The contract API's own refusal (not our wire form) and a Fabric
	// refusal inside the chaincode: deterministic, named, never transient.
	err := refusal(peerError(codes.Unknown, "evaluate call to endorser returned error: chaincode response 500, Incorrect number of params. Expected 3, received 2"))
	re, ok := domain.AsRule(err)
	if !ok || re.Kind != domain.KindInternal || re.Rule != domain.RuleInternal || re.Detail != "Incorrect number of params. Expected 3, received 2" {
		t.Fatalf("%+v", re)
	}
}

func TestRefusalLeavesTransportErrorsAlone(t *testing.T) {
	for _, in := range []error{
		errors.New("plain"),
		status.Error(codes.Unavailable, "connection refused"),
		peerError(codes.Aborted, "failed to execute transaction: could not launch chaincode dataledger_1.0: connection refused"),
	} {
		if out := refusal(in); out != in {
			t.Errorf("%v became %v", in, out)
		}
		if _, ok := domain.AsRule(refusal(in)); ok {
			t.Errorf("%v reads as a refusal", in)
		}
	}
	if refusal(nil) != nil {
		t.Fatal("nil")
	}
}
