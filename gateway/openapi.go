package gateway

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"unicode"

	"github.com/gin-gonic/gin"
	"github.com/invopop/jsonschema"

	"dataledger/certs"
	"dataledger/chaincode/domain"
	"dataledger/proof"
)

var ginParam = regexp.MustCompile(`[:*]([A-Za-z]+)`)

// operationTypesOf finds a route's entry in the schema table.
func operationTypesOf(r Route) (operationTypes, bool) {
	if r.Tx != "" {
		t, ok := txTypes[r.Tx]
		return t, ok
	}
	t, ok := handlerTypes[r.Handler]
	return t, ok
}

// OpenAPI builds the OpenAPI 3 document from the route table and the
// schema table (schemas.go), so the document and the router cannot
// disagree: every body and answer schema is reflected from the Go type
// the route reads or writes, every refusal is a Problem.
func (a *ACL) OpenAPI() (map[string]any, error) {
	s := newSchemaSet()
	problem := map[string]any{"$ref": "#/components/responses/Problem"}
	paths := map[string]map[string]any{}
	ids := operationIDs(a.Routes)
	for _, r := range a.Routes {
		types, ok := operationTypesOf(r)
		if !ok {
			return nil, fmt.Errorf("openapi: %s %s: %s has no entry in the schema table (gateway/schemas.go)", r.Method, r.Path, operationID(r))
		}
		p := ginParam.ReplaceAllString(r.Path, "{$1}")
		if paths[p] == nil {
			paths[p] = map[string]any{}
		}
		op := map[string]any{
			"summary":     r.Summary,
			"operationId": ids[r.Method+" "+r.Path],
			"x-roles":     r.Roles,
		}
		if r.Tx != "" {
			op["x-transaction"] = r.Tx
		}
		if params := parameters(r, types); len(params) > 0 {
			op["parameters"] = params
		}
		if r.Allows(RolePublic) {
			op["security"] = []map[string][]string{{}, {"apiKey": {}}} // a key is optional
		} else {
			op["security"] = []map[string][]string{{"apiKey": {}}}
		}
		if types.Body != nil {
			op["requestBody"] = map[string]any{"required": true,
				"content": map[string]any{"application/json": map[string]any{"schema": s.schema(types.Body)}}}
		}
		status, answer := successOf(r, types)
		content := map[string]any{}
		switch {
		case types.Answer == nil:
			for _, m := range types.Media {
				sch := map[string]any{"type": "string"}
				if !strings.HasPrefix(m, "text/") {
					sch["format"] = "binary"
				}
				content[m] = map[string]any{"schema": sch}
			}
		default:
			content["application/json"] = map[string]any{"schema": s.schema(types.Answer)}
		}
		op["responses"] = map[string]any{
			strconv.Itoa(status): map[string]any{"description": answer, "content": content},
			"4XX":                problem, "5XX": problem,
		}
		paths[p][strings.ToLower(r.Method)] = op
	}
	s.refine()
	if s.err != nil {
		return nil, s.err
	}
	s.prune(paths)
	return map[string]any{
		"openapi": "3.0.3",
		"info": map[string]any{"title": "dataledger", "version": "1", "description": "Registry and notarization ledger for public-data authorized operation. " +
			"Routes and roles come from gateway/acl.yaml, request and answer schemas from the Go types of gateway/schemas.go. " +
			"Every refusal is an RFC 9457 problem document (application/problem+json) naming the rule and field."},
		"paths": paths,
		"components": map[string]any{
			"securitySchemes": map[string]any{"apiKey": map[string]any{"type": "http", "scheme": "bearer", "description": "an API key (dlk_…) issued by the gateway's operator"}},
			"responses": map[string]any{"Problem": map[string]any{
				"description": "refused: an RFC 9457 problem document naming the rule and field",
				"content":     map[string]any{"application/problem+json": map[string]any{"schema": s.schema(Problem{})}}}},
			"schemas": s.components,
		},
	}, nil
}

// OpenAPIJSON is the document as the gateway serves it (and as
// gateway/testdata/openapi.json commits it for client generation).
func (a *ACL) OpenAPIJSON() ([]byte, error) {
	doc, err := a.OpenAPI()
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// successOf is a route's success status and its description.
func successOf(r Route, t operationTypes) (int, string) {
	switch {
	case r.Tx != "" && r.Creates:
		return http.StatusCreated, "created: the record and the chain reference of the transaction that wrote it"
	case r.Tx != "" && r.Submit:
		return http.StatusOK, "committed: the record and the chain reference of the transaction that wrote it"
	case t.Status == http.StatusAccepted:
		return t.Status, "accepted: done later (its outcome is read elsewhere)"
	case t.Status == http.StatusCreated && !r.Submit:
		return t.Status, "created"
	case t.Status != 0:
		return t.Status, "committed"
	case r.Tx != "":
		return http.StatusOK, "the chaincode's answer"
	}
	return http.StatusOK, "the answer"
}

func parameters(r Route, t operationTypes) []map[string]any {
	var params []map[string]any
	for _, m := range ginParam.FindAllStringSubmatch(r.Path, -1) {
		params = append(params, map[string]any{"name": m[1], "in": "path", "required": true, "schema": map[string]any{"type": "string"}})
	}
	query := map[string]queryParameter{}
	for _, q := range t.Query {
		query[q.Name] = q
	}
	for _, arg := range r.Args {
		spec, ok := strings.CutPrefix(arg, "query:")
		if !ok {
			continue
		}
		name, def, hasDefault := strings.Cut(spec, "=")
		q := query[name]
		delete(query, name)
		sch := q.Schema
		switch {
		case sch != nil:
		case name == "pageSize":
			sch = map[string]any{"type": "integer", "minimum": 1, "maximum": domain.MaxPageSize}
			q.Description = "items per page"
		case name == "bookmark":
			sch = map[string]any{"type": "string"}
			q.Description = "the bookmark of the previous page (absent: the first page)"
		default:
			sch = map[string]any{"type": "string"}
		}
		if hasDefault {
			sch = withDefault(sch, def)
		}
		p := map[string]any{"name": name, "in": "query", "schema": sch}
		if q.Description != "" {
			p["description"] = q.Description
		}
		params = append(params, p)
	}
	for _, q := range t.Query { // a named handler's own query parameters
		if _, unused := query[q.Name]; unused {
			sch := q.Schema
			if sch == nil {
				sch = map[string]any{"type": "string"}
			}
			params = append(params, map[string]any{"name": q.Name, "in": "query", "schema": sch, "description": q.Description})
		}
	}
	headers := t.Header
	if r.Submit && r.Tx != "" {
		headers = append([]headerParameter{idempotencyKey}, headers...)
	}
	for _, h := range headers {
		params = append(params, map[string]any{"name": h.Name, "in": "header", "description": h.Description,
			"schema": map[string]any{"type": "string", "maxLength": 128}})
	}
	return params
}

func withDefault(sch map[string]any, def string) map[string]any {
	out := map[string]any{}
	for k, v := range sch {
		out[k] = v
	}
	if out["type"] == "integer" {
		if n, err := strconv.Atoi(def); err == nil {
			out["default"] = n
			return out
		}
	}
	out["default"] = def
	return out
}

// operationIDs names each route's operation: its transaction, or its
// handler (exported, as generated clients spell it), followed by the
// route's first path word when several routes share the handler
// (proofBundle serves five kinds of record).
func operationIDs(routes []Route) map[string]string {
	uses := map[string]int{}
	for _, r := range routes {
		uses[operationID(r)]++
	}
	ids := map[string]string{}
	for _, r := range routes {
		id := exported(operationID(r))
		if uses[operationID(r)] > 1 {
			for _, seg := range strings.Split(r.Path, "/") {
				if seg != "" && seg != "api" && seg != "v1" && !strings.ContainsAny(seg, ":*") {
					id += exported(seg)
					break
				}
			}
		}
		ids[r.Method+" "+r.Path] = id
	}
	return ids
}

func exported(s string) string {
	var b strings.Builder
	up := true
	for _, c := range s {
		if c == '-' || c == '_' {
			up = true
			continue
		}
		if up {
			c = unicode.ToUpper(c)
		}
		up = false
		b.WriteRune(c)
	}
	return b.String()
}

func operationID(r Route) string {
	if r.Tx != "" {
		return r.Tx
	}
	return r.Handler
}

func (s *Server) openAPI(c *gin.Context) {
	c.Data(http.StatusOK, "application/json; charset=utf-8", s.openapi)
}

// schemaSet reflects Go types into the document's component schemas
// (JSON Schema by invopop/jsonschema, held to OpenAPI 3.0's dialect).
type schemaSet struct {
	r          *jsonschema.Reflector
	components map[string]any
	names      map[string]reflect.Type
	err        error
}

func newSchemaSet() *schemaSet {
	s := &schemaSet{components: map[string]any{}, names: map[string]reflect.Type{}}
	s.r = &jsonschema.Reflector{Anonymous: true, Namer: s.name}
	return s
}

// name is a type's component name: its Go name, with a generic type's
// argument in front (domain.Page[domain.Party] is PartyPage). Two types
// of one name are an error, not a silent overwrite.
func (s *schemaSet) name(t reflect.Type) string {
	name := t.Name()
	if base, args, ok := strings.Cut(name, "["); ok {
		args = strings.TrimSuffix(args, "]")
		if strings.Contains(args, ",") {
			name = base
		} else {
			name = args[strings.LastIndexAny(args, "./")+1:] + base
		}
	}
	if name == "" {
		return ""
	}
	if prev, ok := s.names[name]; ok && prev != t && s.err == nil {
		s.err = fmt.Errorf("openapi: %s and %s would both be schema %s", prev, t, name)
	}
	s.names[name] = t
	return name
}

// nameOf is the component name of v's type (reflecting it if needed).
func (s *schemaSet) nameOf(v any) string {
	s.schema(v)
	return s.name(reflect.TypeOf(v))
}

// schema is the schema of v's type: a reference to its component, or an
// array of them, or oneOf several.
func (s *schemaSet) schema(v any) map[string]any {
	if alts, ok := v.(oneOf); ok {
		var refs []any
		for _, alt := range alts.Types {
			refs = append(refs, s.schema(alt))
		}
		s.components[alts.Name] = map[string]any{"oneOf": refs, "description": alts.Description}
		return map[string]any{"$ref": "#/components/schemas/" + alts.Name}
	}
	root := s.r.Reflect(v)
	b, err := json.Marshal(root)
	if err != nil {
		s.err = err
		return nil
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		s.err = err
		return nil
	}
	defs, _ := m["$defs"].(map[string]any)
	for name, def := range defs {
		if _, done := s.components[name]; !done { // refined schemas stay refined
			s.components[name] = openAPI30(def)
		}
	}
	delete(m, "$defs")
	delete(m, "$schema")
	delete(m, "$id")
	return openAPI30(m).(map[string]any)
}

// prune drops the component schemas nothing refers to (reflected with a
// type, then refined away), as generators would.
func (s *schemaSet) prune(paths any) {
	used := map[string]bool{}
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, val := range x {
				if ref, ok := val.(string); ok && k == "$ref" {
					if name, ok := strings.CutPrefix(ref, "#/components/schemas/"); ok && !used[name] {
						used[name] = true
						walk(s.components[name])
					}
					continue
				}
				walk(val)
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		case []map[string]any:
			for _, e := range x {
				walk(e)
			}
		case map[string]map[string]any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	walk(paths)
	walk(s.components[s.nameOf(Problem{})])
	used[s.nameOf(Problem{})] = true
	for name := range s.components {
		if !used[name] {
			delete(s.components, name)
		}
	}
}

// openAPI30 turns reflected JSON Schema into OpenAPI 3.0's dialect:
// references into components, the schema "true" (json.RawMessage: any
// JSON) into {}, base64 bytes into format byte.
func openAPI30(v any) any {
	switch x := v.(type) {
	case bool:
		if x {
			return map[string]any{}
		}
		return map[string]any{"not": map[string]any{}}
	case map[string]any:
		out := map[string]any{}
		for k, val := range x {
			switch k {
			case "$ref":
				out[k] = strings.Replace(val.(string), "#/$defs/", "#/components/schemas/", 1)
			case "additionalProperties":
				if b, ok := val.(bool); ok {
					out[k] = b // false: no other members (the decoders refuse them)
				} else {
					out[k] = openAPI30(val)
				}
			case "contentEncoding":
				if val == "base64" {
					out["format"] = "byte"
				}
			case "properties":
				props := map[string]any{}
				for name, p := range val.(map[string]any) {
					props[name] = openAPI30(p)
				}
				out[k] = props
			default:
				out[k] = openAPI30(val)
			}
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = openAPI30(e)
		}
		return out
	}
	return v
}

// refine states what the Go types leave open: the members that carry
// JSON of a known shape as json.RawMessage, and the fixed document types.
func (s *schemaSet) refine() {
	ref := func(v any) map[string]any { return map[string]any{"$ref": "#/components/schemas/" + s.nameOf(v)} }
	set := func(owner any, member string, sch map[string]any) {
		c, _ := s.components[s.nameOf(owner)].(map[string]any)
		props, _ := c["properties"].(map[string]any)
		if _, ok := props[member]; !ok {
			if s.err == nil {
				s.err = fmt.Errorf("openapi: refining %s.%s, which it does not have", s.nameOf(owner), member)
			}
			return
		}
		props[member] = sch
	}
	credential, certificate := ref(domain.Credential{}), ref(domain.Certificate{})
	signed := map[string]any{"oneOf": []any{credential, certificate}}
	set(domain.Credential{}, "docType", map[string]any{"type": "string", "enum": []string{domain.DocTypeCredential}})
	set(domain.Certificate{}, "docType", map[string]any{"type": "string", "enum": []string{domain.DocTypeCertificate}})
	set(domain.Credential{}, "signature", ref(certs.Signature{}))
	set(domain.Certificate{}, "signature", ref(certs.Signature{}))
	set(domain.CredentialRecord{}, "document", describe(credential, "the signed credential, canonical"))
	set(domain.CertificateRecord{}, "document", describe(certificate, "the signed certificate, canonical"))
	set(VerifyResponse{}, "record", describe(map[string]any{"oneOf": []any{ref(domain.CredentialRecord{}), ref(domain.CertificateRecord{})}},
		"the credential or certificate record, when it is on the ledger"))
	set(IssueRequest{}, "document", describe(credential, "the credential signed offline (certs envelope)"))
	set(proof.Bundle{}, "document", describe(signed, "the signed credential or certificate, for those kinds"))
	set(proof.Bundle{}, "links", describe(map[string]any{"type": "array", "items": ref(proof.Inclusion{})},
		"credentials and certificates: the latest version of every record their status derives from, each as the transaction that last wrote it"))
	set(proof.Bundle{}, "at", map[string]any{"type": "string", "description": "credentials and certificates: the time their status is derived for (RFC 3339)"})
	set(proof.Report{}, "statusNote", map[string]any{"type": "string", "description": "what the derived status is as of: the records as the bundle's blocks hold them"})
	set(domain.HistoryItem{}, "record", map[string]any{"description": "the record as this transaction wrote it"})
	set(AuditAnswer{}, "checkpoint", map[string]any{"nullable": true, "description": "always null: the gateway keeps its checkpoints"})

	// A certificate to register: the gateway sets its docType, chain
	// reference, issuer key and signature, so the caller may leave them out.
	draft := map[string]any{}
	for k, v := range s.components[s.nameOf(domain.Certificate{})].(map[string]any) {
		draft[k] = v
	}
	var req []string
	for _, f := range draft["required"].([]any) {
		if f != "docType" && f != "chainReference" && f != "issuerKeyId" {
			req = append(req, f.(string))
		}
	}
	sort.Strings(req)
	props := map[string]any{}
	for k, v := range draft["properties"].(map[string]any) {
		props[k] = v
	}
	props["docType"] = map[string]any{"type": "string", "enum": []string{domain.DocTypeCertificate}}
	draft["properties"], draft["required"] = props, req
	draft["description"] = "a certificate to register: the gateway sets docType, chainReference, issuerKeyId and signature"
	s.components["CertificateDraft"] = draft
	set(RegisterRequest{}, "certificate", map[string]any{"$ref": "#/components/schemas/CertificateDraft"})
}

func describe(sch map[string]any, d string) map[string]any {
	if _, isRef := sch["$ref"]; isRef {
		return sch // OpenAPI 3.0 ignores a reference's siblings (and an allOf of one would be a type of its own in generated clients)
	}
	out := map[string]any{"description": d}
	for k, v := range sch {
		out[k] = v
	}
	return out
}
