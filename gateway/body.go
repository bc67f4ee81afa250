package gateway

import (
	"bytes"
	"io"
	"net/http"

	"github.com/gin-gonic/gin"

	"dataledger/chaincode/domain"
	"dataledger/internal/strictjson"
)

// readBody is the request's body, read once (within MaxBodyBytes) for
// every middleware and handler that needs it: later calls get the same
// bytes, and the body is put back for whoever reads it next. A body over
// the limit is refused (413, naming what it is) and ok is false.
func readBody(c *gin.Context, what string) (body []byte, ok bool) {
	if b, read := c.Get(ctxBody); read {
		body = b.([]byte)
	} else {
		var err error
		if body, err = io.ReadAll(c.Request.Body); err != nil {
			abort(c, fail(http.StatusRequestEntityTooLarge, "the "+what+" is larger than the limit"))
			return nil, false
		}
		c.Set(ctxBody, body)
	}
	c.Request.Body = io.NopCloser(bytes.NewReader(body))
	return body, true
}

// checkMembers refuses a request body (or a document inside one, under
// prefix) whose JSON names a member twice in one object, or names a
// member of v's type but for case: Go's decoder would take the last or
// the case-folded one, where the chaincode, a verifier or a JSON schema
// reads another. The refusal is DL-JSON-MEMBER (422) at the member's
// path. v is what the body decodes into (nil: duplicates only). Syntax
// errors are left to the decoder that follows, to report as before.
func checkMembers(body []byte, v any, prefix string) error {
	me, ok := strictjson.As(strictjson.Check(body, v))
	if !ok {
		return nil
	}
	field := me.Path
	if prefix != "" {
		field = prefix + "." + me.Path
	}
	return domain.Invalid(domain.RuleJSONMember, field, "%s", me.Detail)
}
