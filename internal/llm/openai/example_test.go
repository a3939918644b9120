package openai_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"strings"

	"github.com/jarvis-hq/jarvis/internal/llm"
	"github.com/jarvis-hq/jarvis/internal/llm/openai"
	"github.com/jarvis-hq/jarvis/internal/sandbox/model"
)

// One turn against the sandbox model, which speaks OpenAI's protocol: text
// arrives in deltas, then one Done.
func ExampleNew() {
	h := model.New(model.Config{})
	srv := httptest.NewServer(h)
	defer srv.Close()
	defer h.Close()

	p, err := openai.New(llm.Config{APIKey: "any", BaseURL: srv.URL + "/v1", Model: model.Name})
	if err != nil {
		panic(err)
	}
	h.Script(model.Turn{Text: "Good morning. You have two meetings."})
	s, err := p.Stream(context.Background(), llm.Request{
		System:   "You are Jarvis.",
		Messages: []llm.Message{{Role: llm.RoleUser, Text: "Brief me"}},
	})
	if err != nil {
		panic(err) // llm.IsUnavailable(err) → answer 503 llm_unavailable
	}
	defer s.Close()
	var deltas []string
	for s.Next() {
		switch ev := s.Event(); ev.Type {
		case llm.EventTextDelta:
			deltas = append(deltas, ev.Text)
		case llm.EventDone:
			fmt.Println(ev.StopReason)
		}
	}
	if err := s.Err(); err != nil {
		panic(err)
	}
	fmt.Println(strings.Join(deltas, "|"))
	// Output:
	// end_turn
	// Good |morning. |You |have |two |meetings.
}
