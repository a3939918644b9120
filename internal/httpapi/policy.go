package httpapi

import (
	"net/http"

	"github.com/jarvis-hq/jarvis"
)

// maxPolicyBody bounds a policy: 100 domains and a few lists.
const maxPolicyBody = 32 << 10

func (s *Server) getPolicy(w http.ResponseWriter, r *http.Request, u *jarvis.User) {
	v, err := s.Policies.UserPolicy(r.Context(), u.ID)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, v)
}

// putPolicy replaces the user's own policy: a field left out takes its
// default.
func (s *Server) putPolicy(w http.ResponseWriter, r *http.Request, u *jarvis.User) {
	var p jarvis.Policy
	if err := decodeJSON(w, r, maxPolicyBody, &p); err != nil {
		s.Error(w, r, err)
		return
	}
	v, err := s.Policies.PutUserPolicy(r.Context(), u.ID, p)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, v)
}

// getOrgPolicy shows the org's floor to its members.
func (s *Server) getOrgPolicy(w http.ResponseWriter, r *http.Request, u *jarvis.User) {
	if _, ok := s.orgAccess(w, r, u, false); !ok {
		return
	}
	p, err := s.Policies.OrgPolicy(r.Context(), r.PathValue("org_id"))
	if err != nil {
		s.Error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, p)
}

// putOrgPolicy replaces the org's floor (owners and admins).
func (s *Server) putOrgPolicy(w http.ResponseWriter, r *http.Request, u *jarvis.User) {
	if _, ok := s.orgAccess(w, r, u, true); !ok {
		return
	}
	var p jarvis.Policy
	if err := decodeJSON(w, r, maxPolicyBody, &p); err != nil {
		s.Error(w, r, err)
		return
	}
	out, err := s.Policies.PutOrgPolicy(r.Context(), r.PathValue("org_id"), u.ID, p)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, out)
}
