package integration

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/jackc/pgx/v5"

	"dataledger/chaincode/domain"
	"dataledger/gateway"
	"dataledger/index"
	"dataledger/network"
	"dataledger/network/sample"
	"dataledger/pgdb/pgdbtest"
	"dataledger/proof"
	"dataledger/report"
)

// freshIndexDB is a database of the test's own on the machine's
// PostgreSQL, dropped after it.
func freshIndexDB(t *testing.T) string { return pgdbtest.DSN(t, "dl_it_") }

// TestSupervisionIndexFollowsTheNetwork runs the demo's whole product
// story, then the index process (killed mid-catch-up and started again)
// over every channel of the province's regulator; every record it holds
// is what the chaincode itself reads, every record the chaincode lists is
// in it, each history is the chaincode's, and a regulator's search over
// HTTP links to a proof bundle that verifies against the chain.
func TestSupervisionIndexFollowsTheNetwork(t *testing.T) {
	ctx := context.Background()
	dsn := freshIndexDB(t)
	if out, err := cliOutput("network", "demo"); err != nil {
		t.Fatalf("the demo: %v\n%s", err, out)
	}
	reg, err := net.Connect("ProvinceMSP", "regulator", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer reg.Close()
	channels := net.D.ChannelsOf(net.D.Org("ProvinceMSP"))
	heights := map[string]uint64{}
	var total uint64
	for _, ch := range channels {
		h, err := reg.Height(ch)
		if err != nil {
			t.Fatal(err)
		}
		heights[ch], total = h, total+h
	}

	// The index process is killed outright in the middle of its catch-up:
	// one channel (province) has a batch in flight, its database
	// transaction waiting on a row lock the test holds, while the others
	// are done. Started again, it resumes every channel from its
	// checkpoint.
	db, err := index.Open(ctx, dsn) // the schema, before the index starts
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, `INSERT INTO channels (channel) VALUES ('province')`); err != nil {
		t.Fatal(err)
	}
	hold, err := conn.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := hold.Exec(ctx, `SELECT 1 FROM channels WHERE channel = 'province' FOR UPDATE`); err != nil {
		t.Fatal(err)
	}
	start := func() {
		t.Helper()
		if err := cli("index", "start", "--db", dsn, "--max-batch", "1", "--admin-listen", "127.0.0.1:9191"); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() { _ = cli("index", "stop") })
	start()
	heightOf := func() map[string]uint64 {
		st, err := db.Channels(ctx)
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]uint64{}
		for _, s := range st {
			if s.Broken != nil {
				t.Fatalf("channel %s broken at %d: %s", s.Channel, s.Broken.Block, s.Broken.Reason)
			}
			out[s.Channel] = min(s.Height, heights[s.Channel])
		}
		return out
	}
	indexed := func() (n uint64) {
		for _, h := range heightOf() {
			n += h
		}
		return n
	}
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		h := heightOf()
		if h["nanning"] == heights["nanning"] && h["liuzhou"] == heights["liuzhou"] {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the index did not catch up with nanning and liuzhou: %v of %v", h, heights)
		}
	}
	watch, err := pgx.Connect(ctx, dsn) // outside the held transaction, whose view of activity is fixed
	if err != nil {
		t.Fatal(err)
	}
	defer watch.Close(ctx)
	var waiting int
	for deadline := time.Now().Add(10 * time.Second); waiting == 0 && time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		// The index's transaction for province's first block, blocked.
		if err := watch.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`).Scan(&waiting); err != nil {
			t.Fatal(err)
		}
	}
	pidRaw, err := os.ReadFile(net.L.PIDFile("index"))
	if err != nil {
		t.Fatal(err)
	}
	first, _, _ := strings.Cut(string(pidRaw), "\n") // the PID, then the binary
	pid, err := strconv.Atoi(strings.TrimSpace(first))
	if err != nil || pid <= 1 {
		t.Fatalf("index PID file %q", pidRaw)
	}
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	at := heightOf()
	if at["province"] != 0 || waiting == 0 {
		t.Errorf("killed with province at %d and %d transaction(s) waiting on the lock: not mid-batch", at["province"], waiting)
	}
	t.Logf("index killed at %v of %v blocks, %d transaction waiting", at, heights, waiting)
	for range 100 { // until the kernel has reaped it
		if syscall.Kill(pid, 0) != nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := hold.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	began := time.Now()
	start()
	for deadline := time.Now().Add(120 * time.Second); indexed() < total; time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the index reached %d of %d blocks", indexed(), total)
		}
	}
	t.Logf("resumed and caught up with %d blocks on %d channels in %s", total, len(channels), time.Since(began).Round(time.Millisecond))

	// No duplicate, no gap: each channel's blocks are 0..height-1, once.
	for _, ch := range channels {
		var n, lo, hi int64
		if err := conn.QueryRow(ctx, `SELECT count(*), min(number), max(number) FROM blocks WHERE channel = $1`, ch).Scan(&n, &lo, &hi); err != nil {
			t.Fatal(err)
		}
		if lo != 0 || n != hi+1 || uint64(n) < heights[ch] {
			t.Errorf("channel %s: %d blocks from %d to %d, the peer had %d", ch, n, lo, hi, heights[ch])
		}
	}

	// Every record the index holds is what the chaincode reads now.
	reads := map[string]func(id string) network.Call{
		"party":       func(id string) network.Call { return network.Tx.GetParty(id).Call },
		"issuerKey":   func(id string) network.Call { return network.Tx.GetIssuerKey(id).Call },
		"agreement":   func(id string) network.Call { return network.Tx.GetAgreement(id).Call },
		"credential":  func(id string) network.Call { return network.Tx.GetCredential(id).Call },
		"application": func(id string) network.Call { return network.Tx.GetApplication(id).Call },
		"certificate": func(id string) network.Call { return network.Tx.GetCertificate(id).Call },
		"objection":   func(id string) network.Call { return network.Tx.GetObjection(id).Call },
	}
	compared := map[string]int{}
	for _, ch := range channels {
		for kind, read := range reads {
			q := index.Query{Channel: ch, Kind: kind, Limit: 500}
			for {
				p, err := db.Search(ctx, q)
				if err != nil {
					t.Fatal(err)
				}
				for _, h := range p.Items {
					c := read(h.ID)
					raw, err := reg.Evaluate(ch, c.Fn, c.Args...)
					if err != nil {
						t.Fatalf("%s %s on %s: %s", kind, h.ID, ch, network.ErrorText(err))
					}
					if kind == "credential" {
						// The chaincode reads a credential as it stands
						// (its agreement ended: authorization-ended); the
						// index keeps the record as written and its
						// standing in the status column.
						var chain, held domain.CredentialRecord
						_ = json.Unmarshal(raw, &chain)
						_ = json.Unmarshal(h.Record, &held)
						if chain.Status != h.Status {
							t.Errorf("credential %s on %s: the chaincode says %s, the index %s", h.ID, ch, chain.Status, h.Status)
						}
						chain.Status, chain.StatusReason, chain.Last = held.Status, held.StatusReason, held.Last
						raw, _ = json.Marshal(chain)
					}
					if !sameJSON(raw, h.Record) {
						if compared["differ"]++; compared["differ"] <= 3 {
							t.Errorf("%s %s on %s:\nindex     %.600s\nchaincode %.600s", kind, h.ID, ch, h.Record, raw)
						}
					}
					compared[kind]++
				}
				if q.Cursor = p.Next; q.Cursor == "" {
					break
				}
			}
		}
		// And every party the chaincode lists is in the index.
		var listed []string
		for bookmark := ""; ; {
			page, err := network.Tx.ListParties(200, bookmark).Evaluate(reg, ch)
			if err != nil {
				t.Fatal(network.ErrorText(err))
			}
			for _, p := range page.Items {
				listed = append(listed, p.CreditCode)
			}
			if bookmark = page.Bookmark; bookmark == "" || len(page.Items) == 0 {
				break
			}
		}
		held := 0
		for q := (index.Query{Channel: ch, Kind: "party", Limit: 500}); ; {
			p, err := db.Search(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			held += len(p.Items)
			if q.Cursor = p.Next; q.Cursor == "" {
				break
			}
		}
		if held != len(listed) {
			t.Errorf("channel %s: the chaincode lists %d parties, the index holds %d", ch, len(listed), held)
		}
	}
	if compared["differ"] > 0 {
		t.Errorf("%d records differ from the chaincode's reads", compared["differ"])
	}
	for _, k := range []string{"party", "agreement", "credential", "application", "certificate", "objection"} {
		if compared[k] == 0 {
			t.Errorf("no %s compared (%v)", k, compared)
		}
	}
	t.Logf("records compared with the chaincode's reads: %v", compared)

	// The regulator's search over HTTP: the demo's enterprise, its
	// certificate's history as the chaincode keeps it, and its proof.
	ak := newAuthorityKey(t)
	cfg := gateway.DefaultConfig()
	cfg.Index, cfg.ReportDir = db, t.TempDir()
	if cfg.Signers, err = gateway.LoadKeystore([]string{"CityAMSP=" + ak.keyFile}, []byte("report-pass")); err != nil {
		t.Fatal(err)
	}
	ks, err := gateway.OpenKeyStore(filepath.Join(t.TempDir(), "keys.json"))
	if err != nil {
		t.Fatal(err)
	}
	key, _, _ := ks.Create("ProvinceMSP", gateway.RoleRegulator)
	srv, _ := startGateway(t, &cfg, ks)
	status, body, err := httpDo("GET", srv.URL+"/api/v1/channels/nanning/index/records?kind=certificate&party="+url.QueryEscape("广西数智")+"&limit=1", key, nil)
	if err != nil || status != http.StatusOK {
		t.Fatalf("search: %d %s %v", status, body, err)
	}
	var page gateway.SearchAnswer
	if err := json.Unmarshal(body, &page); err != nil || len(page.Items) != 1 {
		t.Fatalf("search: %s", body)
	}
	hit := page.Items[0]
	if page.Height < heights["nanning"] || hit.Links.Proof == "" {
		t.Fatalf("hit %+v at %d", hit.Links, page.Height)
	}
	chainHistory, err := network.Tx.History(domain.TypeCertificate, hit.ID).Evaluate(reg, "nanning")
	if err != nil {
		t.Fatal(network.ErrorText(err))
	}
	status, body, _ = httpDo("GET", srv.URL+hit.Links.History, key, nil)
	var h index.History
	if err := json.Unmarshal(body, &h); err != nil || status != 200 || len(h.Versions) != len(chainHistory) {
		t.Fatalf("history over HTTP: %d versions, the chaincode's %d (%d %.300s)", len(h.Versions), len(chainHistory), status, body)
	}
	for i, v := range h.Versions {
		if v.TxID != chainHistory[i].TxID {
			t.Errorf("version %d: index tx %s, chaincode tx %s", i, v.TxID, chainHistory[i].TxID)
		}
	}
	status, body, _ = httpDo("GET", srv.URL+hit.Links.Proof, key, nil)
	if status != 200 {
		t.Fatalf("proof: %d %.300s", status, body)
	}
	b, err := proof.ParseBundle(body)
	if err != nil {
		t.Fatal(err)
	}
	_, pinned := pinnedTrust(t)
	// The bundle proves the registration and, among its links, the very
	// version the index answered with.
	latest := false
	for _, l := range b.Links {
		latest = latest || l.TxID == hit.TxID
	}
	var rec domain.CertificateRecord
	if err := json.Unmarshal(hit.Record, &rec); err != nil {
		t.Fatal(err)
	}
	if r := proof.Verify(b, pinned); !r.OK || !latest || b.Record.TxID != rec.Registered.TxID {
		t.Fatalf("the hit's proof: ok=%v, latest version proven %v, bundle tx %s", r.OK, latest, b.Record.TxID)
	}

	supervisionReport(t, dsn, srv.URL, db, ak)
	consoleInChromium(t, srv.URL, key, ks)

	// The index process reports where it stands.
	out, err := cliOutput("index", "status", "--db", dsn)
	if err != nil || !strings.Contains(out, "nanning") || strings.Contains(out, "BROKEN") {
		t.Fatalf("index status: %v\n%s", err, out)
	}
}

func sameJSON(a, b []byte) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	return reflect.DeepEqual(x, y)
}

// consoleInChromium logs in to the regulators' console with a regulator's
// key, reads the dashboard, searches the demo's enterprise by part of its
// name, opens its certificate's timeline and reads the audit status;
// an enterprise's key gets nothing. Screenshots go to
// integration/artifacts/.
func consoleInChromium(t *testing.T, url, key string, ks *gateway.KeyStore) {
	t.Helper()
	enterpriseKey := enterpriseKey(t, ks, "CityAMSP", newCreditCode("450102"))
	b := newBrowser(t, chromedp.WindowSize(1280, 1000))
	ctx, step, text := b.ctx, b.step, b.text
	dir := filepath.Join(root, "integration", "artifacts")
	_ = os.MkdirAll(dir, 0o755)
	shot := func(name string) {
		t.Helper()
		png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)) // 100: PNG
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	step("an enterprise's key", chromedp.Steps(chromedp.Navigate(url+"/console"), chromedp.WaitVisible("#apikey"),
		chromedp.SendKeys("#apikey", enterpriseKey), chromedp.Click(`#login button[type="submit"]`), chromedp.Poll[chromedp.Void](`document.getElementById("login-error").textContent.length > 0`)))
	if refused := text("#login-error"); !strings.Contains(refused, "无监管权限") {
		t.Fatalf("an enterprise's key on the console: %q", refused)
	}
	step("log in as the regulator", chromedp.Steps(chromedp.Navigate(url+"/console"), chromedp.WaitVisible("#apikey"),
		chromedp.SendKeys("#apikey", key), chromedp.Click(`#login button[type="submit"]`), chromedp.WaitVisible("#cards .card"), chromedp.WaitVisible("#chart svg")))
	step("pick nanning", chromedp.Steps(chromedp.SetValue("#channel", "nanning"), chromedp.Evaluate[chromedp.Void](`document.getElementById("channel").dispatchEvent(new Event("change"))`),
		chromedp.Sleep(800*time.Millisecond)))
	loginShown, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`getComputedStyle(document.getElementById("login")).display !== "none"`))
	if err != nil || loginShown {
		t.Fatalf("the login form is still shown after logging in (%v)", err)
	}
	cards, height := text("#cards"), text("#height")
	if !strings.Contains(cards, "登记证书") || !strings.Contains(height, "截至区块高度") {
		t.Fatalf("dashboard: %q %q", cards, height)
	}
	shot("console-dashboard.png")
	step("search the enterprise by part of its name", chromedp.Steps(chromedp.Click(`button[data-view="search"]`), chromedp.WaitVisible("#query"),
		chromedp.SendKeys(`#query input[name="party"]`, "数智"), chromedp.Click("#run"), chromedp.WaitVisible("#results tbody tr")))
	rows, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("#results tbody tr").length`))
	if err != nil {
		t.Fatal(err)
	}
	if results := text("#results"); rows < 7 || !strings.Contains(results, "登记证书") || !strings.Contains(results, "91450100MA5L0000AW") {
		t.Fatalf("%d rows: %q", rows, results)
	}
	shot("console-search.png")
	step("open a certificate", chromedp.Steps(chromedp.Evaluate[chromedp.Void](`Array.from(document.querySelectorAll("#results tbody tr")).find(r => r.cells[0].textContent === "登记证书").querySelector("a").click()`),
		chromedp.WaitVisible("#timeline li")))
	if tl := text("#timeline"); !strings.Contains(tl, "区块") || !strings.Contains(tl, "CityAMSP") {
		t.Fatalf("timeline: %q", tl)
	}
	shot("console-record.png")
	step("the audit status", chromedp.Steps(chromedp.Click(`button[data-view="audit"]`), chromedp.WaitVisible("#channels tbody tr")))
	if audit := text("#channels"); strings.Count(audit, "每个区块均已通过核验") < 3 {
		t.Fatalf("audit status: %q", audit)
	}
	shot("console-audit.png")

	// The authority makes this quarter's report from the console: signed
	// with the key this gateway holds for it, recorded, listed with the one
	// the CLI made.
	issuerKey, _, _ := ks.Create("CityAMSP", gateway.RoleIssuer)
	now := time.Now().In(domain.CST)
	step("log in as nanning's authority", chromedp.Steps(chromedp.Click("#logout"), chromedp.WaitVisible("#apikey"),
		chromedp.SendKeys("#apikey", issuerKey), chromedp.Click(`#login button[type="submit"]`), chromedp.WaitVisible("#cards .card"),
		chromedp.SetValue("#channel", "nanning"), chromedp.Evaluate[chromedp.Void](`document.getElementById("channel").dispatchEvent(new Event("change"))`),
		chromedp.Click(`button[data-view="reports"]`), chromedp.WaitVisible("#report-form")))
	step("make a report", chromedp.Steps(chromedp.SendKeys(`#report-form input[name="period"]`, fmt.Sprintf("%dQ%d", now.Year(), (int(now.Month())+2)/3)),
		chromedp.SendKeys(`#report-form input[name="department"]`, "南宁市大数据发展局"), chromedp.Click("#make-report"),
		chromedp.Poll[chromedp.Void](`document.querySelectorAll("#report-list tbody tr").length >= 2 || document.getElementById("report-error").textContent.length > 0`)))
	if e := text("#report-error"); e != "" {
		t.Fatalf("making a report on the console: %s", e)
	}
	if list := text("#report-list"); strings.Count(list, "BG-450100-") < 2 || !strings.Contains(list, "report.xlsx") {
		t.Fatalf("reports listed: %q", list)
	}
	shot("console-reports.png")
}

// supervisionReport makes this quarter's report of nanning with the CLI,
// signed by the authority's registered key and recorded on the ledger;
// checks it offline, then a copy with a changed workbook; reads its record
// over HTTP and finds it in the index.
func supervisionReport(t *testing.T, dsn, url string, db *index.DB, ak authorityKey) {
	t.Helper()
	dir := t.TempDir()
	keyFile, passFile, pubFile := ak.keyFile, ak.passFile, ak.pubFile
	now := time.Now().In(domain.CST)
	quarter := fmt.Sprintf("%dQ%d", now.Year(), (int(now.Month())+2)/3)
	out := filepath.Join(dir, "report")
	printed, err := cliOutput("report", "--jurisdiction", "450100", "--period", quarter, "--key", keyFile, "--passphrase-file", passFile,
		"--department", "南宁市大数据发展局", "--db", dsn, "--out", out)
	if err != nil || !strings.Contains(printed, "recorded on channel nanning") || !strings.Contains(printed, "产品登记") {
		t.Fatalf("dataledger report: %v\n%s", err, printed)
	}
	t.Logf("%s", printed)
	roots, _ := pinnedTrust(t)
	printed, err = cliOutput("report", "verify", "--dir", out, "--key", pubFile, "--trust", roots)
	if err != nil || !strings.Contains(printed, "verifies") || strings.Contains(printed, "✗") {
		t.Fatalf("dataledger report verify: %v\n%s", err, printed)
	}
	artifacts := filepath.Join(root, "integration", "artifacts")
	_ = os.MkdirAll(artifacts, 0o755)
	for _, f := range []string{report.HTMLFile, report.XLSXFile, report.SummaryFile} {
		if b, err := os.ReadFile(filepath.Join(out, f)); err == nil {
			_ = os.WriteFile(filepath.Join(artifacts, "supervision-"+f), b, 0o644)
		}
	}
	// A copy whose workbook was changed after signing.
	changed := filepath.Join(dir, "changed")
	_ = os.MkdirAll(changed, 0o755)
	for _, f := range []string{report.HTMLFile, report.XLSXFile, report.SummaryFile, report.ProofFile} {
		b, err := os.ReadFile(filepath.Join(out, f))
		if err != nil {
			t.Fatal(err)
		}
		if f == report.XLSXFile {
			b = append(b, 0)
		}
		_ = os.WriteFile(filepath.Join(changed, f), b, 0o644)
	}
	printed, err = cliOutput("report", "verify", "--dir", changed, "--key", pubFile, "--trust", roots)
	if err == nil || !strings.Contains(printed, "✗ file[report.xlsx]") {
		t.Fatalf("a changed workbook verified: %v\n%s", err, printed)
	}
	// Its record, for anyone, and in the index.
	var sum domain.SupervisionReport
	raw, _ := os.ReadFile(filepath.Join(out, report.SummaryFile))
	if err := json.Unmarshal(raw, &sum); err != nil {
		t.Fatal(err)
	}
	status, body, _ := httpDo("GET", url+"/api/v1/reports/"+sum.ReportNumber, "", nil)
	if status != 200 || !strings.Contains(string(body), sum.ReportNumber) {
		t.Fatalf("GET the report: %d %.300s", status, body)
	}
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		p, err := db.Search(context.Background(), index.Query{Channel: "nanning", Kind: "report"})
		if err != nil {
			t.Fatal(err)
		}
		if len(p.Items) == 1 && p.Items[0].ID == sum.ReportNumber {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the index holds reports %+v", p.Items)
		}
	}
}

// authorityKey is nanning's authority's issuer key, registered on the
// channel, in files: encrypted, its passphrase, its public key.
type authorityKey struct{ keyFile, passFile, pubFile string }

func newAuthorityKey(t *testing.T) authorityKey {
	t.Helper()
	is, err := sample.NewIssuer(net, "nanning", "南宁市大数据发展局")
	if err != nil {
		t.Fatal(network.ErrorText(err))
	}
	defer is.Close()
	dir := t.TempDir()
	keyPEM, err := is.Key.PEM([]byte("report-pass"))
	if err != nil {
		t.Fatal(err)
	}
	ak := authorityKey{filepath.Join(dir, "authority.key.pem"), filepath.Join(dir, "pass"), filepath.Join(dir, "authority.pub.pem")}
	for f, b := range map[string][]byte{ak.keyFile: keyPEM, ak.passFile: []byte("report-pass\n"), ak.pubFile: is.Key.Public().PEM()} {
		if err := os.WriteFile(f, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return ak
}
