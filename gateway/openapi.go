package gateway

import (
	"net/http"
	"regexp"
	"strings"

	"github.com/gin-gonic/gin"
)

var ginParam = regexp.MustCompile(`:([A-Za-z]+)`)

// OpenAPI builds the OpenAPI 3 document from the route table, so the
// document and the router cannot disagree.
func (a *ACL) OpenAPI() map[string]any {
	paths := map[string]map[string]any{}
	problem := map[string]any{"description": "refused: an RFC 9457 problem document naming the rule and field",
		"content": map[string]any{"application/problem+json": map[string]any{"schema": map[string]any{"$ref": "#/components/schemas/Problem"}}}}
	for _, r := range a.Routes {
		p := ginParam.ReplaceAllString(r.Path, "{$1}")
		if paths[p] == nil {
			paths[p] = map[string]any{}
		}
		var params []map[string]any
		for _, m := range ginParam.FindAllStringSubmatch(r.Path, -1) {
			params = append(params, map[string]any{"name": m[1], "in": "path", "required": true, "schema": map[string]any{"type": "string"}})
		}
		for _, arg := range r.Args {
			if name, ok := strings.CutPrefix(arg, "query:"); ok {
				name, _, _ = strings.Cut(name, "=")
				params = append(params, map[string]any{"name": name, "in": "query", "schema": map[string]any{"type": "string"}})
			}
		}
		op := map[string]any{
			"summary":     r.Summary,
			"operationId": operationID(r),
			"x-roles":     r.Roles,
			"responses": map[string]any{
				"200": map[string]any{"description": "the record, list or verification as JSON"},
				"4XX": problem, "5XX": problem,
			},
		}
		if !r.Allows(RolePublic) {
			op["security"] = []map[string][]string{{"apiKey": {}}}
		}
		if len(params) > 0 {
			op["parameters"] = params
		}
		if r.Method == http.MethodPost || r.Method == http.MethodPut {
			op["requestBody"] = map[string]any{"content": map[string]any{"application/json": map[string]any{"schema": map[string]any{"type": "object"}}}}
		}
		paths[p][strings.ToLower(r.Method)] = op
	}
	return map[string]any{
		"openapi": "3.0.3",
		"info":    map[string]any{"title": "dataledger", "version": "1", "description": "Registry and notarization ledger for public-data authorized operation. Routes and roles come from gateway/acl.yaml."},
		"paths":   paths,
		"components": map[string]any{
			"securitySchemes": map[string]any{"apiKey": map[string]any{"type": "http", "scheme": "bearer"}},
			"schemas": map[string]any{"Problem": map[string]any{"type": "object", "properties": map[string]any{
				"type": map[string]string{"type": "string"}, "title": map[string]string{"type": "string"}, "status": map[string]string{"type": "integer"},
				"detail": map[string]string{"type": "string"}, "rule": map[string]string{"type": "string"}, "field": map[string]string{"type": "string"},
				"requestId": map[string]string{"type": "string"}}}},
		},
	}
}

func operationID(r Route) string {
	if r.Tx != "" {
		return r.Tx
	}
	return r.Handler
}

func (s *Server) openAPI(c *gin.Context) { c.JSON(http.StatusOK, s.acl.OpenAPI()) }
