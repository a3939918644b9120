package llm

import (
	"encoding/json"
	"fmt"
	"strings"
)

// Arguments turns the argument text a model produced into ToolCall.Arguments:
// "{}" when empty, the text itself when it is valid JSON, and otherwise the
// text as a JSON string, so a malformed call is rejected by validation rather
// than breaking the conversation when it is sent back.
func Arguments(text string) json.RawMessage {
	t := strings.TrimSpace(text)
	if t == "" {
		return json.RawMessage("{}")
	}
	if json.Valid([]byte(t)) {
		return json.RawMessage(t)
	}
	b, _ := json.Marshal(text)
	return b
}

// CallBuilder assembles tool calls streamed in fragments, keyed by the
// vendor's index. A fragment that brings a new id at an index already in use
// starts a new call: some compatible servers send every call whole, at
// index 0.
type CallBuilder struct {
	calls map[int64]*partialCall
	alias map[int64]int64 // vendor index → key in calls
	next  int64
}

type partialCall struct {
	order    int64
	id, name string
	args     strings.Builder
}

// Add records a fragment of call index: an id and name when the vendor sends
// them (the first non-empty value wins) and a piece of the arguments.
func (b *CallBuilder) Add(index int64, id, name, args string) {
	if b.calls == nil {
		b.calls, b.alias = make(map[int64]*partialCall), make(map[int64]int64)
	}
	key, seen := b.alias[index]
	c := b.calls[key]
	if !seen || (id != "" && c.id != "" && id != c.id) {
		key = b.next
		b.next++
		b.alias[index] = key
		c = &partialCall{order: key}
		b.calls[key] = c
	}
	if c.id == "" {
		c.id = id
	}
	if c.name == "" {
		c.name = name
	}
	c.args.WriteString(args)
}

// Len is the number of calls seen.
func (b *CallBuilder) Len() int { return len(b.calls) }

// Calls returns the assembled calls in the order they started. A call
// without an id gets one made from prefix and its position (some compatible
// servers send none).
func (b *CallBuilder) Calls(prefix string) []ToolCall {
	out := make([]ToolCall, 0, len(b.calls))
	for i := int64(0); i < b.next; i++ {
		c := b.calls[i]
		id := c.id
		if id == "" {
			id = fmt.Sprintf("%s%d", prefix, i)
		}
		out = append(out, ToolCall{ID: id, Name: c.name, Arguments: Arguments(c.args.String())})
	}
	return out
}

// Queue is a FIFO of events, for provider streams that decode several events
// from one vendor event.
type Queue struct {
	events []Event
}

// Push appends events.
func (q *Queue) Push(ev ...Event) { q.events = append(q.events, ev...) }

// Pop removes and returns the oldest event, reporting false when empty.
func (q *Queue) Pop() (Event, bool) {
	if len(q.events) == 0 {
		return Event{}, false
	}
	ev := q.events[0]
	q.events = q.events[1:]
	return ev, true
}
