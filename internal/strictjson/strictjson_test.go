package strictjson

import (
	"encoding/json"
	"strings"
	"testing"
)

type inner struct {
	City string `json:"city"`
}

type Embedded struct {
	Code string `json:"code"`
}

type party struct {
	Embedded
	Name    string            `json:"name"`
	Address *inner            `json:"address"`
	Items   []inner           `json:"items"`
	Extra   map[string]inner  `json:"extra"`
	Raw     json.RawMessage   `json:"raw"`
	Any     any               `json:"any"`
	Labels  map[string]string `json:"labels"`
}

func TestUnmarshalRefusesAmbiguousMembers(t *testing.T) {
	for _, c := range []struct{ in, path string }{
		{`{"name":"A","Name":"B"}`, "Name"},
		{`{"Name":"B","name":"A"}`, "Name"},
		{`{"name":"A","name":"B"}`, "name"},
		{`{"name":"A","na\u006de":"B"}`, "name"},
		{`{"address":{"city":"A","city":"B"}}`, "address.city"},
		{`{"address":{"city":"A","CITY":"B"}}`, "address.CITY"},
		{`{"items":[{"city":"A"},{"city":"A","City":"B"}]}`, "items[1].City"},
		{`{"extra":{"k":{"city":"A","cIty":"B"}}}`, "extra.k.cIty"},
		{`{"extra":{"k":{},"k":{}}}`, "extra.k"},
		{`{"code":"A","CODE":"B"}`, "CODE"},
		{`{"raw":{"x":1,"x":2}}`, "raw.x"},
		{`{"any":[{"x":1,"x":2}]}`, "any[0].x"},
	} {
		var p party
		err := Unmarshal([]byte(c.in), &p)
		e, ok := As(err)
		if !ok || e.Path != c.path {
			t.Errorf("%s: got %v (%#v), want a %s refusal at %s", c.in, err, err, Rule, c.path)
		}
	}
}

func TestUnmarshalAcceptsExactNames(t *testing.T) {
	var p party
	in := `{"name":"A","code":"C","address":{"city":"X"},"items":[{"city":"Y"}],"extra":{"k":{"city":"Z"}},` +
		`"labels":{"a":"1","A":"2"},"raw":{"x":1,"X":2},"any":{"n":1}}`
	if err := Unmarshal([]byte(in), &p); err != nil {
		t.Fatal(err)
	}
	if p.Name != "A" || p.Code != "C" || p.Address.City != "X" || p.Labels["A"] != "2" {
		t.Errorf("decoded %+v", p)
	}
}

func TestUnmarshalKeepsItsOtherRefusals(t *testing.T) {
	var p party
	for _, in := range []string{`{"nme":"A"}`, `{"name":"A"} {}`, `{"name":`, `[1,2`} {
		if err := Unmarshal([]byte(in), &p); err == nil {
			t.Errorf("%s: accepted", in)
		} else if _, ok := As(err); ok {
			t.Errorf("%s: %v is not a member refusal", in, err)
		}
	}
}

func TestCheckWithoutTargetFindsDuplicatesOnly(t *testing.T) {
	if err := Check([]byte(`{"a":1,"A":2}`), nil); err != nil {
		t.Error(err)
	}
	if _, ok := As(Check([]byte(`[{"a":{"b":1,"b":2}}]`), nil)); !ok {
		t.Error("a nested duplicate passed")
	}
}

// A hostile input nested far deeper than any document is refused at once
// (it used to be walked, building an ever longer path at every level).
func TestDeepNestingIsRefusedQuickly(t *testing.T) {
	deep := strings.Repeat("[", 1_000_000) + strings.Repeat("]", 1_000_000)
	err := Check([]byte(deep), nil)
	if e, ok := As(err); !ok || !strings.Contains(e.Detail, "deeper than") {
		t.Fatalf("a million levels: %v", err)
	}
	ok := strings.Repeat(`{"a":`, MaxDepth-1) + "1" + strings.Repeat("}", MaxDepth-1)
	if err := Check([]byte(ok), nil); err != nil {
		t.Fatalf("%d levels: %v", MaxDepth-1, err)
	}
}
