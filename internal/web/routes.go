package web

import "net/http"

// routes registers every route. API routes are in api_*.go, pages in pages.go.
func (s *Server) routes(mux *http.ServeMux) {
	s.pageRoutes(mux)
}
