package index

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"dataledger/chaincode/domain"
	"dataledger/proof"
	"dataledger/proof/prooftest"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/rwset"
	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/rwset/kvrwset"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"github.com/jackc/pgx/v5"
	"google.golang.org/protobuf/proto"
)

// The chain the tests index: a copy of the demo's nanning ledger (the
// proof package's fixture), audited under the network's roots.
const fixture = "../proof/testdata/nanning"

func fixtureBlocks(t testing.TB) [][]byte {
	t.Helper()
	fb, err := proof.OpenBlockFiles(fixture)
	if err != nil {
		t.Fatal(err)
	}
	var out [][]byte
	for {
		raw, err := fb.Next()
		if err != nil {
			break
		}
		out = append(out, raw)
	}
	if len(out) < 20 {
		t.Fatalf("the fixture has %d blocks", len(out))
	}
	return out
}

func fixtureTrust(t testing.TB) *proof.TrustFile {
	t.Helper()
	tf, err := proof.LoadTrust("../proof/testdata/trust.json")
	if err != nil {
		t.Fatal(err)
	}
	return tf
}

// testDSN is the PostgreSQL the tests create their databases in
// (scripts/deps.sh starts it).
func testDSN(db string) string {
	base := os.Getenv("DATALEDGER_TEST_PG")
	if base == "" {
		base = "postgres://postgres@127.0.0.1:5432/"
	}
	return base + db + "?sslmode=disable"
}

// testDB is a fresh database, dropped after the test.
func testDB(t testing.TB) *DB {
	t.Helper()
	ctx := context.Background()
	name := "dl_index_test_" + hex.EncodeToString(randomBytes(6))
	d, err := Open(ctx, testDSN(name))
	if err != nil {
		t.Fatalf("PostgreSQL is required (scripts/deps.sh starts it): %v", err)
	}
	t.Cleanup(func() {
		d.Close()
		c, err := pgx.Connect(ctx, testDSN("postgres"))
		if err == nil {
			c.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
			c.Close(ctx)
		}
	})
	return d
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}

// slice is a Source over blocks; it closes the stream after stop blocks
// (0: after all), as a connection that fails would.
func slice(t testing.TB, blocks [][]byte, stop int) Source {
	return func(ctx context.Context, channel string, from uint64) (<-chan Delivered, error) {
		out := make(chan Delivered, 8)
		go func() {
			defer close(out)
			sent := 0
			for _, raw := range blocks[from:] {
				if stop > 0 && sent == stop {
					return
				}
				blk, err := proof.ParseBlock(raw)
				if err != nil {
					t.Error(err)
					return
				}
				select {
				case out <- Delivered{Block: blk}:
					sent++
				case <-ctx.Done():
					return
				}
			}
		}()
		return out, nil
	}
}

func indexer(t testing.TB, d *DB) *Indexer {
	return &Indexer{DB: d, Chaincode: "dataledger", Trust: fixtureTrust(t)}
}

func catchUp(t testing.TB, ix *Indexer, src Source) uint64 {
	t.Helper()
	h, err := ix.CatchUp(context.Background(), "nanning", src, 300*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// TestIndexHoldsWhatThePeerHolds: after the whole chain, every record the
// peer's state holds is in the index with the same value, and nothing
// else is; each record's versions are its writes, in order.
func TestIndexHoldsWhatThePeerHolds(t *testing.T) {
	blocks := fixtureBlocks(t)
	d := testDB(t)
	if h := catchUp(t, indexer(t, d), slice(t, blocks, 0)); h != uint64(len(blocks)) {
		t.Fatalf("height %d, want %d", h, len(blocks))
	}
	p, err := prooftest.NewPeer("nanning", "dataledger", blocks)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]byte{}
	for k, v := range p.State() {
		if r, ok, err := Summarize("nanning", k, v); err != nil {
			t.Fatal(err)
		} else if ok {
			want[r.Kind+" "+r.ID] = v
		}
	}
	got := dumpRecords(t, d)
	if len(got) != len(want) || len(want) < 15 {
		t.Fatalf("the index holds %d records, the peer %d", len(got), len(want))
	}
	for k, v := range want {
		if !sameJSON(t, got[k], v) {
			t.Errorf("%s: index %s, peer %s", k, got[k], v)
		}
	}
	kinds := map[string]int{}
	for k := range got {
		kinds[strings.Fields(k)[0]]++
	}
	for _, k := range []string{"party", "issuerKey", "agreement", "credential", "application", "certificate", "objection", "jurisdiction"} {
		if kinds[k] == 0 {
			t.Errorf("no %s indexed (%v)", k, kinds)
		}
	}
	// Every version: each write of a valid transaction to a record's key
	// (not to the chaincode's own "a~b" index keys), counted here from the
	// raw write sets.
	var writes int
	for _, raw := range blocks {
		blk, _ := proof.ParseBlock(raw)
		for i := range blk.Data.Data {
			if code, _ := proof.ValidationCode(blk, i); code != peer.TxValidationCode_VALID {
				continue
			}
			tx, err := proof.ParseTx(blk, i)
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range tx.Writes("dataledger") {
				if typ, _, err := domain.SplitCompositeKey(w.Key); err == nil && !strings.Contains(typ, "~") {
					writes++
				}
			}
		}
	}
	var versions int
	if err := d.pool.QueryRow(context.Background(), `SELECT count(*) FROM versions`).Scan(&versions); err != nil {
		t.Fatal(err)
	}
	if versions != writes {
		t.Errorf("%d versions, the chain has %d record writes", versions, writes)
	}
	var unnamed int
	if err := d.pool.QueryRow(context.Background(), `SELECT count(*) FROM other_records`).Scan(&unnamed); err != nil || unnamed != 0 {
		t.Errorf("%d records in the default partition (a kind without its own table): %v", unnamed, err)
	}
}

func sameJSON(t testing.TB, a, b []byte) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	return reflect.DeepEqual(x, y)
}

// dumpRecords is every record, by "kind id".
func dumpRecords(t testing.TB, d *DB) map[string][]byte {
	t.Helper()
	rows, err := d.pool.Query(context.Background(), `SELECT kind, id, `+latestBody+` FROM records`)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]byte{}
	var kind, id string
	var body []byte
	if _, err := pgx.ForEachRow(rows, []any{&kind, &id, &body}, func() error {
		out[kind+" "+id] = append([]byte(nil), body...)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

// dumpTables is every table's rows as text, without the times of
// indexing itself: two indexes of one chain dump the same.
func dumpTables(t testing.TB, d *DB) string {
	t.Helper()
	var b bytes.Buffer
	for _, q := range []string{
		`SELECT channel, height, checkpoint::text, division, last_block_time, broken_block FROM channels ORDER BY channel`,
		`SELECT * FROM blocks ORDER BY channel, number`,
		`SELECT * FROM versions ORDER BY channel, block, tx_index, kind, id`,
		`SELECT * FROM records ORDER BY kind, channel, id`,
	} {
		rows, err := d.pool.Query(context.Background(), q)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			vals, err := rows.Values()
			if err != nil {
				t.Fatal(err)
			}
			fmt.Fprintln(&b, vals...)
		}
		rows.Close()
	}
	return b.String()
}

// TestKilledMidCatchUpResumesWithNoDuplicateAndNoGap: a stream that dies
// every few blocks (and an index restarted each time) ends with the same
// tables as one run; a re-run from genesis after Reset too.
func TestKilledMidCatchUpResumesWithNoDuplicateAndNoGap(t *testing.T) {
	blocks := fixtureBlocks(t)
	once := testDB(t)
	catchUp(t, indexer(t, once), slice(t, blocks, 0))
	want := dumpTables(t, once)

	d := testDB(t)
	runs := 0
	for {
		ix := indexer(t, d) // a new process each time
		ix.MaxBatch = 2
		h := catchUp(t, ix, slice(t, blocks, 5))
		runs++
		if h == uint64(len(blocks)) {
			break
		}
		if runs > len(blocks) {
			t.Fatal("no progress")
		}
	}
	if runs < 3 {
		t.Fatalf("%d runs: the test did not interrupt the index", runs)
	}
	if got := dumpTables(t, d); got != want {
		t.Errorf("resumed index differs from one run:\n%s", firstDiff(got, want))
	}
	if err := d.Reset(context.Background(), "nanning"); err != nil {
		t.Fatal(err)
	}
	catchUp(t, indexer(t, d), slice(t, blocks, 0))
	if got := dumpTables(t, d); got != want {
		t.Errorf("re-run from genesis differs:\n%s", firstDiff(got, want))
	}
	// A batch that does not continue the chain is refused whole.
	err := d.Store(context.Background(), "nanning", []*Block{{Channel: "nanning", Number: 3}}, nil)
	if !errors.Is(err, ErrNotNext) {
		t.Fatalf("storing block 3 again: %v", err)
	}
}

func firstDiff(a, b string) string {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := range al {
		if i >= len(bl) || al[i] != bl[i] {
			other := ""
			if i < len(bl) {
				other = bl[i]
			}
			return fmt.Sprintf("line %d:\n got %.300s\nwant %.300s", i, al[i], other)
		}
	}
	return "one is longer"
}

// tamperedMidway is the fixture chain and a copy of it whose middle block
// (number bad) tamper changed.
func tamperedMidway(t *testing.T, tamper func(*common.Block)) (blocks, copyOf [][]byte, bad uint64) {
	t.Helper()
	blocks = fixtureBlocks(t)
	bad = uint64(len(blocks) / 2)
	copyOf = append([][]byte(nil), blocks...)
	blk, err := proof.ParseBlock(blocks[bad])
	if err != nil {
		t.Fatal(err)
	}
	tamper(blk)
	if copyOf[bad], err = proto.Marshal(blk); err != nil {
		t.Fatal(err)
	}
	return blocks, copyOf, bad
}

// TestCorruptedBlockStopsIndexingWithTheBlockNamed: a block whose data
// no longer matches its header (a test copy, one byte changed) is not
// stored, nor anything after it; the blocks before it are; every later
// run stops there too.
func TestCorruptedBlockStopsIndexingWithTheBlockNamed(t *testing.T) {
	blocks, copyOf, bad := tamperedMidway(t, func(blk *common.Block) {
		tx := blk.Data.Data[0]
		i := bytes.Index(tx, []byte("450100"))
		if i < 0 {
			t.Fatal("block has no division code to change")
		}
		tx[i+5] = '9'
	})
	d := testDB(t)
	ix := indexer(t, d)
	_, err := ix.CatchUp(context.Background(), "nanning", slice(t, copyOf, 0), 300*time.Millisecond)
	var be *BrokenError
	if !errors.As(err, &be) || be.Block != bad || !strings.Contains(be.Reason, "data hash") {
		t.Fatalf("indexing a corrupted block %d: %v", bad, err)
	}
	st, err := d.Channel(context.Background(), "nanning")
	if err != nil {
		t.Fatal(err)
	}
	if st.Height != bad || st.Broken == nil || st.Broken.Block != bad {
		t.Fatalf("after the broken block: %+v", st)
	}
	var stored int
	d.pool.QueryRow(context.Background(), `SELECT count(*) FROM versions WHERE block >= $1`, int64(bad)).Scan(&stored)
	if stored != 0 {
		t.Fatalf("%d versions stored from block %d on", stored, bad)
	}
	// The honest chain does not get past it either until the operator
	// has looked (Reset).
	if err := indexer(t, d).Follow(context.Background(), "nanning", slice(t, blocks, 0)); !errors.As(err, &be) || be.Block != bad {
		t.Fatalf("a later run: %v", err)
	}
}

// TestABlockItsOrderersDidNotSignStopsIndexing: a block whose header and
// data are intact but whose orderer signature is not is refused by name,
// with the signatures checked ahead of its turn as with every block, and
// nothing of it or after it is stored.
func TestABlockItsOrderersDidNotSignStopsIndexing(t *testing.T) {
	_, copyOf, bad := tamperedMidway(t, func(blk *common.Block) {
		var md common.Metadata
		if err := proto.Unmarshal(blk.Metadata.Metadata[common.BlockMetadataIndex_SIGNATURES], &md); err != nil {
			t.Fatal(err)
		}
		md.Signatures[0].Signature[12] ^= 0xff
		blk.Metadata.Metadata[common.BlockMetadataIndex_SIGNATURES], _ = proto.Marshal(&md)
	})
	var err error
	for _, trusting := range []bool{false, true} {
		d := testDB(t)
		ix := indexer(t, d)
		ix.TrustPeerValidation = trusting
		_, err = ix.CatchUp(context.Background(), "nanning", slice(t, copyOf, 0), 300*time.Millisecond)
		var be *BrokenError
		if !errors.As(err, &be) || be.Block != bad || !strings.Contains(be.Reason, "orderer signatures") {
			t.Fatalf("indexing block %d with a bad orderer signature (taking the peer's marks: %v): %v", bad, trusting, err)
		}
		var stored int
		d.pool.QueryRow(context.Background(), `SELECT count(*) FROM versions WHERE block >= $1`, int64(bad)).Scan(&stored)
		if st, err := d.Channel(context.Background(), "nanning"); err != nil || st.Height != bad || stored != 0 {
			t.Fatalf("after the badly signed block: height %d, %d versions stored from it on (%v)", st.Height, stored, err)
		}
	}
}

// TestSummariesReadTheDomainsFlags: the late, open, due and deemed columns
// are the domain's own decisions, read off records.
func TestSummariesReadTheDomainsFlags(t *testing.T) {
	key, _ := domain.CompositeKey(domain.TypeApplication, "SA-450100-2026-00000001-X")
	app := domain.Application{ApplicationInput: domain.ApplicationInput{Number: "SA-450100-2026-00000001-X", ApplicantCreditCode: "91450100MA5L0000AW", ProductName: "城市通勤客流指数"},
		Stage: domain.StagePreliminaryApproved, ComplianceDeadline: "2026-03-02", Steps: []domain.Step{{Step: "preliminary_review", Decision: domain.DecisionApproved, Late: true}}}
	raw, _ := json.Marshal(app)
	r, ok, err := Summarize("nanning", key, raw)
	if err != nil || !ok {
		t.Fatal(ok, err)
	}
	if !r.Late || !r.Open || r.Deemed || r.DeemedOn != "2026-03-03" || r.Due != "2026-03-02" || r.Title != "城市通勤客流指数" {
		t.Fatalf("%+v", r)
	}
	app.ComplianceExtended = true
	raw, _ = json.Marshal(app)
	if r, _, _ = Summarize("nanning", key, raw); r.DeemedOn != "" {
		t.Fatalf("an extended review is not deemed: %+v", r)
	}
	if _, ok, _ := Summarize("nanning", "\x00credential~holder\x00a\x00b\x00", []byte{0}); ok {
		t.Fatal("an index key read as a record")
	}
	if _, _, err := Summarize("nanning", key, []byte(`{"stage": 5}`)); err == nil || !strings.Contains(err.Error(), "application") {
		t.Fatalf("an undecodable record: %v", err)
	}
}

// TestAnotherNetworkUnderTheSameNameIsRefused: an index of one chain does
// not resume on another whose genesis differs (a network set up anew).
func TestAnotherNetworkUnderTheSameNameIsRefused(t *testing.T) {
	blocks := fixtureBlocks(t)
	d := testDB(t)
	catchUp(t, indexer(t, d), slice(t, blocks[:10], 0))
	other := append([][]byte(nil), blocks...)
	blk, _ := proof.ParseBlock(blocks[0])
	blk.Header.DataHash = append([]byte{0}, blk.Header.DataHash[1:]...)
	other[0], _ = proto.Marshal(blk)
	_, err := indexer(t, d).CatchUp(context.Background(), "nanning", slice(t, other, 0), 300*time.Millisecond)
	var oe *OtherNetworkError
	if !errors.As(err, &oe) {
		t.Fatalf("resuming on another genesis: %v", err)
	}
	if h := catchUp(t, indexer(t, d), slice(t, blocks, 0)); h != uint64(len(blocks)) {
		t.Fatalf("the same chain resumes: height %d", h)
	}
}

// TestAValidFlagIsNotTakenOnTrust: the peer's transactions filter is not
// signed by the orderers. A transaction it marks valid that a majority of
// the channel's organizations did not endorse stops indexing at its block,
// with nothing of it stored.
func TestAValidFlagIsNotTakenOnTrust(t *testing.T) {
	l := newTestLedger(t)
	party := func(code string, endorsers ...string) {
		t.Helper()
		tx, err := l.Begin("CityAMSP", "operator", "RegisterParty")
		if err != nil {
			t.Fatal(err)
		}
		ch := tx.Change("register", "")
		if err := tx.Put(domain.TypeParty, code, domain.Party{CreditCode: code, Name: "测试企业", Role: domain.PartyEnterprise, DivisionCode: "450100",
			Status: domain.PartyActive, Onboarded: ch, Last: ch, Version: 1}); err != nil {
			t.Fatal(err)
		}
		if _, err := tx.Commit("ProvinceMSP", endorsers...); err != nil {
			t.Fatal(err)
		}
	}
	party("91450100MA5L0000AW", "CityAMSP", "ProvinceMSP") // a majority: indexed
	party("91450100MA5L0001AX", "CityAMSP")                // one org of three, marked valid by the peer
	var blocks [][]byte
	for n := 0; n < l.Peer().Height(); n++ {
		blocks = append(blocks, l.Peer().Block(uint64(n)))
	}
	d := testDB(t)
	ix := &Indexer{DB: d, Chaincode: "dataledger", Trust: l.Trust()}
	_, err := ix.CatchUp(context.Background(), "nanning", slice(t, blocks, 0), 300*time.Millisecond)
	var be *BrokenError
	if !errors.As(err, &be) || be.Block != 2 || !strings.Contains(be.Reason, "the verifier needs 2") {
		t.Fatalf("a valid-marked transaction endorsed by one org: %v", err)
	}
	got := dumpRecords(t, d)
	if _, ok := got["party 91450100MA5L0000AW"]; !ok {
		t.Fatalf("the properly endorsed party is not indexed: %v", got)
	}
	if _, ok := got["party 91450100MA5L0001AX"]; ok {
		t.Fatal("the party of the under-endorsed transaction is indexed")
	}
}

// TestPrivatePartsAreIndexedWhole: a collection member's stream delivers
// each transaction's private data; the index stores the record whole in
// place of its public view (an application before its notice has none),
// after checking it against the hash its block keeps. A stream without
// private data indexes the public view; private data that is not what
// the block hashed stops the index.
func TestPrivatePartsAreIndexedWhole(t *testing.T) {
	l := newTestLedger(t)
	var err error
	const n, o = "SA-450100-2026-PRIVATE1-4", "YY-450100-2026-PRIVATE1-9"
	private := map[uint64]map[uint64]*rwset.TxPvtReadWriteSet{} // block → tx → private data
	commit := func(fn string, write func(tx *prooftest.Tx), endorsers ...string) {
		t.Helper()
		tx, err := l.Begin("CityAMSP", "operator", fn)
		if err != nil {
			t.Fatal(err)
		}
		write(tx)
		if len(endorsers) == 0 {
			endorsers = []string{"CityAMSP", "ProvinceMSP"}
		}
		if _, err := tx.Commit("ProvinceMSP", endorsers...); err != nil {
			t.Fatal(err)
		}
		var writes []*kvrwset.KVWrite
		for k, v := range tx.Private {
			writes = append(writes, &kvrwset.KVWrite{Key: k, Value: v})
		}
		kv, _ := proto.Marshal(&kvrwset.KVRWSet{Writes: writes})
		private[uint64(l.Peer().Height()-1)] = map[uint64]*rwset.TxPvtReadWriteSet{0: {NsPvtRwset: []*rwset.NsPvtReadWriteSet{{Namespace: "dataledger",
			CollectionPvtRwset: []*rwset.CollectionPvtReadWriteSet{{CollectionName: domain.Collection, Rwset: kv}}}}}}
	}
	seal := func(v any) []byte {
		rec, _ := json.Marshal(v)
		b, _ := json.Marshal(domain.Sealed{Salt: strings.Repeat("ab", 32), Record: rec})
		return b
	}
	// A party's suspension: its public record without the words, which
	// the collection holds under the change's transaction.
	const party = "91450100MA5L0000AW"
	commit("ChangePartyStatus", func(tx *prooftest.Tx) {
		ch := tx.Change("suspend", "限期整改：泄露用户数据")
		p := domain.Party{CreditCode: party, Name: "广西数智科技有限公司", Role: domain.PartyEnterprise, DivisionCode: "450100", Status: domain.PartySuspended, Last: ch, Version: 2}
		_ = tx.Put(domain.TypeParty, party, p.Public())
		k, _ := domain.CompositeKey(domain.TypeWords, domain.TypeParty, party, tx.ID)
		tx.PutPrivateKey(k, seal(domain.Words{TxID: tx.ID, Reason: ch.Reason}))
	})
	commit("Apply", func(tx *prooftest.Tx) {
		ch := tx.Change("apply", "")
		a := domain.Application{ApplicationInput: domain.ApplicationInput{Number: n, ApplicantCreditCode: "91450100MA5L0000AW", ProductName: "城市通勤客流指数",
			DataProviders: []string{"11450100MB0000001X"}}, Stage: domain.StageApplied, AppliedOn: "2026-03-02", Last: ch, Version: 1}
		if a.Public() != nil {
			t.Fatal("an application before its notice has a public view")
		}
		_ = tx.PutPrivate(domain.TypeApplication, n, seal(a))
	})
	commit("FileObjection", func(tx *prooftest.Tx) {
		ch := tx.Change("file", "")
		obj := domain.Objection{ObjectionInput: domain.ObjectionInput{Number: o, TargetKind: "certificate", Target: "DJ-450100-2026-PRIVATE1-2",
			EvidenceDigest: strings.Repeat("0", 64), Summary: "异议人称含其个人数据"}, Status: domain.ObjectionOpen, Filed: ch, Last: ch, Version: 1}
		_ = tx.PutPrivate(domain.TypeObjection, o, seal(obj))
		_ = tx.Put(domain.TypeObjection, o, obj.Public())
	})
	var blocks []Delivered
	for i := 0; i < l.Peer().Height(); i++ {
		blk, _ := proof.ParseBlock(l.Peer().Block(uint64(i)))
		blocks = append(blocks, Delivered{Block: blk, Private: private[uint64(i)]})
	}
	source := func(blocks []Delivered) Source {
		return func(ctx context.Context, channel string, from uint64) (<-chan Delivered, error) {
			out := make(chan Delivered, len(blocks))
			for _, b := range blocks[from:] {
				out <- b
			}
			close(out)
			return out, nil
		}
	}
	index := func(blocks []Delivered) (map[string][]byte, error) {
		d := testDB(t)
		_, err := (&Indexer{DB: d, Chaincode: "dataledger", Trust: l.Trust()}).CatchUp(context.Background(), "nanning", source(blocks), 300*time.Millisecond)
		return dumpRecords(t, d), err
	}
	member, err := index(blocks)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(member["application "+n]), "11450100MB0000001X") || !strings.Contains(string(member["objection "+o]), "个人数据") ||
		!strings.Contains(string(member["party "+party]), "泄露用户数据") {
		t.Fatalf("a member's index lacks the whole records: %v", member)
	}
	public := make([]Delivered, len(blocks))
	for i, b := range blocks {
		public[i] = Delivered{Block: b.Block}
	}
	other, err := index(public)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := other["application "+n]; ok || strings.Contains(string(other["objection "+o]), "个人数据") || other["objection "+o] == nil ||
		strings.Contains(string(other["party "+party]), "泄露用户数据") || other["party "+party] == nil {
		t.Fatalf("an index without private data: %v", other)
	}
	forged := slices.Clone(blocks)
	last := len(forged) - 1
	forged[last] = Delivered{Block: forged[last].Block, Private: map[uint64]*rwset.TxPvtReadWriteSet{}}
	for k, v := range blocks[last].Private {
		c := proto.Clone(v).(*rwset.TxPvtReadWriteSet)
		var kv kvrwset.KVRWSet
		_ = proto.Unmarshal(c.NsPvtRwset[0].CollectionPvtRwset[0].Rwset, &kv)
		kv.Writes[0].Value = []byte(strings.Replace(string(kv.Writes[0].Value), "个人数据", "无", 1))
		c.NsPvtRwset[0].CollectionPvtRwset[0].Rwset, _ = proto.Marshal(&kv)
		forged[last].Private[k] = c
	}
	if _, err := index(forged); err == nil || !strings.Contains(err.Error(), "not what the block's hash names") {
		t.Fatalf("private data that is not the block's: %v", err)
	}
	// A transaction that writes only private data is audited as any
	// other: endorsed by one org of three, it stops the index.
	commit("Apply", func(tx *prooftest.Tx) {
		a := domain.Application{ApplicationInput: domain.ApplicationInput{Number: "SA-450100-2026-PRIVATE2-2"}, Stage: domain.StageApplied, Version: 1}
		_ = tx.PutPrivate(domain.TypeApplication, a.Number, seal(a))
	}, "CityAMSP")
	blk, _ := proof.ParseBlock(l.Peer().Block(uint64(l.Peer().Height() - 1)))
	_, err = index(append(blocks, Delivered{Block: blk, Private: private[uint64(l.Peer().Height()-1)]}))
	var be *BrokenError
	if !errors.As(err, &be) || !strings.Contains(be.Reason, "the verifier needs 2") {
		t.Fatalf("a private-only transaction endorsed by one org: %v", err)
	}
}

// newTestLedger is a test ledger on the fixture chain's genesis block.
func newTestLedger(t *testing.T) *prooftest.Ledger {
	t.Helper()
	genesis, err := prooftest.OpenPeer("nanning", "dataledger", fixture, 1)
	if err != nil {
		t.Fatal(err)
	}
	l, err := prooftest.NewLedger(genesis.Block(0), "dataledger", time.Now().Add(-time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	return l
}
