package gateway

import (
	"context"
	"errors"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"dataledger/chaincode/domain"
)

// Problem is an RFC 9457 problem document with the refusing rule and
// field, as the chaincode named them.
type Problem struct {
	Type      string `json:"type"`
	Title     string `json:"title"`
	Status    int    `json:"status"`
	Detail    string `json:"detail,omitempty"`
	Rule      string `json:"rule,omitempty"`
	Field     string `json:"field,omitempty"`
	RequestID string `json:"requestId,omitempty"`
}

// ProblemOf turns any error into a problem document: a domain refusal
// (local or from the chaincode) keeps its rule, kind and field; an
// internal failure of the chaincode is a 500 naming DL-INTERNAL whose
// detail (Fabric's or the shim's words) stays in the gateway's log;
// anything else is a 503 with Retry-After when it passes by itself (a
// node down, a deadline), otherwise a 502, with no internals in the detail.
func ProblemOf(err error) Problem {
	if re, ok := domain.AsRule(err); ok { // the gateway's own domain checks, or the chaincode's (network.ChaincodeError)
		if re.Kind == domain.KindInternal {
			return Problem{Type: "https://dataledger.local/rules/" + re.Rule, Title: "the chaincode failed", Status: domain.AnswerOf(re).HTTP, Rule: re.Rule,
				Detail: "the chaincode could not complete the request for a reason that is not a rule of the ledger; the gateway's log has it under this request ID"}
		}
		return problemOfRule(re)
	}
	var he *httpError
	if errors.As(err, &he) {
		return Problem{Type: "about:blank", Title: http.StatusText(he.status), Status: he.status, Detail: he.detail, Rule: he.rule, Field: he.field}
	}
	if transient(err) {
		return Problem{Type: "about:blank", Title: "the ledger is unavailable", Status: http.StatusServiceUnavailable,
			Detail: "no peer of the channel could run the request now (a node or chaincode server is down or overloaded); retry after the Retry-After seconds"}
	}
	return Problem{Type: "about:blank", Title: "the ledger did not answer", Status: http.StatusBadGateway,
		Detail: "the Fabric network could not complete the request; retry later"}
}

// RetryAfterSeconds is what a 503 asks callers to wait.
const RetryAfterSeconds = 5

// transient tells a failure that passes by itself (a peer, orderer or
// chaincode server unreachable, a deadline, an overload) from one that
// does not.
func transient(err error) bool {
	if errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	for e := err; e != nil; e = errors.Unwrap(e) {
		if st, ok := status.FromError(e); ok {
			switch st.Code() {
			case codes.Unavailable, codes.DeadlineExceeded, codes.Aborted, codes.ResourceExhausted:
				return true
			}
			return false
		}
	}
	return false
}

func problemOfRule(re *domain.RuleError) Problem {
	st := domain.AnswerOf(re).HTTP
	return Problem{Type: "https://dataledger.local/rules/" + re.Rule, Title: re.Rule, Status: st, Detail: re.Detail, Rule: re.Rule, Field: re.Field}
}

// httpError is a refusal by the gateway itself (auth, size, route).
type httpError struct {
	status      int
	detail      string
	rule, field string // set when a rule of the gateway's own refuses
}

func (e *httpError) Error() string { return e.detail }

func fail(status int, detail string) error { return &httpError{status: status, detail: detail} }

// refuse is fail naming the gateway's rule and the field it is about.
func refuse(status int, rule, field, detail string) error {
	return &httpError{status: status, detail: detail, rule: rule, field: field}
}

// abort writes err as a problem document and stops the handler chain.
func abort(c *gin.Context, err error) {
	p := ProblemOf(err)
	if p.Status >= 500 {
		_ = c.Error(err) // logRequests writes it with the request ID
	}
	p.RequestID = c.GetString(ctxRequestID)
	c.Header("Content-Type", "application/problem+json")
	if p.Status == http.StatusServiceUnavailable {
		c.Header("Retry-After", strconv.Itoa(RetryAfterSeconds))
	}
	c.AbortWithStatusJSON(p.Status, p)
}
