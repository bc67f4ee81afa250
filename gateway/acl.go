package gateway

import (
	_ "embed"
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"
)

//go:embed acl.yaml
var aclYAML []byte

// Route is one row of the allow table. A route is served either by a
// named handler, or by the generic transaction handler when it names a
// chaincode function (tx) and where its channel and arguments come from.
type Route struct {
	Method  string   `yaml:"method"`
	Path    string   `yaml:"path"`
	Handler string   `yaml:"handler"`
	Roles   []string `yaml:"roles"`
	Summary string   `yaml:"summary"`
	// PublicPerMinute bounds requests per minute from one public client
	// address (0: no bound); keyed callers are not limited by it.
	PublicPerMinute int `yaml:"publicPerMinute"`
	// KeyPerMinute bounds requests per minute with one API key (0: no
	// bound): routes that read much for one caller.
	KeyPerMinute int `yaml:"keyPerMinute"`
	// PublicTargetField names the body field whose value callers without a
	// key may name at most Config.PublicPerTarget times per
	// Config.PublicTargetWindow, from all addresses together ("": no bound).
	PublicTargetField string `yaml:"publicTargetField"`

	Tx      string   `yaml:"tx"`      // chaincode function
	Submit  bool     `yaml:"submit"`  // a write (submit and wait for commit) rather than a query
	Creates bool     `yaml:"creates"` // a write that creates a record: 201 Created
	Channel string   `yaml:"channel"` // param:NAME (a channel), number:NAME (the channel of a number's division)
	Args    []string `yaml:"args"`    // param:NAME, query:NAME[=default], body (the raw JSON body), body:FIELD
}

// ACL is the route × role allow table.
type ACL struct {
	Routes []Route `yaml:"routes"`
}

// LoadACL parses an allow table (the embedded acl.yaml when data is nil),
// refusing unknown roles and repeated routes.
func LoadACL(data []byte) (*ACL, error) {
	if data == nil {
		data = aclYAML
	}
	var a ACL
	if err := yaml.Unmarshal(data, &a); err != nil {
		return nil, fmt.Errorf("acl: %w", err)
	}
	seen := map[string]bool{}
	for _, r := range a.Routes {
		id := r.Method + " " + r.Path
		if seen[id] {
			return nil, fmt.Errorf("acl: %s is listed twice", id)
		}
		seen[id] = true
		for _, role := range r.Roles {
			if !contains(Roles, role) {
				return nil, fmt.Errorf("acl: %s: unknown role %q", id, role)
			}
		}
		if (r.Handler == "") == (r.Tx == "") {
			return nil, fmt.Errorf("acl: %s: name either a handler or a tx", id)
		}
		if r.Tx != "" && !strings.HasPrefix(r.Channel, "param:") && !strings.HasPrefix(r.Channel, "number:") {
			return nil, fmt.Errorf("acl: %s: channel must be param:NAME or number:NAME", id)
		}
		for _, a := range r.Args {
			if a != "body" && !strings.HasPrefix(a, "param:") && !strings.HasPrefix(a, "query:") && !strings.HasPrefix(a, "body:") {
				return nil, fmt.Errorf("acl: %s: argument source %q", id, a)
			}
		}
	}
	return &a, nil
}

// Allows tells whether role may call the route.
func (r Route) Allows(role string) bool { return contains(r.Roles, role) }
