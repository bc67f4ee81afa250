package network

import "testing"

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
