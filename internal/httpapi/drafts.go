package httpapi

import (
	"net/http"

	"github.com/jarvis-hq/jarvis"
)

// draftID reads the {id} of a draft route.
func draftID(r *http.Request) (string, error) {
	id := r.PathValue("id")
	if !jarvis.IsDraftID(id) {
		return "", jarvis.Invalid("id", "id is not a Gmail draft id (as Jarvis answered it: letters, digits, - and _).")
	}
	return id, nil
}

// getDraft answers a draft of one of the user's accounts with its message
// decoded. 404 for a draft the account does not have.
func (s *Server) getDraft(w http.ResponseWriter, r *http.Request, u *jarvis.User) {
	id, err := draftID(r)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	account, err := accountParam(r, false)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	d, err := s.Mail.GetDraft(r.Context(), u.ID, account, id)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, d)
}

// updateDraft replaces a draft's content with the request's, JSON or
// multipart/form-data with files as POST /gmail/drafts takes it, and
// answers the draft. 404 for a draft the account does not have.
func (s *Server) updateDraft(w http.ResponseWriter, r *http.Request, u *jarvis.User) {
	id, err := draftID(r)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	account, err := accountParam(r, false)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	in, _, err := readDraft(w, r)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	if err := validDraftIDs(in); err != nil {
		s.Error(w, r, err)
		return
	}
	d, err := s.Mail.UpdateDraft(r.Context(), u.ID, account, id, in)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, d)
}

// deleteDraft deletes a draft: 204. 404 for a draft the account does not
// have.
func (s *Server) deleteDraft(w http.ResponseWriter, r *http.Request, u *jarvis.User) {
	id, err := draftID(r)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	account, err := accountParam(r, false)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	if err := s.Mail.DeleteDraft(r.Context(), u.ID, account, id); err != nil {
		s.Error(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// validDraftIDs checks the Gmail ids a draft input names before any call
// to Google.
func validDraftIDs(in jarvis.DraftInput) error {
	if in.ReplyToThreadID != "" {
		if err := validGmailID("reply_to_thread_id", in.ReplyToThreadID); err != nil {
			return err
		}
	}
	if in.ForwardMessageID != "" {
		return validGmailID("forward_message_id", in.ForwardMessageID)
	}
	return nil
}
