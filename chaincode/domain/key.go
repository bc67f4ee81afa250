package domain

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// CompositeKey is the Fabric shim's composite key (U+0000, type, U+0000,
// each attribute followed by U+0000), with the shim's refusals (invalid
// UTF-8, U+0000 and U+10FFFF in the type or an attribute): the state key
// of a record, for the in-memory store and for proofs that look a record
// up in a block's write set. chaincode/store's tests prove it byte for
// byte equal to shim.CreateCompositeKey.
func CompositeKey(objectType string, attrs ...string) (string, error) {
	if err := keyPart(objectType); err != nil {
		return "", err
	}
	var b strings.Builder
	b.WriteString("\x00" + objectType + "\x00")
	for _, a := range attrs {
		if err := keyPart(a); err != nil {
			return "", err
		}
		b.WriteString(a + "\x00")
	}
	return b.String(), nil
}

func keyPart(s string) error {
	if !utf8.ValidString(s) || strings.ContainsRune(s, 0) || strings.ContainsRune(s, utf8.MaxRune) {
		return fmt.Errorf("invalid composite key attribute %q", s)
	}
	return nil
}

// SplitCompositeKey is the object type and attributes of a composite key,
// as the shim's SplitCompositeKey reads them; it refuses a string that is
// not a composite key.
func SplitCompositeKey(key string) (objectType string, attrs []string, err error) {
	if len(key) < 2 || key[0] != 0 || key[len(key)-1] != 0 {
		return "", nil, fmt.Errorf("%q is not a composite key", key)
	}
	parts := strings.Split(key[1:len(key)-1], "\x00")
	return parts[0], parts[1:], nil
}
