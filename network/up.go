package network

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"dataledger/network/ccaas"
	"dataledger/network/fabricbin"
)

// Up brings the network to a running, ready state from whatever it finds:
// nothing (cold start), stopped or killed processes (restart on the
// existing ledgers), or a running network (a health check). Every wait
// polls a real endpoint.
func (n *Net) Up(toolsDir string) error {
	const total = 6
	begin := time.Now()
	done := n.step(1, total, "Fabric "+fabricbin.Version+" binaries")
	if err := done(fabricbin.EnsureAll(toolsDir, n.Out)); err != nil {
		return err
	}
	if err := n.prepareAccounts(); err != nil {
		return err
	}

	done = n.step(2, total, "configuration from "+n.D.Name+" description")
	err := func() error {
		if err := n.migrate(); err != nil {
			return err
		}
		if err := os.MkdirAll(n.L.ConfigDir(), 0o755); err != nil {
			return err
		}
		for _, x := range n.D.AllOrderers() { // a rotation's swap cut short, before its org publishes
			if err := n.finishTLSSwap(x); err != nil {
				return err
			}
		}
		if err := n.generateCrypto(n.Out); err != nil {
			return err
		}
		if err := n.writeConfigtx(); err != nil {
			return err
		}
		for _, x := range n.D.AllOrderers() {
			if err := n.writeOrdererConfig(x); err != nil {
				return err
			}
		}
		for _, p := range n.D.AllPeers() {
			if err := n.writePeerConfig(p); err != nil {
				return err
			}
		}
		return n.installBuilder()
	}()
	if err := done(err); err != nil {
		return err
	}

	done = n.step(3, total, "orderers and peers")
	err = func() error {
		if err := n.ensureNetNS(); err != nil {
			return err
		}
		for _, x := range n.D.AllOrderers() {
			if err := n.startNode(x.ID(), n.fabricBin("orderer"), nil); err != nil {
				return err
			}
		}
		for _, p := range n.D.AllPeers() {
			env, err := n.chaincodeServerEnv(p)
			if err != nil {
				return err
			}
			if err := n.startNode(p.ID(), n.fabricBin("peer"), env, "node", "start"); err != nil {
				return err
			}
		}
		return n.waitHealthy(60 * time.Second)
	}()
	if err := done(err); err != nil {
		return err
	}

	done = n.step(4, total, "channels")
	err = func() error {
		if err := n.joinChannels(); err != nil {
			return err
		}
		if err := n.requireOrdererSigning(n.Out); err != nil {
			return err
		}
		restart, err := n.activateNextTLS(n.Out)
		if err != nil {
			return err
		}
		for _, id := range restart {
			if err := n.startNode(id, n.fabricBin("orderer"), nil); err != nil {
				return err
			}
		}
		if len(restart) > 0 {
			if err := n.waitHealthy(60 * time.Second); err != nil {
				return err
			}
		}
		return n.WriteTrust()
	}()
	if err := done(err); err != nil {
		return err
	}

	done = n.step(5, total, "chaincode "+n.label()+" as a service")
	err = func() error {
		// A stale server stops before any definition changes and starts
		// anew once every channel is defined (stopStaleChaincodeServer).
		ids := map[string]string{}
		for _, p := range n.D.AllPeers() {
			id, err := n.install(p)
			if err != nil {
				return err
			}
			ids[p.ID()] = id
			if err := n.stopStaleChaincodeServer(p, id); err != nil {
				return err
			}
		}
		if err := n.deployChaincode(ids); err != nil {
			return err
		}
		for _, p := range n.D.AllPeers() {
			if err := n.startChaincodeServer(p, ids[p.ID()]); err != nil {
				return err
			}
		}
		return n.awaitChaincode()
	}()
	if err := done(err); err != nil {
		return err
	}

	done = n.step(6, total, "readiness: a transaction commits on every channel")
	if err := done(n.ready(90 * time.Second)); err != nil {
		return err
	}
	fmt.Fprintf(n.Out, "network %s is up (%d orderers, %d peers, %d channels) in %s\n",
		n.D.Name, len(n.D.AllOrderers()), len(n.D.AllPeers()), len(n.D.Channels), time.Since(begin).Round(10*time.Millisecond))
	return nil
}

// chaincodeServerEnv is what a peer is started with to reach its own
// chaincode server. The org's one chaincode package names its first
// peer's server (when that moves, the package and its approval change);
// a later peer is told its own (ccaas.AddressEnv), which the builder
// writes into the release the peer caches per package ID: when that
// address changed since the peer last ran, the peer is stopped and its
// cached builds removed, so it starts (and builds) again with the new one.
func (n *Net) chaincodeServerEnv(p *Peer) ([]string, error) {
	if p.org.Peers[0] == p {
		return nil, nil
	}
	addr := p.ChaincodeServerAddress()
	path := filepath.Join(n.L.NodeDir(p.ID()), "chaincode-address")
	old, err := n.readFile(path)
	if err == nil && string(old) != addr {
		if _, err := n.stop(p.ID(), 60*time.Second); err != nil {
			return nil, err
		}
		if err := n.removeAll(filepath.Join(n.L.NodeDir(p.ID()), "data", "externalbuilder", "builds")); err != nil {
			return nil, err
		}
		fmt.Fprintf(n.Out, "  %s: chaincode server moved from %s to %s\n", p.ID(), old, addr)
	}
	if err != nil || string(old) != addr {
		if err := n.writeFile(path, []byte(addr), 0o644); err != nil {
			return nil, err
		}
	}
	return []string{ccaas.AddressEnv + "=" + addr}, nil
}

func (n *Net) startNode(id, bin string, env []string, args ...string) error {
	if pid, ok := n.running(id); ok {
		fmt.Fprintf(n.Out, "  %s already running (pid %d)\n", id, pid)
		return nil
	}
	pid, err := n.start(proc{ID: id, Bin: bin, Args: args, Env: append([]string{
		"FABRIC_CFG_PATH=" + n.L.NodeDir(id),
		// Gateway stream closes make orderers warn per request; keep logs useful.
		"FABRIC_LOGGING_SPEC=info:orderer.common.broadcast=error:comm.grpc.server=error:gossip=warning:ledgermgmt=warning",
	}, env...)})
	if err != nil {
		return err
	}
	fmt.Fprintf(n.Out, "  %s started (pid %d)\n", id, pid)
	return nil
}

// ProcessIDs lists every process of the network, chaincode servers first
// (the order to stop them).
func (n *Net) ProcessIDs() []string {
	var ids []string
	for _, p := range n.D.AllPeers() {
		ids = append(ids, "cc."+p.ID())
	}
	for _, p := range n.D.AllPeers() {
		ids = append(ids, p.ID())
	}
	for _, x := range n.D.AllOrderers() {
		ids = append(ids, x.ID())
	}
	return ids
}

// Down stops every process this home started, by its PID files — also
// those of nodes no longer in the description — chaincode servers first,
// then peers, then orderers; purge also deletes all generated state and
// ledgers.
func (n *Net) Down(purge bool) error {
	for _, id := range n.startedIDs() {
		stopped, err := n.stop(id, 10*time.Second)
		if err != nil {
			return err
		}
		if stopped {
			fmt.Fprintf(n.Out, "stopped %s\n", id)
		}
	}
	if purge {
		if !strings.HasSuffix(n.L.Home, string(filepath.Separator)+".run") && os.Getenv("DATALEDGER_ALLOW_PURGE") == "" {
			if _, err := os.Stat(filepath.Join(n.L.Home, "config", "configtx.yaml")); err != nil {
				return fmt.Errorf("refusing to purge %s: it does not look like a dataledger home", n.L.Home)
			}
		}
		if err := n.RemoveNetNS(); err != nil {
			return err
		}
		if err := os.RemoveAll(n.L.Home); err != nil {
			return err
		}
		fmt.Fprintf(n.Out, "purged %s\n", n.L.Home)
	}
	return nil
}

// startedIDs lists the processes with a PID file in this home, in the
// order to stop them.
func (n *Net) startedIDs() []string {
	files, _ := filepath.Glob(filepath.Join(filepath.Dir(n.L.PIDFile("x")), "*.pid"))
	rank := func(id string) int {
		switch {
		case strings.HasPrefix(id, "cc."), strings.HasPrefix(id, "gateway"), id == "index":
			return 0
		case strings.HasPrefix(id, "orderer"):
			return 2
		}
		return 1
	}
	var ids []string
	for _, f := range files {
		ids = append(ids, strings.TrimSuffix(filepath.Base(f), ".pid"))
	}
	sort.SliceStable(ids, func(i, j int) bool { return rank(ids[i]) < rank(ids[j]) })
	return ids
}

// StartService runs one of dataledger's own services (e.g. the gateway)
// under this home's process management: its PID file and log, stopped by
// Down. A service already running is left as it is.
func (n *Net) StartService(id, bin string, args []string, env []string) (int, error) {
	return n.start(proc{ID: id, Bin: bin, Args: args, Env: env})
}

// StopService stops a service started with StartService.
func (n *Net) StopService(id string) (bool, error) { return n.stop(id, 60*time.Second) }

// WaitReady polls an HTTP URL until it answers 200.
func WaitReady(url string, timeout time.Duration) error {
	return poll(timeout, func() error {
		resp, err := http.Get(url)
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("%s answered %s", url, resp.Status)
		}
		return nil
	})
}

// PID returns the PID of a running process by ID (a node ID, or
// "cc.<peer ID>" for a chaincode server).
func (n *Net) PID(id string) (int, bool) { return n.running(id) }

// Status prints every node with its ports, PID and health, and each peer's
// height per channel.
func (n *Net) Status(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "NODE\tKIND\tADDRESS\tPORTS\tPID\tHEALTH")
	state := func(id string, ops string) (string, string) {
		pid, ok := n.running(id)
		if !ok {
			return "-", "stopped"
		}
		if ops == "" {
			return fmt.Sprint(pid), "running"
		}
		if err := healthy(bgctx(), ops); err != nil {
			return fmt.Sprint(pid), "unhealthy: " + err.Error()
		}
		return fmt.Sprint(pid), "ok"
	}
	for _, x := range n.D.AllOrderers() {
		pid, h := state(x.ID(), fmt.Sprintf("%s:%d", x.Host, x.OperationsPort))
		fmt.Fprintf(tw, "%s\torderer\t%s\tadmin %d, ops %d\t%s\t%s\n", x.ID(), x.Address(), x.AdminPort, x.OperationsPort, pid, h)
	}
	for _, p := range n.D.AllPeers() {
		pid, h := state(p.ID(), fmt.Sprintf("%s:%d", p.Host, p.OperationsPort))
		fmt.Fprintf(tw, "%s\tpeer\t%s\tchaincode %d, ops %d\t%s\t%s\n", p.ID(), p.Address(), p.ChaincodePort, p.OperationsPort, pid, h)
		pid, h = state("cc."+p.ID(), "")
		fmt.Fprintf(tw, "cc.%s\tchaincode\t%s:%d\t\t%s\t%s\n", p.ID(), p.Host, p.ChaincodeServerPort, pid, h)
	}
	tw.Flush()
	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "PEER\tCHANNEL\tHEIGHT")
	for _, p := range n.D.AllPeers() {
		if _, ok := n.running(p.ID()); !ok {
			continue
		}
		for _, ch := range n.D.ChannelsOf(p.org) {
			h, err := n.Height(p, ch)
			hs := fmt.Sprint(h)
			if err != nil {
				hs = "? (" + firstLine(err.Error()) + ")"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\n", p.ID(), ch, hs)
		}
	}
	tw.Flush()
	// The ordering service per channel: who leads Raft, and each orderer's
	// height (a restarted orderer lower than the others is still catching up).
	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "CHANNEL\tRAFT LEADER\tORDERER HEIGHTS")
	for _, ch := range n.D.Channels {
		leader := "none (an election, or no quorum)"
		if x, _ := n.RaftLeader(ch.Name); x != nil {
			leader = x.ID()
		}
		var hs []string
		for _, x := range n.D.ChannelOrderers(&ch) {
			h := "down"
			if _, ok := n.running(x.ID()); ok {
				if v, err := n.OrdererHeight(x, ch.Name); err == nil {
					h = fmt.Sprint(v)
				} else {
					h = "?"
				}
			}
			hs = append(hs, x.ID()+" "+h)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", ch.Name, leader, strings.Join(hs, ", "))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	// The working-day calendars every deadline is computed with: a missing
	// year shows here from 1 November of the year before.
	fmt.Fprintln(w)
	gaps, unread := n.CalendarGaps(time.Now())
	for _, ch := range n.D.Channels {
		if err := unread[ch.Name]; err != nil {
			fmt.Fprintf(w, "CALENDARS  %s: not read: %s\n", ch.Name, firstLine(err.Error()))
		}
	}
	for _, g := range gaps {
		fmt.Fprintf(w, "WARNING    %s\n           %s\n", g.Message, g.Zh)
	}
	if len(gaps) == 0 && len(unread) == 0 {
		fmt.Fprintln(w, "CALENDARS  every channel has the working-day calendars its deadlines need")
	}
	return nil
}

// Logs copies the last lines of a process's log (a node ID or cc.<peer>).
func (n *Net) Logs(id string, lines int, w io.Writer) error {
	f, err := os.Open(n.L.LogFile(id))
	if err != nil {
		return fmt.Errorf("no log for %q (nodes: %s): %w", id, strings.Join(n.ProcessIDs(), ", "), err)
	}
	defer f.Close()
	var ring []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		ring = append(ring, sc.Text())
		if len(ring) > lines {
			ring = ring[1:]
		}
	}
	for _, l := range ring {
		fmt.Fprintln(w, l)
	}
	return sc.Err()
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}
