package network

import (
	"fmt"
	"net"
	"os/exec"
	"slices"
	"strings"
)

// Network namespaces: an org whose description names a `netns` runs every
// process of it (orderers, peers, chaincode servers) inside that namespace,
// at its nodes' host address, reachable from the other namespaces and
// from the host over one bridge. This is how the deployment is shown not
// to depend on one host's loopback: each org sees only its own address.
// Needs root and `ip` (iproute2).

// Bridge is the root-namespace bridge joining the orgs' namespaces.
type Bridge struct {
	Name    string `yaml:"name"`    // e.g. dlbr0
	Address string `yaml:"address"` // the host's address on it, CIDR (e.g. 10.77.0.1/24)
}

func ipCmd(args ...string) error {
	out, err := exec.Command("ip", args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("ip %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return nil
}

func netnsList() []string {
	out, _ := exec.Command("ip", "netns", "list").Output()
	var names []string
	for _, line := range strings.Split(string(out), "\n") {
		if f := strings.Fields(line); len(f) > 0 {
			names = append(names, f[0])
		}
	}
	return names
}

// orgAddress is the single host address of an org's nodes (one namespace,
// one address).
func orgAddress(o *Org) (string, error) {
	var hosts []string
	for _, x := range o.Orderers {
		hosts = append(hosts, x.Host)
	}
	for _, p := range o.Peers {
		hosts = append(hosts, p.Host)
	}
	slices.Sort(hosts)
	hosts = slices.Compact(hosts)
	if len(hosts) != 1 || net.ParseIP(hosts[0]) == nil {
		return "", fmt.Errorf("org %s runs in netns %s: its nodes need one IP address as host, have %v", o.Name, o.NetNS, hosts)
	}
	return hosts[0], nil
}

// ensureNetNS creates, once, the bridge and each org's namespace with a
// veth into the bridge carrying the org's address.
func (n *Net) ensureNetNS() error {
	var orgs []*Org
	for _, o := range n.D.Orgs {
		if o.NetNS != "" {
			orgs = append(orgs, o)
		}
	}
	if len(orgs) == 0 {
		return nil
	}
	b := n.D.Bridge
	_, subnet, err := net.ParseCIDR(b.Address)
	if b.Name == "" || err != nil {
		return fmt.Errorf("orgs run in network namespaces: the description needs bridge: {name, address: CIDR} (%v)", err)
	}
	if exec.Command("ip", "link", "show", b.Name).Run() != nil {
		for _, args := range [][]string{{"link", "add", b.Name, "type", "bridge"}, {"addr", "add", b.Address, "dev", b.Name}, {"link", "set", b.Name, "up"}} {
			if err := ipCmd(args...); err != nil {
				return err
			}
		}
	}
	ones, _ := subnet.Mask.Size()
	existing := netnsList()
	for _, o := range orgs {
		if slices.Contains(existing, o.NetNS) {
			continue
		}
		addr, err := orgAddress(o)
		if err != nil {
			return err
		}
		veth := "dlv-" + o.Name
		if len(veth) > 15 {
			veth = veth[:15]
		}
		for _, args := range [][]string{
			{"netns", "add", o.NetNS},
			{"link", "add", veth, "type", "veth", "peer", "name", "eth0", "netns", o.NetNS},
			{"link", "set", veth, "master", b.Name, "up"},
			{"-n", o.NetNS, "addr", "add", fmt.Sprintf("%s/%d", addr, ones), "dev", "eth0"},
			{"-n", o.NetNS, "link", "set", "eth0", "up"},
			{"-n", o.NetNS, "link", "set", "lo", "up"},
		} {
			if err := ipCmd(args...); err != nil {
				return err
			}
		}
		fmt.Fprintf(n.Out, "  network namespace %s: %s on bridge %s\n", o.NetNS, addr, b.Name)
	}
	return nil
}

// RemoveNetNS deletes the orgs' namespaces (their veths go with them) and
// the bridge: after `down`, what `up` created for them.
func (n *Net) RemoveNetNS() error {
	existing := netnsList()
	for _, o := range n.D.Orgs {
		if o.NetNS != "" && slices.Contains(existing, o.NetNS) {
			if err := ipCmd("netns", "del", o.NetNS); err != nil {
				return err
			}
		}
	}
	if n.D.Bridge.Name != "" && exec.Command("ip", "link", "show", n.D.Bridge.Name).Run() == nil {
		return ipCmd("link", "del", n.D.Bridge.Name)
	}
	return nil
}

// netnsOf is the namespace a process of the network runs in ("" : the
// host's).
func (n *Net) netnsOf(id string) string {
	id = strings.TrimPrefix(id, "cc.")
	for _, o := range n.D.Orgs {
		for _, x := range o.Orderers {
			if x.ID() == id {
				return o.NetNS
			}
		}
		for _, p := range o.Peers {
			if p.ID() == id {
				return o.NetNS
			}
		}
	}
	return ""
}
