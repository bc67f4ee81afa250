package gateway

import (
	"context"
	"encoding/json"
	"log/slog"
	"time"

	"dataledger/chaincode/domain"
	"dataledger/index"
	"dataledger/network"
)

// DefaultOverdueEvery is how often a feed looks in the supervision index
// for what has become overdue (Config.OverdueEvery).
const DefaultOverdueEvery = time.Minute

// OverdueEvent names the feed's events of an item past its due date:
// "<kind>.overdue" (obligation.overdue, plan.overdue). They carry no id:
// a client resumes by its last ledger event, and the items still overdue
// are pushed again on the new stream.
const OverdueEvent = ".overdue"

// Overdue is an item pushed on the feed of the organization it is owed
// to, once per stream, when the supervision index finds it past its due
// date: an obligation to the channel's authority, an implementation
// plan's filing to the authority a level up.
type Overdue struct {
	Channel string   `json:"channel"`
	Kind    string   `json:"kind"`
	Number  string   `json:"number"`
	Status  string   `json:"status"`
	Title   string   `json:"title"`
	Due     string   `json:"due"`
	Parties []string `json:"parties,omitempty"`
	// Height is the index height the item was found overdue at.
	Height uint64 `json:"height"`
}

// owed is a kind of record whose overdue items an organization is owed:
// of obligations, those owed a level up or the others.
type owed struct {
	kind   string
	upward bool
}

// overdueKinds are what overdue items are owed to the caller's
// organization on the channel: the obligations owed to its authority; to
// its supervisor, the plans' filings and the obligations owed a level up
// (none without a supervision index).
func (s *Server) overdueKinds(ctx context.Context, who Identity, role, channel string) []owed {
	// The roles that read obligations and plans (their routes); another
	// role of the same organization is pushed nothing.
	if s.cfg.Index == nil || (role != RoleIssuer && role != RoleRegulator && role != RoleAdmin) || s.actsAs(who) != nil {
		return nil
	}
	j, err := network.Tx.GetJurisdiction().Evaluate(invoker{ctx, s.ledger, who}, channel)
	if err != nil {
		slog.Warn("feed: no overdue items pushed: reading the jurisdiction failed", "channel", channel, "org", who.Org, "error", err)
		return nil
	}
	var kinds []owed
	if who.Org == j.AuthorityMSP {
		kinds = append(kinds, owed{kind: domain.TypeObligation})
	}
	if j.SupervisorMSP != "" && who.Org == j.SupervisorMSP {
		kinds = append(kinds, owed{kind: domain.TypePlan}, owed{kind: domain.TypeObligation, upward: true})
	}
	return kinds
}

// MaxOverduePages bounds the index pages (of 500 rows) one look of a
// feed reads per kind: past them an item is pushed on a later look, once
// fewer are overdue.
const MaxOverduePages = 4

// newlyOverdue are the items of kinds overdue on the channel today that
// sent does not hold yet; sent then holds what is overdue now, so an item
// that stopped being overdue (filed) and became overdue again (returned)
// is pushed again, and sent never outgrows one look.
func (s *Server) newlyOverdue(ctx context.Context, channel string, kinds []owed, sent map[string]bool, now time.Time) ([]Overdue, error) {
	var out []Overdue
	seen, whole := map[string]bool{}, true
	defer func() { // forget what is overdue no more: known only from a whole look
		if !whole {
			return
		}
		for k := range sent {
			if !seen[k] {
				delete(sent, k)
			}
		}
	}()
	for _, w := range kinds {
		kind := w.kind
		q := index.Query{Channel: channel, Kind: kind, Flags: []string{index.FlagOverdue}, Sort: "id", Asc: true, Limit: 500, Today: now}
		for pages := 1; ; pages++ {
			page, err := s.cfg.Index.Search(ctx, q)
			if err != nil {
				whole = false
				return out, err
			}
			for _, h := range page.Items {
				if kind == domain.TypeObligation && upward(h.Record) != w.upward {
					continue
				}
				key := kind + "/" + h.ID + "/" + h.Due
				if seen[key] = true; sent[key] {
					continue
				}
				sent[key] = true
				out = append(out, Overdue{Channel: channel, Kind: kind, Number: h.ID, Status: h.Status, Title: h.Title, Due: h.Due, Parties: h.Parties, Height: page.Height})
			}
			if page.Next == "" {
				break
			}
			if pages == MaxOverduePages {
				whole = false
				break
			}
			q.Cursor = page.Next
		}
	}
	return out, nil
}

// upward tells whether an obligation's record is owed a level up.
func upward(record []byte) bool {
	var o struct {
		Upward bool `json:"upward"`
	}
	_ = json.Unmarshal(record, &o)
	return o.Upward
}

// overdueLine is an item's server-sent event.
func overdueLine(o Overdue) []byte {
	b, _ := json.Marshal(o)
	return append(append([]byte("event: "+o.Kind+OverdueEvent+"\ndata: "), b...), '\n', '\n')
}
