//go:build tools

// Package fabrictools exists only so `go mod tidy` records the Fabric
// commands we build; see network/fabricbin for the build step.
package fabrictools

import (
	_ "github.com/hyperledger/fabric/cmd/configtxgen"
	_ "github.com/hyperledger/fabric/cmd/orderer"
	_ "github.com/hyperledger/fabric/cmd/osnadmin"
	_ "github.com/hyperledger/fabric/cmd/peer"
)
