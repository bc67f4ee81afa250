package network

import (
	"fmt"
	"time"

	"dataledger/chaincode/domain"
)

// loadCalendars has the channel's authority load each shipped working-day
// calendar (2025, 2026) that the channel does not have yet.
func (n *Net) loadCalendars(c *Client, channel string) error {
	for _, cal := range domain.BuiltinCalendars() {
		if _, err := c.GetCalendar(channel, cal.Year); err == nil {
			continue
		}
		if _, _, err := c.LoadCalendar(channel, cal, ""); err != nil {
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

// CalendarGaps are the working-day calendars the channels lack at t
// (domain.CalendarGaps), read as each channel's authority.
func (n *Net) CalendarGaps(t time.Time) ([]domain.CalendarGap, error) {
	var gaps []domain.CalendarGap
	for i := range n.D.Channels {
		ch := &n.D.Channels[i]
		c, err := n.authority(ch)
		if err != nil {
			return nil, err
		}
		var failed error
		gaps = append(gaps, domain.CalendarGaps(ch.Name, t, func(year int) bool {
			_, err := c.GetCalendar(ch.Name, year)
			if err != nil && !domain.IsRule(err, domain.RuleCalendarYear) {
				failed = err
			}
			return err == nil
		})...)
		c.Close()
		if failed != nil {
			return nil, fmt.Errorf("channel %s: %s", ch.Name, ErrorText(failed))
		}
	}
	return gaps, nil
}

// LoadCalendar has the data authority of a channel (every channel when
// channel is "") record a year's official working-day calendar, citing
// the State Council's notice it comes from (cal.Source). A channel that
// has the same calendar already is left as it is.
func (n *Net) LoadCalendar(channel string, cal domain.Calendar) error {
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
		case err == nil || domain.IsRule(err, domain.RuleCalendarYear):
			reason := fmt.Sprintf("载入%d年工作日历，依据：%s", cal.Year, cal.Source)
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

func sameCalendar(a, b *domain.Calendar) bool {
	return a.Year == b.Year && a.Source == b.Source && fmt.Sprint(a.Holidays) == fmt.Sprint(b.Holidays) && fmt.Sprint(a.Workdays) == fmt.Sprint(b.Workdays)
}

// ready bootstraps each channel's jurisdiction as its authority, or, when it
// exists, submits a Ping: the network is ready when a transaction commits
// on every channel. Retries ride out gossip discovery and Raft elections.
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
			switch {
			case err == nil:
				_, _, err = c.Ping(ch.Name)
				return err
			case domain.IsRule(err, domain.RuleBootstrapped):
				_, _, err = c.Bootstrap(ch.Name, ch.Jurisdiction, ch.DivisionCode, ch.Profile)
				if err == nil {
					fmt.Fprintf(n.Out, "  %s: jurisdiction %s (%s, profile %s) bootstrapped by %s\n", ch.Name, ch.Jurisdiction, ch.DivisionCode, ch.Profile, ch.Authority)
				}
				return err
			default:
				return err
			}
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
	return nil
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
