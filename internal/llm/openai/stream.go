package openai

import (
	"encoding/json"
	"errors"

	sdk "github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/packages/ssestream"

	"github.com/jarvis-hq/jarvis/internal/llm"
)

// stream turns the chunks of one streamed completion into llm events. Text
// deltas pass straight through; tool-call fragments are assembled and handed
// out, complete, after the model finished; then one EventDone.
type stream struct {
	sdk   *ssestream.Stream[sdk.ChatCompletionChunk]
	queue llm.Queue
	cur   llm.Event
	err   error
	ended bool

	calls  llm.CallBuilder
	finish string
	usage  llm.Usage
}

func (s *stream) Next() bool {
	for {
		if ev, ok := s.queue.Pop(); ok {
			s.cur = ev
			return true
		}
		if s.ended {
			return false
		}
		if !s.sdk.Next() {
			s.end(s.sdk.Err())
			continue
		}
		s.chunk(s.sdk.Current())
	}
}

func (s *stream) chunk(c sdk.ChatCompletionChunk) {
	if c.JSON.Usage.Valid() {
		s.usage = llm.Usage{InputTokens: int(c.Usage.PromptTokens), OutputTokens: int(c.Usage.CompletionTokens)}
	}
	for _, ch := range c.Choices {
		if ch.Index != 0 {
			continue
		}
		if ch.Delta.Content != "" {
			s.queue.Push(llm.Event{Type: llm.EventTextDelta, Text: ch.Delta.Content})
		}
		if ch.Delta.Refusal != "" {
			s.queue.Push(llm.Event{Type: llm.EventTextDelta, Text: ch.Delta.Refusal})
		}
		for _, tc := range ch.Delta.ToolCalls {
			s.calls.Add(tc.Index, tc.ID, tc.Function.Name, tc.Function.Arguments)
		}
		if ch.FinishReason != "" {
			s.finish = ch.FinishReason
		}
	}
}

// end is called once the SDK stream stopped: with an error, or cleanly after
// [DONE] (or a closed body). A stream that stopped before the model said why
// it finished was cut short, and its tool calls are never handed out.
func (s *stream) end(err error) {
	s.ended = true
	if err != nil {
		var se *ssestream.StreamError
		if errors.As(err, &se) {
			s.err = streamError(se)
			return
		}
		s.err = classify(err, nil)
		return
	}
	if s.finish == "" {
		s.err = llm.Unavailable(Name, "stream ended before the model finished", nil)
		return
	}
	calls := s.calls.Calls("call_")
	for i := range calls {
		s.queue.Push(llm.Event{Type: llm.EventToolCall, ToolCall: &calls[i]})
	}
	s.queue.Push(llm.Event{Type: llm.EventDone, Usage: s.usage, StopReason: stopReason(s.finish, len(calls) > 0)})
}

// streamError classifies an error the server sent inside the stream, by
// its type and code.
func streamError(se *ssestream.StreamError) *llm.Error {
	var body struct {
		Error struct {
			Type    string `json:"type"`
			Code    any    `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	_ = json.Unmarshal(se.Event.Data, &body)
	kind := llm.KindUnavailable
	switch code, _ := body.Error.Code.(string); {
	case code == "rate_limit_exceeded", body.Error.Type == "requests", body.Error.Type == "tokens":
		kind = llm.KindRateLimited
	case body.Error.Type == "invalid_request_error":
		kind = llm.KindBadRequest
	}
	msg := body.Error.Message
	if len(msg) > 200 {
		msg = msg[:200] + "…"
	}
	return &llm.Error{Kind: kind, Provider: Name, Message: "model failed mid-stream: " + msg, Err: se}
}

// stopReason maps finish_reason. Some compatible servers say "stop" after
// tool calls; the calls decide.
func stopReason(finish string, calls bool) llm.StopReason {
	if calls {
		return llm.StopToolUse
	}
	switch finish {
	case "stop":
		return llm.StopEndTurn
	case "tool_calls", "function_call":
		return llm.StopToolUse
	case "length":
		return llm.StopMaxTokens
	}
	return llm.StopReason(finish)
}

func (s *stream) Event() llm.Event { return s.cur }
func (s *stream) Err() error       { return s.err }
func (s *stream) Close() error     { return s.sdk.Close() }
