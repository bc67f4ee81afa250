package certs

import "github.com/gowebpki/jcs"

// Canonicalize returns the RFC 8785 (JCS) form of a JSON text: members sorted
// by UTF-16 code units, ES6 number form, minimal string escaping, no white
// space. Duplicate member names and invalid JSON are refused.
func Canonicalize(jsonText []byte) ([]byte, error) {
	return jcs.Transform(jsonText)
}
