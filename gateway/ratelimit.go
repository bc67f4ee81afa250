package gateway

import (
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
)

// The gateway's rate rules: a public client address (RuleRateAddress), and
// public objections against one target (RuleRateTarget), answered 429.
const (
	RuleRateAddress = "DL-RATE-ADDRESS"
	RuleRateTarget  = "DL-RATE-TARGET"
)

// publicLimiter bounds how often one public client address may call a
// route: a fixed one-minute window, no captcha.
type publicLimiter struct {
	perMinute int
	mu        sync.Mutex
	window    time.Time
	counts    map[string]int
}

func (l *publicLimiter) middleware(c *gin.Context) {
	if c.GetString(ctxRole) != RolePublic {
		c.Next()
		return
	}
	now := time.Now().Truncate(time.Minute)
	l.mu.Lock()
	if !now.Equal(l.window) {
		l.window, l.counts = now, map[string]int{}
	}
	ip := c.ClientIP() // the socket peer, or what a trusted proxy forwarded (Config.TrustedProxies)
	l.counts[ip]++
	over := l.counts[ip] > l.perMinute
	l.mu.Unlock()
	if over {
		c.Header("Retry-After", strconv.Itoa(int(time.Until(now.Add(time.Minute)).Seconds())+1))
		abort(c, refuse(http.StatusTooManyRequests, RuleRateAddress, "", "at most "+strconv.Itoa(l.perMinute)+" a minute from one address without an API key"))
		return
	}
	c.Next()
}
