package web

import (
	"context"
	"errors"
	"net/http"

	"github.com/leads/leads/internal/auth"
	"github.com/leads/leads/internal/leads"
)

// saveResponse is the body of a successful save: the lead as saved and, at the
// top level, what was saved differently from what was sent.
type saveResponse struct {
	Success  bool               `json:"success"`
	Message  string             `json:"message"`
	Data     leads.Lead         `json:"data"`
	Warnings []leads.FieldError `json:"warnings,omitempty"`
}

// saveLead is the whole "Save and Exit": parse the body, provision the caller's
// record from the token and save the caller's lead in one transaction, and
// explain the result. status is 201 when the lead was created, 200 when
// updated. The lead always belongs to p, whatever userId the body carries.
func (s *Server) saveLead(ctx context.Context, p auth.Principal, body []byte) (saveResponse, int, error) {
	in, err := leads.ParseOnboarding(body)
	if err != nil {
		return saveResponse{}, 0, err
	}
	lead, created, err := leads.SaveFromOnboarding(ctx, s.store, claimsOf(p), in, leads.Timestamp(s.now()))
	if err != nil {
		return saveResponse{}, 0, err
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	return saveResponse{Success: true, Message: "Lead saved successfully", Data: lead,
		Warnings: leads.SaveWarnings(in, lead)}, status, nil
}

func (s *Server) saveFromOnboarding(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	body, err := s.readBody(w, r)
	if err != nil {
		return err
	}
	resp, status, err := s.saveLead(r.Context(), p, body)
	if err != nil {
		return err
	}
	s.writeJSON(w, status, resp)
	return nil
}

// frontendSavePath is the guide's Next.js route.
const frontendSavePath = "/api/onboarding/save-lead"

// frontendSaveLead is the guide's Next.js route POST /api/onboarding/save-lead:
// cookie authentication only, and its own answer shapes: 200 with the backend's
// body under data, or {"error": message} with the backend's status.
func (s *Server) frontendSaveLead(w http.ResponseWriter, r *http.Request) {
	fail := func(err error) {
		status, body := s.errorResponse(r, err)
		setRetryAfter(w, status, err)
		out := frontendError{Error: body.Message, Errors: body.Errors}
		if status == http.StatusUnauthorized {
			out.Error = "Unauthorized"
		}
		s.writeJSON(w, status, out)
	}
	token := ""
	if c, err := r.Cookie(accessCookie); err == nil {
		token = c.Value
	}
	p, err := s.verify(token)
	if err != nil {
		fail(err)
		return
	}
	body, err := s.readBody(w, r)
	if err != nil {
		fail(err)
		return
	}
	resp, _, err := s.saveLead(r.Context(), p, body)
	if err != nil {
		fail(err)
		return
	}
	s.writeJSON(w, http.StatusOK, success{Success: true, Data: resp})
}

// frontendError is the Next.js route's error body; errors (beyond the guide)
// lets a page put each validation message beside its field.
type frontendError struct {
	Error  string             `json:"error"`
	Errors []leads.FieldError `json:"errors,omitempty"`
}

// leadOrNull returns the user's lead, or nil (JSON null) when there is none.
func (s *Server) leadOrNull(ctx context.Context, userID string) (*leads.Lead, error) {
	l, err := s.store.LeadByUser(ctx, userID)
	if errors.Is(err, leads.ErrLeadNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &l, nil
}

func (s *Server) myLead(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	l, err := s.leadOrNull(r.Context(), p.UserID)
	if err != nil {
		return err
	}
	s.writeJSON(w, http.StatusOK, ok("", l))
	return nil
}

func (s *Server) leadByUser(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	userID := r.PathValue("userId")
	if userID != p.UserID {
		if err := requireRole(p, auth.RoleStaff); err != nil {
			return err
		}
	}
	l, err := s.leadOrNull(r.Context(), userID)
	if err != nil {
		return err
	}
	s.writeJSON(w, http.StatusOK, ok("", l))
	return nil
}

func (s *Server) listLeads(w http.ResponseWriter, r *http.Request, _ auth.Principal) error {
	f, err := leads.ParseListQuery(r.URL.Query(), s.now(), s.contactWithin)
	if err != nil {
		return err
	}
	page, err := s.store.ListLeads(r.Context(), f)
	if err != nil {
		return err
	}
	s.writeJSON(w, http.StatusOK, ok("", page))
	return nil
}

func (s *Server) getLead(w http.ResponseWriter, r *http.Request, _ auth.Principal) error {
	l, err := s.store.Lead(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	s.writeJSON(w, http.StatusOK, ok("", l))
	return nil
}

func (s *Server) updateStatus(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	body, err := s.readBody(w, r)
	if err != nil {
		return err
	}
	ch, err := leads.ParseStatusChange(body)
	if err != nil {
		return err
	}
	if ch.ContactedBy == "" {
		ch.ContactedBy = p.UserID
	}
	l, err := leads.UpdateStatus(r.Context(), s.store, r.PathValue("id"), ch, p.UserID, leads.Timestamp(s.now()))
	if err != nil {
		return err
	}
	s.writeJSON(w, http.StatusOK, ok("Lead status updated successfully", l))
	return nil
}

func (s *Server) convertLead(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	body, err := s.readBody(w, r)
	if err != nil {
		return err
	}
	studentID, err := leads.ParseConvert(body)
	if err != nil {
		return err
	}
	l, err := leads.Convert(r.Context(), s.store, r.PathValue("id"), studentID, p.UserID, leads.Timestamp(s.now()))
	if err != nil {
		return err
	}
	s.writeJSON(w, http.StatusOK, ok("Lead marked as converted", l))
	return nil
}

// deleted is the data of a successful erasure.
type deleted struct {
	ID string `json:"id"`
}

func (s *Server) deleteLead(w http.ResponseWriter, r *http.Request, _ auth.Principal) error {
	id := r.PathValue("id")
	if err := leads.DeleteLead(r.Context(), s.store, id, leads.Timestamp(s.now())); err != nil {
		return err
	}
	s.writeJSON(w, http.StatusOK, ok("Lead deleted successfully", deleted{ID: id}))
	return nil
}
