package openai_test

import (
	"testing"

	"github.com/jarvis-hq/jarvis/internal/llm"
	"github.com/jarvis-hq/jarvis/internal/llm/llmtest"
	"github.com/jarvis-hq/jarvis/internal/llm/openai"
)

func factory(t testing.TB, serverURL string, cfg llm.Config) llm.Provider {
	t.Helper()
	cfg.BaseURL = serverURL + "/v1"
	p, err := openai.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestConformance(t *testing.T) { llmtest.Run(t, factory) }
