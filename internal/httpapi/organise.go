package httpapi

import (
	"net/http"
	"strings"

	"github.com/jarvis-hq/jarvis"
)

// maxModifyBody bounds a modify's body: 200 label ids.
const maxModifyBody = 64 << 10

// modifyThread adds and removes labels on a thread of one of the user's
// accounts: the user acting, so no approval is asked.
func (s *Server) modifyThread(w http.ResponseWriter, r *http.Request, u *jarvis.User) {
	id, account, ok := s.organiseTarget(w, r)
	if !ok {
		return
	}
	var in jarvis.ThreadModify
	if err := decodeJSON(w, r, maxModifyBody, &in); err != nil {
		s.Error(w, r, err)
		return
	}
	if err := in.Validate(); err != nil {
		s.Error(w, r, err)
		return
	}
	c, err := s.Organiser.ModifyThread(r.Context(), u.ID, account, id, in)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, c)
}

// trashThread moves a thread to the trash (…/trash) or out of it
// (…/untrash); nothing is ever deleted for good.
func (s *Server) trashThread(w http.ResponseWriter, r *http.Request, u *jarvis.User) {
	id, account, ok := s.organiseTarget(w, r)
	if !ok {
		return
	}
	c, err := s.Organiser.TrashThread(r.Context(), u.ID, account, id, !strings.HasSuffix(r.URL.Path, "/untrash"))
	if err != nil {
		s.Error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, c)
}

// organiseTarget reads the thread id and the account of a change, or
// answers the problem.
func (s *Server) organiseTarget(w http.ResponseWriter, r *http.Request) (id, account string, ok bool) {
	if s.Organiser == nil {
		s.unavailable(w, r, jarvis.EUPSTREAM, "Gmail changes")
		return "", "", false
	}
	return s.itemTarget(w, r, validThreadID)
}
