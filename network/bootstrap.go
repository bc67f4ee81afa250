package network

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"dataledger/chaincode/domain"

	"github.com/hyperledger/fabric-gateway/pkg/client"
)

// loadCalendars has the channel's authority load each shipped working-day
// calendar (2025, 2026) that the channel does not have yet.
func (n *Net) loadCalendars(c *Client, channel string) error {
	for _, cal := range domain.BuiltinCalendars() {
		if _, err := c.GetCalendar(channel, cal.Year); err == nil {
			continue
		}
		_, r, err := c.LoadCalendar(channel, cal, "")
		if err := n.Held(r, err); err != nil {
			return err
		}
		fmt.Fprintf(n.Out, "  %s: working-day calendar %d loaded\n", channel, cal.Year)
	}
	return nil
}

// authority connects as the channel's data authority (its org's user with
// role authority).
func (n *Net) authority(ch *Channel) (*Client, error) {
	for _, u := range n.D.Org(ch.Authority).Users {
		if u.Role == "authority" {
			return n.Connect(ch.Authority, u.Name, nil)
		}
	}
	return nil, fmt.Errorf("channel %s: org %s has no user with role authority", ch.Name, ch.Authority)
}

// CalendarGapsOn are the working-day calendars a channel lacks at t
// (domain.CalendarGaps, as far ahead as the channel's profile reaches),
// read through inv; a read that fails for another reason than a missing
// year stops there with its error.
func CalendarGapsOn(inv Invoker, channel string, t time.Time) ([]domain.CalendarGap, error) {
	p, err := Tx.GetProfile().Evaluate(inv, channel)
	if err != nil {
		return nil, err
	}
	var failed error
	gaps := domain.CalendarGaps(channel, t, p.Profile.Reach(), func(year int) bool {
		if failed != nil {
			return true // not read: no gap claimed
		}
		_, err := Tx.GetCalendar(year).Raw(inv, channel)
		if err != nil && !domain.IsRule(err, domain.RuleCalendarYear) {
			failed = err
		}
		return err == nil
	})
	if failed != nil {
		return nil, failed
	}
	return gaps, nil
}

// CalendarGaps are the working-day calendars the channels lack at t, read
// as each channel's authority; unread names each channel whose calendars
// could not be read (its authority's peer stopped, or not answering).
func (n *Net) CalendarGaps(t time.Time) (gaps []domain.CalendarGap, unread map[string]error) {
	unread = map[string]error{}
	for i := range n.D.Channels {
		ch := &n.D.Channels[i]
		if _, ok := n.running(n.D.Org(ch.Authority).Peers[0].ID()); !ok {
			unread[ch.Name] = fmt.Errorf("the peer of %s is not running", ch.Authority)
			continue
		}
		c, err := n.authority(ch)
		if err == nil {
			var g []domain.CalendarGap
			g, err = CalendarGapsOn(c, ch.Name, t)
			gaps = append(gaps, g...)
			c.Close()
		}
		if err != nil {
			unread[ch.Name] = errors.New(ErrorText(err))
		}
	}
	return gaps, unread
}

// LoadCalendar has the data authority of a channel (every channel when
// channel is "") record a year's official working-day calendar, citing
// the State Council's notice it comes from (cal.Source). A channel that
// has the same calendar already is left as it is; one that has another
// calendar for the year is refused unless replace states why (a corrected
// notice), and the replacement says what it replaced.
func (n *Net) LoadCalendar(channel string, cal domain.Calendar, replace string) error {
	if err := cal.Validate(); err != nil {
		return err
	}
	found := false
	for i := range n.D.Channels {
		ch := &n.D.Channels[i]
		if channel != "" && ch.Name != channel {
			continue
		}
		found = true
		c, err := n.authority(ch)
		if err != nil {
			return err
		}
		have, err := c.GetCalendar(ch.Name, cal.Year)
		switch {
		case err == nil && sameCalendar(have, &cal):
			fmt.Fprintf(n.Out, "  %s: the %d calendar is loaded already\n", ch.Name, cal.Year)
		case err == nil && replace == "":
			err = domain.Conflict(domain.RuleCalendar, "year", "channel %s has another %d calendar (%s); replacing it needs a reason (--replace)", ch.Name, cal.Year, have.Source)
		case err == nil:
			reason := clip(fmt.Sprintf("替换%d年工作日历（原依据：%s）：%s；新依据：%s", cal.Year, have.Source, replace, cal.Source), domain.MaxReason)
			if _, _, err = c.LoadCalendar(ch.Name, cal, reason); err == nil {
				fmt.Fprintf(n.Out, "  %s: working-day calendar %d replaced (%s → %s)\n", ch.Name, cal.Year, have.Source, cal.Source)
			}
		case domain.IsRule(err, domain.RuleCalendarYear):
			reason := clip(fmt.Sprintf("载入%d年工作日历，依据：%s", cal.Year, cal.Source), domain.MaxReason)
			if _, _, err = c.LoadCalendar(ch.Name, cal, reason); err == nil {
				fmt.Fprintf(n.Out, "  %s: working-day calendar %d loaded (%s)\n", ch.Name, cal.Year, cal.Source)
			}
		}
		c.Close()
		if err != nil {
			return fmt.Errorf("channel %s: %w", ch.Name, err)
		}
	}
	if !found {
		return domain.NotFound(domain.RuleChannelUnknown, "channel", "no channel %q in the network description", channel)
	}
	return nil
}

// clip cuts s to at most max characters.
func clip(s string, max int) string {
	if r := []rune(s); len(r) > max {
		return string(r[:max-1]) + "…"
	}
	return s
}

// sameCalendar: the same year, notice and days, in any order.
func sameCalendar(a, b *domain.Calendar) bool {
	sorted := func(days []string) string {
		d := slices.Clone(days)
		slices.Sort(d)
		return strings.Join(d, ",")
	}
	return a.Year == b.Year && a.Source == b.Source && sorted(a.Holidays) == sorted(b.Holidays) && sorted(a.Workdays) == sorted(b.Workdays)
}

// ready bootstraps each channel's jurisdiction as its authority, or, when it
// exists, submits a Ping: the network is ready when a transaction commits
// on every channel and every peer knows the others (Acquainted). Retries
// ride out gossip discovery and Raft elections.
func (n *Net) ready(timeout time.Duration) error {
	for i := range n.D.Channels {
		ch := &n.D.Channels[i]
		c, err := n.authority(ch)
		if err != nil {
			return err
		}
		start := time.Now()
		attempts := 0
		err = poll(timeout, func() error {
			attempts++
			_, err := c.GetJurisdiction(ch.Name)
			var r *Committed
			switch {
			case err == nil:
				_, r, err = c.Ping(ch.Name)
			case domain.IsRule(err, domain.RuleBootstrapped):
				_, r, err = c.Bootstrap(ch.Name, ch.Jurisdiction, ch.DivisionCode, ch.Profile)
				if err == nil {
					fmt.Fprintf(n.Out, "  %s: jurisdiction %s (%s, profile %s) bootstrapped by %s\n", ch.Name, ch.Jurisdiction, ch.DivisionCode, ch.Profile, ch.Authority)
				}
			}
			if err != nil {
				return err
			}
			// The calendars that follow are endorsed by other orgs'
			// peers: each must hold the jurisdiction first.
			if err := n.Synced(r, 15*time.Second); err != nil {
				return fmt.Errorf("committed, but not yet on every peer: %w", err)
			}
			return nil
		})
		if err == nil {
			err = n.loadCalendars(c, ch.Name)
		}
		c.Close()
		if err != nil {
			return fmt.Errorf("channel %s: no transaction committed within %s: %s", ch.Name, timeout, ErrorText(err))
		}
		fmt.Fprintf(n.Out, "  %s: a transaction committed after %s (%d attempt(s))\n", ch.Name, time.Since(start).Round(10*time.Millisecond), attempts)
	}
	start := time.Now()
	waited, err := n.Acquainted(timeout)
	if err != nil {
		return fmt.Errorf("gossip: %w", err)
	}
	fmt.Fprintf(n.Out, "  every running peer plans endorsements by every org of its channels after %s\n", time.Since(start).Round(10*time.Millisecond))
	if waited != nil {
		fmt.Fprintf(n.Out, "    (waited out: %s)\n", waited)
	}
	return nil
}

// Acquainted waits until every running peer's gateway plans an
// endorsement by every running member org of each of its channels: it has
// each endorse a Ping (never submitted) with those orgs named. A gateway
// plans only among the peers its gossip knows, so a peer that has just
// started refuses a write that names another org ("failed to find any
// endorsing peers for org(s)") until that org's peer has reached it; a
// transaction that commits on the channel does not show this, since
// discovery may pick other orgs to endorse it.
//
// It answers the first refusal it waited out, nil when there was none.
func (n *Net) Acquainted(timeout time.Duration) (first error, err error) {
	deadline := time.Now().Add(timeout)
	for i := range n.D.Channels {
		ch := &n.D.Channels[i]
		var running []*Peer
		var orgs []string
		for _, p := range n.D.ChannelPeers(ch) {
			if _, ok := n.PID(p.ID()); ok {
				running = append(running, p)
				if !slices.Contains(orgs, p.org.MSPID) {
					orgs = append(orgs, p.org.MSPID)
				}
			}
		}
		for _, p := range running {
			if len(p.org.Users) == 0 {
				return first, fmt.Errorf("org %s has no user to ask peer %s with", p.org.Name, p.ID())
			}
			c, err := n.Connect(p.org.MSPID, p.org.Users[0].Name, p)
			if err != nil {
				return first, err
			}
			err = poll(time.Until(deadline), func() error {
				proposal, err := c.Contract(ch.Name).NewProposal(Tx.Ping().Fn, client.WithEndorsingOrganizations(orgs...))
				if err == nil {
					_, err = proposal.Endorse()
				}
				if err != nil {
					err = fmt.Errorf("peer %s cannot have %v endorse on channel %s: %s", p.ID(), orgs, ch.Name, ErrorText(err))
					if first == nil {
						first = err
					}
					return err
				}
				return nil
			})
			c.Close()
			if err != nil {
				return first, err
			}
		}
	}
	return first, nil
}

// Held is Synced after a write that returned res and err: it passes the
// write's error through, or waits (at most 15 s) until every running peer
// of the channel holds the write, for what reads or endorses it next.
func (n *Net) Held(res *Committed, err error) error {
	if err != nil {
		return err
	}
	return n.Synced(res, 15*time.Second)
}

// Synced waits until every running peer of the channel has committed the
// block of a write: Fabric reports a commit from one peer, and the next
// transaction may be endorsed by another org's peer that is a block
// behind (a refusal such as "no agreement" for a record just written).
// A stopped peer is skipped: it catches up when it starts.
func (n *Net) Synced(r *Committed, timeout time.Duration) error {
	ch := n.D.Channel(r.Channel)
	if ch == nil {
		return fmt.Errorf("no channel %q in the description", r.Channel)
	}
	deadline := time.Now().Add(timeout)
	for _, p := range n.D.ChannelPeers(ch) {
		if _, ok := n.PID(p.ID()); !ok {
			continue
		}
		for {
			h, err := n.Height(p, r.Channel)
			if err == nil && h > r.BlockNumber {
				break
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("%s has not committed block %d of %s: height %d (%v)", p.ID(), r.BlockNumber, r.Channel, h, err)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	return nil
}
