// Package llm is Jarvis's small contract with chat models: one streamed model
// turn at a time, with tools. Provider subpackages (openai, anthropic) speak to
// the vendors through their official SDKs; the agent only sees this package.
//
// An agent loop: Stream a Request; forward text deltas to the user as they
// come; collect the tool calls; on EventDone with StopToolUse, append an
// assistant Message with the calls and a RoleTool Message with their
// results, and Stream again.
package llm

import (
	"context"
	"encoding/json"
	"fmt"
)

// Provider runs model turns against one configured model.
type Provider interface {
	// Name is the provider's stable name: "openai" or "anthropic".
	Name() string
	// Model is the model id requests are sent to.
	Model() string
	// Stream starts one model turn and returns once the model has produced its
	// first event, so a failure to reach the model is reported here, before
	// anything was streamed. Retries (429, 5xx, connection failures, with
	// jittered backoff that honours Retry-After) happen only inside Stream:
	// once Stream has returned, nothing is retried.
	//
	// Events then arrive in order: text deltas as the model produces them
	// (never buffered to the end), then each complete tool call, then exactly
	// one EventDone carrying usage and the stop reason.
	//
	// Errors are *Error (see KindOf and IsUnavailable), except that a ctx
	// cancelled or expired by the caller is reported as ctx.Err().
	Stream(ctx context.Context, req Request) (Stream, error)
}

// Stream yields the events of one model turn.
//
//	for s.Next() { ev := s.Event() … }
//	if err := s.Err(); err != nil { … }
//
// Close must always be called. It releases the connection, may be called more
// than once, and may be called from another goroutine to abandon the turn: a
// Next blocked on the network then returns false.
type Stream interface {
	// Next advances to the next event and reports whether there is one. It
	// returns false after EventDone or on error.
	Next() bool
	// Event is the event Next advanced to.
	Event() Event
	// Err is nil when the turn ended with EventDone (or was closed by the
	// caller), and otherwise why it stopped: an *Error, or the caller's ctx error.
	Err() error
	Close() error
}

// Role is who speaks in a Message.
type Role string

const (
	RoleUser      Role = "user"
	RoleAssistant Role = "assistant"
	// RoleTool messages carry the results of the previous assistant message's
	// tool calls.
	RoleTool Role = "tool"
)

// Request is one model turn: the conversation so far and the tools offered.
type Request struct {
	System   string
	Messages []Message
	Tools    []Tool
	// MaxTokens caps the answer; 0 means the provider's default
	// (DefaultMaxTokens where the vendor requires a value).
	MaxTokens int
	// Temperature is sent only when set.
	Temperature *float64
}

// DefaultMaxTokens is the answer cap used when a vendor requires one and the
// request leaves MaxTokens at zero.
const DefaultMaxTokens = 4096

// Message is one entry of the conversation.
type Message struct {
	Role Role
	// Text is the user's words or the assistant's answer. Unused for RoleTool.
	Text string
	// ToolCalls are the calls the assistant made in this message.
	ToolCalls []ToolCall
	// ToolResults answer the ToolCalls of the previous assistant message
	// (RoleTool only).
	ToolResults []ToolResult
}

// Tool is a function the model may call.
type Tool struct {
	Name        string
	Description string
	// Parameters is a JSON Schema object; empty means no parameters.
	Parameters json.RawMessage
}

// ToolCall is a complete call the model asked for.
type ToolCall struct {
	ID   string
	Name string
	// Arguments is always valid JSON: the model's arguments object, "{}" when
	// it sent none, or — when the model produced malformed JSON — that text as
	// a JSON string, so that argument validation rejects it.
	Arguments json.RawMessage
}

// ToolResult is what a tool call produced, sent back to the model.
type ToolResult struct {
	CallID string
	Name   string
	// Content is the result as text (usually JSON). Vendors without an error
	// flag (OpenAI) see only Content, so it should say what went wrong.
	Content string
	IsError bool
}

// EventType tells which fields of an Event are set.
type EventType int

const (
	// EventTextDelta carries the next piece of the answer in Text.
	EventTextDelta EventType = iota + 1
	// EventToolCall carries one complete tool call in ToolCall.
	EventToolCall
	// EventDone ends the turn, with Usage and StopReason.
	EventDone
)

func (t EventType) String() string {
	switch t {
	case EventTextDelta:
		return "text_delta"
	case EventToolCall:
		return "tool_call"
	case EventDone:
		return "done"
	}
	return fmt.Sprintf("EventType(%d)", int(t))
}

// Event is one step of a streamed turn.
type Event struct {
	Type       EventType
	Text       string
	ToolCall   *ToolCall
	Usage      Usage
	StopReason StopReason
}

// Usage is the token count of a turn, as the vendor reported it (zero when
// the server did not say).
type Usage struct {
	InputTokens  int
	OutputTokens int
}

// StopReason says why the model ended its turn. Vendors' reasons are mapped
// to the constants below; anything else is passed through as the vendor
// named it (for example "content_filter" or "refusal").
type StopReason string

const (
	StopEndTurn   StopReason = "end_turn"
	StopToolUse   StopReason = "tool_use"
	StopMaxTokens StopReason = "max_tokens"
)

// Validate reports the first structural problem of r as a KindBadRequest
// *Error: no messages, an unknown role, a user message without text, tool
// results outside a RoleTool message, a tool without a name, or parameters
// that are not a JSON object.
func (r Request) Validate() error {
	bad := func(format string, args ...any) error {
		return &Error{Kind: KindBadRequest, Message: fmt.Sprintf(format, args...)}
	}
	if len(r.Messages) == 0 {
		return bad("request has no messages")
	}
	for i, m := range r.Messages {
		switch m.Role {
		case RoleUser:
			if m.Text == "" {
				return bad("message %d: user message without text", i)
			}
		case RoleAssistant:
			if m.Text == "" && len(m.ToolCalls) == 0 {
				return bad("message %d: empty assistant message", i)
			}
		case RoleTool:
			if len(m.ToolResults) == 0 {
				return bad("message %d: tool message without results", i)
			}
		default:
			return bad("message %d: unknown role %q", i, m.Role)
		}
		if m.Role != RoleTool && len(m.ToolResults) > 0 {
			return bad("message %d: tool results outside a tool message", i)
		}
		if m.Role != RoleAssistant && len(m.ToolCalls) > 0 {
			return bad("message %d: tool calls outside an assistant message", i)
		}
	}
	for _, t := range r.Tools {
		if t.Name == "" {
			return bad("tool without a name")
		}
		if len(t.Parameters) > 0 {
			var obj map[string]any
			if err := json.Unmarshal(t.Parameters, &obj); err != nil {
				return bad("tool %s: parameters are not a JSON object", t.Name)
			}
		}
	}
	return nil
}
