package domain

import (
	"fmt"
	"regexp"
	"strconv"
	"time"
)

// Obligations as data (履职事项): the duties the regulations put on a party
// beyond the authorization path — annual reports, incident reports,
// rectification orders — each a kind in the channel's profile (who owes it,
// who opens it, its deadline rule, its article), and each instance a
// numbered record whose filing and decision are recorded, with lateness
// judged against a due date computed once, on the calendar.

// PrefixObligation numbers obligations (履行事项).
const PrefixObligation = "LX"

// Obligation rule codes (profile rules cite their article).
const (
	RuleObligation       = "DL-OBLIGATION"        // an obligation kind or instance that does not hold together
	RuleObligationKind   = "DL-OBLIGATION-KIND"   // a kind the channel's profile does not define
	RuleObligationUnique = "DL-OBLIGATION-UNIQUE" // a number recorded twice, or a second yearly obligation for a party and period
)

// Who opens an obligation of a kind.
const (
	OpensByAuthority = "authority" // the channel's authority: a yearly duty, an order
	OpensBySelf      = "self"      // the party owing it reports it itself (an incident): opened and filed at once
)

// Deadline rules of an obligation kind.
const (
	DeadlineYearly      = "yearly"       // a fixed day (Month, Day) of the year after the period (GD 37: 3月底前)
	DeadlineWorkingDays = "working_days" // N working days after the trigger day, on the calendar
	DeadlineNaturalDays = "natural_days" // N natural days after the trigger day
	DeadlineImmediately = "immediately"  // the trigger day, or the first working day after it (立即报告)
	DeadlineSet         = "set"          // the opening states it (an order's 规定期限), not before today
)

// Obligation statuses: open → filed → accepted, or returned (open again,
// with reasons, the same due date); withdrawn by the authority, with
// reasons, when it was opened in error or no longer applies.
const (
	ObligationOpen      = "open"
	ObligationFiled     = "filed"
	ObligationAccepted  = "accepted"
	ObligationReturned  = "returned"
	ObligationWithdrawn = "withdrawn"
)

// TypeObligationPublic indexes the obligations of public kinds (its
// value: the number): the public list pages over it only, so nothing of
// the other obligations shows, not even through its bookmarks.
const TypeObligationPublic = "obligation~public"

// PeriodPattern is a yearly obligation's period: a year.
var PeriodPattern = regexp.MustCompile(`^[0-9]{4}$`)

// Obligation standings, judged when read (Standing).
const (
	StandingDue       = "due"        // open, its due date not passed
	StandingOverdue   = "overdue"    // open past its due date
	StandingFiled     = "filed"      // filed by its due date
	StandingFiledLate = "filed-late" // filed after it
	StandingWithdrawn = "withdrawn"  // withdrawn: owed no more
)

// Deadline is an obligation kind's deadline rule.
type Deadline struct {
	Rule  string `json:"rule"`
	N     int    `json:"n,omitempty"`
	Month int    `json:"month,omitempty"`
	Day   int    `json:"day,omitempty"`
}

// ObligationKind is one duty of a regulation, as profile data.
type ObligationKind struct {
	Kind     string   `json:"kind"`
	Title    string   `json:"title"` // 中文: what the party files
	Owes     []string `json:"owes"`  // the party roles that may owe it
	Opens    string   `json:"opens"` // OpensByAuthority or OpensBySelf
	Deadline Deadline `json:"deadline"`
	Public   bool     `json:"public,omitempty"` // the filing's facts are published (disclosure)
	// Order says an instance is an order given to the party (整改): a
	// decision against it, which a credit record may follow.
	Order bool   `json:"order,omitempty"`
	Cite  string `json:"cite"` // the article it comes from
	// Upward says the channel's authority owes it to the authority a level
	// up (报上级: HB 10, HB 37 ¶2): no party owes it, the authority opens
	// and files it, and the channel's supervisor decides on the filing.
	Upward bool `json:"upward,omitempty"`
	// Fees says its filing lists products and services with their fees
	// (a fee schedule: GD 35), judged by the profile's pricing.
	Fees bool `json:"fees,omitempty"`
	// Trigger, for a kind opened by it (opens "trigger"), names the
	// agreement events that open it inside their own transaction.
	Trigger *ObligationTrigger `json:"trigger,omitempty"`
}

var obligationKindName = regexp.MustCompile(`^[a-z][a-z_]{1,39}$`)

// validate checks a kind's rule holds together (Profile.Validate).
func (k ObligationKind) validate(field string) error {
	if !obligationKindName.MatchString(k.Kind) {
		return Invalid(RuleProfile, field+".kind", "must be 2-40 lowercase letters or '_', got %q", truncate(k.Kind, 40))
	}
	if err := ValidateText(field+".title", k.Title, MaxName); err != nil {
		return err
	}
	switch {
	case k.Upward && (len(k.Owes) > 0 || k.Opens == OpensBySelf || k.Order || k.Fees || k.Deadline.Rule == DeadlineYearly):
		return Invalid(RuleProfile, field+".upward", "a duty the authority owes a level up names no party roles, is opened by the authority or its trigger, is no order and no fee schedule, and is due by a date it sets or days")
	case !k.Upward && len(k.Owes) == 0:
		return Invalid(RuleProfile, field+".owes", "name the party roles that owe %s", k.Kind)
	}
	for i, r := range k.Owes {
		if _, ok := PartyRoles[r]; !ok {
			return Invalid(RuleProfile, fmt.Sprintf("%s.owes[%d]", field, i), "%q is not a party role", truncate(r, 32))
		}
	}
	if k.Opens != OpensByAuthority && k.Opens != OpensBySelf && k.Opens != OpensByTrigger {
		return Invalid(RuleProfile, field+".opens", "must be %q, %q or %q", OpensByAuthority, OpensBySelf, OpensByTrigger)
	}
	if err := k.Trigger.validate(k, field); err != nil {
		return err
	}
	if k.Fees && k.Opens == OpensBySelf {
		return Invalid(RuleProfile, field+".fees", "a fee schedule is filed after it is opened, not self-reported")
	}
	if !citationValue.MatchString(k.Cite) {
		return Invalid(RuleProfile, field+".cite", "%q is not an article reference like HB-37", truncate(k.Cite, 32))
	}
	d := k.Deadline
	switch d.Rule {
	case DeadlineYearly:
		if d.Month < 1 || d.Month > 12 || d.Day < 1 || d.Day > 31 || time.Date(2001, time.Month(d.Month), d.Day, 0, 0, 0, 0, CST).Month() != time.Month(d.Month) {
			return Invalid(RuleProfile, field+".deadline", "a yearly deadline names a day of the year (month 1-12, a day the month has), got %d-%d", d.Month, d.Day)
		}
	case DeadlineWorkingDays, DeadlineNaturalDays:
		if d.N < 1 || d.N > 366 {
			return Invalid(RuleProfile, field+".deadline.n", "must be 1 to 366, got %d", d.N)
		}
	case DeadlineImmediately, DeadlineSet:
	default:
		return Invalid(RuleProfile, field+".deadline.rule", "%q is not yearly, working_days, natural_days, immediately or set", truncate(d.Rule, 32))
	}
	if k.Opens == OpensBySelf && (d.Rule == DeadlineSet || d.Rule == DeadlineYearly) {
		return Invalid(RuleProfile, field+".deadline.rule", "a self-reported duty runs from its event: not %s", d.Rule)
	}
	if k.Order && (k.Opens != OpensByAuthority || d.Rule != DeadlineSet) {
		return Invalid(RuleProfile, field+".order", "an order is given by the authority with the deadline it sets (opens authority, rule set)")
	}
	if k.Opens == OpensByAuthority && d.Rule == DeadlineImmediately {
		return Invalid(RuleProfile, field+".deadline.rule", "what the authority opens is due by a rule of its own (yearly, days, set), not immediately")
	}
	return nil
}

// ObligationKind is the profile's kind named kind.
func (p Profile) ObligationKind(kind string) (ObligationKind, bool) {
	for _, k := range p.Obligations {
		if k.Kind == kind {
			return k, true
		}
	}
	return ObligationKind{}, false
}

// ObligationInput opens an obligation.
type ObligationInput struct {
	Number          string `json:"number"`
	Kind            string `json:"kind"`
	PartyCreditCode string `json:"partyCreditCode"` // who owes it
	// Period is the year a yearly duty covers (e.g. "2025").
	Period string `json:"period,omitempty"`
	// Subject is the number of the record it follows from (the incident a
	// rectification order answers, the agreement it concerns).
	Subject string `json:"subject,omitempty"`
	// Due is the deadline an order sets (rule "set").
	Due string `json:"due,omitempty"`
	// OccurredOn is the day a self-reported event happened (rule
	// "immediately": reported that day).
	OccurredOn string `json:"occurredOn,omitempty"`
	Note       string `json:"note"`
	// DocumentDigest is the SM3 digest of a self-reported duty's report,
	// filed as it is opened.
	DocumentDigest string `json:"documentDigest,omitempty"`
}

// ObligationFiling is what the party files: the SM3 digest of the
// document (never its text) and a note.
type ObligationFiling struct {
	DocumentDigest string `json:"documentDigest"`
	Note           string `json:"note,omitempty"`
	// Fees are a fee schedule's items (a kind with fees), judged by the
	// profile's pricing.
	Fees []FeeItem `json:"fees,omitempty"`
}

// Obligation is the ledger record of one duty.
type Obligation struct {
	ObligationInput
	Title string `json:"title"`
	Cite  string `json:"cite"`
	// Disclosed says its kind is public: Disclose shows it, and its
	// record has a public view (Public).
	Disclosed bool `json:"public,omitempty"`
	// Order says it was opened as an order given to the party (its kind
	// an order when opened): a decision a credit record may follow.
	Order bool `json:"order,omitempty"`
	// Upward says the channel's authority owes it to the authority a level
	// up, who decides on its filing (its kind upward when opened).
	Upward   bool   `json:"upward,omitempty"`
	Status   string `json:"status"`
	OpenedOn string `json:"openedOn"`
	// DueOn is the deadline, computed once, when it was opened, by its
	// kind's rule on the calendar.
	DueOn string `json:"dueOn"`
	// DueNote says how DueOn was counted when not by the kind's rule as
	// written: a triggered duty whose working days reach a year with no
	// calendar is due the latest they could end (weekdays, and 9 days for
	// holidays) rather than hold up the event.
	DueNote   string `json:"dueNote,omitempty"`
	FiledOn   string `json:"filedOn,omitempty"`
	FiledLate bool   `json:"filedLate,omitempty"`
	// SubjectDocument is, for an order about a credential, the SM3 of
	// the signed document it was checked against (sent by the client,
	// not read from the ledger: domain.CredentialAsSubject), which an
	// audit matches against the credential's registered document.
	SubjectDocument string `json:"subjectDocument,omitempty"`
	// Fees are the items of the latest filing of a fee schedule.
	Fees    []FeeItem `json:"fees,omitempty"`
	Filings int       `json:"filings"`
	Steps   []Step    `json:"steps"`
	Last    Change    `json:"last"`
	Version int       `json:"version"`
}

// ObligationView is an obligation with how it stands when read (due,
// overdue, filed, filed-late, withdrawn): computed, not stored.
type ObligationView struct {
	Obligation
	Standing string `json:"standing"`
}

// ObligationDisclosure is the public view of an obligation of a public
// kind (GD 35: 收费标准 disclosed; ZW 32: 定期向社会披露): who owes what,
// by when, whether it was filed in time and the digest of what was filed.
type ObligationDisclosure struct {
	Number          string `json:"number"`
	Kind            string `json:"kind"`
	Title           string `json:"title"`
	Cite            string `json:"cite"`
	PartyCreditCode string `json:"partyCreditCode"`
	Period          string `json:"period,omitempty"`
	DueOn           string `json:"dueOn"`
	FiledOn         string `json:"filedOn,omitempty"`
	DocumentDigest  string `json:"documentDigest,omitempty"`
	// Fees are a fee schedule's products and services with their fees
	// (GD 35: 产品和服务清单及相关收费标准, published).
	Fees     []FeeItem `json:"fees,omitempty"`
	Status   string    `json:"status"`
	Standing string    `json:"standing"`
}

// Disclose is the public view of an obligation at now (ok false: its kind
// is not public, and nothing of it is disclosed).
func (o *Obligation) Disclose(now time.Time) (ObligationDisclosure, bool) {
	if !o.Disclosed {
		return ObligationDisclosure{}, false
	}
	return ObligationDisclosure{Number: o.Number, Kind: o.Kind, Title: o.Title, Cite: o.Cite, PartyCreditCode: o.PartyCreditCode, Period: o.Period,
		DueOn: o.DueOn, FiledOn: o.FiledOn, DocumentDigest: o.DocumentDigest, Fees: o.publishedFees(), Status: o.Status, Standing: o.Standing(now)}, true
}

// publishedFees are the fees disclosed: those of a filing that stands
// (filed or accepted), never of one returned for correction.
func (o *Obligation) publishedFees() []FeeItem {
	if o.Status == ObligationFiled || o.Status == ObligationAccepted {
		return o.Fees
	}
	return nil
}

// Standing is how the obligation stands on day (China time): due,
// overdue, filed, filed-late or withdrawn; an accepted one keeps its
// filing's.
func (o *Obligation) Standing(now time.Time) string {
	if o.Status == ObligationWithdrawn {
		return StandingWithdrawn
	}
	if o.FiledOn != "" && o.Status != ObligationReturned {
		if o.FiledLate {
			return StandingFiledLate
		}
		return StandingFiled
	}
	if PastDue(now, o.DueOn) {
		return StandingOverdue
	}
	return StandingDue
}

// OpenObligationInput is what an obligation is opened on.
type OpenObligationInput struct {
	In       ObligationInput
	Existing *Obligation
	Party    *Party
	// Subject says the subject number names a record of the party on the
	// channel (another's reads as missing).
	Subject bool
	// Holder is the yearly obligation of the same kind, party and period
	// already opened, if any.
	Holder *Obligation
}

// OpenObligation opens an obligation of a kind of the channel's profile:
// by the authority (an order, a yearly duty), or — a self-reported kind
// — by the party itself (an enterprise's own identity) or the registrar
// for it, filed as it is opened. Its due date is computed now, by the
// kind's rule.
//
// MayOpenObligation is its first question, which the adapter asks before
// it reads what the party's facts hold: a kind of the profile opened by
// hand, by the authority or (a self-reported kind) by the party itself or
// the registrar for it.
func MayOpenObligation(j *Jurisdiction, p Profile, in ObligationInput, a Actor) error {
	k, ok := p.ObligationKind(in.Kind)
	if !ok {
		return Invalid(RuleObligationKind, "kind", "the %s profile defines no obligation %q (its kinds: %v)", p.Name, truncate(in.Kind, 40), p.obligationKinds())
	}
	if k.Opens == OpensByTrigger {
		return Invalid(RuleObligationKind, "kind", "a %s is opened by its trigger (%v of a %v agreement), in that transaction, not by hand", k.Kind, k.Trigger.On, k.Trigger.Kinds)
	}
	if k.Opens == OpensByAuthority {
		return authorityOnly.check(j, a, "opening a "+k.Kind)
	}
	return applicantOrRegistrar(j, a, in.PartyCreditCode, "reporting a "+k.Kind)
}

func OpenObligation(j *Jurisdiction, p Profile, cals Calendars, x OpenObligationInput, now time.Time, c Change) (*Obligation, error) {
	in := x.In
	if err := MayOpenObligation(j, p, in, c.Actor); err != nil {
		return nil, err
	}
	k, _ := p.ObligationKind(in.Kind)
	if err := j.numberedNow(in.Number, PrefixObligation, now); err != nil {
		return nil, err
	}
	today := DateOf(now)
	if x.Existing != nil {
		return nil, Conflict(RuleObligationUnique, "number", "obligation number %s is taken: number it afresh", in.Number)
	}
	switch {
	case k.Upward && in.PartyCreditCode != "":
		return nil, Invalid(RuleObligation, "partyCreditCode", "a %s is owed by the channel's authority to the authority a level up (%s): it names no party", k.Kind, k.Cite)
	case k.Upward && j.SupervisorMSP == "":
		return nil, Conflict(RuleObligation, "kind", "a %s is owed to the authority a level up, and channel %s records none", k.Kind, j.Channel)
	case k.Upward:
	case x.Party == nil:
		return nil, NotFound(RulePartyExists, "partyCreditCode", "%s is not a registered party on channel %s", in.PartyCreditCode, j.Channel)
	case x.Party.Status != PartyActive || !contains(k.Owes, x.Party.Role):
		return nil, Invalid(RuleObligation, "partyCreditCode", "a %s is owed by an active %v (%s); %s is a %s %s", k.Kind, k.Owes, k.Cite, in.PartyCreditCode, x.Party.Status, x.Party.Role)
	}
	if in.Subject != "" && k.Opens == OpensBySelf {
		return nil, Invalid(RuleObligation, "subject", "a self-reported %s follows from no record", k.Kind)
	}
	if in.Subject != "" && !x.Subject {
		return nil, NotFound(RuleObligation, "subject", "%s names no record of %s on channel %s", truncate(in.Subject, 40), in.PartyCreditCode, j.Channel)
	}
	if h := x.Holder; h != nil && h.Status != ObligationWithdrawn {
		return nil, Conflict(RuleObligationUnique, "period", "the %s of %s for %s is %s (%s): one per party and period", k.Kind, in.PartyCreditCode, in.Period, h.Number, h.Status)
	}
	if err := ValidateText("note", in.Note, MaxReason); err != nil {
		return nil, err
	}
	due, err := obligationDue(k, in, cals, today)
	if err != nil {
		return nil, err
	}
	o := newObligation(k, in, today, due, c)
	if k.Opens == OpensBySelf { // the report is the filing
		if !digestRE.MatchString(in.DocumentDigest) {
			return nil, Invalid(RuleDigest, "documentDigest", "a %s is reported with its document: its SM3 digest, 64 lowercase hex characters", k.Kind)
		}
		o.fileOn(today)
	} else if in.DocumentDigest != "" {
		return nil, Invalid(RuleObligation, "documentDigest", "a %s is opened by the authority and filed by the party (FileObligation)", k.Kind)
	}
	return o, nil
}

// newObligation is an obligation of kind k opened today with in, due on
// due, by the change c.
func newObligation(k ObligationKind, in ObligationInput, today, due time.Time, c Change) *Obligation {
	c.Action = "open"
	return &Obligation{ObligationInput: in, Title: k.Title, Cite: k.Cite, Disclosed: k.Public, Order: k.Order, Upward: k.Upward, Status: ObligationOpen,
		OpenedOn: today.Format(time.DateOnly), DueOn: due.Format(time.DateOnly), Version: 1, Last: c,
		Steps: []Step{stepAt(c, "open", DecisionDone, in.Note)}}
}

func (p Profile) obligationKinds() []string {
	var out []string
	for _, k := range p.Obligations {
		out = append(out, k.Kind)
	}
	return out
}

// obligationDue computes the deadline of an obligation of kind k opened
// today with in: a field a rule does not use is refused, so nothing
// unchecked lands on the ledger.
func obligationDue(k ObligationKind, in ObligationInput, cals Calendars, today time.Time) (time.Time, error) {
	d := k.Deadline
	uses := map[string]bool{"period": d.Rule == DeadlineYearly, "due": d.Rule == DeadlineSet, "occurredOn": k.Opens == OpensBySelf}
	for field, v := range map[string]string{"period": in.Period, "due": in.Due, "occurredOn": in.OccurredOn} {
		if v != "" && !uses[field] {
			return time.Time{}, Invalid(RuleObligation, field, "a %s (deadline %s) takes no %s", k.Kind, d.Rule, field)
		}
	}
	trigger := today
	if k.Opens == OpensBySelf {
		on, err := ParseDate("occurredOn", in.OccurredOn)
		if err != nil {
			return time.Time{}, err
		}
		if on.After(today) {
			return time.Time{}, Invalid(RuleObligation, "occurredOn", "%s is in the future", in.OccurredOn)
		}
		trigger = on
	}
	switch d.Rule {
	case DeadlineYearly:
		year, err := strconv.Atoi(in.Period)
		if err != nil || len(in.Period) != 4 || year < 2000 || year > today.Year() {
			return time.Time{}, Invalid(RuleObligation, "period", "a yearly %s covers a year up to %d (YYYY), got %q", k.Kind, today.Year(), truncate(in.Period, 8))
		}
		return time.Date(year+1, time.Month(d.Month), d.Day, 0, 0, 0, 0, CST), nil
	case DeadlineWorkingDays:
		return cals.AddWorkingDays(trigger, d.N)
	case DeadlineNaturalDays:
		return trigger.AddDate(0, 0, d.N), nil
	case DeadlineImmediately: // the same working day (a Saturday's event: by Monday's end)
		for day := trigger; ; day = day.AddDate(0, 0, 1) {
			working, err := cals.IsWorkingDay(day)
			if IsRule(err, RuleCalendarYear) {
				// No calendar for the year: the report is never refused for
				// it; it is judged by the strictest reading, the event's day.
				return trigger, nil
			}
			if err != nil || working {
				return day, err
			}
		}
	}
	due, err := ParseDate("due", in.Due) // DeadlineSet
	if err != nil {
		return time.Time{}, err
	}
	if due.Before(today) {
		return time.Time{}, Invalid(RuleObligation, "due", "%s is in the past: an order sets a deadline ahead (规定期限)", in.Due)
	}
	return due, nil
}

func (o *Obligation) next(c Change, status string, s Step) *Obligation {
	n := *o
	n.Steps = append(append([]Step(nil), o.Steps...), s)
	n.Status, n.Version = status, o.Version+1
	c.Action = s.Step
	n.Last = c
	return &n
}

// fileOn records a filing made on day (late after the due date).
func (o *Obligation) fileOn(day time.Time) {
	o.Status, o.FiledOn, o.Filings = ObligationFiled, day.Format(time.DateOnly), o.Filings+1
	o.FiledLate = o.FiledOn > o.DueOn
}

// FileObligation records the party's filing (by the enterprise itself or
// the registrar for it): the document's SM3 digest; after the due date it
// is recorded and marked late. A returned obligation is filed again.
func FileObligation(j *Jurisdiction, p Profile, o *Obligation, in ObligationFiling, now time.Time, c Change) (*Obligation, error) {
	party := ""
	if o != nil {
		party = o.PartyCreditCode
	}
	// The authority files what it owes a level up; an enterprise is refused
	// as for another's, whatever the number names.
	if o != nil && o.Upward && c.Actor.Role != RoleEnterprise {
		if err := authorityOnly.check(j, c.Actor, "filing an obligation owed a level up"); err != nil {
			return nil, err
		}
	} else if err := applicantOrRegistrar(j, c.Actor, party, "filing an obligation"); err != nil {
		return nil, err
	}
	if o == nil {
		return nil, NotFound(RuleObligation, "number", "no such obligation on channel %s", j.Channel)
	}
	if o.Status != ObligationOpen && o.Status != ObligationReturned {
		return nil, Conflict(RuleStep, "status", "obligation %s is %s: it is filed when open or returned", o.Number, o.Status)
	}
	if !digestRE.MatchString(in.DocumentDigest) {
		return nil, Invalid(RuleDigest, "documentDigest", "must be the SM3 digest of the filed document: 64 lowercase hex characters")
	}
	if in.Note != "" {
		if err := ValidateText("note", in.Note, MaxReason); err != nil {
			return nil, err
		}
	}
	k, ok := p.ObligationKind(o.Kind)
	if !ok { // a kind the profile no longer has: filed without fees
		k = ObligationKind{Kind: o.Kind}
	}
	if err := CheckFees(p, k, in.Fees); err != nil {
		return nil, err
	}
	n := o.next(c, ObligationFiled, stepAt(c, "file", DecisionDone, in.Note))
	n.DocumentDigest, n.Fees = in.DocumentDigest, in.Fees
	n.fileOn(DateOf(now))
	n.Steps[len(n.Steps)-1].Late = n.FiledLate
	return n, nil
}

// DecideObligation records the authority's decision on a filing:
// accepted, or returned with reasons (filed again by the same due date:
// a late refiling is late); or withdraws an obligation not yet accepted,
// with reasons (opened in error, or owed no more). Whoever filed for the
// party does not decide on that filing.
func DecideObligation(j *Jurisdiction, o *Obligation, decision, reasons string, c Change) (*Obligation, error) {
	if err := o.receiver().check(j, c.Actor, "deciding an obligation's filing"); err != nil {
		return nil, err
	}
	if o == nil {
		return nil, NotFound(RuleObligation, "number", "no such obligation on channel %s", j.Channel)
	}
	if decision == ObligationWithdrawn {
		if o.Status == ObligationAccepted || o.Status == ObligationWithdrawn {
			return nil, Conflict(RuleStep, "status", "obligation %s is %s: it is withdrawn while open, returned or filed", o.Number, o.Status)
		}
		if f := o.lastFiling(); o.Status == ObligationFiled && f != nil && f.Actor.MSP == c.Actor.MSP && f.Actor.ID == c.Actor.ID {
			return nil, Forbidden(RuleObligation, "caller", "%s filed this for %s: another identity of the authority decides on it, withdrawal too", c.Actor.ID, o.PartyCreditCode)
		}
		if reasons == "" {
			return nil, Invalid(RuleReasons, "reasons", "a withdrawal says why the obligation is owed no more")
		}
		if err := ValidateText("reasons", reasons, MaxReason); err != nil {
			return nil, err
		}
		return o.next(c, ObligationWithdrawn, stepAt(c, "withdraw", decision, reasons)), nil
	}
	if o.Status != ObligationFiled {
		return nil, Conflict(RuleStep, "status", "obligation %s is %s: a decision needs a filing", o.Number, o.Status)
	}
	if f := o.lastFiling(); f != nil && f.Actor.MSP == c.Actor.MSP && f.Actor.ID == c.Actor.ID {
		return nil, Forbidden(RuleObligation, "caller", "%s filed this for %s: another identity of the authority decides on it", c.Actor.ID, o.PartyCreditCode)
	}
	if err := decideFiling(RuleObligation, decision, reasons, "accepted, returned or withdrawn"); err != nil {
		return nil, err
	}
	return o.next(c, decision, stepAt(c, "decide", decision, reasons)), nil
}

// decideFiling checks a decision on a filing (an obligation's, a plan's):
// accepted, with reasons or none, or returned with what to correct;
// choices names every decision the caller takes, for the refusal.
func decideFiling(rule, decision, reasons, choices string) error {
	switch decision {
	case ObligationAccepted:
		if reasons == "" {
			return nil
		}
	case ObligationReturned:
		if reasons == "" {
			return Invalid(RuleReasons, "reasons", "a returned filing names what to correct")
		}
	default:
		return Invalid(rule, "decision", "%q is not %s", truncate(decision, 32), choices)
	}
	return ValidateText("reasons", reasons, MaxReason)
}

// receiver is who decides on the obligation's filings: the channel's
// authority, or — owed a level up — its supervisor (the channel's
// authority for a missing obligation: the refusal says nothing of it).
func (o *Obligation) receiver() Access {
	if o != nil && o.Upward {
		return supervisor
	}
	return authorityOnly
}

// lastFiling is the step that filed the obligation last: a filing, or
// the self-report that opened it.
func (o *Obligation) lastFiling() *Step {
	for i := len(o.Steps) - 1; i >= 0; i-- {
		if s := &o.Steps[i]; s.Step == "file" || (s.Step == "open" && o.Filings > 0 && i == 0) {
			return s
		}
	}
	return nil
}
