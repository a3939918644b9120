package model_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	anthropic "github.com/anthropics/anthropic-sdk-go/v2"
	anoption "github.com/anthropics/anthropic-sdk-go/v2/option"
	openai "github.com/openai/openai-go/v3"
	oaoption "github.com/openai/openai-go/v3/option"

	"github.com/jarvis-hq/jarvis/internal/sandbox/model"
)

func newServer(t *testing.T, cfg model.Config) (*model.Handler, *httptest.Server) {
	t.Helper()
	h := model.New(cfg)
	srv := httptest.NewServer(h)
	t.Cleanup(func() { h.Close(); srv.Close() })
	return h, srv
}

func openaiClient(srv *httptest.Server, key string) *openai.Client {
	c := openai.NewClient(oaoption.WithBaseURL(srv.URL+"/v1"), oaoption.WithAPIKey(key), oaoption.WithMaxRetries(0))
	return &c
}

func anthropicClient(srv *httptest.Server, key string) *anthropic.Client {
	c := anthropic.NewClient(anoption.WithoutEnvironmentDefaults(), anoption.WithBaseURL(srv.URL), anoption.WithAPIKey(key), anoption.WithMaxRetries(0))
	return &c
}

var searchTool = openai.ChatCompletionFunctionTool(openai.FunctionDefinitionParam{
	Name:       "search_threads",
	Parameters: openai.FunctionParameters{"type": "object", "properties": map[string]any{"query": map[string]any{"type": "string"}}},
})

func TestOpenAINonStreaming(t *testing.T) {
	_, srv := newServer(t, model.Config{})
	c := openaiClient(srv, "k")
	ctx := context.Background()
	res, err := c.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{
		Model:    "gpt-test",
		Messages: []openai.ChatCompletionMessageParamUnion{openai.SystemMessage("be brief"), openai.UserMessage("unread emails please")},
		Tools:    []openai.ChatCompletionToolUnionParam{searchTool},
	})
	if err != nil {
		t.Fatal(err)
	}
	ch := res.Choices[0]
	if ch.FinishReason != "tool_calls" || len(ch.Message.ToolCalls) != 1 || res.Model != "gpt-test" || res.Usage.TotalTokens == 0 {
		t.Fatalf("response %s", res.RawJSON())
	}
	tc := ch.Message.ToolCalls[0]
	if tc.Function.Name != "search_threads" || tc.Function.Arguments != `{"max_results":10,"query":"is:unread"}` {
		t.Errorf("tool call %s", tc.RawJSON())
	}

	res, err = c.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{
		Model: "gpt-test",
		Messages: []openai.ChatCompletionMessageParamUnion{
			openai.UserMessage("unread emails please"),
			ch.Message.ToParam(),
			openai.ToolMessage(`{"threads":[{"id":"t1","subject":"Lunch?","from":"Bo <bo@example.com>"}]}`, tc.ID),
		},
		Tools: []openai.ChatCompletionToolUnionParam{searchTool},
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := res.Choices[0].Message.Content; res.Choices[0].FinishReason != "stop" || !strings.Contains(got, "“Lunch?” from Bo") {
		t.Errorf("answer %q (%s)", got, res.Choices[0].FinishReason)
	}
}

func TestAnthropicNonStreaming(t *testing.T) {
	_, srv := newServer(t, model.Config{})
	c := anthropicClient(srv, "k")
	tool := anthropic.ToolUnionParam{OfTool: &anthropic.ToolParam{Name: "list_upcoming_events", InputSchema: anthropic.ToolInputSchemaParam{Properties: map[string]any{"days": map[string]any{"type": "integer"}}}}}
	msg, err := c.Messages.New(context.Background(), anthropic.MessageNewParams{
		Model: "claude-test", MaxTokens: 100,
		System:   []anthropic.TextBlockParam{{Text: "be brief"}},
		Messages: []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock("what's on my calendar tomorrow?"))},
		Tools:    []anthropic.ToolUnionParam{tool},
	})
	if err != nil {
		t.Fatal(err)
	}
	if msg.StopReason != "tool_use" || len(msg.Content) != 1 || msg.Content[0].Type != "tool_use" || string(msg.Content[0].Input) != `{"days":1}` {
		t.Fatalf("message %s", msg.RawJSON())
	}
	use := msg.Content[0]
	msg, err = c.Messages.New(context.Background(), anthropic.MessageNewParams{
		Model: "claude-test", MaxTokens: 100,
		Messages: []anthropic.MessageParam{
			anthropic.NewUserMessage(anthropic.NewTextBlock("what's on my calendar tomorrow?")),
			anthropic.NewAssistantMessage(anthropic.NewToolUseBlock(use.ID, json.RawMessage(use.Input), use.Name)),
			anthropic.NewUserMessage(anthropic.NewToolResultBlock(use.ID, `{"events":[{"summary":"1:1 with Ana","start":"2026-11-26T15:30:00Z"}]}`, false)),
		},
		Tools: []anthropic.ToolUnionParam{tool},
	})
	if err != nil {
		t.Fatal(err)
	}
	if msg.StopReason != "end_turn" || !strings.Contains(msg.Content[0].Text, "“1:1 with Ana” at Thu 26 Nov 15:30 UTC") || msg.Usage.OutputTokens == 0 {
		t.Errorf("message %s", msg.RawJSON())
	}
}

func TestErrorShapes(t *testing.T) {
	h, srv := newServer(t, model.Config{})
	ctx := context.Background()
	oaParams := openai.ChatCompletionNewParams{Model: "m", Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("hi")}}
	anParams := anthropic.MessageNewParams{Model: "m", MaxTokens: 10, Messages: []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock("hi"))}}

	var oaErr *openai.Error
	_, err := openaiClient(srv, "").Chat.Completions.New(ctx, oaParams)
	if !errors.As(err, &oaErr) || oaErr.StatusCode != 401 || oaErr.Type != "invalid_request_error" {
		t.Errorf("openai without key: %v", err)
	}
	var anErr *anthropic.Error
	_, err = anthropicClient(srv, "").Messages.New(ctx, anParams)
	if !errors.As(err, &anErr) || anErr.StatusCode != 401 || anErr.Type() != anthropic.ErrorTypeAuthenticationError {
		t.Errorf("anthropic without key: %v", err)
	}

	h.Script(model.Turn{Status: 429, RetryAfter: 1500 * time.Millisecond}, model.Turn{Status: 529})
	_, err = openaiClient(srv, "k").Chat.Completions.New(ctx, oaParams)
	if !errors.As(err, &oaErr) || oaErr.StatusCode != 429 || oaErr.Code != "rate_limit_exceeded" || oaErr.Response.Header.Get("Retry-After") != "2" {
		t.Errorf("openai 429: %v", err)
	}
	_, err = anthropicClient(srv, "k").Messages.New(ctx, anParams)
	if !errors.As(err, &anErr) || anErr.StatusCode != 529 || anErr.Type() != anthropic.ErrorTypeOverloadedError {
		t.Errorf("anthropic 529: %v", err)
	}
	if n := len(h.Requests()); n != 2 {
		t.Errorf("%d requests recorded, want the 2 with a key", n)
	}
}

// TestValidation: the sandbox refuses what the real APIs refuse, so that a
// provider's mapping mistakes fail here rather than in production.
func TestValidation(t *testing.T) {
	_, srv := newServer(t, model.Config{})
	tests := []struct {
		name, path, body, want string
	}{
		{"openai tool without call", "/v1/chat/completions", `{"model":"m","messages":[{"role":"user","content":"hi"},{"role":"tool","tool_call_id":"x","content":"r"}]}`, "must be a response to a preceeding message with 'tool_calls'"},
		{"openai call without result", "/v1/chat/completions", `{"model":"m","messages":[{"role":"user","content":"hi"},{"role":"assistant","tool_calls":[{"id":"c1","type":"function","function":{"name":"f","arguments":"{}"}}]},{"role":"user","content":"?"}]}`, "did not have response messages: c1"},
		{"openai bad tool name", "/v1/chat/completions", `{"model":"m","messages":[{"role":"user","content":"hi"}],"tools":[{"type":"function","function":{"name":"bad name"}}]}`, "does not match pattern"},
		{"openai no model", "/v1/chat/completions", `{"messages":[{"role":"user","content":"hi"}]}`, "must provide a model"},
		{"anthropic no max_tokens", "/v1/messages", `{"model":"m","messages":[{"role":"user","content":"hi"}]}`, "max_tokens: Field required"},
		{"anthropic assistant first", "/v1/messages", `{"model":"m","max_tokens":5,"messages":[{"role":"assistant","content":"hi"}]}`, "first message must use the \"user\" role"},
		{"anthropic empty text", "/v1/messages", `{"model":"m","max_tokens":5,"messages":[{"role":"user","content":[{"type":"text","text":""}]}]}`, "must be non-empty"},
		{"anthropic tool_use without result", "/v1/messages", `{"model":"m","max_tokens":5,"messages":[{"role":"user","content":"hi"},{"role":"assistant","content":[{"type":"tool_use","id":"tu1","name":"f","input":{}}]},{"role":"user","content":"?"}]}`, "without `tool_result` blocks immediately after: tu1"},
		{"anthropic stray result", "/v1/messages", `{"model":"m","max_tokens":5,"messages":[{"role":"user","content":[{"type":"tool_result","tool_use_id":"zz","content":"r"}]}]}`, "unexpected `tool_use_id`"},
		{"anthropic schema not object", "/v1/messages", `{"model":"m","max_tokens":5,"messages":[{"role":"user","content":"hi"}],"tools":[{"name":"f","input_schema":{"type":"string"}}]}`, "Input should be 'object'"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest("POST", srv.URL+tt.path, strings.NewReader(tt.body))
			req.Header.Set("Authorization", "Bearer k")
			req.Header.Set("x-api-key", "k")
			req.Header.Set("anthropic-version", "2023-06-01")
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			var body struct {
				Type  string `json:"type"`
				Error struct {
					Message string `json:"message"`
					Type    string `json:"type"`
				} `json:"error"`
			}
			_ = json.NewDecoder(res.Body).Decode(&body)
			if res.StatusCode != 400 || body.Error.Type != "invalid_request_error" || !strings.Contains(body.Error.Message, tt.want) {
				t.Errorf("%d %+v", res.StatusCode, body)
			}
			if strings.HasPrefix(tt.path, "/v1/messages") && body.Type != "error" {
				t.Errorf("anthropic error without type: %+v", body)
			}
		})
	}
}

// sseEvents reads a raw stream into its event names (or "data") and data.
func sseEvents(t *testing.T, res *http.Response) (names, data []string) {
	t.Helper()
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/event-stream") {
		t.Fatalf("content type %q", ct)
	}
	sc := bufio.NewScanner(res.Body)
	name := ""
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "event: "):
			name = strings.TrimPrefix(line, "event: ")
		case strings.HasPrefix(line, "data: "):
			if name == "" {
				name = "data"
			}
			names, data = append(names, name), append(data, strings.TrimPrefix(line, "data: "))
			name = ""
		}
	}
	return names, data
}

func post(t *testing.T, url, body string) *http.Response {
	t.Helper()
	req, _ := http.NewRequest("POST", url, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer k")
	req.Header.Set("anthropic-version", "2023-06-01")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { res.Body.Close() })
	return res
}

func TestOpenAIStreamWire(t *testing.T) {
	h, srv := newServer(t, model.Config{ChunkDelay: time.Millisecond})
	h.Script(model.Turn{Chunks: []string{"a", "b"}, ToolCalls: []model.ToolCall{{ID: "call_1", Name: "f", Arguments: `{"q":"0123456789"}`}}})
	res := post(t, srv.URL+"/v1/chat/completions", `{"model":"m","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"hi"}]}`)
	_, data := sseEvents(t, res)
	want := []string{
		`"delta":{"role":"assistant","content":""}`, `"content":"a"`, `"content":"b"`,
		`"tool_calls":[{"index":0,"id":"call_1","type":"function","function":{"name":"f","arguments":""}}]`,
		`"arguments":"{\"q\":\"01"`, `"arguments":"23456789"`, `"arguments":"\"}"`,
		`"finish_reason":"tool_calls"`, `"choices":[],"usage":{"prompt_tokens"`, `[DONE]`,
	}
	if len(data) != len(want) {
		t.Fatalf("%d events: %q", len(data), data)
	}
	for i, w := range want {
		if !strings.Contains(data[i], w) {
			t.Errorf("event %d = %s, want %s", i, data[i], w)
		}
	}
}

func TestAnthropicStreamWire(t *testing.T) {
	h, srv := newServer(t, model.Config{})
	h.Script(model.Turn{Chunks: []string{"a", "b"}, ToolCalls: []model.ToolCall{{Name: "f", Arguments: `{"q":1}`}}})
	res := post(t, srv.URL+"/v1/messages", `{"model":"m","max_tokens":9,"stream":true,"messages":[{"role":"user","content":"hi"}]}`)
	names, data := sseEvents(t, res)
	want := []string{"message_start", "content_block_start", "ping", "content_block_delta", "content_block_delta", "content_block_stop",
		"content_block_start", "content_block_delta", "content_block_stop", "message_delta", "message_stop"}
	if strings.Join(names, " ") != strings.Join(want, " ") {
		t.Fatalf("events %v", names)
	}
	for i, d := range data {
		var ev struct{ Type string }
		if err := json.Unmarshal([]byte(d), &ev); err != nil || ev.Type != names[i] {
			t.Errorf("event %s data %s", names[i], d)
		}
	}
	if !strings.Contains(data[6], `"id":"toolu_sbx_1_0"`) || !strings.Contains(data[7], `"partial_json":"{\"q\":1}"`) || !strings.Contains(data[9], `"stop_reason":"tool_use"`) {
		t.Errorf("tool use events %s %s %s", data[6], data[7], data[9])
	}
}

func TestModels(t *testing.T) {
	_, srv := newServer(t, model.Config{})
	oa, err := openaiClient(srv, "k").Models.List(context.Background())
	if err != nil || len(oa.Data) != 1 || oa.Data[0].ID != model.Name {
		t.Errorf("openai models %v %+v", err, oa)
	}
	an, err := anthropicClient(srv, "k").Models.List(context.Background(), anthropic.ModelListParams{})
	if err != nil || len(an.Data) != 1 || an.Data[0].ID != model.Name {
		t.Errorf("anthropic models %v %+v", err, an)
	}
}

func TestScriptAndRecord(t *testing.T) {
	h, srv := newServer(t, model.Config{})
	h.Script(model.Turn{Text: "one"}, model.Turn{Text: "two"})
	c := openaiClient(srv, "k")
	for _, want := range []string{"one", "two"} {
		res, err := c.Chat.Completions.New(context.Background(), openai.ChatCompletionNewParams{Model: "m", Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("x")}})
		if err != nil || res.Choices[0].Message.Content != want {
			t.Fatalf("got %v %v, want %q", res, err, want)
		}
	}
	if h.Pending() != 0 {
		t.Error("turns left")
	}
	reqs := h.Requests()
	if len(reqs) != 2 || reqs[0].API != "openai" || reqs[0].Model != "m" || reqs[0].Messages[0].Text != "x" || reqs[0].Stream {
		t.Errorf("requests %+v", reqs)
	}
}

// TestCloseReleasesHang: a hanging response ends when the handler is closed,
// so a server holding one can shut down.
func TestCloseReleasesHang(t *testing.T) {
	h, srv := newServer(t, model.Config{})
	h.Script(model.Turn{Hang: true})
	done := make(chan error, 1)
	go func() {
		_, err := openaiClient(srv, "k").Chat.Completions.New(context.Background(), openai.ChatCompletionNewParams{Model: "m", Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("x")}})
		done <- err
	}()
	for len(h.Requests()) == 0 {
		time.Sleep(time.Millisecond)
	}
	h.Close()
	select {
	case err := <-done:
		if err == nil {
			t.Error("a hanging turn produced an answer")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("request still hanging after Close")
	}
}
