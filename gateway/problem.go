package gateway

import (
	"context"
	"errors"
	"net/http"
	"regexp"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"dataledger/chaincode/domain"
	"dataledger/network"
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

// statusOf maps a refusal's kind to an HTTP status.
var statusOf = map[domain.Kind]int{
	domain.KindInvalid:   http.StatusUnprocessableEntity,
	domain.KindForbidden: http.StatusForbidden,
	domain.KindConflict:  http.StatusConflict,
	domain.KindNotFound:  http.StatusNotFound,
}

// ruleMessage reads "RULE: field: detail" (the chaincode's message form).
var ruleMessage = regexp.MustCompile(`^([A-Z]{2,8}-[A-Z0-9.-]+): (?:([A-Za-z0-9_.\[\]]+): )?(.*)$`)

// kindOfRule guesses the kind of a rule from its code when only the
// message crossed the network: ACL rules are forbidden, existence rules
// not found, uniqueness and transitions conflicts, the rest invalid.
func kindOfRule(rule string) domain.Kind {
	switch {
	case strings.HasPrefix(rule, "DL-ACL-"), rule == "DL-SIGNATURE", rule == "DL-KEY-STATUS", rule == "DL-KEY-WINDOW", rule == "DL-KEY-OWNER", rule == "DL-CHANNEL", rule == "DL-JURISDICTION", rule == "DL-SUBLICENSE", rule == "HB-21", rule == "DL-SELF-DEALING", rule == "GX-7.8", rule == "GD-25":
		return domain.KindForbidden
	case strings.HasSuffix(rule, "-EXISTS"), rule == "DL-KEY-UNKNOWN", rule == "DL-JURISDICTION-0", rule == "DL-CALENDAR-YEAR":
		return domain.KindNotFound
	case strings.HasSuffix(rule, "-UNIQUE"), strings.HasSuffix(rule, "-TRANSITION"), rule == "DL-STEP", rule == "DL-OBJECTION-CLOSED", rule == "DL-LISTING", rule == "DL-JURISDICTION-1":
		return domain.KindConflict
	}
	return domain.KindInvalid
}

// ProblemOf turns any error into a problem document: a domain refusal
// (local or from the chaincode) keeps its rule, kind and field; anything
// else is a 503 with Retry-After when it passes by itself (a node down, a
// deadline), otherwise a 502, with no internals in the detail.
func ProblemOf(err error) Problem {
	if re, ok := domain.AsRule(err); ok {
		return problemOfRule(re)
	}
	if msg := network.ChaincodeMessage(err); msg != "" {
		if m := ruleMessage.FindStringSubmatch(msg); m != nil {
			return problemOfRule(&domain.RuleError{Kind: kindOfRule(m[1]), Rule: m[1], Field: m[2], Detail: m[3]})
		}
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
	st, ok := statusOf[re.Kind]
	if !ok {
		st = http.StatusUnprocessableEntity
	}
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
	p.RequestID = c.GetString(ctxRequestID)
	c.Header("Content-Type", "application/problem+json")
	if p.Status == http.StatusServiceUnavailable {
		c.Header("Retry-After", strconv.Itoa(RetryAfterSeconds))
	}
	c.AbortWithStatusJSON(p.Status, p)
}
