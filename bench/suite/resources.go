package suite

import (
	"bytes"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"dataledger/network"
)

// ResourceRow is one process's CPU (percent of one core, averaged over
// the scenario) and peak resident memory.
type ResourceRow struct {
	Process   string
	CPU       float64
	PeakRSSMB int
}

type sampler struct {
	mu    sync.Mutex
	pids  map[string]int
	first map[string]uint64
	last  map[string]uint64
	peak  map[string]int
	start time.Time
	done  chan struct{}
	wg    sync.WaitGroup
}

// startSampler reads /proc for every process of the network (PID files)
// and the load generator itself, every 500 ms, until stop.
func startSampler(n *network.Net) *sampler {
	s := &sampler{pids: map[string]int{"load generator": os.Getpid()}, first: map[string]uint64{}, last: map[string]uint64{}, peak: map[string]int{}, start: time.Now(), done: make(chan struct{})}
	files, _ := filepath.Glob(filepath.Join(filepath.Dir(n.L.PIDFile("x")), "*.pid"))
	for _, f := range files {
		b, err := os.ReadFile(f)
		fields := strings.Fields(string(b)) // the PID, then the binary
		if len(fields) == 0 {
			continue
		}
		if pid, err2 := strconv.Atoi(fields[0]); err == nil && err2 == nil {
			s.pids[strings.TrimSuffix(filepath.Base(f), ".pid")] = pid
		}
	}
	s.sample()
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		t := time.NewTicker(500 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-s.done:
				return
			case <-t.C:
				s.sample()
			}
		}
	}()
	return s
}

func (s *sampler) sample() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for name, pid := range s.pids {
		ticks, rss, ok := procStat(pid)
		if !ok {
			continue
		}
		if _, seen := s.first[name]; !seen {
			s.first[name] = ticks
		}
		s.last[name] = ticks
		if rss > s.peak[name] {
			s.peak[name] = rss
		}
	}
}

func (s *sampler) stop() []ResourceRow {
	close(s.done)
	s.wg.Wait()
	s.sample()
	elapsed := time.Since(s.start).Seconds()
	var rows []ResourceRow
	for name := range s.first {
		cpu := float64(s.last[name]-s.first[name]) / 100 / elapsed * 100 // USER_HZ is 100 on Linux
		rows = append(rows, ResourceRow{Process: name, CPU: cpu, PeakRSSMB: s.peak[name] / 1024})
	}
	sort.Slice(rows, func(i, j int) bool { return rows[i].CPU > rows[j].CPU })
	return rows
}

// procStat reads a process's user+system CPU ticks and resident KiB.
func procStat(pid int) (uint64, int, bool) {
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, 0, false
	}
	// Fields after the command name, which may contain spaces: ") state ppid …"
	i := bytes.LastIndexByte(stat, ')')
	f := strings.Fields(string(stat[i+1:]))
	if len(f) < 13 {
		return 0, 0, false
	}
	ut, _ := strconv.ParseUint(f[11], 10, 64)
	st, _ := strconv.ParseUint(f[12], 10, 64)
	status, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	rss := 0
	for _, line := range strings.Split(string(status), "\n") {
		if strings.HasPrefix(line, "VmRSS:") {
			rss, _ = strconv.Atoi(strings.Fields(line)[1])
		}
	}
	return ut + st, rss, true
}
