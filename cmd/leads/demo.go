package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"time"

	"github.com/leads/leads/internal/auth"
	"github.com/leads/leads/internal/leads"
	"github.com/leads/leads/internal/web"
)

// devSecret signs tokens in demo mode when no LEADS_JWT_SECRET is set. It is
// public (it is in the source), so a server using it trusts anyone.
const devSecret = "leads-demo-development-secret-do-not-use-in-production"

// demoTokenTTL is how long the printed demo tokens stay valid.
const demoTokenTTL = 24 * time.Hour

// catalogue is reference data to seed.
type catalogue struct {
	locations []leads.Location
	centers   []leads.Center
	courses   []leads.Course
}

// demoAccount is a demo user and the role their token carries.
type demoAccount struct {
	role auth.Role
	user leads.User
}

// demoCatalogue is the demo's reference data: Nigerian states, a centre in each
// and a few courses per centre.
func demoCatalogue() catalogue {
	return catalogue{
		locations: []leads.Location{
			{ID: "fct-abuja", Name: "FCT Abuja"},
			{ID: "lagos", Name: "Lagos"},
			{ID: "kano", Name: "Kano"},
			{ID: "rivers", Name: "Rivers"},
		},
		centers: []leads.Center{
			{ID: "abuja-center", Name: "Abuja Center", LocationID: ptr("fct-abuja")},
			{ID: "lagos-center", Name: "Lagos Center", LocationID: ptr("lagos")},
			{ID: "kano-center", Name: "Kano Center", LocationID: ptr("kano")},
			{ID: "port-harcourt-center", Name: "Port Harcourt Center", LocationID: ptr("rivers")},
		},
		courses: withDetails([]leads.Course{
			{ID: "abuja-digital-marketing", Name: "Digital Marketing Course", CenterID: ptr("abuja-center")},
			{ID: "abuja-web-development", Name: "Web Development", CenterID: ptr("abuja-center")},
			{ID: "abuja-fashion-design", Name: "Fashion Design", CenterID: ptr("abuja-center")},
			{ID: "lagos-digital-marketing", Name: "Digital Marketing Course", CenterID: ptr("lagos-center")},
			{ID: "lagos-web-development", Name: "Web Development", CenterID: ptr("lagos-center")},
			{ID: "lagos-solar-installation", Name: "Solar Installation", CenterID: ptr("lagos-center")},
			{ID: "kano-fashion-design", Name: "Fashion Design", CenterID: ptr("kano-center")},
			{ID: "kano-solar-installation", Name: "Solar Installation", CenterID: ptr("kano-center")},
			{ID: "port-harcourt-web-development", Name: "Web Development", CenterID: ptr("port-harcourt-center")},
			{ID: "port-harcourt-solar-installation", Name: "Solar Installation", CenterID: ptr("port-harcourt-center")},
		}),
	}
}

// courseDetails are what the demo's courses are chosen by, by name; Fashion
// Design has no fee on purpose, as a real catalogue may lack one.
var courseDetails = map[string]leads.Course{
	"Digital Marketing Course": {Description: ptr("Social media, search and e-mail campaigns for small businesses, with a live project."),
		Duration: ptr("8 weeks, weekday evenings"), Fee: ptr("₦95,000")},
	"Web Development": {Description: ptr("Build and publish websites with HTML, CSS and JavaScript; ends with your own portfolio site."),
		Duration: ptr("12 weeks, weekdays"), Fee: ptr("₦180,000")},
	"Fashion Design": {Description: ptr("Pattern cutting, sewing and finishing, from sketch to a garment you keep."),
		Duration: ptr("16 weeks, Saturdays")},
	"Solar Installation": {Description: ptr("Size, install and maintain home solar systems; half of the time on site."),
		Duration: ptr("6 weeks, full time"), Fee: ptr("₦150,000")},
}

// withDetails fills each course's details from courseDetails.
func withDetails(cs []leads.Course) []leads.Course {
	for i, c := range cs {
		d := courseDetails[c.Name]
		cs[i].Description, cs[i].Duration, cs[i].Fee = d.Description, d.Duration, d.Fee
	}
	return cs
}

// demoUsers are the demo accounts, one per role, in the order they are printed.
func demoUsers() []demoAccount {
	return []demoAccount{
		{auth.RoleStudent, leads.User{ID: "demo-student", FullName: "Mercy Isaiah", Email: "mercy.isaiah@example.com", Phone: ptr("08031234567")}},
		{auth.RoleStaff, leads.User{ID: "demo-staff", FullName: "Tunde Bakare", Email: "tunde.bakare@example.com", Phone: ptr("08051234567")}},
		{auth.RoleAdmin, leads.User{ID: "demo-admin", FullName: "Amina Yusuf", Email: "amina.yusuf@example.com"}},
	}
}

func ptr[T any](v T) *T { return &v }

// demoRoster is the staff of the demo: the demo staff account works at every
// centre with a colleague at Abuja and Lagos, so leads are shared round robin.
func demoRoster() []leads.Staff {
	all := []string{"abuja-center", "lagos-center", "kano-center", "port-harcourt-center"}
	return []leads.Staff{
		{ID: "demo-staff", FullName: "Tunde Bakare", Email: "tunde.bakare@example.com", CenterIDs: all, Active: true},
		{ID: "demo-staff-2", FullName: "Ngozi Eze", Email: "ngozi.eze@example.com", CenterIDs: all[:2], Active: true},
	}
}

// demoApplicant is a demo lead: an applicant, what they saved and when, and
// what staff have done since.
type demoApplicant struct {
	user    leads.User
	save    leads.SaveInput
	age     time.Duration // how long ago the lead was created
	then    func(ctx context.Context, st leads.Store, l leads.Lead, at time.Time) error
	thenAge time.Duration // how long ago staff acted
}

// demoApplicants are leads in every state, so the desk has something to show.
func demoApplicants() []demoApplicant {
	in := func(location, centre, course string, step int) leads.SaveInput {
		return leads.SaveInput{TrainingLocation: ptr(location), CenterID: ptr(centre),
			CenterIDField: "selectedCenter.id", CourseID: ptr(course), Step: ptr(step), StudentAddress: ptr("14 Ahmadu Bello Way")}
	}
	call := func(o leads.CallOutcome, text string) func(context.Context, leads.Store, leads.Lead, time.Time) error {
		return func(ctx context.Context, st leads.Store, l leads.Lead, at time.Time) error {
			_, err := leads.LogCall(ctx, st, l.ID, leads.Call{Outcome: o, Text: &text}, "demo-staff", at)
			return err
		}
	}
	return []demoApplicant{
		{user: leads.User{ID: "demo-applicant-1", FullName: "Chinedu Okeke", Email: "chinedu.okeke@example.com", Phone: ptr("08021234501")},
			save: in("lagos", "lagos-center", "lagos-web-development", 1), age: 50 * time.Hour},
		{user: leads.User{ID: "demo-applicant-2", FullName: "Aisha Bello", Email: "aisha.bello@example.com", Phone: ptr("08021234502")},
			save: in("fct-abuja", "abuja-center", "abuja-fashion-design", 2), age: 30 * time.Hour,
			then: call(leads.CallReached, "Interested; will pay the deposit on Friday."), thenAge: 6 * time.Hour},
		{user: leads.User{ID: "demo-applicant-3", FullName: "Funke Adeyemi", Email: "funke.adeyemi@example.com", Phone: ptr("08021234503")},
			save: in("lagos", "lagos-center", "lagos-solar-installation", 2), age: 9 * 24 * time.Hour,
			then: func(ctx context.Context, st leads.Store, l leads.Lead, at time.Time) error {
				_, err := leads.UpdateStatus(ctx, st, l.ID, leads.StatusChange{Status: leads.StatusLost,
					Reason: ptr("Moved to Ibadan; no centre nearby.")}, "demo-staff-2", at)
				return err
			}, thenAge: 7 * 24 * time.Hour},
		{user: leads.User{ID: "demo-applicant-4", FullName: "Ibrahim Musa", Email: "ibrahim.musa@example.com", Phone: ptr("08021234504")},
			save: in("kano", "kano-center", "kano-solar-installation", 3), age: 2 * time.Hour,
			then: call(leads.CallNoAnswer, "No answer; try after 5pm."), thenAge: time.Hour},
		{user: leads.User{ID: "demo-applicant-5", FullName: "Blessing Nwosu", Email: "blessing.nwosu@example.com", Phone: ptr("08021234505")},
			save: in("fct-abuja", "abuja-center", "abuja-digital-marketing", 3), age: 5 * 24 * time.Hour,
			then: func(ctx context.Context, st leads.Store, l leads.Lead, at time.Time) error {
				_, err := leads.CompleteOnboarding(ctx, st, l.UserID, at)
				return err
			}, thenAge: 4 * 24 * time.Hour},
	}
}

// seedDemo writes the demo catalogue and accounts with PUT semantics, so it is
// safe on every start, and returns what the demo sign-in needs.
func seedDemo(ctx context.Context, st leads.Store, secret []byte) (*web.Demo, error) {
	cat, users := demoCatalogue(), demoUsers()
	for _, l := range cat.locations {
		if _, err := st.PutLocation(ctx, l); err != nil {
			return nil, fmt.Errorf("seed location %s: %w", l.ID, err)
		}
	}
	for _, c := range cat.centers {
		if _, err := st.PutCenter(ctx, c); err != nil {
			return nil, fmt.Errorf("seed centre %s: %w", c.ID, err)
		}
	}
	for _, c := range cat.courses {
		if _, err := st.PutCourse(ctx, c); err != nil {
			return nil, fmt.Errorf("seed course %s: %w", c.ID, err)
		}
	}
	for _, m := range demoRoster() {
		if _, err := leads.PutStaff(ctx, st, m, leads.Timestamp(time.Now())); err != nil {
			return nil, fmt.Errorf("seed staff %s: %w", m.ID, err)
		}
	}
	// The demo leads, once: a lead already there is the demo's own, moved on
	// by whoever tried the desk.
	now := time.Now()
	for _, a := range demoApplicants() {
		if _, err := st.LeadByUser(ctx, a.user.ID); err == nil {
			continue
		}
		if _, err := st.PutUser(ctx, a.user, leads.Timestamp(now.Add(-a.age))); err != nil {
			return nil, fmt.Errorf("seed user %s: %w", a.user.ID, err)
		}
		l, _, err := leads.SaveFromOnboarding(ctx, st, leads.Claims{UserID: a.user.ID}, a.save, leads.Timestamp(now.Add(-a.age)))
		if err != nil {
			return nil, fmt.Errorf("seed lead of %s: %w", a.user.ID, err)
		}
		if a.then != nil {
			if err := a.then(ctx, st, l, leads.Timestamp(now.Add(-a.thenAge))); err != nil {
				return nil, fmt.Errorf("seed lead of %s: %w", a.user.ID, err)
			}
		}
	}
	demo := &web.Demo{Secret: secret, Accounts: make(map[auth.Role]auth.Principal, len(users))}
	for _, d := range users {
		if _, err := st.PutUser(ctx, d.user, leads.Timestamp(time.Now())); err != nil {
			return nil, fmt.Errorf("seed user %s: %w", d.user.ID, err)
		}
		demo.Accounts[d.role] = auth.Principal{
			UserID: d.user.ID, Role: d.role,
			Name: ptr(d.user.FullName), Email: ptr(d.user.Email), Phone: d.user.Phone,
		}
	}
	return demo, nil
}

// demoSaveBody is a ready-to-send onboarding save for the demo catalogue.
const demoSaveBody = `{"profile":{"trainingLocation":"fct-abuja","centre":"abuja-center","studentAddress":"12 Aminu Kano Crescent, Wuse 2","hasGuardian":false},` +
	`"selectedCenter":{"id":"abuja-center","name":"Abuja Center"},"selectedCourse":{"id":"abuja-digital-marketing","name":"Digital Marketing Course"},"step":2,"source":"onboarding"}`

// printDemo prints a token per demo account, curl examples and browser links.
// withDevSecret says whether the fixed development secret is in use.
func printDemo(w io.Writer, addr string, demo *web.Demo, withDevSecret bool) error {
	base := "http://" + browsable(addr)
	now := time.Now()
	users := demoUsers()
	tokens := make(map[auth.Role]string, len(users))
	p := &printer{w: w}
	p.line("")
	if withDevSecret {
		p.line("WARNING: demo mode signs tokens with a fixed development secret; it is for development only, never for production.")
		p.line("")
	}
	p.line("Demo accounts (tokens valid %.0f hours):", demoTokenTTL.Hours())
	for _, d := range users {
		tok, err := auth.Mint(demo.Secret, demo.Accounts[d.role], demoTokenTTL, now)
		if err != nil {
			return err
		}
		tokens[d.role] = tok
		p.line("  %-7s %s (%s)", d.role, d.user.ID, d.user.FullName)
		p.line("    Authorization: Bearer %s", tok)
	}
	p.line("")
	p.line("Save the demo student's onboarding progress (Save and Exit):")
	p.line("  curl -s -X POST %s/leads/save-from-onboarding -H 'Authorization: Bearer %s' -H 'Content-Type: application/json' -d '%s'",
		base, tokens[auth.RoleStudent], demoSaveBody)
	p.line("List leads as staff:")
	p.line("  curl -s '%s/leads?page=1&limit=10' -H 'Authorization: Bearer %s'", base, tokens[auth.RoleStaff])
	p.line("")
	p.line("Open in a browser:")
	p.line("  student onboarding: %s/demo/login?as=student", base)
	p.line("  staff desk:         %s/demo/login?as=staff", base)
	p.line("  demo mailbox:       %s/demo/mailbox (every e-mail the service sends)", base)
	p.line("")
	return p.err
}

// browsable turns a listen address into one a browser can open: a wildcard
// host (":8080", "[::]:8080") becomes the loopback address.
func browsable(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port)
}

// printer writes lines and keeps the first error.
type printer struct {
	w   io.Writer
	err error
}

func (p *printer) line(format string, args ...any) {
	if p.err == nil {
		_, p.err = fmt.Fprintf(p.w, format+"\n", args...)
	}
}
