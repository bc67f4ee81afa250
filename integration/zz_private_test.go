package integration

import (
	"bytes"
	"encoding/json"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/protobuf/proto"

	"dataledger/chaincode/domain"
	"dataledger/proof"
)

// privateTexts are the private inputs the run submitted (objections'
// summaries, decisions' reasons): no block may hold any of them.
var privateTexts struct {
	sync.Mutex
	all []string
}

// privateText registers a private input before a test submits it.
func privateText(s string) string {
	privateTexts.Lock()
	defer privateTexts.Unlock()
	privateTexts.all = append(privateTexts.all, s)
	return s
}

// TestZZNoBlockHoldsAPrivateInput runs after the other tests. It reads
// every block file of every peer and orderer of the run (each bundle the
// run produced is made of these blocks) and fails on any private input a
// test submitted: they live in the channels' private data collections,
// of which a block keeps only hashes. The scan proves it reads the blocks
// by finding the public text of the same records there.
func TestZZNoBlockHoldsAPrivateInput(t *testing.T) {
	privateTexts.Lock()
	texts := append([]string(nil), privateTexts.all...)
	privateTexts.Unlock()
	if len(texts) < 6 {
		t.Fatalf("only %d private inputs were registered: run the whole suite", len(texts))
	}
	var files []string
	_ = filepath.WalkDir(filepath.Join(home, "orgs"), func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasPrefix(d.Name(), "blockfile_") && strings.Contains(path, string(filepath.Separator)+"chains"+string(filepath.Separator)) {
			files = append(files, path)
		}
		return nil
	})
	if len(files) < 12 {
		t.Fatalf("found %d block files under %s", len(files), home)
	}
	publicSeen, total := false, 0
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		total += len(data)
		for _, s := range texts {
			if bytes.Contains(data, []byte(s)) {
				t.Errorf("%s holds the private input %q", f, s)
			}
		}
		if bytes.Contains(data, []byte("证明测试产品")) { // a certificate's public product name
			publicSeen = true
		}
	}
	if !publicSeen {
		t.Fatal("no block file holds a public record of the run: the scan reads nothing")
	}
	t.Logf("%d private inputs absent from %d block files (%d MB)", len(texts), len(files), total>>20)
}

// TestZZNoPrivateTransactionReadsAParty runs after the other tests. Every
// transaction of the run that checks the parties it names by proof
// (domain.ProvesParties: an application, an evaluation, a credit record,
// an obligation, an agreement), valid or not, read every bucket's root of
// the party registry and no party's key, nor a certificate's (an
// application's redevelopedFrom, an order's subject): its block does not
// name whom or what it concerns (docs/PRIVACY.md). The registry's own
// writes (a registration, a change of status, a certificate's
// registration) name their party or product anyway and are left out. Those
// that check or change a party's facts read the facts' root, which names
// no one. An application, an order and an application's scenario
// agreement read no agreement's or credential's key either: a renewal's
// agreement and an application's scenario agreement are among the
// applicant's grants, an order's agreement among its grantee's, and an
// order's credential is its signed document.
func TestZZNoPrivateTransactionReadsAParty(t *testing.T) {
	dirs := map[string]string{} // channel → one node's block directory
	_ = filepath.WalkDir(filepath.Join(home, "orgs"), func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasPrefix(d.Name(), "blockfile_") && strings.Contains(path, string(filepath.Separator)+"chains"+string(filepath.Separator)) {
			dir := filepath.Dir(path)
			if _, ok := dirs[filepath.Base(dir)]; !ok {
				dirs[filepath.Base(dir)] = dir
			}
		}
		return nil
	})
	partyPrefix, _ := domain.CompositeKey(domain.TypeParty)
	certPrefix, _ := domain.CompositeKey(domain.TypeCertificate)
	rootPrefix, _ := domain.CompositeKey(domain.TypePartyRoot)
	productRootPrefix, _ := domain.CompositeKey(domain.TypeProductRoot)
	agreementPrefix, _ := domain.CompositeKey(domain.TypeAgreement)
	credentialPrefix, _ := domain.CompositeKey(domain.TypeCredential)
	found := map[string]int{} // of provenSubjects, by what each is
	redeveloped := 0          // of redevelopments, the applications that re-developed registered products
	checked := map[string]int{}
	factsRoot, _ := domain.CompositeKey(domain.TypeFactsRoot)
	facts := map[string]int{} // transactions that checked or changed a party's facts by their root
	// A block names a transaction with private arguments only as
	// domain.PrivateCall; the chaincode servers' logs name it.
	logged := map[string]string{}
	lines, _ := chaincodeLog(t)
	for _, l := range lines {
		logged[l.TxID] = l.Function
	}
	called := map[string]int{} // of transactions called domain.PrivateCall, by their own names
	for channel, dir := range dirs {
		blocks, err := proof.OpenBlockFiles(dir)
		if err != nil {
			t.Fatal(err)
		}
		for {
			raw, err := blocks.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("%s: %v", dir, err)
			}
			blk, err := proof.ParseBlock(raw)
			if err != nil {
				t.Fatal(err)
			}
			for i := range blk.GetData().GetData() {
				tx, err := proof.ParseTx(blk, i)
				fn := ""
				if err == nil {
					fn = tx.Function()
					checkCalled(t, tx, fn)
				}
				if fn == domain.PrivateCall {
					if fn = logged[tx.TxID]; !domain.PrivateArgs(fn) {
						t.Errorf("transaction %s (%s) is called %s, and its chaincode logged %q", tx.TxID, channel, domain.PrivateCall, fn)
					}
					called[fn]++
				}
				if domain.ProvesFacts(fn) && tx.PrivateTouches(net.D.Chaincode.Name, domain.Collection, factsRoot) {
					facts[fn]++
				}
				// What an application or an order concerns, and an
				// application's scenario agreement, are not read by key.
				if fn == string(domain.ActApply) || fn == string(domain.ActOpenObligation) || fn == string(domain.ActAttachScenarioAgreement) {
					checked["without an agreement's or credential's key: "+fn]++
					for _, keys := range tx.ReadSet() {
						for _, k := range keys {
							if strings.HasPrefix(k, agreementPrefix) || strings.HasPrefix(k, credentialPrefix) {
								t.Errorf("%s %s (%s, block %d) read key %q", fn, tx.TxID, channel, blk.GetHeader().GetNumber(), k)
							}
						}
					}
					if what, ok := provenSubjects[tx.TxID]; ok {
						found[what]++
					}
				}
				if !domain.ProvesParties(fn) || fn == string(domain.ActRegisterParty) || fn == string(domain.ActChangePartyStatus) || fn == string(domain.ActRegisterCertificate) {
					continue
				}
				checked[fn]++
				if slices.Contains(redevelopments, tx.TxID) {
					redeveloped++
				}
				roots, productRoots := 0, 0
				for _, keys := range tx.ReadSet() {
					for _, k := range keys {
						if strings.HasPrefix(k, productRootPrefix) {
							productRoots++
						}
						if strings.HasPrefix(k, partyPrefix) || strings.HasPrefix(k, certPrefix) {
							t.Errorf("%s %s (%s, block %d) read key %q", fn, tx.TxID, channel, blk.GetHeader().GetNumber(), k)
						}
						if strings.HasPrefix(k, rootPrefix) {
							roots++
						}
					}
				}
				if roots != domain.PartyBuckets && roots != 0 { // none: it named no party (an obligation owed a level up)
					t.Errorf("%s %s (%s) read %d of the registry's %d roots", fn, tx.TxID, channel, roots, domain.PartyBuckets)
				}
				if roots == 0 {
					checked["naming no party"]++
				}
				// An application and an order read the products' roots,
				// whether they name a product or not.
				if (fn == string(domain.ActApply) || fn == string(domain.ActOpenObligation)) && productRoots != domain.ProductBuckets {
					t.Errorf("%s %s (%s) read %d of the products' %d roots", fn, tx.TxID, channel, productRoots, domain.ProductBuckets)
				}
			}
		}
	}
	total := 0
	for _, n := range checked {
		total += n
	}
	if len(dirs) < 3 || checked["Apply"] == 0 || checked["RecordEvaluation"] == 0 || checked["RecordCreditRecord"] == 0 || checked["OpenObligation"] == 0 || checked["RecordAgreement"] == 0 {
		t.Fatalf("channels %v; transactions checked %v: run the whole suite", dirs, checked)
	}
	for _, what := range provenSubjects {
		if found[what] != 1 {
			t.Errorf("%s: %d found in the blocks, want 1 (of %v)", what, found[what], found)
		}
	}
	if len(provenSubjects) < 4 || checked["without an agreement's or credential's key: "+string(domain.ActAttachScenarioAgreement)] == 0 {
		t.Errorf("the run's renewal, orders about an agreement and a credential (%d), or an attached scenario agreement (%v) are missing: run the whole suite", len(provenSubjects), checked)
	}
	if redeveloped != len(redevelopments) || redeveloped == 0 {
		t.Fatalf("%d of the %d applications that re-developed registered products found in the blocks", redeveloped, len(redevelopments))
	}
	t.Logf("%d transactions on %d channels read no party's or certificate's key: %v (%d re-developing registered products)", total, len(dirs), checked, redeveloped)
	for _, fn := range []domain.Action{domain.ActRecordAgreement, domain.ActRecordEvaluation, domain.ActRecordCredit, domain.ActRescindCredit, domain.ActOpenObligation,
		domain.ActChangeCredentialStatus, domain.ActEndAgreement, domain.ActDecideObjection} {
		if facts[string(fn)] == 0 {
			t.Errorf("no %s of the run checked a party's facts by their root: %v", fn, facts)
		}
	}
	t.Logf("transactions that checked or changed a party's facts by their root: %v", facts)
	if called[string(domain.ActRecordEvaluation)] == 0 || called[string(domain.ActRecordCredit)] == 0 || called[string(domain.ActPreliminaryReview)] == 0 {
		t.Errorf("the blocks call %s for %v: run the whole suite", domain.PrivateCall, called)
	}
	t.Logf("transactions the blocks name only %s, by their own names: %v", domain.PrivateCall, called)
}

// checkCalled fails a transaction whose block names the step it ran: a
// transaction with private arguments called by its own name, or an event
// whose first change is of a record with no public view and that is not
// named domain.ActionPrivate, or a private change that names its kind.
func checkCalled(t *testing.T, tx *proof.Tx, fn string) {
	t.Helper()
	if domain.PrivateArgs(fn) {
		t.Errorf("transaction %s is called %s in its block", tx.TxID, fn)
	}
	var ev peer.ChaincodeEvent
	if tx.Chaincode == nil || proto.Unmarshal(tx.Chaincode.GetEvents(), &ev) != nil || len(ev.Payload) == 0 {
		return
	}
	var e domain.Event
	if json.Unmarshal(ev.Payload, &e) != nil || len(e.Changes) == 0 {
		return
	}
	if e.Changes[0].KeyHash != "" && ev.EventName != domain.ActionPrivate {
		t.Errorf("transaction %s's event is named %q", tx.TxID, ev.EventName)
	}
	for _, ch := range e.Changes {
		if ch.KeyHash != "" && (ch.RecordType != "" || ch.Action != domain.ActionPrivate || ch.Status != "") {
			t.Errorf("transaction %s's event names a private change %+v", tx.TxID, ch)
		}
	}
}

// provenSubjects are transactions of the run whose read sets must not
// name the agreement or credential they concern, by what each is (one
// transaction each): TestZZNoPrivateTransactionReadsAParty finds them.
var provenSubjects = map[string]string{}
