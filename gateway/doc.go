// Package gateway is dataledger's HTTP service (gin) in front of the
// Fabric network: it authenticates callers by API key, enforces the
// route × role table (acl.yaml, default deny), submits with the identity
// of the caller's own organization, and answers errors as RFC 9457
// problem documents that carry the chaincode's rule code.
package gateway
