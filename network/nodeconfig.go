package network

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"gopkg.in/yaml.v3"

	"dataledger/network/ccaas"
	"dataledger/network/fabricbin"
)

// setPath sets a dotted key in a decoded YAML map, creating maps on the way.
func setPath(m map[string]any, path string, v any) {
	parts := strings.Split(path, ".")
	for _, p := range parts[:len(parts)-1] {
		next, ok := m[p].(map[string]any)
		if !ok {
			next = map[string]any{}
			m[p] = next
		}
		m = next
	}
	m[parts[len(parts)-1]] = v
}

func loadTemplate(name string) (map[string]any, error) {
	data, err := os.ReadFile(fabricbin.ConfigTemplate(name))
	if err != nil {
		return nil, fmt.Errorf("Fabric's sample %s (built with the binaries): %w", name, err)
	}
	m := map[string]any{}
	return m, yaml.Unmarshal(data, &m)
}

// writePeerConfig writes the peer's core.yaml: Fabric's sample with the
// node's identity, addresses, TLS, data paths, no Docker and our external
// chaincode builder.
func (n *Net) writePeerConfig(p *Peer) error {
	m, err := loadTemplate("core.yaml")
	if err != nil {
		return err
	}
	crypto := n.L.NodeCryptoDir(p.org, p.Name)
	dir := n.L.NodeDir(p.ID())
	addr := p.Address()
	cc := fmt.Sprintf("%s:%d", p.Host, p.ChaincodePort)
	for k, v := range map[string]any{
		"peer.id":                                p.Hostname(),
		"peer.networkId":                         n.D.Name,
		"peer.listenAddress":                     addr,
		"peer.address":                           addr,
		"peer.chaincodeListenAddress":            cc,
		"peer.chaincodeAddress":                  cc,
		"peer.gossip.bootstrap":                  addr,
		"peer.gossip.externalEndpoint":           addr,
		"peer.localMspId":                        p.org.MSPID,
		"peer.mspConfigPath":                     filepath.Join(crypto, "msp"),
		"peer.tls.enabled":                       true,
		"peer.tls.cert.file":                     filepath.Join(crypto, "tls", "server.crt"),
		"peer.tls.key.file":                      filepath.Join(crypto, "tls", "server.key"),
		"peer.tls.rootcert.file":                 filepath.Join(crypto, "tls", "ca.crt"),
		"peer.fileSystemPath":                    filepath.Join(dir, "data"),
		"ledger.snapshots.rootDir":               filepath.Join(dir, "snapshots"),
		"operations.listenAddress":               fmt.Sprintf("%s:%d", p.Host, p.OperationsPort),
		"metrics.provider":                       "prometheus",
		"vm.endpoint":                            "",
		"chaincode.externalBuilders":             []any{map[string]any{"name": "dataledger-ccaas", "path": n.L.BuilderDir(), "propagateEnvironment": []string{ccaas.AddressEnv}}},
		"chaincode.logging.level":                "warning",
		"peer.limits.concurrency.gatewayService": 500,
	} {
		setPath(m, k, v)
	}
	return n.writeYAML(filepath.Join(dir, "core.yaml"), m)
}

// writeOrdererConfig writes orderer.yaml: TLS on every endpoint, channel
// participation API with mutual TLS for the admin endpoint, no system
// channel.
func (n *Net) writeOrdererConfig(x *Orderer) error {
	m, err := loadTemplate("orderer.yaml")
	if err != nil {
		return err
	}
	crypto := n.L.NodeCryptoDir(x.org, x.Name)
	dir := n.L.NodeDir(x.ID())
	tls := func(f string) string { return filepath.Join(crypto, "tls", f) }
	for k, v := range map[string]any{
		"General.ListenAddress":             x.Host,
		"General.ListenPort":                x.Port,
		"General.TLS.Enabled":               true,
		"General.TLS.PrivateKey":            tls("server.key"),
		"General.TLS.Certificate":           tls("server.crt"),
		"General.TLS.RootCAs":               []string{tls("ca.crt")},
		"General.Cluster.ClientCertificate": tls("server.crt"),
		"General.Cluster.ClientPrivateKey":  tls("server.key"),
		"General.BootstrapMethod":           "none",
		"General.LocalMSPDir":               filepath.Join(crypto, "msp"),
		"General.LocalMSPID":                x.org.MSPID,
		"FileLedger.Location":               filepath.Join(dir, "ledger"),
		"Consensus.WALDir":                  filepath.Join(dir, "etcdraft", "wal"),
		"Consensus.SnapDir":                 filepath.Join(dir, "etcdraft", "snapshot"),
		"Operations.ListenAddress":          fmt.Sprintf("%s:%d", x.Host, x.OperationsPort),
		"Metrics.Provider":                  "prometheus",
		"Admin.ListenAddress":               fmt.Sprintf("%s:%d", x.Host, x.AdminPort),
		"Admin.TLS.Enabled":                 true,
		"Admin.TLS.Certificate":             tls("server.crt"),
		"Admin.TLS.PrivateKey":              tls("server.key"),
		"Admin.TLS.ClientAuthRequired":      true,
		"Admin.TLS.ClientRootCAs":           []string{n.L.TLSCACert(x.org)},
		"ChannelParticipation.Enabled":      true,
	} {
		setPath(m, k, v)
	}
	return n.writeYAML(filepath.Join(dir, "orderer.yaml"), m)
}
