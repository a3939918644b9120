package httpapi

import (
	"bytes"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/jarvis-hq/jarvis"
)

// registerSendRoutes adds the sending routes: a new message, an existing
// draft, and the sends Jarvis holds until their time.
func (s *Server) registerSendRoutes() {
	s.handle("POST /gmail/messages", s.google(s.withOutbox(s.sendMessage)))
	s.handle("POST /gmail/drafts/{id}/send", s.google(s.withOutbox(s.sendDraft)))
	// The held sends are Jarvis's own: reading and cancelling them asks
	// nothing of Google, and counts against no Google rate limit.
	s.handle("GET /gmail/scheduled", s.authed(s.withOutbox(s.listScheduled)))
	s.handle("DELETE /gmail/scheduled/{id}", s.authed(s.withOutbox(s.cancelScheduled)))
}

// withOutbox answers 503 when there is no outbox.
func (s *Server) withOutbox(h authedHandler) authedHandler {
	return func(w http.ResponseWriter, r *http.Request, u *jarvis.User) {
		if s.Outbox == nil {
			s.unavailable(w, r, jarvis.EUPSTREAM, "Sending")
			return
		}
		h(w, r, u)
	}
}

// sendAtField reads send_at, which must be RFC 3339.
type sendAtField struct {
	SendAt *string `json:"send_at"`
}

func (f sendAtField) parse() (*time.Time, error) {
	if f.SendAt == nil || *f.SendAt == "" {
		return nil, nil
	}
	t, err := time.Parse(time.RFC3339, *f.SendAt)
	if err != nil {
		return nil, jarvis.Invalid("send_at", "send_at must be an RFC 3339 time, such as 2026-11-26T09:00:00Z.")
	}
	return &t, nil
}

// readBody reads a JSON body of at most limit bytes and decodes it into v
// (unknown fields refused), keeping nothing else.
func readBody(w http.ResponseWriter, r *http.Request, limit int64, v any) error {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if err != nil {
		return jsonError(err)
	}
	if len(bytes.TrimSpace(body)) == 0 {
		body = []byte("{}")
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	return decodeJSON(w, r, limit, v)
}

// idempotencyKey reads the Idempotency-Key header, "" when there is none.
func idempotencyKey(r *http.Request) (string, error) {
	key := r.Header.Get("Idempotency-Key")
	if len(key) > idempotencyKeyN || strings.ContainsFunc(key, func(c rune) bool { return c < 0x21 || c > 0x7e }) {
		return "", jarvis.Invalid("Idempotency-Key", "The Idempotency-Key header must be at most %d visible ASCII characters.", idempotencyKeyN)
	}
	return key, nil
}

// sendRequest reads what the send routes take: the account, the JSON body
// (into in, with its send_at) and the Idempotency-Key.
func sendRequest(w http.ResponseWriter, r *http.Request, limit int64, in any, at *sendAtField) (account, key string, sendAt *time.Time, err error) {
	if account, err = accountParam(r, false); err != nil {
		return
	}
	if err = readBody(w, r, limit, in); err != nil {
		return
	}
	if sendAt, err = at.parse(); err != nil {
		return
	}
	key, err = idempotencyKey(r)
	return
}

// sendMessage sends a new message — at the end of the undo window, or at
// send_at — and answers 202 with the send. With an Idempotency-Key, a
// repeat answers the first answer and sends nothing more.
func (s *Server) sendMessage(w http.ResponseWriter, r *http.Request, u *jarvis.User) {
	var in struct {
		jarvis.DraftInput
		sendAtField
	}
	account, key, at, err := sendRequest(w, r, maxDraftBody, &in, &in.sendAtField)
	if err == nil && in.ReplyToThreadID != "" {
		err = validGmailID("reply_to_thread_id", in.ReplyToThreadID)
	}
	if err != nil {
		s.Error(w, r, err)
		return
	}
	res, err := s.Outbox.Send(r.Context(), u.ID, account, jarvis.SendInput{DraftInput: in.DraftInput, SendAt: at}, key)
	s.answerSend(w, r, res, err)
}

// sendDraft sends an existing draft of the account, as sendMessage does.
func (s *Server) sendDraft(w http.ResponseWriter, r *http.Request, u *jarvis.User) {
	var in sendAtField
	account, key, at, err := sendRequest(w, r, 4096, &in, &in)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	res, err := s.Outbox.SendDraft(r.Context(), u.ID, account, r.PathValue("id"), jarvis.DraftSendInput{SendAt: at}, key)
	s.answerSend(w, r, res, err)
}

func (s *Server) answerSend(w http.ResponseWriter, r *http.Request, res *jarvis.SendResult, err error) {
	if err != nil {
		s.Error(w, r, err)
		return
	}
	if res.Replayed {
		w.Header().Set("Idempotent-Replayed", "true")
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusAccepted, res)
}

// scheduledList is the answer of GET /gmail/scheduled.
type scheduledList struct {
	Sends []jarvis.SendResult `json:"sends" doc:"The sends still to go (scheduled, or being sent), the soonest first, of every account."`
}

func (s *Server) listScheduled(w http.ResponseWriter, r *http.Request, u *jarvis.User) {
	list, err := s.Outbox.List(r.Context(), u.ID)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, scheduledList{Sends: list})
}

// cancelScheduled cancels a send that has not gone yet: 204, and its
// draft stays in Drafts; 409 once it is being sent or was sent.
func (s *Server) cancelScheduled(w http.ResponseWriter, r *http.Request, u *jarvis.User) {
	if _, err := s.Outbox.Cancel(r.Context(), u.ID, r.PathValue("id")); err != nil {
		s.Error(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
