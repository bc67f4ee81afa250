// Package strictjson refuses JSON whose member names are ambiguous:
// a member named twice in one object, or a member whose name differs
// from a field of the target struct only by case. Go's encoding/json
// lets the last duplicate win and matches names case-insensitively, so
// {"name":"A","Name":"B"} decodes as "B" while a reader matching names
// exactly (a verifier in another language, a JSON schema) reads "A".
// Every decoder of outside input (the chaincode's arguments, the signed
// documents of certs, the gateway's request bodies) checks with this one
// package. It imports only the standard library, so the chaincode's
// domain, certs and the gateway can all use it.
package strictjson

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strconv"
	"strings"
	"sync"
)

// Rule is the rule code of an ambiguous member (kind invalid).
const Rule = "DL-JSON-MEMBER"

// Error is an ambiguous member: Path names it (members joined by ".",
// array elements as [i]).
type Error struct {
	Path   string
	Detail string
}

func (e *Error) Error() string { return e.Path + ": " + e.Detail }

// As returns err's *Error when it is one.
func As(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}

// Check scans one JSON value and refuses a member name repeated within an
// object (at any depth) and, where v's type says which struct an object
// decodes into, a member that matches none of its fields' names exactly
// but one of them case-insensitively. v is what would be decoded into (a
// pointer, a value or a reflect.Type); nil checks duplicates only. A JSON
// syntax error is returned as it is (not an *Error).
func Check(data []byte, v any) error {
	var t reflect.Type
	switch x := v.(type) {
	case nil:
	case reflect.Type:
		t = x
	default:
		t = reflect.TypeOf(v)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber() // numbers are skipped, never converted
	return walk(dec, t, "")
}

// Unmarshal decodes one JSON value into v, refusing unknown members,
// trailing data and (with Check) duplicate and case-variant members.
func Unmarshal(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return ErrTrailing
	}
	return Check(data, v)
}

// ErrTrailing is Unmarshal's refusal of data after the JSON value.
var ErrTrailing = errors.New("unexpected data after the JSON object")

var (
	unmarshaler = reflect.TypeFor[json.Unmarshaler]()
	rawMessage  = reflect.TypeFor[json.RawMessage]()
)

// shape reduces t to what its JSON content decodes as: nil when the
// content's members are not known (an interface, json.RawMessage, a type
// with its own UnmarshalJSON).
func shape(t reflect.Type) reflect.Type {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nil || t == rawMessage || t.Kind() == reflect.Interface ||
		t.Implements(unmarshaler) || reflect.PointerTo(t).Implements(unmarshaler) {
		return nil
	}
	return t
}

// MaxDepth bounds how deeply objects and arrays may nest: no document or
// argument of ours comes near it, and a hostile input nested a million
// levels deep is refused at once instead of being walked.
const MaxDepth = 64

func walk(dec *json.Decoder, t reflect.Type, path string) error {
	return walkAt(dec, t, path, 0)
}

func walkAt(dec *json.Decoder, t reflect.Type, path string, depth int) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	d, ok := tok.(json.Delim)
	if !ok {
		return nil
	}
	if depth >= MaxDepth {
		return &Error{Path: path, Detail: fmt.Sprintf("objects and arrays nest deeper than %d levels", MaxDepth)}
	}
	t = shape(t)
	switch d {
	case '{':
		var fields map[string]reflect.Type
		var elem reflect.Type
		if t != nil {
			switch t.Kind() {
			case reflect.Struct:
				fields = fieldsOf(t)
			case reflect.Map:
				elem = t.Elem()
			}
		}
		seen := map[string]bool{}
		for dec.More() {
			tok, err := dec.Token()
			if err != nil {
				return err
			}
			name, _ := tok.(string)
			at := join(path, name)
			if seen[name] {
				return &Error{Path: at, Detail: fmt.Sprintf("member %q appears more than once in the object", name)}
			}
			seen[name] = true
			child := elem
			if fields != nil {
				ft, exact := fields[name]
				if !exact {
					for known := range fields {
						if strings.EqualFold(known, name) {
							return &Error{Path: at, Detail: fmt.Sprintf("member %q differs from the member %q only by case; member names are matched exactly", name, known)}
						}
					}
				}
				child = ft
			}
			if err := walkAt(dec, child, at, depth+1); err != nil {
				return err
			}
		}
	case '[':
		var elem reflect.Type
		if t != nil && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array) {
			elem = t.Elem()
		}
		for i := 0; dec.More(); i++ {
			if err := walkAt(dec, elem, path+"["+strconv.Itoa(i)+"]", depth+1); err != nil {
				return err
			}
		}
	}
	_, err = dec.Token() // the closing delimiter
	return err
}

func join(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

var fieldCache sync.Map // reflect.Type → map[string]reflect.Type

// fieldsOf lists the JSON member names of struct t with their types, as
// encoding/json names them: the tag's name, else the Go name; fields of an
// untagged embedded struct promoted, the shallowest winning.
func fieldsOf(t reflect.Type) map[string]reflect.Type {
	if f, ok := fieldCache.Load(t); ok {
		return f.(map[string]reflect.Type)
	}
	out := map[string]reflect.Type{}
	depth := map[string]int{}
	var visit func(t reflect.Type, level int, seen map[reflect.Type]bool)
	visit = func(t reflect.Type, level int, seen map[reflect.Type]bool) {
		if seen[t] {
			return
		}
		seen[t] = true
		defer delete(seen, t)
		for i := range t.NumField() {
			sf := t.Field(i)
			tag := sf.Tag.Get("json")
			if tag == "-" {
				continue
			}
			name, _, _ := strings.Cut(tag, ",")
			ft := sf.Type
			if sf.Anonymous {
				et := ft
				if et.Kind() == reflect.Pointer {
					et = et.Elem()
				}
				if name == "" && et.Kind() == reflect.Struct {
					visit(et, level+1, seen)
					continue
				}
				if !sf.IsExported() {
					continue
				}
			} else if !sf.IsExported() {
				continue
			}
			if name == "" {
				name = sf.Name
			}
			if d, ok := depth[name]; ok && d <= level {
				continue
			}
			out[name], depth[name] = ft, level
		}
	}
	visit(t, 0, map[reflect.Type]bool{})
	fieldCache.Store(t, out)
	return out
}
