package gateway

import (
	"context"
	"encoding/json"
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

// overdueKinds are the kinds whose overdue items are owed to the caller's
// organization on the channel: obligations to its authority, plans'
// filings to its supervisor (none without a supervision index).
func (s *Server) overdueKinds(ctx context.Context, who Identity, channel string) []string {
	if s.cfg.Index == nil {
		return nil
	}
	j, err := network.Tx.GetJurisdiction().Evaluate(invoker{ctx, s.ledger, who}, channel)
	if err != nil {
		return nil
	}
	var kinds []string
	if who.Org == j.AuthorityMSP {
		kinds = append(kinds, domain.TypeObligation)
	}
	if j.SupervisorMSP != "" && who.Org == j.SupervisorMSP {
		kinds = append(kinds, domain.TypePlan)
	}
	return kinds
}

// newlyOverdue are the items of kinds overdue on the channel today that
// sent does not hold yet (keyed by kind, number and due date: a returned
// filing due again is new); it marks them sent.
func (s *Server) newlyOverdue(ctx context.Context, channel string, kinds []string, sent map[string]bool, now time.Time) ([]Overdue, error) {
	var out []Overdue
	for _, kind := range kinds {
		q := index.Query{Channel: channel, Kind: kind, Flags: []string{index.FlagOverdue}, Sort: "id", Asc: true, Limit: 500, Today: now}
		for {
			page, err := s.cfg.Index.Search(ctx, q)
			if err != nil {
				return out, err
			}
			for _, h := range page.Items {
				key := kind + "/" + h.ID + "/" + h.Due
				if sent[key] {
					continue
				}
				sent[key] = true
				out = append(out, Overdue{Channel: channel, Kind: kind, Number: h.ID, Status: h.Status, Title: h.Title, Due: h.Due, Parties: h.Parties, Height: page.Height})
			}
			if page.Next == "" {
				break
			}
			q.Cursor = page.Next
		}
	}
	return out, nil
}

// overdueLine is an item's server-sent event.
func overdueLine(o Overdue) []byte {
	b, _ := json.Marshal(o)
	return append(append([]byte("event: "+o.Kind+OverdueEvent+"\ndata: "), b...), '\n', '\n')
}
