package gateway

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"dataledger/chaincode/domain"
	"dataledger/index"
)

// overdueIndex answers searches for overdue items: three obligations over
// two pages (one owed a level up), one plan.
type overdueIndex struct {
	Supervision
	mu       sync.Mutex
	searches int
}

func (o *overdueIndex) Search(_ context.Context, q index.Query) (*index.Page, error) {
	o.mu.Lock()
	o.searches++
	o.mu.Unlock()
	if len(q.Flags) != 1 || q.Flags[0] != index.FlagOverdue {
		return nil, &index.QueryError{Field: "flag", Reason: "want overdue"}
	}
	page := &index.Page{Channel: q.Channel, Height: 9}
	switch {
	case q.Kind == domain.TypeObligation && q.Cursor == "":
		page.Items, page.Next = []index.Hit{{Kind: q.Kind, ID: "LX-1", Status: "open", Due: "2026-03-31", Parties: []string{"p1"}}}, "2"
	case q.Kind == domain.TypeObligation:
		page.Items = []index.Hit{{Kind: q.Kind, ID: "LX-2", Status: "returned", Due: "2026-04-30"},
			{Kind: q.Kind, ID: "LX-3", Status: "open", Due: "2026-05-31", Record: []byte(`{"upward":true}`)}}
	case q.Kind == domain.TypePlan:
		page.Items = []index.Hit{{Kind: q.Kind, ID: "FA-1", Status: "approved", Due: "2026-11-06"}}
	}
	return page, nil
}

// TestFeedPushesWhatIsOverdueToWhomItIsOwed: the channel's authority's
// feed carries the overdue obligations owed to it, every page of them,
// once each however often the feed looks; the supervisor's carries the
// overdue plans and the obligations owed a level up; another org's, and a
// role of the authority's org that reads no obligation, carry none.
func TestFeedPushesWhatIsOverdueToWhomItIsOwed(t *testing.T) {
	cfg := DefaultConfig()
	ix := &overdueIndex{}
	cfg.Index, cfg.OverdueEvery = ix, 20*time.Millisecond
	hs := newHarnessConfig(t, cfg)
	hs.ledger.hold = true
	j, _ := json.Marshal(domain.Jurisdiction{Channel: "nanning", AuthorityMSP: "CityAMSP", SupervisorMSP: "ProvinceMSP", ExchangeMSPs: []string{"ExchangeMSP"}})
	hs.ledger.answers = map[string][]byte{"GetJurisdiction": j}
	province, _, err := createKey(hs.ks, "ProvinceMSP", RoleRegulator)
	if err != nil {
		t.Fatal(err)
	}
	exchange, _, err := createKey(hs.ks, "ExchangeMSP", RoleExchange)
	if err != nil {
		t.Fatal(err)
	}
	stream := func(key string) string {
		ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
		defer cancel()
		req := httptest.NewRequestWithContext(ctx, http.MethodGet, "/api/v1/channels/nanning/feed", nil)
		req.Header.Set("Authorization", "Bearer "+key)
		w := httptest.NewRecorder()
		hs.h.ServeHTTP(w, req)
		if w.Code != http.StatusOK {
			t.Fatalf("feed: %d %s", w.Code, w.Body)
		}
		return w.Body.String()
	}
	city := stream(hs.keys[RoleIssuer])
	if strings.Count(city, "event: obligation.overdue\n") != 2 || !strings.Contains(city, `"number":"LX-2","status":"returned","title":"","due":"2026-04-30"`) ||
		strings.Contains(city, "plan.overdue") || strings.Contains(city, "LX-3") || !strings.Contains(city, "event: certificate.register") {
		t.Fatalf("the authority's feed:\n%s", city)
	}
	ix.mu.Lock()
	looked := ix.searches
	ix.mu.Unlock()
	if looked < 4 { // looked again (two pages a look), pushed nothing twice
		t.Fatalf("%d searches in 500ms at one look per 20ms", looked)
	}
	if sup := stream(province); strings.Count(sup, "event: plan.overdue\n") != 1 || strings.Count(sup, "event: obligation.overdue\n") != 1 || !strings.Contains(sup, `"number":"LX-3"`) {
		t.Fatalf("the supervisor's feed:\n%s", sup)
	}
	if other := stream(exchange); strings.Contains(other, ".overdue") {
		t.Fatalf("the exchange's feed:\n%s", other)
	}
	// A role of the authority's organization that reads no obligation.
	if same := stream(hs.keys[RoleExchange]); strings.Contains(same, ".overdue") {
		t.Fatalf("an exchange-role key of the authority's org:\n%s", same)
	}
}

// flipIndex answers one overdue obligation, or none while off.
type flipIndex struct {
	Supervision
	off bool
}

func (f *flipIndex) Search(_ context.Context, q index.Query) (*index.Page, error) {
	if f.off {
		return &index.Page{Channel: q.Channel}, nil
	}
	return &index.Page{Channel: q.Channel, Items: []index.Hit{{Kind: q.Kind, ID: "LX-9", Status: "returned", Due: "2026-03-31"}}}, nil
}

// TestAnItemOverdueAgainIsPushedAgain: filed (no longer overdue) and
// returned (overdue again), an item is pushed again; what stopped being
// overdue leaves the stream's memory.
func TestAnItemOverdueAgainIsPushedAgain(t *testing.T) {
	ix := &flipIndex{}
	s := &Server{cfg: Config{Index: ix}}
	sent, kinds, now := map[string]bool{}, []owed{{kind: domain.TypeObligation}}, time.Now()
	look := func() int {
		items, err := s.newlyOverdue(context.Background(), "nanning", kinds, sent, now)
		if err != nil {
			t.Fatal(err)
		}
		return len(items)
	}
	if first, again := look(), look(); first != 1 || again != 0 {
		t.Fatalf("pushed %d, then %d", first, again)
	}
	ix.off = true
	if n := look(); n != 0 || len(sent) != 0 {
		t.Fatalf("filed: pushed %d, remembered %d", n, len(sent))
	}
	ix.off = false
	if n := look(); n != 1 {
		t.Fatalf("overdue again: pushed %d", n)
	}
}
