package leads

import (
	"bytes"
	"encoding/json"
	"unicode/utf8"
)

// Request bodies are JSON objects read member by member (decodeObject, then
// parser). encoding/json read each body twice over (validating, then
// decoding into a map) and each nested object again: a sixth of a re-save's
// CPU in a load run's profile. objectMembers reads an object once, validating
// it as encoding/json does and handing out each member's value as the bytes
// of the body it is (no copy). FuzzObjectMembers holds it to encoding/json.

// maxNesting is encoding/json's limit on nested arrays and objects.
const maxNesting = 10000

// rawParser walks JSON text.
type rawParser struct {
	doc   []byte
	i     int
	depth int
}

func (p *rawParser) space() {
	for p.i < len(p.doc) {
		switch p.doc[p.i] {
		case ' ', '\t', '\r', '\n':
			p.i++
		default:
			return
		}
	}
}

// value steps over one value at p.i; false when it is not valid JSON.
func (p *rawParser) value() bool {
	if p.i >= len(p.doc) {
		return false
	}
	switch c := p.doc[p.i]; {
	case c == '{':
		return p.object(nil)
	case c == '[':
		return p.array()
	case c == '"':
		return p.str()
	case c == '-' || '0' <= c && c <= '9':
		return p.number()
	case c == 't':
		return p.literal("true")
	case c == 'f':
		return p.literal("false")
	case c == 'n':
		return p.literal("null")
	}
	return false
}

// object steps over the object at p.i, putting its members in m unless m
// is nil (a later member of the same name replaces an earlier one, as
// encoding/json does for a map).
func (p *rawParser) object(m map[string]json.RawMessage) bool {
	return p.sequence('}', func() bool {
		if p.i >= len(p.doc) || p.doc[p.i] != '"' {
			return false
		}
		key := p.i
		if !p.str() {
			return false
		}
		keyEnd := p.i
		p.space()
		if p.i >= len(p.doc) || p.doc[p.i] != ':' {
			return false
		}
		p.i++
		p.space()
		start := p.i
		if !p.value() {
			return false
		}
		if m != nil {
			m[unquoteKey(p.doc[key:keyEnd])] = p.doc[start:p.i:p.i]
		}
		return true
	})
}

func (p *rawParser) array() bool { return p.sequence(']', p.value) }

// sequence steps over the object or array opening at p.i, whose items item
// steps over, up to close: none, or items separated by commas.
func (p *rawParser) sequence(close byte, item func() bool) bool {
	if p.depth++; p.depth > maxNesting {
		return false
	}
	defer func() { p.depth-- }()
	p.i++ // { or [
	p.space()
	if p.i < len(p.doc) && p.doc[p.i] == close {
		p.i++
		return true
	}
	for {
		if !item() {
			return false
		}
		p.space()
		if p.i >= len(p.doc) {
			return false
		}
		switch p.doc[p.i] {
		case ',':
			p.i++
			p.space()
		case close:
			p.i++
			return true
		default:
			return false
		}
	}
}

// str steps over a string. Its text's UTF-8 was checked before
// (CheckJSONText), and encoding/json accepts any bytes there anyway.
func (p *rawParser) str() bool {
	p.i++ // "
	for p.i < len(p.doc) {
		switch c := p.doc[p.i]; {
		case c == '"':
			p.i++
			return true
		case c == '\\':
			if p.i+1 >= len(p.doc) {
				return false
			}
			switch p.doc[p.i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				p.i += 2
			case 'u':
				if p.i+6 > len(p.doc) {
					return false
				}
				for _, h := range p.doc[p.i+2 : p.i+6] {
					if !('0' <= h && h <= '9' || 'a' <= h && h <= 'f' || 'A' <= h && h <= 'F') {
						return false
					}
				}
				p.i += 6
			default:
				return false
			}
		case c < 0x20:
			return false
		default:
			p.i++
		}
	}
	return false
}

// number steps over -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?; what
// follows is the caller's to judge.
func (p *rawParser) number() bool {
	digits := func() bool {
		start := p.i
		for p.i < len(p.doc) && '0' <= p.doc[p.i] && p.doc[p.i] <= '9' {
			p.i++
		}
		return p.i > start
	}
	if p.doc[p.i] == '-' {
		p.i++
	}
	switch {
	case p.i >= len(p.doc):
		return false
	case p.doc[p.i] == '0':
		p.i++
	case !digits():
		return false
	}
	if p.i < len(p.doc) && p.doc[p.i] == '.' {
		p.i++
		if !digits() {
			return false
		}
	}
	if p.i < len(p.doc) && (p.doc[p.i] == 'e' || p.doc[p.i] == 'E') {
		p.i++
		if p.i < len(p.doc) && (p.doc[p.i] == '+' || p.doc[p.i] == '-') {
			p.i++
		}
		if !digits() {
			return false
		}
	}
	return true
}

func (p *rawParser) literal(word string) bool {
	if !bytes.HasPrefix(p.doc[p.i:], []byte(word)) {
		return false
	}
	p.i += len(word)
	return true
}

// unquoteKey is the text of a member's name, given as its string literal
// (encoding/json's: escapes decoded, invalid UTF-8 as U+FFFD).
func unquoteKey(lit []byte) string {
	if bytes.IndexByte(lit, '\\') < 0 && utf8.Valid(lit) {
		return string(lit[1 : len(lit)-1])
	}
	var s string
	_ = json.Unmarshal(lit, &s) // valid: str stepped over it
	return s
}

// Why a body is not an object of members.
const (
	notJSON   = iota + 1 // not valid JSON
	notObject            // valid JSON, but another kind of value (null included)
)

// objectMembers reads doc as json.Decoder reads one value into a
// map[string]json.RawMessage and then asks More: the members of the object
// doc holds, or why not (notJSON, notObject). As with that decoder, a
// value other than an object is notObject before anything after it is
// looked at (but for null), and after the value only the next character
// counts: none, or ']' or '}', end the body (json.Decoder.More's rule).
func objectMembers(doc []byte) (map[string]json.RawMessage, int) {
	p := rawParser{doc: doc}
	p.space()
	if p.i >= len(doc) {
		return nil, notJSON
	}
	var m map[string]json.RawMessage
	isObject, isNull := doc[p.i] == '{', bytes.HasPrefix(doc[p.i:], []byte("null"))
	if isObject {
		m = make(map[string]json.RawMessage, 8)
		if !p.object(m) {
			return nil, notJSON
		}
	} else if !p.value() {
		return nil, notJSON
	} else if !isNull {
		return nil, notObject
	}
	p.space()
	if p.i < len(doc) && doc[p.i] != ']' && doc[p.i] != '}' {
		return nil, notJSON
	}
	if !isObject {
		return nil, notObject
	}
	return m, 0
}
