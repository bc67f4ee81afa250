package gateway

import (
	"embed"
	"encoding/json"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"strings"

	"github.com/gin-gonic/gin"
	qrcode "github.com/skip2/go-qrcode"

	"dataledger/chaincode/domain"
	"dataledger/network"
)

//go:embed web
var webFS embed.FS

var pageTemplate = template.Must(template.ParseFS(webFS, "web/index.html"))

// page serves the verification page; /verify/{number} opens with the
// number filled in (the QR code's target).
func (s *Server) page(c *gin.Context) {
	number := strings.ToUpper(strings.TrimSpace(c.Param("number")))
	if len(number) > 40 {
		number = ""
	}
	c.Header("Content-Type", "text/html; charset=utf-8")
	c.Header("Content-Security-Policy", "default-src 'self'; img-src 'self'; style-src 'self'; script-src 'self'")
	if err := pageTemplate.Execute(c.Writer, struct{ Number string }{number}); err != nil {
		s.log.Error("page", "error", err.Error())
	}
}

// console serves the regulators' console: a static page whose data comes
// only from the API, with the caller's key (nothing in it for a caller
// without a regulator's or authority's key).
func (s *Server) console(c *gin.Context) { servePage(c, "web/console.html") }

// me serves the enterprise's own page (its data needs an enterprise's key).
func (s *Server) me(c *gin.Context) { servePage(c, "web/me.html") }

// servePage serves a page of the binary's that reads the API with the
// caller's key: scripts, styles and connections of this origin only.
func servePage(c *gin.Context, name string) {
	page, err := webFS.ReadFile(name)
	if err != nil {
		abort(c, err)
		return
	}
	c.Header("Content-Security-Policy", "default-src 'self'; img-src 'self' blob:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'")
	c.Data(http.StatusOK, "text/html; charset=utf-8", page)
}

// assets serves the page's script and style from the binary: no CDN.
func (s *Server) assets(c *gin.Context) {
	name := path.Base(c.Param("file"))
	sub, _ := fs.Sub(webFS, "web")
	if _, err := fs.Stat(sub, name); strings.HasSuffix(name, ".html") || !fs.ValidPath(name) || err != nil {
		abort(c, fail(http.StatusNotFound, "no such asset"))
		return
	}
	c.FileFromFS(name, http.FS(sub))
}

// qr draws a QR code of a number's verification URL.
func (s *Server) qr(c *gin.Context) {
	number := strings.TrimSuffix(c.Param("file"), ".png")
	if _, _, err := s.channelOfNumber(number, domain.PrefixAuthorization, domain.PrefixRegistration); err != nil {
		abort(c, err)
		return
	}
	scheme := "http"
	if c.Request.TLS != nil {
		scheme = "https"
	}
	png, err := qrcode.Encode(scheme+"://"+c.Request.Host+"/verify/"+number, qrcode.Medium, 256)
	if err != nil {
		abort(c, err)
		return
	}
	c.Data(http.StatusOK, "image/png", png)
}

// TimelineEntry is one status change of a credential or certificate as the
// public sees it: when, what, and why — not who beyond the organization.
type TimelineEntry struct {
	TxID   string `json:"txId"`
	Time   string `json:"time"`
	Action string `json:"action"`
	Status string `json:"status"`
	Reason string `json:"reason,omitempty"`
	By     string `json:"by"`
	// Outcome is an objection decision's outcome where the version tells
	// it (a certificate revoked, with or without a destruction order).
	Outcome string `json:"outcome,omitempty"`
}

func (s *Server) timeline(c *gin.Context) {
	number := c.Param("number")
	channel, prefix, err := s.channelOfNumber(number, domain.PrefixAuthorization, domain.PrefixRegistration)
	if err != nil {
		abort(c, err)
		return
	}
	numbered, _ := domain.NumberedByPrefix(prefix)
	items, err := network.Tx.History(numbered.RecordType, number).Evaluate(s.as(c), channel)
	if err != nil {
		abort(c, err)
		return
	}
	out := make([]TimelineEntry, 0, len(items))
	for _, it := range items {
		var rec struct { // what the public sees of a credential or certificate version
			Status              string        `json:"status"`
			OpenObjections      int           `json:"openObjections"`
			DestructionDeadline string        `json:"destructionDeadline"`
			Last                domain.Change `json:"last"`
		}
		if err := json.Unmarshal(it.Record, &rec); err != nil {
			abort(c, err)
			return
		}
		status := rec.Status
		if rec.OpenObjections > 0 && status == domain.CertificateValid {
			status = domain.VerifySuspended
		}
		e := TimelineEntry{TxID: it.TxID, Time: it.Time, Action: rec.Last.Action, Status: status, Reason: rec.Last.Reason, By: rec.Last.Actor.MSP}
		if rec.Last.Action == "decide" && status == domain.CertificateRevoked {
			e.Outcome = domain.OutcomeRegistrationRevoked
			if rec.DestructionDeadline != "" {
				e.Outcome = domain.OutcomeDataDestructionOrdered
			}
		}
		out = append(out, e)
	}
	if numbered.RecordType == domain.TypeCredential && len(out) > 0 {
		// A credential whose agreement ended reads authorization-ended without a
		// version of its own: the ending is its last event.
		now, err := network.Tx.GetCredential(number).Evaluate(s.as(c), channel)
		if err != nil {
			abort(c, err)
			return
		}
		if now.Last.TxID != "" && now.Last.TxID != out[len(out)-1].TxID {
			out = append(out, TimelineEntry{TxID: now.Last.TxID, Time: now.Last.Time, Action: now.Last.Action, Status: now.Status, Reason: now.StatusReason, By: now.Last.Actor.MSP})
		}
	}
	c.JSON(http.StatusOK, out)
}
