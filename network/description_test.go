package network

import (
	"os"
	"strings"
	"testing"
)

// The supervising authority of a city channel is, by default, the
// authority of its province's channel; a province channel has none.
func TestChannelsSupervisorIsTheProvincesAuthority(t *testing.T) {
	for _, file := range []string{"dataledger.yaml", "dataledger-netns.yaml"} {
		d, err := Load(file)
		if err != nil {
			t.Fatal(err)
		}
		cfg := d.ChannelConfigs()
		for channel, want := range map[string]string{"province": "", "nanning": "ProvinceMSP", "liuzhou": "ProvinceMSP"} {
			if got := cfg[channel].Supervisor; got != want {
				t.Errorf("%s: channel %s's supervisor is %q, want %q", file, channel, got, want)
			}
		}
	}
	d, _ := Load("dataledger.yaml")
	d.Channels[1].Supervisor = "ProvinceMSP" // named in the description: taken as named
	if got := d.ChannelConfigs()[d.Channels[1].Name].Supervisor; got != "ProvinceMSP" || d.Validate() != nil {
		t.Errorf("an explicit supervisor is not taken: %q (%v)", got, d.Validate())
	}
	for _, bad := range []string{"ExchangeMSP", "CityAMSP", "NoSuchMSP", "CityBMSP"} { // an exchange, itself, unknown, not a member
		d.Channels[1].Supervisor = bad
		if err := d.Validate(); err == nil {
			t.Errorf("supervisor %s of channel %s was accepted", bad, d.Channels[1].Name)
		}
	}
}

// A channel is ordered by its members' orderers: three at least, none of
// its orgs with half of them; members are named by MSP ID, once; an org
// that runs orderers is on a channel; "channels" is no org's name; an
// org's name is no other org's MSP ID.
func TestADescriptionKeepsEveryChannelsRaftMajority(t *testing.T) {
	base, err := os.ReadFile("dataledger.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Parse(base); err != nil {
		t.Fatalf("the shipped description: %v", err)
	}
	for what, edit := range map[string][2]string{
		"two consenters on nanning": {"members: [CityAMSP, ProvinceMSP, ExchangeMSP]}", "members: [CityAMSP, ProvinceMSP]}"},
		"a member by its name":      {"members: [CityBMSP, ProvinceMSP, ExchangeMSP]}", "members: [CityBMSP, province, ExchangeMSP]}"},
		"a member twice":            {"members: [CityBMSP, ProvinceMSP, ExchangeMSP]}", "members: [CityBMSP, ProvinceMSP, ExchangeMSP, ProvinceMSP]}"},
		"the province with half": {"      - {name: orderer0, host: 127.0.0.1, port: 7050, adminPort: 7053, operationsPort: 8443}\n",
			"      - {name: orderer0, host: 127.0.0.1, port: 7050, adminPort: 7053, operationsPort: 8443}\n      - {name: orderer1, host: 127.0.0.1, port: 7150, adminPort: 7153, operationsPort: 8449}\n      - {name: orderer2, host: 127.0.0.1, port: 7250, adminPort: 7253, operationsPort: 8450}\n"},
		"an org named channels":   {"  - name: cityb\n", "  - name: channels\n"},
		"a name another's MSP ID": {"  - name: cityb\n", "  - name: CityAMSP\n"},
	} {
		text := strings.Replace(string(base), edit[0], edit[1], 1)
		if text == string(base) {
			t.Fatalf("%s: the edit does not apply", what)
		}
		if _, err := Parse([]byte(text)); err == nil {
			t.Errorf("%s was accepted", what)
		}
	}
}
