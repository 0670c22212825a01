package leads

import (
	"context"
	"sync/atomic"
	"time"
)

// A read request provisions its caller (Store.ProvisionUser) too. Rather than
// a statement of its own, the provisioning can ride with the request's read:
// WithProvision puts it in the context, and the store's Lead, LeadByUser and
// ListLeads take it (TakeProvision) and run it ahead of their own statement,
// which on PostgreSQL is the same round trip. Whoever takes it must do it.

// provisionKey is the context key of a pendingProvision.
type provisionKey struct{}

// pendingProvision is a provisioning not done yet; taken is set by the one
// caller that does it.
type pendingProvision struct {
	claims Claims
	now    time.Time
	taken  atomic.Bool
}

// WithProvision returns a context that carries the provisioning of c at now
// to the store's next read.
func WithProvision(ctx context.Context, c Claims, now time.Time) context.Context {
	return context.WithValue(ctx, provisionKey{}, &pendingProvision{claims: c, now: now})
}

// TakeProvision returns the provisioning ctx carries, once: the first caller
// gets it and must do it; later callers, and a context without one, get false.
func TakeProvision(ctx context.Context) (Claims, time.Time, bool) {
	p, ok := ctx.Value(provisionKey{}).(*pendingProvision)
	if !ok || !p.taken.CompareAndSwap(false, true) {
		return Claims{}, time.Time{}, false
	}
	return p.claims, p.now, true
}
