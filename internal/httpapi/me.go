package httpapi

import (
	"net/http"

	"github.com/jarvis-hq/jarvis"
)

type meResponse struct {
	User   *jarvis.User         `json:"user"`
	Orgs   []jarvis.OrgWithRole `json:"orgs"`
	Google *jarvis.GoogleStatus `json:"google"`
}

// me answers who the caller is, their orgs with roles, and their Google connection.
func (s *Server) me(w http.ResponseWriter, r *http.Request, u *jarvis.User) {
	orgs, err := s.Orgs.ListOrgsForUser(r.Context(), u.ID)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	resp := meResponse{User: u, Orgs: orgs}
	if s.Integrations != nil {
		st, err := s.Integrations.GoogleStatus(r.Context(), u.ID)
		if err != nil && !jarvis.IsCode(err, jarvis.ENOTFOUND) {
			s.Error(w, r, err)
			return
		}
		resp.Google = st
	}
	writeJSON(w, http.StatusOK, resp)
}

// logout revokes the token the request was made with.
func (s *Server) logout(w http.ResponseWriter, r *http.Request, u *jarvis.User) {
	tok := tokenFromContext(r.Context())
	if err := s.Revocations.RevokeToken(r.Context(), u.ID, tok.ID, tok.ExpiresAt); err != nil {
		s.Error(w, r, err)
		return
	}
	s.Auditor.Record(r.Context(), jarvis.AuditEntry{Action: jarvis.AuditLogout, TargetType: "token", TargetID: tok.ID})
	s.revokeStreams(r, u.ID)
	s.clearSession(w)
	w.WriteHeader(http.StatusNoContent)
}

// logoutAll revokes every token of the user, on every device.
func (s *Server) logoutAll(w http.ResponseWriter, r *http.Request, u *jarvis.User) {
	if err := s.Users.BumpTokenVersion(r.Context(), u.ID); err != nil {
		s.Error(w, r, err)
		return
	}
	s.Auditor.Record(r.Context(), jarvis.AuditEntry{Action: jarvis.AuditLogout, TargetType: "user", TargetID: u.ID, Metadata: map[string]any{"everywhere": true}})
	s.revokeStreams(r, u.ID)
	s.clearSession(w)
	w.WriteHeader(http.StatusNoContent)
}
