package gateway

import (
	"dataledger/chaincode/domain"
	"dataledger/internal/strictjson"
)

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
