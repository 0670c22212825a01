package auth

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/MicahParks/keyfunc/v3"
	"github.com/golang-jwt/jwt/v5"
	lru "github.com/hashicorp/golang-lru/v2"

	"github.com/leads/leads/internal/leads"
)

// Verifier checks tokens. It is built once at start with the parsed keys, so a
// request costs one signature check and no key parsing.
type Verifier struct {
	secret []byte
	// jwks, when set, resolves RS256/ES256 keys by kid (see NewVerifierWithJWKS).
	jwks   jwt.Keyfunc
	parser *jwt.Parser
	// verified remembers tokens that passed, so that a caller's next requests
	// with the same token (a browser sends it with each) skip the signature,
	// the JSON of the claims and their rules. Only successes are kept, each
	// until its exp (with the parser's leeway) and for at most verifiedFor, so
	// a key dropped from the JWK Set stops being honoured within that time. A
	// token verifies alike in every instance: with several, this is never wrong.
	verified *lru.Cache[string, verifiedToken]
	now      func() time.Time
}

// verifiedToken is a token that passed: its caller, and until when that holds.
type verifiedToken struct {
	p     Principal
	until time.Time // the earlier of exp + leeway and verifiedFor after the check
}

const (
	verifiedFor    = time.Minute
	verifiedTokens = 1024 // well under 1 MiB of tokens and callers
)

func newVerifier(secret []byte, jwks jwt.Keyfunc, methods []string) *Verifier {
	cache, err := lru.New[string, verifiedToken](verifiedTokens)
	if err != nil {
		panic(err) // only for a size below 1
	}
	v := &Verifier{secret: secret, jwks: jwks, verified: cache, now: time.Now}
	v.parser = newParser(methods, func() time.Time { return v.now() })
	return v
}

// leeway tolerates small clock differences between the token's issuer and us.
const leeway = 5 * time.Second

// NewVerifier accepts HS256 tokens signed with secret.
func NewVerifier(secret []byte) *Verifier {
	return newVerifier(secret, nil, []string{"HS256"})
}

// NewVerifierWithJWKS accepts RS256 and ES256 tokens whose key (by kid) is in the
// JWK Set at jwksURL and, when secret is not empty, HS256 tokens signed with
// secret. The set is fetched once now (an unreachable or invalid set is an error)
// and refreshed in the background until ctx is cancelled.
func NewVerifierWithJWKS(ctx context.Context, secret []byte, jwksURL string) (*Verifier, error) {
	if jwksURL == "" {
		return nil, errors.New("auth: empty JWKS URL")
	}
	// Fail at start rather than refuse every token later when the URL is wrong.
	failFirst := false
	kf, err := keyfunc.NewDefaultOverrideCtx(ctx, []string{jwksURL}, keyfunc.Override{
		HTTPTimeout:               10 * time.Second,
		NoErrorReturnFirstHTTPReq: &failFirst,
	})
	if err != nil {
		return nil, fmt.Errorf("auth: load JWKS: %w", err)
	}
	methods := []string{"RS256", "ES256"}
	if len(secret) > 0 {
		methods = append(methods, "HS256")
	}
	return newVerifier(secret, kf.Keyfunc, methods), nil
}

func newParser(methods []string, now func() time.Time) *jwt.Parser {
	return jwt.NewParser(
		jwt.WithValidMethods(methods),
		jwt.WithExpirationRequired(),
		jwt.WithLeeway(leeway),
		jwt.WithTimeFunc(now),
	)
}

// ClaimError refuses a token whose signature holds but whose claim breaks
// the rules for text and for a user's record (those of PUT /users).
type ClaimError struct {
	Claim, Reason string
}

func (e *ClaimError) Error() string { return "token claim " + e.Claim + " " + e.Reason }

// Verify returns the caller a token names, or ErrInvalidToken, or a
// *ClaimError naming the claim at fault.
func (v *Verifier) Verify(token string) (Principal, error) {
	now := v.now()
	if t, ok := v.verified.Get(token); ok {
		if !now.After(t.until) {
			return t.p, nil
		}
		v.verified.Remove(token)
	}
	p, exp, err := v.verify(token)
	if err != nil {
		return Principal{}, err
	}
	until := now.Add(verifiedFor)
	if e := exp.Add(leeway); e.Before(until) {
		until = e
	}
	v.verified.Add(token, verifiedToken{p: p, until: until})
	return p, nil
}

// verify checks a token in full, and returns its caller and its exp.
func (v *Verifier) verify(token string) (Principal, time.Time, error) {
	var c claims
	if _, err := v.parser.ParseWithClaims(token, &c, v.key); err != nil {
		return Principal{}, time.Time{}, ErrInvalidToken
	}
	if err := checkClaims(token, c); err != nil {
		return Principal{}, time.Time{}, err
	}
	role := Role(c.Role)
	if c.Role == "" {
		role = RoleStudent
	}
	if role.rank() == 0 {
		return Principal{}, time.Time{}, ErrInvalidToken
	}
	return Principal{UserID: c.Subject, Role: role, Name: c.Name, Email: c.Email, Phone: c.Phone}, c.ExpiresAt.Time, nil
}

// checkClaims holds a verified token's claims to the rules: the payload's
// text is valid UTF-8 without NUL (the JSON decoder would have hidden invalid
// UTF-8 behind U+FFFD), sub is 1 to 255 characters, and the profile claims
// obey PUT /users (at most 255 characters, not blank; e-mail an address).
func checkClaims(token string, c claims) error {
	parts := strings.Split(token, ".")
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return ErrInvalidToken
	}
	if path, ok := leads.CheckJSONText(payload); !ok {
		return &ClaimError{path, leads.TextError}
	}
	if c.Subject == "" {
		return ErrInvalidToken
	}
	if utf8.RuneCountInString(c.Subject) > leads.MaxStringLen {
		return &ClaimError{"sub", "must be at most 255 characters"}
	}
	for _, p := range []struct {
		name  string
		value *string
	}{{"name", c.Name}, {"email", c.Email}, {"phone", c.Phone}} {
		switch {
		case p.value == nil:
		case strings.TrimSpace(*p.value) == "":
			return &ClaimError{p.name, "must not be blank"}
		case utf8.RuneCountInString(*p.value) > leads.MaxStringLen:
			return &ClaimError{p.name, "must be at most 255 characters"}
		}
	}
	if c.Email != nil && !leads.ValidEmail(*c.Email) {
		return &ClaimError{"email", "must be a valid email address"}
	}
	return nil
}

// key picks the key by the token's algorithm. Each algorithm family has exactly
// one source, so an HS256 token is never checked against a JWKS public key
// (key confusion) and a JWKS key is never used for an algorithm it was not
// published for.
func (v *Verifier) key(t *jwt.Token) (any, error) {
	switch alg := t.Method.Alg(); alg {
	case "HS256":
		if len(v.secret) == 0 {
			return nil, errors.New("no HS256 secret configured")
		}
		return v.secret, nil
	case "RS256", "ES256":
		if v.jwks == nil {
			return nil, errors.New("no JWKS configured")
		}
		return v.jwks(t)
	default:
		return nil, fmt.Errorf("unexpected algorithm %q", alg)
	}
}

// Mint signs an HS256 token for p that expires after ttl.
func Mint(secret []byte, p Principal, ttl time.Duration, now time.Time) (string, error) {
	if len(secret) == 0 {
		return "", errors.New("auth: empty signing secret")
	}
	c := claims{
		RegisteredClaims: jwt.RegisteredClaims{
			Subject:   p.UserID,
			IssuedAt:  jwt.NewNumericDate(now),
			ExpiresAt: jwt.NewNumericDate(now.Add(ttl)),
		},
		Role: string(p.Role), Name: p.Name, Email: p.Email, Phone: p.Phone,
	}
	return jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString(secret)
}
