package integration

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestZZLogsHoldNoSecrets runs last (files run in name order): it scans
// every log the run wrote — each node, each chaincode server, the gateway
// processes the benchmark started and every in-process gateway of the
// tests — for API keys, private keys and the keystore passphrase.
func TestZZLogsHoldNoSecrets(t *testing.T) {
	logs, err := filepath.Glob(filepath.Join(home, "logs", "*.log"))
	if err != nil || len(logs) < 11 {
		t.Fatalf("found %d logs (%v)", len(logs), err)
	}
	secrets := map[string]*regexp.Regexp{
		"an API key":              regexp.MustCompile(`dlk_[0-9a-f]{12}_[A-Za-z0-9_-]{20,}`),
		"a private key":           regexp.MustCompile(`PRIVATE KEY-----`),
		"the keystore passphrase": regexp.MustCompile(`keystore-pass`),
	}
	scanned, gatewayLines := 0, 0
	for _, path := range logs {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		scanned += len(data)
		if strings.HasPrefix(filepath.Base(path), "gateway") {
			gatewayLines += strings.Count(string(data), "\n")
		}
		for what, re := range secrets {
			if loc := re.FindIndex(data); loc != nil {
				t.Errorf("%s holds %s: …%s…", filepath.Base(path), what, data[max(0, loc[0]-80):min(len(data), loc[1]+20)])
			}
		}
	}
	if gatewayLines < 100 {
		t.Errorf("only %d gateway log lines: the tests' gateways did not log where this test looks", gatewayLines)
	}
	t.Logf("%d logs, %d bytes (%d gateway request lines) hold no API key, private key or passphrase", len(logs), scanned, gatewayLines)
}
