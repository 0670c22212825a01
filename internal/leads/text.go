package leads

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// The rule for text (contract §10): every text the service takes — a path
// segment, a query value, a string of a JSON body, a token claim — is valid
// UTF-8 with no NUL character. Go's JSON decoder would quietly turn invalid
// UTF-8 into U+FFFD, and PostgreSQL refuses NUL where SQLite stores it, so the
// rule is applied at the edge, the same for both engines, before anything is
// decoded or stored.

// ValidText reports whether s is valid UTF-8 without NUL.
func ValidText(s string) bool {
	return utf8.ValidString(s) && !strings.ContainsRune(s, 0)
}

// TextError is the message of a text that breaks the rule.
const TextError = "must be valid UTF-8 text without NUL characters"

// CheckJSONText scans a JSON document's raw bytes for a string (a key or a
// value) that is not valid UTF-8, holds a NUL (raw or escaped as \u0000), or
// escapes half of a surrogate pair; it returns the dotted path of the first
// one ("profile.guardianName", "centerIds[2]"; for a bad key, the object
// holding it, "body" at the top), or ok. It does not otherwise
// validate the JSON: the decoder does that next.
func CheckJSONText(doc []byte) (path string, ok bool) {
	s := jsonScanner{doc: doc}
	return s.check()
}

// jsonScanner walks JSON, keeping the path of the value it is in.
type jsonScanner struct {
	doc  []byte
	i    int
	path []string // the path's parts: a key, or "[n]"
}

func (s *jsonScanner) check() (string, bool) {
	// stack of containers: 'o' object (next string is a key when keyNext),
	// 'a' array with its index.
	type frame struct {
		kind    byte
		keyNext bool
		index   int
	}
	var stack []frame
	for s.i < len(s.doc) {
		c := s.doc[s.i]
		switch c {
		case '{':
			stack = append(stack, frame{kind: 'o', keyNext: true})
			s.path = append(s.path, "")
			s.i++
		case '[':
			stack = append(stack, frame{kind: 'a'})
			s.path = append(s.path, "[0]")
			s.i++
		case '}', ']':
			if len(stack) > 0 {
				stack = stack[:len(stack)-1]
				s.path = s.path[:len(s.path)-1]
			}
			s.i++
		case ',':
			if n := len(stack); n > 0 {
				if stack[n-1].kind == 'o' {
					stack[n-1].keyNext = true
				} else {
					stack[n-1].index++
					s.path[len(s.path)-1] = "[" + strconv.Itoa(stack[n-1].index) + "]"
				}
			}
			s.i++
		case '"':
			isKey := len(stack) > 0 && stack[len(stack)-1].kind == 'o' && stack[len(stack)-1].keyNext
			text, good := s.readString()
			if isKey {
				// A bad key is named by where it is, not echoed back.
				s.path[len(s.path)-1] = text
				if !good || !ValidText(text) {
					s.path[len(s.path)-1] = ""
				}
				stack[len(stack)-1].keyNext = false
			}
			if !good {
				return s.dotted(), false
			}
		default:
			// Outside strings only ASCII belongs.
			if c == 0 || c >= 0x80 {
				return s.dotted(), false
			}
			s.i++
		}
	}
	return "", true
}

// dotted joins the path: keys with dots, indexes as [n].
func (s *jsonScanner) dotted() string {
	var b strings.Builder
	for _, p := range s.path {
		if p == "" {
			continue
		}
		if b.Len() > 0 && !strings.HasPrefix(p, "[") {
			b.WriteByte('.')
		}
		b.WriteString(p)
	}
	if b.Len() == 0 {
		return "body"
	}
	return b.String()
}

// readString reads the string at s.i (its opening quote) and returns its
// text (escapes kept as written; enough for a key in a path) and whether it
// keeps the rule.
func (s *jsonScanner) readString() (string, bool) {
	start := s.i + 1
	good := true
	i := start
	for i < len(s.doc) {
		c := s.doc[i]
		switch {
		case c == '"':
			s.i = i + 1
			return string(s.doc[start:i]), good
		case c == '\\' && i+1 < len(s.doc):
			if s.doc[i+1] == 'u' && i+6 <= len(s.doc) {
				v, err := strconv.ParseUint(string(s.doc[i+2:i+6]), 16, 16)
				switch {
				case err != nil:
				case v == 0:
					good = false
				case v >= 0xD800 && v <= 0xDBFF: // a high surrogate needs a low one next
					if !(i+12 <= len(s.doc) && s.doc[i+6] == '\\' && s.doc[i+7] == 'u') {
						good = false
						break
					}
					w, err := strconv.ParseUint(string(s.doc[i+8:i+12]), 16, 16)
					if err != nil || w < 0xDC00 || w > 0xDFFF {
						good = false
						break
					}
					i += 6
				case v >= 0xDC00 && v <= 0xDFFF: // a low surrogate alone
					good = false
				}
				i += 6
				continue
			}
			if s.doc[i+1] >= 0x80 {
				i++ // not an escape JSON knows: let the byte after be checked
				continue
			}
			i += 2
		case c == 0:
			good = false
			i++
		case c < 0x80:
			i++
		default:
			r, size := utf8.DecodeRune(s.doc[i:])
			if r == utf8.RuneError && size <= 1 {
				good = false
			}
			i += size
		}
	}
	s.i = len(s.doc)
	return string(s.doc[start:]), good
}
