package web

import (
	"context"
	"hash/maphash"
	"net/http"
	"strings"
	"sync"

	"github.com/leads/leads/internal/auth"
	"github.com/leads/leads/internal/leads"
)

// accessCookie is the cookie the guide's frontend keeps the token in.
const accessCookie = "accessToken"

// authenticate returns the verified caller of r. The token comes from the
// Authorization header when there is one (even if it is unusable: a request
// that sends a header means it), else from the accessToken cookie. A token with
// profile claims provisions the caller's user record (see provision).
func (s *Server) authenticate(r *http.Request) (auth.Principal, error) {
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
	return s.verify(r.Context(), token)
}

// verify checks a token and provisions its user.
func (s *Server) verify(ctx context.Context, token string) (auth.Principal, error) {
	if token == "" {
		return auth.Principal{}, errMissingToken
	}
	if s.verifier == nil {
		return auth.Principal{}, errInvalidToken
	}
	p, err := s.verifier.Verify(token)
	if err != nil {
		return auth.Principal{}, errInvalidToken
	}
	if err := s.provision(ctx, p); err != nil {
		return auth.Principal{}, err
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

// authed adapts a handler that needs a caller with at least the role min.
func (s *Server) authed(min auth.Role, h func(w http.ResponseWriter, r *http.Request, p auth.Principal) error) http.Handler {
	return s.handle(func(w http.ResponseWriter, r *http.Request) error {
		p, err := s.authenticate(r)
		if err != nil {
			return err
		}
		if err := requireRole(p, min); err != nil {
			return err
		}
		return h(w, r, p)
	})
}

// provision keeps the caller's user record in step with the token's profile
// claims (just-in-time users). The claims last written for each user are
// remembered, so a client sending the same token on every request costs one
// write, not one per request.
func (s *Server) provision(ctx context.Context, p auth.Principal) error {
	if p.Name == nil && p.Email == nil && p.Phone == nil {
		return nil
	}
	c := s.claimsOf(p)
	if s.provisioned.has(p.UserID, c) {
		return nil
	}
	if err := s.store.ProvisionUser(ctx, p.UserID, p.Name, p.Email, p.Phone); err != nil {
		return err
	}
	s.provisioned.put(p.UserID, c)
	return nil
}

// maxProvisioned bounds the provisioning cache (about 150 bytes an entry with
// the map's own overhead, measured: some 15 MiB at most). When it is full one
// arbitrary entry makes room, which costs that user one more write; emptying it
// all would send every active user back to the database at once.
const maxProvisioned = 100_000

// claims is the profile part of a token, as a hash: the cache compares claims,
// and a hash keeps an entry small. A collision (2^-64) would skip one refresh.
type claims uint64

// claimsOf hashes the profile claims; nil and "" differ (a claim absent from
// the token must not look like an empty one).
func (s *Server) claimsOf(p auth.Principal) claims {
	var h maphash.Hash
	h.SetSeed(s.provisioned.seed)
	for _, c := range []*string{p.Name, p.Email, p.Phone} {
		if c == nil {
			h.WriteByte(0)
			continue
		}
		h.WriteByte(1)
		h.WriteString(*c)
		h.WriteByte(0)
	}
	return claims(h.Sum64())
}

// provisionCache remembers, per user id, the claims last provisioned.
type provisionCache struct {
	seed    maphash.Seed
	mu      sync.Mutex
	entries map[string]claims
}

func (pc *provisionCache) has(id string, c claims) bool {
	pc.mu.Lock()
	defer pc.mu.Unlock()
	got, ok := pc.entries[id]
	return ok && got == c
}

func (pc *provisionCache) put(id string, c claims) {
	pc.mu.Lock()
	defer pc.mu.Unlock()
	if pc.entries == nil {
		pc.entries = make(map[string]claims)
	}
	if _, ok := pc.entries[id]; !ok && len(pc.entries) >= maxProvisioned {
		for evict := range pc.entries {
			delete(pc.entries, evict)
			break
		}
	}
	pc.entries[id] = c
}

// forget drops a user, so the next token with profile claims writes again (an
// admin replaced the record).
func (pc *provisionCache) forget(id string) {
	pc.mu.Lock()
	defer pc.mu.Unlock()
	delete(pc.entries, id)
}
