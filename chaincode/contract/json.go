package contract

import "dataledger/internal/strictjson"

// strictUnmarshal decodes one JSON object, refusing unknown members,
// trailing data, and members named twice or differing from a field's
// name only by case (strictjson), so a typo in a field name is an error,
// not a silent blank, and no member is read differently by a reader
// matching names exactly.
func strictUnmarshal(b []byte, v any) error {
	return strictjson.Unmarshal(b, v)
}
