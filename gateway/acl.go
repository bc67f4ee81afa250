package gateway

import (
	_ "embed"
	"fmt"

	"gopkg.in/yaml.v3"
)

//go:embed acl.yaml
var aclYAML []byte

// Route is one row of the allow table.
type Route struct {
	Method  string   `yaml:"method"`
	Path    string   `yaml:"path"`
	Handler string   `yaml:"handler"`
	Roles   []string `yaml:"roles"`
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
	}
	return &a, nil
}

// Allows tells whether role may call the route.
func (r Route) Allows(role string) bool { return contains(r.Roles, role) }
