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

// ready bootstraps each channel's jurisdiction as its authority, or, when it
// exists, submits a Ping: the network is ready when a transaction commits
// on every channel. Retries ride out gossip discovery and Raft elections.
func (n *Net) ready(timeout time.Duration) error {
	for i := range n.D.Channels {
		ch := &n.D.Channels[i]
		authUser := ""
		for _, u := range n.D.Org(ch.Authority).Users {
			if u.Role == "authority" {
				authUser = u.Name
				break
			}
		}
		if authUser == "" {
			return fmt.Errorf("channel %s: org %s has no user with role authority to bootstrap it", ch.Name, ch.Authority)
		}
		c, err := n.Connect(ch.Authority, authUser, nil)
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
