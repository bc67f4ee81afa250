package index

import "testing"

// TestKindNamesAreRecordTypes: a kind is searched by its record type
// (the enterprise's view asks for domain.TypeX), so each kind's name is
// its record type.
func TestKindNamesAreRecordTypes(t *testing.T) {
	for _, k := range Kinds {
		if k.Name != k.RecordType {
			t.Errorf("kind %s holds record type %s", k.Name, k.RecordType)
		}
	}
}
