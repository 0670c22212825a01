package auth

import (
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Verifier checks tokens. It is built once at start with the parsed keys, so a
// request costs one signature check and no key parsing.
type Verifier struct {
	secret []byte
	// jwks, when set, resolves RS256/ES256 keys by kid (see NewJWKSVerifier).
	jwks   jwt.Keyfunc
	parser *jwt.Parser
}

// NewVerifier accepts HS256 tokens signed with secret.
func NewVerifier(secret []byte) *Verifier {
	return &Verifier{
		secret: secret,
		parser: jwt.NewParser(
			jwt.WithValidMethods([]string{"HS256"}),
			jwt.WithExpirationRequired(),
			jwt.WithLeeway(5*time.Second),
		),
	}
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

func (v *Verifier) key(t *jwt.Token) (any, error) {
	if t.Method.Alg() == "HS256" {
		if len(v.secret) == 0 {
			return nil, fmt.Errorf("no HS256 secret configured")
		}
		return v.secret, nil
	}
	if v.jwks != nil {
		return v.jwks(t)
	}
	return nil, fmt.Errorf("unexpected algorithm %q", t.Method.Alg())
}

// Mint signs an HS256 token for p that expires after ttl.
func Mint(secret []byte, p Principal, ttl time.Duration, now time.Time) (string, error) {
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
