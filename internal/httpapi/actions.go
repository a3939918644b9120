package httpapi

import (
	"net/http"

	"github.com/jarvis-hq/jarvis"
)

func (s *Server) registerActionRoutes() {
	s.handle("GET /actions", s.queue(s.listActions))
	s.handle("GET /actions/{id}", s.queue(s.getAction))
	s.handle("POST /actions/{id}/approve", s.queue(s.decideAction))
	s.handle("POST /actions/{id}/reject", s.queue(s.decideAction))
	s.handle("GET /settings/policy", s.queue(s.getPolicy))
	s.handle("PUT /settings/policy", s.queue(s.putPolicy))
	s.handle("GET /orgs/{org_id}/policy", s.queue(s.getOrgPolicy))
	s.handle("PUT /orgs/{org_id}/policy", s.queue(s.putOrgPolicy))
}

// queue wraps a route of the approval queue or the policy: authenticated,
// and 503 when no queue is configured.
func (s *Server) queue(h authedHandler) http.Handler {
	return s.authed(func(w http.ResponseWriter, r *http.Request, u *jarvis.User) {
		if s.Actions == nil || s.Policies == nil {
			s.unavailable(w, r, jarvis.EUNAVAILABLE, "The approval queue")
			return
		}
		h(w, r, u)
	})
}

// listActions lists the owner's actions, newest first, optionally of one
// status.
func (s *Server) listActions(w http.ResponseWriter, r *http.Request, u *jarvis.User) {
	q := r.URL.Query()
	limit, err := intParam(q.Get("max_results"), "max_results", 25, 1, 100)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	tok := q.Get("page_token")
	if len(tok) > 200 {
		s.Error(w, r, jarvis.Invalid("page_token", "The page token is not valid."))
		return
	}
	page, err := s.Actions.ListActions(r.Context(), u.ID, jarvis.ActionFilter{Status: q.Get("status"), PageToken: tok, Limit: limit})
	if err != nil {
		s.Error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, page)
}

func (s *Server) getAction(w http.ResponseWriter, r *http.Request, u *jarvis.User) {
	id, ok := s.pathID(w, r, "Action")
	if !ok {
		return
	}
	a, err := s.Actions.GetAction(r.Context(), u.ID, id)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, a)
}

// decideAction approves (running the stored payload, exactly) or rejects
// the owner's pending action, once.
func (s *Server) decideAction(w http.ResponseWriter, r *http.Request, u *jarvis.User) {
	id, ok := s.pathID(w, r, "Action")
	if !ok {
		return
	}
	var a *jarvis.Action
	var err error
	if r.Pattern == "POST /actions/{id}/approve" {
		if !s.allow(w, r, "google:"+u.ID, s.cfg.GoogleRateLimit) {
			return
		}
		a, err = s.Actions.Approve(r.Context(), u.ID, id)
	} else {
		a, err = s.Actions.Reject(r.Context(), u.ID, id)
	}
	if err != nil {
		s.Error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, a)
}
