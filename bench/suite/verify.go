package suite

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"dataledger/bench/load"
	"dataledger/chaincode/domain"
	"dataledger/network"
	"dataledger/network/sample"
)

// VerifyRow is one verification path at one number of connections.
type VerifyRow struct {
	Path  string
	Conns int
	Round int
	load.Result
}

// Verification paths.
const (
	PathBare     = "bare gin handler (/api/v1/ping)"
	PathCached   = "cached verification"
	PathUncached = "uncached verification (--no-cache)"
	PathEvaluate = "raw fabric-gateway Evaluate"
)

// runVerify starts two gateways of its own (in-process cache; --no-cache)
// as separate processes, registers a certificate, and drives each path
// for the same time at each number of connections.
func runVerify(o *Options, r *Report) error {
	is, err := sample.NewIssuer(o.Net, o.WriteChannel, "南宁市大数据发展局")
	if err != nil {
		return fmt.Errorf("%s", network.ErrorText(err))
	}
	defer is.Close()
	enterprise, err := is.Party(domain.PartyEnterprise, "压测核验企业")
	if err != nil {
		return fmt.Errorf("%s", network.ErrorText(err))
	}
	cert, build := is.CertificateFor(enterprise, "压测核验企业", "压测核验产品", []string{"RES-450100-0001"}, true)
	if _, err := is.RegisterCertificate(build, ""); err != nil {
		return fmt.Errorf("%s", network.ErrorText(err))
	}
	cached, stopCached, err := startGateway(o, "bench-gateway-cached", o.PortBase)
	if err != nil {
		return err
	}
	defer stopCached()
	uncached, stopUncached, err := startGateway(o, "bench-gateway-uncached", o.PortBase+1, "--no-cache")
	if err != nil {
		return err
	}
	defer stopUncached()
	// The raw Evaluate asks the same peer as the gateways' public identity.
	raw, err := o.Net.Connect("ProvinceMSP", "clerk", nil)
	if err != nil {
		return err
	}
	defer raw.Close()
	// The raw path takes the chaincode's answer undecoded, as the gateway
	// passes it on.
	verify := network.Tx.VerifyCertificate(cert.RegistrationNumber)
	// Every peer the gateways read from has the block before the clock starts.
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		if _, err := verify.Raw(raw, o.WriteChannel); err == nil {
			break
		} else if time.Now().After(deadline) {
			return fmt.Errorf("the certificate does not read on the province peer: %s", network.ErrorText(err))
		}
	}
	for _, c := range o.VerifyConns {
		hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: c, MaxConnsPerHost: c}, Timeout: 30 * time.Second}
		get := func(url string) func(int) string {
			return func(int) string {
				resp, err := hc.Get(url)
				if err != nil {
					return "error"
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				return strconv.Itoa(resp.StatusCode)
			}
		}
		paths := []struct {
			name string
			do   func(int) string
		}{
			{PathBare, get(cached + "/api/v1/ping")},
			{PathCached, get(cached + "/api/v1/verify/" + cert.RegistrationNumber)},
			{PathUncached, get(uncached + "/api/v1/verify/" + cert.RegistrationNumber)},
			{PathEvaluate, func(int) string {
				if _, err := verify.Raw(raw, o.WriteChannel); err != nil {
					return "error"
				}
				return "200"
			}},
		}
		for _, p := range paths {
			load.RunFor(c, o.VerifyFor/5, p.do) // warm-up: connections, cache
		}
		settle()
		rounds := max(1, o.Rounds)
		for round := range rounds {
			for _, p := range paths {
				res := load.RunFor(c, o.VerifyFor/time.Duration(rounds), p.do)
				r.Verify = append(r.Verify, VerifyRow{Path: p.name, Conns: c, Round: round, Result: res})
				o.logf("   %-36s round %d  %s", p.name, round+1, res)
			}
		}
		hc.CloseIdleConnections()
	}
	return nil
}

// startGateway runs dataledger-gateway as a service of the network's home
// with a state directory of its own; stop stops it.
func startGateway(o *Options, id string, port int, extra ...string) (string, func(), error) {
	state, err := os.MkdirTemp("", id+"-")
	if err != nil {
		return "", nil, err
	}
	listen := "127.0.0.1:" + strconv.Itoa(port)
	admin := "127.0.0.1:" + strconv.Itoa(port+10000) // /readyz is on the admin listener only
	args := append([]string{"--listen", listen, "--admin-listen", admin, "--description", o.Description, "--home", o.Net.L.Home,
		"--keys", filepath.Join(state, "keys.json"), "--state", state}, extra...)
	stop := func() {
		_, _ = o.Net.StopService(id)
		_ = os.RemoveAll(state)
	}
	if _, err := o.Net.StartService(id, o.GatewayBin, args, nil); err != nil {
		stop()
		return "", nil, err
	}
	if err := network.WaitReady("http://"+admin+"/readyz", 60*time.Second); err != nil {
		stop()
		return "", nil, fmt.Errorf("%s is not ready: %w (log: %s)", id, err, o.Net.L.LogFile(id))
	}
	return "http://" + listen, stop, nil
}
