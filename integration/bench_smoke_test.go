package integration

import (
	"dataledger/chaincode/contract"
	"dataledger/chaincode/domain"
	"dataledger/network"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestBenchSmoke keeps `dataledger bench` working: its smoke mode runs
// every scenario at small sizes against this network (bringing it up with
// the benchmark functions on) and writes a report with every section and a
// chart. The figures are not asserted: targets are reported, not tested.
func TestBenchSmoke(t *testing.T) {
	dir := t.TempDir()
	report, img := filepath.Join(dir, "PERFORMANCE.md"), filepath.Join(dir, "img")
	if err := os.WriteFile(report, []byte("# Performance\n\nkept as written\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out := exitCode(t, "bench", "--smoke", "--report", report, "--img", img,
		"--home", home, "--description", description, "--fabric-tools", filepath.Join(root, "network", "fabrictools"))
	if code != 0 {
		t.Fatalf("bench --smoke: exit %d\n%s", code, out)
	}
	md, err := os.ReadFile(report)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"kept as written", "### Targets", "### 1. Ledger write path", "### 5. Resources", "peer0.citya",
		"### 2. Verification path", "### 3. Scale", "### 3b. History", "### 4. Crypto", "benchmarks.png"} {
		if !strings.Contains(string(md), want) {
			t.Errorf("the report lacks %q:\n%s", want, md)
		}
	}
	if strings.Contains(string(md), "NaN") || strings.Contains(string(md), "error:") {
		t.Errorf("a scenario failed or measured nothing:\n%s", md)
	}
	f, err := os.Open(filepath.Join(img, "benchmarks.png"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if cfg, err := png.DecodeConfig(f); err != nil || cfg.Width < 300 {
		t.Fatalf("chart: %v %+v", err, cfg)
	}
	// A second run replaces its section instead of appending another.
	if code, out := exitCode(t, "bench", "--smoke", "--no-up", "--skip", "write,verify,scale,history", "--report", report, "--img", "",
		"--home", home, "--description", description); code != 0 {
		t.Fatalf("second run: exit %d\n%s", code, out)
	}
	md, _ = os.ReadFile(report)
	if strings.Count(string(md), "bench:begin") != 1 || strings.Contains(string(md), "### 1. Ledger") {
		t.Fatalf("the second report did not replace the first:\n%s", md)
	}
}

// TestStoreProbesOnThePeer runs the store probes (Fabric's own rules that
// the chaincode can trip over) on a real peer and requires the answers
// that store.Memory gives in TestMemoryAnswersTheStoreProbesLikeThePeer:
// the fake is no kinder than the peer.
func TestStoreProbesOnThePeer(t *testing.T) {
	c, err := net.Connect("CityAMSP", "clerk", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Submit("nanning", "BenchProbe", "nope"); domain.IsRule(err, contract.RuleBenchOff) {
		if err := cli("network", "up", "--bench"); err != nil {
			t.Fatal(err)
		}
	}
	for _, op := range contract.ProbeOps {
		r, err := c.Submit("nanning", "BenchProbe", op)
		result := ""
		if r != nil {
			result = string(r.Result)
		}
		if msg := contract.ProbeCheck(op, result, err); msg != "" {
			t.Error(msg)
		}
		if re, ok := domain.AsRule(err); err != nil && (!ok || re.Kind != domain.KindInternal) {
			t.Errorf("probe %s: the peer's refusal does not cross as an internal refusal: %v", op, network.ErrorText(err))
		}
	}
}
