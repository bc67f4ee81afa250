// Command dataledger-index is the supervision index: it follows every
// channel an organization is on from that organization's own peer (the
// block stream, from its checkpoint), audits each block and writes its
// records into PostgreSQL for the gateway's regulator searches.
//
//	dataledger-index --org ProvinceMSP --user regulator --db postgres://postgres@127.0.0.1:5432/dataledger
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"dataledger/index"
	"dataledger/network"
)

func main() {
	log := slog.New(slog.NewJSONHandler(os.Stderr, nil))
	fs := flag.NewFlagSet("dataledger-index", flag.ContinueOnError)
	description := fs.String("description", "network/dataledger.yaml", "network description")
	home := fs.String("home", ".run", "network home")
	org := fs.String("org", "ProvinceMSP", "the organization whose peer the index reads (its regulator's)")
	user := fs.String("user", "regulator", "the user of that organization the index reads as")
	dsn := fs.String("db", envOr("DATALEDGER_INDEX_DB", index.DefaultDSN), "PostgreSQL URL ($DATALEDGER_INDEX_DB)")
	channels := fs.String("channels", "", "comma-separated channels (default: every channel the organization is on)")
	admin := fs.String("admin-listen", "127.0.0.1:9091", "address of /readyz and /metrics (empty: off)")
	maxBatch := fs.Int("max-batch", 256, "most blocks stored in one database transaction while catching up")
	trustPeer := fs.Bool("trust-peer-validation", false, "take the peer's valid/invalid marks without re-checking each transaction's signature and endorsements (blocks are still audited): only for the organization's own peer")
	if err := fs.Parse(os.Args[1:]); err != nil {
		os.Exit(2)
	}
	if err := run(log, *description, *home, *org, *user, *dsn, *channels, *admin, *maxBatch, *trustPeer); err != nil {
		log.Error("index stopped", "error", err.Error())
		os.Exit(1)
	}
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

func run(log *slog.Logger, description, home, orgID, user, dsn, channelList, admin string, maxBatch int, trustPeer bool) error {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	n, err := network.Open(description, home, nil)
	if err != nil {
		return err
	}
	o := n.D.Org(orgID)
	if o == nil {
		return fmt.Errorf("no organization %q in %s", orgID, description)
	}
	chans := n.D.ChannelsOf(o)
	if channelList != "" {
		chans = strings.Split(channelList, ",")
	}
	trust, err := n.Trust()
	if err != nil {
		return err
	}
	db, err := index.Open(ctx, dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	c, err := n.Connect(o.MSPID, user, nil)
	if err != nil {
		return err
	}
	defer c.Close()

	height := prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "dataledger_index_height", Help: "blocks indexed (audited and stored) per channel"}, []string{"channel"})
	records := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "dataledger_index_writes_total", Help: "record versions stored per channel"}, []string{"channel"})
	broken := prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "dataledger_index_broken_block", Help: "the first block that failed the chain audit (absent: none)"}, []string{"channel"})
	reg := prometheus.NewRegistry()
	reg.MustRegister(height, records, broken)
	ix := &index.Indexer{DB: db, Chaincode: n.D.Chaincode.Name, Trust: trust, Log: log, MaxBatch: maxBatch, TrustPeerValidation: trustPeer,
		Stored: func(ch string, h uint64, _ int, writes int) {
			height.WithLabelValues(ch).Set(float64(h))
			records.WithLabelValues(ch).Add(float64(writes))
		}}
	if admin != "" {
		mux := http.NewServeMux()
		mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
		mux.HandleFunc("/readyz", func(w http.ResponseWriter, r *http.Request) {
			st, err := db.Channels(r.Context())
			code := http.StatusOK
			if err != nil {
				code = http.StatusServiceUnavailable
			}
			for _, s := range st {
				if s.Broken != nil {
					code = http.StatusServiceUnavailable
				}
			}
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(code)
			json.NewEncoder(w).Encode(map[string]any{"channels": st, "error": fmt.Sprint(err)})
		})
		srv := &http.Server{Addr: admin, Handler: mux, ReadHeaderTimeout: 10 * time.Second}
		go func() {
			if err := srv.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
				log.Error("admin listener", "error", err.Error())
			}
		}()
		defer srv.Close()
	}
	log.Info("index following", "org", o.MSPID, "channels", chans, "db", db.Name())
	var wg sync.WaitGroup
	for _, ch := range chans {
		wg.Add(1)
		go func(ch string) {
			defer wg.Done()
			err := ix.Follow(ctx, ch, index.BlockEvents(c.Gateway))
			var be *index.BrokenError
			if errors.As(err, &be) {
				broken.WithLabelValues(ch).Set(float64(be.Block))
			}
			if err != nil {
				log.Error("index stopped following a channel", "channel", ch, "error", err.Error())
			}
		}(ch)
	}
	wg.Wait()
	return nil
}
