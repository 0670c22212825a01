package web

import (
	"errors"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/leads/leads/internal/auth"
	"github.com/leads/leads/internal/leads"
)

// demoSessionTTL is how long a demo sign-in lasts.
const demoSessionTTL = 24 * time.Hour

// pageView is what every page template receives.
type pageView struct {
	Title  string
	Script string // the page's script in /static, if any
	// Signed in: the principal and a name to greet them with.
	SignedIn bool
	UserID   string
	Name     string
	Role     auth.Role
	// Demo lists the demo sign-in links on the sign-in page (demo mode only).
	Demo    bool
	Message string // the sign-in page's explanation
	Status  *applicationStatus
	// The staff desk: Wide pages use the screen's width; Staff shows the
	// desk's navigation; Desk and Lead are the desk's two pages.
	Wide, Staff bool
	Desk        *deskView
	Lead        *leadView
	StatsPage   *statsView
	Unsubscribe *unsubscribeView
	Mailbox     *mailboxView
}

// applicationStatus is where the applicant's application stands, for /dashboard.
type applicationStatus struct {
	State     string // "none", "saved", "contacted" or "completed"
	Step      int
	SavedAt   string
	Converted string
	Summary   []summaryRow
	// Reference is what the applicant quotes to staff (leads.ApplicationRef).
	Reference string
	// Centre, Phone and ContactWithin say who calls, where and how soon.
	Centre, Phone, ContactWithin string
}

// summaryRow is one line of what the applicant has entered so far.
type summaryRow struct{ Label, Value string }

// leadSummary lists the lead's entered fields, in the order of the form.
func leadSummary(l leads.Lead) []summaryRow {
	var rows []summaryRow
	add := func(label string, vals ...*string) {
		for _, v := range vals {
			if v != nil && *v != "" {
				rows = append(rows, summaryRow{label, *v})
				return
			}
		}
	}
	add("Training location", l.TrainingLocationName, l.TrainingLocation)
	add("Centre", l.CenterName, l.CenterID)
	add("Address", l.StudentAddress)
	if l.HasGuardian {
		add("Guardian", l.GuardianName)
	}
	add("Course", l.CourseName, l.CourseID)
	if l.PaymentPlan != nil {
		add("Payment plan", ptrTo(planLabel(*l.PaymentPlan)))
	}
	return rows
}

// planLabel is a payment plan in words.
func planLabel(plan string) string {
	switch plan {
	case "full":
		return "Pay in full"
	case "instalments":
		return "Pay in instalments"
	}
	return plan
}

func ptrTo(s string) *string { return &s }

// durationWords says a delay as a person would: "24 hours", "3 days".
func durationWords(d time.Duration) string {
	plural := func(n int, unit string) string {
		if n == 1 {
			return "1 " + unit
		}
		return strconv.Itoa(n) + " " + unit + "s"
	}
	if h := int(d.Round(time.Hour).Hours()); h < 48 {
		return plural(max(h, 1), "hour")
	}
	return plural(int(d.Round(24*time.Hour).Hours()/24), "day")
}

// pagePrincipal returns the signed-in caller and a display name, or renders the
// sign-in page (401) and reports false.
func (s *Server) pagePrincipal(p *pages, w http.ResponseWriter, r *http.Request) (auth.Principal, pageView, bool) {
	pr, err := s.authenticate(r)
	if err != nil {
		p.render(w, http.StatusUnauthorized, "signin", pageView{
			Title:   "Please sign in",
			Demo:    s.demo != nil,
			Message: "You need to be signed in to see this page.",
		})
		return auth.Principal{}, pageView{}, false
	}
	if err := s.provision(r.Context(), pr); err != nil {
		// Not the visitor's fault: the database did not take the claims.
		s.log.Error("page: provision user", "error", err)
		p.render(w, http.StatusInternalServerError, "error", pageView{Title: "Something went wrong"})
		return auth.Principal{}, pageView{}, false
	}
	v := pageView{SignedIn: true, UserID: pr.UserID, Name: pr.UserID, Role: pr.Role, Demo: s.demo != nil}
	if pr.Name != nil && *pr.Name != "" {
		v.Name = *pr.Name
	}
	return pr, v, true
}

// onboardingPage serves the three-step onboarding form; onboarding.js fills it
// in from localStorage or GET /leads/me and runs Save and Exit.
func (s *Server) onboardingPage(p *pages) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		_, v, ok := s.pagePrincipal(p, w, r)
		if !ok {
			return
		}
		v.Title, v.Script = "Your enrolment", "onboarding.js"
		p.render(w, http.StatusOK, "onboarding", v)
	}
}

// dashboardPage shows an applicant where their application stands, and staff
// who is signed in.
func (s *Server) dashboardPage(p *pages) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		pr, v, ok := s.pagePrincipal(p, w, r)
		if !ok {
			return
		}
		v.Title, v.Script = "Dashboard", "dashboard.js"
		st := &applicationStatus{State: "none"}
		lead, err := s.store.LeadByUser(r.Context(), pr.UserID)
		switch {
		case errors.Is(err, leads.ErrLeadNotFound):
		case err != nil:
			s.log.Error("dashboard: read lead", "error", err)
			p.render(w, http.StatusInternalServerError, "error", pageView{Title: "Something went wrong"})
			return
		default:
			st.Step, st.Summary = lead.OnboardingStep, leadSummary(lead)
			st.Reference = leads.ApplicationRef(lead.ID)
			st.Centre, st.Phone = deref(lead.CenterName), deref(lead.Phone)
			st.ContactWithin = durationWords(s.contactWithin)
			if pr.Name == nil && lead.FullName != "" {
				v.Name = lead.FullName // the user record's name, when the token has none
			}
			st.SavedAt = lead.LastSavedAt.UTC().Format("2 January 2006, 15:04 UTC")
			switch lead.Status {
			case leads.StatusConverted:
				st.State = "completed"
				if lead.ConvertedAt != nil {
					st.Converted = lead.ConvertedAt.UTC().Format("2 January 2006")
				}
			case leads.StatusContacted:
				st.State = "contacted"
			default:
				st.State = "saved"
			}
		}
		v.Status = st
		p.render(w, http.StatusOK, "dashboard", v)
	}
}

// completeOnboarding handles Finish: it saves the last step like Save and Exit,
// then creates the student record and converts the lead. Completing again
// changes nothing.
func (s *Server) completeOnboarding(w http.ResponseWriter, r *http.Request) error {
	pr, err := s.authenticate(r)
	if err != nil {
		return err
	}
	// A cross-site form cannot send application/json without a CORS preflight,
	// so this check keeps the cookie-authenticated POST safe from CSRF.
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/json" {
		return leads.Invalid(leads.FieldError{Field: "Content-Type", Message: "must be application/json"})
	}
	body, err := s.readBody(w, r)
	if err != nil {
		return err
	}
	if _, _, err := s.saveLead(r.Context(), pr, body); err != nil {
		return err
	}
	lead, err := leads.CompleteOnboarding(r.Context(), s.store, pr.UserID, leads.Timestamp(s.now()))
	if err != nil {
		return err
	}
	s.writeJSON(w, http.StatusOK, struct {
		Success bool       `json:"success"`
		Message string     `json:"message"`
		Data    leads.Lead `json:"data"`
	}{true, "Enrolment completed", lead})
	return nil
}

// secure reports whether cookies must be Secure: the request came over TLS,
// or the service's public URL is https (a TLS-terminating proxy in front
// talks plain HTTP to it).
func (s *Server) secure(r *http.Request) bool {
	return r.TLS != nil || strings.HasPrefix(s.publicURL, "https://")
}

// demoLogin signs the browser in as a demo account (leads serve --demo only).
func (s *Server) demoLogin(p *pages) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		role := auth.Role(r.URL.Query().Get("as"))
		acct, ok := s.demo.Accounts[role]
		if !ok {
			p.render(w, http.StatusBadRequest, "signin", pageView{
				Title: "Please sign in", Demo: true,
				Message: "Choose one of the demo accounts below.",
			})
			return
		}
		tok, err := auth.Mint(s.demo.Secret, acct, demoSessionTTL, s.now())
		if err != nil {
			s.log.Error("demo login: mint token", "error", err)
			p.render(w, http.StatusInternalServerError, "error", pageView{Title: "Something went wrong"})
			return
		}
		http.SetCookie(w, &http.Cookie{
			Name: accessCookie, Value: tok, Path: "/",
			MaxAge: int(demoSessionTTL / time.Second), HttpOnly: true,
			Secure: s.secure(r), SameSite: http.SameSiteLaxMode,
		})
		dest := "/staff"
		if role == auth.RoleStudent {
			dest = "/onboarding"
		}
		http.Redirect(w, r, dest, http.StatusSeeOther)
	}
}

// signOut forgets the token cookie and goes back to the dashboard (which then
// asks to sign in).
func (s *Server) signOut(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, &http.Cookie{
		Name: accessCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true,
		Secure: s.secure(r), SameSite: http.SameSiteLaxMode,
	})
	http.Redirect(w, r, "/dashboard", http.StatusSeeOther)
}
