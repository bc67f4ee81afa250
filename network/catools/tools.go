//go:build tools

// Package catools exists only so `go mod tidy` records the Fabric CA
// commands we build; see network/fabricbin for the build step.
package catools

import (
	_ "github.com/hyperledger/fabric-ca/cmd/fabric-ca-client"
	_ "github.com/hyperledger/fabric-ca/cmd/fabric-ca-server"
)
