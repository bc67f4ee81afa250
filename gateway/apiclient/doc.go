// Package apiclient is a Go client of the gateway's HTTP API, generated
// by oapi-codegen from openapi.json: the document the gateway serves at
// /api/v1/openapi.json, committed here (a gateway test keeps the two
// equal). After a change to gateway/acl.yaml or gateway/schemas.go:
//
//	go test ./gateway -run TestCommittedOpenAPIIsServed -update-openapi
//	go generate ./gateway/apiclient
package apiclient

//go:generate go run github.com/oapi-codegen/oapi-codegen/v2/cmd/oapi-codegen@v2.8.2 -generate types,client,spec -package apiclient -o client.gen.go openapi.json
