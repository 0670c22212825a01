package auth

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/leads/leads/internal/leads"
)

// FuzzVerify signs any header and payload with the service's secret (so the
// fuzzer reaches the claim checks, not only the signature) and verifies the
// token, then verifies the raw fuzzed text as a token too. Nothing panics; a
// tampered signature, another algorithm or an expired token is never
// accepted; an accepted token's subject, role and profile claims keep the
// rules of PUT /users and the rule for text.
func FuzzVerify(f *testing.F) {
	hs := `{"alg":"HS256","typ":"JWT"}`
	exp := `4102444800` // 2100
	for _, seed := range []struct {
		header, payload string
	}{
		{hs, `{"sub":"u1","exp":` + exp + `}`},
		{hs, `{"sub":"u1","exp":` + exp + `,"role":"staff","name":"Ada Obi","email":"ada@example.com","phone":"08012345678"}`},
		{hs, `{"sub":"u1","exp":` + exp + `,"role":"admin"}`},
		{hs, `{"sub":"u1","exp":` + exp + `,"role":"root"}`},
		{hs, `{"sub":"u1","exp":1}`},
		{hs, `{"sub":"","exp":` + exp + `}`},
		{hs, `{"exp":` + exp + `}`},
		{hs, `{"sub":"u1"}`},
		{hs, `{"sub":"u\u00001","exp":` + exp + `}`},
		{hs, "{\"sub\":\"u1\",\"exp\":" + exp + ",\"name\":\"A\xffda\"}"},
		{hs, `{"sub":"u1","exp":` + exp + `,"name":"\ud800"}`},
		{hs, `{"sub":"u1","exp":` + exp + `,"email":"not-an-email"}`},
		{hs, `{"sub":"u1","exp":` + exp + `,"name":"   "}`},
		{hs, `{"sub":"u1","exp":` + exp + `,"nbf":4102444800}`},
		{`{"alg":"none","typ":"JWT"}`, `{"sub":"u1","exp":` + exp + `}`},
		{`{"alg":"RS256","typ":"JWT"}`, `{"sub":"u1","exp":` + exp + `}`},
		{`{"alg":"HS512","typ":"JWT"}`, `{"sub":"u1","exp":` + exp + `}`},
		{`{"alg":"HS256","crit":["x"]}`, `{"sub":"u1","exp":` + exp + `}`},
	} {
		f.Add(seed.header, seed.payload, false)
		f.Add(seed.header, seed.payload, true)
	}
	v := NewVerifier(testSecret)
	now := time.Now()
	f.Fuzz(func(t *testing.T, header, payload string, tamper bool) {
		enc := base64.RawURLEncoding
		signed := enc.EncodeToString([]byte(header)) + "." + enc.EncodeToString([]byte(payload))
		m := hmac.New(sha256.New, testSecret)
		m.Write([]byte(signed))
		sig := m.Sum(nil)
		if tamper {
			sig[len(sig)-1] ^= 1
		}
		tok := signed + "." + enc.EncodeToString(sig)

		p, err := v.Verify(tok)
		if err == nil {
			if tamper {
				t.Fatalf("accepted a tampered signature: %q %q", header, payload)
			}
			var h struct {
				Alg string `json:"alg"`
			}
			if json.Unmarshal([]byte(header), &h) != nil || h.Alg != "HS256" {
				t.Fatalf("accepted header %q", header)
			}
			var c struct {
				Exp *float64 `json:"exp"`
			}
			if json.Unmarshal([]byte(payload), &c) != nil || c.Exp == nil || time.Unix(int64(*c.Exp), 0).Before(now.Add(-time.Minute)) {
				t.Fatalf("accepted payload %q without a future exp", payload)
			}
			checkPrincipal(t, p, payload)
		}
		// The fuzzed text itself as a token (and as a header, and a payload).
		for _, raw := range []string{header, payload, header + "." + payload + ".x"} {
			if p, err := v.Verify(raw); err == nil {
				t.Fatalf("accepted an unsigned token %q as %+v", raw, p)
			}
		}
	})
}

// checkPrincipal fails unless p keeps the rules of an accepted token.
func checkPrincipal(t *testing.T, p Principal, payload string) {
	t.Helper()
	if p.UserID == "" || !leads.ValidText(p.UserID) || utf8.RuneCountInString(p.UserID) > leads.MaxStringLen {
		t.Fatalf("accepted subject %q from %q", p.UserID, payload)
	}
	if p.Role != RoleStudent && p.Role != RoleStaff && p.Role != RoleAdmin {
		t.Fatalf("accepted role %q from %q", p.Role, payload)
	}
	for name, c := range map[string]*string{"name": p.Name, "email": p.Email, "phone": p.Phone} {
		if c == nil {
			continue
		}
		if !leads.ValidText(*c) || strings.TrimSpace(*c) == "" || utf8.RuneCountInString(*c) > leads.MaxStringLen {
			t.Fatalf("accepted %s claim %q from %q", name, *c, payload)
		}
	}
	if p.Email != nil && !leads.ValidEmail(*p.Email) {
		t.Fatalf("accepted email %q", *p.Email)
	}
}
