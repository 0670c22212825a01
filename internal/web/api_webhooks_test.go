package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/leads/leads/internal/auth"
	"github.com/leads/leads/internal/leads"
	"github.com/leads/leads/internal/notify"
)

func TestWebhooksAPI(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, e *env) {
		admin, staff := e.token("admin-1", auth.RoleAdmin), e.token("staff-1", auth.RoleStaff)
		res := e.run(t, scenario{name: "create, secret made", req: request{method: "PUT", path: "/webhooks/crm", token: admin,
			body: `{"url":"https://crm.example.org/hooks/leads","events":["lead.created","lead.converted","lead.created"]}`},
			status: http.StatusCreated, want: []string{`"id":"crm"`, `"secret":"whsec_`, `"events":["lead.converted","lead.created"]`, `"active":true`}})
		var made leads.Webhook
		res.data(t, &made)
		e.runAll(t, []scenario{
			{name: "replace keeps the secret, unshown", req: request{method: "PUT", path: "/webhooks/crm", token: admin,
				body: `{"url":"https://crm.example.org/v2","events":["lead.saved"]}`},
				status: http.StatusOK, want: []string{`"url":"https://crm.example.org/v2"`}, deny: []string{`"secret"`}},
			{name: "a secret given", req: request{method: "PUT", path: "/webhooks/erp", token: admin,
				body: `{"url":"http://erp.example.org/in","events":["lead.erased"],"secret":"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}`},
				status: http.StatusCreated, want: []string{`"secret":"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"`}},
			{name: "list without secrets", req: request{method: "GET", path: "/webhooks", token: admin},
				status: http.StatusOK, want: []string{`"id":"crm"`, `"id":"erp"`}, deny: []string{`whsec_`}},
			{name: "a private address", req: request{method: "PUT", path: "/webhooks/bad", token: admin,
				body: `{"url":"http://192.168.1.10/hook","events":["lead.created"]}`}, status: http.StatusBadRequest, want: []string{`"field":"url"`}},
			{name: "localhost", req: request{method: "PUT", path: "/webhooks/bad", token: admin,
				body: `{"url":"http://localhost:9000/hook","events":["lead.created"]}`}, status: http.StatusBadRequest, want: []string{`"field":"url"`}},
			{name: "not http", req: request{method: "PUT", path: "/webhooks/bad", token: admin,
				body: `{"url":"file:///etc/passwd","events":["lead.created"]}`}, status: http.StatusBadRequest, want: []string{`"field":"url"`}},
			{name: "unknown event", req: request{method: "PUT", path: "/webhooks/bad", token: admin,
				body: `{"url":"https://x.example.org","events":["lead.created","lead.exploded"]}`}, status: http.StatusBadRequest,
				want: []string{`"field":"events[1]"`}},
			{name: "no events, bad secret", req: request{method: "PUT", path: "/webhooks/bad", token: admin,
				body: `{"url":"https://x.example.org","events":[],"secret":"hunter2"}`}, status: http.StatusBadRequest,
				want: []string{`"field":"events"`, `"field":"secret"`}},
			{name: "deliveries, none yet", req: request{method: "GET", path: "/webhooks/crm/deliveries", token: admin},
				status: http.StatusOK, want: []string{`"data":[]`}},
			{name: "deliveries of none", req: request{method: "GET", path: "/webhooks/nope/deliveries", token: admin}, status: http.StatusNotFound},
			{name: "staff may not", req: request{method: "GET", path: "/webhooks", token: staff}, status: http.StatusForbidden},
			{name: "delete", req: request{method: "DELETE", path: "/webhooks/erp", token: admin}, status: http.StatusOK},
			{name: "delete again", req: request{method: "DELETE", path: "/webhooks/erp", token: admin}, status: http.StatusNotFound},
		})
		if !strings.HasPrefix(made.Secret, "whsec_") || len(made.Secret) < 30 {
			t.Errorf("made secret %q", made.Secret)
		}
		// The log, as a receiver answered.
		ctx := context.Background()
		code := 503
		e.store.RecordDelivery(ctx, "crm", leads.Delivery{MessageID: "msg_1", Event: "lead.saved", Attempt: 1, StatusCode: &code,
			At: leads.Timestamp(time.Now())}, "busy")
		e.run(t, scenario{name: "deliveries", req: request{method: "GET", path: "/webhooks/crm/deliveries", token: admin},
			status: http.StatusOK, want: []string{`"messageId":"msg_1"`, `"statusCode":503`, `"attempt":1`}, deny: []string{"busy"}})
	})
}

func TestUnsubscribePages(t *testing.T) {
	t.Parallel()
	for _, eng := range engines() {
		t.Run(eng.name, func(t *testing.T) {
			t.Parallel()
			st := eng.open(t)
			e := newPageEnv(t, st, false)
			ctx := context.Background()
			l, _, err := leads.SaveFromOnboarding(ctx, st, leads.Claims{UserID: browserUser}, leads.SaveInput{Step: ptr(1)}, leads.Timestamp(time.Now()))
			if err != nil {
				t.Fatal(err)
			}
			key, err := st.Secret(ctx, "unsubscribe", 32, leads.Timestamp(time.Now()))
			if err != nil {
				t.Fatal(err)
			}
			link, _ := url.Parse(notify.UnsubscribeURL("http://leads.test", key, l.ID))
			path := link.RequestURI()
			if res := e.send("GET", path, nil, "", ""); res.StatusCode != http.StatusOK || !strings.Contains(readAll(t, res), "Stop the reminders?") {
				t.Errorf("GET the link: %d", res.StatusCode)
			}
			if got, _ := st.Lead(ctx, l.ID); got.UnsubscribedAt != nil {
				t.Fatal("a GET unsubscribed: a link scanner would unsubscribe everyone")
			}
			// A mail client's RFC 8058 one-click POST.
			res := e.send("POST", path, nil, "application/x-www-form-urlencoded", "List-Unsubscribe=One-Click")
			if body := readAll(t, res); res.StatusCode != http.StatusOK || !strings.Contains(body, "No more reminders") {
				t.Errorf("one-click POST: %d", res.StatusCode)
			}
			if got, _ := st.Lead(ctx, l.ID); got.UnsubscribedAt == nil {
				t.Error("the one-click POST did not unsubscribe")
			}
			for _, bad := range []string{"/unsubscribe?lead=" + l.ID + "&token=forged", "/unsubscribe?lead=someone-else&token=" + link.Query().Get("token"), "/unsubscribe"} {
				if res := e.send("POST", bad, nil, "", ""); res.StatusCode != http.StatusBadRequest {
					t.Errorf("POST %s: %d, want 400", bad, res.StatusCode)
				}
			}
		})
	}
}

func TestDemoMailboxAndReadiness(t *testing.T) {
	t.Parallel()
	st := openSQLite(t)
	box := notify.NewMailbox(10)
	box.Send(context.Background(), notify.Message{ID: "new_lead.1@leads.test", From: "Enrolment <no-reply@leads.test>",
		To: "desk@leads.test", Subject: "New lead: Ada <script>", Text: "Open the lead: http://leads.test/staff/leads/1",
		HTML: "<p>Hello <strong>desk</strong></p>", Date: time.Now()})
	h := NewServer(Config{Store: st, Mailbox: box, Demo: &Demo{Secret: testSecret}}).Handler()
	get := func(path string) (int, string, http.Header) {
		rec := httptestRecorder(h, "GET", path)
		return rec.Code, rec.Body.String(), rec.Header()
	}
	code, body, _ := get("/demo/mailbox")
	if code != http.StatusOK || !strings.Contains(body, "New lead: Ada &lt;script&gt;") || !strings.Contains(body, "desk@leads.test") ||
		!strings.Contains(body, "Open the lead: http://leads.test/staff/leads/1") {
		t.Errorf("mailbox: %d %s", code, body)
	}
	code, body, hdr := get("/demo/mailbox/" + url.PathEscape("new_lead.1@leads.test"))
	if code != http.StatusOK || body != "<p>Hello <strong>desk</strong></p>" || !strings.Contains(hdr.Get("Content-Security-Policy"), "default-src 'none'") {
		t.Errorf("the HTML part: %d %q %v", code, body, hdr)
	}
	if code, _, _ := get("/demo/mailbox/nope"); code != http.StatusNotFound {
		t.Errorf("an unknown e-mail: %d", code)
	}
	code, body, _ = get("/readyz")
	if code != http.StatusOK || !strings.Contains(body, `"jobs":{"pending":0,"running":0,"retrying":0,"failed":0}`) {
		t.Errorf("readyz: %d %s", code, body)
	}
}
