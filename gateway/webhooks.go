package gateway

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/hyperledger/fabric-gateway/pkg/client"

	"dataledger/chaincode/domain"
	"dataledger/gateway/webhook"
	"dataledger/internal/strictjson"
	"dataledger/network"
)

// RuleWebhook: a subscription names a receiver the gateway may post to
// and event types it knows, an owner holds at most
// WebhookOptions.MaxPerOwner active ones, and only its owner sees or
// changes it.
const RuleWebhook = "DL-WEBHOOK"

// WebhookOptions are the notifications' settings.
type WebhookOptions struct {
	// AllowPrivate lets receivers be plain http and at loopback or
	// private addresses (a test, or a deployment whose subscribers are on
	// its own network). Off: https and public addresses only.
	AllowPrivate bool
	// RetryBase is the wait after a delivery's first failed attempt (0:
	// the deliverer's default); MaxAttempts bounds a delivery's attempts.
	RetryBase   time.Duration
	MaxAttempts int
	// Scan is how often deadlines are looked at (0: 10 minutes).
	Scan time.Duration
	// Retention is how long a settled delivery stays in the log (0: 30
	// days).
	Retention time.Duration
	// MaxPerOwner bounds an owner's active subscriptions (0: 10); it may
	// have made ten times as many in all (disabled ones are kept).
	MaxPerOwner int
}

// maxRouteFailures is how often an event's routing is tried (about a
// minute, with the follower's half-second pause) before it is passed.
const maxRouteFailures = 100

// DeadlineWorkingDays is how far ahead a deadline is announced.
const DeadlineWorkingDays = 3

// WebhookRequest subscribes a receiver.
type WebhookRequest struct {
	// URL is where events are posted (https; a public address).
	URL string `json:"url"`
	// Types are the event types wanted (default: all but ping, which is
	// always sent on request).
	Types []string `json:"types,omitempty"`
}

// WebhookView is a subscription as its owner sees it (never its secret).
type WebhookView struct {
	ID         string     `json:"id"`
	URL        string     `json:"url"`
	Types      []string   `json:"types"`
	Created    time.Time  `json:"created"`
	Disabled   *time.Time `json:"disabled,omitempty"`
	CreditCode string     `json:"creditCode,omitempty"`
	Org        string     `json:"org"`
}

// WebhookCreated is a new subscription and its secret, shown this once.
type WebhookCreated struct {
	WebhookView
	// Secret signs every delivery (webhook.Verify): keep it; it is not
	// shown again.
	Secret string `json:"secret"`
}

// WebhookList is the caller's subscriptions, oldest first.
type WebhookList struct {
	Items []WebhookView `json:"items"`
}

// WebhookDeliveries is a page of a subscription's delivery log, newest
// first.
type WebhookDeliveries struct {
	Items []WebhookDelivery `json:"items"`
	// Next is the cursor of the next (older) page ("": the last page).
	Next string `json:"next,omitempty"`
}

// WebhookDelivery is one event and every attempt to deliver it.
type WebhookDelivery struct {
	Event    webhook.Event     `json:"event"`
	State    string            `json:"state"`
	Next     *time.Time        `json:"next,omitempty"`
	Attempts []webhook.Attempt `json:"attempts"`
}

// WebhookSecret is a subscription's new secret, shown this once, and
// until when the previous one still signs.
type WebhookSecret struct {
	Secret        string    `json:"secret"`
	PreviousUntil time.Time `json:"previousUntil"`
}

// SecretGrace is how long a rotated secret keeps signing beside the new
// one.
const SecretGrace = 24 * time.Hour

// WebhookPing is the ping event enqueued.
type WebhookPing struct {
	Event string `json:"event"`
}

func view(s *webhook.Subscription) WebhookView {
	return WebhookView{ID: s.ID, URL: s.URL, Types: s.Types, Created: s.Created, Disabled: s.Disabled, CreditCode: s.CreditCode, Org: s.Org}
}

// owner names the caller's subscriptions: an enterprise's (every key of
// it), or an exchange organization's.
func owner(c *gin.Context) string {
	return webhook.OwnerOf(c.GetString(ctxRole), identity(c).Org, c.GetString(ctxCreditCode))
}

func (s *Server) webhooksOff(c *gin.Context) bool {
	if s.cfg.Webhooks == nil {
		abort(c, fail(http.StatusServiceUnavailable, "this gateway keeps no webhooks (no state directory)"))
		return true
	}
	return false
}

// subscribeWebhook keeps a new subscription of the caller's and answers
// its secret, once.
func (s *Server) subscribeWebhook(c *gin.Context) {
	if s.webhooksOff(c) {
		return
	}
	var req WebhookRequest
	body, ok := readBody(c, "request")
	if !ok {
		return
	}
	err := checkMembers(body, &req, "")
	if err == nil {
		if bad := strictjson.Unmarshal(body, &req); bad != nil {
			err = domain.Invalid(domain.RuleJSONMember, "body", "the body is not {\"url\": \"https://…\", \"types\": [types]}: %v", bad)
		}
	}
	if err == nil {
		if bad := webhook.CheckURL(req.URL, s.cfg.WebhookOptions.AllowPrivate); bad != nil {
			err = domain.Invalid(RuleWebhook, "url", "%v", bad)
		}
	}
	if err == nil && len(req.Types) == 0 {
		req.Types = []string{webhook.TypeRecordChanged, webhook.TypeObjection, webhook.TypeCorrection, webhook.TypeDeadline}
	}
	for i, t := range req.Types {
		if err == nil && (!slices.Contains(webhook.Types, t) || slices.Contains(req.Types[:i], t)) {
			err = domain.Invalid(RuleWebhook, "types["+strconv.Itoa(i)+"]", "%q is not one of %s, or is named twice", t, strings.Join(webhook.Types, ", "))
		}
	}
	if err != nil {
		abort(c, err)
		return
	}
	secret, err := webhook.NewSecret()
	if err != nil {
		abort(c, err)
		return
	}
	id := make([]byte, 12)
	if _, err := rand.Read(id); err != nil {
		abort(c, err)
		return
	}
	sub := webhook.Subscription{ID: "wh_" + hex.EncodeToString(id), Owner: owner(c), Org: identity(c).Org, Role: c.GetString(ctxRole),
		CreditCode: c.GetString(ctxCreditCode), URL: req.URL, Types: req.Types, Secret: secret, Created: time.Now().UTC(), CreatedBy: c.GetString(ctxCaller)}
	max := s.cfg.WebhookOptions.maxPerOwner()
	if err := s.cfg.Webhooks.Subscribe(sub, max, 10*max); errors.Is(err, webhook.ErrTooMany) {
		abort(c, domain.Conflict(RuleWebhook, "url", "%v", err))
		return
	} else if err != nil {
		s.queueUnavailable(c, err)
		return
	}
	c.JSON(http.StatusCreated, WebhookCreated{WebhookView: view(&sub), Secret: secret})
}

// listWebhooks answers the caller's subscriptions.
func (s *Server) listWebhooks(c *gin.Context) {
	if s.webhooksOff(c) {
		return
	}
	all, err := s.cfg.Webhooks.Subscriptions()
	if err != nil {
		s.queueUnavailable(c, err)
		return
	}
	out := WebhookList{Items: []WebhookView{}}
	own := owner(c)
	for i := range all {
		if all[i].Owner == own {
			out.Items = append(out.Items, view(&all[i]))
		}
	}
	c.JSON(http.StatusOK, out)
}

// ownWebhook is the subscription the route names, when it is the
// caller's (another's is answered as one that does not exist).
func (s *Server) ownWebhook(c *gin.Context) (*webhook.Subscription, bool) {
	if s.webhooksOff(c) {
		return nil, false
	}
	sub, err := s.cfg.Webhooks.Subscription(c.Param("id"))
	if errors.Is(err, webhook.ErrNotFound) || (err == nil && sub.Owner != owner(c)) {
		abort(c, domain.NotFound(RuleWebhook, "id", "no subscription %s of yours", c.Param("id")))
		return nil, false
	}
	if err != nil {
		s.queueUnavailable(c, err)
		return nil, false
	}
	return sub, true
}

// disableWebhook stops a subscription (kept, with its log).
func (s *Server) disableWebhook(c *gin.Context) {
	sub, ok := s.ownWebhook(c)
	if !ok {
		return
	}
	sub, err := s.cfg.Webhooks.Disable(sub.ID, c.GetString(ctxCaller), time.Now().UTC())
	if errors.Is(err, webhook.ErrNotFound) {
		abort(c, domain.NotFound(RuleWebhook, "id", "no subscription %s of yours", c.Param("id")))
		return
	}
	if err != nil {
		s.queueUnavailable(c, err)
		return
	}
	c.JSON(http.StatusOK, view(sub))
}

// rotateWebhookSecret gives the caller's subscription a new secret; the
// old one keeps signing beside it for SecretGrace, so the receiver can
// take the new one without missing a delivery.
func (s *Server) rotateWebhookSecret(c *gin.Context) {
	sub, ok := s.ownWebhook(c)
	if !ok {
		return
	}
	if sub.Disabled != nil {
		abort(c, domain.Conflict(RuleWebhook, "id", "subscription %s is disabled", sub.ID))
		return
	}
	secret, err := webhook.NewSecret()
	if err != nil {
		abort(c, err)
		return
	}
	until := time.Now().UTC().Add(SecretGrace)
	if _, err := s.cfg.Webhooks.Rotate(sub.ID, secret, until); errors.Is(err, webhook.ErrDisabled) {
		abort(c, domain.Conflict(RuleWebhook, "id", "subscription %s is disabled", sub.ID))
		return
	} else if errors.Is(err, webhook.ErrNotFound) {
		abort(c, domain.NotFound(RuleWebhook, "id", "no subscription %s of yours", sub.ID))
		return
	} else if err != nil {
		s.queueUnavailable(c, err)
		return
	}
	c.JSON(http.StatusOK, WebhookSecret{Secret: secret, PreviousUntil: until})
}

// pingWebhook enqueues a ping to the subscription's receiver.
func (s *Server) pingWebhook(c *gin.Context) {
	sub, ok := s.ownWebhook(c)
	if !ok {
		return
	}
	if sub.Disabled != nil {
		abort(c, domain.Conflict(RuleWebhook, "id", "subscription %s is disabled", sub.ID))
		return
	}
	if pending, err := s.cfg.Webhooks.HasPending(sub.ID, webhook.TypePing); err != nil {
		s.queueUnavailable(c, err)
		return
	} else if pending {
		abort(c, domain.Conflict(RuleWebhook, "id", "a ping to %s is not yet delivered: read its log", sub.ID))
		return
	}
	nonce := make([]byte, 8)
	_, _ = rand.Read(nonce)
	now := time.Now().UTC()
	e := webhook.Event{ID: webhook.EventID(sub.ID, webhook.TypePing, hex.EncodeToString(nonce)), Type: webhook.TypePing, Subscription: sub.ID, Created: now}
	if _, err := s.cfg.Webhooks.Enqueue([]webhook.Event{e}, now); err != nil {
		s.queueUnavailable(c, err)
		return
	}
	s.wakeDeliverer()
	c.JSON(http.StatusAccepted, WebhookPing{Event: e.ID})
}

// webhookDeliveries answers a page of the subscription's delivery log.
func (s *Server) webhookDeliveries(c *gin.Context) {
	sub, ok := s.ownWebhook(c)
	if !ok {
		return
	}
	limit := 50
	if q := c.Query("limit"); q != "" {
		n, err := strconv.Atoi(q)
		if err != nil || n < 1 || n > 500 {
			abort(c, domain.Invalid(RuleWebhook, "limit", "must be 1 to 500"))
			return
		}
		limit = n
	}
	page, next, err := s.cfg.Webhooks.Log(sub.ID, limit, c.Query("cursor"))
	if errors.Is(err, webhook.ErrCursor) {
		abort(c, domain.Invalid(RuleWebhook, "cursor", "%v", err))
		return
	}
	if err != nil {
		s.queueUnavailable(c, err)
		return
	}
	out := WebhookDeliveries{Items: make([]WebhookDelivery, 0, len(page)), Next: next}
	for _, d := range page {
		w := WebhookDelivery{Event: d.Event, State: d.State, Attempts: d.Attempts}
		if !d.Next.IsZero() {
			w.Next = &d.Next
		}
		out.Items = append(out.Items, w)
	}
	c.JSON(http.StatusOK, out)
}

func (o WebhookOptions) maxPerOwner() int {
	if o.MaxPerOwner > 0 {
		return o.MaxPerOwner
	}
	return 10
}

// ---- what is delivered to whom ----

// webhookRouter turns each chaincode event into the deliveries it owes
// subscribers: reads each record the transaction changed (as the
// follower's identity, once its peer holds the block) and asks, per
// active subscription, whether it is the subscriber's.
type webhookRouter struct {
	s         *Server
	who       Identity
	mu        sync.Mutex
	exchanges map[string][]string // channel → its exchanges (GetJurisdiction), dropped when the jurisdiction changes
}

// route enqueues the deliveries of one chaincode event (none when nobody
// subscribed to it). A read that fails fails the event (the follower
// retries it); an event ID is derived from the change, so a retried or
// replayed event enqueues nothing twice.
func (r *webhookRouter) route(ctx context.Context, channel string, block uint64, payload []byte) error {
	var e domain.Event
	if json.Unmarshal(payload, &e) != nil || len(e.Changes) == 0 {
		return nil // not ours to understand
	}
	for _, ch := range e.Changes {
		if ch.RecordType == domain.TypeJurisdiction {
			r.mu.Lock()
			delete(r.exchanges, channel)
			r.mu.Unlock()
		}
	}
	all, err := r.s.cfg.Webhooks.Subscriptions()
	if err != nil {
		return queueError(err)
	}
	var subs []webhook.Subscription
	at, _ := time.Parse(time.RFC3339Nano, e.Time)
	for _, sub := range all {
		// A subscription hears of what happened after it was made (a
		// follower catching up does not send it older changes).
		if sub.Disabled == nil && !at.Before(sub.Created) && r.s.ledger.Member(Identity{Org: sub.Org}, channel) == nil && r.s.keyed(&sub) {
			subs = append(subs, sub)
		}
	}
	if len(subs) == 0 {
		return nil
	}
	wait, cancel := context.WithTimeout(ctx, 10*time.Second)
	_ = r.s.ledger.WaitCommitted(wait, channel, block) // a lagging peer answers not found below, and the event is retried
	cancel()
	var out []webhook.Event
	now := time.Now().UTC()
	for _, ch := range e.Changes {
		var resolved []byte // a private record's body, read as the identity that may
		if ch.Key == "" {
			var ok bool
			if ch, resolved, ok, err = r.resolve(ctx, channel, e.TxID, ch); err != nil {
				return err
			} else if !ok {
				continue // a record this gateway's identities may not know of
			}
		}
		typs, target, targetType := []string{webhook.TypeRecordChanged}, ch.Key, ch.RecordType
		if ch.RecordType == domain.TypeObjection {
			body, err := r.read(ctx, channel, ch.RecordType, ch.Key)
			if err != nil {
				return err
			}
			var o domain.Objection
			if err := json.Unmarshal(body, &o); err != nil {
				continue // not an objection we understand: the event's other changes still go
			}
			kind, ok := domain.NumberedOf(o.Target)
			if !ok {
				continue
			}
			typs, target, targetType = []string{webhook.TypeObjection}, o.Target, kind.RecordType
		} else if !slices.Contains(ownKinds, ch.RecordType) {
			continue
		} else if ch.RecordType == domain.TypeApplication && ch.Status == domain.StageCorrection {
			typs = append(typs, webhook.TypeCorrection) // a change too: record.changed subscribers hear of it as before
		}
		body := resolved // the record the change is of, or its objection's target: read once, when an enterprise asks
		for _, sub := range subs {
			var wanted []string
			for _, t := range typs {
				if sub.Wants(t) {
					wanted = append(wanted, t)
				}
			}
			if len(wanted) == 0 {
				continue
			}
			var mine bool
			switch sub.Role {
			case RoleEnterprise:
				if body == nil {
					if body, err = r.read(ctx, channel, targetType, target); err != nil {
						return err
					}
					if targetType == domain.TypeAgreement && r.keepsTerms(body) {
						// A development or product-use agreement's public view
						// names no party: its parties are read as the org's issuer.
						if whole, err := r.readAsIssuer(ctx, channel, targetType, target); err != nil {
							return err
						} else if whole != nil {
							body = whole
						}
					}
				}
				mine = domain.Owns(sub.CreditCode, targetType, body)
			case RoleExchange:
				if targetType == domain.TypeCertificate {
					if mine, err = r.serves(ctx, channel, sub.Org); err != nil {
						return err
					}
				}
			}
			if !mine {
				continue
			}
			for _, typ := range wanted {
				ev := webhook.Event{ID: webhook.EventID(sub.ID, channel, e.TxID, ch.RecordType, ch.Key, typ), Type: typ, Subscription: sub.ID, Created: now,
					Channel: channel, RecordType: ch.RecordType, Key: ch.Key, Action: ch.Action, Status: ch.Status, Version: ch.Version,
					TxID: e.TxID, Block: block, Time: e.Time}
				if typ == webhook.TypeObjection {
					ev.Target = target
				}
				out = append(out, ev)
			}
		}
	}
	if len(out) == 0 {
		return nil
	}
	if _, err := r.s.cfg.Webhooks.Enqueue(out, now); err != nil {
		return queueError(err)
	}
	r.s.wakeDeliverer()
	return nil
}

// resolve names the record of a change whose event withholds it (a record
// with no public view yet: its key hash only), and reads the record. The
// change's action and status are the step transaction txID recorded (a
// request for correction reads correction_requested however the record
// moved on since), its version the record's now. The public identity
// cannot know of such a record: the org's issuer identity, a regime role
// of a collection member, reads it. Anyone else learns nothing (false).
func (r *webhookRouter) resolve(ctx context.Context, channel, txID string, ch domain.Changed) (domain.Changed, []byte, bool, error) {
	inv, ok := r.issuer(ctx, channel)
	if !ok {
		return ch, nil, false, nil
	}
	ref, err := network.Tx.FindPrivateRecord(ch.KeyHash).Evaluate(inv, channel)
	if re, ok := domain.AsRule(err); ok && (re.Rule == domain.RulePrivateRead || re.Kind == domain.KindForbidden) {
		return ch, nil, false, nil
	}
	if err != nil {
		return ch, nil, false, err
	}
	ch.RecordType = ref.RecordType // the event withholds it
	body, err := network.RecordOf(inv, channel, ref.RecordType, ref.Number)
	if err != nil {
		return ch, nil, false, err
	}
	var rec struct {
		Stage, Status string
		Last          domain.Change
		Steps         []domain.Step
		Version       int
	}
	if json.Unmarshal(body, &rec) != nil {
		return ch, nil, false, nil
	}
	ch.Key, ch.Version = ref.Number, 0 // the version the transaction wrote is known only while it is the latest
	if rec.Last.TxID == txID {
		ch.Action, ch.Status, ch.Version = rec.Last.Action, cmp.Or(rec.Stage, rec.Status), rec.Version
	}
	for _, s := range rec.Steps {
		if s.TxID == txID {
			ch.Action = s.Step
			if s.Decision == domain.DecisionCorrection {
				ch.Status = domain.StageCorrection
			}
		}
	}
	return ch, body, true, nil
}

// keepsTerms tells whether an agreement's body is one whose terms (its
// parties among them) are private.
func (r *webhookRouter) keepsTerms(body []byte) bool {
	var ag domain.Agreement
	return json.Unmarshal(body, &ag) == nil && ag.KeepsTerms()
}

// readAsIssuer is a record's body as the org's issuer identity (a regime
// role of a collection member) reads it, past the cache; nil when the org
// has no issuer identity on the channel.
func (r *webhookRouter) readAsIssuer(ctx context.Context, channel, recordType, key string) ([]byte, error) {
	inv, ok := r.issuer(ctx, channel)
	if !ok {
		return nil, nil
	}
	return network.RecordOf(inv, channel, recordType, key)
}

// issuer invokes as the org's issuer identity, past the cache (the cache
// invalidator follows the events apart from this router, and a cached
// answer from before an event's block would lack what it recorded);
// false when the org has none on the channel.
func (r *webhookRouter) issuer(ctx context.Context, channel string) (invoker, bool) {
	issuer := Identity{Org: r.who.Org, User: r.s.cfg.UserFor[RoleIssuer]}
	if !r.s.ledger.HasUser(issuer) || r.s.ledger.Member(issuer, channel) != nil {
		return invoker{}, false
	}
	return invoker{ctx, r.s.ledger.Ledger, issuer}, true
}

// read is a record's body as the chaincode answers it (a party by its
// credit code, the others by number).
func (r *webhookRouter) read(ctx context.Context, channel, recordType, key string) ([]byte, error) {
	inv := invoker{ctx, r.s.ledger, r.who}
	if recordType == domain.TypeParty {
		return network.Tx.GetParty(key).Raw(inv, channel)
	}
	return network.RecordOf(inv, channel, recordType, key)
}

// serves tells whether an exchange organization is one of the channel's
// exchanges (GX 12(7)).
func (r *webhookRouter) serves(ctx context.Context, channel, org string) (bool, error) {
	r.mu.Lock()
	xs, ok := r.exchanges[channel]
	r.mu.Unlock()
	if !ok {
		j, err := network.Tx.GetJurisdiction().Evaluate(invoker{ctx, r.s.ledger, r.who}, channel)
		if err != nil {
			return false, err
		}
		xs = j.ExchangeMSPs
		r.mu.Lock()
		r.exchanges[channel] = xs
		r.mu.Unlock()
	}
	return slices.Contains(xs, org), nil
}

// keyed tells whether a subscription's owner still has an API key that
// is not revoked: an enterprise or exchange whose every key was revoked
// (offboarded) is told nothing more.
func (s *Server) keyed(sub *webhook.Subscription) bool {
	for _, k := range s.keys.List() {
		if k.Revoked == nil && webhook.OwnerOf(k.Role, k.Org, k.CreditCode) == sub.Owner {
			return true
		}
	}
	return false
}

// scanDeadlines enqueues, for each enterprise subscribed to deadlines,
// one event per deadline on a record of its own (its obligations, from
// the supervision index) due today or within DeadlineWorkingDays working
// days by the channel's calendar: once per record and due date.
func (s *Server) scanDeadlines(ctx context.Context, who Identity) error {
	if s.cfg.Index == nil {
		return nil
	}
	subs, err := s.cfg.Webhooks.Subscriptions()
	if err != nil {
		return err
	}
	now := time.Now()
	today := domain.DateOf(now.In(domain.CST))
	horizon := map[string]time.Time{} // channel → the last date announced today
	var out []webhook.Event
	for _, sub := range subs {
		if sub.Role != RoleEnterprise || !sub.Wants(webhook.TypeDeadline) {
			continue
		}
		if !s.keyed(&sub) {
			continue
		}
		ob, err := s.obligationsOf(ctx, sub.CreditCode, Identity{Org: sub.Org}, now)
		if err != nil {
			s.log.Warn("deadline scan: an enterprise's view unreadable; tried again next scan", "subscription", sub.ID, "error", err.Error())
			continue
		}
		for _, o := range ob.Items {
			if o.Due == "" {
				continue
			}
			due, err := domain.ParseDate("due", o.Due)
			if err != nil || due.Before(today) {
				continue
			}
			last, ok := horizon[o.Channel]
			if !ok {
				if last, err = s.workingDaysAhead(ctx, who, o.Channel, today); err != nil {
					// A channel without next year's calendar yet (late
					// December): its deadlines wait, the others' do not.
					s.log.Warn("deadline scan: a channel's working days unknown; tried again next scan", "channel", o.Channel, "error", network.ErrorText(err))
				}
				horizon[o.Channel] = last // zero after an error: nothing of it is announced this scan
			}
			if last.IsZero() || due.After(last) {
				continue
			}
			out = append(out, webhook.Event{ID: webhook.EventID(sub.ID, "deadline", o.Channel, o.Kind, o.ID, o.Due, o.Owes), Type: webhook.TypeDeadline,
				Subscription: sub.ID, Created: now.UTC(), Channel: o.Channel, RecordType: o.Kind, Key: o.ID, Status: o.Status, Due: o.Due, Owes: o.Owes})
		}
	}
	if len(out) == 0 {
		return nil
	}
	if _, err := s.cfg.Webhooks.Enqueue(out, now); err != nil {
		return err
	}
	s.wakeDeliverer()
	return nil
}

// workingDaysAhead is the date DeadlineWorkingDays working days after
// today on the channel's calendars.
func (s *Server) workingDaysAhead(ctx context.Context, who Identity, channel string, today time.Time) (time.Time, error) {
	cals := domain.Calendars{}
	inv := invoker{ctx, s.ledger, who}
	for _, y := range []int{today.Year(), today.Year() + 1} {
		cal, err := network.Tx.GetCalendar(y).Evaluate(inv, channel)
		if domain.IsRule(err, domain.RuleCalendarYear) {
			continue // not loaded: AddWorkingDays says so below
		}
		if err != nil {
			return time.Time{}, err
		}
		cals[y] = cal
	}
	return cals.AddWorkingDays(today, DeadlineWorkingDays)
}

func (s *Server) wakeDeliverer() {
	if d := s.deliverer; d != nil {
		d.Wake()
	}
}

// errWebhookQueue marks a routing that failed because the queue could
// not be reached (webhook.Unavailable): not the event's fault.
var errWebhookQueue = errors.New("the webhook queue is unavailable")

// queueError marks a queue failure that passes as errWebhookQueue; one
// that would repeat counts against the event like an unreadable record.
func queueError(err error) error {
	if webhook.Unavailable(err) {
		return fmt.Errorf("%w: %w", errWebhookQueue, err)
	}
	return err
}

// queueUnavailable answers 503 for a queue that failed (its cause, which
// may name the database, goes to the log only).
func (s *Server) queueUnavailable(c *gin.Context, err error) {
	s.log.Error("webhook queue unavailable", "error", err.Error())
	abort(c, fail(http.StatusServiceUnavailable, "the gateway's webhook store is unavailable; try again"))
}

// RunWebhooks runs the notifications until ctx ends: a follower of every
// channel nw's public identity is on (its checkpoints in dir) that routes
// each chaincode event to the subscriptions it concerns, the deadline
// scan, the log's sweep, and the deliverer.
func (s *Server) RunWebhooks(ctx context.Context, nw *network.Net, dir string) {
	if s.cfg.Webhooks == nil {
		return
	}
	o := s.cfg.WebhookOptions
	who := s.cfg.PublicIdentity
	r := &webhookRouter{s: s, who: who, exchanges: map[string][]string{}}
	f := follower{Net: nw, Who: who, Dir: dir, Log: s.log, Name: "webhooks"}
	var mu sync.Mutex
	failures := map[string]int{} // transaction → failed routings in a row
	f.run(ctx, func(ctx context.Context, channel string, ev *client.ChaincodeEvent) error {
		err := r.route(ctx, channel, ev.BlockNumber, ev.Payload)
		mu.Lock()
		defer mu.Unlock()
		if err == nil {
			delete(failures, ev.TransactionID)
			return nil
		}
		if errors.Is(err, errWebhookQueue) {
			// The queue could not be reached (a shared database down):
			// every event would fail alike, so none is given up; the
			// event is retried until the queue answers.
			return err
		}
		if failures[ev.TransactionID]++; failures[ev.TransactionID] < maxRouteFailures {
			return err
		}
		// A record that cannot be read after so many tries must not hold
		// up the channel's every later event: it is logged and passed.
		delete(failures, ev.TransactionID)
		s.log.Error("webhook routing gave up on an event: its subscribers are not told of it", "channel", channel, "tx", ev.TransactionID, "block", ev.BlockNumber, "error", network.ErrorText(err))
		return nil
	})
	scan, retention := o.Scan, o.Retention
	if scan <= 0 {
		scan = 10 * time.Minute
	}
	if retention <= 0 {
		retention = 30 * 24 * time.Hour
	}
	var scanning sync.WaitGroup
	defer scanning.Wait()
	scanning.Add(1)
	go func() {
		defer scanning.Done()
		t := time.NewTicker(scan)
		defer t.Stop()
		for {
			if err := s.scanDeadlines(ctx, who); err != nil && ctx.Err() == nil {
				s.log.Warn("deadline scan failed; tried again next period", "error", err.Error())
			}
			if n, err := s.cfg.Webhooks.Sweep(time.Now().Add(-retention)); err != nil {
				s.log.Warn("webhook log sweep failed", "error", err.Error())
			} else if n > 0 {
				s.log.Info("webhook log swept", "deliveries", n)
			}
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
	s.deliverer.Run(ctx)
	f.wg.Wait()
}
