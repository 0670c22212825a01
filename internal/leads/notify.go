package leads

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/url"
	"slices"
	"strings"
	"time"
)

// Notifications (contract §9): the e-mails and webhook deliveries a change
// causes are jobs, queued by the store in the transaction of the change (the
// transactional outbox), and done by workers (internal/notify) after it
// commits. A job names what to do by ids only: the worker reads the rest when
// it runs, so a job never holds personal data, and an erased lead's jobs find
// nothing to send.

// Job is work queued with a change. Its JSON form is what the queue keeps.
type Job interface {
	// Kind names the worker that does the job.
	Kind() string
}

// The e-mails of the contract.
const (
	EmailNewLead       = "new_lead"       // to the assigned staff member, else the desk
	EmailProgressSaved = "progress_saved" // to the applicant, after the first save
	EmailNudge         = "nudge"          // to an applicant who stopped
)

// EmailJob sends one e-mail about a lead.
type EmailJob struct {
	Email  string `json:"email"` // EmailNewLead, EmailProgressSaved or EmailNudge
	LeadID string `json:"lead_id"`
}

// Kind is the e-mail worker's.
func (EmailJob) Kind() string { return "email" }

// WebhookJob delivers one event to one subscription.
type WebhookJob struct {
	WebhookID string    `json:"webhook_id"`
	Event     string    `json:"event"`
	LeadID    string    `json:"lead_id"`
	At        time.Time `json:"at"`
	// Data is what the event adds to the lead (a status move's from and to,
	// an assignment's staff ids): never personal data.
	Data json.RawMessage `json:"data,omitempty"`
}

// Kind is the webhook worker's.
func (WebhookJob) Kind() string { return "webhook" }

// The webhook events of the contract.
const (
	EventCreated       = "lead.created"
	EventSaved         = "lead.saved"
	EventStatusChanged = "lead.status_changed"
	EventAssigned      = "lead.assigned"
	EventConverted     = "lead.converted"
	EventErased        = "lead.erased"
)

// Events lists every webhook event.
var Events = []string{EventCreated, EventSaved, EventStatusChanged, EventAssigned, EventConverted, EventErased}

// activityEvents maps the timeline's entries to the webhook events they are.
var activityEvents = map[string]string{
	ActivityCreated:       EventCreated,
	ActivitySaved:         EventSaved,
	ActivityStatusChanged: EventStatusChanged,
	ActivityAssigned:      EventAssigned,
	ActivityConverted:     EventConverted,
}

// publish queues, in the change's transaction, a delivery to every active
// subscription of each event the activities are, and the e-mails emails
// names.
func publish(ctx context.Context, tx Tx, acts []Activity, emails ...EmailJob) error {
	var jobs []Job
	for _, e := range emails {
		jobs = append(jobs, e)
	}
	var events []string
	for _, a := range acts {
		if event, ok := activityEvents[a.Type]; ok && !slices.Contains(events, event) {
			events = append(events, event)
		}
	}
	if len(events) > 0 {
		hooks, err := tx.WebhooksFor(ctx, events...)
		if err != nil {
			return err
		}
		for _, a := range acts {
			event := activityEvents[a.Type]
			for _, h := range hooks[event] {
				jobs = append(jobs, WebhookJob{WebhookID: h, Event: event, LeadID: a.LeadID, At: a.At, Data: a.Data})
			}
		}
	}
	if len(jobs) == 0 {
		return nil
	}
	return tx.Enqueue(ctx, jobs...)
}

// NudgePolicy says when an applicant who stopped gets a nudge: a PENDING
// lead not saved for After, After since the previous nudge, at most Max per
// lead, never after an unsubscribe.
type NudgePolicy struct {
	After time.Duration
	Max   int
}

// QueueNudges queues the nudges due at now (at most limit of them), marking
// each lead nudged in the same transaction, so a nudge is queued once however
// many instances look. It returns how many it queued.
func QueueNudges(ctx context.Context, st Store, p NudgePolicy, now time.Time, limit int) (int, error) {
	n := 0
	err := st.Update(ctx, func(ctx context.Context, tx Tx) error {
		ids, err := tx.ClaimNudges(ctx, now.Add(-p.After), p.Max, now, limit)
		if err != nil {
			return err
		}
		n = len(ids)
		jobs := make([]Job, len(ids))
		for i, id := range ids {
			jobs[i] = EmailJob{Email: EmailNudge, LeadID: id}
		}
		if len(jobs) == 0 {
			return nil
		}
		return tx.Enqueue(ctx, jobs...)
	})
	return n, err
}

// Unsubscribe stops the nudges of a lead. It returns ErrLeadNotFound.
func Unsubscribe(ctx context.Context, st Store, leadID string, now time.Time) error {
	return st.Update(ctx, func(ctx context.Context, tx Tx) error {
		return tx.Unsubscribe(ctx, leadID, now)
	})
}

// RecordEmail puts an e-mail sent (or refused for good) on the lead's
// timeline; a lead erased meanwhile has no timeline, and that is no error.
func RecordEmail(ctx context.Context, st Store, leadID string, failed bool, kind, to string, now time.Time) error {
	return st.Update(ctx, func(ctx context.Context, tx Tx) error {
		if _, err := tx.LockLead(ctx, leadID); err == ErrLeadNotFound {
			return nil
		} else if err != nil {
			return err
		}
		return tx.AddActivities(ctx, EmailActivity(leadID, failed, kind, to, now))
	})
}

// Webhook is a subscription to events, delivered to URL and signed with
// Secret (shown once, when it is made).
type Webhook struct {
	ID        string    `json:"id"`
	URL       string    `json:"url"`
	Events    []string  `json:"events"`
	Secret    string    `json:"secret,omitempty"`
	Active    bool      `json:"active"`
	Disabled  *string   `json:"disabled"` // why delivery stopped
	CreatedAt time.Time `json:"createdAt"`
}

// Delivery is one attempt to deliver an event.
type Delivery struct {
	ID         string    `json:"id"`
	MessageID  string    `json:"messageId"`
	Event      string    `json:"event"`
	Attempt    int       `json:"attempt"`
	StatusCode *int      `json:"statusCode"`
	Error      *string   `json:"error"`
	At         time.Time `json:"at"`
}

// ParseWebhook validates the body of PUT /webhooks/{id}. Only http and https
// URLs are taken; unless allowPrivate, a URL whose host is literally a
// private, loopback or link-local address, or localhost, is refused (a host
// name is checked when it is resolved, at each delivery). secret is empty
// when the body names none.
func ParseWebhook(id string, body []byte, allowPrivate bool) (Webhook, error) {
	obj, err := decodeObject(body)
	if err != nil {
		return Webhook{}, err
	}
	p := parser{}
	w := Webhook{ID: p.pathID(id), Active: true}
	w.URL = p.required(obj, "url")
	if w.URL != "" {
		if msg := checkWebhookURL(w.URL, allowPrivate); msg != "" {
			p.fail("url", msg)
		}
	}
	if raw, ok := obj["events"]; !ok || isNull(raw) {
		p.fail("events", "is required: a list of "+strings.Join(Events, ", "))
	} else if err := json.Unmarshal(raw, &w.Events); err != nil {
		p.fail("events", "must be a list of event names")
	} else if len(w.Events) == 0 {
		p.fail("events", "must name at least one event")
	} else {
		for i, e := range w.Events {
			if !slices.Contains(Events, e) {
				p.fail(fmt.Sprintf("events[%d]", i), "must be one of "+strings.Join(Events, ", "))
			}
		}
		slices.Sort(w.Events)
		w.Events = slices.Compact(w.Events)
	}
	if s := p.str(obj, "secret", "secret", MaxStringLen); s != nil {
		if !strings.HasPrefix(*s, "whsec_") || len(*s) < len("whsec_")+24 {
			p.fail("secret", "must be whsec_ followed by a base64 key of at least 18 bytes")
		}
		w.Secret = *s
	}
	return w, p.err()
}

// checkWebhookURL says what is wrong with a subscription's URL, or "".
func checkWebhookURL(raw string, allowPrivate bool) string {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "must be an http or https URL"
	}
	if u.User != nil {
		return "must not carry a user name or password"
	}
	host := u.Hostname()
	if allowPrivate {
		return ""
	}
	if strings.EqualFold(host, "localhost") || strings.HasSuffix(strings.ToLower(host), ".localhost") {
		return "must not point at this machine (private addresses are refused)"
	}
	if ip := net.ParseIP(host); ip != nil && PrivateAddress(ip) {
		return "must not point at a private, loopback or link-local address"
	}
	return ""
}

// PrivateAddress reports whether ip is private (RFC 1918, fc00::/7), loopback
// or link-local (or unspecified): addresses a webhook may not reach unless
// LEADS_WEBHOOK_ALLOW_PRIVATE.
func PrivateAddress(ip net.IP) bool {
	return ip.IsPrivate() || ip.IsLoopback() || ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() ||
		ip.IsUnspecified() || ip.IsInterfaceLocalMulticast()
}
