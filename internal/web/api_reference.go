package web

import (
	"context"
	"net/http"

	"github.com/leads/leads/internal/auth"
	"github.com/leads/leads/internal/leads"
)

// putReference is the shape of every reference PUT: parse the body for the id
// in the path, create or replace, answer 201 or 200 with what was saved.
func putReference[T any](s *Server, w http.ResponseWriter, r *http.Request,
	parse func(id string, body []byte) (T, error),
	put func(ctx context.Context, v T) (bool, error)) error {
	body, err := s.readBody(w, r)
	if err != nil {
		return err
	}
	v, err := parse(r.PathValue("id"), body)
	if err != nil {
		return err
	}
	created, err := put(r.Context(), v)
	if err != nil {
		return err
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	s.writeJSON(w, status, ok("", v))
	return nil
}

func (s *Server) putUser(w http.ResponseWriter, r *http.Request, _ auth.Principal) error {
	return putReference(s, w, r, leads.ParseUser, func(ctx context.Context, u leads.User) (bool, error) {
		return s.store.PutUser(ctx, u, leads.Timestamp(s.now()))
	})
}

func (s *Server) putLocation(w http.ResponseWriter, r *http.Request, _ auth.Principal) error {
	return putReference(s, w, r, leads.ParseLocation, s.store.PutLocation)
}

func (s *Server) putCenter(w http.ResponseWriter, r *http.Request, _ auth.Principal) error {
	return putReference(s, w, r, leads.ParseCenter, s.store.PutCenter)
}

func (s *Server) putCourse(w http.ResponseWriter, r *http.Request, _ auth.Principal) error {
	return putReference(s, w, r, leads.ParseCourse, s.store.PutCourse)
}

func (s *Server) putStudent(w http.ResponseWriter, r *http.Request, _ auth.Principal) error {
	return putReference(s, w, r, leads.ParseStudent, func(ctx context.Context, st leads.Student) (bool, error) {
		return s.store.PutStudent(ctx, st, leads.Timestamp(s.now()))
	})
}

// nonNil makes an empty list encode as [] rather than null.
func nonNil[T any](v []T) []T {
	if v == nil {
		return []T{}
	}
	return v
}

func (s *Server) listLocations(w http.ResponseWriter, r *http.Request) error {
	l, err := s.store.Locations(r.Context())
	if err != nil {
		return err
	}
	s.writeJSON(w, http.StatusOK, ok("", nonNil(l)))
	return nil
}

func (s *Server) listCenters(w http.ResponseWriter, r *http.Request) error {
	c, err := s.store.Centers(r.Context(), r.URL.Query().Get("locationId"))
	if err != nil {
		return err
	}
	s.writeJSON(w, http.StatusOK, ok("", nonNil(c)))
	return nil
}

func (s *Server) listCourses(w http.ResponseWriter, r *http.Request) error {
	c, err := s.store.Courses(r.Context(), r.URL.Query().Get("centerId"))
	if err != nil {
		return err
	}
	s.writeJSON(w, http.StatusOK, ok("", nonNil(c)))
	return nil
}
