package notify

import (
	"context"
	"slices"
	"sync"
)

// Mailbox keeps the e-mails it is given instead of sending them: the demo's
// mail server, shown at /demo/mailbox. It keeps the latest max.
type Mailbox struct {
	mu   sync.Mutex
	max  int
	msgs []Message
}

// NewMailbox returns an empty mailbox of at most max messages.
func NewMailbox(max int) *Mailbox { return &Mailbox{max: max} }

// Send keeps m.
func (b *Mailbox) Send(_ context.Context, m Message) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.msgs = append(b.msgs, m)
	if len(b.msgs) > b.max {
		b.msgs = slices.Delete(b.msgs, 0, len(b.msgs)-b.max)
	}
	return nil
}

// Messages returns the messages kept, newest first.
func (b *Mailbox) Messages() []Message {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := slices.Clone(b.msgs)
	slices.Reverse(out)
	return out
}
