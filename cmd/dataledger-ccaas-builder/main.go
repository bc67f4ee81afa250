// Command dataledger-ccaas-builder is the peer's external chaincode builder
// for chaincode run as a service. The network installs it as bin/detect,
// bin/build and bin/release; it acts by the name it is called under.
package main

import (
	"fmt"
	"os"
	"path/filepath"

	"dataledger/network/ccaas"
)

func main() {
	var err error
	args := os.Args[1:]
	switch name := filepath.Base(os.Args[0]); {
	case name == "detect" && len(args) == 2:
		err = ccaas.Detect(args[1])
	case name == "build" && len(args) == 3:
		err = ccaas.Build(args[0], args[2])
	case name == "release" && len(args) == 2:
		err = ccaas.Release(args[0], args[1])
	default:
		err = fmt.Errorf("called as %q with %d arguments: install me as bin/detect, bin/build and bin/release", name, len(args))
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "dataledger-ccaas-builder:", err)
		os.Exit(1)
	}
}
