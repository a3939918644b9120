package httpapi

import (
	"net/http"

	"github.com/jarvis-hq/jarvis"
)

// validDraftID checks the {id} of a draft route.
func validDraftID(id string) error {
	if !jarvis.IsDraftID(id) {
		return jarvis.Invalid("id", "id is not a Gmail draft id (as Jarvis answered it: letters, digits, - and _).")
	}
	return nil
}

// getDraft answers a draft of one of the user's accounts with its message
// decoded. 404 for a draft the account does not have.
func (s *Server) getDraft(w http.ResponseWriter, r *http.Request, u *jarvis.User) {
	id, account, ok := s.itemTarget(w, r, validDraftID)
	if !ok {
		return
	}
	d, err := s.Mail.GetDraft(r.Context(), u.ID, account, id)
	s.reply(w, r, http.StatusOK, d, err)
}

// updateDraft replaces a draft's content with the request's, JSON or
// multipart/form-data with files as POST /gmail/drafts takes it, and
// answers the draft. 404 for a draft the account does not have.
func (s *Server) updateDraft(w http.ResponseWriter, r *http.Request, u *jarvis.User) {
	id, account, ok := s.itemTarget(w, r, validDraftID)
	if !ok {
		return
	}
	in, _, err := readDraft(w, r)
	if err == nil {
		err = validDraftIDs(in)
	}
	if err != nil {
		s.Error(w, r, err)
		return
	}
	d, err := s.Mail.UpdateDraft(r.Context(), u.ID, account, id, in)
	s.reply(w, r, http.StatusOK, d, err)
}

// deleteDraft deletes a draft: 204. 404 for a draft the account does not
// have.
func (s *Server) deleteDraft(w http.ResponseWriter, r *http.Request, u *jarvis.User) {
	id, account, ok := s.itemTarget(w, r, validDraftID)
	if !ok {
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
