// Added to FerretDB's sjson package by nims before FerretDB is built (see src/store/ferretdb.ts).

package sjson

import (
	"encoding/base64"
	"encoding/hex"
	"strconv"
	"time"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/FerretDB/FerretDB/internal/types"
)

// nimsCodec turns nims' decoder and encoder on; their tests turn it off to compare with FerretDB's own.
var nimsCodec = true

// fastUnmarshal decodes a stored document in one pass, as Marshal writes it: the schema first, then the
// fields in the schema's order. Unmarshal decodes every document through encoding/json twice over (a
// map of raw fields, then each field with a decoder of its own), which took most of FerretDB's CPU on a
// lookup. Anything not written that way, or not valid, answers ok false, and Unmarshal then decodes it
// as before: the result is the same either way.
func fastUnmarshal(data []byte) (doc *types.Document, ok bool) {
	if !nimsCodec {
		return nil, false
	}

	s := decoder{b: data}

	if !s.next('{') || s.key() != "$s" {
		return nil, false
	}

	fields, ok := s.schema()
	if !ok {
		return nil, false
	}

	doc = types.MakeDocument(len(fields))

	for _, f := range fields {
		if !s.next(',') || s.key() != f.key {
			return nil, false
		}

		v, ok := s.value(f.elem)
		if !ok {
			return nil, false
		}

		doc.Set(f.key, v)
	}

	// a key twice in the schema: Unmarshal refuses the document, so it is left to it
	if !s.next('}') || doc.Len() != len(fields) {
		return nil, false
	}

	s.space()

	return doc, !s.failed && s.i == len(s.b)
}

// fastElem is an elem of the schema, its object's properties in order.
type fastElem struct {
	t          elemType
	fields     []fastField // object
	hasFields  bool
	items      []*fastElem // array
	hasItems   bool
	options    string // regex
	hasOptions bool
	subtype    types.BinarySubtype // binData
	hasSubtype bool
}

type fastField struct {
	key  string
	elem *fastElem
}

// decoder reads JSON from b at i; failed is set by the first thing it cannot read.
type decoder struct {
	b      []byte
	i      int
	failed bool
}

func (s *decoder) fail() bool {
	s.failed = true
	return false
}

func (s *decoder) space() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

func (s *decoder) peek() byte {
	s.space()

	if s.i >= len(s.b) {
		return 0
	}

	return s.b[s.i]
}

// next consumes c, the next byte after any space.
func (s *decoder) next(c byte) bool {
	if s.failed || s.peek() != c {
		return s.fail()
	}

	s.i++

	return true
}

// key reads an object's key and the colon after it.
func (s *decoder) key() string {
	k, ok := s.string()
	if !ok || !s.next(':') {
		s.fail()
		return ""
	}

	return k
}

// members reads an object's or an array's members, from its opening bracket to its closing one, with
// read for each; false when one fails.
func (s *decoder) members(open, close byte, read func() bool) bool {
	if !s.next(open) {
		return false
	}

	for n := 0; s.peek() != close; n++ {
		if (n > 0 && !s.next(',')) || !read() || s.failed {
			return s.fail()
		}
	}

	s.i++

	return true
}

// schema reads a document's schema, {"p": {properties}, "$k": [keys]}, or {} for an empty one. The keys
// must list the properties in their order, as Marshal writes them.
func (s *decoder) schema() ([]fastField, bool) {
	var fields []fastField
	var keys []string

	ok := s.members('{', '}', func() bool {
		switch s.key() {
		case "p":
			if fields != nil {
				return false
			}

			fields = []fastField{}

			return s.members('{', '}', func() bool {
				k := s.key()
				e, ok := s.elem()
				fields = append(fields, fastField{key: k, elem: e})

				return ok
			})
		case "$k":
			if keys != nil {
				return false
			}

			keys = []string{}

			return s.members('[', ']', func() bool {
				k, ok := s.string()
				keys = append(keys, k)

				return ok
			})
		}

		return false
	})

	if !ok || len(keys) != len(fields) {
		return nil, s.fail()
	}

	for i, k := range keys {
		if fields[i].key != k {
			return nil, s.fail()
		}
	}

	return fields, true
}

// elem reads the schema of one value: {"t": type} with "$s", "i", "o" or "s" as its type needs.
func (s *decoder) elem() (*fastElem, bool) {
	e := new(fastElem)

	ok := s.members('{', '}', func() bool {
		switch s.key() {
		case "t":
			t, ok := s.string()
			e.t = elemType(t)

			return ok
		case "$s":
			e.fields, e.hasFields = s.schema()
			return e.hasFields
		case "i":
			e.items, e.hasItems = []*fastElem{}, true

			return s.members('[', ']', func() bool {
				item, ok := s.elem()
				e.items = append(e.items, item)

				return ok
			})
		case "o":
			e.options, e.hasOptions = s.string()
			return e.hasOptions
		case "s":
			n, err := strconv.ParseUint(string(s.number()), 10, 8)
			e.subtype, e.hasSubtype = types.BinarySubtype(n), true

			return err == nil
		}

		return false
	})

	return e, ok
}

// value reads one value as its schema says; null is null whatever the schema, as in Unmarshal.
func (s *decoder) value(e *fastElem) (any, bool) {
	if s.literal("null") {
		return types.Null, true
	}

	switch e.t {
	case elemTypeObject:
		if !e.hasFields || !s.next('{') {
			return nil, s.fail()
		}

		doc := types.MakeDocument(len(e.fields))

		for i, f := range e.fields {
			if i > 0 && !s.next(',') {
				return nil, false
			}

			if s.key() != f.key {
				return nil, s.fail()
			}

			v, ok := s.value(f.elem)
			if !ok {
				return nil, false
			}

			doc.Set(f.key, v)
		}

		return doc, s.next('}') && doc.Len() == len(e.fields)
	case elemTypeArray:
		if !e.hasItems || !s.next('[') {
			return nil, s.fail()
		}

		arr := types.MakeArray(len(e.items))

		for i, item := range e.items {
			if i > 0 && !s.next(',') {
				return nil, false
			}

			v, ok := s.value(item)
			if !ok {
				return nil, false
			}

			arr.Append(v)
		}

		return arr, s.next(']')
	case elemTypeDouble:
		f, err := strconv.ParseFloat(string(s.number()), 64)
		return f, err == nil || s.fail()
	case elemTypeString:
		return s.string()
	case elemTypeBinData:
		str, ok := s.string()
		if !ok || !e.hasSubtype {
			return nil, s.fail()
		}

		b, err := base64.StdEncoding.DecodeString(str)
		if err != nil {
			return nil, s.fail()
		}

		return types.Binary{B: b, Subtype: e.subtype}, true
	case elemTypeObjectID:
		str, ok := s.string()
		if !ok {
			return nil, s.fail()
		}

		b, err := hex.DecodeString(str)
		if err != nil || len(b) != types.ObjectIDLen {
			return nil, s.fail()
		}

		return types.ObjectID(b), true
	case elemTypeBool:
		if s.literal("true") {
			return true, true
		}

		return false, s.literal("false") || s.fail()
	case elemTypeDate:
		ms, err := strconv.ParseInt(string(s.number()), 10, 64)
		return time.UnixMilli(ms), err == nil || s.fail()
	case elemTypeRegex:
		pattern, ok := s.string()
		if !ok || !e.hasOptions {
			return nil, s.fail()
		}

		return types.Regex{Pattern: pattern, Options: e.options}, true
	case elemTypeInt:
		n, err := strconv.ParseInt(string(s.number()), 10, 32)
		return int32(n), err == nil || s.fail()
	case elemTypeTimestamp:
		n, err := strconv.ParseUint(string(s.number()), 10, 64)
		return types.Timestamp(n), err == nil || s.fail()
	case elemTypeLong:
		n, err := strconv.ParseInt(string(s.number()), 10, 64)
		return n, err == nil || s.fail()
	}

	return nil, s.fail()
}

// literal consumes word (true, false, null) when it comes next, whole.
func (s *decoder) literal(word string) bool {
	s.space()

	end := s.i + len(word)
	if end > len(s.b) || string(s.b[s.i:end]) != word {
		return false
	}

	if end < len(s.b) && isWordByte(s.b[end]) {
		return false
	}

	s.i = end

	return true
}

func isWordByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_'
}

// number reads a JSON number; anything else fails (strconv alone would take "+1", "0x1p3" or "Inf").
func (s *decoder) number() []byte {
	s.space()

	start := s.i
	digits := func() int {
		n := 0
		for s.i < len(s.b) && s.b[s.i] >= '0' && s.b[s.i] <= '9' {
			s.i++
			n++
		}

		return n
	}

	if s.i < len(s.b) && s.b[s.i] == '-' {
		s.i++
	}

	switch n := digits(); {
	case n == 0, n > 1 && s.b[s.i-n] == '0':
		s.fail()
		return nil
	}

	if s.i < len(s.b) && s.b[s.i] == '.' {
		s.i++

		if digits() == 0 {
			s.fail()
			return nil
		}
	}

	if s.i < len(s.b) && (s.b[s.i] == 'e' || s.b[s.i] == 'E') {
		s.i++

		if s.i < len(s.b) && (s.b[s.i] == '+' || s.b[s.i] == '-') {
			s.i++
		}

		if digits() == 0 {
			s.fail()
			return nil
		}
	}

	return s.b[start:s.i]
}

// string reads a JSON string. Escapes are decoded as encoding/json decodes them (a lone surrogate
// becomes U+FFFD); a control character or bytes that are not UTF-8 fail.
func (s *decoder) string() (string, bool) {
	if s.failed || s.peek() != '"' {
		return "", s.fail()
	}

	start := s.i + 1
	ascii := true

	for j := start; j < len(s.b); j++ {
		switch c := s.b[j]; {
		case c == '"':
			raw := s.b[start:j]
			if !ascii && !utf8.Valid(raw) {
				return "", s.fail()
			}

			s.i = j + 1

			return string(raw), true
		case c == '\\':
			return s.escaped(start, j)
		case c < 0x20:
			return "", s.fail()
		case c >= utf8.RuneSelf:
			ascii = false
		}
	}

	return "", s.fail()
}

// escaped reads the rest of a string that has an escape at j.
func (s *decoder) escaped(start, j int) (string, bool) {
	out := make([]byte, 0, j-start+64)
	out = append(out, s.b[start:j]...)

	for j < len(s.b) {
		c := s.b[j]

		switch {
		case c == '"':
			if !utf8.Valid(out) {
				return "", s.fail()
			}

			s.i = j + 1

			return string(out), true
		case c < 0x20:
			return "", s.fail()
		case c != '\\':
			// copy the run up to the next quote or escape at once
			k := j + 1
			for k < len(s.b) && s.b[k] != '"' && s.b[k] != '\\' && s.b[k] >= 0x20 {
				k++
			}

			out = append(out, s.b[j:k]...)
			j = k

			continue
		}

		if j+1 >= len(s.b) {
			return "", s.fail()
		}

		switch s.b[j+1] {
		case '"', '\\', '/':
			out = append(out, s.b[j+1])
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			r := hex4(s.b, j)
			if r < 0 {
				return "", s.fail()
			}

			j += 6

			if utf16.IsSurrogate(r) {
				if pair := utf16.DecodeRune(r, hex4(s.b, j)); pair != unicode.ReplacementChar {
					out = utf8.AppendRune(out, pair)
					j += 6

					continue
				}

				r = unicode.ReplacementChar
			}

			out = utf8.AppendRune(out, r)

			continue
		default:
			return "", s.fail()
		}

		j += 2
	}

	return "", s.fail()
}

// hex4 is the rune of a \uXXXX escape at b[j:], or -1.
func hex4(b []byte, j int) rune {
	if j+6 > len(b) || b[j] != '\\' || b[j+1] != 'u' {
		return -1
	}

	var r rune

	for _, c := range b[j+2 : j+6] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			c = c - 'A' + 10
		default:
			return -1
		}

		r = r*16 + rune(c)
	}

	return r
}
