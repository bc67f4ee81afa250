#!/usr/bin/env bash
# Runs every test: vet and format checks, unit tests, then the integration
# tests against a real Fabric network that they start and stop themselves.
# Installs and builds what it needs; stops every process it started, also
# when a test fails.
set -euo pipefail
cd "$(dirname "$0")/.."
# The approved toolchain (go1.26.8's standard library has called vulnerabilities);
# a machine with Go 1.26 fetches it once through the module proxy.
export GOTOOLCHAIN=go1.27.3
bash scripts/deps.sh
go build -o bin/ ./cmd/...
bin/dataledger fabric build

# The integration network uses the demo's ports: stop a running demo
# (its state is kept; scripts/up.sh brings it back).
if [ -d .run/run ] && ls .run/run/*.pid >/dev/null 2>&1; then
  echo "stopping the demo network for the tests (state kept)"
  bin/dataledger network down
fi
cleanup() { bin/dataledger network down --home .run-it >/dev/null 2>&1 || true; }
trap cleanup EXIT

echo "== gofmt, go vet"
unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './.run*'))
if [ -n "$unformatted" ]; then echo "gofmt would change: $unformatted" >&2; exit 1; fi
go vet ./...

echo "== go mod tidy leaves go.mod and go.sum as committed"
cp go.mod /tmp/dataledger-go.mod.$$; cp go.sum /tmp/dataledger-go.sum.$$
go mod tidy
if ! cmp -s go.mod /tmp/dataledger-go.mod.$$ || ! cmp -s go.sum /tmp/dataledger-go.sum.$$; then
  diff -u /tmp/dataledger-go.mod.$$ go.mod >&2 || true
  cp /tmp/dataledger-go.mod.$$ go.mod; cp /tmp/dataledger-go.sum.$$ go.sum
  echo "go mod tidy changes go.mod/go.sum: run it and commit the result" >&2; exit 1
fi
rm -f /tmp/dataledger-go.mod.$$ /tmp/dataledger-go.sum.$$

# vuln.go.dev is not reachable from CI; the database module is served by the
# module proxy, and govulncheck reads a directory of OSV files as its database.
# Fails on any called vulnerability. Raise the pin to scan against newer reports.
VULNDB_VERSION=v0.0.0-20261105234957-e22db6528018
echo "== govulncheck (offline database: golang.org/x/vulndb@$VULNDB_VERSION data/osv)"
vulndb=$(go mod download -json "golang.org/x/vulndb@$VULNDB_VERSION" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')
[ -d "$vulndb/data/osv" ] || { echo "golang.org/x/vulndb@$VULNDB_VERSION has no data/osv" >&2; exit 1; }
go run golang.org/x/vuln/cmd/govulncheck@v1.9.0 -db "file://$vulndb/data/osv" ./...

echo "== unit tests"
go test -count=1 $(go list ./... | grep -v /integration)

echo "== integration tests (real network)"
go test -count=1 -timeout 30m -v ./integration/ 2>&1 | tee integration-test.log
