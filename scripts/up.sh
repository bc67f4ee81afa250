#!/usr/bin/env bash
# Brings the whole dataledger system up on this machine and shows it working
# on sample data: builds the binaries (Fabric's too, cached after the first
# run), starts the network, deploys the chaincode on every channel, runs the
# demo, starts the supervision index and the gateway. Stop it with: bin/dataledger network down   (--purge deletes state)
set -euo pipefail
cd "$(dirname "$0")/.."
export GOTOOLCHAIN=go1.27.3 # the approved toolchain; Go 1.26 fetches it through the module proxy
bash scripts/deps.sh
echo "building dataledger binaries into bin/"
go build -o bin/ ./cmd/...
bin/dataledger network up
bin/dataledger index start   # the supervision index: every channel, audited, into PostgreSQL
# The province's gateway, and the exchange's as a second witness: each signs its own
# peer's chain heads and co-signs the other's, and bundles carry both signatures.
bin/dataledger gateway start --listen 127.0.0.1:8080 --exchange-org ExchangeMSP \
    --witness ProvinceMSP/witness --witness-peer http://127.0.0.1:8081
bin/dataledger gateway start --name gateway-exchange --listen 127.0.0.1:8081 --admin-listen 127.0.0.1:9092 --no-index \
    --public-org ExchangeMSP --witness ExchangeMSP/witness --witness-peer http://127.0.0.1:8080
bin/dataledger network demo
echo
echo "The network and the gateways (http://127.0.0.1:8080, the exchange's http://127.0.0.1:8081) keep running. Status: bin/dataledger network status"
echo "Stop it:  bin/dataledger network down        (state kept; up again resumes)"
echo "          bin/dataledger network down --purge (deletes ledgers and keys)"
