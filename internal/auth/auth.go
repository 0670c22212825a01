// Package auth verifies the service's bearer tokens (JWT) and mints them for
// development. HS256 tokens are signed with the shared secret; when a JWKS URL is
// configured, RS256/ES256 tokens whose key is in that set are accepted too.
package auth

import (
	"errors"

	"github.com/golang-jwt/jwt/v5"
)

// Role is what a caller may do; see the contract's table.
type Role string

// The three roles. A token without a role claim is a student.
const (
	RoleStudent Role = "student"
	RoleStaff   Role = "staff"
	RoleAdmin   Role = "admin"
)

// rank orders roles: each may do everything the one below it may.
func (r Role) rank() int {
	switch r {
	case RoleStudent:
		return 1
	case RoleStaff:
		return 2
	case RoleAdmin:
		return 3
	}
	return 0
}

// AtLeast reports whether r may do what min may.
func (r Role) AtLeast(min Role) bool { return r.rank() >= min.rank() && r.rank() > 0 }

// Principal is the verified caller.
type Principal struct {
	UserID string
	Role   Role
	// Optional profile claims, for just-in-time provisioning of the user record.
	Name, Email, Phone *string
}

// ErrInvalidToken is returned for every token that is not accepted; the reason is
// deliberately not told to the client.
var ErrInvalidToken = errors.New("invalid token")

// claims is the token body.
type claims struct {
	jwt.RegisteredClaims
	Role  string  `json:"role,omitempty"`
	Name  *string `json:"name,omitempty"`
	Email *string `json:"email,omitempty"`
	Phone *string `json:"phone,omitempty"`
}
