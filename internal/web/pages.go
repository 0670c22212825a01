package web

import "net/http"

// pageRoutes registers the applicant's pages (onboarding, dashboard, sign-in).
func (s *Server) pageRoutes(mux *http.ServeMux) {}
