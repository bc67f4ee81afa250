// Package depcheck holds only a test: the packages anyone embeds or runs
// outside the peer (the offline proof verifier, the gateway, the CLI)
// must not link the chaincode, the Fabric shim or contractapi. They share
// the chaincode's record schema through chaincode/domain instead.
package depcheck
