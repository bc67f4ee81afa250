package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"sort"
	"time"

	"github.com/gin-gonic/gin"

	"dataledger/chaincode/domain"
	"dataledger/index"
)

// Obligations is an enterprise's own view (GET /api/v1/me/obligations):
// the records of the supervision index that are its own on the channels
// its organization is on (its party record, the agreements it is a party
// of, the credentials it holds, the applications it made, the
// certificates of its products, the obligations it owes, the entries of its
// credit file, its evaluations) and the objections against its
// applications and certificates, what each awaits and by when,
// deadlines soonest first.
type Obligations struct {
	Holder string `json:"holder"`
	// Today is the China date overdue is judged on.
	Today string `json:"today"`
	// Heights are, per channel, the index height the view is as of: every
	// block below it is in it (a channel the index does not hold is not
	// named).
	Heights map[string]uint64 `json:"heights"`
	Items   []OwnItem         `json:"items"`
	// Truncated says a channel held more than MaxObligations records of
	// one kind naming the enterprise: the least recently changed are left
	// out.
	Truncated bool `json:"truncated,omitempty"`
}

// OwnItem is one record of the view (without its body: its proof
// bundle has it).
type OwnItem struct {
	Channel string `json:"channel"`
	index.Hit
	// Owes is who owes what the record awaits by Due: "authority" (the
	// review of the enterprise's application), "operator" (the check of
	// its onboarding, ZW 18), "provider" (a data
	// provider's answer to its quality request, or the resolution it
	// promised), "enterprise" (the data
	// destruction an objection decision ordered on its product, an
	// obligation of its profile it owes (an order, a report), or the
	// materials a request for correction asked for, without a date); empty
	// when nothing is awaited by a date, or an application's compliance
	// review is deemed approved by silence (Deemed: the next step is the
	// enterprise's).
	Owes string `json:"owes,omitempty"`
	// Proof is where its proof bundle is served (numbered records).
	Proof string `json:"proof,omitempty"`
}

// MaxObligations bounds the records read per channel and kind.
const MaxObligations = 500

// ownKinds are the kinds of record an enterprise owns (domain.Owns).
var ownKinds = []string{domain.TypeParty, domain.TypeAgreement, domain.TypeCredential, domain.TypeApplication, domain.TypeCertificate, domain.TypeObligation, domain.TypeCredit, domain.TypeEvaluation}

// obligations answers the caller's Obligations from the supervision index
// (503 without one).
func (s *Server) obligations(c *gin.Context) {
	if s.cfg.Index == nil {
		abort(c, fail(http.StatusServiceUnavailable, "this gateway has no supervision index (start it with --index-db): an enterprise's view is read from it"))
		return
	}
	out, err := s.obligationsOf(c.Request.Context(), c.GetString(ctxCreditCode), identity(c), time.Now())
	if err != nil {
		abort(c, err)
		return
	}
	c.JSON(http.StatusOK, out)
}

// obligationsOf is the Obligations of the enterprise with the credit code
// on the channels who's organization is on, as of now: per channel, in
// one snapshot of the index (so its height holds for every kind), one
// search per kind it owns and one for the objections naming it.
func (s *Server) obligationsOf(ctx context.Context, code string, who Identity, now time.Time) (*Obligations, error) {
	today := now.In(domain.CST)
	out := &Obligations{Holder: code, Today: today.Format(time.DateOnly), Heights: map[string]uint64{}, Items: []OwnItem{}}
	for _, ch := range s.ledger.Channels(who) {
		var hits, objections []index.Hit
		err := s.cfg.Index.Snapshot(ctx, ch, func(sn *index.Snapshot) error {
			for _, kind := range append(ownKinds, domain.TypeObjection) {
				page, err := sn.Search(ctx, index.Query{Channel: ch, Kind: kind, Party: code, Sort: "changed", Limit: MaxObligations, Today: today})
				if err != nil {
					return err
				}
				out.Heights[ch] = page.Height
				out.Truncated = out.Truncated || page.Next != ""
				if kind == domain.TypeObjection {
					objections = page.Items
				} else {
					hits = append(hits, page.Items...)
				}
			}
			return nil
		})
		if errors.Is(err, index.ErrNotIndexed) {
			continue // not in this index: Heights leaves it out
		}
		if err != nil {
			return nil, err
		}
		out.Items = append(out.Items, ownObligations(code, ch, hits, objections)...)
	}
	sortObligations(out.Items)
	return out, nil
}

// ownObligations are the hits that are the enterprise's own (domain.Owns:
// the rule the chaincode's enterprise table reads its records by), and
// the objections against those.
func ownObligations(code, channel string, hits, objections []index.Hit) []OwnItem {
	var out []OwnItem
	own := map[string]bool{}
	add := func(h index.Hit) {
		o := OwnItem{Channel: channel, Hit: h, Proof: index.ProofPath(h.Kind, h.ID)}
		switch {
		case h.Kind == domain.TypeApplication && h.Status == domain.StageCorrection:
			o.Owes = "enterprise" // its supplementary materials, by the time the correction notice set (GX sets no figure; the record holds none)
		case h.Due == "" || h.Deemed:
		case h.Kind == domain.TypeApplication:
			if o.Owes = applicationOwes[kindOf(h)]; o.Owes == "" {
				o.Owes = "authority"
			}
		case h.Kind == domain.TypeObjection, h.Kind == domain.TypeObligation:
			o.Owes = "enterprise" // a destruction an objection ordered; a duty it owes (an order, a report)
		}
		o.Record = nil
		out = append(out, o)
		own[h.ID] = true
	}
	for _, h := range hits {
		if domain.Owns(code, h.Kind, h.Record) {
			add(h)
		}
	}
	for _, h := range objections {
		var o struct {
			Target string `json:"target"`
		}
		if h.Kind == domain.TypeObjection && json.Unmarshal(h.Record, &o) == nil && own[o.Target] {
			add(h)
		}
	}
	return out
}

// applicationOwes is who owes an application's awaited step, by its kind,
// where it is not the authority's review.
var applicationOwes = map[string]string{
	domain.KindQuality:    "provider", // the data provider's answer or resolution (HB 25)
	domain.KindOnboarding: "operator", // the operator's check (ZW 18: 运营机构)
}

// kindOf is an application hit's kind ("" for a scenario application).
func kindOf(h index.Hit) string {
	var a struct {
		Kind string `json:"kind"`
	}
	_ = json.Unmarshal(h.Record, &a)
	return a.Kind
}

// sortObligations puts what awaits a date first, soonest first (overdue
// ones are the earliest), then what is open, then the rest, most recently
// changed first.
func sortObligations(items []OwnItem) {
	rank := func(o OwnItem) int {
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
