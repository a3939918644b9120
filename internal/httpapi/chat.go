package httpapi

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/jarvis-hq/jarvis"
)

// maxChatMessage bounds a user's chat message, in characters.
const maxChatMessage = 8000

func (s *Server) registerChatRoutes() {
	s.handle("POST /chat", s.chat(s.postChat))
	s.handle("GET /conversations", s.chat(s.listConversations))
	s.handle("GET /conversations/{id}", s.chat(s.getConversation))
	s.handle("DELETE /conversations/{id}", s.chat(s.deleteConversation))
	s.handle("POST /chat/approvals/{id}", s.chat(s.decideApproval))
}

// chat wraps a chat route: authenticated, and answering 503 llm_unavailable
// when no assistant is configured.
func (s *Server) chat(h authedHandler) http.Handler {
	return s.authed(func(w http.ResponseWriter, r *http.Request, u *jarvis.User) {
		if s.Chat == nil {
			s.unavailable(w, r, jarvis.ELLM, "The chat")
			return
		}
		h(w, r, u)
	})
}

type chatRequest struct {
	ConversationID string `json:"conversation_id"`
	Message        string `json:"message"`
}

// chatAnswer is the whole answer of a turn, for clients that ask for JSON.
type chatAnswer struct {
	ConversationID string           `json:"conversation_id"`
	MessageID      string           `json:"message_id"`
	Text           string           `json:"text"`
	ToolCalls      []map[string]any `json:"tool_calls"`
	Approvals      []any            `json:"approvals"`
	Error          map[string]any   `json:"error,omitempty"`
}

// postChat runs one assistant turn, streamed as server-sent events (or, with
// Accept: application/json, answered as one document). Events are flushed as
// they happen. Until the model has said anything, a failure is an ordinary
// problem response (503 llm_unavailable when the model is down).
func (s *Server) postChat(w http.ResponseWriter, r *http.Request, u *jarvis.User) {
	var req chatRequest
	if err := decodeJSON(w, r, 64<<10, &req); err != nil {
		s.Error(w, r, err)
		return
	}
	req.Message = strings.TrimSpace(req.Message)
	switch {
	case req.Message == "":
		s.Error(w, r, jarvis.Invalid("message", "message is required."))
		return
	case utf8.RuneCountInString(req.Message) > maxChatMessage:
		s.Error(w, r, &jarvis.Error{Code: jarvis.ETOOLARGE, Field: "message", Message: fmt.Sprintf("message is longer than %d characters.", maxChatMessage)})
		return
	case req.ConversationID != "" && validID("conversation_id", req.ConversationID) != nil:
		s.Error(w, r, jarvis.Errorf(jarvis.ENOTFOUND, "Conversation not found."))
		return
	}
	if !s.allow(w, r, "chat:"+u.ID, s.cfg.ChatRateLimit) {
		return
	}
	if wantsJSON(r) && !strings.Contains(r.Header.Get("Accept"), "text/event-stream") {
		s.chatJSON(w, r, u, req)
		return
	}
	sse := &sseWriter{w: w, rc: http.NewResponseController(w)}
	err := s.Chat.Send(r.Context(), u.ID, req.ConversationID, req.Message, sse.send)
	if err == nil {
		sse.flushPending()
		return
	}
	if !sse.started {
		s.Error(w, r, err)
		return
	}
	if r.Context().Err() != nil {
		return // the client went away
	}
	p := problemFor(r, err)
	s.log.Log(r.Context(), levelFor(p.Status), "chat turn failed", "error_code", p.Code, "err", err)
	_ = sse.write(jarvis.ChatEvent{Type: jarvis.EventError, Data: map[string]string{"code": p.Code, "detail": p.Detail}})
}

func (s *Server) chatJSON(w http.ResponseWriter, r *http.Request, u *jarvis.User, req chatRequest) {
	var ans chatAnswer
	var text strings.Builder
	ans.ToolCalls, ans.Approvals = []map[string]any{}, []any{}
	calls := map[string]map[string]any{}
	err := s.Chat.Send(r.Context(), u.ID, req.ConversationID, req.Message, func(e jarvis.ChatEvent) error {
		d, _ := json.Marshal(e.Data)
		var m map[string]any
		_ = json.Unmarshal(d, &m)
		switch e.Type {
		case jarvis.EventConversation:
			ans.ConversationID, _ = m["conversation_id"].(string)
		case jarvis.EventMessageDelta:
			t, _ := m["text"].(string)
			text.WriteString(t)
		case jarvis.EventToolCall:
			id, _ := m["id"].(string)
			calls[id] = m
			ans.ToolCalls = append(ans.ToolCalls, m)
		case jarvis.EventToolResult:
			id, _ := m["id"].(string)
			if c := calls[id]; c != nil {
				c["ok"], c["summary"] = m["ok"], m["summary"]
			}
		case jarvis.EventApprovalRequired:
			ans.Approvals = append(ans.Approvals, m)
		case jarvis.EventMessageDone:
			ans.MessageID, _ = m["message_id"].(string)
		case jarvis.EventError:
			ans.Error = m
		}
		return nil
	})
	if err != nil && ans.ConversationID == "" {
		s.Error(w, r, err)
		return
	}
	if err != nil {
		p := problemFor(r, err)
		ans.Error = map[string]any{"code": p.Code, "detail": p.Detail}
	}
	ans.Text = text.String()
	writeJSON(w, http.StatusOK, ans)
}

func levelFor(status int) slog.Level {
	if status >= 500 {
		return slog.LevelError
	}
	return slog.LevelInfo
}

// sseWriter writes chat events as server-sent events. The conversation
// event is held back until the model produces something, so that a model
// that is down can still be answered with a plain 503.
type sseWriter struct {
	w       http.ResponseWriter
	rc      *http.ResponseController
	started bool
	pending []jarvis.ChatEvent
}

func (s *sseWriter) send(e jarvis.ChatEvent) error {
	if !s.started && e.Type == jarvis.EventConversation {
		s.pending = append(s.pending, e)
		return nil
	}
	if err := s.flushPending(); err != nil {
		return err
	}
	return s.write(e)
}

func (s *sseWriter) flushPending() error {
	for len(s.pending) > 0 {
		e := s.pending[0]
		s.pending = s.pending[1:]
		if err := s.write(e); err != nil {
			return err
		}
	}
	return nil
}

func (s *sseWriter) write(e jarvis.ChatEvent) error {
	if !s.started {
		s.started = true
		h := s.w.Header()
		h.Set("Content-Type", "text/event-stream")
		h.Set("Cache-Control", "no-cache, no-store")
		h.Set("X-Accel-Buffering", "no")
		s.w.WriteHeader(http.StatusOK)
	}
	data, err := json.Marshal(e.Data)
	if err != nil {
		return err
	}
	if _, err := fmt.Fprintf(s.w, "event: %s\ndata: %s\n\n", e.Type, data); err != nil {
		return err
	}
	return s.rc.Flush()
}

func (s *Server) listConversations(w http.ResponseWriter, r *http.Request, u *jarvis.User) {
	q := r.URL.Query()
	limit, err := intParam(q.Get("max_results"), "max_results", 25, 1, 100)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	tok := q.Get("page_token")
	if tok != "" && validID("page_token", tok) != nil {
		s.Error(w, r, jarvis.Invalid("page_token", "The page token is not valid."))
		return
	}
	page, err := s.Chat.ListConversations(r.Context(), u.ID, tok, limit)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, page)
}

// conversationID reads the id in the path; a malformed one cannot name any
// conversation, so it is 404 like another user's.
func (s *Server) conversationID(w http.ResponseWriter, r *http.Request) (string, bool) {
	return s.pathID(w, r, "Conversation")
}

// pathID reads the id in the path of a route about one of the user's
// things (what names it); a malformed id names nothing, so it is 404 like
// another user's.
func (s *Server) pathID(w http.ResponseWriter, r *http.Request, what string) (string, bool) {
	id := r.PathValue("id")
	if validID("id", id) != nil {
		s.Error(w, r, jarvis.Errorf(jarvis.ENOTFOUND, "%s not found.", what))
		return "", false
	}
	return id, true
}

func (s *Server) getConversation(w http.ResponseWriter, r *http.Request, u *jarvis.User) {
	id, ok := s.conversationID(w, r)
	if !ok {
		return
	}
	c, err := s.Chat.GetConversation(r.Context(), u.ID, id)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, c)
}

func (s *Server) deleteConversation(w http.ResponseWriter, r *http.Request, u *jarvis.User) {
	id, ok := s.conversationID(w, r)
	if !ok {
		return
	}
	if err := s.Chat.DeleteConversation(r.Context(), u.ID, id); err != nil {
		s.Error(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

type decisionRequest struct {
	Decision string `json:"decision"`
}

type decisionResponse struct {
	ApprovalID string `json:"approval_id"`
	// ActionID is the approval's action in the queue (the same id).
	ActionID string        `json:"action_id"`
	Status   string        `json:"status"`
	Result   *jarvis.Draft `json:"result,omitempty"`
}

// decideApproval approves or rejects a pending proposal of the assistant,
// once: it decides the proposal's action in the approval queue.
func (s *Server) decideApproval(w http.ResponseWriter, r *http.Request, u *jarvis.User) {
	id, ok := s.pathID(w, r, "Approval")
	if !ok {
		return
	}
	var req decisionRequest
	if err := decodeJSON(w, r, 1<<10, &req); err != nil {
		s.Error(w, r, err)
		return
	}
	if req.Decision != "approve" && req.Decision != "reject" {
		s.Error(w, r, jarvis.Invalid("decision", `decision must be "approve" or "reject".`))
		return
	}
	a, err := s.Chat.Decide(r.Context(), u.ID, id, req.Decision == "approve")
	if err != nil {
		s.Error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, decisionResponse{ApprovalID: a.ID, ActionID: a.ActionID, Status: a.Status, Result: a.Result})
}
