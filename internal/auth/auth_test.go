package auth

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/MicahParks/jwkset"
	"github.com/golang-jwt/jwt/v5"
)

var testSecret = []byte("test-secret-of-reasonable-length-0123456789")

// sign signs claims with method and key, setting kid when not empty.
func sign(t *testing.T, method jwt.SigningMethod, key any, kid string, c jwt.MapClaims) string {
	t.Helper()
	tok := jwt.NewWithClaims(method, c)
	if kid != "" {
		tok.Header["kid"] = kid
	}
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatalf("sign %s: %v", method.Alg(), err)
	}
	return s
}

// claimsFor returns valid claims for sub with extra fields merged in; a nil
// value in extra removes the claim.
func claimsFor(sub string, extra map[string]any) jwt.MapClaims {
	c := jwt.MapClaims{"sub": sub, "exp": time.Now().Add(time.Hour).Unix(), "iat": time.Now().Unix()}
	for k, v := range extra {
		if v == nil {
			delete(c, k)
			continue
		}
		c[k] = v
	}
	return c
}

// jwksFixture is a JWK Set served by a local HTTP server with one RSA and one
// ECDSA key.
type jwksFixture struct {
	url    string
	rsaKey *rsa.PrivateKey
	ecKey  *ecdsa.PrivateKey
	rsaPEM []byte // the RSA public key, PEM-encoded, as an attacker could fetch it
}

func newJWKSFixture(t *testing.T) jwksFixture {
	t.Helper()
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	store := jwkset.NewMemoryStorage()
	for _, k := range []struct {
		key any
		kid string
		alg jwkset.ALG
	}{
		{&rsaKey.PublicKey, "rsa-1", jwkset.AlgRS256},
		{&ecKey.PublicKey, "ec-1", jwkset.AlgES256},
	} {
		jwk, err := jwkset.NewJWKFromKey(k.key, jwkset.JWKOptions{Metadata: jwkset.JWKMetadataOptions{KID: k.kid, ALG: k.alg}})
		if err != nil {
			t.Fatal(err)
		}
		if err := store.KeyWrite(ctx, jwk); err != nil {
			t.Fatal(err)
		}
	}
	body, err := store.JSONPublic(ctx)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body)
	}))
	t.Cleanup(srv.Close)
	der, err := x509.MarshalPKIXPublicKey(&rsaKey.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	return jwksFixture{
		url: srv.URL, rsaKey: rsaKey, ecKey: ecKey,
		rsaPEM: pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}),
	}
}

func TestVerify(t *testing.T) {
	fx := newJWKSFixture(t)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	hs := NewVerifier(testSecret)
	jwksOnly, err := NewVerifierWithJWKS(ctx, nil, fx.url)
	if err != nil {
		t.Fatalf("NewVerifierWithJWKS: %v", err)
	}
	jwksAndSecret, err := NewVerifierWithJWKS(ctx, testSecret, fx.url)
	if err != nil {
		t.Fatalf("NewVerifierWithJWKS with secret: %v", err)
	}
	past := time.Now().Add(-time.Hour).Unix()
	str := func(s string) *string { return &s }

	tests := []struct {
		name     string
		verifier *Verifier
		token    string
		want     *Principal // nil: the token must be refused
	}{
		{"good HS256", hs, sign(t, jwt.SigningMethodHS256, testSecret, "", claimsFor("u1", nil)),
			&Principal{UserID: "u1", Role: RoleStudent}},
		{"expired", hs, sign(t, jwt.SigningMethodHS256, testSecret, "", claimsFor("u1", map[string]any{"exp": past})), nil},
		{"no exp", hs, sign(t, jwt.SigningMethodHS256, testSecret, "", claimsFor("u1", map[string]any{"exp": nil})), nil},
		{"alg none", hs, sign(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, "", claimsFor("u1", nil)), nil},
		{"alg none with JWKS", jwksAndSecret, sign(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, "", claimsFor("u1", nil)), nil},
		{"HS384", hs, sign(t, jwt.SigningMethodHS384, testSecret, "", claimsFor("u1", nil)), nil},
		{"HS512", hs, sign(t, jwt.SigningMethodHS512, testSecret, "", claimsFor("u1", nil)), nil},
		{"bad signature", hs, sign(t, jwt.SigningMethodHS256, []byte("another-secret"), "", claimsFor("u1", nil)), nil},
		{"no sub", hs, sign(t, jwt.SigningMethodHS256, testSecret, "", claimsFor("", nil)), nil},
		{"unknown role", hs, sign(t, jwt.SigningMethodHS256, testSecret, "", claimsFor("u1", map[string]any{"role": "superuser"})), nil},
		{"staff role", hs, sign(t, jwt.SigningMethodHS256, testSecret, "", claimsFor("s1", map[string]any{"role": "staff"})),
			&Principal{UserID: "s1", Role: RoleStaff}},
		{"admin role", hs, sign(t, jwt.SigningMethodHS256, testSecret, "", claimsFor("a1", map[string]any{"role": "admin"})),
			&Principal{UserID: "a1", Role: RoleAdmin}},
		{"profile claims carried", hs, sign(t, jwt.SigningMethodHS256, testSecret, "",
			claimsFor("u2", map[string]any{"name": "Mercy Isaiah", "email": "mercy@example.com", "phone": "+2348012345678"})),
			&Principal{UserID: "u2", Role: RoleStudent, Name: str("Mercy Isaiah"), Email: str("mercy@example.com"), Phone: str("+2348012345678")}},
		{"HS256 with no secret configured", jwksOnly, sign(t, jwt.SigningMethodHS256, testSecret, "", claimsFor("u1", nil)), nil},
		{"HS256 with secret and JWKS", jwksAndSecret, sign(t, jwt.SigningMethodHS256, testSecret, "", claimsFor("u1", nil)),
			&Principal{UserID: "u1", Role: RoleStudent}},
		{"RS256 from JWKS", jwksOnly, sign(t, jwt.SigningMethodRS256, fx.rsaKey, "rsa-1", claimsFor("r1", map[string]any{"role": "staff"})),
			&Principal{UserID: "r1", Role: RoleStaff}},
		{"ES256 from JWKS", jwksAndSecret, sign(t, jwt.SigningMethodES256, fx.ecKey, "ec-1", claimsFor("e1", nil)),
			&Principal{UserID: "e1", Role: RoleStudent}},
		{"RS256 without JWKS", hs, sign(t, jwt.SigningMethodRS256, fx.rsaKey, "rsa-1", claimsFor("r1", nil)), nil},
		{"RS256 kid not in set", jwksOnly, sign(t, jwt.SigningMethodRS256, fx.rsaKey, "rsa-unknown", claimsFor("r1", nil)), nil},
		{"RS256 under the EC kid", jwksOnly, sign(t, jwt.SigningMethodRS256, fx.rsaKey, "ec-1", claimsFor("r1", nil)), nil},
		{"RS256 expired", jwksOnly, sign(t, jwt.SigningMethodRS256, fx.rsaKey, "rsa-1", claimsFor("r1", map[string]any{"exp": past})), nil},
		{"HS256 signed with RSA public key, JWKS only", jwksOnly, sign(t, jwt.SigningMethodHS256, fx.rsaPEM, "rsa-1", claimsFor("x", nil)), nil},
		{"HS256 signed with RSA public key, JWKS and secret", jwksAndSecret, sign(t, jwt.SigningMethodHS256, fx.rsaPEM, "rsa-1", claimsFor("x", nil)), nil},
		{"garbage", hs, "not.a.token", nil},
		{"empty", hs, "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.verifier.Verify(tt.token)
			if tt.want == nil {
				if !errors.Is(err, ErrInvalidToken) {
					t.Fatalf("Verify = %+v, %v; want ErrInvalidToken", got, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if got.UserID != tt.want.UserID || got.Role != tt.want.Role {
				t.Errorf("principal = %s/%s, want %s/%s", got.UserID, got.Role, tt.want.UserID, tt.want.Role)
			}
			for _, f := range []struct {
				field     string
				got, want *string
			}{{"name", got.Name, tt.want.Name}, {"email", got.Email, tt.want.Email}, {"phone", got.Phone, tt.want.Phone}} {
				if (f.got == nil) != (f.want == nil) || (f.got != nil && *f.got != *f.want) {
					t.Errorf("%s = %v, want %v", f.field, deref(f.got), deref(f.want))
				}
			}
		})
	}
}

func deref(s *string) string {
	if s == nil {
		return "<nil>"
	}
	return *s
}

func TestNewVerifierWithJWKSUnreachable(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if _, err := NewVerifierWithJWKS(ctx, testSecret, url); err == nil {
		t.Fatal("NewVerifierWithJWKS on a closed server: want an error")
	}
	if _, err := NewVerifierWithJWKS(ctx, testSecret, ""); err == nil {
		t.Fatal("NewVerifierWithJWKS with an empty URL: want an error")
	}
}

func TestMintRoundTrip(t *testing.T) {
	name, email := "Ada", "ada@example.com"
	tests := []struct {
		name string
		p    Principal
		ttl  time.Duration
		ok   bool
	}{
		{"student with profile", Principal{UserID: "u1", Role: RoleStudent, Name: &name, Email: &email}, time.Hour, true},
		{"admin", Principal{UserID: "a1", Role: RoleAdmin}, time.Minute, true},
		{"already expired", Principal{UserID: "u1", Role: RoleStudent}, -time.Hour, false},
	}
	v := NewVerifier(testSecret)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tok, err := Mint(testSecret, tt.p, tt.ttl, time.Now())
			if err != nil {
				t.Fatal(err)
			}
			got, err := v.Verify(tok)
			if !tt.ok {
				if err == nil {
					t.Fatalf("Verify = %+v; want an error", got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.UserID != tt.p.UserID || got.Role != tt.p.Role || deref(got.Name) != deref(tt.p.Name) || deref(got.Email) != deref(tt.p.Email) {
				t.Errorf("got %+v, want %+v", got, tt.p)
			}
		})
	}
	if _, err := Mint(nil, Principal{UserID: "u"}, time.Hour, time.Now()); err == nil {
		t.Error("Mint with an empty secret: want an error")
	}
}

func TestRoleAtLeast(t *testing.T) {
	tests := []struct {
		role, min Role
		want      bool
	}{
		{RoleStudent, RoleStudent, true},
		{RoleStudent, RoleStaff, false},
		{RoleStudent, RoleAdmin, false},
		{RoleStaff, RoleStudent, true},
		{RoleStaff, RoleStaff, true},
		{RoleStaff, RoleAdmin, false},
		{RoleAdmin, RoleStudent, true},
		{RoleAdmin, RoleStaff, true},
		{RoleAdmin, RoleAdmin, true},
		{Role("guest"), RoleStudent, false},
		{Role(""), RoleStudent, false},
	}
	for _, tt := range tests {
		t.Run(string(tt.role)+">="+string(tt.min), func(t *testing.T) {
			if got := tt.role.AtLeast(tt.min); got != tt.want {
				t.Errorf("%q.AtLeast(%q) = %v, want %v", tt.role, tt.min, got, tt.want)
			}
		})
	}
}

// A verified token whose claims break the rules for text or for a user's
// record is refused, naming the claim.
func TestVerifyClaimRules(t *testing.T) {
	v := NewVerifier(testSecret)
	long := strings.Repeat("n", 256)
	tests := []struct {
		name  string
		extra map[string]any
		claim string // "" when the token is fine
	}{
		{"fine", map[string]any{"name": "Ada Obi", "email": "ada@example.com", "phone": "+234 801"}, ""},
		{"NUL in the name", map[string]any{"name": "Ada\x00Obi"}, "name"},
		{"a 30,000-character name", map[string]any{"name": strings.Repeat("a", 30000)}, "name"},
		{"a long name", map[string]any{"name": long}, "name"},
		{"not an e-mail", map[string]any{"email": "not-an-email"}, "email"},
		{"blank phone", map[string]any{"phone": "  "}, "phone"},
		{"a long sub", map[string]any{"sub": long}, "sub"},
		{"NUL in sub", map[string]any{"sub": "u\x001"}, "sub"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := claimsFor("u1", nil)
			for k, val := range tt.extra {
				c[k] = val
			}
			_, err := v.Verify(sign(t, jwt.SigningMethodHS256, testSecret, "", c))
			var ce *ClaimError
			switch {
			case tt.claim == "" && err != nil:
				t.Errorf("Verify: %v", err)
			case tt.claim != "" && (!errors.As(err, &ce) || ce.Claim != tt.claim):
				t.Errorf("Verify = %v, want a ClaimError naming %s", err, tt.claim)
			}
		})
	}
	// Invalid UTF-8 inside the payload, which a JSON decoder would hide.
	payload := base64.RawURLEncoding.EncodeToString([]byte("{\"sub\":\"u1\",\"exp\":4102444800,\"name\":\"A\xffda\"}"))
	header := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT"}`))
	m := hmac.New(sha256.New, testSecret)
	m.Write([]byte(header + "." + payload))
	tok := header + "." + payload + "." + base64.RawURLEncoding.EncodeToString(m.Sum(nil))
	var ce *ClaimError
	if _, err := v.Verify(tok); !errors.As(err, &ce) || ce.Claim != "name" {
		t.Errorf("invalid UTF-8 in a claim: %v, want a ClaimError naming name", err)
	}
}

// TestVerifiedTokensRemembered: a token that passed is answered from memory
// until its exp (with the leeway) and for at most verifiedFor; a changed key
// is honoured from then on; a token that failed is checked again each time.
func TestVerifiedTokensRemembered(t *testing.T) {
	t0 := time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)
	clock := t0
	v := NewVerifier(testSecret)
	v.now = func() time.Time { return clock }
	long, err := Mint(testSecret, Principal{UserID: "u1", Role: RoleStaff}, time.Hour, t0)
	if err != nil {
		t.Fatal(err)
	}
	short, err := Mint(testSecret, Principal{UserID: "u2"}, 20*time.Second, t0)
	if err != nil {
		t.Fatal(err)
	}
	forged, err := Mint([]byte("another-secret-of-reasonable-length-0123"), Principal{UserID: "u3"}, time.Hour, t0)
	if err != nil {
		t.Fatal(err)
	}
	for _, tok := range []string{long, short} {
		if p, err := v.Verify(tok); err != nil || p.UserID == "" {
			t.Fatalf("fresh token refused: %+v, %v", p, err)
		}
	}
	v.secret = []byte("the-key-was-rotated-to-this-one-0123456789") // the next full check fails
	steps := []struct {
		at     time.Duration
		token  string
		wantOK bool
	}{
		{30 * time.Second, long, true},               // remembered: the old key is not asked
		{24 * time.Second, short, true},              // exp + leeway not passed yet
		{26 * time.Second, short, false},             // past exp + leeway
		{verifiedFor + time.Second, long, false},     // checked again, against the new key
		{verifiedFor + 2*time.Second, forged, false}, // never passed
		{verifiedFor + 3*time.Second, forged, false},
	}
	for _, s := range steps {
		clock = t0.Add(s.at)
		p, err := v.Verify(s.token)
		if (err == nil) != s.wantOK {
			t.Errorf("at +%v: Verify = %+v, %v; want ok %v", s.at, p, err, s.wantOK)
		}
		if s.wantOK && p.UserID == "" {
			t.Errorf("at +%v: no caller", s.at)
		}
	}
	v.secret = testSecret
	if p, err := v.Verify(long); err != nil || p.UserID != "u1" || p.Role != RoleStaff {
		t.Errorf("after the key came back: %+v, %v", p, err)
	}
}
