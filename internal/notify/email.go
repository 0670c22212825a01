package notify

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	htmltemplate "html/template"
	"net/url"
	"strings"
	texttemplate "text/template"

	"github.com/leads/leads/internal/leads"
)

// The e-mails: a subject, a plain-text part and an HTML part each, both
// readable on their own. Links carry no token: they lead to pages that ask to
// sign in, except the unsubscribe link, which is signed (UnsubscribeToken).

// emailView is what the e-mail templates receive.
type emailView struct {
	Lead           leads.Lead
	Link           string // the page to go on to
	UnsubscribeURL string
	StepName       string
	Assignee       string
	Tel            htmltemplate.URL // the phone as a tel: link
}

// stepNames name the onboarding's steps.
var stepNames = map[int]string{1: "your details", 2: "your course", 3: "your payment plan"}

type emailTemplate struct {
	subject *texttemplate.Template
	text    *texttemplate.Template
	html    *htmltemplate.Template
}

func newEmailTemplate(subject, text, html string) emailTemplate {
	return emailTemplate{
		subject: texttemplate.Must(texttemplate.New("s").Parse(subject)),
		text:    texttemplate.Must(texttemplate.New("t").Parse(text)),
		html:    htmltemplate.Must(htmltemplate.New("h").Parse(htmlHead + html + htmlFoot)),
	}
}

const htmlHead = `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">` +
	`<title>{{template "title" .}}</title></head><body style="margin:0;padding:16px;font:16px/1.5 system-ui,sans-serif;color:#1a1d21;background:#f5f7f9">` +
	`<div style="max-width:560px;margin:0 auto;background:#fff;border:1px solid #c5ccd3;border-radius:8px;padding:20px">`
const htmlFoot = `</div></body></html>`

// button is an e-mail client's link that looks like a button.
const button = `style="display:inline-block;padding:10px 18px;background:#0b5cad;color:#fff;text-decoration:none;border-radius:4px;font-weight:600"`

var emailTemplates = map[string]emailTemplate{
	leads.EmailNewLead: newEmailTemplate(
		`New lead: {{.Lead.FullName}}{{with .Lead.CenterName}} ({{.}}){{end}}`,
		`A new lead is waiting for a call{{if .Assignee}}, assigned to {{.Assignee}}{{end}}.

Name:    {{.Lead.FullName}}
Phone:   {{with .Lead.Phone}}{{.}}{{else}}not given{{end}}
E-mail:  {{.Lead.Email}}
Centre:  {{with .Lead.CenterName}}{{.}}{{else}}not chosen yet{{end}}
Course:  {{with .Lead.CourseName}}{{.}}{{else}}not chosen yet{{end}}
Step:    {{.Lead.OnboardingStep}} of 3 ({{.StepName}})

Open the lead: {{.Link}}
`,
		`{{define "title"}}New lead{{end}}<h1 style="font-size:20px;margin:0 0 12px">New lead: {{.Lead.FullName}}</h1>
<p>A new lead is waiting for a call{{if .Assignee}}, assigned to {{.Assignee}}{{end}}.</p>
<table style="border-collapse:collapse;margin:0 0 16px">
<tr><th align="left" style="padding:2px 12px 2px 0">Phone</th><td>{{with .Lead.Phone}}<a href="{{$.Tel}}">{{.}}</a>{{else}}not given{{end}}</td></tr>
<tr><th align="left" style="padding:2px 12px 2px 0">E-mail</th><td>{{.Lead.Email}}</td></tr>
<tr><th align="left" style="padding:2px 12px 2px 0">Centre</th><td>{{with .Lead.CenterName}}{{.}}{{else}}not chosen yet{{end}}</td></tr>
<tr><th align="left" style="padding:2px 12px 2px 0">Course</th><td>{{with .Lead.CourseName}}{{.}}{{else}}not chosen yet{{end}}</td></tr>
<tr><th align="left" style="padding:2px 12px 2px 0">Step</th><td>{{.Lead.OnboardingStep}} of 3 ({{.StepName}})</td></tr>
</table>
<p><a href="{{.Link}}" `+button+`>Open the lead</a></p>`),
	leads.EmailProgressSaved: newEmailTemplate(
		`Your enrolment is saved`,
		`Hello {{.Lead.FullName}},

Your progress is saved: you stopped at step {{.Lead.OnboardingStep}} of 3 ({{.StepName}}).
Everything you entered is kept. When you are ready, continue where you left off:

{{.Link}}

(You will be asked to sign in.) Our team may also call you to help.
`,
		`{{define "title"}}Your enrolment is saved{{end}}<h1 style="font-size:20px;margin:0 0 12px">Your progress is saved</h1>
<p>Hello {{.Lead.FullName}},</p>
<p>You stopped at <strong>step {{.Lead.OnboardingStep}} of 3</strong> ({{.StepName}}). Everything you entered is kept.</p>
<p><a href="{{.Link}}" `+button+`>Continue your enrolment</a></p>
<p style="color:#4f5862;font-size:14px">You will be asked to sign in. Our team may also call you to help.</p>`),
	leads.EmailNudge: newEmailTemplate(
		`Finish your enrolment: you are at step {{.Lead.OnboardingStep}} of 3`,
		`Hello {{.Lead.FullName}},

You started enrolling{{with .Lead.CourseName}} for {{.}}{{end}} and stopped at step {{.Lead.OnboardingStep}} of 3 ({{.StepName}}).
Your answers are kept; it takes a few minutes to finish:

{{.Link}}

(You will be asked to sign in.)

No more reminders: {{.UnsubscribeURL}}
`,
		`{{define "title"}}Finish your enrolment{{end}}<h1 style="font-size:20px;margin:0 0 12px">Finish your enrolment</h1>
<p>Hello {{.Lead.FullName}},</p>
<p>You started enrolling{{with .Lead.CourseName}} for <strong>{{.}}</strong>{{end}} and stopped at
<strong>step {{.Lead.OnboardingStep}} of 3</strong> ({{.StepName}}). Your answers are kept; it takes a few minutes to finish.</p>
<p><a href="{{.Link}}" `+button+`>Continue your enrolment</a></p>
<p style="color:#4f5862;font-size:14px">You will be asked to sign in.
<a href="{{.UnsubscribeURL}}">No more reminders</a>.</p>`),
}

// compose renders an e-mail of kind about the lead.
func compose(kind string, v emailView) (subject, text, html string, err error) {
	t, ok := emailTemplates[kind]
	if !ok {
		return "", "", "", fmt.Errorf("no e-mail of kind %q", kind)
	}
	v.StepName = stepNames[v.Lead.OnboardingStep]
	if v.Lead.Phone != nil {
		// html/template refuses the tel: scheme of a plain string: keep the
		// dialable characters and say it is a URL.
		v.Tel = htmltemplate.URL("tel:" + strings.Map(func(r rune) rune {
			if r >= '0' && r <= '9' || r == '+' {
				return r
			}
			return -1
		}, *v.Lead.Phone))
	}
	var s, tx, h bytes.Buffer
	if err := t.subject.Execute(&s, v); err != nil {
		return "", "", "", err
	}
	if err := t.text.Execute(&tx, v); err != nil {
		return "", "", "", err
	}
	if err := t.html.Execute(&h, v); err != nil {
		return "", "", "", err
	}
	return s.String(), tx.String(), h.String(), nil
}

// UnsubscribeToken signs a lead id for its unsubscribe link, with the key the
// service keeps in its database (the same on every instance).
func UnsubscribeToken(key []byte, leadID string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte("unsubscribe:" + leadID))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// ValidUnsubscribeToken reports whether token signs leadID.
func ValidUnsubscribeToken(key []byte, leadID, token string) bool {
	return hmac.Equal([]byte(UnsubscribeToken(key, leadID)), []byte(token))
}

// UnsubscribeURL is the signed one-click link of a lead's nudges.
func UnsubscribeURL(publicURL string, key []byte, leadID string) string {
	return publicURL + "/unsubscribe?" + url.Values{"lead": {leadID}, "token": {UnsubscribeToken(key, leadID)}}.Encode()
}
