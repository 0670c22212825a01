package notify

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/textproto"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/wneessen/go-mail"
)

// Message is an e-mail as the workers compose it.
type Message struct {
	// ID is the Message-ID (without angle brackets); the same job always
	// makes the same ID, so a resend after a crash can be recognised.
	ID             string
	From           string
	To             string
	Subject        string
	Text, HTML     string
	UnsubscribeURL string // RFC 8058 one-click unsubscribe, when set
	Date           time.Time
}

// Mailer sends e-mail. An error it returns is temporary (the job is tried
// again later) unless it wraps ErrRefused.
type Mailer interface {
	Send(ctx context.Context, m Message) error
}

// ErrRefused marks a permanent refusal (an SMTP 5xx): trying again is no use.
var ErrRefused = errors.New("refused for good")

// SMTP sends through an SMTP server named by a URL:
//
//	smtp://[user:pass@]host[:port]   STARTTLS when the server offers it
//	smtps://[user:pass@]host[:port]  implicit TLS
//
// A fresh connection per message: the queue's workers send in parallel, and a
// dropped connection costs one message's retry, not a whole batch.
type SMTP struct {
	url  *url.URL
	opts []mail.Option
}

// NewSMTP checks the URL and returns the mailer. tlsConfig may be nil (the
// system's roots).
func NewSMTP(raw string, tlsConfig *tls.Config) (*SMTP, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, errors.New("LEADS_SMTP_URL does not parse")
	}
	if u.Hostname() == "" {
		return nil, errors.New("LEADS_SMTP_URL names no host")
	}
	port := 0
	if p := u.Port(); p != "" {
		if port, err = strconv.Atoi(p); err != nil {
			return nil, errors.New("LEADS_SMTP_URL has a bad port")
		}
	}
	var opts []mail.Option
	switch u.Scheme {
	case "smtp":
		if port == 0 {
			port = mail.DefaultPortTLS // 587, submission
		}
		opts = append(opts, mail.WithTLSPolicy(mail.TLSOpportunistic))
	case "smtps":
		if port == 0 {
			port = mail.DefaultPortSSL // 465
		}
		opts = append(opts, mail.WithSSL())
	default:
		return nil, fmt.Errorf("LEADS_SMTP_URL: scheme %q: use smtp:// or smtps://", u.Scheme)
	}
	opts = append(opts, mail.WithPort(port), mail.WithTimeout(30*time.Second))
	if tlsConfig != nil {
		opts = append(opts, mail.WithTLSConfig(tlsConfig))
	}
	if u.User != nil && u.User.Username() != "" {
		pass, _ := u.User.Password()
		opts = append(opts, mail.WithSMTPAuth(mail.SMTPAuthPlain), mail.WithUsername(u.User.Username()), mail.WithPassword(pass))
	}
	return &SMTP{url: u, opts: opts}, nil
}

// Send sends m, classifying a failure as temporary or ErrRefused.
func (s *SMTP) Send(ctx context.Context, m Message) error {
	msg := mail.NewMsg(mail.WithNoDefaultUserAgent())
	if err := msg.From(m.From); err != nil {
		return fmt.Errorf("from address: %w: %w", ErrRefused, err)
	}
	if err := msg.To(m.To); err != nil {
		return fmt.Errorf("to address: %w: %w", ErrRefused, err)
	}
	msg.Subject(m.Subject)
	msg.SetDateWithValue(m.Date)
	msg.SetMessageIDWithValue(m.ID)
	if m.UnsubscribeURL != "" {
		msg.SetGenHeader(mail.HeaderListUnsubscribe, "<"+m.UnsubscribeURL+">")
		msg.SetGenHeader(mail.HeaderListUnsubscribePost, "List-Unsubscribe=One-Click")
	}
	msg.SetBodyString(mail.TypeTextPlain, m.Text)
	msg.AddAlternativeString(mail.TypeTextHTML, m.HTML)
	client, err := mail.NewClient(s.url.Hostname(), s.opts...)
	if err != nil {
		return fmt.Errorf("smtp client: %w: %w", ErrRefused, err)
	}
	if err := client.DialAndSendWithContext(ctx, msg); err != nil {
		if temporary(err) {
			return fmt.Errorf("smtp: %w", err)
		}
		return fmt.Errorf("smtp: %w: %w", ErrRefused, err)
	}
	return nil
}

// temporary reports whether a send error is worth retrying: a 4xx answer, a
// network failure or timeout; not a 5xx, nor a TLS certificate error.
func temporary(err error) bool {
	var se *mail.SendError
	if errors.As(err, &se) {
		if code := se.ErrorCode(); code != 0 {
			return code/100 == 4
		}
		switch se.Reason {
		case mail.ErrGetSender, mail.ErrGetRcpts, mail.ErrNoUnencoded:
			return false
		}
		return true // no answer at all: the network
	}
	var tpe *textproto.Error
	if errors.As(err, &tpe) {
		return tpe.Code/100 == 4
	}
	var certErr *tls.CertificateVerificationError
	var unknown x509.UnknownAuthorityError
	var host x509.HostnameError
	if errors.As(err, &certErr) || errors.As(err, &unknown) || errors.As(err, &host) {
		return false
	}
	var ne net.Error
	return errors.As(err, &ne) || errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed) ||
		errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) ||
		strings.Contains(err.Error(), "connection refused")
}
