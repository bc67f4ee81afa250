package network

import (
	"errors"
	"fmt"
	"strings"

	"github.com/hyperledger/fabric-gateway/pkg/client"
	"github.com/hyperledger/fabric-protos-go-apiv2/gateway"
	"google.golang.org/grpc/status"

	"dataledger/chaincode/domain"
)

// ChaincodeError is a transaction the chaincode refused: the refusal as
// the chaincode returned it (domain.ParseWire), with the transaction and
// the peer that answered. It unwraps to the *domain.RuleError, so callers
// use domain.AsRule (or errors.As), and to the fabric-gateway error.
type ChaincodeError struct {
	TxID    string // empty for an evaluation
	Peer    string // the answering peer's address
	MSP     string
	Refusal *domain.RuleError
	err     error
}

func (e *ChaincodeError) Error() string {
	where := "peer " + e.Peer
	if e.TxID != "" {
		where = "tx " + e.TxID + ", " + where
	}
	return fmt.Sprintf("%s (%s)", e.Refusal.Error(), where)
}

// Unwrap gives the refusal and the gateway's error.
func (e *ChaincodeError) Unwrap() []error { return []error{e.Refusal, e.err} }

// chaincodeResponse is how a peer reports a chaincode's error response in
// its error detail ("chaincode response 500, <message>").
const chaincodeResponse = "chaincode response "

// refusal turns a fabric-gateway error whose detail carries a chaincode
// error response into a *ChaincodeError: the chaincode's wire form when
// it is ours, otherwise (the contract API's own refusals, such as a wrong
// argument count) an internal refusal with the peer's message. Any other
// error (a node down, a deadline) is returned as it is.
func refusal(err error) error {
	if err == nil {
		return nil
	}
	var ce *ChaincodeError
	if errors.As(err, &ce) {
		return err
	}
	st, ok := status.FromError(err)
	for e := err; !ok && e != nil; e = errors.Unwrap(e) {
		st, ok = status.FromError(e)
	}
	if !ok {
		return err
	}
	txID := ""
	var te *client.TransactionError
	if errors.As(err, &te) {
		txID = te.TransactionID
	}
	for _, d := range st.Details() {
		ed, ok := d.(*gateway.ErrorDetail)
		if !ok {
			continue
		}
		msg := ed.GetMessage()
		i := strings.Index(msg, chaincodeResponse)
		if i < 0 {
			continue
		}
		msg = msg[i+len(chaincodeResponse):]
		if j := strings.Index(msg, ", "); j >= 0 {
			msg = msg[j+2:]
		}
		re, ok := domain.ParseWire(msg)
		if !ok {
			re = &domain.RuleError{Kind: domain.KindInternal, Rule: domain.RuleInternal, Detail: msg}
		}
		return &ChaincodeError{TxID: txID, Peer: ed.GetAddress(), MSP: ed.GetMspId(), Refusal: re, err: err}
	}
	return err
}
