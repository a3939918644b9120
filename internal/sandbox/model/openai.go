package model

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
)

// openaiAPI speaks Chat Completions.
type openaiAPI struct{ h *Handler }

func (openaiAPI) name() string { return "openai" }

// toolName is the rule both vendors apply to function names.
var toolName = regexp.MustCompile(`^[a-zA-Z0-9_-]{1,64}$`)

// authorized accepts any key sent as a bearer token, or as Azure's api-key.
func (openaiAPI) authorized(r *http.Request) *wireError {
	if bearer(r) != "" || r.Header.Get("api-key") != "" {
		return nil
	}
	return &wireError{status: http.StatusUnauthorized, msg: "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY)."}
}

type oaRequest struct {
	Model         string      `json:"model"`
	Messages      []oaMessage `json:"messages"`
	Tools         []oaTool    `json:"tools"`
	Stream        bool        `json:"stream"`
	StreamOptions *struct {
		IncludeUsage bool `json:"include_usage"`
	} `json:"stream_options"`
	MaxTokens           *int     `json:"max_tokens"`
	MaxCompletionTokens *int     `json:"max_completion_tokens"`
	Temperature         *float64 `json:"temperature"`
	N                   *int     `json:"n"`
}

type oaMessage struct {
	Role       string          `json:"role"`
	Content    json.RawMessage `json:"content"`
	ToolCalls  []oaToolCall    `json:"tool_calls"`
	ToolCallID string          `json:"tool_call_id"`
}

type oaToolCall struct {
	ID       string `json:"id"`
	Type     string `json:"type"`
	Function struct {
		Name      string `json:"name"`
		Arguments string `json:"arguments"`
	} `json:"function"`
}

type oaTool struct {
	Type     string `json:"type"`
	Function struct {
		Name        string          `json:"name"`
		Description string          `json:"description"`
		Parameters  json.RawMessage `json:"parameters"`
	} `json:"function"`
}

// parse decodes and checks a request the way OpenAI does, including the
// pairing of tool calls and tool messages.
func (openaiAPI) parse(body []byte) (Request, *wireError) {
	bad := func(param, format string, args ...any) *wireError {
		return &wireError{status: http.StatusBadRequest, param: param, msg: fmt.Sprintf(format, args...)}
	}
	var in oaRequest
	if err := json.Unmarshal(body, &in); err != nil {
		return Request{}, bad("", "We could not parse the JSON body of your request: %v", err)
	}
	req := Request{Model: in.Model, Stream: in.Stream, Temperature: in.Temperature}
	if in.MaxCompletionTokens != nil {
		req.MaxTokens = *in.MaxCompletionTokens
	} else if in.MaxTokens != nil {
		req.MaxTokens = *in.MaxTokens
	}
	if in.Model == "" {
		return req, bad("model", "you must provide a model parameter")
	}
	if len(in.Messages) == 0 {
		return req, bad("messages", "[] is too short - 'messages'")
	}
	if in.N != nil && *in.N != 1 {
		return req, bad("n", "the sandbox model answers one choice (n=1)")
	}
	if in.StreamOptions != nil && !in.Stream {
		return req, bad("stream_options", "The 'stream_options' parameter is only allowed when 'stream' is enabled.")
	}
	var systems []string
	pending := map[string]bool{} // tool calls awaiting their tool message
	pendingAt := -1
	for i, m := range in.Messages {
		param := fmt.Sprintf("messages.[%d]", i)
		if m.Role != "tool" && len(pending) > 0 {
			return req, bad(fmt.Sprintf("messages.[%d].role", pendingAt), "An assistant message with 'tool_calls' must be followed by tool messages responding to each 'tool_call_id'. The following tool_call_ids did not have response messages: %s", strings.Join(sortedKeys(pending), ", "))
		}
		text, err := oaContent(m.Content)
		if err != nil {
			return req, bad(param+".content", "%v", err)
		}
		switch m.Role {
		case "system", "developer":
			systems = append(systems, text)
		case "user":
			if text == "" {
				return req, bad(param+".content", "Invalid 'messages[%d].content': empty user message.", i)
			}
			req.Messages = append(req.Messages, Message{Role: "user", Text: text})
		case "assistant":
			msg := Message{Role: "assistant", Text: text}
			for j, c := range m.ToolCalls {
				if c.ID == "" || c.Function.Name == "" {
					return req, bad(fmt.Sprintf("%s.tool_calls.[%d]", param, j), "tool call without an id or function name")
				}
				pending[c.ID] = true
				msg.ToolCalls = append(msg.ToolCalls, ToolCall{ID: c.ID, Name: c.Function.Name, Arguments: c.Function.Arguments})
			}
			if len(m.ToolCalls) > 0 {
				pendingAt = i
			}
			req.Messages = append(req.Messages, msg)
		case "tool":
			if !pending[m.ToolCallID] {
				return req, bad(param+".role", "Invalid parameter: messages with role 'tool' must be a response to a preceeding message with 'tool_calls'.")
			}
			delete(pending, m.ToolCallID)
			res := ToolResult{CallID: m.ToolCallID, Content: text}
			if n := len(req.Messages); n > 0 && req.Messages[n-1].Role == "tool" {
				req.Messages[n-1].ToolResults = append(req.Messages[n-1].ToolResults, res)
			} else {
				req.Messages = append(req.Messages, Message{Role: "tool", ToolResults: []ToolResult{res}})
			}
		default:
			return req, bad(param+".role", "Invalid value: '%s'. Supported values are: 'system', 'developer', 'user', 'assistant' and 'tool'.", m.Role)
		}
	}
	if len(pending) > 0 {
		return req, bad(fmt.Sprintf("messages.[%d].role", pendingAt), "An assistant message with 'tool_calls' must be followed by tool messages responding to each 'tool_call_id'. The following tool_call_ids did not have response messages: %s", strings.Join(sortedKeys(pending), ", "))
	}
	req.System = strings.Join(systems, "\n\n")
	for i, t := range in.Tools {
		param := fmt.Sprintf("tools[%d]", i)
		if t.Type != "function" {
			return req, bad(param+".type", "Invalid value: '%s'. Supported values are: 'function'.", t.Type)
		}
		if !toolName.MatchString(t.Function.Name) {
			return req, bad(param+".function.name", "Invalid 'tools[%d].function.name': string does not match pattern. Expected a string that matches the pattern '^[a-zA-Z0-9_-]+$'.", i)
		}
		if len(t.Function.Parameters) > 0 && !isObject(t.Function.Parameters) {
			return req, bad(param+".function.parameters", "Invalid schema for function '%s': schema must be a JSON Schema of 'type: \"object\"'.", t.Function.Name)
		}
		req.Tools = append(req.Tools, Tool{Name: t.Function.Name, Description: t.Function.Description, Parameters: t.Function.Parameters})
	}
	return req, nil
}

// oaContent reads a message's content: a string, null, or text parts.
func oaContent(raw json.RawMessage) (string, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return "", nil
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s, nil
	}
	var parts []struct {
		Type string `json:"type"`
		Text string `json:"text"`
	}
	if err := json.Unmarshal(raw, &parts); err != nil {
		return "", fmt.Errorf("content must be a string or an array of content parts")
	}
	var b strings.Builder
	for _, p := range parts {
		if p.Type != "text" {
			return "", fmt.Errorf("the sandbox model reads only text content parts, not %q", p.Type)
		}
		b.WriteString(p.Text)
	}
	return b.String(), nil
}

// writeError writes OpenAI's error shape.
func (api openaiAPI) writeError(w http.ResponseWriter, e wireError) {
	if e.retryAfter > 0 {
		w.Header().Set("Retry-After", retryAfterSeconds(e.retryAfter))
	}
	writeJSON(w, e.status, api.errorBody(e))
}

// errorBody is OpenAI's error object; an empty message gets the one OpenAI
// sends for the status.
func (openaiAPI) errorBody(e wireError) any {
	typ, code, msg := e.typ, e.code, e.msg
	switch {
	case e.status == http.StatusTooManyRequests:
		typ, code, msg = or(typ, "requests"), or(code, "rate_limit_exceeded"), or(msg, "Rate limit reached for requests. Please try again later.")
	case e.status == http.StatusUnauthorized:
		typ, code, msg = or(typ, "invalid_request_error"), or(code, "invalid_api_key"), or(msg, "Incorrect API key provided.")
	case e.status == http.StatusServiceUnavailable:
		typ, msg = or(typ, "server_error"), or(msg, "The engine is currently overloaded, please try again later.")
	case e.status >= 500:
		typ, msg = or(typ, "server_error"), or(msg, "The server had an error while processing your request.")
	default:
		typ, msg = or(typ, "invalid_request_error"), or(msg, http.StatusText(e.status))
	}
	body := map[string]any{"message": msg, "type": typ, "param": nil, "code": nil}
	if e.param != "" {
		body["param"] = e.param
	}
	if code != "" {
		body["code"] = code
	}
	return map[string]any{"error": body}
}

// or returns s, or def when s is empty.
func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func oaStop(stop string) string {
	switch stop {
	case "end_turn":
		return "stop"
	case "tool_use":
		return "tool_calls"
	case "max_tokens":
		return "length"
	}
	return stop
}

type oaUsage struct {
	PromptTokens     int `json:"prompt_tokens"`
	CompletionTokens int `json:"completion_tokens"`
	TotalTokens      int `json:"total_tokens"`
}

func (a answer) oaUsage() oaUsage {
	in, out := estimateTokens(a.req.inputChars()), estimateTokens(a.outputChars())
	return oaUsage{PromptTokens: in, CompletionTokens: out, TotalTokens: in + out}
}

// complete answers a non-streaming request with a chat.completion.
func (api openaiAPI) complete(w http.ResponseWriter, r *http.Request, a answer) {
	p := a.pacer(r)
	if a.turn.Hang {
		p.hold()
		return
	}
	if a.turn.Gate != nil && !p.step() {
		return
	}
	msg := map[string]any{"role": "assistant", "content": nil, "refusal": nil}
	if text := strings.Join(a.reply.Chunks, ""); text != "" {
		msg["content"] = text
	}
	if len(a.reply.ToolCalls) > 0 {
		calls := make([]map[string]any, len(a.reply.ToolCalls))
		for i, c := range a.reply.ToolCalls {
			calls[i] = map[string]any{
				"id": a.callID("call_sbx_", i), "type": "function",
				"function": map[string]any{"name": c.Name, "arguments": c.args()},
			}
		}
		msg["tool_calls"] = calls
	}
	w.Header().Set("x-request-id", fmt.Sprintf("req_sbx_%d", a.seq))
	body := map[string]any{
		"id": fmt.Sprintf("chatcmpl-sbx-%d", a.seq), "object": "chat.completion",
		"created": a.now.Unix(), "model": a.req.Model, "system_fingerprint": "sandbox",
		"choices": []map[string]any{{"index": 0, "message": msg, "logprobs": nil, "finish_reason": oaStop(a.reply.Stop)}},
		"usage":   a.oaUsage(),
	}
	if a.turn.Truncate {
		b, _ := json.Marshal(body)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(b[:len(b)/2])
		return
	}
	writeJSON(w, http.StatusOK, body)
}

type oaChunk struct {
	ID                string          `json:"id"`
	Object            string          `json:"object"`
	Created           int64           `json:"created"`
	Model             string          `json:"model"`
	SystemFingerprint string          `json:"system_fingerprint"`
	Choices           []oaChunkChoice `json:"choices"`
	Usage             *oaUsage        `json:"usage,omitempty"`
}

type oaChunkChoice struct {
	Index        int     `json:"index"`
	Delta        oaDelta `json:"delta"`
	Logprobs     any     `json:"logprobs"`
	FinishReason *string `json:"finish_reason"`
}

type oaDelta struct {
	Role      string            `json:"role,omitempty"`
	Content   *string           `json:"content,omitempty"`
	ToolCalls []oaDeltaToolCall `json:"tool_calls,omitempty"`
}

type oaDeltaToolCall struct {
	Index    int    `json:"index"`
	ID       string `json:"id,omitempty"`
	Type     string `json:"type,omitempty"`
	Function struct {
		Name      string `json:"name,omitempty"`
		Arguments string `json:"arguments"`
	} `json:"function"`
}

// stream answers with chat.completion.chunk events: a role chunk, content
// chunks, tool calls (each announced with id and name, then its arguments
// in fragments), a finish chunk, a usage chunk when asked, and [DONE]. A
// turn with an error Status ends after its content with an error event.
func (api openaiAPI) stream(w http.ResponseWriter, r *http.Request, a answer) {
	var in oaRequest
	_ = json.Unmarshal(a.req.Body, &in)
	includeUsage := in.StreamOptions != nil && in.StreamOptions.IncludeUsage
	w.Header().Set("x-request-id", fmt.Sprintf("req_sbx_%d", a.seq))
	s := newSSE(w)
	p := a.pacer(r)
	send := func(d oaDelta, finish *string) {
		s.send("", oaChunk{
			ID: fmt.Sprintf("chatcmpl-sbx-%d", a.seq), Object: "chat.completion.chunk",
			Created: a.now.Unix(), Model: a.req.Model, SystemFingerprint: "sandbox",
			Choices: []oaChunkChoice{{Delta: d, FinishReason: finish}},
		})
	}
	empty := ""
	send(oaDelta{Role: "assistant", Content: &empty}, nil)
	for _, c := range a.reply.Chunks {
		send(oaDelta{Content: &c}, nil)
		if !p.step() {
			return
		}
	}
	for i, c := range a.reply.ToolCalls {
		head := oaDeltaToolCall{Index: i, ID: a.callID("call_sbx_", i), Type: "function"}
		head.Function.Name = c.Name
		send(oaDelta{ToolCalls: []oaDeltaToolCall{head}}, nil)
		for _, f := range fragments(c.args(), 8) {
			frag := oaDeltaToolCall{Index: i}
			frag.Function.Arguments = f
			send(oaDelta{ToolCalls: []oaDeltaToolCall{frag}}, nil)
			if !p.step() {
				return
			}
		}
	}
	if a.turn.Hang {
		p.hold()
		return
	}
	if a.turn.Truncate {
		return
	}
	if a.turn.Status != 0 {
		s.send("", api.errorBody(wireError{status: a.turn.Status}))
		return
	}
	finish := oaStop(a.reply.Stop)
	send(oaDelta{}, &finish)
	if includeUsage {
		u := a.oaUsage()
		s.send("", oaChunk{
			ID: fmt.Sprintf("chatcmpl-sbx-%d", a.seq), Object: "chat.completion.chunk",
			Created: a.now.Unix(), Model: a.req.Model, SystemFingerprint: "sandbox",
			Choices: []oaChunkChoice{}, Usage: &u,
		})
	}
	s.send("", "[DONE]")
}

func isObject(raw json.RawMessage) bool {
	var m map[string]json.RawMessage
	return json.Unmarshal(raw, &m) == nil && m != nil
}

func sortedKeys(m map[string]bool) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
