package web

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/leads/leads/internal/leads"
)

// errorBody is the contract's error shape (NestJS-compatible, so the guide's
// frontend reads message).
type errorBody struct {
	Success    bool               `json:"success"`
	StatusCode int                `json:"statusCode"`
	Error      string             `json:"error"`
	Message    string             `json:"message"`
	Errors     []leads.FieldError `json:"errors,omitempty"`
}

// statusOf maps a domain error code to its HTTP status; 0 for anything that is
// not a client's fault.
func statusOf(code leads.Code) int {
	switch code {
	case leads.CodeInvalid:
		return http.StatusBadRequest
	case leads.CodeUnauthorized:
		return http.StatusUnauthorized
	case leads.CodeForbidden:
		return http.StatusForbidden
	case leads.CodeNotFound:
		return http.StatusNotFound
	case leads.CodeConflict:
		return http.StatusConflict
	case leads.CodeTooLarge:
		return http.StatusRequestEntityTooLarge
	case leads.CodeTooMany:
		return http.StatusTooManyRequests
	case leads.CodeUnavailable:
		return http.StatusServiceUnavailable
	}
	return 0
}

// errorResponse turns err into a status and the body to send. An error that is
// not an *leads.Error is internal: it is logged with the request id and the
// client sees only a generic 500, never its text; or, when the database does
// not answer, a 503 (see unavailable).
func (s *Server) errorResponse(r *http.Request, err error) (int, errorBody) {
	var e *leads.Error
	if errors.As(err, &e) {
		if status := statusOf(e.Code); status != 0 {
			return status, newErrorBody(status, e.Message, e.Fields)
		}
	}
	if s.unavailable(r.Context()) {
		s.log.LogAttrs(r.Context(), slog.LevelWarn, "database unavailable",
			slog.String("request_id", requestID(r.Context())), slog.String("route", r.Pattern), slog.String("error", err.Error()))
		return http.StatusServiceUnavailable, newErrorBody(http.StatusServiceUnavailable, errDatabaseAway.Message, nil)
	}
	s.log.LogAttrs(r.Context(), slog.LevelError, "internal error",
		slog.String("request_id", requestID(r.Context())),
		slog.String("method", r.Method),
		slog.String("route", r.Pattern),
		slog.String("error", err.Error()))
	return http.StatusInternalServerError, newErrorBody(http.StatusInternalServerError, "Internal server error", nil)
}

func newErrorBody(status int, message string, fields []leads.FieldError) errorBody {
	return errorBody{Success: false, StatusCode: status, Error: http.StatusText(status), Message: message, Errors: fields}
}

// writeError answers err in the contract's error shape.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	status, body := s.errorResponse(r, err)
	setRetryAfter(w, status, err)
	s.writeJSON(w, status, body)
}

// setRetryAfter says when to come back, on a 429 or a 503.
func setRetryAfter(w http.ResponseWriter, status int, err error) {
	if status != http.StatusTooManyRequests && status != http.StatusServiceUnavailable {
		return
	}
	after := errDatabaseAway.RetryAfter
	var e *leads.Error
	if errors.As(err, &e) && e.RetryAfter > 0 {
		after = e.RetryAfter
	}
	w.Header().Set("Retry-After", strconv.Itoa(after))
}

// errDatabaseAway answers while the database does not answer.
var errDatabaseAway = &leads.Error{Code: leads.CodeUnavailable, Message: "The service is briefly unavailable; please try again shortly",
	RetryAfter: 5}

// unavailable reports whether the database has stopped answering: an
// internal error is then the outage's, and a client should come back.
func (s *Server) unavailable(ctx context.Context) bool {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
	defer cancel()
	return s.store != nil && s.store.Ping(ctx) != nil
}

// handle adapts a handler that returns an error: a returned error is answered
// by writeError, so handlers never write error responses themselves.
func (s *Server) handle(h func(w http.ResponseWriter, r *http.Request) error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			s.writeError(w, r, err)
		}
	})
}

// Errors of the HTTP layer itself.
var (
	errMissingToken = &leads.Error{Code: leads.CodeUnauthorized, Message: "Missing access token"}
	errInvalidToken = &leads.Error{Code: leads.CodeUnauthorized, Message: "Invalid or expired access token"}
	errBodyTooLarge = &leads.Error{Code: leads.CodeTooLarge, Message: "Request body too large (the limit is 64 KiB)"}
	errUnreadable   = &leads.Error{Code: leads.CodeInvalid, Message: "Could not read the request body"}
)
