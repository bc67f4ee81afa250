package gateway

import (
	"encoding/json"
	"errors"
	"net/http"
	"sort"
	"time"

	"github.com/gin-gonic/gin"

	"dataledger/chaincode/domain"
	"dataledger/index"
	"dataledger/network"
)

// Obligations is an enterprise's own view (GET /api/v1/me/obligations):
// every record of the supervision index that concerns it on the channels
// its organization is on (its party record, agreements, credentials,
// applications, certificates, objections against its products, egress
// checks), what each awaits and by when, deadlines soonest first.
type Obligations struct {
	Holder string `json:"holder"`
	// Today is the China date overdue is judged on.
	Today string `json:"today"`
	// Heights are, per channel, the index height the view is as of: every
	// block below it is in it (a channel the index does not hold is not
	// named).
	Heights map[string]uint64 `json:"heights"`
	Items   []Obligation      `json:"items"`
	// Truncated says a channel held more than MaxObligations records of
	// the enterprise: the rest are left out (the oldest changed).
	Truncated bool `json:"truncated,omitempty"`
}

// Obligation is one record of the view.
type Obligation struct {
	Channel string `json:"channel"`
	index.Hit
	// Owes is who owes what the record awaits by Due: "authority" (the
	// review of the enterprise's application), "enterprise" (the data
	// destruction an objection decision ordered on its product); empty
	// when nothing is awaited by a date.
	Owes string `json:"owes,omitempty"`
	// Proof is where its proof bundle is served (numbered records).
	Proof string `json:"proof,omitempty"`
}

// MaxObligations bounds the records read per channel.
const MaxObligations = 500

// obligations answers the caller's Obligations from the supervision index
// (503 without one).
func (s *Server) obligations(c *gin.Context) {
	if s.cfg.Index == nil {
		abort(c, fail(http.StatusServiceUnavailable, "this gateway has no supervision index (start it with --index-db): an enterprise's view is read from it"))
		return
	}
	code, who := c.GetString(ctxCreditCode), identity(c)
	actor := domain.Actor{MSP: who.Org, Role: domain.RoleEnterprise, ID: who.User, CreditCode: code}
	today := time.Now().In(domain.CST)
	out := &Obligations{Holder: code, Today: today.Format(time.DateOnly), Heights: map[string]uint64{}, Items: []Obligation{}}
	for _, ch := range s.ledger.Channels(who) {
		page, err := s.cfg.Index.Search(c.Request.Context(), index.Query{Channel: ch, Party: code, Sort: "changed", Limit: MaxObligations, Today: today})
		if errors.Is(err, index.ErrNotIndexed) {
			continue // not in this index: Heights leaves it out
		}
		if err != nil {
			abort(c, err)
			return
		}
		out.Heights[ch] = page.Height
		out.Truncated = out.Truncated || page.Next != ""
		out.Items = append(out.Items, ownObligations(actor, ch, page.Items)...)
	}
	sortObligations(out.Items)
	c.JSON(http.StatusOK, out)
}

// readAs is the chaincode read of each kind of record: an enterprise has
// a record of the index only when the chaincode would give it that record
// (domain.Actor.MayHave on the same body), so the view and the chaincode
// decide alike.
var readAs = map[string]string{
	"party":       network.Tx.GetParty("").Fn,
	"agreement":   network.Tx.GetAgreement("").Fn,
	"credential":  network.Tx.GetCredential("").Fn,
	"application": network.Tx.GetApplication("").Fn,
	"certificate": network.Tx.GetCertificate("").Fn,
}

// ownObligations are the hits the enterprise has as its own: records the
// chaincode would give it that name it, and the objections against its
// applications and certificates among them.
func ownObligations(a domain.Actor, channel string, hits []index.Hit) []Obligation {
	var out []Obligation
	own := map[string]bool{}
	add := func(h index.Hit) {
		o := Obligation{Channel: channel, Hit: h, Proof: index.ProofPath(h.Kind, h.ID)}
		if h.Due != "" {
			o.Owes = map[string]string{"application": "authority", "objection": "enterprise"}[h.Kind]
		}
		out = append(out, o)
		own[h.ID] = true
	}
	for _, h := range hits {
		if fn, ok := readAs[h.Kind]; ok && a.MayHave(fn, nil, h.Record) == nil {
			add(h)
		}
	}
	for _, h := range hits {
		var o struct {
			Target string `json:"target"`
		}
		if h.Kind == "objection" && json.Unmarshal(h.Record, &o) == nil && own[o.Target] {
			add(h)
		}
	}
	return out
}

// sortObligations puts what awaits a date first, soonest first (overdue
// ones are the earliest), then what is open, then the rest, most recently
// changed first.
func sortObligations(items []Obligation) {
	rank := func(o Obligation) int {
		switch {
		case o.Due != "":
			return 0
		case o.Open:
			return 1
		}
		return 2
	}
	sort.SliceStable(items, func(i, j int) bool {
		a, b := items[i], items[j]
		if ra, rb := rank(a), rank(b); ra != rb {
			return ra < rb
		}
		if a.Due != b.Due {
			return a.Due < b.Due
		}
		return a.Changed.After(b.Changed)
	})
}
