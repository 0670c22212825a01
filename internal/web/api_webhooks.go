package web

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"net/http"

	"github.com/leads/leads/internal/auth"
	"github.com/leads/leads/internal/leads"
)

// Webhook subscriptions (contract §9, admin).

func (s *Server) putWebhook(w http.ResponseWriter, r *http.Request, _ auth.Principal) error {
	body, err := s.readBody(w, r)
	if err != nil {
		return err
	}
	hook, err := leads.ParseWebhook(r.PathValue("id"), body, s.allowPrivateWebhooks)
	if err != nil {
		return err
	}
	// A secret is made when none is given for a new subscription, and shown
	// in this answer only; a replacement without one keeps its own.
	shown := hook.Secret
	if shown == "" {
		if _, err := s.store.Webhook(r.Context(), hook.ID); errors.Is(err, leads.ErrNotFound) {
			key := make([]byte, 24)
			rand.Read(key)
			hook.Secret = "whsec_" + base64.StdEncoding.EncodeToString(key)
			shown = hook.Secret
		} else if err != nil {
			return err
		}
	}
	now := leads.Timestamp(s.now())
	created, err := s.store.PutWebhook(r.Context(), hook, now)
	if err != nil {
		return err
	}
	saved, err := s.store.Webhook(r.Context(), hook.ID)
	if err != nil {
		return err
	}
	saved.Secret = shown
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	s.writeJSON(w, status, ok("", saved))
	return nil
}

func (s *Server) listWebhooks(w http.ResponseWriter, r *http.Request, _ auth.Principal) error {
	hooks, err := s.store.Webhooks(r.Context())
	if err != nil {
		return err
	}
	s.writeJSON(w, http.StatusOK, ok("", hooks))
	return nil
}

func (s *Server) deleteWebhook(w http.ResponseWriter, r *http.Request, _ auth.Principal) error {
	id := r.PathValue("id")
	if err := s.store.DeleteWebhook(r.Context(), id); err != nil {
		return err
	}
	s.writeJSON(w, http.StatusOK, ok("Webhook deleted", deleted{ID: id}))
	return nil
}

// deliveryLimit is how many deliveries the log shows.
const deliveryLimit = 100

func (s *Server) listDeliveries(w http.ResponseWriter, r *http.Request, _ auth.Principal) error {
	ds, err := s.store.Deliveries(r.Context(), r.PathValue("id"), deliveryLimit)
	if err != nil {
		return err
	}
	s.writeJSON(w, http.StatusOK, ok("", ds))
	return nil
}
