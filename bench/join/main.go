// Command join measures how long a new peer takes to hold a channel's
// ledger: joined from a snapshot of a member peer's ledger against joined
// from the genesis block and replaying every block, on a running network
// (for instance after `dataledger bench --skip write,verify,history,crypto,index
// --scale 100000` has loaded the channel). It adds two peers to the org
// in a description of its own (the network's with them), brings them up
// one way each, waits until each holds the channel's height, prints the
// times and stops them again. The network's chaincode servers keep the
// benchmark functions on (a network started with --bench).
//
//	go run ./bench/join -channel liuzhou -org CityBMSP
package main

import (
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"strings"
	"time"

	"dataledger/network"
)

func main() {
	description := flag.String("description", "network/dataledger.yaml", "network description")
	home := flag.String("home", ".run", "network state directory")
	tools := flag.String("fabric-tools", "network/fabrictools", "module that pins the Fabric release")
	channel := flag.String("channel", "liuzhou", "channel to join")
	org := flag.String("org", "CityBMSP", "org the new peers belong to (a member of the channel)")
	port := flag.Int("port", 12151, "first port of the new peers (each takes port, +1, +2 (operations) and +8; the second peer port+100…)")
	bin := flag.String("bin", "bin", "directory of dataledger's binaries (go build -o bin/ ./cmd/...)")
	flag.Parse()

	base, err := network.Open(*description, *home, os.Stdout)
	if err != nil {
		log.Fatal(err)
	}
	o := base.D.Org(*org)
	if o == nil || len(o.Peers) == 0 {
		log.Fatalf("no org %s with a peer", *org)
	}
	if base.BinDir, err = filepath.Abs(*bin); err != nil {
		log.Fatal(err)
	}
	src := o.Peers[0]
	text, err := os.ReadFile(*description)
	if err != nil {
		log.Fatal(err)
	}
	line := func(name string, p, cc, ops, ccs int, host string) string {
		return fmt.Sprintf("      - {name: %s, host: %s, port: %d, chaincodePort: %d, operationsPort: %d, chaincodeServerPort: %d}\n", name, host, p, cc, ops, ccs)
	}
	first := line(src.Name, src.Port, src.ChaincodePort, src.OperationsPort, src.ChaincodeServerPort, src.Host)
	if !strings.Contains(string(text), first) {
		log.Fatalf("the description does not hold %s as %q", src.ID(), first)
	}
	for i, way := range []string{"snapshot", "genesis"} {
		name := fmt.Sprintf("peer%d", 8+i)
		p := *port + 100*i
		added := strings.Replace(string(text), first, first+line(name, p, p+1, p+2, p+8, src.Host), 1)
		path := filepath.Join(*home, "dataledger-join-"+way+".yaml")
		if err := os.WriteFile(path, []byte(added), 0o644); err != nil {
			log.Fatal(err)
		}
		n, err := network.Open(path, *home, os.Stdout)
		if err != nil {
			log.Fatal(err)
		}
		n.BinDir, n.SnapshotJoins, n.Bench = base.BinDir, way == "snapshot", true
		target, err := n.Height(src, *channel)
		if err != nil {
			log.Fatal(err)
		}
		peer := n.D.Org(*org).Peers[len(n.D.Org(*org).Peers)-1]
		// A peer of an earlier run starts again with nothing.
		if err := os.RemoveAll(n.L.NodeDir(peer.ID())); err != nil {
			log.Fatal(err)
		}
		// Watch the new peer from before up: when it first answers a
		// height on the channel (joined) and when it holds the target.
		var seen, caught time.Time
		var seenAt uint64
		done := make(chan struct{})
		go func() {
			defer close(done)
			for deadline := time.Now().Add(time.Hour); time.Now().Before(deadline); {
				h, err := n.Height(peer, *channel)
				if err == nil && seen.IsZero() {
					seen, seenAt = time.Now(), h
				}
				if err == nil && h >= target {
					caught = time.Now()
					return
				}
				time.Sleep(100 * time.Millisecond)
			}
		}()
		began := time.Now()
		if err := n.Up(*tools); err != nil {
			log.Fatal(err)
		}
		up := time.Since(began)
		<-done
		if caught.IsZero() {
			log.Fatalf("%s did not reach height %d of %s within an hour", peer.ID(), target, *channel)
		}
		fmt.Printf("JOIN %s: %s first answered %s at height %d %s after up began, held height %d %s later (up returned after %s)\n",
			way, peer.ID(), *channel, seenAt, seen.Sub(began).Round(time.Millisecond), target, caught.Sub(seen).Round(time.Millisecond), up.Round(time.Millisecond))
		for _, id := range []string{"cc." + peer.ID(), peer.ID()} {
			if _, err := n.StopService(id); err != nil {
				log.Printf("stopping %s: %v", id, err)
			}
		}
	}
}
