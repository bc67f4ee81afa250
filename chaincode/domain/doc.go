// Package domain is dataledger's one domain model: record types, statuses,
// identifiers and every rule of the public-data authorized-operation regime,
// as plain Go over values. It imports neither Fabric nor HTTP; the chaincode,
// the gateway and the CLI are adapters around it.
package domain
