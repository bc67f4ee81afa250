package gateway

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"dataledger/index"
	"dataledger/network"
)

// Supervision is the supervision index as the gateway reads it
// (*index.DB; nil: the gateway has none and its routes answer 503).
type Supervision interface {
	Search(ctx context.Context, q index.Query) (*index.Page, error)
	History(ctx context.Context, channel, kind, id string) (*index.History, error)
	Export(ctx context.Context, q index.Query, format string, w io.Writer) (*index.Exported, error)
	Summary(ctx context.Context, channel string, today time.Time) (*index.Summary, error)
	Channels(ctx context.Context) ([]index.ChannelState, error)
	Snapshot(ctx context.Context, channel string, fn func(*index.Snapshot) error) error
}

// RuleQuery names a search the index cannot run (the field says which
// parameter).
const RuleQuery = "DL-QUERY"

// SearchAnswer is a page of the index's records, each with where to
// re-verify it against the chain.
type SearchAnswer struct {
	Channel string      `json:"channel"`
	Height  uint64      `json:"height"` // every block below it is in the answer
	Items   []SearchHit `json:"items"`
	Next    string      `json:"next,omitempty"` // the next page: this URL with cursor=next
}

// SearchHit is one record found, with links to its proof bundle (numbered
// records) and its history.
type SearchHit struct {
	index.Hit
	Links HitLinks `json:"links"`
}

// HitLinks are a hit's links.
type HitLinks struct {
	Proof   string `json:"proof,omitempty"`
	History string `json:"history"`
}

func hitsWithLinks(channel string, hs []index.Hit) []SearchHit {
	out := make([]SearchHit, len(hs))
	for i, h := range hs {
		out[i] = SearchHit{h, HitLinks{Proof: index.ProofPath(h.Kind, h.ID),
			History: "/api/v1/channels/" + channel + "/index/history?" + url.Values{"kind": {h.Kind}, "id": {h.ID}}.Encode()}}
	}
	return out
}

// supervised checks that the caller may read a channel's index: a
// regulator of an org on the channel, or the channel's own authority
// (read-only, its own jurisdiction only).
func (s *Server) supervised(c *gin.Context) (Supervision, string, bool) {
	if s.cfg.Index == nil {
		abort(c, fail(http.StatusServiceUnavailable, "this gateway has no supervision index (start it with --index-db)"))
		return nil, "", false
	}
	channel := c.Param("channel")
	if err := s.mayRead(c, channel); err != nil {
		abort(c, err)
		return nil, "", false
	}
	return s.cfg.Index, channel, true
}

// mayRead refuses a caller who may not read a channel's supervision data:
// a regulator reads every channel its org is on; an authority (issuer)
// only the channel it is the authority of; and only with a role its org
// holds on the network.
func (s *Server) mayRead(c *gin.Context, channel string) error {
	who := identity(c)
	if err := s.ledger.Member(who, channel); err != nil {
		return err
	}
	if err := s.actsAs(who); err != nil {
		return err
	}
	if c.GetString(ctxRole) == RoleIssuer {
		j, err := network.Tx.GetJurisdiction().Evaluate(invoker{c.Request.Context(), s.ledger, who}, channel)
		if err != nil {
			return err
		}
		if j.AuthorityMSP != who.Org {
			return refuse(http.StatusForbidden, "DL-CHANNEL", "channel", fmt.Sprintf("%s is not the authority of channel %s: an authority reads its own jurisdiction's supervision data", who.Org, channel))
		}
	}
	return nil
}

// actsAs refuses a caller whose org has no user the gateway could act as
// for its role (a "regulator" key of a city, which has no regulator):
// the index is read without a Fabric identity, so the description decides.
func (s *Server) actsAs(who Identity) error {
	if !s.ledger.HasUser(who) {
		return refuse(http.StatusForbidden, RuleRole, "Authorization", fmt.Sprintf("%s has no %q user on this network: this key's role is not one its organization holds", who.Org, who.User))
	}
	return nil
}

// supervisedQuery is supervised with the request's search.
func (s *Server) supervisedQuery(c *gin.Context) (Supervision, string, index.Query, bool) {
	ix, channel, ok := s.supervised(c)
	if !ok {
		return nil, "", index.Query{}, false
	}
	q, err := queryOf(c, channel)
	if err != nil {
		abort(c, err)
		return nil, "", index.Query{}, false
	}
	return ix, channel, q, true
}

// queryOf reads a search from the request's parameters.
func queryOf(c *gin.Context, channel string) (index.Query, error) {
	q := index.Query{Channel: channel, Kind: c.Query("kind"), Status: c.Query("status"), Outcome: c.Query("outcome"),
		Party: c.Query("party"), Text: c.Query("q"), Division: c.Query("division"), Dates: c.Query("dates"),
		From: c.Query("from"), To: c.Query("to"), Sort: c.Query("sort"), Cursor: c.Query("cursor")}
	for _, f := range c.QueryArray("flag") {
		q.Flags = append(q.Flags, strings.Split(f, ",")...)
	}
	switch c.Query("order") {
	case "", "desc":
	case "asc":
		q.Asc = true
	default:
		return q, refuse(http.StatusBadRequest, RuleQuery, "order", fmt.Sprintf("%q is not asc or desc", c.Query("order")))
	}
	if l := c.Query("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil {
			return q, refuse(http.StatusBadRequest, RuleQuery, "limit", fmt.Sprintf("%q is not a number", l))
		}
		q.Limit = n
	}
	return q, nil
}

// indexFailure is an index error as the caller sees it.
func indexFailure(err error) error {
	var qe *index.QueryError
	switch {
	case errors.As(err, &qe):
		return refuse(http.StatusBadRequest, RuleQuery, qe.Field, qe.Error())
	case errors.Is(err, index.ErrNotIndexed):
		return fail(http.StatusNotFound, "the supervision index holds nothing of this channel yet")
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return err
	}
	return fail(http.StatusServiceUnavailable, "the supervision index did not answer; retry after the Retry-After seconds")
}

// searchIndex answers a page of records.
func (s *Server) searchIndex(c *gin.Context) {
	ix, channel, q, ok := s.supervisedQuery(c)
	if !ok {
		return
	}
	p, err := ix.Search(c.Request.Context(), q)
	if err != nil {
		s.indexAbort(c, err)
		return
	}
	c.JSON(http.StatusOK, SearchAnswer{Channel: p.Channel, Height: p.Height, Items: hitsWithLinks(channel, p.Items), Next: p.Next})
}

// indexAbort answers an index error; a failure of the index itself is
// logged with its cause (abort logs only the answer's words).
func (s *Server) indexAbort(c *gin.Context, err error) {
	e := indexFailure(err)
	if e != err && ProblemOf(e).Status >= 500 {
		s.log.Error("supervision index", "error", err.Error(), "requestId", c.GetString(ctxRequestID))
	}
	abort(c, e)
}

// indexHistory answers every version of a record.
func (s *Server) indexHistory(c *gin.Context) {
	ix, channel, ok := s.supervised(c)
	if !ok {
		return
	}
	h, err := ix.History(c.Request.Context(), channel, c.Query("kind"), c.Query("id"))
	if err != nil {
		s.indexAbort(c, err)
		return
	}
	c.JSON(http.StatusOK, h)
}

// exportIndex streams every record a search finds as CSV or XLSX.
func (s *Server) exportIndex(c *gin.Context) {
	ix, channel, q, ok := s.supervisedQuery(c)
	if !ok {
		return
	}
	format := c.DefaultQuery("format", index.CSV)
	media := map[string]string{index.CSV: "text/csv; charset=utf-8", index.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}[format]
	if media == "" {
		abort(c, refuse(http.StatusBadRequest, RuleQuery, "format", fmt.Sprintf("%q is not csv or xlsx", format)))
		return
	}
	release, err := s.exports.acquire(c.GetString(ctxCaller))
	if err != nil {
		abort(c, err)
		return
	}
	defer release()
	ctx, cancel := s.longRequest(c)
	defer cancel()
	// The answer starts only once the first bytes are written: a query
	// the index refuses still gets a problem document.
	w := &lazyWriter{c: c, start: func() {
		c.Header("Content-Type", media)
		c.Header("Content-Disposition", fmt.Sprintf(`attachment; filename="dataledger-%s-%s.%s"`, channel, time.Now().Format("20060102-150405"), format))
		c.Status(http.StatusOK)
	}}
	if _, err := ix.Export(ctx, q, format, w); err != nil {
		if !w.started {
			s.indexAbort(c, err)
			return
		}
		_ = c.Error(err) // cut short: the client sees a truncated file
	}
}

type lazyWriter struct {
	c       *gin.Context
	start   func()
	started bool
}

func (w *lazyWriter) Write(b []byte) (int, error) {
	if !w.started {
		w.started = true
		w.start()
	}
	return w.c.Writer.Write(b)
}

// indexSummary answers a channel's dashboard.
func (s *Server) indexSummary(c *gin.Context) {
	ix, channel, ok := s.supervised(c)
	if !ok {
		return
	}
	sum, err := ix.Summary(c.Request.Context(), channel, time.Time{})
	if err != nil {
		s.indexAbort(c, err)
		return
	}
	c.JSON(http.StatusOK, SummaryAnswer{Summary: *sum, Upcoming: hitsWithLinks(channel, sum.Upcoming)})
}

// SummaryAnswer is a channel's summary with links on its deadlines.
type SummaryAnswer struct {
	index.Summary
	Upcoming []SearchHit `json:"upcoming"`
}

// IndexStatus is where the index stands on each channel the caller's org
// is on: the height indexed (every block below it passed the chain
// audit) and the first broken block, if any.
type IndexStatus struct {
	Channels []index.ChannelState `json:"channels"`
}

// indexStatus answers the index's audit status per channel.
func (s *Server) indexStatus(c *gin.Context) {
	if s.cfg.Index == nil {
		abort(c, fail(http.StatusServiceUnavailable, "this gateway has no supervision index (start it with --index-db)"))
		return
	}
	if err := s.actsAs(identity(c)); err != nil {
		abort(c, err)
		return
	}
	all, err := s.cfg.Index.Channels(c.Request.Context())
	if err != nil {
		s.indexAbort(c, err)
		return
	}
	// The channels the caller may read (mayRead: a regulator every
	// channel its org is on, an authority only its own).
	mine := map[string]bool{}
	for _, ch := range s.ledger.Channels(identity(c)) {
		mine[ch] = s.mayRead(c, ch) == nil
	}
	out := IndexStatus{Channels: []index.ChannelState{}}
	for _, st := range all {
		if mine[st.Channel] {
			out.Channels = append(out.Channels, st)
		}
	}
	c.JSON(http.StatusOK, out)
}
