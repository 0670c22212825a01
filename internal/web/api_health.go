package web

import (
	"context"
	_ "embed"
	"net/http"
	"time"

	"github.com/leads/leads/internal/leads"
)

// openAPIDoc is the OpenAPI 3 description of every endpoint; the API tests
// validate every response against it, so it cannot drift from the handlers.
// openapi.json is generated from openapi.yaml: edit the YAML, then run
// go generate ./internal/web.
//
//go:generate go run ../../tools/openapi -in openapi.yaml -out openapi.json
//go:embed openapi.json
var openAPIDoc []byte

// readyTimeout bounds the database check of GET /readyz.
const readyTimeout = 2 * time.Second

// healthStatus is the body of the health endpoints; readiness adds the job
// queue's counts, for operators.
type healthStatus struct {
	Status string           `json:"status"`
	Jobs   *leads.JobCounts `json:"jobs,omitempty"`
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) error {
	s.writeJSON(w, http.StatusOK, healthStatus{Status: "ok"})
	return nil
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) error {
	ctx, cancel := context.WithTimeout(r.Context(), readyTimeout)
	defer cancel()
	if err := s.store.Ping(ctx); err != nil {
		s.log.Warn("not ready: database does not answer", "request_id", requestID(r.Context()), "error", err.Error())
		s.writeJSON(w, http.StatusServiceUnavailable,
			newErrorBody(http.StatusServiceUnavailable, "Database unavailable", nil))
		return nil
	}
	jobs, err := s.store.JobCounts(ctx)
	if err != nil {
		s.log.Warn("readiness: count jobs", "request_id", requestID(r.Context()), "error", err.Error())
		s.writeJSON(w, http.StatusOK, healthStatus{Status: "ready"})
		return nil
	}
	s.writeJSON(w, http.StatusOK, healthStatus{Status: "ready", Jobs: &jobs})
	return nil
}

func (s *Server) openAPI(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "public, max-age=300")
	_, _ = w.Write(openAPIDoc) // a failed write means the client is gone
	return nil
}
