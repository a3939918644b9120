package openai_test

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/jarvis-hq/jarvis/internal/llm"
	"github.com/jarvis-hq/jarvis/internal/llm/llmtest"
	"github.com/jarvis-hq/jarvis/internal/llm/openai"
	"github.com/jarvis-hq/jarvis/internal/sandbox/model"
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

func TestNew(t *testing.T) {
	for _, cfg := range []llm.Config{
		{APIKey: "k"},                      // no model
		{Model: "m"},                       // OpenAI itself needs a key
		{Model: "m", BaseURL: "localhost"}, // not absolute
		{Model: "m", BaseURL: "ftp://x/v1"},
	} {
		if _, err := openai.New(cfg); err == nil {
			t.Errorf("New(%+v) accepted", cfg)
		}
	}
	p, err := openai.New(llm.Config{Model: "llama3.2", BaseURL: "http://localhost:11434/v1"})
	if err != nil || p.Name() != "openai" || p.Model() != "llama3.2" {
		t.Errorf("a local server without a key: %v", err)
	}
}

// TestCompatibleServer: a server other than OpenAI gets max_tokens, which
// Ollama, LM Studio and llama.cpp understand; ambient OPENAI_* variables are
// ignored.
func TestCompatibleServer(t *testing.T) {
	t.Setenv("OPENAI_BASE_URL", "http://127.0.0.1:1/v1")
	t.Setenv("OPENAI_API_KEY", "from-env")
	e := llmtest.NewEnv(t, factory, llm.Config{})
	req := llmtest.User("hi")
	req.MaxTokens = 50
	llmtest.Turn(t, e.Provider, req)
	body := string(e.Model.Requests()[0].Body)
	if !strings.Contains(body, `"max_tokens":50`) || strings.Contains(body, "max_completion_tokens") || !strings.Contains(body, `"include_usage":true`) {
		t.Errorf("body %s", body)
	}
}

// TestAzure: an Azure host gets the key as api-key too, and
// max_completion_tokens.
func TestAzure(t *testing.T) {
	h := model.New(model.Config{})
	var apiKey string
	srv := httptest.NewServer(http.StripPrefix("/openai", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		apiKey = r.Header.Get("api-key")
		h.ServeHTTP(w, r)
	})))
	defer srv.Close()
	defer h.Close()
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.DialContext = func(ctx context.Context, network, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, network, srv.Listener.Addr().String())
	}
	client := &http.Client{Transport: tr}
	defer client.CloseIdleConnections()
	p, err := openai.New(llm.Config{Model: "gpt-deployment", APIKey: "azure-key", BaseURL: "http://jarvis.openai.azure.com/openai/v1", HTTPClient: client})
	if err != nil {
		t.Fatal(err)
	}
	req := llmtest.User("hi")
	req.MaxTokens = 50
	llmtest.Turn(t, p, req)
	if body := string(h.Requests()[0].Body); apiKey != "azure-key" || !strings.Contains(body, `"max_completion_tokens":50`) {
		t.Errorf("api-key %q, body %s", apiKey, body)
	}
}
