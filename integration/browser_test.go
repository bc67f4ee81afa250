package integration

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"dataledger/chaincode/domain"
	"dataledger/gateway"
	"dataledger/network"
)

// TestVerificationPageInChromium opens the verification page in headless
// Chromium, types a mistyped number (the page refuses it before any
// lookup), then a real one, and reads the badge and the chain reference.
// The screenshot is kept in integration/artifacts/.
func TestVerificationPageInChromium(t *testing.T) {
	ks, _ := gateway.OpenKeyStore(filepath.Join(t.TempDir(), "keys.json"))
	srv, _ := startGateway(t, nil, ks)
	is, ag := holderAgreement(t, "南宁页面测试")
	doc, signed, _ := is.Credential(ag, is.Key)
	issued, err := is.Issue(signed, ag)
	if err != nil {
		t.Fatal(network.ErrorText(err))
	}
	synced(t, issued)

	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath("/usr/bin/chromium"), chromedp.Flag("headless", true), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()))
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	ctx, cancel := chromedp.NewContext(alloc)
	defer cancel()
	ctx, cancelT := context.WithTimeout(ctx, 90*time.Second)
	defer cancelT()

	mistyped := mistypeLast(doc.AuthorizationNumber)
	step := func(what string, a chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, a); err != nil {
			t.Fatalf("chromium: %s: %v", what, err)
		}
	}
	text := func(sel string) string {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Text(sel))
		if err != nil {
			t.Fatalf("chromium: text of %s: %v", sel, err)
		}
		return v
	}
	step("open the page", chromedp.Steps(chromedp.Navigate(srv.URL+"/"), chromedp.WaitVisible("#number"), chromedp.SendKeys("#number", mistyped)))
	hint := text("#hint")
	step("type the real number and verify", chromedp.Steps(chromedp.Navigate(srv.URL+"/"), chromedp.WaitVisible("#number"), chromedp.SendKeys("#number", doc.AuthorizationNumber),
		chromedp.Click("#go"), chromedp.WaitVisible("#badge[data-status]")))
	attr, err := chromedp.Run(ctx, chromedp.AttributeValue("#badge", "data-status"))
	if err != nil {
		t.Fatal(err)
	}
	status, badge, chain := attr.Value, text("#badge"), text("#chain")
	// The page fetches the proof bundle and lists the verifier's checks.
	step("wait for the proof checks", chromedp.WaitReady("#proof[data-ok]"))
	proofOK, err := chromedp.Run(ctx, chromedp.AttributeValue("#proof", "data-ok"))
	if err != nil {
		t.Fatal(err)
	}
	checks, bundleHref := text("#proof"), ""
	if h, err := chromedp.Run(ctx, chromedp.AttributeValue("#bundle", "href")); err == nil {
		bundleHref = h.Value
	}
	if proofOK.Value != "true" || strings.Count(checks, "record.") < 6 || !strings.Contains(checks, "document.signature") || !strings.HasSuffix(bundleHref, doc.AuthorizationNumber+"/proof") {
		t.Fatalf("proof on the page: ok=%q href=%q checks:\n%s", proofOK.Value, bundleHref, checks)
	}
	step("let the timeline and QR code load", chromedp.Sleep(500*time.Millisecond))
	shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	step("switch to English", chromedp.Steps(chromedp.Click("#lang"), chromedp.Sleep(500*time.Millisecond), chromedp.WaitVisible("#badge[data-status]")))
	english := text("#badge")
	if !strings.Contains(hint, "校验位") {
		t.Fatalf("a mistyped number was not flagged as typed: %q", hint)
	}
	if status != domain.VerifyValid || badge != "有效" || !strings.Contains(chain, issued.TxID) || !strings.Contains(chain, "nanning") {
		t.Fatalf("page shows status %q badge %q chain %q", status, badge, chain)
	}
	if english != "Valid" {
		t.Fatalf("English badge %q", english)
	}
	dir := filepath.Join(root, "integration", "artifacts")
	_ = os.MkdirAll(dir, 0o755)
	if err := os.WriteFile(filepath.Join(dir, "verify-page.png"), shot, 0o644); err != nil {
		t.Fatal(err)
	}
}
