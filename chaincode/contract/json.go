package contract

import (
	"bytes"
	"encoding/json"
	"io"
)

// strictUnmarshal decodes one JSON object, refusing unknown members and
// trailing data, so a typo in a field name is an error, not a silent blank.
func strictUnmarshal(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return errTrailing
	}
	return nil
}
