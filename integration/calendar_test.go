package integration

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"dataledger/chaincode/domain"
	"dataledger/gateway"
)

// TestMissingCalendarsShowBeforeTheyBite: the calendars the channels lack
// now (this year's; from 1 November next year's) show in `network
// status`, `network calendar status` (exit 1), the gateway's /readyz and
// its dataledger_calendar_missing series; `network calendar load` records
// a year on every channel with the notice it cites, and the warnings go.
// The year loaded here is a test calendar (weekends only), on the test
// network only: the official one is the State Council's.
func TestMissingCalendarsShowBeforeTheyBite(t *testing.T) {
	now := time.Now()
	shipped := map[int]bool{}
	for _, c := range domain.BuiltinCalendars() {
		shipped[c.Year] = true
	}
	var want []domain.CalendarGap
	for _, ch := range net.D.Channels {
		want = append(want, domain.CalendarGaps(ch.Name, now, func(y int) bool { return shipped[y] })...)
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
	code, body := request(t, "GET", srv.URL+"/readyz", "", nil)
	var ready struct {
		Status   string               `json:"status"`
		Warnings []domain.CalendarGap `json:"warnings"`
	}
	if err := json.Unmarshal(body, &ready); err != nil || code != 200 || ready.Status != "ready" {
		t.Fatalf("/readyz: %d %s", code, body)
	}
	// The public identity (the province) is a member of every channel.
	for _, g := range want {
		found := false
		for _, w := range ready.Warnings {
			found = found || (w.Channel == g.Channel && w.Year == g.Year)
		}
		if !found {
			t.Fatalf("/readyz does not warn of %s %d: %s", g.Channel, g.Year, body)
		}
	}
	_, metrics := request(t, "GET", srv.URL+"/metrics", "", nil)
	if len(ready.Warnings) > 0 && !strings.Contains(string(metrics), `dataledger_calendar_missing{channel="`+ready.Warnings[0].Channel+`",year="`) {
		t.Fatalf("no dataledger_calendar_missing series for %+v", ready.Warnings[0])
	}

	// Load each missing year (a weekends-only test calendar) with one command.
	years := map[int]bool{}
	for _, g := range want {
		years[g.Year] = true
	}
	for y := range years {
		cal := domain.Calendar{Year: y, Source: "集成测试用日历（仅周末休息，非官方安排）", Holidays: []string{}, Workdays: []string{}}
		b, _ := json.Marshal(cal)
		file := filepath.Join(t.TempDir(), "calendar.json")
		_ = os.WriteFile(file, b, 0o644)
		if out, err := cliOutput("network", "calendar", "load", file); err != nil || strings.Count(out, "loaded (集成测试用日历") != len(net.D.Channels) {
			t.Fatalf("calendar load %d: %v\n%s", y, err, out)
		}
		if out, err := cliOutput("network", "calendar", "load", file); err != nil || strings.Count(out, "loaded already") != len(net.D.Channels) {
			t.Fatalf("loading the same calendar again: %v\n%s", err, out)
		}
	}
	if out, err := cliOutput("network", "calendar", "status"); err != nil || !strings.Contains(out, "every channel has") {
		t.Fatalf("calendar status after loading: %v\n%s", err, out)
	}
	bad := filepath.Join(t.TempDir(), "bad.json")
	_ = os.WriteFile(bad, []byte(`{"year":2027,"source":"","holidays":[],"workdays":[]}`), 0o644)
	if out, err := cliOutput("network", "calendar", "load", bad); err == nil || !strings.Contains(out, "source") {
		t.Fatalf("a calendar that cites no notice: %v\n%s", err, out)
	}
}
