package integration

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"dataledger/chaincode/domain"
	"dataledger/gateway"
	"dataledger/network"
)

// TestMissingCalendarsShowBeforeTheyBite: the calendars the channels lack
// now (this year's; from 1 November next year's) show in `network
// status`, `network calendar status` (exit 1), the gateway's /readyz and
// its dataledger_calendar_missing series. `network calendar load` records
// a year on every channel with the notice it cites, refuses to replace
// another calendar of the year without a reason, and leaves the same one
// as it is (a far year: the test network's deadlines stay as they are).
func TestMissingCalendarsShowBeforeTheyBite(t *testing.T) {
	now := time.Now()
	shipped := map[int]bool{}
	for _, c := range domain.BuiltinCalendars() {
		shipped[c.Year] = true
	}
	var want []domain.CalendarGap
	clerk := connect(t, "ProvinceMSP", "clerk", nil) // a member of every channel
	for _, ch := range net.D.Channels {
		p, err := network.Tx.GetProfile().Evaluate(clerk, ch.Name)
		if err != nil {
			t.Fatal(network.ErrorText(err))
		}
		want = append(want, domain.CalendarGaps(ch.Name, now, p.Profile.Reach(), func(y int) bool { return shipped[y] })...)
	}
	t.Logf("calendars missing on %s: %d", now.In(domain.CST).Format(time.DateOnly), len(want))

	status, err := cliOutput("network", "status")
	if err != nil {
		t.Fatalf("network status: %v\n%s", err, status)
	}
	for _, g := range want {
		if !strings.Contains(status, g.Message) || !strings.Contains(status, g.Zh) {
			t.Fatalf("network status does not warn %q:\n%s", g.Message, status)
		}
	}
	if len(want) == 0 && !strings.Contains(status, "every channel has the working-day calendars") {
		t.Fatalf("network status says nothing of the calendars:\n%s", status)
	}
	out, err := cliOutput("network", "calendar", "status")
	if (err != nil) != (len(want) > 0) {
		t.Fatalf("calendar status with %d gaps: %v\n%s", len(want), err, out)
	}

	ks, _ := gateway.OpenKeyStore(filepath.Join(t.TempDir(), "keys.json"))
	srv, _ := startGateway(t, nil, ks)
	var ready struct {
		Status   string               `json:"status"`
		Warnings []domain.CalendarGap `json:"warnings"`
	}
	// The first probe starts the background read; later ones report it.
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		code, body := request(t, "GET", srv.URL+"/readyz", "", nil)
		if err := json.Unmarshal(body, &ready); err != nil || code != 200 || ready.Status != "ready" {
			t.Fatalf("/readyz: %d %s", code, body)
		}
		if len(ready.Warnings) >= len(want) || time.Now().After(deadline) {
			break
		}
	}
	// The public identity (the province) is a member of every channel.
	for _, g := range want {
		found := false
		for _, w := range ready.Warnings {
			found = found || (w.Channel == g.Channel && w.Year == g.Year)
		}
		if !found {
			t.Fatalf("/readyz does not warn of %s %d: %+v", g.Channel, g.Year, ready.Warnings)
		}
	}
	_, metrics := request(t, "GET", srv.URL+"/metrics", "", nil)
	for _, g := range want {
		if series := fmt.Sprintf(`dataledger_calendar_missing{channel=%q,year="%d"} 1`, g.Channel, g.Year); !strings.Contains(string(metrics), series) {
			t.Fatalf("no %s in /metrics", series)
		}
	}

	// Loading a year is one command, on every channel, citing its notice.
	// A year no deadline of the other tests reaches (the real next year
	// is the State Council's to publish).
	const year = 2998
	cal := domain.Calendar{Year: year, Source: "集成测试用日历（仅周末休息，非官方安排）", Holidays: []string{}, Workdays: []string{}}
	write := func(c domain.Calendar) string {
		b, _ := json.Marshal(c)
		file := filepath.Join(t.TempDir(), "calendar.json")
		_ = os.WriteFile(file, b, 0o644)
		return file
	}
	file := write(cal)
	if out, err := cliOutput("network", "calendar", "load", file); err != nil || strings.Count(out, "loaded (集成测试用日历") != len(net.D.Channels) {
		t.Fatalf("calendar load %d: %v\n%s", year, err, out)
	}
	cal.Holidays = []string{"2998-01-01"}
	cal.Source = "集成测试用日历（更正）"
	corrected := write(cal)
	if out, err := cliOutput("network", "calendar", "load", corrected); err == nil || !strings.Contains(out, "replacing it needs a reason") {
		t.Fatalf("another calendar for a loaded year, without --replace: %v\n%s", err, out)
	}
	if out, err := cliOutput("network", "calendar", "load", corrected, "--replace", "通知更正"); err != nil || strings.Count(out, "replaced (集成测试用日历（仅周末") != len(net.D.Channels) {
		t.Fatalf("calendar load --replace: %v\n%s", err, out)
	}
	if out, err := cliOutput("network", "calendar", "load", corrected); err != nil || strings.Count(out, "loaded already") != len(net.D.Channels) {
		t.Fatalf("loading the same calendar again: %v\n%s", err, out)
	}
	bad := filepath.Join(t.TempDir(), "bad.json")
	_ = os.WriteFile(bad, []byte(`{"year":2999,"source":"","holidays":[],"workdays":[]}`), 0o644)
	if out, err := cliOutput("network", "calendar", "load", bad); err == nil || !strings.Contains(out, "source") {
		t.Fatalf("a calendar that cites no notice: %v\n%s", err, out)
	}
}
