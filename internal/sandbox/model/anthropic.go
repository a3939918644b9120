package model

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
)

// anthropicAPI speaks the Messages API.
type anthropicAPI struct{ h *Handler }

func (anthropicAPI) name() string { return "anthropic" }

// authorized accepts any key in x-api-key (or a bearer token) and, like the
// real API, wants the anthropic-version header.
func (anthropicAPI) authorized(r *http.Request) *wireError {
	if r.Header.Get("x-api-key") == "" && bearer(r) == "" {
		return &wireError{status: http.StatusUnauthorized, msg: "x-api-key header is required"}
	}
	if r.Header.Get("anthropic-version") == "" {
		return &wireError{status: http.StatusBadRequest, msg: "anthropic-version: header is required"}
	}
	return nil
}

type anRequest struct {
	Model       string          `json:"model"`
	MaxTokens   *int            `json:"max_tokens"`
	Messages    []anMessage     `json:"messages"`
	System      json.RawMessage `json:"system"`
	Tools       []anTool        `json:"tools"`
	Stream      bool            `json:"stream"`
	Temperature *float64        `json:"temperature"`
}

type anMessage struct {
	Role    string          `json:"role"`
	Content json.RawMessage `json:"content"`
}

type anBlock struct {
	Type      string          `json:"type"`
	Text      string          `json:"text"`
	ID        string          `json:"id"`
	Name      string          `json:"name"`
	Input     json.RawMessage `json:"input"`
	ToolUseID string          `json:"tool_use_id"`
	Content   json.RawMessage `json:"content"`
	IsError   bool            `json:"is_error"`
}

type anTool struct {
	Type        string          `json:"type"`
	Name        string          `json:"name"`
	Description string          `json:"description"`
	InputSchema json.RawMessage `json:"input_schema"`
}

// parse decodes and checks a request the way Anthropic does: roles
// alternate from the user's, text blocks are not empty, every tool_use is
// answered by a tool_result in the next message and no tool_result answers
// anything else.
func (anthropicAPI) parse(body []byte) (Request, *wireError) {
	bad := func(format string, args ...any) *wireError {
		return &wireError{status: http.StatusBadRequest, msg: fmt.Sprintf(format, args...)}
	}
	var in anRequest
	if err := json.Unmarshal(body, &in); err != nil {
		return Request{}, bad("invalid request body: %v", err)
	}
	req := Request{Model: in.Model, Stream: in.Stream, Temperature: in.Temperature}
	switch {
	case in.Model == "":
		return req, bad("model: Field required")
	case in.MaxTokens == nil:
		return req, bad("max_tokens: Field required")
	case *in.MaxTokens < 1:
		return req, bad("max_tokens: Input should be greater than or equal to 1")
	case len(in.Messages) == 0:
		return req, bad("messages: at least one message is required")
	case in.Messages[0].Role != "user":
		return req, bad("messages: first message must use the \"user\" role")
	case in.Temperature != nil && (*in.Temperature < 0 || *in.Temperature > 1):
		return req, bad("temperature: Input should be less than or equal to 1")
	}
	req.MaxTokens = *in.MaxTokens
	system, err := anSystem(in.System)
	if err != nil {
		return req, bad("system: %v", err)
	}
	req.System = system

	var open []string // tool_use ids of the previous assistant message
	for i, m := range in.Messages {
		blocks, err := anBlocks(m.Content)
		if err != nil {
			return req, bad("messages.%d.content: %v", i, err)
		}
		switch m.Role {
		case "user":
			answered := map[string]bool{}
			var results []ToolResult
			var text []string
			for j, b := range blocks {
				switch b.Type {
				case "text":
					if b.Text == "" {
						return req, bad("messages.%d.content.%d.text: text content blocks must be non-empty", i, j)
					}
					text = append(text, b.Text)
				case "tool_result":
					if !slices.Contains(open, b.ToolUseID) {
						return req, bad("messages.%d.content.%d: unexpected `tool_use_id` found in `tool_result` blocks: %s. Each `tool_result` block must have a corresponding `tool_use` block in the previous message.", i, j, b.ToolUseID)
					}
					content, err := anResultContent(b.Content)
					if err != nil {
						return req, bad("messages.%d.content.%d.content: %v", i, j, err)
					}
					answered[b.ToolUseID] = true
					results = append(results, ToolResult{CallID: b.ToolUseID, Content: content, IsError: b.IsError})
				default:
					return req, bad("messages.%d.content.%d: the sandbox model reads text and tool_result blocks, not %q", i, j, b.Type)
				}
			}
			for _, id := range open {
				if !answered[id] {
					return req, bad("messages.%d: `tool_use` ids were found without `tool_result` blocks immediately after: %s. Each `tool_use` block must have a corresponding `tool_result` block in the next message.", i-1, id)
				}
			}
			open = nil
			if len(results) > 0 {
				req.Messages = append(req.Messages, Message{Role: "tool", ToolResults: results})
			}
			if len(text) > 0 {
				req.Messages = append(req.Messages, Message{Role: "user", Text: strings.Join(text, "\n")})
			}
		case "assistant":
			if len(open) > 0 {
				return req, bad("messages.%d: `tool_use` ids were found without `tool_result` blocks immediately after: %s", i-1, strings.Join(open, ", "))
			}
			msg := Message{Role: "assistant"}
			var text []string
			for j, b := range blocks {
				switch b.Type {
				case "text":
					if b.Text == "" {
						return req, bad("messages.%d.content.%d.text: text content blocks must be non-empty", i, j)
					}
					text = append(text, b.Text)
				case "tool_use":
					if b.ID == "" || b.Name == "" || !isObject(b.Input) {
						return req, bad("messages.%d.content.%d: tool_use blocks need an id, a name and an input object", i, j)
					}
					open = append(open, b.ID)
					msg.ToolCalls = append(msg.ToolCalls, ToolCall{ID: b.ID, Name: b.Name, Arguments: string(b.Input)})
				case "thinking", "redacted_thinking":
				default:
					return req, bad("messages.%d.content.%d: unexpected block type %q in an assistant message", i, j, b.Type)
				}
			}
			msg.Text = strings.Join(text, "\n")
			req.Messages = append(req.Messages, msg)
		default:
			return req, bad("messages.%d.role: Input should be 'user' or 'assistant'", i)
		}
	}
	if len(open) > 0 {
		return req, bad("messages.%d: `tool_use` ids were found without `tool_result` blocks immediately after: %s", len(in.Messages)-1, strings.Join(open, ", "))
	}
	for i, t := range in.Tools {
		if t.Type != "" && t.Type != "custom" {
			return req, bad("tools.%d: the sandbox model offers no server tools (%q)", i, t.Type)
		}
		if !toolName.MatchString(t.Name) {
			return req, bad("tools.%d.custom.name: String should match pattern '^[a-zA-Z0-9_-]{1,64}$'", i)
		}
		if len(t.InputSchema) == 0 {
			return req, bad("tools.%d.custom.input_schema: Field required", i)
		}
		var schema struct {
			Type string `json:"type"`
		}
		if json.Unmarshal(t.InputSchema, &schema) != nil || schema.Type != "object" {
			return req, bad("tools.%d.custom.input_schema.type: Input should be 'object'", i)
		}
		req.Tools = append(req.Tools, Tool{Name: t.Name, Description: t.Description, Parameters: t.InputSchema})
	}
	return req, nil
}

// anSystem reads system: a string or text blocks.
func anSystem(raw json.RawMessage) (string, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return "", nil
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s, nil
	}
	var blocks []anBlock
	if err := json.Unmarshal(raw, &blocks); err != nil {
		return "", fmt.Errorf("must be a string or a list of text blocks")
	}
	var parts []string
	for _, b := range blocks {
		if b.Type != "text" || b.Text == "" {
			return "", fmt.Errorf("system blocks must be non-empty text blocks")
		}
		parts = append(parts, b.Text)
	}
	return strings.Join(parts, "\n"), nil
}

// anBlocks reads a message's content: a string (one text block) or blocks.
func anBlocks(raw json.RawMessage) ([]anBlock, error) {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		if s == "" {
			return nil, fmt.Errorf("text content blocks must be non-empty")
		}
		return []anBlock{{Type: "text", Text: s}}, nil
	}
	var blocks []anBlock
	if err := json.Unmarshal(raw, &blocks); err != nil {
		return nil, fmt.Errorf("Input should be a valid list")
	}
	if len(blocks) == 0 {
		return nil, fmt.Errorf("messages must have non-empty content")
	}
	return blocks, nil
}

// anResultContent reads a tool_result's content: absent, a string, or text
// blocks.
func anResultContent(raw json.RawMessage) (string, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return "", nil
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s, nil
	}
	var blocks []anBlock
	if err := json.Unmarshal(raw, &blocks); err != nil {
		return "", fmt.Errorf("Input should be a valid string or list")
	}
	var parts []string
	for _, b := range blocks {
		if b.Type != "text" {
			return "", fmt.Errorf("the sandbox model reads only text in tool results, not %q", b.Type)
		}
		if b.Text == "" {
			return "", fmt.Errorf("text content blocks must be non-empty")
		}
		parts = append(parts, b.Text)
	}
	return strings.Join(parts, "\n"), nil
}

// writeError writes Anthropic's error shape.
func (api anthropicAPI) writeError(w http.ResponseWriter, e wireError) {
	if e.retryAfter > 0 {
		w.Header().Set("Retry-After", retryAfterSeconds(e.retryAfter))
	}
	writeJSON(w, e.status, api.errorBody(e))
}

// errorBody is Anthropic's error object; an empty message gets a default for
// the status.
func (anthropicAPI) errorBody(e wireError) any {
	typ, msg := e.typ, e.msg
	switch {
	case e.status == http.StatusUnauthorized:
		typ, msg = or(typ, "authentication_error"), or(msg, "invalid x-api-key")
	case e.status == http.StatusForbidden:
		typ, msg = or(typ, "permission_error"), or(msg, "Your API key does not have permission to use the specified resource.")
	case e.status == http.StatusNotFound:
		typ, msg = or(typ, "not_found_error"), or(msg, "Not found")
	case e.status == http.StatusRequestEntityTooLarge:
		typ, msg = or(typ, "request_too_large"), or(msg, "Request exceeds the maximum allowed number of bytes.")
	case e.status == http.StatusTooManyRequests:
		typ, msg = or(typ, "rate_limit_error"), or(msg, "Number of request tokens has exceeded your per-minute rate limit.")
	case e.status == 529 || e.status == http.StatusServiceUnavailable:
		typ, msg = or(typ, "overloaded_error"), or(msg, "Overloaded")
	case e.status >= 500:
		typ, msg = or(typ, "api_error"), or(msg, "Internal server error")
	default:
		typ, msg = or(typ, "invalid_request_error"), or(msg, http.StatusText(e.status))
	}
	return map[string]any{
		"type":  "error",
		"error": map[string]any{"type": typ, "message": msg},
	}
}

// anInput is a tool_use block's input: the arguments when they are JSON,
// else the text as a JSON string (a misbehaving model).
func anInput(args string) json.RawMessage {
	if json.Valid([]byte(args)) {
		return json.RawMessage(args)
	}
	b, _ := json.Marshal(args)
	return b
}

type anUsage struct {
	InputTokens  int `json:"input_tokens"`
	OutputTokens int `json:"output_tokens"`
}

// complete answers a non-streaming request with a message.
func (anthropicAPI) complete(w http.ResponseWriter, r *http.Request, a answer) {
	p := a.pacer(r)
	if a.turn.Hang {
		p.hold()
		return
	}
	if a.turn.Gate != nil && !p.step() {
		return
	}
	content := []map[string]any{}
	if text := strings.Join(a.reply.Chunks, ""); text != "" {
		content = append(content, map[string]any{"type": "text", "text": text})
	}
	for i, c := range a.reply.ToolCalls {
		content = append(content, map[string]any{"type": "tool_use", "id": a.callID("toolu_sbx_", i), "name": c.Name, "input": anInput(c.args())})
	}
	w.Header().Set("request-id", fmt.Sprintf("req_sbx_%d", a.seq))
	body := map[string]any{
		"id": fmt.Sprintf("msg_sbx_%d", a.seq), "type": "message", "role": "assistant",
		"model": a.req.Model, "content": content,
		"stop_reason": a.reply.Stop, "stop_sequence": nil,
		"usage": anUsage{InputTokens: estimateTokens(a.req.inputChars()), OutputTokens: estimateTokens(a.outputChars())},
	}
	if a.turn.Truncate {
		b, _ := json.Marshal(body)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(b[:len(b)/2])
		return
	}
	writeJSON(w, http.StatusOK, body)
}

// stream answers with the Messages event sequence: message_start, a text
// block (content_block_start, ping, text_delta…, content_block_stop), one
// block per tool_use with input_json_delta fragments, message_delta with the
// stop reason and usage, message_stop. A turn with an error Status ends
// after its content with an error event, as when the API is overloaded
// mid-answer.
func (api anthropicAPI) stream(w http.ResponseWriter, r *http.Request, a answer) {
	w.Header().Set("request-id", fmt.Sprintf("req_sbx_%d", a.seq))
	s := newSSE(w)
	p := a.pacer(r)
	s.send("message_start", map[string]any{"type": "message_start", "message": map[string]any{
		"id": fmt.Sprintf("msg_sbx_%d", a.seq), "type": "message", "role": "assistant",
		"model": a.req.Model, "content": []any{}, "stop_reason": nil, "stop_sequence": nil,
		"usage": anUsage{InputTokens: estimateTokens(a.req.inputChars()), OutputTokens: 1},
	}})
	index := 0
	if len(a.reply.Chunks) > 0 {
		s.send("content_block_start", map[string]any{"type": "content_block_start", "index": index, "content_block": map[string]any{"type": "text", "text": ""}})
		s.send("ping", map[string]any{"type": "ping"})
		for _, c := range a.reply.Chunks {
			s.send("content_block_delta", map[string]any{"type": "content_block_delta", "index": index, "delta": map[string]any{"type": "text_delta", "text": c}})
			if !p.step() {
				return
			}
		}
		s.send("content_block_stop", map[string]any{"type": "content_block_stop", "index": index})
		index++
	}
	for i, c := range a.reply.ToolCalls {
		s.send("content_block_start", map[string]any{"type": "content_block_start", "index": index, "content_block": map[string]any{
			"type": "tool_use", "id": a.callID("toolu_sbx_", i), "name": c.Name, "input": map[string]any{},
		}})
		for _, f := range fragments(c.args(), 8) {
			s.send("content_block_delta", map[string]any{"type": "content_block_delta", "index": index, "delta": map[string]any{"type": "input_json_delta", "partial_json": f}})
			if !p.step() {
				return
			}
		}
		s.send("content_block_stop", map[string]any{"type": "content_block_stop", "index": index})
		index++
	}
	if a.turn.Hang {
		p.hold()
		return
	}
	if a.turn.Truncate {
		return
	}
	if a.turn.Status != 0 {
		s.send("error", api.errorBody(wireError{status: a.turn.Status}))
		return
	}
	s.send("message_delta", map[string]any{"type": "message_delta",
		"delta": map[string]any{"stop_reason": a.reply.Stop, "stop_sequence": nil},
		"usage": map[string]any{"output_tokens": estimateTokens(a.outputChars())},
	})
	s.send("message_stop", map[string]any{"type": "message_stop"})
}
