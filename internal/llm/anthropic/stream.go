package anthropic

import (
	sdk "github.com/anthropics/anthropic-sdk-go/v2"
	"github.com/anthropics/anthropic-sdk-go/v2/packages/ssestream"

	"github.com/jarvis-hq/jarvis/internal/llm"
)

// stream turns the events of one streamed message into llm events. Text
// deltas pass straight through; tool_use blocks are assembled from their
// input_json_delta fragments and handed out, complete, after message_stop;
// then one EventDone.
type stream struct {
	sdk   *ssestream.Stream[sdk.MessageStreamEventUnion]
	queue llm.Queue
	cur   llm.Event
	err   error
	ended bool

	calls    llm.CallBuilder
	started  map[int64]string // tool_use block index → input given at its start
	streamed map[int64]bool   // tool_use block index → input_json_delta seen
	stop     string
	usage    llm.Usage
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
			s.ended = true
			if err := s.sdk.Err(); err != nil {
				s.err = classify(err, nil)
			} else {
				s.err = llm.Unavailable(Name, "stream ended before message_stop", nil)
			}
			continue
		}
		s.event(s.sdk.Current())
	}
}

func (s *stream) event(ev sdk.MessageStreamEventUnion) {
	switch ev.Type {
	case "message_start":
		s.usage.InputTokens = int(ev.Message.Usage.InputTokens)
		s.usage.OutputTokens = int(ev.Message.Usage.OutputTokens)
	case "content_block_start":
		cb := ev.ContentBlock
		switch cb.Type {
		case "text":
			if cb.Text != "" {
				s.queue.Push(llm.Event{Type: llm.EventTextDelta, Text: cb.Text})
			}
		case "tool_use":
			s.calls.Add(ev.Index, cb.ID, cb.Name, "")
			if s.started == nil {
				s.started = make(map[int64]string)
			}
			s.started[ev.Index] = cb.JSON.Input.Raw()
		}
	case "content_block_delta":
		switch ev.Delta.Type {
		case "text_delta":
			if ev.Delta.Text != "" {
				s.queue.Push(llm.Event{Type: llm.EventTextDelta, Text: ev.Delta.Text})
			}
		case "input_json_delta":
			if _, ok := s.started[ev.Index]; ok {
				s.calls.Add(ev.Index, "", "", ev.Delta.PartialJSON)
				if s.streamed == nil {
					s.streamed = make(map[int64]bool)
				}
				s.streamed[ev.Index] = true
			}
		}
	case "content_block_stop":
		// A server that gives the whole input at the block's start and
		// streams no fragments still gets its input used.
		if in, ok := s.started[ev.Index]; ok && !s.streamed[ev.Index] {
			s.calls.Add(ev.Index, "", "", in)
		}
	case "message_delta":
		if ev.Delta.StopReason != "" {
			s.stop = string(ev.Delta.StopReason)
		}
		if ev.Usage.OutputTokens > 0 {
			s.usage.OutputTokens = int(ev.Usage.OutputTokens)
		}
		if ev.Usage.InputTokens > 0 {
			s.usage.InputTokens = int(ev.Usage.InputTokens)
		}
	case "message_stop":
		s.ended = true
		calls := s.calls.Calls("toolu_")
		for i := range calls {
			s.queue.Push(llm.Event{Type: llm.EventToolCall, ToolCall: &calls[i]})
		}
		s.queue.Push(llm.Event{Type: llm.EventDone, Usage: s.usage, StopReason: stopReason(s.stop, len(calls) > 0)})
	}
}

func stopReason(stop string, calls bool) llm.StopReason {
	switch {
	case calls, stop == "tool_use":
		return llm.StopToolUse
	case stop == "end_turn", stop == "stop_sequence", stop == "":
		return llm.StopEndTurn
	case stop == "max_tokens":
		return llm.StopMaxTokens
	}
	return llm.StopReason(stop)
}

func (s *stream) Event() llm.Event { return s.cur }
func (s *stream) Err() error       { return s.err }
func (s *stream) Close() error     { return s.sdk.Close() }
