package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/jarvis-hq/jarvis"
	"github.com/jarvis-hq/jarvis/internal/config"
	"github.com/jarvis-hq/jarvis/internal/sandbox/model"
)

// chatEvent is one server-sent event of POST /chat.
type chatEvent struct {
	Type string
	Data map[string]any
}

func (ev chatEvent) str(k string) string { s, _ := ev.Data[k].(string); return s }

// chatStream is an open POST /chat answer, read event by event.
type chatStream struct {
	t      testing.TB
	resp   *http.Response
	events chan chatEvent
	cancel context.CancelFunc
}

// openChat posts a message and returns the stream once the answer's headers
// arrived. It fails the test unless the answer is 200 text/event-stream.
func (e *testEnv) openChat(tok, conversationID, message string) *chatStream {
	e.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	body, _ := json.Marshal(map[string]string{"conversation_id": conversationID, "message": message})
	req, _ := http.NewRequestWithContext(ctx, "POST", e.URL+"/chat", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "text/event-stream")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		cancel()
		e.t.Fatalf("POST /chat: %v", err)
	}
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		cancel()
		e.t.Fatalf("POST /chat: %d %s", resp.StatusCode, b)
	}
	s := &chatStream{t: e.t, resp: resp, events: make(chan chatEvent, 256), cancel: cancel}
	go func() {
		defer close(s.events)
		_ = readSSE(resp.Body, func(event string, data []byte) error {
			ev := chatEvent{Type: event}
			_ = json.Unmarshal(data, &ev.Data)
			s.events <- ev
			return nil
		})
	}()
	e.t.Cleanup(s.close)
	return s
}

// next returns the next event, failing the test after 10 s or at the end.
func (s *chatStream) next() chatEvent {
	s.t.Helper()
	select {
	case ev, ok := <-s.events:
		if !ok {
			s.t.Fatal("chat stream ended")
		}
		return ev
	case <-time.After(10 * time.Second):
		s.t.Fatal("no chat event within 10s")
	}
	return chatEvent{}
}

// rest reads the stream to its end.
func (s *chatStream) rest() []chatEvent {
	s.t.Helper()
	var out []chatEvent
	timeout := time.After(20 * time.Second)
	for {
		select {
		case ev, ok := <-s.events:
			if !ok {
				return out
			}
			out = append(out, ev)
		case <-timeout:
			s.t.Fatalf("chat stream did not end; so far %v", out)
		}
	}
}

func (s *chatStream) close() {
	s.cancel()
	s.resp.Body.Close()
	for range s.events {
	}
}

// chat runs a whole turn and returns its events.
func (e *testEnv) chat(tok, conversationID, message string) []chatEvent {
	e.t.Helper()
	s := e.openChat(tok, conversationID, message)
	return s.rest()
}

// turnOf sums up a turn's events.
type turnOf struct {
	conversation, message, text string
	calls, results, approvals   []chatEvent
	errors                      []chatEvent
	types                       []string
}

func summarizeTurn(events []chatEvent) turnOf {
	var t turnOf
	for _, ev := range events {
		t.types = append(t.types, ev.Type)
		switch ev.Type {
		case jarvis.EventConversation:
			t.conversation = ev.str("conversation_id")
		case jarvis.EventMessageDelta:
			t.text += ev.str("text")
		case jarvis.EventToolCall:
			t.calls = append(t.calls, ev)
		case jarvis.EventToolResult:
			t.results = append(t.results, ev)
		case jarvis.EventApprovalRequired:
			t.approvals = append(t.approvals, ev)
		case jarvis.EventMessageDone:
			t.message = ev.str("message_id")
		case jarvis.EventError:
			t.errors = append(t.errors, ev)
		}
	}
	return t
}

// providers runs fn against Jarvis speaking to the sandbox model through
// each provider's official SDK.
func providers(t *testing.T, fn func(t *testing.T, o envOptions)) {
	for _, p := range []string{"openai", "anthropic"} {
		t.Run(p, func(t *testing.T) {
			fn(t, envOptions{configure: func(c *config.Config) {
				switch p {
				case "openai":
					c.LLMProvider = "sandbox"
				case "anthropic":
					c.LLMProvider, c.AnthropicBaseURL, c.AnthropicAPIKey, c.LLMModel = "anthropic", c.GoogleBaseURL, "sandbox", "sandbox-model"
				}
			}})
		})
	}
}

// conversation fetches a conversation.
func (e *testEnv) conversation(tok, id string) jarvis.ConversationDetail {
	e.t.Helper()
	var c jarvis.ConversationDetail
	e.json("GET", "/conversations/"+id, tok, nil, 200, &c)
	return c
}

func TestChatMultiStepTools(t *testing.T) {
	providers(t, func(t *testing.T, o envOptions) {
		e := startEnv(t, o)
		tok := e.signIn("ada@example.com")
		turn := summarizeTurn(e.chat(tok, "", "Read the latest email from grace"))
		if turn.conversation == "" || turn.message == "" || len(turn.errors) > 0 {
			t.Fatalf("turn %+v", turn)
		}
		if turn.types[0] != jarvis.EventConversation || turn.types[len(turn.types)-1] != jarvis.EventMessageDone {
			t.Fatalf("event order %v", turn.types)
		}
		if len(turn.calls) != 2 || turn.calls[0].str("name") != "search_threads" || turn.calls[1].str("name") != "get_thread" {
			t.Fatalf("tool calls %v", turn.calls)
		}
		for _, r := range turn.results {
			if r.Data["ok"] != true || r.str("summary") == "" {
				t.Fatalf("tool result %v", r.Data)
			}
		}
		if !strings.Contains(turn.text, "(sandbox model)") || !strings.Contains(turn.text, "The thread") {
			t.Fatalf("answer %q", turn.text)
		}
		// The model saw the mail wrapped as untrusted content.
		reqs := e.Sandbox.Model.Requests()
		if len(reqs) != 3 {
			t.Fatalf("%d model calls, want 3", len(reqs))
		}
		last := reqs[2]
		if !strings.Contains(last.System, "untrusted") || !strings.Contains(last.System, "ada@example.com") {
			t.Fatalf("system prompt %q", last.System)
		}
		var results []string
		for _, m := range last.Messages {
			for _, r := range m.ToolResults {
				results = append(results, r.Content)
			}
		}
		if len(results) != 2 || !strings.HasPrefix(results[1], `<untrusted_content source="gmail">`) || !strings.Contains(results[1], "never propose") {
			t.Fatalf("tool results sent to the model: %q", results)
		}
		// Stored: the user's message, the answer with its tool calls.
		c := e.conversation(tok, turn.conversation)
		if c.Title != "Read the latest email from grace" || len(c.Messages) != 2 {
			t.Fatalf("conversation %+v", c)
		}
		ans := c.Messages[1]
		if ans.ID != turn.message || ans.Status != jarvis.MessageComplete || ans.Text != turn.text || len(ans.ToolCalls) != 2 || !ans.ToolCalls[1].OK {
			t.Fatalf("stored answer %+v", ans)
		}
		// A follow-up continues the conversation with its history.
		next := summarizeTurn(e.chat(tok, turn.conversation, "What's on my calendar this week?"))
		if next.conversation != turn.conversation || len(next.calls) != 1 || next.calls[0].str("name") != "list_upcoming_events" {
			t.Fatalf("follow-up %+v", next)
		}
		reqs = e.Sandbox.Model.Requests()
		if n := len(reqs[len(reqs)-1].Messages); n < 6 {
			t.Fatalf("follow-up sent %d messages, want the history too", n)
		}
	})
}

func TestChatStreamsBeforeTheModelFinishes(t *testing.T) {
	providers(t, func(t *testing.T, o envOptions) {
		e := startEnv(t, o)
		tok := e.signIn("ada@example.com")
		gate := make(chan struct{})
		e.Sandbox.Model.Script(model.Turn{Text: "The first words, then the rest of a long answer.", Gate: gate})
		s := e.openChat(tok, "", "hello")
		if ev := s.next(); ev.Type != jarvis.EventConversation {
			t.Fatalf("first event %v", ev)
		}
		ev := s.next()
		if ev.Type != jarvis.EventMessageDelta || ev.str("text") != "The " {
			t.Fatalf("first delta %v", ev)
		}
		// The model is still holding the rest of its answer: the delta
		// reached us before its last token was produced.
		close(gate)
		turn := summarizeTurn(append([]chatEvent{ev}, s.rest()...))
		if turn.text != "The first words, then the rest of a long answer." || turn.message == "" {
			t.Fatalf("turn %+v", turn)
		}
	})
}
