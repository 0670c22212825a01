package web

import (
	"net/http"

	"github.com/leads/leads/internal/auth"
)

// router is where routes go: an *http.ServeMux, or a test's list of patterns.
type router interface {
	Handle(pattern string, handler http.Handler)
}

// routes registers every route. API handlers are in api_*.go, pages in pages*.go.
// The page templates and assets are parsed once, here, when the handler is built.
// Every route is described in openapi.yaml (TestRoutesAreDocumented).
func (s *Server) routes(mux router) {
	const student, staff, admin = auth.RoleStudent, auth.RoleStaff, auth.RoleAdmin

	mux.Handle("GET /healthz", s.handle(s.healthz))
	mux.Handle("GET /readyz", s.handle(s.readyz))
	mux.Handle("GET /openapi.json", s.handle(s.openAPI))

	mux.Handle("POST /leads/save-from-onboarding", s.saving(s.saveFromOnboarding))
	mux.Handle("GET /leads/me", s.reading(student, s.myLead))
	mux.Handle("GET /leads/user/{userId}", s.reading(student, s.leadByUser))
	mux.Handle("GET /leads", s.reading(staff, s.listLeads))
	mux.Handle("GET /leads/export.csv", s.authed(staff, s.exportCSV))
	mux.Handle("GET /leads/stats", s.authed(staff, s.leadStats))
	mux.Handle("GET /leads/{id}", s.reading(staff, s.getLead))
	mux.Handle("PUT /leads/{id}/status", s.authed(staff, s.updateStatus))
	mux.Handle("PUT /leads/{id}/convert", s.authed(staff, s.convertLead))
	mux.Handle("DELETE /leads/{id}", s.authed(admin, s.deleteLead))
	mux.Handle("PUT /leads/{id}/assign", s.authed(staff, s.assignLead))
	mux.Handle("POST /leads/{id}/notes", s.authed(staff, s.addNote))
	mux.Handle("POST /leads/{id}/calls", s.authed(staff, s.logCall))
	mux.Handle("GET /activities", s.authed(staff, s.listActivities))
	mux.Handle("PUT /roster/{id}", s.authed(admin, s.putRoster))
	mux.Handle("GET /roster", s.authed(staff, s.listRoster))
	mux.Handle("PUT /webhooks/{id}", s.authed(admin, s.putWebhook))
	mux.Handle("GET /webhooks", s.authed(admin, s.listWebhooks))
	mux.Handle("DELETE /webhooks/{id}", s.authed(admin, s.deleteWebhook))
	mux.Handle("GET /webhooks/{id}/deliveries", s.authed(admin, s.listDeliveries))

	mux.Handle("POST "+frontendSavePath, http.HandlerFunc(s.frontendSaveLead))

	mux.Handle("PUT /users/{id}", s.authed(admin, s.putUser))
	mux.Handle("PUT /locations/{id}", s.authed(admin, s.putLocation))
	mux.Handle("PUT /centers/{id}", s.authed(admin, s.putCenter))
	mux.Handle("PUT /courses/{id}", s.authed(admin, s.putCourse))
	mux.Handle("PUT /students/{id}", s.authed(admin, s.putStudent))
	mux.Handle("GET /locations", s.handle(s.listLocations))
	mux.Handle("GET /centers", s.handle(s.listCenters))
	mux.Handle("GET /courses", s.handle(s.listCourses))

	// The applicant's pages.
	p := s.pages
	mux.Handle("GET /{$}", http.RedirectHandler("/dashboard", http.StatusSeeOther))
	mux.Handle("GET /static/{file}", p.assets)
	mux.Handle("GET /favicon.ico", http.HandlerFunc(p.assets.favicon))
	mux.Handle("GET /sw.js", http.HandlerFunc(p.serviceWorker))
	mux.Handle("GET /offline", http.HandlerFunc(p.offlinePage))
	mux.Handle("GET /onboarding", s.onboardingPage(p))
	mux.Handle("GET /dashboard", s.dashboardPage(p))
	mux.Handle("POST /onboarding/complete", s.handle(s.completeOnboarding))
	mux.Handle("POST /signout", http.HandlerFunc(s.signOut))

	// The staff desk's pages.
	mux.Handle("GET /staff", s.staffDesk(p))
	mux.Handle("GET /staff/leads/{id}", s.staffLead(p))
	mux.Handle("GET /staff/stats", s.staffStats(p))
	for _, form := range []string{"status", "call", "note", "assign", "convert"} {
		mux.Handle("POST /staff/leads/{id}/"+form, s.staffAction(p, form))
	}
	mux.Handle("GET /unsubscribe", s.unsubscribe(p))
	mux.Handle("POST /unsubscribe", s.unsubscribe(p))
	if s.demo != nil {
		mux.Handle("GET /demo/login", s.demoLogin(p))
	}
	if s.mailbox != nil {
		mux.Handle("GET /demo/mailbox", s.demoMailbox(p))
		mux.Handle("GET /demo/mailbox/{id}", s.demoMailboxHTML(p))
	}
}
