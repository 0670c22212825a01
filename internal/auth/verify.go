package auth

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/MicahParks/keyfunc/v3"
	"github.com/golang-jwt/jwt/v5"
)

// Verifier checks tokens. It is built once at start with the parsed keys, so a
// request costs one signature check and no key parsing.
type Verifier struct {
	secret []byte
	// jwks, when set, resolves RS256/ES256 keys by kid (see NewVerifierWithJWKS).
	jwks   jwt.Keyfunc
	parser *jwt.Parser
}

// leeway tolerates small clock differences between the token's issuer and us.
const leeway = 5 * time.Second

// NewVerifier accepts HS256 tokens signed with secret.
func NewVerifier(secret []byte) *Verifier {
	return &Verifier{secret: secret, parser: newParser([]string{"HS256"})}
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
	return &Verifier{secret: secret, jwks: kf.Keyfunc, parser: newParser(methods)}, nil
}

func newParser(methods []string) *jwt.Parser {
	return jwt.NewParser(
		jwt.WithValidMethods(methods),
		jwt.WithExpirationRequired(),
		jwt.WithLeeway(leeway),
	)
}

// Verify returns the caller a token names, or ErrInvalidToken.
func (v *Verifier) Verify(token string) (Principal, error) {
	var c claims
	if _, err := v.parser.ParseWithClaims(token, &c, v.key); err != nil {
		return Principal{}, ErrInvalidToken
	}
	if c.Subject == "" {
		return Principal{}, ErrInvalidToken
	}
	role := Role(c.Role)
	if c.Role == "" {
		role = RoleStudent
	}
	if role.rank() == 0 {
		return Principal{}, ErrInvalidToken
	}
	return Principal{UserID: c.Subject, Role: role, Name: c.Name, Email: c.Email, Phone: c.Phone}, nil
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
