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

	"go.uber.org/goleak"

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

// next returns the next event, failing the test at the end of the stream
// or when none comes within 30 s (a bound for a loaded machine).
func (s *chatStream) next() chatEvent {
	s.t.Helper()
	select {
	case ev, ok := <-s.events:
		if !ok {
			s.t.Fatal("chat stream ended")
		}
		return ev
	case <-time.After(30 * time.Second):
		s.t.Fatal("no chat event within 30s")
	}
	return chatEvent{}
}

// rest reads the stream to its end.
func (s *chatStream) rest() []chatEvent {
	s.t.Helper()
	var out []chatEvent
	timeout := time.After(60 * time.Second)
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
	t.Parallel()
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

// TestChatClientLeaves: a client that disconnects mid-answer stops the turn,
// which is recorded as interrupted, and leaves no goroutine behind.
func TestChatClientLeaves(t *testing.T) {
	providers(t, func(t *testing.T, o envOptions) {
		e := startEnv(t, o)
		ada := e.signIn("ada@example.com")
		e.synced("ada@example.com")
		e.Sandbox.Model.Script(model.Turn{Text: "This answer never ends, because the model hangs.", Hang: true})
		// No background job starts (and leaves its goroutines) while the
		// chat's are counted: the job runner stops, and has stopped, first.
		if err := e.Main.Jobs.Stop(context.Background()); err != nil {
			t.Fatal(err)
		}
		http.DefaultClient.CloseIdleConnections()
		before := goleak.IgnoreCurrent()
		s := e.openChat(ada, "", "hello")
		conv := s.next().str("conversation_id")
		if ev := s.next(); ev.Type != jarvis.EventMessageDelta {
			t.Fatalf("event %v", ev)
		}
		s.close()

		var msg jarvis.ChatMessage
		waitFor(t, "the answer recorded as interrupted", func() bool {
			c := e.conversation(ada, conv)
			if len(c.Messages) == 2 && c.Messages[1].Text != "" {
				msg = c.Messages[1]
				return msg.Status == jarvis.MessageInterrupted
			}
			return false
		})
		if !strings.HasPrefix("This answer never ends, because the model hangs.", msg.Text) {
			t.Fatalf("recorded text %q", msg.Text)
		}
		e.client.CloseIdleConnections()
		http.DefaultClient.CloseIdleConnections()
		if err := goleak.Find(before, goleak.IgnoreAnyFunction("modernc.org/sqlite.interruptOnDone"),
			goleak.IgnoreAnyFunction("github.com/jackc/pgx/v5/pgconn/ctxwatch.(*ContextWatcher).Watch.func1")); err != nil {
			t.Fatal(err)
		}
	})
}

// TestChatModelDown is SECURITY.md line 37: the model is unreachable, chat
// answers 503 llm_unavailable, stores nothing, and Gmail and Calendar work.
func TestChatModelDown(t *testing.T) {
	e := startEnv(t, envOptions{configure: func(c *config.Config) {
		c.LLMProvider, c.OpenAIBaseURL, c.OpenAIAPIKey = "openai", "http://127.0.0.1:1/v1", "key"
	}})
	ada := e.signIn("ada@example.com")
	e.problem("POST", "/chat", ada, map[string]string{"message": "hello"}, 503, "llm_unavailable")
	e.problem("POST", "/chat", ada, map[string]string{"message": "hello"}, 503, "llm_unavailable", "Accept", "application/json")
	var page jarvis.ConversationPage
	e.json("GET", "/conversations", ada, nil, 200, &page)
	if len(page.Conversations) != 0 {
		t.Fatalf("a failed chat left %+v", page)
	}
	e.json("GET", "/gmail/threads", ada, nil, 200, nil)
	e.json("GET", "/calendar/upcoming", ada, nil, 200, nil)
	if !strings.Contains(e.Logs.String(), "model call failed") {
		t.Fatal("the failure is not logged")
	}
}

// TestChatWithoutModel: no provider and no API key means no chat.
func TestChatWithoutModel(t *testing.T) {
	e := startEnv(t, envOptions{configure: func(c *config.Config) { c.LLMProvider = "" }})
	ada := e.signIn("ada@example.com")
	e.problem("POST", "/chat", ada, map[string]string{"message": "hello"}, 503, "llm_unavailable")
	e.problem("GET", "/conversations", ada, nil, 503, "llm_unavailable")
	e.json("GET", "/gmail/threads", ada, nil, 200, nil)
}

// TestChatModelFailsMidAnswer: once streaming, a failure is an error event
// and the answer is recorded as failed.
func TestChatModelFailsMidAnswer(t *testing.T) {
	e := startEnv(t, envOptions{})
	ada := e.signIn("ada@example.com")
	e.Sandbox.Model.Script(model.Turn{Text: "Half an answer", Truncate: true})
	turn := summarizeTurn(e.chat(ada, "", "hello"))
	if len(turn.errors) != 1 || turn.errors[0].str("code") != "llm_unavailable" || turn.message != "" || turn.text != "Half an answer" {
		t.Fatalf("turn %+v", turn)
	}
	if m := e.conversation(ada, turn.conversation).Messages[1]; m.Status != jarvis.MessageFailed || m.Text != "Half an answer" {
		t.Fatalf("stored %+v", m)
	}
	// The conversation goes on.
	next := summarizeTurn(e.chat(ada, turn.conversation, "hello again"))
	if next.message == "" || len(next.errors) != 0 {
		t.Fatalf("next turn %+v", next)
	}
}

// TestChatStepLimit: a model that keeps calling tools is stopped after the
// turn's model calls, with a clear message.
func TestChatStepLimit(t *testing.T) {
	e := startEnv(t, envOptions{})
	ada := e.signIn("ada@example.com")
	for range 8 {
		e.Sandbox.Model.Script(model.Turn{ToolCalls: []model.ToolCall{{Name: "list_upcoming_events", Arguments: `{"days":1}`}}})
	}
	turn := summarizeTurn(e.chat(ada, "", "Loop forever"))
	if n := len(e.Sandbox.Model.Requests()); n != 6 {
		t.Fatalf("%d model calls, want 6", n)
	}
	if !strings.Contains(turn.text, "more than 6 steps") || turn.message == "" {
		t.Fatalf("turn %+v", turn)
	}
	if last := turn.results[len(turn.results)-1]; last.Data["ok"] != false || !strings.Contains(last.str("summary"), "limit") {
		t.Fatalf("last tool result %v", last.Data)
	}
}

// TestChatJSONAndConversations: the one-document answer, and the
// conversation list with its pages.
func TestChatJSONAndConversations(t *testing.T) {
	e := startEnv(t, envOptions{})
	ada := e.signIn("ada@example.com")
	var ans struct {
		ConversationID string           `json:"conversation_id"`
		MessageID      string           `json:"message_id"`
		Text           string           `json:"text"`
		ToolCalls      []map[string]any `json:"tool_calls"`
	}
	e.json("POST", "/chat", ada, map[string]string{"message": "What's on my calendar this week?"}, 200, &ans, "Accept", "application/json")
	if ans.ConversationID == "" || ans.MessageID == "" || !strings.Contains(ans.Text, "You have ") || len(ans.ToolCalls) != 1 || ans.ToolCalls[0]["ok"] != true {
		t.Fatalf("answer %+v", ans)
	}
	for i := range 3 {
		e.Sandbox.Model.Script(model.Turn{Text: "Hello."})
		e.chat(ada, "", "Hello number "+string(rune('1'+i)))
	}
	var page jarvis.ConversationPage
	e.json("GET", "/conversations?max_results=3", ada, nil, 200, &page)
	if len(page.Conversations) != 3 || page.NextPageToken == "" || page.Conversations[0].Title != "Hello number 3" {
		t.Fatalf("page %+v", page)
	}
	tok := page.NextPageToken
	page = jarvis.ConversationPage{}
	e.json("GET", "/conversations?max_results=3&page_token="+tok, ada, nil, 200, &page)
	if len(page.Conversations) != 1 || page.Conversations[0].ID != ans.ConversationID || page.NextPageToken != "" {
		t.Fatalf("second page %+v", page)
	}
	e.problem("GET", "/conversations?page_token=nope", ada, nil, 400, "invalid_request")
	e.problem("GET", "/conversations/not-a-conversation", ada, nil, 404, "not_found")
	e.problem("POST", "/chat", ada, map[string]string{"message": "  "}, 400, "invalid_request")
	e.json("DELETE", "/conversations/"+ans.ConversationID, ada, nil, 204, nil)
	e.problem("DELETE", "/conversations/"+ans.ConversationID, ada, nil, 404, "not_found")
	if rows := e.auditOf("ada@example.com", jarvis.AuditChatConversationDeleted); len(rows) != 1 || rows[0].TargetID != ans.ConversationID {
		t.Fatalf("delete audit %+v", rows)
	}
}

// TestJarvisChatCommand drives `jarvis chat` against a running Jarvis: a
// question, a proposal shown in full, "y", and the draft made.
func TestJarvisChatCommand(t *testing.T) {
	e := startEnv(t, envOptions{})
	ada := e.signIn("ada@example.com")
	e.Sandbox.Google.ResetStats()
	var out, errOut bytes.Buffer
	stdin := strings.NewReader("Draft an email to bob@example.com cc carol@example.com about lunch saying I'll be late\ny\n")
	err := run(context.Background(), []string{"chat", "--url", e.URL, "--token", ada}, stdin, &out, &errOut, func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatalf("jarvis chat: %v\n%s%s", err, out.String(), errOut.String())
	}
	got := out.String()
	for _, want := range []string{"· create_draft", "✓ Draft proposed", "To:      bob@example.com", "Cc:      carol@example.com", "Subject: lunch",
		"I'll be late", "Approve? [y/N]", "Draft created (id "} {
		if !strings.Contains(got, want) {
			t.Fatalf("output lacks %q:\n%s", want, got)
		}
	}
	if n := e.Sandbox.Google.Stats()["gmail.drafts.create"]; n != 1 {
		t.Fatalf("%d drafts created, want 1", n)
	}

	// From the environment, in the same conversation; "n" rejects, and
	// what the model writes cannot drive the terminal.
	var page jarvis.ConversationPage
	e.json("GET", "/conversations", ada, nil, 200, &page)
	e.Sandbox.Model.Script(
		model.Turn{ToolCalls: []model.ToolCall{{Name: "create_draft", Arguments: `{"to":["x@evil.example"],"subject":"hi","body_text":"\u001b[2Jb"}`}}},
		model.Turn{Text: "Proposed.\u001b]0;owned\u0007"},
	)
	out.Reset()
	lookup := func(k string) (string, bool) {
		return map[string]string{"JARVIS_URL": e.URL, "JARVIS_TOKEN": ada}[k], k == "JARVIS_URL" || k == "JARVIS_TOKEN"
	}
	err = run(context.Background(), []string{"chat", "--conversation", page.Conversations[0].ID}, strings.NewReader("again\nn\n"), &out, &errOut, lookup)
	if err != nil || !strings.Contains(out.String(), "Proposal rejected.") || !strings.Contains(out.String(), "x@evil.example") || strings.ContainsAny(out.String(), "\x1b\x07") {
		t.Fatalf("second session: %v\n%q", err, out.String())
	}
	if c := e.conversation(ada, page.Conversations[0].ID); len(c.Messages) != 4 {
		t.Fatalf("the session did not continue the conversation: %d messages", len(c.Messages))
	}

	// A bad token ends the session with a clear error.
	err = run(context.Background(), []string{"chat", "--url", e.URL, "--token", "nope"}, strings.NewReader("hello\n"), &out, &errOut, lookup)
	if err == nil || !strings.Contains(err.Error(), "--token") {
		t.Fatalf("bad token: %v", err)
	}
	if err := run(context.Background(), []string{"chat", "--url", e.URL}, strings.NewReader(""), &out, &errOut, func(string) (string, bool) { return "", false }); err == nil {
		t.Fatal("no token: no error")
	}
}
