package contract

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"dataledger/chaincode/domain"
	"dataledger/chaincode/store"
)

var (
	cityAAuthority = domain.Actor{MSP: "CityAMSP", Role: domain.RoleAuthority, ID: "authority"}
	cityAClerk     = domain.Actor{MSP: "CityAMSP", Role: domain.RoleClerk, ID: "clerk"}
	cityBAuthority = domain.Actor{MSP: "CityBMSP", Role: domain.RoleAuthority, ID: "authority"}
	app            = &App{Channels: map[string]domain.ChannelConfig{
		"nanning": {Authority: "CityAMSP", Exchanges: []string{"ExchangeMSP"}, Supervisor: "ProvinceMSP", Private: []string{"CityAMSP", "ProvinceMSP"}},
		"liuzhou": {Authority: "CityBMSP", Exchanges: []string{"ExchangeMSP"}, Supervisor: "ProvinceMSP", Private: []string{"CityBMSP", "ProvinceMSP"}},
	}}
)

const partyJSON = `{"creditCode":"91450100MA5L0000AW","name":"广西数智科技有限公司","role":"enterprise","divisionCode":"450102"}`

// newLedger is a channel's fake ledger with its collection defined as
// the peer has it, and a client that sends a salt with every transaction.
func newLedger(channel string, start time.Time) *store.Memory {
	m := store.NewMemory(channel, start)
	m.Collection = app.Channels[channel].Private
	m.Transient = map[string][]byte{domain.TransientSalt: []byte(strings.Repeat("5a", 32))}
	m.Prove = prove
	return m
}

// prove is what a client adds to a transaction's transient map for each
// party it names and each party whose facts it checks: the proof, from
// the ledger as committed (the client's caller is the transaction's).
func prove(s store.Store, entry string) ([]byte, error) {
	if code, ok := strings.CutPrefix(entry, domain.TransientParty("")); ok {
		tree, err := registryOf(code).bucketTree(s, domain.RegistryBucket(code))
		if err != nil {
			return nil, err
		}
		return json.Marshal(tree.Prove(code))
	}
	code, _ := strings.CutPrefix(entry, domain.TransientFacts(""))
	tree, err := factsTree(s)
	if err != nil {
		return nil, err
	}
	return json.Marshal(tree.Prove(code))
}

func bootstrapped(t testing.TB) *store.Memory {
	t.Helper()
	m := newLedger("nanning", time.Date(2026, 3, 2, 1, 0, 0, 0, time.UTC))
	if _, err := m.Run(cityAAuthority, func(s store.Store) error {
		_, err := app.Bootstrap(s, "南宁市", "450100", "GX")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return m
}

// refused runs fn and checks it fails naming rule and leaves the ledger as it was.
func refused(t *testing.T, m *store.Memory, actor domain.Actor, rule string, fn func(store.Store) error) {
	t.Helper()
	before := m.Snapshot()
	events := len(m.Events)
	_, err := m.Run(actor, fn)
	re, ok := domain.AsRule(err)
	if !ok || re.Rule != rule {
		t.Fatalf("got %v, want a refusal by %s", err, rule)
	}
	if !reflect.DeepEqual(before, m.Snapshot()) || len(m.Events) != events {
		t.Fatal("a refused transaction changed the ledger or emitted an event")
	}
}

func TestBootstrapOnlyOnceAndOnlyByTheNamedAuthority(t *testing.T) {
	m := newLedger("nanning", time.Now())
	refused(t, m, cityBAuthority, domain.RuleOwnAuthority, func(s store.Store) error {
		_, err := app.Bootstrap(s, "南宁市", "450100", "GX")
		return err
	})
	refused(t, m, cityAAuthority, domain.RuleBootstrapped, func(s store.Store) error {
		_, err := app.RegisterParty(s, partyJSON)
		return err
	})
	m = bootstrapped(t)
	refused(t, m, cityAAuthority, domain.RuleBootstrapOnce, func(s store.Store) error {
		_, err := app.Bootstrap(s, "南宁市", "450100", "NS")
		return err
	})
	unknown := newLedger("beihai", time.Now())
	refused(t, unknown, cityAAuthority, domain.RuleBootstrapOnce, func(s store.Store) error {
		_, err := app.Bootstrap(s, "北海市", "450500", "GX")
		return err
	})
}

func TestPartyLifecycleWithEventsAndHistory(t *testing.T) {
	m := bootstrapped(t)
	tx1, err := m.Run(cityAAuthority, func(s store.Store) error { _, err := app.RegisterParty(s, partyJSON); return err })
	if err != nil {
		t.Fatal(err)
	}
	refused(t, m, cityAAuthority, domain.RulePartyUnique, func(s store.Store) error { _, err := app.RegisterParty(s, partyJSON); return err })
	refused(t, m, cityAClerk, domain.RuleRegistrar, func(s store.Store) error {
		_, err := app.ChangePartyStatus(s, "91450100MA5L0000AW", "suspend", "x")
		return err
	})
	tx2, err := m.Run(cityAAuthority, func(s store.Store) error {
		_, err := app.ChangePartyStatus(s, "91450100MA5L0000AW", "suspend", "未按期报送运营报告")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	var hist []domain.HistoryItem
	var p *domain.Party
	_, _ = m.Run(cityAClerk, func(s store.Store) error {
		hist, err = app.History(s, domain.TypeParty, "91450100MA5L0000AW")
		if err != nil {
			return err
		}
		p, err = app.GetParty(s, "91450100MA5L0000AW")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(hist) != 2 || hist[0].TxID != tx1 || hist[1].TxID != tx2 || hist[0].Time >= hist[1].Time {
		t.Fatalf("history %+v", hist)
	}
	var first domain.Party
	_ = json.Unmarshal(hist[0].Record, &first)
	if first.Status != domain.PartyActive || p.Status != domain.PartySuspended || p.Last.TxID != tx2 {
		t.Fatalf("history first %+v, now %+v", first, p)
	}
	// The clerk (the public) reads no words; the authority does, in the
	// record and in its history (the reason rule).
	if p.Last.Reason != "" || strings.Contains(string(hist[1].Record), "未按期报送运营报告") {
		t.Fatalf("the public reads the suspension's words: %+v", p.Last)
	}
	_, _ = m.Run(cityAAuthority, func(s store.Store) error {
		hist, err = app.History(s, domain.TypeParty, "91450100MA5L0000AW")
		if err == nil {
			p, err = app.GetParty(s, "91450100MA5L0000AW")
		}
		return err
	})
	if err != nil || p.Last.Reason != "未按期报送运营报告" || !strings.Contains(string(hist[1].Record), "未按期报送运营报告") {
		t.Fatalf("the authority reads %+v, history %s (%v)", p.Last, hist[1].Record, err)
	}
	last := m.Events[len(m.Events)-1]
	var ev domain.Event
	_ = json.Unmarshal(last.Payload, &ev)
	if last.Name != "party.suspend" || ev.TxID != tx2 || len(ev.Changes) != 1 || ev.Changes[0].Status != domain.PartySuspended || ev.Changes[0].Key != "91450100MA5L0000AW" {
		t.Fatalf("event %s %+v", last.Name, ev)
	}
}

// A peer that joined the channel from a snapshot holds the state but no
// history before it: asked for a record's history, it refuses as partial
// (a peer holding the whole chain answers) rather than answering "not
// found" or a history that starts at a later version.
func TestHistoryCutByASnapshotIsRefusedAsPartial(t *testing.T) {
	m := bootstrapped(t)
	const code = "91450100MA5L0000AW"
	if _, err := m.Run(cityAAuthority, func(s store.Store) error { _, err := app.RegisterParty(s, partyJSON); return err }); err != nil {
		t.Fatal(err)
	}
	m.JoinedFromSnapshot()
	refused(t, m, cityAClerk, RuleHistoryPartial, func(s store.Store) error { _, err := app.History(s, domain.TypeParty, code); return err })
	if _, err := m.Run(cityAAuthority, func(s store.Store) error {
		_, err := app.ChangePartyStatus(s, code, "suspend", "未按期报送运营报告")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	var err error
	_, _ = m.Run(cityAClerk, func(s store.Store) error { _, err = app.History(s, domain.TypeParty, code); return err })
	if re, ok := domain.AsRule(err); !ok || re.Rule != RuleHistoryPartial || domain.AnswerOf(re).HTTP != 503 || !strings.Contains(re.Detail, "before 2") {
		t.Fatalf("a history starting at version 2: %v", err)
	}
	check, _ := domain.CreditCodeCheckChar("91450100MA5L0001A")
	nobody := "91450100MA5L0001A" + string(check) // never registered: not found, as before
	refused(t, m, cityAClerk, RuleRecordType, func(s store.Store) error {
		_, err := app.History(s, domain.TypeParty, nobody)
		return err
	})
}

func TestPartyBadInputChangesNothing(t *testing.T) {
	m := bootstrapped(t)
	for rule, arg := range map[string]string{
		domain.RuleCreditCode:    `{"creditCode":"91450100MA5L0000AX","name":"x","role":"enterprise","divisionCode":"450102"}`,
		domain.RuleDivisionCode:  `{"creditCode":"91450100MA5L0000AW","name":"x","role":"enterprise","divisionCode":"4501"}`,
		domain.RulePartyRole:     `{"creditCode":"91450100MA5L0000AW","name":"x","role":"emperor","divisionCode":"450102"}`,
		domain.RuleText:          `{"creditCode":"91450100MA5L0000AW","name":"","role":"enterprise","divisionCode":"450102"}`,
		RuleJSON:                 `{"creditCode":"91450100MA5L0000AW","nmae":"x","role":"enterprise","divisionCode":"450102"}`,
		domain.RulePartyDivision: `{"creditCode":"91450100MA5L0000AW","name":"x","role":"enterprise","divisionCode":"450202"}`,
	} {
		refused(t, m, cityAAuthority, rule, func(s store.Store) error { _, err := app.RegisterParty(s, arg); return err })
	}
}

func TestProfileChangesOnlyByAuthorityWithHistory(t *testing.T) {
	m := bootstrapped(t)
	refused(t, m, cityAClerk, domain.RuleOwnAuthority, func(s store.Store) error { _, err := app.AdoptProfile(s, "NS", "x"); return err })
	refused(t, m, cityBAuthority, domain.RuleOwnAuthority, func(s store.Store) error { _, err := app.AdoptProfile(s, "NS", "x"); return err })
	refused(t, m, cityAAuthority, domain.RuleProfile, func(s store.Store) error {
		_, err := app.SetProfile(s, `{"name":"X1","title":"t","maxAgreementTermMonths":-5}`, "r")
		return err
	})
	if _, err := m.Run(cityAAuthority, func(s store.Store) error { _, err := app.AdoptProfile(s, "NS", "南山区试点"); return err }); err != nil {
		t.Fatal(err)
	}
	_, _ = m.Run(cityAClerk, func(s store.Store) error {
		rec, err := app.GetProfile(s)
		if err != nil || rec.Profile.Name != "NS" || rec.Version != 2 {
			t.Fatalf("profile %+v %v", rec, err)
		}
		h, err := app.History(s, domain.TypeProfile, "")
		if err != nil || len(h) != 2 {
			t.Fatalf("profile history %d %v", len(h), err)
		}
		return nil
	})
}

func TestListPartiesPages(t *testing.T) {
	m := bootstrapped(t)
	codes := []string{"91450100MA5L0000AW", "91450100MA5L00001X", "91450100MA5L00002Y"}
	for _, c := range codes {
		body := c[:17]
		check, _ := domain.CreditCodeCheckChar(body)
		code := body + string(check)
		arg := `{"creditCode":"` + code + `","name":"企业` + code + `","role":"enterprise","divisionCode":"450102"}`
		if _, err := m.Run(cityAAuthority, func(s store.Store) error { _, err := app.RegisterParty(s, arg); return err }); err != nil {
			t.Fatal(err)
		}
	}
	var all []domain.Party
	bookmark := ""
	for i := 0; i < 5; i++ {
		_, _ = m.Run(cityAClerk, func(s store.Store) error {
			p, err := app.ListParties(s, 2, bookmark)
			if err != nil {
				t.Fatal(err)
			}
			all = append(all, p.Items...)
			bookmark = p.Bookmark
			return nil
		})
		if bookmark == "" {
			break
		}
	}
	if len(all) != 3 {
		t.Fatalf("paged %d parties, want 3", len(all))
	}
	refused(t, m, cityAClerk, RulePageSize, func(s store.Store) error { _, err := app.ListParties(s, 0, ""); return err })
}
