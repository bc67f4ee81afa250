package gateway

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/hyperledger/fabric-gateway/pkg/client"

	"dataledger/network"
)

// Invalidator listens to every channel's chaincode events and bumps the
// channel's cache generation for each, so writes made outside this gateway
// (other gateways, the CLI, other organizations) reach its cache too. Its
// position is a file checkpoint per channel: after a restart it resumes
// after the last event it handled and misses none. An event is
// checkpointed only after its bump succeeded.
type Invalidator struct {
	Net   *network.Net
	Who   Identity // an identity that is a member of the channels it watches
	Cache Cache
	Dir   string // checkpoint files
	Log   *slog.Logger
	wg    sync.WaitGroup
}

// Run watches every channel Who is a member of until ctx ends.
func (iv *Invalidator) Run(ctx context.Context) {
	for _, ch := range iv.Net.D.ChannelsOf(iv.Net.D.Org(iv.Who.Org)) {
		iv.wg.Add(1)
		go func(ch string) {
			defer iv.wg.Done()
			iv.watch(ctx, ch)
		}(ch)
	}
}

// Wait returns when every watcher has stopped (after ctx ended).
func (iv *Invalidator) Wait() { iv.wg.Wait() }

func (iv *Invalidator) watch(ctx context.Context, channel string) {
	backoff := 200 * time.Millisecond
	for ctx.Err() == nil {
		err := iv.follow(ctx, channel)
		if ctx.Err() != nil {
			return
		}
		iv.Log.Warn("event stream ended; reconnecting", "channel", channel, "error", network.ErrorText(err))
		time.Sleep(backoff)
		if backoff < 10*time.Second {
			backoff *= 2
		}
	}
}

func (iv *Invalidator) follow(ctx context.Context, channel string) error {
	if err := os.MkdirAll(iv.Dir, 0o700); err != nil {
		return err
	}
	cp, err := client.NewFileCheckpointer(filepath.Join(iv.Dir, channel+".checkpoint"))
	if err != nil {
		return err
	}
	defer cp.Close()
	c, err := iv.Net.Connect(iv.Who.Org, iv.Who.User, nil)
	if err != nil {
		return err
	}
	defer c.Close()
	events, err := c.Gateway.GetNetwork(channel).ChaincodeEvents(ctx, "dataledger", client.WithCheckpoint(cp))
	if err != nil {
		return err
	}
	for ev := range events {
		for iv.Cache.Bump(ctx, channel) != nil { // never skip an invalidation
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
