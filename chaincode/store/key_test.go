package store

import (
	"reflect"
	"testing"

	"github.com/hyperledger/fabric-chaincode-go/v2/shim"

	"dataledger/chaincode/domain"
)

// domain.CompositeKey is what proofs look records up by and what Memory
// stores under: it must be the shim's own encoding, byte for byte, and
// refuse what the shim refuses.
func TestCompositeKeyIsTheShims(t *testing.T) {
	cases := []struct {
		objectType string
		attrs      []string
	}{
		{"jurisdiction", nil},
		{"party", []string{}},
		{"party", []string{"91450100MA5KXXXX0X"}},
		{domain.TypeCredential, []string{"SQ-450100-2026-3KQ7M2XA-K"}},
		{"credential~holder", []string{"91450100MA5KXXXX0X", "\x00"}},
		{"credential~holder", []string{"91450100MA5KXXXX0X", "SQ-450100-2026-3KQ7M2XA-K"}},
		{"bench", []string{"南宁市数据局", "😀", "a b\tc", ""}},
		{"", []string{""}},
		{"", nil},
		{"calendar", []string{"2026"}},
		{"bench", []string{"bad \xff utf-8"}},
		{"bench\xc3", []string{"x"}},
		{"bench", []string{"max \U0010FFFF rune"}},
		{"type\U0010FFFF", nil},
		{"type\x00", []string{"x"}},
		{"bench", []string{"ok", "nul \x00 inside"}},
		{"bench", []string{"\u0001 and \uFFFF and \U0010FFFE are fine"}},
	}
	refused := 0
	for _, c := range cases {
		want, wantErr := shim.CreateCompositeKey(c.objectType, c.attrs)
		got, err := domain.CompositeKey(c.objectType, c.attrs...)
		if (err != nil) != (wantErr != nil) {
			t.Errorf("CompositeKey(%q, %q): error %v, the shim's %v", c.objectType, c.attrs, err, wantErr)
			continue
		}
		if err != nil {
			refused++
			continue
		}
		if got != want {
			t.Errorf("CompositeKey(%q, %q) = %q, the shim's %q", c.objectType, c.attrs, got, want)
		}
		// Split reads it back as the shim does.
		stub := &shim.ChaincodeStub{}
		wantType, wantAttrs, _ := stub.SplitCompositeKey(want)
		gotType, gotAttrs, err := domain.SplitCompositeKey(got)
		if err != nil || gotType != wantType || !reflect.DeepEqual(gotAttrs, wantAttrs) {
			t.Errorf("SplitCompositeKey(%q) = %q, %q, %v; the shim's %q, %q", got, gotType, gotAttrs, err, wantType, wantAttrs)
		}
	}
	if refused != 7 {
		t.Errorf("%d cases refused, want the 7 with U+0000, U+10FFFF or invalid UTF-8", refused)
	}
	for _, notKey := range []string{"", "plain", "\x00unterminated", "party\x00"} {
		if _, _, err := domain.SplitCompositeKey(notKey); err == nil {
			t.Errorf("SplitCompositeKey(%q) accepted a string that is not a composite key", notKey)
		}
	}
}
