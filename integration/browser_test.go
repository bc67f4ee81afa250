package integration

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"dataledger/chaincode/domain"
	"dataledger/gateway"
	"dataledger/network"
)

// pageLink is one link of the chain of authority as the page draws it.
type pageLink struct {
	Kind   string `json:"kind"`
	Status string `json:"status"`
	Cause  bool   `json:"cause"`
	Text   string `json:"text"`
}

// readLinks is the page's #links, in order.
const readLinks = `Array.from(document.querySelectorAll("#links > li")).map(li => ({kind: li.dataset.kind, status: li.dataset.status, cause: li.dataset.cause === "true", text: li.textContent}))`

var (
	// chinaShown is a time as the page shows it: 北京时间, to the second.
	chinaShown = regexp.MustCompile(`\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}`)
	// rawTime is a ledger time as it travels (RFC 3339, UTC with
	// nanoseconds): never shown to a verifier.
	rawTime = regexp.MustCompile(`\d{2}T\d{2}:\d{2}:\d{2}|\d{2}:\d{2}:\d{2}(\.\d+)?Z`)
)

// TestVerificationPageInChromium opens the verification page in headless
// Chromium, types a mistyped number (the page refuses it before any
// lookup), then a real one, and reads the badge, the chain reference, the
// chain of authority (credential → agreement → holder → issuer key) and
// the history, every time in China time. Then it breaks a link — the
// holder is suspended on the ledger — and reads the page again: suspended,
// the holder's link marked as the cause, the reason in Chinese. The
// screenshots (valid, broken link) are kept in integration/artifacts/.
func TestVerificationPageInChromium(t *testing.T) {
	ks, _ := gateway.OpenKeyStore(filepath.Join(t.TempDir(), "keys.json"))
	// The holder is suspended outside this gateway, and no invalidator
	// runs here: without a cache, the page reads the ledger as it stands.
	cfg := gateway.DefaultConfig()
	cfg.Cache = gateway.NoCache{}
	srv, _ := startGateway(t, &cfg, ks)
	is, ag := holderAgreement(t, "南宁页面测试")
	doc, signed, _ := is.Credential(ag, is.Key)
	issued, err := is.Issue(signed, ag)
	if err != nil {
		t.Fatal(network.ErrorText(err))
	}
	synced(t, issued)

	b := newBrowser(t)
	ctx, step, text := b.ctx, b.step, b.text
	mistyped := mistypeLast(doc.AuthorizationNumber)
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
	step("let the timeline and QR code load", chromedp.Steps(chromedp.WaitVisible("#timeline li"), chromedp.Sleep(500*time.Millisecond)))
	links, err := chromedp.Run(ctx, chromedp.Evaluate[[]pageLink](readLinks))
	if err != nil {
		t.Fatal(err)
	}
	shown := text("#chain") + "\n" + text("#links") + "\n" + text("#timeline")
	history := text("#timeline")
	shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	step("switch to English", chromedp.Steps(chromedp.Click("#lang"), chromedp.WaitVisible(`#result[data-lang="en"]`), chromedp.WaitVisible("#badge[data-status]")))
	english, englishLinks := text("#badge"), text("#links")
	if !strings.Contains(hint, "校验位") {
		t.Fatalf("a mistyped number was not flagged as typed: %q", hint)
	}
	if status != domain.VerifyValid || badge != "有效" || !strings.Contains(chain, issued.TxID) || !strings.Contains(chain, "nanning") {
		t.Fatalf("page shows status %q badge %q chain %q", status, badge, chain)
	}
	wantKinds := []string{domain.LinkCredential, domain.LinkAgreement, domain.LinkParty, domain.LinkIssuerKey}
	if len(links) != len(wantKinds) {
		t.Fatalf("the page draws %d links, want %d (%v): %+v", len(links), len(wantKinds), wantKinds, links)
	}
	for i, l := range links {
		if l.Kind != wantKinds[i] || l.Status != domain.VerifyValid || l.Cause {
			t.Fatalf("link %d is %s %s (cause %v), want %s valid: %q", i, l.Kind, l.Status, l.Cause, wantKinds[i], l.Text)
		}
	}
	if !strings.Contains(links[0].Text, "电子凭证") || !strings.Contains(links[2].Text, "经营主体") || !strings.Contains(links[3].Text, "发证密钥") {
		t.Fatalf("the links are not named in Chinese: %+v", links)
	}
	if !chinaShown.MatchString(shown) || !strings.Contains(shown, "北京时间") || rawTime.MatchString(shown) {
		t.Fatalf("times on the page are not shown as 北京时间 YYYY-MM-DD HH:MM:SS (raw %q):\n%s", rawTime.FindString(shown), shown)
	}
	if !strings.Contains(history, "发证") || strings.Contains(history, "issue") {
		t.Fatalf("the history does not read in Chinese: %q", history)
	}
	if english != "Valid" {
		t.Fatalf("English badge %q", english)
	}
	if !strings.Contains(englishLinks, "Beijing time") || !strings.Contains(englishLinks, "Catalog agreement") || !strings.Contains(englishLinks, "Issuer key") {
		t.Fatalf("English links: %q", englishLinks)
	}

	// Break a link: the holder is suspended on the ledger. The credential's
	// own record is untouched; the page must say suspended, by whom and
	// when: the words are the authority's, never the public page's.
	why := privateText("页面测试：未按期报送年度运营报告")
	r, err := is.Operator.Submit("nanning", "ChangePartyStatus", doc.HolderCreditCode, "suspend", why)
	if err != nil {
		t.Fatal(network.ErrorText(err))
	}
	synced(t, r)
	t.Cleanup(func() { // the holder is this test's own; leave it active all the same
		r, err := is.Operator.Submit("nanning", "ChangePartyStatus", doc.HolderCreditCode, "reinstate", privateText("页面测试结束，恢复"))
		if err != nil {
			t.Errorf("reinstating the holder: %s", network.ErrorText(err))
			return
		}
		synced(t, r)
	})
	step("open the page of the broken chain", chromedp.Steps(chromedp.Navigate(srv.URL+"/verify/"+doc.AuthorizationNumber),
		chromedp.WaitVisible("#badge[data-status]"), chromedp.WaitVisible("#links li"), chromedp.WaitReady("#proof[data-ok]"),
		chromedp.WaitVisible("#timeline li"), chromedp.Sleep(500*time.Millisecond)))
	broken, err := chromedp.Run(ctx, chromedp.AttributeValue("#badge", "data-status"))
	if err != nil {
		t.Fatal(err)
	}
	brokenLinks, err := chromedp.Run(ctx, chromedp.Evaluate[[]pageLink](readLinks))
	if err != nil {
		t.Fatal(err)
	}
	brokenBadge, reason := text("#badge"), text("#reason")
	brokenShown := text("#chain") + "\n" + text("#links") + "\n" + text("#timeline")
	brokenShot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	if broken.Value != domain.VerifySuspended || brokenBadge != "已暂停" {
		t.Fatalf("with the holder suspended the page shows %q (%q)", broken.Value, brokenBadge)
	}
	if !strings.Contains(reason, "已暂停") || strings.Contains(reason, why) || !strings.Contains(reason, doc.HolderCreditCode) || !strings.Contains(reason, "北京时间") || !strings.Contains(reason, "CityAMSP") {
		t.Fatalf("the reason is not the holder's suspension in Chinese, by whom and when: %q", reason)
	}
	if len(brokenLinks) != len(wantKinds) {
		t.Fatalf("the broken chain draws %d links: %+v", len(brokenLinks), brokenLinks)
	}
	for i, l := range brokenLinks {
		cause := l.Kind == domain.LinkParty
		want := domain.VerifyValid
		if cause {
			want = domain.VerifySuspended
		}
		if l.Kind != wantKinds[i] || l.Status != want || l.Cause != cause {
			t.Fatalf("broken chain link %d is %s %s (cause %v), want %s %s (cause %v): %q", i, l.Kind, l.Status, l.Cause, wantKinds[i], want, cause, l.Text)
		}
		if cause && (strings.Contains(l.Text, why) || !strings.Contains(l.Text, "暂停")) {
			t.Fatalf("the holder's link does not say suspended in Chinese, without the words: %q", l.Text)
		}
	}
	if !chinaShown.MatchString(brokenShown) || rawTime.MatchString(brokenShown) {
		t.Fatalf("times on the broken chain's page (raw %q):\n%s", rawTime.FindString(brokenShown), brokenShown)
	}

	dir := filepath.Join(root, "integration", "artifacts")
	_ = os.MkdirAll(dir, 0o755)
	for name, png := range map[string][]byte{"verify-page.png": shot, "verify-page-broken-link.png": brokenShot} {
		if err := os.WriteFile(filepath.Join(dir, name), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// browser is a headless Chromium for one test (90 s at most), with the
// flags this machine needs; step runs actions, text reads an element.
type browser struct {
	t   *testing.T
	ctx context.Context
}

func newBrowser(t *testing.T, extra ...chromedp.ExecAllocatorOption) *browser {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath("/usr/bin/chromium"), chromedp.Flag("headless", true), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()))
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), append(opts, extra...)...)
	ctx, cancel := chromedp.NewContext(alloc)
	ctx, cancelT := context.WithTimeout(ctx, 90*time.Second)
	t.Cleanup(func() { cancelT(); cancel(); cancelAlloc() })
	return &browser{t, ctx}
}

func (b *browser) step(what string, a chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, a); err != nil {
		b.t.Fatalf("chromium: %s: %v", what, err)
	}
}

func (b *browser) text(sel string) string {
	b.t.Helper()
	v, err := chromedp.Run(b.ctx, chromedp.Text(sel))
	if err != nil {
		b.t.Fatalf("chromium: text of %s: %v", sel, err)
	}
	return v
}
