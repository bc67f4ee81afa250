package domain

import (
	"fmt"
	"time"
)

// A credential or certificate is in force only while every record its
// force rests on holds (GX 12(3): on termination the operator's access
// ends; GD 39, HB 18: exit; NS 16: termination). Its status is derived at
// verification time from those records as they stand, so ending an
// agreement, suspending a party or compromising a key is one write, and
// every dependent document answers from it.

// Link kinds: the records a document's force rests on.
const (
	LinkCertificate = "certificate"
	LinkCredential  = "credential"
	LinkAgreement   = "agreement"
	LinkParty       = "party"
	LinkIssuerKey   = "issuerKey"
)

// Link is one record a document rests on, as it stands: its own state,
// what it makes of the document (Status: valid, or the status it imposes)
// and why, in Chinese and in English, with the transaction that set it.
type Link struct {
	Kind     string `json:"kind"`
	Number   string `json:"number"`          // 授权编号, 登记号, agreement number, credit code or key ID
	Role     string `json:"role,omitempty"`  // scenario/catalog agreement, enterprise/holder party, the key's department
	State    string `json:"state,omitempty"` // the record's own status (terminated, exited, …)
	Status   string `json:"status"`
	TxID     string `json:"txId,omitempty"` // the transaction that last wrote the record (it set State, or, e.g., named a renewing agreement)
	Time     string `json:"time,omitempty"` // its time, China time (RFC 3339, +08:00)
	Reason   string `json:"reason"`
	ReasonZh string `json:"reasonZh"`
}

// severity orders the statuses a link may impose: the document's status is
// the most severe of its links' (a suspension lifts when the link is
// reinstated, an ended authorization only with a new or extended
// agreement, a revocation is final).
var severity = map[string]int{
	VerifyValid: 0, VerifyPending: 1, VerifySuspended: 2, VerifyExpired: 3,
	VerifyAuthorizationEnded: 4, VerifyRevoked: 5,
}

// rank is a status's severity; one not in the table ranks above every
// other (fail closed).
func rank(status string) int {
	if r, ok := severity[status]; ok {
		return r
	}
	return len(severity)
}

// StatusNames are the statuses' Chinese names, for pages and sentences.
var StatusNames = map[string]string{
	VerifyValid: "有效", VerifyPending: "尚未生效", VerifySuspended: "已暂停", VerifyExpired: "已过期",
	VerifyAuthorizationEnded: "授权已终止", VerifyRevoked: "已撤销", VerifyNotFound: "未登记", VerifyTampered: "被篡改",
}

// ChinaTime shows a ledger time (RFC 3339) as 北京时间, to the second:
// "2026-12-02 05:26:42". Anything else is shown as given.
func ChinaTime(s string) string {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return s
	}
	return t.In(CST).Format(time.DateTime)
}

// chinaRFC3339 is a ledger time in China time for machines, to the second.
func chinaRFC3339(s string) string {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return s
	}
	return t.In(CST).Format(time.RFC3339)
}

func (l *Link) set(status, en, zh string) {
	l.Status, l.Reason, l.ReasonZh = status, en, zh
}

func linkAt(kind, number, role, state string, c Change) Link {
	return Link{Kind: kind, Number: number, Role: role, State: state, TxID: c.TxID, Time: chinaRFC3339(c.Time)}
}

// by names who made a change and when, in both languages.
func by(c Change) (string, string) {
	return fmt.Sprintf("by %s at %s", c.Actor.MSP, ChinaTime(c.Time)), fmt.Sprintf("%s 于 北京时间 %s", c.Actor.MSP, ChinaTime(c.Time))
}

// AgreementLink is what an agreement makes of a document resting on it at
// t: ended (terminated or revoked) or past its term ends the authorization;
// before its term nothing is in force yet.
func AgreementLink(a *Agreement, number, role string, t time.Time) Link {
	if a == nil {
		l := Link{Kind: LinkAgreement, Number: number, Role: role}
		l.set(VerifyAuthorizationEnded, fmt.Sprintf("agreement %s is not on the ledger", number), fmt.Sprintf("协议 %s 未在链上登记", number))
		return l
	}
	l := linkAt(LinkAgreement, a.Number, role, a.Status, a.Last)
	day := DateOf(t).Format(time.DateOnly)
	switch {
	case a.Ended():
		en, zh := by(a.Last)
		verb := map[string]string{AgreementTerminated: "终止", AgreementRevoked: "撤销"}[a.Status]
		l.set(VerifyAuthorizationEnded, fmt.Sprintf("agreement %s was %s %s%s", a.Number, a.Status, en, withWords(": ", a.Last.Reason)),
			fmt.Sprintf("协议 %s 已由 %s%s%s", a.Number, zh, verb, withWords("：", a.Last.Reason)))
	case day > a.TermEnd:
		l.set(VerifyAuthorizationEnded, fmt.Sprintf("agreement %s expired: its term ended on %s", a.Number, a.TermEnd),
			fmt.Sprintf("协议 %s 已到期：授权期限至 %s 届满", a.Number, a.TermEnd))
	case day < a.TermStart:
		l.set(VerifyPending, fmt.Sprintf("agreement %s is in force from %s", a.Number, a.TermStart),
			fmt.Sprintf("协议 %s 自 %s 起生效", a.Number, a.TermStart))
	default:
		l.set(VerifyValid, fmt.Sprintf("agreement %s (%s) in force, term %s to %s", a.Number, a.Status, a.TermStart, a.TermEnd),
			fmt.Sprintf("协议 %s 有效，期限 %s 至 %s", a.Number, a.TermStart, a.TermEnd))
	}
	return l
}

// PartyLink is what a party (the certificate's enterprise, the credential's
// holder) makes of a document: suspended while it is suspended, and its
// exit ends the authorization (GD 39, HB 18).
func PartyLink(p *Party, creditCode, role string) Link {
	if p == nil {
		l := Link{Kind: LinkParty, Number: creditCode, Role: role}
		l.set(VerifyAuthorizationEnded, fmt.Sprintf("%s %s is not a registered party", role, creditCode), fmt.Sprintf("主体 %s 未在链上登记", creditCode))
		return l
	}
	l := linkAt(LinkParty, p.CreditCode, role, p.Status, p.Last)
	en, zh := by(p.Last)
	switch p.Status {
	case PartySuspended:
		l.set(VerifySuspended, fmt.Sprintf("%s %s (%s) was suspended %s%s", role, p.Name, p.CreditCode, en, withWords(": ", p.Last.Reason)),
			fmt.Sprintf("主体 %s（%s）已由 %s暂停%s", p.Name, p.CreditCode, zh, withWords("：", p.Last.Reason)))
	case PartyExited:
		l.set(VerifyAuthorizationEnded, fmt.Sprintf("%s %s (%s) exited %s%s", role, p.Name, p.CreditCode, en, withWords(": ", p.Last.Reason)),
			fmt.Sprintf("主体 %s（%s）已由 %s办理退出%s", p.Name, p.CreditCode, zh, withWords("：", p.Last.Reason)))
	default:
		l.set(VerifyValid, fmt.Sprintf("%s %s (%s) is active", role, p.Name, p.CreditCode),
			fmt.Sprintf("主体 %s（%s）状态正常", p.Name, p.CreditCode))
	}
	return l
}

// KeyLink is what the issuer key makes of a document it signed, registered
// by change reg: a document registered at or after the key's compromise
// reads revoked; one registered before stays valid whatever the key's
// status since (retired, revoked).
func KeyLink(k *IssuerKey, keyID string, reg Change) Link {
	if k == nil {
		l := Link{Kind: LinkIssuerKey, Number: keyID}
		l.set(VerifyRevoked, fmt.Sprintf("issuer key %s is not in the key registry", short(keyID)), fmt.Sprintf("签发密钥 %s 不在密钥登记簿中", short(keyID)))
		return l
	}
	l := linkAt(LinkIssuerKey, k.KeyID, k.Department, k.Status, k.Last)
	regDay := ""
	if t, err := time.Parse(time.RFC3339Nano, reg.Time); err == nil {
		regDay = DateOf(t).Format(time.DateOnly)
	}
	switch {
	case k.CompromisedBy(reg):
		l.set(VerifyRevoked, fmt.Sprintf("issuer key %s was compromised from %s (%s); the document was registered after, at %s", short(k.KeyID), ChinaTime(k.CompromisedAt), k.StatusReason, ChinaTime(reg.Time)),
			fmt.Sprintf("签发密钥 %s 自北京时间 %s 起已泄露（%s），本文件登记于其后（%s）", short(k.KeyID), ChinaTime(k.CompromisedAt), k.StatusReason, ChinaTime(reg.Time)))
	case regDay != "" && (regDay < k.ValidFrom || regDay > k.ValidUntil):
		l.set(VerifyRevoked, fmt.Sprintf("issuer key %s is valid %s to %s, not on %s when the document was registered", short(k.KeyID), k.ValidFrom, k.ValidUntil, regDay),
			fmt.Sprintf("签发密钥 %s 的有效期为 %s 至 %s，登记日 %s 不在其内", short(k.KeyID), k.ValidFrom, k.ValidUntil, regDay))
	case k.Status != KeyActive:
		l.set(VerifyValid, fmt.Sprintf("signed by key %s of %s, usable when registered; since %s (%s), which does not affect documents registered before", short(k.KeyID), k.Department, k.Status, k.StatusReason),
			fmt.Sprintf("由 %s 的密钥 %s 签发，登记时有效；该密钥其后已%s（%s），不影响此前登记的文件", k.Department, short(k.KeyID), map[string]string{KeyRetired: "停用", KeyRevoked: "撤销"}[k.Status], k.StatusReason))
	default:
		l.set(VerifyValid, fmt.Sprintf("signed by key %s of %s, active", short(k.KeyID), k.Department),
			fmt.Sprintf("由 %s 的密钥 %s 签发，密钥有效", k.Department, short(k.KeyID)))
	}
	return l
}

// CertificateLink is what the certificate's own record says: revoked
// (registration revoked or data destruction ordered on an objection) or
// suspended while an objection is open (GX 12(8)).
func CertificateLink(r *CertificateRecord) Link {
	l := linkAt(LinkCertificate, r.Number, "", r.Status, r.Last)
	en, zh := by(r.Last)
	switch {
	case r.Status == CertificateRevoked && r.DestructionDeadline != "":
		l.set(VerifyRevoked, fmt.Sprintf("registration revoked and data destruction ordered (by %s) %s: %s", r.DestructionDeadline, en, r.StatusReason),
			fmt.Sprintf("登记已由 %s撤销，并责令于 %s 前销毁数据：%s", zh, r.DestructionDeadline, r.StatusReason))
	case r.Status == CertificateRevoked:
		l.set(VerifyRevoked, fmt.Sprintf("registration revoked %s: %s", en, r.StatusReason),
			fmt.Sprintf("登记已由 %s撤销：%s", zh, r.StatusReason))
	case r.OpenObjections > 0:
		l.set(VerifySuspended, fmt.Sprintf("%d objection(s) open: suspended until decided (GX 12(8))", r.OpenObjections),
			fmt.Sprintf("有 %d 项异议尚未处理：在作出决定前暂停（GX 12(8)）", r.OpenObjections))
	default:
		l.set(VerifyValid, fmt.Sprintf("registered in tx %s at %s (区块链编号)", short(r.Registered.TxID), ChinaTime(r.Registered.Time)),
			fmt.Sprintf("已于北京时间 %s 登记，区块链编号 %s", ChinaTime(r.Registered.Time), short(r.Registered.TxID)))
	}
	return l
}

// CredentialLink is what a credential's own record says at t: revoked or
// suspended as decided, expired after its validity, pending before it.
// Within a certificate (listed), a revoked or expired credential ends the
// certificate's authorization rather than revoking or expiring it.
func CredentialLink(r *CredentialRecord, t time.Time, listed bool) Link {
	l := linkAt(LinkCredential, r.Number, "", r.Status, r.Last)
	day := DateOf(t).Format(time.DateOnly)
	ended := func(s string) string {
		if listed {
			return VerifyAuthorizationEnded
		}
		return s
	}
	en, zh := by(r.Last)
	switch {
	case r.Status == CredentialRevoked:
		l.set(ended(VerifyRevoked), fmt.Sprintf("credential %s was revoked %s%s", r.Number, en, withWords(": ", r.StatusReason)),
			fmt.Sprintf("电子凭证 %s 已由 %s撤销%s", r.Number, zh, withWords("：", r.StatusReason)))
	case r.Status == CredentialSuspended:
		l.set(VerifySuspended, fmt.Sprintf("credential %s was suspended %s%s", r.Number, en, withWords(": ", r.StatusReason)),
			fmt.Sprintf("电子凭证 %s 已由 %s暂停%s", r.Number, zh, withWords("：", r.StatusReason)))
	case day > r.ValidUntil:
		l.set(ended(VerifyExpired), fmt.Sprintf("credential %s expired: its validity ended on %s", r.Number, r.ValidUntil),
			fmt.Sprintf("电子凭证 %s 已过期：有效期至 %s", r.Number, r.ValidUntil))
	case day < r.ValidFrom:
		l.set(VerifyPending, fmt.Sprintf("credential %s is in force from %s", r.Number, r.ValidFrom),
			fmt.Sprintf("电子凭证 %s 自 %s 起生效", r.Number, r.ValidFrom))
	default:
		l.set(VerifyValid, fmt.Sprintf("credential %s in force %s to %s", r.Number, r.ValidFrom, r.ValidUntil),
			fmt.Sprintf("电子凭证 %s 有效，有效期 %s 至 %s", r.Number, r.ValidFrom, r.ValidUntil))
	}
	return l
}

// ChainReader reads the records a chain rests on, each nil when it is not
// on the ledger (or, for a proof, not proven): the chaincode reads its
// state, the offline verifier a bundle's proven records.
type ChainReader interface {
	Agreement(number string) (*Agreement, error)
	Credential(number string) (*CredentialRecord, error)
	Party(creditCode string) (*Party, error)
	IssuerKey(keyID string) (*IssuerKey, error)
}

// ReadCredentialChain reads what credential r rests on: its agreement, its
// holder and its issuer key.
func ReadCredentialChain(r *CredentialRecord, read ChainReader) (CredentialChain, error) {
	c := CredentialChain{Credential: r}
	var err error
	if c.Agreement, err = read.Agreement(r.AgreementNumber); err != nil {
		return c, err
	}
	if c.Holder, err = read.Party(r.HolderCreditCode); err != nil {
		return c, err
	}
	c.Key, err = read.IssuerKey(r.IssuerKeyID)
	return c, err
}

// ReadCertificateChain reads what certificate r rests on: its scenario
// agreement; each listed credential, its agreement and, when it is not the
// certificate's, its issuer key; the enterprise; the issuer key. Records
// shared by several links are read once: 4 + 2 per listed credential at
// most, and a key per credential signed with another.
func ReadCertificateChain(r *CertificateRecord, read ChainReader) (*CertificateChain, error) {
	c := &CertificateChain{Certificate: r, Credentials: map[string]*CredentialRecord{}, Agreements: map[string]*Agreement{}, Keys: map[string]*IssuerKey{}}
	var err error
	if n := r.AgreementNumber; n != "" {
		if c.Agreement, err = read.Agreement(n); err != nil {
			return nil, err
		}
	}
	for _, n := range r.AuthorizationNumbers {
		cr, err := read.Credential(n)
		if err != nil {
			return nil, err
		}
		c.Credentials[n] = cr
		if cr == nil {
			continue
		}
		if _, ok := c.Agreements[cr.AgreementNumber]; !ok {
			if c.Agreements[cr.AgreementNumber], err = read.Agreement(cr.AgreementNumber); err != nil {
				return nil, err
			}
		}
		if _, ok := c.Keys[cr.IssuerKeyID]; !ok && cr.IssuerKeyID != r.IssuerKeyID {
			if c.Keys[cr.IssuerKeyID], err = read.IssuerKey(cr.IssuerKeyID); err != nil {
				return nil, err
			}
		}
	}
	if c.Enterprise, err = read.Party(r.EnterpriseCreditCode); err != nil {
		return nil, err
	}
	c.Key, err = read.IssuerKey(r.IssuerKeyID)
	return c, err
}

// CredentialChain is everything a credential's force rests on, as read
// from the ledger: its record, its catalog agreement, its holder and the
// key that signed it (nil where not on the ledger).
type CredentialChain struct {
	Credential *CredentialRecord
	Agreement  *Agreement
	Holder     *Party
	Key        *IssuerKey
}

// Links are the credential's links in the order a verifier follows them.
func (c CredentialChain) Links(t time.Time) []Link {
	r := c.Credential
	return []Link{
		CredentialLink(r, t, false),
		AgreementLink(c.Agreement, r.AgreementNumber, AgreementCatalog, t),
		PartyLink(c.Holder, r.HolderCreditCode, "holder"),
		KeyLink(c.Key, r.IssuerKeyID, r.Issued),
	}
}

// Status is the credential's status at t, as Verify states it.
func (c CredentialChain) Status(t time.Time) string { return worst(c.Links(t)...) }

// Verify states the credential's status at t, derived from its links.
func (c CredentialChain) Verify(channel string, t time.Time) Verification {
	r := c.Credential
	v := registered(channel, r.Number, r.Issued, r.IssuerKeyID, c.Key, r)
	v.decide(c.Links(t), t,
		fmt.Sprintf("credential %s is in force %s to %s; registered in tx %s at %s; every link holds", r.Number, r.ValidFrom, r.ValidUntil, short(r.Issued.TxID), ChinaTime(r.Issued.Time)),
		fmt.Sprintf("电子凭证 %s 有效（%s 至 %s），已于北京时间 %s 上链；授权链各环节均有效", r.Number, r.ValidFrom, r.ValidUntil, ChinaTime(r.Issued.Time)))
	return v
}

// CertificateChain is everything a certificate's force rests on, as read
// from the ledger: its record; the scenario agreement that authorized the
// product (none for a pre-existing product, which rests on the credentials
// it lists); each listed credential and its catalog agreement; the
// enterprise; the key that signed it.
type CertificateChain struct {
	Certificate *CertificateRecord
	Agreement   *Agreement                   // the scenario agreement
	Credentials map[string]*CredentialRecord // by 授权编号
	Agreements  map[string]*Agreement        // the credentials' agreements, by number
	Enterprise  *Party
	Key         *IssuerKey
	Keys        map[string]*IssuerKey // the listed credentials' issuer keys other than Key, by key ID
}

// Links are the certificate's links in the order a verifier follows them:
// certificate → agreement → credentials (each with its agreement) →
// enterprise → issuer key.
func (c CertificateChain) Links(t time.Time) []Link {
	r := c.Certificate
	links := []Link{CertificateLink(r)}
	switch {
	case r.AgreementNumber != "":
		links = append(links, AgreementLink(c.Agreement, r.AgreementNumber, AgreementScenario, t))
	case !r.PreExisting:
		l := Link{Kind: LinkAgreement, Role: AgreementScenario}
		l.set(VerifyAuthorizationEnded, "the certificate names no scenario agreement (GX 12(3))", "证书未记载场景授权协议（GX 12(3)）")
		links = append(links, l)
	}
	// A pre-existing product rests on the authorizations it lists, if any
	// (GX 12(7) registers it directly; an operator's own product lists
	// none: its operation agreement is not on the certificate).
	seen := map[string]bool{r.AgreementNumber: r.AgreementNumber != ""}
	for _, n := range r.AuthorizationNumbers {
		cr := c.Credentials[n]
		if cr == nil {
			l := Link{Kind: LinkCredential, Number: n}
			l.set(VerifyAuthorizationEnded, fmt.Sprintf("credential %s is not on the ledger", n), fmt.Sprintf("电子凭证 %s 未在链上登记", n))
			links = append(links, l)
			continue
		}
		links = append(links, CredentialLink(cr, t, true))
		if !seen[cr.AgreementNumber] {
			seen[cr.AgreementNumber] = true
			links = append(links, AgreementLink(c.Agreements[cr.AgreementNumber], cr.AgreementNumber, AgreementCatalog, t))
		}
		if cr.IssuerKeyID != r.IssuerKeyID {
			// Signed with another key: compromised before it was issued,
			// the credential ends the certificate's authorization. (With
			// the certificate's own key, that key's link already decides:
			// the credential was issued before the registration.)
			l := KeyLink(c.Keys[cr.IssuerKeyID], cr.IssuerKeyID, cr.Issued)
			if l.Status == VerifyRevoked {
				l.Status = VerifyAuthorizationEnded
			}
			links = append(links, l)
		}
	}
	return append(links, PartyLink(c.Enterprise, r.EnterpriseCreditCode, "enterprise"), KeyLink(c.Key, r.IssuerKeyID, r.Registered))
}

// Status is the certificate's status at t, as Verify states it.
func (c CertificateChain) Status(t time.Time) string { return worst(c.Links(t)...) }

// Verify states the certificate's status at t, derived from its links.
func (c CertificateChain) Verify(channel string, t time.Time) Verification {
	r := c.Certificate
	v := registered(channel, r.Number, r.Registered, r.IssuerKeyID, c.Key, r)
	en := fmt.Sprintf("registered in tx %s at %s (区块链编号), signed by key %s; every link holds", short(r.Registered.TxID), ChinaTime(r.Registered.Time), short(r.IssuerKeyID))
	zh := fmt.Sprintf("已于北京时间 %s 登记（区块链编号 %s），授权链各环节均有效", ChinaTime(r.Registered.Time), short(r.Registered.TxID))
	if r.PreExisting {
		en += "; a pre-existing product registered directly (GX 12(7))"
		zh += "；为存量数据产品直接登记（GX 12(7)）"
	}
	v.decide(c.Links(t), t, en, zh)
	return v
}

// registered is the answer's head for a document registered by change reg
// under keyID (key as it stands, nil when not in the registry), carrying
// its record.
func registered(channel, number string, reg Change, keyID string, key *IssuerKey, record any) Verification {
	v := Verification{Number: number, Channel: channel, TxID: reg.TxID, Time: chinaRFC3339(reg.Time), KeyID: keyID, Record: marshal(record)}
	if key != nil {
		v.KeyStatus = key.Status
	}
	return v
}

// decide sets the status from the links: the most severe a link imposes;
// the cause is the first link (in the verifier's order) imposing it.
func (v *Verification) decide(links []Link, t time.Time, validEn, validZh string) {
	v.Links, v.At = links, t.In(CST).Format(time.RFC3339)
	v.Status, v.Reason, v.ReasonZh, v.Cause = VerifyValid, validEn, validZh, nil
	for i := range links {
		if rank(links[i].Status) > rank(v.Status) {
			v.Status, v.Cause = links[i].Status, &links[i]
		}
	}
	if c := v.Cause; c != nil {
		v.Reason = fmt.Sprintf("%s: %s", v.Status, c.Reason)
		v.ReasonZh = fmt.Sprintf("%s：%s", StatusNames[v.Status], c.ReasonZh)
	}
}

// worst is the most severe status the links impose.
func worst(links ...Link) string {
	s := VerifyValid
	for _, l := range links {
		if rank(l.Status) > rank(s) {
			s = l.Status
		}
	}
	return s
}

// short is a key or transaction ID as shown in sentences; the full ID is
// in the answer's fields.
func short(id string) string {
	if len(id) > 16 {
		return id[:16] + "…"
	}
	return id
}

// NotFoundVerification is the answer for a number no record has on the channel.
func NotFoundVerification(kind, number, channel string) Verification {
	what, zh := "credential", "电子凭证"
	if kind == LinkCertificate {
		what, zh = "certificate", "数据产品登记证书"
	}
	return Verification{Status: VerifyNotFound, Number: number, Channel: channel,
		Reason:   fmt.Sprintf("no %s with the number %s is registered on channel %s", what, number, channel),
		ReasonZh: fmt.Sprintf("通道 %s 上没有编号为 %s 的%s", channel, number, zh)}
}

// withWords are a change's words after sep, or nothing when the reader
// may not read them (the reason rule, docs/PRIVACY.md): the status, the
// actor and the time still say what happened.
func withWords(sep, reason string) string {
	if reason == "" {
		return ""
	}
	return sep + reason
}
