package llm_test

import (
	"context"
	"strings"
	"testing"

	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/jarvis-hq/jarvis/internal/llm"
)

// TestTraced: a call is one client span with the GenAI attributes and its
// usage, and nothing of the prompt or the answer.
func TestTraced(t *testing.T) {
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	const prompt, answer = "the secret plans for Friday", "here they are"
	p := llm.Traced(fakeProvider{events: []llm.Event{{Type: llm.EventTextDelta, Text: answer},
		{Type: llm.EventDone, Usage: llm.Usage{InputTokens: 12, OutputTokens: 3}, StopReason: llm.StopEndTurn}}}, tp)
	s, err := p.Stream(context.Background(), llm.Request{System: prompt, Messages: []llm.Message{{Role: llm.RoleUser, Text: prompt}}, MaxTokens: 100})
	if err != nil {
		t.Fatal(err)
	}
	for s.Next() {
	}
	s.Close()
	spans := exp.GetSpans()
	if len(spans) != 1 {
		t.Fatalf("%d spans, want 1", len(spans))
	}
	sp := spans[0]
	got := map[string]string{}
	for _, kv := range sp.Attributes {
		got[string(kv.Key)] = kv.Value.Emit()
		if strings.Contains(kv.Value.Emit(), "secret") || strings.Contains(kv.Value.Emit(), answer) {
			t.Errorf("attribute %s holds the conversation: %q", kv.Key, kv.Value.Emit())
		}
	}
	want := map[string]string{"gen_ai.operation.name": "chat", "gen_ai.system": "fake", "gen_ai.request.model": "m1",
		"gen_ai.request.max_tokens": "100", "gen_ai.usage.input_tokens": "12", "gen_ai.usage.output_tokens": "3",
		"gen_ai.response.finish_reasons": `["end_turn"]`}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %q, want %q", k, got[k], v)
		}
	}
	if sp.Name != "chat m1" || sp.Status.Code != codes.Unset || len(sp.Events) != 0 {
		t.Errorf("span %q status %v events %v", sp.Name, sp.Status, sp.Events)
	}

	// A call that fails is an error span named by the failure's kind.
	exp.Reset()
	if _, err := llm.Traced(fakeProvider{err: &llm.Error{Kind: llm.KindRateLimited, Message: "slow down: " + prompt}}, tp).
		Stream(context.Background(), llm.Request{Messages: []llm.Message{{Role: llm.RoleUser, Text: prompt}}}); err == nil {
		t.Fatal("no error")
	}
	spans = exp.GetSpans()
	if len(spans) != 1 || spans[0].Status.Code != codes.Error || strings.Contains(spans[0].Status.Description, "secret") {
		t.Fatalf("failed call: %+v", spans)
	}
}
