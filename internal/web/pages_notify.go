package web

import (
	"net/http"
	"net/url"
	"time"

	"github.com/leads/leads/internal/leads"
	"github.com/leads/leads/internal/notify"
)

// The pages of the e-mails: a nudge's unsubscribe link, and the demo's
// mailbox.

// unsubscribeView is the unsubscribe page.
type unsubscribeView struct {
	Action string // the form's action, the link itself
	Done   bool
}

// unsubscribe serves GET and POST /unsubscribe?lead=…&token=…: GET asks
// (a mail scanner that follows links unsubscribes no one), POST does it,
// whether from the page's button or a mail client's RFC 8058 one-click POST.
// The token signs the lead id with the service's own key.
func (s *Server) unsubscribe(p *pages) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			// The body (a mail client's List-Unsubscribe=One-Click) is not
			// needed, but keeps the rule for text like every input.
			r.Body = http.MaxBytesReader(w, r.Body, maxBodyBytes)
			if err := r.ParseForm(); err != nil {
				s.refuse(w, r, errUnreadable)
				return
			}
			if field := badText(r.PostForm, "body"); field != "" {
				s.refuse(w, r, leads.Invalid(leads.FieldError{Field: field, Message: leads.TextError}))
				return
			}
		}
		q := r.URL.Query()
		leadID, token := q.Get("lead"), q.Get("token")
		v := pageView{Title: "Reminders"}
		key, err := s.store.Secret(r.Context(), "unsubscribe", 32, leads.Timestamp(s.now()))
		if err != nil {
			s.pageError(p, w, r, "unsubscribe", err)
			return
		}
		if leadID == "" || !notify.ValidUnsubscribeToken(key, leadID, token) {
			v.Title, v.Message = "This link does not work", "The link is incomplete or was changed. Use the link of the e-mail as it came."
			p.render(w, http.StatusBadRequest, "message", v)
			return
		}
		uv := &unsubscribeView{Action: "/unsubscribe?" + url.Values{"lead": {leadID}, "token": {token}}.Encode()}
		v.Unsubscribe = uv
		if r.Method == http.MethodPost {
			err := leads.Unsubscribe(r.Context(), s.store, leadID, leads.Timestamp(s.now()))
			if err != nil && err != leads.ErrLeadNotFound { // an erased lead gets no reminders either
				s.pageError(p, w, r, "unsubscribe", err)
				return
			}
			uv.Done = true
		}
		p.render(w, http.StatusOK, "unsubscribe", v)
	})
}

// mailboxView is the demo's mailbox.
type mailboxView struct {
	Messages []mailboxMessage
}

type mailboxMessage struct {
	notify.Message
	Key  string // for the HTML part's own page
	When string
}

// demoMailbox serves GET /demo/mailbox: every e-mail the demo sent, as its
// recipient would read it (the plain-text part here; the HTML part on a page
// of its own).
func (s *Server) demoMailbox(p *pages) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v := pageView{Title: "Demo mailbox", Wide: true, Demo: true}
		mv := &mailboxView{}
		for _, m := range s.mailbox.Messages() {
			mv.Messages = append(mv.Messages, mailboxMessage{Message: m, Key: url.PathEscape(m.ID),
				When: m.Date.UTC().Format(time.RFC1123)})
		}
		v.Mailbox = mv
		p.render(w, http.StatusOK, "mailbox", v)
	})
}

// mailCSP lets an e-mail's HTML part show as a mail client would: its inline
// styles, no script, nothing fetched.
const mailCSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"

// demoMailboxHTML serves GET /demo/mailbox/{id}: an e-mail's HTML part.
func (s *Server) demoMailboxHTML(p *pages) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.PathValue("id")
		for _, m := range s.mailbox.Messages() {
			if m.ID == id {
				h := w.Header()
				h.Set("Content-Type", "text/html; charset=utf-8")
				h.Set("Content-Security-Policy", mailCSP)
				h.Set("X-Content-Type-Options", "nosniff")
				h.Set("Cache-Control", "no-store")
				w.Write([]byte(m.HTML))
				return
			}
		}
		p.render(w, http.StatusNotFound, "message", pageView{Title: "No such e-mail", Demo: true,
			Message: "The demo's mailbox keeps the latest e-mails only, and forgets them on restart."})
	})
}
