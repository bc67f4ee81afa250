package gateway

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
)

// The gateway's rate rules: a public client address (RuleRateAddress), an
// API key on a route that bounds keyed callers (RuleRateKey), and public
// objections against one target (RuleRateTarget), answered 429.
const (
	RuleRateAddress = "DL-RATE-ADDRESS"
	RuleRateKey     = "DL-RATE-KEY"
	RuleRateTarget  = "DL-RATE-TARGET"
)

// windowLimiter bounds how often one caller may call a route: a fixed
// one-minute window, no captcha. who names the caller it counts ("":
// not counted); rule and over say how a refusal reads.
type windowLimiter struct {
	perMinute int
	who       func(c *gin.Context) string
	rule      string
	over      string
	mu        sync.Mutex
	window    time.Time
	counts    map[string]int
}

// publicLimiter counts the public by client address.
func publicLimiter(perMinute int) *windowLimiter {
	return &windowLimiter{perMinute: perMinute, rule: RuleRateAddress, over: "a minute from one address without an API key",
		who: func(c *gin.Context) string {
			if c.GetString(ctxRole) != RolePublic {
				return ""
			}
			return clientKey(c.ClientIP()) // the socket peer, or what a trusted proxy forwarded (Config.TrustedProxies)
		}}
}

// keyLimiter counts keyed callers by API key: a route that reads much for
// one caller (an enterprise's view, a presentation) bounds each key.
func keyLimiter(perMinute int) *windowLimiter {
	return &windowLimiter{perMinute: perMinute, rule: RuleRateKey, over: "a minute with one API key",
		who: func(c *gin.Context) string {
			if c.GetString(ctxRole) == RolePublic {
				return ""
			}
			return c.GetString(ctxCaller)
		}}
}

// clientKey is what the public's limits count by: an IPv4 address, or an
// IPv6 address's /64 (one client holds a whole /64).
func clientKey(ip string) string {
	a, err := netip.ParseAddr(ip)
	if err != nil || a.Unmap().Is4() {
		return ip
	}
	p, err := a.Prefix(64)
	if err != nil {
		return ip
	}
	return p.String()
}

func (l *windowLimiter) middleware(c *gin.Context) {
	who := l.who(c)
	if who == "" {
		c.Next()
		return
	}
	now := time.Now().Truncate(time.Minute)
	l.mu.Lock()
	if !now.Equal(l.window) {
		l.window, l.counts = now, map[string]int{}
	}
	l.counts[who]++
	over := l.counts[who] > l.perMinute
	l.mu.Unlock()
	if over {
		c.Header("Retry-After", strconv.Itoa(int(time.Until(now.Add(time.Minute)).Seconds())+1))
		abort(c, refuse(http.StatusTooManyRequests, l.rule, "", "at most "+strconv.Itoa(l.perMinute)+" "+l.over))
		return
	}
	c.Next()
}

// targetLimiter bounds public requests naming one target (the body's
// field), whoever sends them and from wherever: a sliding window keeping
// the times of the last max accepted requests per target. Keyed callers
// are not limited by it.
type targetLimiter struct {
	field  string
	max    int
	window time.Duration
	now    func() time.Time // time.Now; a test's clock

	mu    sync.Mutex
	hits  map[string][]time.Time // target → accepted times, oldest first, at most max
	swept time.Time
}

func newTargetLimiter(field string, max int, window time.Duration) *targetLimiter {
	return &targetLimiter{field: field, max: max, window: window, now: time.Now, hits: map[string][]time.Time{}}
}

func (l *targetLimiter) middleware(c *gin.Context) {
	if c.GetString(ctxRole) != RolePublic {
		c.Next()
		return
	}
	body, ok := readBody(c, "body")
	if !ok {
		return
	}
	targets := bodyTargets(body, l.field)
	wait, at := l.admit(targets)
	if wait > 0 {
		c.Header("Retry-After", strconv.Itoa(int((wait+time.Second-1)/time.Second)))
		abort(c, refuse(http.StatusTooManyRequests, RuleRateTarget, l.field, "at most "+strconv.Itoa(l.max)+" requests against one "+l.field+
			" in "+l.window.String()+" without an API key, from all addresses together"))
		return
	}
	c.Next()
	// Only what was accepted counts: a refused or failed request gives its
	// place back, so junk cannot use up a target's window.
	if st := c.Writer.Status(); st < 200 || st >= 300 {
		l.release(targets, at)
	}
}

// release gives back the places admit recorded at at.
func (l *targetLimiter) release(targets []string, at time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, t := range targets {
		times := l.hits[t]
		for i := len(times) - 1; i >= 0; i-- {
			if times[i].Equal(at) {
				l.hits[t] = append(times[:i:i], times[i+1:]...)
				break
			}
		}
	}
}

// admit records a request against targets and answers 0 with the time
// it recorded, or how long until one of them has room again (then
// nothing is recorded).
func (l *targetLimiter) admit(targets []string) (time.Duration, time.Time) {
	now := l.now()
	if len(targets) == 0 {
		return 0, now // no target: the handler refuses the body
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.swept) >= time.Minute { // forget targets whose window has passed
		for t, times := range l.hits {
			if len(times) == 0 || now.Sub(times[len(times)-1]) >= l.window {
				delete(l.hits, t)
			}
		}
		l.swept = now
	}
	var wait time.Duration
	for _, t := range targets {
		times := l.hits[t]
		for len(times) > 0 && now.Sub(times[0]) >= l.window {
			times = times[1:]
		}
		if len(times) == 0 {
			delete(l.hits, t)
			continue
		}
		l.hits[t] = times
		if len(times) >= l.max {
			wait = max(wait, times[0].Add(l.window).Sub(now))
		}
	}
	if wait > 0 {
		return wait, now
	}
	for _, t := range targets {
		l.hits[t] = append(l.hits[t], now)
	}
	return 0, now
}

// bodyTargets reads the values of field in a JSON object body, read as
// loosely as any decoder might (every member whose name equals field
// but for case, the first JSON value only), normalized (trimmed, upper
// case), so no spelling of the body reaches the chaincode with a target
// the count did not see.
func bodyTargets(body []byte, field string) []string {
	var members map[string]json.RawMessage
	if json.NewDecoder(bytes.NewReader(body)).Decode(&members) != nil {
		return nil
	}
	var out []string
	for name, raw := range members {
		if !strings.EqualFold(name, field) {
			continue
		}
		var v string
		if json.Unmarshal(raw, &v) != nil {
			v = string(raw)
		}
		v = strings.ToUpper(strings.TrimSpace(v))
		if len(v) > 128 {
			v = v[:128]
		}
		if v != "" && !contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}
