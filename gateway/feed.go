package gateway

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/hyperledger/fabric-gateway/pkg/client"
)

// ChainEvent is one chaincode event as the feed carries it.
type ChainEvent struct {
	Block   uint64
	TxID    string
	Name    string
	Payload []byte
}

// Events follows a channel's chaincode events from a block (0: from now).
func (f *FabricLedger) Events(ctx context.Context, who Identity, channel string, fromBlock uint64) (<-chan ChainEvent, error) {
	if err := f.member(who, channel); err != nil {
		return nil, err
	}
	c, err := f.client(who)
	if err != nil {
		return nil, err
	}
	var opts []client.ChaincodeEventsOption
	if fromBlock > 0 {
		opts = append(opts, client.WithStartBlock(fromBlock))
	}
	src, err := c.Gateway.GetNetwork(channel).ChaincodeEvents(ctx, c.Chaincode, opts...)
	if err != nil {
		return nil, err
	}
	out := make(chan ChainEvent)
	go func() {
		defer close(out)
		for ev := range src {
			select {
			case out <- ChainEvent{Block: ev.BlockNumber, TxID: ev.TransactionID, Name: ev.EventName, Payload: ev.Payload}:
			case <-ctx.Done():
				return
			}
		}
	}()
	return out, nil
}

// feed streams a channel's changes as Server-Sent Events (GX 12(7): pushed
// to the exchanges). Each event's id is "block/txId"; a client resumes
// with Last-Event-ID (from the next block on, so a block is never skipped;
// it may see the last one again) or ?fromBlock=N.
func (s *Server) feed(c *gin.Context) {
	channel := c.Param("channel")
	if !s.ledger.HasChannel(channel) {
		abort(c, fail(http.StatusNotFound, "no such channel"))
		return
	}
	var from uint64
	if last := c.GetHeader("Last-Event-ID"); last != "" {
		b, _, _ := strings.Cut(last, "/")
		n, err := strconv.ParseUint(b, 10, 64)
		if err != nil {
			abort(c, fail(http.StatusBadRequest, "Last-Event-ID must be block/txId"))
			return
		}
		from = n
	} else if q := c.Query("fromBlock"); q != "" {
		n, err := strconv.ParseUint(q, 10, 64)
		if err != nil {
			abort(c, fail(http.StatusBadRequest, "fromBlock must be a block number"))
			return
		}
		from = n
	}
	release, err := s.streams.acquire(c.GetString(ctxCaller))
	if err != nil {
		abort(c, err)
		return
	}
	defer release()
	// The feed outlives the request timeout: it ends when the client goes
	// (the connection's context, kept by limits before the timeout).
	conn := connContext(c)
	ctx, cancel := context.WithCancel(context.WithoutCancel(conn))
	defer cancel()
	go func() {
		select {
		case <-conn.Done():
			cancel()
		case <-ctx.Done():
		}
	}()
	events, err := s.ledger.Events(ctx, identity(c), channel, from)
	if err != nil {
		abort(c, err)
		return
	}
	// A stream outlives the server's read and write timeouts: no read
	// deadline (the request has no body; the connection's end ends the
	// stream), and a write deadline per event, so a client that stops
	// reading is still cut.
	rc := http.NewResponseController(c.Writer)
	_ = rc.SetReadDeadline(time.Time{})
	writeBound := s.cfg.WriteTimeout
	if writeBound <= 0 {
		writeBound = DefaultConfig().WriteTimeout
	}
	_ = rc.SetWriteDeadline(time.Now().Add(writeBound))
	c.Header("Content-Type", "text/event-stream")
	c.Header("Cache-Control", "no-cache")
	c.Status(http.StatusOK)
	c.Writer.Flush()
	_ = rc.SetWriteDeadline(time.Time{}) // waiting for an event is not writing
	write := func(b []byte) {
		_ = rc.SetWriteDeadline(time.Now().Add(writeBound))
		if _, err := c.Writer.Write(b); err != nil || rc.Flush() != nil {
			cancel() // the client is gone or stopped reading: end the stream
		}
		_ = rc.SetWriteDeadline(time.Time{})
	}
	// What became overdue is pushed to the organization it is owed to:
	// looked for at once, then every OverdueEvery.
	sent := map[string]bool{}
	kinds := s.overdueKinds(ctx, identity(c), c.GetString(ctxRole), channel)
	pushOverdue := func(at time.Time) {
		items, err := s.newlyOverdue(ctx, channel, kinds, sent, at)
		if err != nil && ctx.Err() == nil {
			slog.Warn("feed: looking for overdue items", "channel", channel, "error", err)
		}
		for _, o := range items {
			if ctx.Err() != nil {
				return
			}
			write(overdueLine(o))
		}
	}
	var tick <-chan time.Time
	if len(kinds) > 0 {
		every := s.cfg.OverdueEvery
		if every <= 0 {
			every = DefaultOverdueEvery
		}
		t := time.NewTicker(every)
		defer t.Stop()
		tick = t.C
		pushOverdue(time.Now())
	}
	for {
		select {
		case ev, ok := <-events:
			if !ok {
				return
			}
			write(fmt.Appendf(nil, "id: %d/%s\nevent: %s\ndata: %s\n\n", ev.Block, ev.TxID, ev.Name, ev.Payload))
		case at := <-tick:
			pushOverdue(at)
		case <-ctx.Done():
			return
		}
	}
}

// connContext is the request's context before the request timeout: it
// ends when the client goes.
func connContext(c *gin.Context) context.Context {
	if v, ok := c.Get(ctxConn); ok {
		return v.(context.Context)
	}
	return c.Request.Context()
}

// longRequest is the context of a request that outlasts the request
// timeout and the server's write timeout (an export, a report), up to
// ExportTimeout; it ends when the client goes.
func (s *Server) longRequest(c *gin.Context) (context.Context, context.CancelFunc) {
	limit := s.cfg.ExportTimeout
	if limit <= 0 {
		limit = 10 * time.Minute
	}
	_ = http.NewResponseController(c.Writer).SetWriteDeadline(time.Now().Add(limit))
	return context.WithTimeout(connContext(c), limit)
}
