package web

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/leads/leads/internal/auth"
	"github.com/leads/leads/internal/leads"
)

// accessCookie is the cookie the guide's frontend keeps the token in.
const accessCookie = "accessToken"

// authenticate returns the verified caller of r. The token comes from the
// Authorization header when there is one (even if it is unusable: a request
// that sends a header means it), else from the accessToken cookie. It reads
// nothing from the database: provisioning is a step of its own (provision).
// The answer is kept with the request, so the rate limit and the handler
// verify a token once.
func (s *Server) authenticate(r *http.Request) (auth.Principal, error) {
	if a, ok := r.Context().Value(authKey{}).(*authResult); ok {
		if !a.done {
			a.p, a.err = s.authenticateToken(r)
			a.done = true
		}
		return a.p, a.err
	}
	return s.authenticateToken(r)
}

// authKey is the context key of a request's authResult.
type authKey struct{}

// authResult is a request's authentication, once done.
type authResult struct {
	p    auth.Principal
	err  error
	done bool
}

// withAuthMemo gives each request a place to keep its authentication.
func withAuthMemo(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), authKey{}, &authResult{})))
	})
}

// authenticateToken finds and verifies the token of r.
func (s *Server) authenticateToken(r *http.Request) (auth.Principal, error) {
	token := ""
	if h := r.Header.Get("Authorization"); h != "" {
		scheme, t, found := strings.Cut(h, " ")
		if !found || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(t) == "" {
			return auth.Principal{}, errInvalidToken
		}
		token = strings.TrimSpace(t)
	} else if c, err := r.Cookie(accessCookie); err == nil {
		token = c.Value
	}
	return s.verify(token)
}

// verify checks a token.
func (s *Server) verify(token string) (auth.Principal, error) {
	if token == "" {
		return auth.Principal{}, errMissingToken
	}
	if s.verifier == nil {
		return auth.Principal{}, errInvalidToken
	}
	p, err := s.verifier.Verify(token)
	var claim *auth.ClaimError
	if errors.As(err, &claim) {
		return auth.Principal{}, &leads.Error{Code: leads.CodeUnauthorized, Message: "Invalid token claim",
			Fields: []leads.FieldError{{Field: claim.Claim, Message: claim.Reason}}}
	}
	if err != nil {
		return auth.Principal{}, errInvalidToken
	}
	return p, nil
}

// requireRole returns a forbidden error unless p's role is at least min.
func requireRole(p auth.Principal, min auth.Role) error {
	if !p.Role.AtLeast(min) {
		return leads.Errorf(leads.CodeForbidden, "This requires the %s role", min)
	}
	return nil
}

// claimsOf returns the profile claims of p's token.
func claimsOf(p auth.Principal) leads.Claims {
	return leads.Claims{UserID: p.UserID, Name: p.Name, Email: p.Email, Phone: p.Phone}
}

// provision keeps the caller's user record in step with the token's profile
// claims (just-in-time users): one conditional statement that writes only when
// the claims differ from the record. No cache: several instances of the
// service share the database, and a cache here could not see the others.
func (s *Server) provision(ctx context.Context, p auth.Principal) error {
	c := claimsOf(p)
	if c.Empty() {
		return nil
	}
	return s.store.ProvisionUser(ctx, c, leads.Timestamp(s.now()))
}

// caller is the authenticated caller of r, if their role is at least min.
func (s *Server) caller(r *http.Request, min auth.Role) (auth.Principal, error) {
	p, err := s.authenticate(r)
	if err != nil {
		return auth.Principal{}, err
	}
	return p, requireRole(p, min)
}

// apiHandler is a handler of a signed-in caller.
type apiHandler func(w http.ResponseWriter, r *http.Request, p auth.Principal) error

// authed adapts a handler that needs a caller with at least the role min:
// authenticate, check the role, provision the caller's record, then run h.
func (s *Server) authed(min auth.Role, h apiHandler) http.Handler {
	return s.handle(func(w http.ResponseWriter, r *http.Request) error {
		p, err := s.caller(r, min)
		if err != nil {
			return err
		}
		if err := s.provision(r.Context(), p); err != nil {
			return err
		}
		return h(w, r, p)
	})
}

// reading is authed for a handler that reads the store (Lead, LeadByUser or
// ListLeads) and writes nothing: the caller's provisioning rides with that
// read (leads.WithProvision), which on PostgreSQL saves the request a round
// trip. If the handler fails before its read, the provisioning is done then,
// before the error is answered, so every request still provisions its caller.
func (s *Server) reading(min auth.Role, h apiHandler) http.Handler {
	return s.handle(func(w http.ResponseWriter, r *http.Request) error {
		p, err := s.caller(r, min)
		if err != nil {
			return err
		}
		c := claimsOf(p)
		if c.Empty() {
			return h(w, r, p)
		}
		ctx := leads.WithProvision(r.Context(), c, leads.Timestamp(s.now()))
		err = h(w, r.WithContext(ctx), p)
		if c, now, ok := leads.TakeProvision(ctx); ok {
			if perr := s.store.ProvisionUser(r.Context(), c, now); perr != nil {
				if err != nil {
					return err
				}
				// The handler answered without reading: too late to fail.
				s.log.Error("provision user after the response", "error", perr)
			}
		}
		return err
	})
}

// saving adapts a handler that saves the caller's lead: as authed for any
// signed-in caller, except that provisioning is left to the save, which does
// it in its own transaction.
func (s *Server) saving(h apiHandler) http.Handler {
	return s.handle(func(w http.ResponseWriter, r *http.Request) error {
		p, err := s.authenticate(r)
		if err != nil {
			return err
		}
		return h(w, r, p)
	})
}
