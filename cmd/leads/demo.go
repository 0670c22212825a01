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
		courses: []leads.Course{
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
		},
	}
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
	p.line("  staff:              %s/demo/login?as=staff", base)
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
