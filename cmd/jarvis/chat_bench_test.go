package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jarvis-hq/jarvis/internal/config"
	"github.com/jarvis-hq/jarvis/internal/logging"
	"github.com/jarvis-hq/jarvis/internal/sandbox"
	"github.com/jarvis-hq/jarvis/internal/sandbox/model"
	"github.com/jarvis-hq/jarvis/internal/sqldb"
	"github.com/jarvis-hq/jarvis/internal/sqldb/sqldbtest"
)

// BenchmarkChatFirstDelta measures what Jarvis adds before the first
// streamed byte of an answer: the time to the sandbox model's first text
// delta when asked directly (the same request body Jarvis sends), against
// the time to the first message.delta event of POST /chat through the
// whole server — authentication, rate limit, conversation lookup, the
// provider's SDK, and storing the conversation once the model answered.
//
//	go test -run '^$' -bench BenchmarkChatFirstDelta -benchtime 200x ./cmd/jarvis
//
// It reports the medians as model-ttfb-ms, jarvis-ttfb-ms and their
// difference, overhead-ms (the budget is 20 ms).
func BenchmarkChatFirstDelta(b *testing.B) {
	e := startBenchEnv(b)
	tok := e.signIn("ada@example.com")
	hello := model.Turn{Text: "Hello."}

	// One turn through Jarvis gives the exact request it sends the model.
	e.Sandbox.Model.Script(hello)
	e.chat(tok, "", "hello")
	reqs := e.Sandbox.Model.Requests()
	body := reqs[len(reqs)-1].Body
	client := &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}
	b.Cleanup(client.CloseIdleConnections)

	var direct, through []time.Duration
	b.ResetTimer()
	for range b.N {
		e.Sandbox.Model.Script(hello, hello)
		direct = append(direct, firstModelDelta(b, client, e.Sandbox.URL+"/v1/chat/completions", body))
		through = append(through, firstChatDelta(b, client, e.URL+"/chat", tok))
	}
	b.StopTimer()
	m, j := chatMedian(direct), chatMedian(through)
	b.ReportMetric(chatMs(m), "model-ttfb-ms")
	b.ReportMetric(chatMs(j), "jarvis-ttfb-ms")
	b.ReportMetric(chatMs(j-m), "overhead-ms")
}

// firstModelDelta posts body to the model and returns the time to the first
// chunk that carries text, then reads the answer to its end.
func firstModelDelta(b *testing.B, client *http.Client, url string, body []byte) time.Duration {
	req, _ := http.NewRequest("POST", url, bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer sandbox")
	req.Header.Set("Content-Type", "application/json")
	start := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	var first time.Duration
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		data, ok := strings.CutPrefix(sc.Text(), "data: ")
		if !ok || first != 0 {
			continue
		}
		var chunk struct {
			Choices []struct {
				Delta struct {
					Content string `json:"content"`
				} `json:"delta"`
			} `json:"choices"`
		}
		if json.Unmarshal([]byte(data), &chunk) == nil && len(chunk.Choices) > 0 && chunk.Choices[0].Delta.Content != "" {
			first = time.Since(start)
		}
	}
	if first == 0 {
		b.Fatal("the model streamed no text")
	}
	return first
}

// firstChatDelta posts a message to Jarvis and returns the time to the first
// message.delta event, then reads the answer to its end.
func firstChatDelta(b *testing.B, client *http.Client, url, tok string) time.Duration {
	req, _ := http.NewRequest("POST", url, strings.NewReader(`{"message":"hello"}`))
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "text/event-stream")
	start := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		msg, _ := io.ReadAll(resp.Body)
		b.Fatalf("POST /chat: %d %s", resp.StatusCode, msg)
	}
	var first time.Duration
	_ = readSSE(resp.Body, func(event string, _ []byte) error {
		if event == "message.delta" && first == 0 {
			first = time.Since(start)
		}
		return nil
	})
	if first == 0 {
		b.Fatal("no message.delta")
	}
	return first
}

// startBenchEnv is startEnv with quiet logs and no chat rate limit.
func startBenchEnv(b *testing.B) *testEnv {
	b.Helper()
	log := logging.New(io.Discard, "json", "error")
	sb, err := newSandbox("127.0.0.1:0", sandbox.Config{}, log)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { sb.Close() })
	cfg, err := config.Load(func(string) (string, bool) { return "", false }, nil)
	if err != nil {
		b.Fatal(err)
	}
	secrets := testSecrets(b)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	cfg.Addr, cfg.DatabaseURL = ln.Addr().String(), sqldbtest.URL(b, sqldb.SQLite)
	cfg.JWTSecret, cfg.EncryptionKeys = secrets.JWTSecret, secrets.EncryptionKeys
	cfg.GoogleBaseURL, cfg.GoogleClientID, cfg.GoogleClientSecret = sb.URL, sandbox.DefaultClientID, sandbox.DefaultClientSecret
	cfg.OpenSignup, cfg.LLMProvider, cfg.LogFormat, cfg.LogLevel = true, "sandbox", "json", "error"
	cfg.ShutdownGrace, cfg.ShutdownDelay = 10*time.Second, 0
	cfg.ApplyDefaults()
	m := &Main{Config: cfg, Logger: log, Migrate: true, Listener: ln}
	m.HTTP.ChatRateLimit = 1 << 30
	if err := m.Run(context.Background()); err != nil {
		m.Close()
		b.Fatal(err)
	}
	b.Cleanup(func() { m.Close() })
	return &testEnv{t: b, Main: m, Sandbox: sb, URL: m.URL(), Logs: &syncBuffer{}, client: &http.Client{
		Timeout:       30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

func chatMedian(d []time.Duration) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[len(s)/2]
}

func chatMs(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
