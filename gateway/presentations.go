package gateway

import (
	"errors"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"dataledger/chaincode/domain"
	"dataledger/internal/strictjson"
	"dataledger/proof"
)

// RulePresent: a presentation an enterprise asks for (POST
// /api/v1/presentations) names 1 to proof.MaxPresentedItems distinct
// credentials and certificates of its own, and the gateway that makes it
// signs with its organization's witness identity.
const RulePresent = "DL-PRESENT"

// PresentationRequest is what an enterprise asks to present.
type PresentationRequest struct {
	// Items are the 授权编号 and 登记号 to present, each the enterprise's
	// own (a credential it holds, a certificate of its product).
	Items []string `json:"items"`
	// Audience names whom it is for (optional; in the signed file).
	Audience string `json:"audience,omitempty"`
}

// present makes a presentation (proof.Presentation) of the caller's own
// credentials and certificates: each one's proof bundle as this gateway
// serves it (with its witnessed heads), verified here with the network's
// trust file, its derived status stated at its height, and the whole
// signed by this organization's witness identity. The records are read as
// the enterprise's own identity: another's is refused by the chaincode.
func (s *Server) present(c *gin.Context) {
	holder := c.GetString(ctxCreditCode)
	if s.witness == nil {
		abort(c, domain.Conflict(RulePresent, "gateway", "this gateway signs presentations with its organization's witness identity and has none: start it with --witness"))
		return
	}
	var req PresentationRequest
	body, ok := readBody(c, "request")
	if !ok {
		return
	}
	err := checkMembers(body, &req, "")
	if err == nil && strictjson.Unmarshal(body, &req) != nil {
		err = domain.Invalid(domain.RuleJSONMember, "body", "the body is not {\"items\": [numbers], \"audience\": \"…\"}")
	}
	if err == nil && len([]rune(req.Audience)) > proof.MaxAudience {
		err = domain.Invalid(RulePresent, "audience", "at most %d characters", proof.MaxAudience)
	}
	if err != nil {
		abort(c, err)
		return
	}
	if len(req.Items) == 0 || len(req.Items) > proof.MaxPresentedItems {
		abort(c, domain.Invalid(RulePresent, "items", "name 1 to %d credentials or certificates, got %d", proof.MaxPresentedItems, len(req.Items)))
		return
	}
	trust, err := s.ledger.Trust()
	if err != nil {
		abort(c, err)
		return
	}
	ctx, who := c.Request.Context(), identity(c)
	var bundles []*proof.Bundle
	for i, number := range req.Items {
		field := "items[" + strconv.Itoa(i) + "]"
		if slices.Contains(req.Items[:i], number) {
			abort(c, domain.Invalid(RulePresent, field, "%s is named twice", number))
			return
		}
		kind, n, err := proof.KindOf(number)
		if err == nil && kind.Name != "credential" && kind.Name != "certificate" {
			err = domain.Invalid(RulePresent, field, "%s is a %s: a presentation shows credentials (授权编号) and certificates (登记号)", number, kind.Name)
		}
		if err != nil {
			abort(c, err)
			return
		}
		channel, ok := s.ledger.ChannelOf(n.Division)
		if !ok {
			abort(c, domain.NotFound(domain.RuleChannelUnknown, field, "no jurisdiction with division code %s is on this network", n.Division))
			return
		}
		if err := s.ledger.Member(who, channel); err != nil {
			abort(c, err)
			return
		}
		b, err := proof.Build(ledgerSource{ctx, s.ledger, who, false}, channel, s.ledger.Chaincode(), kind, number) // signed as this org's witness: its own peer's blocks
		if err != nil {
			abort(c, err)
			return
		}
		// Credentials and certificates are public records: the
		// enterprise presents only those it holds.
		if got := proof.Subject(b); got != holder {
			abort(c, domain.Forbidden(domain.RuleEnterpriseRead, field, "%s is held by %s, not by enterprise %s: an enterprise presents only its own credentials and certificates", number, got, holder))
			return
		}
		if slices.Contains(s.witness.cfg.Channels, channel) {
			s.witness.attach(ctx, b)
		}
		bundles = append(bundles, b)
	}
	// Each bundle verified once, with the network's trust file; what is
	// signed is checked to verify.
	type presented struct {
		p   *proof.Presentation
		err error
	}
	made, err := bounded(ctx, "presentation", ProofVerifyTimeout*time.Duration(len(bundles)), func() presented {
		p, err := proof.Present(holder, req.Audience, bundles, trust, s.witness.cfg.Creator, s.witness.cfg.Sign, time.Now())
		return presented{p, err}
	})
	switch {
	case err != nil:
		abort(c, err)
		return
	case errors.Is(made.err, proof.ErrSigner):
		abort(c, domain.Conflict(RulePresent, "items", "%v: present items of channels this gateway's organization is an application member of", made.err))
		return
	case made.err != nil:
		abort(c, fail(http.StatusInternalServerError, made.err.Error()))
		return
	}
	p := made.p
	c.Header("Content-Disposition", `attachment; filename="presentation-`+holder+`.json"`)
	c.JSON(http.StatusOK, p)
}

// verifyPresentation verifies an uploaded presentation with this
// network's trust file, each item's bundle within the bundles' bounds.
func (s *Server) verifyPresentation(c *gin.Context, body []byte) {
	p, err := proof.ParsePresentation(body)
	if err != nil {
		abort(c, domain.Invalid(proof.RuleProof, "presentation", "%v", err))
		return
	}
	if len(p.Items) > proof.MaxPresentedItems {
		abort(c, refuse(http.StatusUnprocessableEntity, RuleProofBound, "items", "a presentation of "+strconv.Itoa(len(p.Items))+" items; at most "+strconv.Itoa(proof.MaxPresentedItems)))
		return
	}
	// Refused before any signature is checked: an unsigned presentation,
	// a number twice, more than the bounds in all.
	if p.Signature == nil {
		abort(c, domain.Invalid(proof.RuleProof, "signature", "the presentation is not signed"))
		return
	}
	sigs, seen := 0, map[string]bool{}
	for i, it := range p.Items {
		prefix := "items[" + strconv.Itoa(i) + "]"
		if seen[it.Number] {
			abort(c, domain.Invalid(proof.RuleProof, prefix+".number", "%s is presented twice", it.Number))
			return
		}
		seen[it.Number] = true
		if len(it.Bundle) > MaxProofBytes {
			abort(c, refuse(http.StatusRequestEntityTooLarge, RuleProofBound, prefix+".bundle", "the bundle is larger than "+strconv.Itoa(MaxProofBytes)+" bytes"))
			return
		}
		if err := checkMembers(it.Bundle, &proof.Bundle{}, prefix+".bundle"); err != nil {
			abort(c, err)
			return
		}
		b, err := proof.ParseBundle(it.Bundle)
		if err != nil {
			continue // the report names it
		}
		n, err := countBundle(b)
		if err != nil {
			abort(c, err)
			return
		}
		if sigs += n; sigs > MaxPresentationSignatures {
			abort(c, refuse(http.StatusUnprocessableEntity, RuleProofBound, prefix+".bundle", "the presentation holds more than "+strconv.Itoa(MaxPresentationSignatures)+" signatures and endorsements to check"))
			return
		}
	}
	trust, err := s.ledger.Trust()
	if err != nil {
		abort(c, err)
		return
	}
	// 5 s per item, within what is left of the request's time.
	r, err := bounded(c.Request.Context(), "presentation", ProofVerifyTimeout*time.Duration(max(len(p.Items), 1)), func() *proof.PresentationReport {
		return proof.VerifyPresentation(p, trust)
	})
	if err != nil {
		abort(c, err)
		return
	}
	c.JSON(http.StatusOK, r)
}
