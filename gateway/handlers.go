package gateway

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"
	"golang.org/x/text/language"

	"dataledger/certs"
	"dataledger/chaincode/domain"
	"dataledger/network"
)

func (s *Server) handlers() map[string]gin.HandlerFunc {
	return map[string]gin.HandlerFunc{
		"verifyNumber":        s.verifyNumber,
		"verifyDocument":      s.verifyDocument,
		"issueCredential":     s.issueCredential,
		"page":                s.page,
		"assets":              s.assets,
		"qr":                  s.qr,
		"timeline":            s.timeline,
		"feed":                s.feed,
		"registerCertificate": s.registerCertificate,
		"proofBundle":         s.proofBundle,
		"verifyProof":         s.verifyProof,
		"present":             s.present,
		"obligations":         s.obligations,
		"subscribeWebhook":    s.subscribeWebhook,
		"listWebhooks":        s.listWebhooks,
		"disableWebhook":      s.disableWebhook,
		"pingWebhook":         s.pingWebhook,
		"rotateWebhookSecret": s.rotateWebhookSecret,
		"webhookDeliveries":   s.webhookDeliveries,
		"me":                  s.me,
		"auditChain":          s.auditChain,
		"latestHead":          s.latestHead,
		"headAt":              s.headAt,
		"cosignHead":          s.cosignHead,
		"witnessAlarms":       s.witnessAlarms,
		"searchIndex":         s.searchIndex,
		"exportIndex":         s.exportIndex,
		"indexHistory":        s.indexHistory,
		"indexSummary":        s.indexSummary,
		"indexStatus":         s.indexStatus,
		"console":             s.console,
		"generateReport":      s.generateReport,
		"reportFile":          s.reportFile,
		"ping":                func(c *gin.Context) { c.JSON(http.StatusOK, Liveness{Status: "ok"}) },
	}
}

// VerifyResponse is a verification with its chain reference's block and
// its reason in the language the caller asked for.
type VerifyResponse struct {
	domain.Verification
	BlockNumber *uint64 `json:"blockNumber,omitempty"`
	// Message is the reason in the request's Accept-Language: Chinese
	// (reasonZh) unless English is preferred (reason).
	Message string `json:"message,omitempty"`
}

// answerLanguages are the languages a verification answers in, Chinese
// first: a request that states no preference gets Chinese.
var answerLanguages = language.NewMatcher([]language.Tag{language.SimplifiedChinese, language.English})

// answerLanguage is "zh" or "en", as the request's Accept-Language prefers;
// it is also the response's Content-Language.
func answerLanguage(c *gin.Context) string {
	lang := "zh"
	if _, i := language.MatchStrings(answerLanguages, c.GetHeader("Accept-Language")); i == 1 {
		lang = "en"
	}
	c.Header("Content-Language", map[string]string{"zh": "zh-CN", "en": "en"}[lang])
	c.Header("Vary", "Accept-Language")
	return lang
}

// channelOfNumber checks a 授权编号 / 登记号 (check character first, so a
// mistyped number is caught before any lookup) and finds its channel.
func (s *Server) channelOfNumber(number string, prefixes ...string) (string, string, error) {
	var lastErr error
	for _, prefix := range prefixes {
		if len(prefixes) > 1 && !strings.HasPrefix(number, prefix+"-") {
			continue // only the number's own prefix is parsed (its error is the one to report)
		}
		n, err := domain.ParseNumber("number", number, prefix)
		if err != nil {
			lastErr = err
			continue
		}
		ch, ok := s.ledger.ChannelOf(n.Division)
		if !ok {
			return "", "", domain.NotFound(domain.RuleChannelUnknown, "number", "no jurisdiction with division code %s is on this network", n.Division)
		}
		return ch, prefix, nil
	}
	if lastErr == nil {
		lastErr = domain.Invalid(domain.RuleNumber, "number", "%q starts with none of %v", truncate(number), prefixes)
	}
	return "", "", lastErr
}

// verification is a chaincode verification answer completed with its
// transaction's block number, as the response's JSON.
// The chaincode's JSON object is kept as it is and the block number
// appended to it (the shape of VerifyResponse), so an uncached
// verification does not decode and re-encode the record it carries.
func (s *Server) verification(c *gin.Context, channel, lang string, raw []byte) ([]byte, error) {
	raw = bytes.TrimSpace(raw)
	head, err := verificationHead(raw)
	if err != nil || len(raw) < 2 || raw[len(raw)-1] != '}' {
		return nil, fmt.Errorf("the chaincode's verification is not a JSON object: %v", err)
	}
	message := head.ReasonZh
	if lang == "en" || message == "" {
		message = head.Reason
	}
	out := make([]byte, 0, len(raw)+len(message)+48)
	out = append(out, raw[:len(raw)-1]...)
	if len(raw) > 2 {
		out = append(out, ',')
	}
	m, _ := json.Marshal(message)
	out = append(append(out, `"message":`...), m...)
	if head.TxID != "" {
		// Without its block number the answer still stands.
		if b, err := s.ledger.Block(c.Request.Context(), identity(c), channel, head.TxID); err == nil {
			out = append(out, `,"blockNumber":`...)
			out = strconv.AppendUint(out, b, 10)
		}
	}
	return append(out, '}'), nil
}

// answerHead is what the gateway reads of a chaincode verification.
type answerHead struct {
	TxID, Reason, ReasonZh string
}

// headMembers are the members domain.Verification encodes first; the
// head is read up to the first other member, so the links and the record
// (most of the answer) are not scanned (TestVerificationHeadComesFirst
// holds domain.Verification to that order).
var headMembers = map[string]bool{"status": true, "reason": true, "reasonZh": true, "number": true, "channel": true, "txId": true}

// verificationHead reads the txId, reason and reasonZh of a chaincode
// verification (a JSON object our chaincode encoded).
func verificationHead(raw []byte) (answerHead, error) {
	var h answerHead
	d := json.NewDecoder(bytes.NewReader(raw))
	if t, err := d.Token(); err != nil || t != json.Delim('{') {
		return h, fmt.Errorf("not a JSON object")
	}
	for d.More() {
		t, err := d.Token()
		if err != nil {
			return h, err
		}
		key, _ := t.(string)
		if !headMembers[key] {
			return h, nil
		}
		var v string
		if err := d.Decode(&v); err != nil {
			return h, fmt.Errorf("%s: %v", key, err)
		}
		switch key {
		case "txId":
			h.TxID = v
		case "reason":
			h.Reason = v
		case "reasonZh":
			h.ReasonZh = v
		}
	}
	return h, nil
}

func (s *Server) respondVerification(c *gin.Context, channel string, raw []byte) {
	body, err := s.verification(c, channel, answerLanguage(c), raw)
	if err != nil {
		abort(c, err)
		return
	}
	c.Data(http.StatusOK, "application/json; charset=utf-8", body)
}

// verifyFunctions are the chaincode queries that verify a credential and
// a certificate by number.
var verifyFunctions = map[string]func(number string) network.Read[*domain.Verification]{
	domain.TypeCredential: network.Tx.VerifyCredential, domain.TypeCertificate: network.Tx.VerifyCertificate}

// as runs the typed client's transactions as the request's caller.
func (s *Server) as(c *gin.Context) network.Invoker {
	return invoker{c.Request.Context(), s.ledger, identity(c)}
}

// verifyNumber answers from the rendered response kept under the channel's
// generation: a cached verification costs a lookup, not a JSON decode and
// encode of the record.
func (s *Server) verifyNumber(c *gin.Context) {
	number := c.Param("number")
	channel, prefix, err := s.channelOfNumber(number, domain.PrefixAuthorization, domain.PrefixRegistration)
	if err != nil {
		abort(c, err)
		return
	}
	numbered, _ := domain.NumberedByPrefix(prefix)
	q := verifyFunctions[numbered.RecordType](number)
	lang := answerLanguage(c)
	body, err := s.ledger.Memo(c.Request.Context(), identity(c), channel, "response:"+lang+":"+q.Fn, q.Args, func() ([]byte, error) {
		raw, err := q.Raw(s.as(c), channel)
		if err != nil {
			return nil, err
		}
		return s.verification(c, channel, lang, raw)
	})
	if err != nil {
		abort(c, err)
		return
	}
	c.Data(http.StatusOK, "application/json; charset=utf-8", body)
}

// verifyDocument compares an uploaded credential or certificate with the
// ledger: tampered on any difference.
func (s *Server) verifyDocument(c *gin.Context) {
	body, ok := readBody(c, "document")
	if !ok {
		return
	}
	var head struct {
		Type           string                `json:"docType"`
		Channel        string                `json:"channel"`
		ChainReference domain.ChainReference `json:"chainReference"`
	}
	if err := json.Unmarshal(body, &head); err != nil {
		abort(c, domain.Invalid(domain.RuleDocument, "document", "is not a JSON object: %v", err))
		return
	}
	var q network.Read[*domain.Verification]
	var doc domain.Document
	channel := ""
	switch head.Type {
	case domain.DocTypeCredential:
		q, channel, doc = network.Tx.VerifyCredentialDocument(string(body)), head.Channel, &domain.Credential{}
	case domain.DocTypeCertificate:
		q, channel, doc = network.Tx.VerifyCertificateDocument(string(body)), head.ChainReference.Channel, &domain.Certificate{}
	default:
		if err := checkMembers(body, nil, ""); err != nil {
			abort(c, err)
			return
		}
		abort(c, domain.Invalid(domain.RuleDocument, "docType", "must be %s or %s", domain.DocTypeCredential, domain.DocTypeCertificate))
		return
	}
	// head was read the way Go reads (the last duplicate, names folded):
	// the channel routed to must be the one the document names exactly.
	if err := checkMembers(body, doc, ""); err != nil {
		abort(c, err)
		return
	}
	if !s.ledger.HasChannel(channel) {
		abort(c, domain.NotFound(domain.RuleChannelUnknown, "channel", "the document names channel %q, which is not on this network", truncate(channel)))
		return
	}
	raw, err := q.Raw(s.as(c), channel)
	if err != nil {
		abort(c, err)
		return
	}
	s.respondVerification(c, channel, raw)
}

// IssueRequest registers a credential signed offline (by the CLI or the
// issuer's own tooling).
type IssueRequest struct {
	Document        json.RawMessage `json:"document"`
	AgreementNumber string          `json:"agreementNumber"`
}

// written is the response to a committed write.
func written(res *network.Committed) WriteResponse {
	return WriteResponse{Record: res.Result, ChainReference: domain.CommitReference{
		ChainReference: domain.ChainReference{Channel: res.Channel, TxID: res.TxID}, BlockNumber: res.BlockNumber}}
}

func decodeBody(c *gin.Context, v any) bool {
	body, ok := readBody(c, "body")
	if !ok {
		return false
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		abort(c, domain.Invalid("DL-JSON", "body", "is not the documented JSON: %v", err))
		return false
	}
	if err := checkMembers(body, v, ""); err != nil {
		abort(c, err)
		return false
	}
	return true
}

func (s *Server) issueCredential(c *gin.Context) {
	var req IssueRequest
	if !decodeBody(c, &req) {
		return
	}
	var head struct {
		Channel string `json:"channel"`
	}
	if err := checkMembers(req.Document, &domain.Credential{}, "document"); err != nil {
		abort(c, err)
		return
	}
	if err := json.Unmarshal(req.Document, &head); err != nil || !s.ledger.HasChannel(head.Channel) {
		abort(c, domain.Invalid(domain.RuleDocument, "document.channel", "the document must name a channel of this network"))
		return
	}
	res, err := network.Tx.IssueCredential(string(req.Document), req.AgreementNumber).SubmitRaw(s.as(c), head.Channel)
	if err != nil {
		abort(c, err)
		return
	}
	c.JSON(http.StatusCreated, written(res))
}

// RegisterRequest registers a product certificate: the gateway completes
// it with the registering transaction's ID (区块链编号) and signs it with
// the caller organization's issuer key.
type RegisterRequest struct {
	Certificate       json.RawMessage `json:"certificate"`
	ApplicationNumber string          `json:"applicationNumber"` // empty for a pre-existing product
}

func (s *Server) registerCertificate(c *gin.Context) {
	var req RegisterRequest
	if !decodeBody(c, &req) {
		return
	}
	var cert domain.Certificate
	dec := json.NewDecoder(bytes.NewReader(req.Certificate))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&cert); err != nil {
		abort(c, domain.Invalid(domain.RuleDocument, "certificate", "is not a certificate: %v", err))
		return
	}
	if err := checkMembers(req.Certificate, &cert, "certificate"); err != nil {
		abort(c, err)
		return
	}
	channel, _, err := s.channelOfNumber(cert.RegistrationNumber, domain.PrefixRegistration)
	if err != nil {
		abort(c, err)
		return
	}
	who := identity(c)
	key, ok := s.issuerKey(c, who.Org, "register the certificate with a client that signs it")
	if !ok {
		return
	}
	var signed string
	res, err := network.Tx.RegisterCertificate(req.ApplicationNumber, func(txID string) (string, error) {
		cert.Type, cert.ChainReference, cert.IssuerKeyID, cert.Signature = domain.DocTypeCertificate, domain.ChainReference{Channel: channel, TxID: txID}, "", nil
		b, err := json.Marshal(cert)
		if err != nil {
			return "", err
		}
		sb, err := certs.Sign(b, key, nil)
		signed = string(sb)
		return signed, err
	}).SubmitRaw(s.as(c), channel)
	if err != nil {
		abort(c, err)
		return
	}
	c.JSON(http.StatusCreated, CertificateRegistration[json.RawMessage, json.RawMessage]{written(res), json.RawMessage(signed)})
}

func truncate(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}
