package gateway

import (
	"encoding/json"
	"net/http"
	"reflect"
	"strings"

	"github.com/gin-gonic/gin"

	"dataledger/chaincode/domain"
)

// numberPrefixes are the kinds of numbers a route may locate a channel by.
var numberPrefixes = domain.NumberPrefixes()

// txHandler serves a route that names a chaincode function: it finds the
// channel, gathers the arguments as the table says, evaluates or submits
// with the caller's own organization, and answers the chaincode's JSON
// (writes add the chain reference).
func (s *Server) txHandler(route Route) gin.HandlerFunc {
	types, _ := operationTypesOf(route)
	var bodyType reflect.Type // what the body decodes into: the members it may name
	if _, several := types.Body.(oneOf); types.Body != nil && !several {
		bodyType = reflect.TypeOf(types.Body)
	}
	return func(c *gin.Context) {
		channel, err := s.routeChannel(c, route.Channel)
		if err != nil {
			abort(c, err)
			return
		}
		var body map[string]json.RawMessage
		var raw []byte
		args := make([]string, 0, len(route.Args))
		for _, src := range route.Args {
			kind, name, _ := strings.Cut(src, ":")
			switch kind {
			case "param":
				args = append(args, c.Param(name))
			case "query":
				key, def, _ := strings.Cut(name, "=")
				args = append(args, c.DefaultQuery(key, def))
			case "body":
				if raw == nil {
					var ok bool
					if raw, ok = readBody(c, "body"); !ok {
						return
					}
					if err := checkMembers(raw, bodyType, ""); err != nil {
						abort(c, err)
						return
					}
				}
				if name == "" {
					args = append(args, string(raw))
					continue
				}
				if body == nil {
					if err := json.Unmarshal(raw, &body); err != nil {
						abort(c, domain.Invalid("DL-JSON", "body", "is not a JSON object: %v", err))
						return
					}
				}
				args = append(args, fieldArg(body[name]))
			}
		}
		if err := onlyNamedMembers(body, route.Args); err != nil {
			abort(c, err)
			return
		}
		if !route.Submit {
			out, err := s.ledger.Evaluate(c.Request.Context(), identity(c), channel, route.Tx, args...)
			if err != nil {
				abort(c, err)
				return
			}
			c.Data(http.StatusOK, "application/json", out)
			return
		}
		res, err := s.ledger.Submit(c.Request.Context(), identity(c), channel, route.Tx, args...)
		if err != nil {
			abort(c, err)
			return
		}
		status := http.StatusOK
		if route.Creates {
			status = http.StatusCreated
		}
		c.JSON(status, written(res))
	}
}

// onlyNamedMembers refuses body members the route does not take, so a
// misspelled field is an error, not a silent blank.
func onlyNamedMembers(body map[string]json.RawMessage, args []string) error {
	for member := range body {
		if !contains(args, "body:"+member) {
			return domain.Invalid("DL-JSON", member, "is not a member of this request (it takes %v)", args)
		}
	}
	return nil
}

// fieldArg passes a JSON string field as its text and anything else
// (objects, arrays) as JSON; an absent field is "".
func fieldArg(v json.RawMessage) string {
	var s string
	if len(v) == 0 {
		return ""
	}
	if json.Unmarshal(v, &s) == nil {
		return s
	}
	return string(v)
}

func (s *Server) routeChannel(c *gin.Context, source string) (string, error) {
	kind, name, _ := strings.Cut(source, ":")
	if kind == "number" {
		ch, _, err := s.channelOfNumber(c.Param(name), numberPrefixes...)
		return ch, err
	}
	ch := c.Param(name)
	if !s.ledger.HasChannel(ch) {
		return "", domain.NotFound(domain.RuleChannelUnknown, name, "no channel %q", truncate(ch))
	}
	return ch, nil
}
