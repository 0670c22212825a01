package web

import (
	"context"
	"encoding/csv"
	"net/http"

	"github.com/leads/leads/internal/auth"
	"github.com/leads/leads/internal/leads"
)

// The staff desk's API (contract §7): roster, assignment, timeline, notes,
// calls and the CSV export.

func (s *Server) putRoster(w http.ResponseWriter, r *http.Request, _ auth.Principal) error {
	return putReference(s, w, r, leads.ParseStaff, func(ctx context.Context, m leads.Staff) (bool, error) {
		return leads.PutStaff(ctx, s.store, m, leads.Timestamp(s.now()))
	})
}

func (s *Server) listRoster(w http.ResponseWriter, r *http.Request, _ auth.Principal) error {
	staff, err := s.store.Roster(r.Context())
	if err != nil {
		return err
	}
	s.writeJSON(w, http.StatusOK, ok("", nonNil(staff)))
	return nil
}

func (s *Server) assignLead(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	body, err := s.readBody(w, r)
	if err != nil {
		return err
	}
	staffID, err := leads.ParseAssign(body)
	if err != nil {
		return err
	}
	l, err := leads.Assign(r.Context(), s.store, r.PathValue("id"), staffID, p.UserID, leads.Timestamp(s.now()))
	if err != nil {
		return err
	}
	s.writeJSON(w, http.StatusOK, ok("Lead assignment updated", l))
	return nil
}

func (s *Server) listActivities(w http.ResponseWriter, r *http.Request, _ auth.Principal) error {
	leadID, page, limit, err := leads.ParseActivityQuery(r.URL.Query())
	if err != nil {
		return err
	}
	acts, err := s.store.Activities(r.Context(), leadID, page, limit)
	if err != nil {
		return err
	}
	s.writeJSON(w, http.StatusOK, ok("", acts))
	return nil
}

func (s *Server) addNote(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	body, err := s.readBody(w, r)
	if err != nil {
		return err
	}
	text, err := leads.ParseNote(body)
	if err != nil {
		return err
	}
	a, err := leads.AddNote(r.Context(), s.store, r.PathValue("id"), text, p.UserID, leads.Timestamp(s.now()))
	if err != nil {
		return err
	}
	s.writeJSON(w, http.StatusCreated, ok("Note added", a))
	return nil
}

func (s *Server) logCall(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	body, err := s.readBody(w, r)
	if err != nil {
		return err
	}
	c, err := leads.ParseCall(body)
	if err != nil {
		return err
	}
	a, err := leads.LogCall(r.Context(), s.store, r.PathValue("id"), c, p.UserID, leads.Timestamp(s.now()))
	if err != nil {
		return err
	}
	s.writeJSON(w, http.StatusCreated, ok("Call logged", a))
	return nil
}

func (s *Server) leadStats(w http.ResponseWriter, r *http.Request, _ auth.Principal) error {
	st, err := s.stats(r)
	if err != nil {
		return err
	}
	s.writeJSON(w, http.StatusOK, ok("", st))
	return nil
}

// stats computes the conversion figures the request's query asks for.
func (s *Server) stats(r *http.Request) (leads.Stats, error) {
	now := s.now()
	f, err := leads.ParseStatsQuery(r.URL.Query(), now)
	if err != nil {
		return leads.Stats{}, err
	}
	weeks, delays, err := s.store.Stats(r.Context(), f, now.Add(-s.contactWithin))
	if err != nil {
		return leads.Stats{}, err
	}
	return leads.BuildStats(f, weeks, delays, now), nil
}

// exportCSV streams every lead the filter selects as CSV. The filter is
// checked before the first byte goes out, so a bad one is still a 400 in the
// error shape; after that, an error can only cut the download short (and is
// logged), which a client sees as an incomplete file.
func (s *Server) exportCSV(w http.ResponseWriter, r *http.Request, _ auth.Principal) error {
	f, err := leads.ParseListQuery(r.URL.Query(), s.now(), s.contactWithin)
	if err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", "text/csv; charset=utf-8")
	h.Set("Content-Disposition", `attachment; filename="leads-`+s.now().UTC().Format("2006-01-02")+`.csv"`)
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	cw := csv.NewWriter(w)
	if err := cw.Write(leads.LeadFieldNames); err != nil {
		return nil // the client is gone
	}
	rec := make([]string, len(leads.LeadFieldNames))
	n := 0
	err = s.store.ExportLeads(r.Context(), f, func(l leads.Lead) error {
		if err := cw.Write(leads.CSVRecord(l, rec)); err != nil {
			return err
		}
		// Flush now and then, so the rows flow rather than pile up.
		if n++; n%256 == 0 {
			cw.Flush()
		}
		return cw.Error()
	})
	cw.Flush()
	if err != nil {
		s.log.Warn("csv export cut short", "request_id", requestID(r.Context()), "rows", n, "error", err.Error())
	}
	return nil
}
