package anthropic_test

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/jarvis-hq/jarvis/internal/llm"
	"github.com/jarvis-hq/jarvis/internal/llm/anthropic"
	"github.com/jarvis-hq/jarvis/internal/llm/llmtest"
)

func factory(t testing.TB, serverURL string, cfg llm.Config) llm.Provider {
	t.Helper()
	cfg.BaseURL = serverURL
	p, err := anthropic.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestConformance(t *testing.T) { llmtest.Run(t, factory) }

func TestNew(t *testing.T) {
	for _, cfg := range []llm.Config{
		{APIKey: "k"}, // no model
		{Model: "m"},  // Anthropic itself needs a key
		{Model: "m", BaseURL: "api.example.com"},
	} {
		if _, err := anthropic.New(cfg); err == nil {
			t.Errorf("New(%+v) accepted", cfg)
		}
	}
}

// TestSchemaAndEnvironment: a JSON Schema's extra keywords survive the
// SDK's split of input_schema, and ambient ANTHROPIC_* variables are ignored.
func TestSchemaAndEnvironment(t *testing.T) {
	t.Setenv("ANTHROPIC_BASE_URL", "http://127.0.0.1:1")
	t.Setenv("ANTHROPIC_API_KEY", "from-env")
	e := llmtest.NewEnv(t, factory, llm.Config{})
	req := llmtest.User("hi", llm.Tool{Name: "t", Parameters: json.RawMessage(
		`{"type":"object","properties":{"d":{"type":"integer","minimum":1}},"required":["d"],"additionalProperties":false}`)},
		llm.Tool{Name: "bare"})
	llmtest.Turn(t, e.Provider, req)
	got := e.Model.Requests()[0]
	var schema map[string]any
	if err := json.Unmarshal(got.Tools[0].Parameters, &schema); err != nil {
		t.Fatal(err)
	}
	if schema["type"] != "object" || schema["additionalProperties"] != false || fmt.Sprint(schema["required"]) != "[d]" || schema["properties"] == nil {
		t.Errorf("schema %s", got.Tools[0].Parameters)
	}
	if string(got.Tools[1].Parameters) != `{"properties":{},"type":"object"}` {
		t.Errorf("bare schema %s", got.Tools[1].Parameters)
	}
	if got.MaxTokens != llm.DefaultMaxTokens {
		t.Errorf("max_tokens %d", got.MaxTokens)
	}
}
