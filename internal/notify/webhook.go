package notify

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"syscall"
	"time"
	"unicode/utf8"

	"github.com/riverqueue/river"

	"github.com/leads/leads/internal/leads"
)

// WebhookWorker delivers one event to one subscription, following the
// Standard Webhooks specification: headers webhook-id, webhook-timestamp and
// webhook-signature (v1, base64 HMAC-SHA256 of "id.timestamp.body" keyed
// with the secret's bytes); body {"type", "timestamp", "data"}.
type WebhookWorker struct {
	river.WorkerDefaults[leads.WebhookJob]
	cfg Config
}

// giveUpAfter is how long a delivery is retried.
const giveUpAfter = 24 * time.Hour

// excerptLen bounds what is kept of an answer's body.
const excerptLen = 200

// Work delivers the event. A 2xx answer ends the job; 410 Gone disables the
// subscription; any other answer, or none, is retried (backing off) for a
// day. Every attempt is logged on the subscription, with at most a short
// excerpt of the answer.
func (w *WebhookWorker) Work(ctx context.Context, job *river.Job[leads.WebhookJob]) error {
	c := w.cfg
	a := job.Args
	hook, err := c.Store.Webhook(ctx, a.WebhookID)
	if errors.Is(err, leads.ErrNotFound) {
		return nil // unsubscribed meanwhile
	}
	if err != nil {
		return err
	}
	if !hook.Active {
		return nil
	}
	data := map[string]any{"leadId": a.LeadID}
	if len(a.Data) > 0 {
		var extra map[string]any
		if json.Unmarshal(a.Data, &extra) == nil {
			for k, v := range extra {
				data[k] = v
			}
		}
	}
	if a.Event != leads.EventErased {
		l, err := c.Store.Lead(ctx, a.LeadID)
		if errors.Is(err, leads.ErrLeadNotFound) {
			return nil // erased since: its subscribers hear lead.erased, ids only
		}
		if err != nil {
			return err
		}
		data["lead"] = l
	}
	body, err := json.Marshal(map[string]any{"type": a.Event, "timestamp": a.At.UTC().Format(time.RFC3339Nano), "data": data})
	if err != nil {
		return river.JobCancel(err)
	}
	msgID := "msg_" + strconv.FormatInt(job.ID, 10)
	now := c.Now()
	sig, err := Sign(hook.Secret, msgID, now, body)
	if err != nil {
		return river.JobCancel(err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, hook.URL, bytes.NewReader(body))
	if err != nil {
		return river.JobCancel(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "leads-webhooks/1")
	req.Header.Set("webhook-id", msgID)
	req.Header.Set("webhook-timestamp", strconv.FormatInt(now.Unix(), 10))
	req.Header.Set("webhook-signature", sig)

	d := leads.Delivery{MessageID: msgID, Event: a.Event, Attempt: job.Attempt, At: leads.Timestamp(now)}
	res, err := c.Client.Do(req)
	excerpt := ""
	if err != nil {
		msg := deliveryError(err)
		d.Error = &msg
		c.Log.Info("webhook delivery failed", "webhook", hook.ID, "attempt", job.Attempt, "error", err.Error())
	} else {
		b, _ := io.ReadAll(io.LimitReader(res.Body, 4096))
		res.Body.Close()
		d.StatusCode = &res.StatusCode
		// Valid text whatever the receiver sent: PostgreSQL refuses to
		// store invalid UTF-8 or a NUL, and the attempt would go unlogged.
		excerpt = shorten(strings.ReplaceAll(strings.ToValidUTF8(string(b), "\uFFFD"), "\x00", "\uFFFD"), excerptLen)
	}
	if rerr := c.Store.RecordDelivery(ctx, hook.ID, d, excerpt); rerr != nil {
		c.Log.Warn("record webhook delivery", "webhook", hook.ID, "error", rerr.Error())
	}
	switch {
	case d.StatusCode != nil && *d.StatusCode/100 == 2:
		return nil
	case d.StatusCode != nil && *d.StatusCode == http.StatusGone:
		c.Log.Info("webhook disabled: its receiver answered 410 Gone", "webhook", hook.ID)
		return c.Store.DisableWebhook(ctx, hook.ID, "the receiver answered 410 Gone at "+now.UTC().Format(time.RFC3339), leads.Timestamp(now))
	case time.Since(job.CreatedAt) > giveUpAfter:
		c.Log.Warn("webhook delivery given up after a day", "webhook", hook.ID, "job", job.ID)
		return river.JobCancel(fmt.Errorf("undelivered after %s", giveUpAfter))
	}
	if d.Error != nil {
		return fmt.Errorf("webhook %s: %s", hook.ID, *d.Error)
	}
	return fmt.Errorf("webhook %s: answered %d", hook.ID, *d.StatusCode)
}

// Sign is the Standard Webhooks signature of a message: "v1," and the base64
// HMAC-SHA256 of "id.timestamp.body", keyed with the bytes of the secret
// (whsec_ and base64).
func Sign(secret, msgID string, at time.Time, body []byte) (string, error) {
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	if err != nil {
		return "", fmt.Errorf("webhook secret is not base64: %w", err)
	}
	m := hmac.New(sha256.New, key)
	fmt.Fprintf(m, "%s.%d.", msgID, at.Unix())
	m.Write(body)
	return "v1," + base64.StdEncoding.EncodeToString(m.Sum(nil)), nil
}

// errPrivate refuses a connection to a private address.
var errPrivate = errors.New("the address is private, loopback or link-local (LEADS_WEBHOOK_ALLOW_PRIVATE is off)")

// NewWebhookClient returns the HTTP client of deliveries. Unless
// allowPrivate, it refuses to connect to a private, loopback or link-local
// address: checked on the address each connection is made to, after name
// resolution, so a host name that resolves (or rebinds) to such an address
// gains nothing. It follows no redirect and uses no proxy.
func NewWebhookClient(allowPrivate bool) *http.Client {
	dialer := &net.Dialer{Timeout: 10 * time.Second}
	if !allowPrivate {
		dialer.Control = func(_, address string, _ syscall.RawConn) error {
			host, _, err := net.SplitHostPort(address)
			if err != nil {
				return err
			}
			if ip := net.ParseIP(host); ip == nil || leads.PrivateAddress(ip) {
				return errPrivate
			}
			return nil
		}
	}
	return &http.Client{
		Timeout: 15 * time.Second,
		Transport: &http.Transport{
			Proxy:                 nil,
			DialContext:           dialer.DialContext,
			TLSHandshakeTimeout:   10 * time.Second,
			ResponseHeaderTimeout: 10 * time.Second,
			MaxIdleConnsPerHost:   2,
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// deliveryError says why no answer came, without internal detail.
func deliveryError(err error) string {
	switch {
	case errors.Is(err, errPrivate):
		return "refused: " + errPrivate.Error()
	case errors.Is(err, context.DeadlineExceeded), strings.Contains(err.Error(), "Client.Timeout"):
		return "no answer in time"
	}
	var dns *net.DNSError
	if errors.As(err, &dns) {
		return "the host name does not resolve"
	}
	return "could not connect"
}

// shorten cuts s to at most n bytes, on a character boundary.
func shorten(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
