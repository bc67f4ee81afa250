package gateway

import (
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/hyperledger/fabric-gateway/pkg/client"

	"dataledger/chaincode/domain"
	"dataledger/network"
)

// follower runs a handler for every chaincode event of every channel an
// identity is a member of, from a file checkpoint per channel: after a
// restart it resumes after the last event handled and misses none. An
// event is checkpointed only after its handler succeeded; a failing
// handler is retried.
type follower struct {
	Net  *network.Net
	Who  Identity
	Dir  string
	Log  *slog.Logger
	Name string // for logs and checkpoint files
	wg   sync.WaitGroup
}

func (f *follower) run(ctx context.Context, handle func(ctx context.Context, channel string, ev *client.ChaincodeEvent) error) {
	for _, ch := range f.Net.D.ChannelsOf(f.Net.D.Org(f.Who.Org)) {
		f.wg.Add(1)
		go func(ch string) {
			defer f.wg.Done()
			backoff := 200 * time.Millisecond
			for ctx.Err() == nil {
				err := f.follow(ctx, ch, handle)
				if ctx.Err() != nil {
					return
				}
				f.Log.Warn("event stream ended; reconnecting", "follower", f.Name, "channel", ch, "error", network.ErrorText(err))
				time.Sleep(backoff)
				if backoff < 10*time.Second {
					backoff *= 2
				}
			}
		}(ch)
	}
}

func (f *follower) follow(ctx context.Context, channel string, handle func(context.Context, string, *client.ChaincodeEvent) error) error {
	if err := os.MkdirAll(f.Dir, 0o700); err != nil {
		return err
	}
	cp, err := client.NewFileCheckpointer(filepath.Join(f.Dir, f.Name+"."+channel+".checkpoint"))
	if err != nil {
		return err
	}
	defer cp.Close()
	c, err := f.Net.Connect(f.Who.Org, f.Who.User, nil)
	if err != nil {
		return err
	}
	defer c.Close()
	events, err := c.Gateway.GetNetwork(channel).ChaincodeEvents(ctx, c.Chaincode, client.WithCheckpoint(cp))
	if err != nil {
		return err
	}
	for ev := range events {
		for {
			err := handle(ctx, channel, ev)
			if err == nil {
				break
			}
			f.Log.Warn("event handler failed; retrying", "follower", f.Name, "channel", channel, "tx", ev.TransactionID, "error", network.ErrorText(err))
			if ctx.Err() != nil {
				return ctx.Err()
			}
			time.Sleep(500 * time.Millisecond)
		}
		if err := cp.CheckpointChaincodeEvent(ev); err != nil {
			return err
		}
	}
	return ctx.Err()
}

// Invalidator bumps a channel's cache generation for every chaincode event,
// so writes made outside this gateway (other gateways, the CLI, other
// organizations) reach its cache too.
type Invalidator struct {
	Net   *network.Net
	Who   Identity // an identity that is a member of the channels it watches
	Cache Cache
	// Ledger, when set, is waited on until its readers' peers have the
	// event's block before the bump (as for writes through the gateway).
	Ledger Ledger
	Dir    string // checkpoint files
	Log    *slog.Logger
	f      follower
}

// Run watches every channel Who is a member of until ctx ends.
func (iv *Invalidator) Run(ctx context.Context) {
	iv.f = follower{Net: iv.Net, Who: iv.Who, Dir: iv.Dir, Log: iv.Log, Name: "cache"}
	iv.f.run(ctx, func(ctx context.Context, channel string, ev *client.ChaincodeEvent) error {
		if iv.Ledger != nil {
			wait, cancel := context.WithTimeout(ctx, 10*time.Second)
			_ = iv.Ledger.WaitCommitted(wait, channel, ev.BlockNumber) // a lagging peer delays, never blocks, the bump
			cancel()
		}
		return iv.Cache.Bump(ctx, channel) // never skip an invalidation
	})
}

// Wait returns when every watcher has stopped (after ctx ended).
func (iv *Invalidator) Wait() { iv.f.wg.Wait() }

// ExchangeListener is the exchange's side of the push feed (GX 12(7)): it
// records on the ledger, as the exchange, the receipt of every certificate
// registered on its channels.
type ExchangeListener struct {
	Net *network.Net
	Who Identity // the exchange's identity (role exchange)
	Dir string
	Log *slog.Logger
	f   follower
}

// Run follows the exchange's channels until ctx ends.
func (x *ExchangeListener) Run(ctx context.Context) {
	x.f = follower{Net: x.Net, Who: x.Who, Dir: x.Dir, Log: x.Log, Name: "exchange-receipts"}
	x.f.run(ctx, func(ctx context.Context, channel string, ev *client.ChaincodeEvent) error {
		if ev.EventName != "certificate.register" {
			return nil
		}
		var e domain.Event
		if err := json.Unmarshal(ev.Payload, &e); err != nil || len(e.Changes) == 0 {
			return nil // not ours to understand
		}
		c, err := x.Net.Connect(x.Who.Org, x.Who.User, nil)
		if err != nil {
			return err
		}
		defer c.Close()
		_, _, err = c.AcknowledgeCertificate(channel, e.Changes[0].Key, domain.AckReceived)
		if domain.IsRule(err, domain.RuleListing) {
			return nil // already received (a replay after a restart)
		}
		if re, ok := domain.AsRule(err); ok && re.Kind != domain.KindInternal {
			// Refused by a rule: retrying the same event cannot succeed and
			// would hold up the channel's stream.
			x.Log.Warn("receipt refused; event skipped", "channel", channel, "certificate", e.Changes[0].Key, "rule", re.Rule, "detail", re.Detail)
			return nil
		}
		return err
	})
}

// Wait returns when the listener has stopped.
func (x *ExchangeListener) Wait() { x.f.wg.Wait() }
