package domain

import (
	"crypto/sha256"
	"fmt"
	"time"
)

// Obligations opened by their trigger: a kind whose `opens` is "trigger"
// is opened inside the transaction that makes its event, never by hand.
// The events are an agreement's change and ending (GD 23 ¶3: 授权运营协议
// 变更或终止10个工作日内，实施机构应当将相关变动情况报同级数据主管部门备案):
// the kind names them, the agreement kinds they concern and which party
// of the agreement owes the duty; the obligation names the agreement as its
// subject and is due by the kind's rule from the event's day.

// OpensByTrigger: the kind is opened by its trigger (Trigger), inside the
// transaction that makes the event.
const OpensByTrigger = "trigger"

// Agreement events a trigger may name: the agreement's actions.
var triggerEvents = map[string]bool{"file": true, "change": true, "terminate": true, "revoke": true}

// The party of an agreement that owes a triggered obligation.
const (
	OwedByGrantor = "grantor"
	OwedByGrantee = "grantee"
)

// ObligationTrigger is what opens a triggered kind: the agreement events
// (file, change, terminate, revoke) of the agreement kinds named, owed by
// the agreement's grantor or grantee — or, for a kind owed a level up, by
// the channel's authority (no owedBy).
type ObligationTrigger struct {
	On     []string `json:"on"`
	Kinds  []string `json:"kinds"`
	OwedBy string   `json:"owedBy,omitempty"`
}

// validate checks a trigger against its kind (ObligationKind.validate).
func (t *ObligationTrigger) validate(k ObligationKind, field string) error {
	if (t != nil) != (k.Opens == OpensByTrigger) {
		return Invalid(RuleProfile, field+".trigger", "a kind opened by its trigger names one (opens %q), and only such a kind", OpensByTrigger)
	}
	if t == nil {
		return nil
	}
	if len(t.On) == 0 || len(t.Kinds) == 0 {
		return Invalid(RuleProfile, field+".trigger", "name the agreement events (on) and the agreement kinds (kinds)")
	}
	for i, e := range t.On {
		if !triggerEvents[e] {
			return Invalid(RuleProfile, fmt.Sprintf("%s.trigger.on[%d]", field, i), "%q is not file, change, terminate or revoke", truncate(e, 32))
		}
	}
	if k.Upward && t.OwedBy != "" {
		return Invalid(RuleProfile, field+".trigger.owedBy", "a duty owed a level up is the channel's authority's: no owedBy")
	}
	for i, kind := range t.Kinds {
		roles, ok := agreementRoles[kind]
		if !ok {
			return Invalid(RuleProfile, fmt.Sprintf("%s.trigger.kinds[%d]", field, i), "%q is not an agreement kind", truncate(kind, 32))
		}
		if k.Upward {
			continue
		}
		side := map[string][]string{OwedByGrantor: roles.grantor, OwedByGrantee: roles.grantee}[t.OwedBy]
		if side == nil {
			return Invalid(RuleProfile, field+".trigger.owedBy", "must be %q or %q", OwedByGrantor, OwedByGrantee)
		}
		for _, r := range side { // whoever the agreement names owes it
			if !contains(k.Owes, r) {
				return Invalid(RuleProfile, field+".owes", "a %s agreement's %s may be a %s: owes must name it", kind, t.OwedBy, r)
			}
		}
	}
	switch k.Deadline.Rule {
	case DeadlineWorkingDays, DeadlineNaturalDays, DeadlineImmediately:
	default:
		return Invalid(RuleProfile, field+".deadline.rule", "a triggered duty runs from its event: working_days, natural_days or immediately, not %s", k.Deadline.Rule)
	}
	return nil
}

// follows tells whether the trigger opens its kind on an agreement event.
func (t *ObligationTrigger) follows(ag *Agreement, event string) bool {
	return t != nil && contains(t.On, event) && contains(t.Kinds, ag.Kind)
}

// Triggers tells whether an agreement event opens any obligation under
// the profile.
func (p Profile) Triggers(ag *Agreement, event string) bool { // (one owed a level up: on a channel with a supervisor, TriggeredObligations decides)
	for _, k := range p.Obligations {
		if k.Trigger.follows(ag, event) {
			return true
		}
	}
	return false
}

// TriggeredObligations are the obligations the profile opens when
// agreement ag (as the event leaves it) goes through event (its action:
// change, terminate, revoke): one per kind whose trigger follows it, owed
// by the agreement's party the kind names, due by its rule from today,
// numbered from the transaction (the same on every endorsing peer).
func TriggeredObligations(j *Jurisdiction, p Profile, cals Calendars, ag *Agreement, event string, now time.Time, c Change) ([]*Obligation, error) {
	var out []*Obligation
	today := DateOf(now)
	for _, k := range p.Obligations {
		if !k.Trigger.follows(ag, event) || (k.Upward && j.SupervisorMSP == "") { // nothing is owed a level up where none is
			continue
		}
		party := ag.GrantorCreditCode
		switch {
		case k.Upward:
			party = ""
		case k.Trigger.OwedBy == OwedByGrantee:
			party = ag.GranteeCreditCode
		}
		number, err := DerivedNumber(PrefixObligation, j.DivisionCode, today.Year(), c.TxID+"/"+k.Kind)
		if err != nil {
			return nil, err
		}
		in := ObligationInput{Number: number.String(), Kind: k.Kind, PartyCreditCode: party, Subject: ag.Number,
			Note: fmt.Sprintf("agreement %s: %s (%s)", ag.Number, event, k.Cite)}
		// The event never waits on the calendar: working days that reach a
		// year without one are counted the latest they could end.
		var due time.Time
		var note string
		switch k.Deadline.Rule {
		case DeadlineWorkingDays:
			due, note, err = cals.WorkingDaysOrLatest(today, k.Deadline.N)
		case DeadlineImmediately:
			due, note, err = cals.SameWorkingDayOrLatest(today)
		default:
			due, err = obligationDue(k, in, cals, today)
		}
		if err != nil {
			return nil, err
		}
		o := newObligation(k, in, today, due, c)
		o.DueNote = note
		out = append(out, o)
	}
	return out, nil
}

// DerivedNumber makes the number of a record a transaction creates by
// itself (an obligation its trigger opens): its serial derived from seed
// (the transaction ID and what it numbers), so every endorsing peer makes
// the same.
func DerivedNumber(prefix, division string, year int, seed string) (Number, error) {
	return NewNumber(prefix, division, year, &hashStream{seed: seed})
}

// hashStream reads SHA-256(seed/0), SHA-256(seed/1), …
type hashStream struct {
	seed string
	n    int
	buf  []byte
}

func (h *hashStream) Read(p []byte) (int, error) {
	for len(h.buf) < len(p) {
		sum := sha256.Sum256(fmt.Appendf(nil, "%s/%d", h.seed, h.n))
		h.n++
		h.buf = append(h.buf, sum[:]...)
	}
	n := copy(p, h.buf)
	h.buf = h.buf[n:]
	return n, nil
}
