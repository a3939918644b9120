package anthropic_test

import (
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
