package llmtest

import (
	"context"
	"errors"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/jarvis-hq/jarvis/internal/llm"
	"github.com/jarvis-hq/jarvis/internal/sandbox/model"
)

// Run runs the conformance suite against the providers f makes.
func Run(t *testing.T, f Factory) {
	t.Run("StreamsText", func(t *testing.T) { testStreamsText(t, f) })
	t.Run("FirstDeltaBeforeLastChunk", func(t *testing.T) { testFirstDelta(t, f) })
	t.Run("ParallelToolCalls", func(t *testing.T) { testParallelToolCalls(t, f) })
	t.Run("MultiStep", func(t *testing.T) { testMultiStep(t, f) })
	t.Run("RequestMapping", func(t *testing.T) { testRequestMapping(t, f) })
	t.Run("Misbehaviour", func(t *testing.T) { testMisbehaviour(t, f) })
	t.Run("Unauthorized", func(t *testing.T) { testUnauthorized(t, f) })
	t.Run("RateLimitedThenOK", func(t *testing.T) { testRateLimitedThenOK(t, f) })
	t.Run("UnavailableAfterRetries", func(t *testing.T) { testUnavailableAfterRetries(t, f) })
	t.Run("RateLimitedAfterRetries", func(t *testing.T) { testRateLimitedAfterRetries(t, f) })
	t.Run("BadRequestNotRetried", func(t *testing.T) { testBadRequest(t, f) })
	t.Run("ConnectionRefused", func(t *testing.T) { testConnectionRefused(t, f) })
	t.Run("NoRetryAfterDeltas", func(t *testing.T) { testNoRetryAfterDeltas(t, f) })
	t.Run("RetryBeforeFirstEvent", func(t *testing.T) { testRetryBeforeFirstEvent(t, f) })
	t.Run("ErrorMidStream", func(t *testing.T) { testErrorMidStream(t, f) })
	t.Run("CancelMidStream", func(t *testing.T) { testCancelMidStream(t, f) })
	t.Run("CloseFromAnotherGoroutine", func(t *testing.T) { testCloseConcurrently(t, f) })
	t.Run("TurnTimeout", func(t *testing.T) { testTurnTimeout(t, f) })
}

func testStreamsText(t *testing.T, f Factory) {
	e := NewEnv(t, f, llm.Config{})
	r := Turn(t, e.Provider, User("hello there", JarvisTools()...))
	if !strings.HasPrefix(r.Text, model.Label) {
		t.Errorf("answer %q does not start with %q", r.Text, model.Label)
	}
	if len(r.Deltas) < 5 {
		t.Errorf("answer came in %d deltas, want word-sized chunks", len(r.Deltas))
	}
	if r.Done.StopReason != llm.StopEndTurn {
		t.Errorf("stop reason %q, want %q", r.Done.StopReason, llm.StopEndTurn)
	}
	if r.Done.Usage.InputTokens == 0 || r.Done.Usage.OutputTokens == 0 {
		t.Errorf("usage %+v, want both counts", r.Done.Usage)
	}
	if got := e.Provider.Model(); got != model.Name {
		t.Errorf("Model() = %q", got)
	}
}

// testFirstDelta holds the sandbox after the first chunk: the caller must
// see that chunk while the rest of the answer is not yet written.
func testFirstDelta(t *testing.T, f Factory) {
	e := NewEnv(t, f, llm.Config{})
	gate := make(chan struct{})
	e.Model.Script(model.Turn{Chunks: []string{"first ", "second ", "third"}, Gate: gate})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s, err := e.Provider.Stream(ctx, User("hi"))
	if err != nil {
		t.Fatalf("Stream (the first delta must arrive while the model holds the rest): %v", err)
	}
	defer s.Close()
	if !s.Next() || s.Event().Type != llm.EventTextDelta || s.Event().Text != "first " {
		t.Fatalf("first event %+v, err %v", s.Event(), s.Err())
	}
	close(gate)
	r := Collect(t, s)
	if r.Err != nil || r.Text != "second third" {
		t.Fatalf("rest %q, err %v", r.Text, r.Err)
	}
}

func testParallelToolCalls(t *testing.T, f Factory) {
	e := NewEnv(t, f, llm.Config{})
	// Scripted: long arguments, streamed in many fragments.
	long := `{"query":"from:alice@example.com is:unread subject:(quarterly budget review)","max_results":25}`
	e.Model.Script(model.Turn{Text: "Checking.", ToolCalls: []model.ToolCall{
		{Name: "search_threads", Arguments: long},
		{Name: "list_upcoming_events", Arguments: `{"days":7}`},
	}})
	r := Turn(t, e.Provider, User("go", JarvisTools()...))
	if r.Text != "Checking." {
		t.Errorf("text %q", r.Text)
	}
	if len(r.ToolCalls) != 2 || r.ToolCalls[0].Name != "search_threads" || r.ToolCalls[1].Name != "list_upcoming_events" {
		t.Fatalf("tool calls %+v", r.ToolCalls)
	}
	if a := Args(t, r.ToolCalls[0]); a["query"] != "from:alice@example.com is:unread subject:(quarterly budget review)" || a["max_results"] != 25.0 {
		t.Errorf("reassembled arguments %v", a)
	}
	if r.ToolCalls[0].ID == "" || r.ToolCalls[0].ID == r.ToolCalls[1].ID {
		t.Errorf("call ids %q %q", r.ToolCalls[0].ID, r.ToolCalls[1].ID)
	}
	if r.Done.StopReason != llm.StopToolUse {
		t.Errorf("stop reason %q", r.Done.StopReason)
	}

	// Deterministic: one message asking for mail and meetings.
	r = Turn(t, e.Provider, User("Any unread emails, and what meetings do I have tomorrow?", JarvisTools()...))
	var names []string
	for _, c := range r.ToolCalls {
		names = append(names, c.Name)
	}
	if !slices.Equal(names, []string{"search_threads", "list_upcoming_events"}) {
		t.Fatalf("calls %v", names)
	}
	if a := Args(t, r.ToolCalls[0]); a["query"] != "is:unread" {
		t.Errorf("search args %v", a)
	}
	if a := Args(t, r.ToolCalls[1]); a["days"] != 1.0 {
		t.Errorf("events args %v", a)
	}
}

// testMultiStep plays the agent: search → get_thread → answer, with results
// wrapped as untrusted content.
func testMultiStep(t *testing.T, f Factory) {
	e := NewEnv(t, f, llm.Config{})
	req := User("Read the latest email from alice", JarvisTools()...)
	req.System = "You are Jarvis."

	r := Turn(t, e.Provider, req)
	if len(r.ToolCalls) != 1 || r.ToolCalls[0].Name != "search_threads" {
		t.Fatalf("step 1 calls %+v", r.ToolCalls)
	}
	if a := Args(t, r.ToolCalls[0]); a["query"] != "from:alice" {
		t.Errorf("search args %v", a)
	}
	req.Messages = append(req.Messages,
		llm.Message{Role: llm.RoleAssistant, ToolCalls: r.ToolCalls},
		llm.Message{Role: llm.RoleTool, ToolResults: []llm.ToolResult{{
			CallID: r.ToolCalls[0].ID, Name: "search_threads",
			Content: `<untrusted_content source="gmail">{"threads":[{"id":"th-42","subject":"Q3 budget","from":"Alice Example <alice@example.com>","snippet":"Numbers attached"}]}</untrusted_content>`,
		}}})

	r = Turn(t, e.Provider, req)
	if len(r.ToolCalls) != 1 || r.ToolCalls[0].Name != "get_thread" {
		t.Fatalf("step 2 calls %+v (text %q)", r.ToolCalls, r.Text)
	}
	if a := Args(t, r.ToolCalls[0]); a["thread_id"] != "th-42" {
		t.Errorf("get_thread args %v", a)
	}
	req.Messages = append(req.Messages,
		llm.Message{Role: llm.RoleAssistant, ToolCalls: r.ToolCalls},
		llm.Message{Role: llm.RoleTool, ToolResults: []llm.ToolResult{{
			CallID: r.ToolCalls[0].ID, Name: "get_thread",
			Content: `<untrusted_content>{"id":"th-42","subject":"Q3 budget","messages":[{"from":"Alice Example <alice@example.com>","body_text":"Can we meet Tuesday to go over the numbers?"}]}</untrusted_content>`,
		}}})

	r = Turn(t, e.Provider, req)
	if len(r.ToolCalls) != 0 || r.Done.StopReason != llm.StopEndTurn {
		t.Fatalf("step 3 calls %+v, stop %q", r.ToolCalls, r.Done.StopReason)
	}
	for _, want := range []string{model.Label, "Q3 budget", "Alice Example", "meet Tuesday"} {
		if !strings.Contains(r.Text, want) {
			t.Errorf("answer %q lacks %q", r.Text, want)
		}
	}

	got := e.Model.Requests()
	if len(got) != 3 {
		t.Fatalf("%d requests", len(got))
	}
	last := got[2]
	if last.System != "You are Jarvis." || !slices.Equal(last.ToolNames(), []string{"search_threads", "get_thread", "list_upcoming_events", "find_free_time", "create_draft"}) {
		t.Errorf("system %q, tools %v", last.System, last.ToolNames())
	}
	roles := []string{}
	for _, m := range last.Messages {
		roles = append(roles, m.Role)
	}
	if !slices.Equal(roles, []string{"user", "assistant", "tool", "assistant", "tool"}) {
		t.Fatalf("roles %v", roles)
	}
	if res := last.Messages[4].ToolResults; len(res) != 1 || res[0].CallID != last.Messages[3].ToolCalls[0].ID || !strings.Contains(res[0].Content, "meet Tuesday") {
		t.Errorf("tool result sent back %+v", res)
	}
}

// testRequestMapping checks what reaches the wire: text next to tool calls,
// several results, error results, limits.
func testRequestMapping(t *testing.T, f Factory) {
	e := NewEnv(t, f, llm.Config{})
	temp := 0.25
	req := llm.Request{
		System:      "sys",
		MaxTokens:   321,
		Temperature: &temp,
		Tools:       JarvisTools()[:2],
		Messages: []llm.Message{
			{Role: llm.RoleUser, Text: "first"},
			{Role: llm.RoleAssistant, Text: "Let me look.", ToolCalls: []llm.ToolCall{
				{ID: "c1", Name: "search_threads", Arguments: []byte(`{"query":"in:inbox"}`)},
				{ID: "c2", Name: "get_thread", Arguments: []byte(`{"thread_id":"t1"}`)},
			}},
			{Role: llm.RoleTool, ToolResults: []llm.ToolResult{
				{CallID: "c1", Name: "search_threads", Content: `{"threads":[]}`},
				{CallID: "c2", Name: "get_thread", Content: "thread not found", IsError: true},
			}},
		},
	}
	Turn(t, e.Provider, req)
	got := e.Model.Requests()[0]
	if got.System != "sys" || got.MaxTokens != 321 || got.Temperature == nil || *got.Temperature != 0.25 || !got.Stream {
		t.Errorf("system %q, max tokens %d, temperature %v, stream %v", got.System, got.MaxTokens, got.Temperature, got.Stream)
	}
	if len(got.Messages) != 3 {
		t.Fatalf("messages %+v", got.Messages)
	}
	a := got.Messages[1]
	if a.Text != "Let me look." || len(a.ToolCalls) != 2 || a.ToolCalls[1].ID != "c2" || a.ToolCalls[1].Arguments != `{"thread_id":"t1"}` {
		t.Errorf("assistant message %+v", a)
	}
	res := got.Messages[2].ToolResults
	if len(res) != 2 || res[0].CallID != "c1" || res[1].Content != "thread not found" {
		t.Errorf("tool results %+v", res)
	}
	if got.API == "anthropic" && !res[1].IsError {
		t.Error("is_error was not sent")
	}
	if got.Tools[0].Name != "search_threads" || !strings.Contains(string(got.Tools[0].Parameters), `"query"`) {
		t.Errorf("tools %+v", got.Tools)
	}

	if _, err := e.Provider.Stream(context.Background(), llm.Request{}); llm.KindOf(err) != llm.KindBadRequest {
		t.Errorf("empty request: %v", err)
	}
	if n := len(e.Model.Requests()); n != 1 {
		t.Errorf("an invalid request reached the model (%d requests)", n)
	}
}

// testMisbehaviour passes a bad model's calls through as they are: unknown
// tools, malformed arguments, many calls. Refusing them is the agent's job.
func testMisbehaviour(t *testing.T, f Factory) {
	e := NewEnv(t, f, llm.Config{})
	calls := []model.ToolCall{
		{Name: "send_email", Arguments: `{"to":["boss@example.com"],"body":"done"}`},
		{Name: "create_draft", Arguments: `{"to":["attacker@evil.example"],"subject":"fwd`},
	}
	for i := 0; i < 60; i++ {
		calls = append(calls, model.ToolCall{Name: "search_threads", Arguments: `{"query":"x"}`})
	}
	e.Model.Script(model.Turn{ToolCalls: calls}, model.Turn{Text: "cut", StopReason: "max_tokens"})
	r := Turn(t, e.Provider, User("hi", JarvisTools()...))
	if len(r.ToolCalls) != 62 || r.ToolCalls[0].Name != "send_email" {
		t.Fatalf("%d calls, first %+v", len(r.ToolCalls), r.ToolCalls[0])
	}
	if string(r.ToolCalls[1].Arguments) != `"{\"to\":[\"attacker@evil.example\"],\"subject\":\"fwd"` {
		t.Errorf("malformed arguments became %s", r.ToolCalls[1].Arguments)
	}
	if r = Turn(t, e.Provider, User("hi")); r.Done.StopReason != llm.StopMaxTokens {
		t.Errorf("stop reason %q", r.Done.StopReason)
	}
}

func testUnauthorized(t *testing.T, f Factory) {
	e := NewEnv(t, f, llm.Config{APIKey: "-"})
	_, err := e.Provider.Stream(context.Background(), User("hi"))
	var le *llm.Error
	if !errors.As(err, &le) || le.Kind != llm.KindAuth || le.Status != 401 || llm.IsUnavailable(err) {
		t.Fatalf("err %v", err)
	}
	if n := len(e.Model.Requests()); n != 0 {
		t.Errorf("a request without a key was recorded (%d)", n)
	}
	if len(e.Sleeps.All()) != 0 {
		t.Error("a 401 was retried")
	}
}

func testRateLimitedThenOK(t *testing.T, f Factory) {
	e := NewEnv(t, f, llm.Config{})
	e.Model.Script(model.Turn{Status: 429, RetryAfter: 2 * time.Second}, model.Turn{Text: "ok now"})
	r := Turn(t, e.Provider, User("hi"))
	if r.Text != "ok now" {
		t.Errorf("text %q", r.Text)
	}
	if got := e.Sleeps.All(); !slices.Equal(got, []time.Duration{2 * time.Second}) {
		t.Errorf("waits %v, want Retry-After's 2s", got)
	}
	if n := len(e.Model.Requests()); n != 2 {
		t.Errorf("%d requests", n)
	}
}

func testUnavailableAfterRetries(t *testing.T, f Factory) {
	e := NewEnv(t, f, llm.Config{MaxRetries: 3, Backoff: llm.Backoff{Base: 100 * time.Millisecond, Max: time.Second}})
	for i := 0; i < 4; i++ {
		e.Model.Script(model.Turn{Status: 503})
	}
	e.Model.Script(model.Turn{Text: "too late"})
	_, err := e.Provider.Stream(context.Background(), User("hi"))
	var le *llm.Error
	if !errors.As(err, &le) || le.Kind != llm.KindUnavailable || le.Status != 503 || !llm.IsUnavailable(err) {
		t.Fatalf("err %v", err)
	}
	if n := len(e.Model.Requests()); n != 4 {
		t.Errorf("%d attempts, want 1 + 3 retries", n)
	}
	waits := e.Sleeps.All()
	if len(waits) != 3 {
		t.Fatalf("waits %v", waits)
	}
	for i, d := range waits { // 100ms·2^i, jittered into its upper half
		hi := 100 * time.Millisecond << i
		if d < hi/2 || d > hi {
			t.Errorf("wait %d = %v, want in [%v, %v]", i, d, hi/2, hi)
		}
	}
}

func testRateLimitedAfterRetries(t *testing.T, f Factory) {
	e := NewEnv(t, f, llm.Config{MaxRetries: 1, Backoff: llm.Backoff{Max: 10 * time.Second}})
	e.Model.Script(model.Turn{Status: 429, RetryAfter: time.Second}, model.Turn{Status: 429, RetryAfter: time.Second}, model.Turn{Status: 429, RetryAfter: 30 * time.Second})
	_, err := e.Provider.Stream(context.Background(), User("hi"))
	var le *llm.Error
	if !errors.As(err, &le) || le.Kind != llm.KindRateLimited || le.RetryAfter != time.Second || !llm.IsUnavailable(err) {
		t.Fatalf("err %v", err)
	}
	// A Retry-After beyond Backoff.Max is passed on, not waited for.
	_, err = e.Provider.Stream(context.Background(), User("hi"))
	if !errors.As(err, &le) || le.Kind != llm.KindRateLimited || le.RetryAfter != 30*time.Second {
		t.Fatalf("err %v", err)
	}
	if n, w := len(e.Model.Requests()), len(e.Sleeps.All()); n != 3 || w != 1 {
		t.Errorf("%d requests, %d waits", n, w)
	}
}

func testBadRequest(t *testing.T, f Factory) {
	e := NewEnv(t, f, llm.Config{})
	e.Model.Script(model.Turn{Status: 400})
	_, err := e.Provider.Stream(context.Background(), User("hi"))
	if llm.KindOf(err) != llm.KindBadRequest || llm.Retryable(err) {
		t.Fatalf("err %v", err)
	}
	if n := len(e.Model.Requests()); n != 1 {
		t.Errorf("%d requests", n)
	}
}

func testConnectionRefused(t *testing.T, f Factory) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + l.Addr().String()
	l.Close()
	sleeps := &Sleeps{}
	p := f(t, url, llm.Config{Model: model.Name, APIKey: "k", MaxRetries: 2, Backoff: llm.Backoff{Sleep: sleeps.Sleep}})
	_, err = p.Stream(context.Background(), User("hi"))
	var le *llm.Error
	if !errors.As(err, &le) || le.Kind != llm.KindUnavailable || le.Status != 0 {
		t.Fatalf("err %v", err)
	}
	if n := len(sleeps.All()); n != 2 {
		t.Errorf("%d waits, want 2 retries", n)
	}
}

// testNoRetryAfterDeltas cuts a stream after text was handed out: the error
// surfaces, and the turn is not sent again.
func testNoRetryAfterDeltas(t *testing.T, f Factory) {
	e := NewEnv(t, f, llm.Config{})
	e.Model.Script(model.Turn{Chunks: []string{"partial "}, Truncate: true}, model.Turn{Text: "second attempt"})
	s, err := e.Provider.Stream(context.Background(), User("hi"))
	if err != nil {
		t.Fatal(err)
	}
	r := Collect(t, s)
	if r.Text != "partial " || llm.KindOf(r.Err) != llm.KindUnavailable || r.Done != nil {
		t.Fatalf("text %q, err %v, done %v", r.Text, r.Err, r.Done)
	}
	if n := len(e.Model.Requests()); n != 1 || e.Model.Pending() != 1 {
		t.Errorf("%d requests, %d turns left: the turn was retried", n, e.Model.Pending())
	}
}

// testRetryBeforeFirstEvent cuts a stream before anything was handed out:
// that attempt is retried.
func testRetryBeforeFirstEvent(t *testing.T, f Factory) {
	e := NewEnv(t, f, llm.Config{})
	e.Model.Script(model.Turn{Truncate: true}, model.Turn{Text: "second attempt"})
	r := Turn(t, e.Provider, User("hi"))
	if r.Text != "second attempt" || len(e.Model.Requests()) != 2 {
		t.Errorf("text %q after %d requests", r.Text, len(e.Model.Requests()))
	}
}

// testErrorMidStream: the vendor fails after text was streamed (overloaded,
// rate limited): classified, not retried.
func testErrorMidStream(t *testing.T, f Factory) {
	e := NewEnv(t, f, llm.Config{})
	e.Model.Script(model.Turn{Chunks: []string{"half "}, Status: 503}, model.Turn{Chunks: []string{"half "}, Status: 429}, model.Turn{Text: "unused"})
	for _, want := range []llm.Kind{llm.KindUnavailable, llm.KindRateLimited} {
		s, err := e.Provider.Stream(context.Background(), User("hi"))
		if err != nil {
			t.Fatal(err)
		}
		r := Collect(t, s)
		if r.Text != "half " || llm.KindOf(r.Err) != want || r.Done != nil {
			t.Errorf("text %q, err %v, want kind %s", r.Text, r.Err, want)
		}
	}
	if e.Model.Pending() != 1 {
		t.Error("a turn failing mid-stream was retried")
	}
}

func testCancelMidStream(t *testing.T, f Factory) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	func() {
		e := NewEnv(t, f, llm.Config{})
		defer func() { // what Cleanup would do, before goleak looks
			e.Model.Close()
			e.Server.Close()
		}()
		e.Model.Script(model.Turn{Chunks: []string{"one ", "two "}, Hang: true})
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		s, err := e.Provider.Stream(ctx, User("hi"))
		if err != nil {
			t.Fatal(err)
		}
		if !s.Next() || !s.Next() || s.Event().Text != "two " {
			t.Fatalf("event %+v, err %v", s.Event(), s.Err())
		}
		cancel()
		if s.Next() {
			t.Fatalf("event after cancel: %+v", s.Event())
		}
		if err := s.Err(); !errors.Is(err, context.Canceled) {
			t.Errorf("err %v, want context.Canceled", err)
		}
		if err := s.Close(); err != nil {
			t.Logf("close: %v", err)
		}
		e.Provider = nil
	}()
}

func testCloseConcurrently(t *testing.T, f Factory) {
	e := NewEnv(t, f, llm.Config{})
	e.Model.Script(model.Turn{Chunks: []string{"one "}, Hang: true})
	s, err := e.Provider.Stream(context.Background(), User("hi"))
	if err != nil {
		t.Fatal(err)
	}
	if !s.Next() {
		t.Fatal(s.Err())
	}
	next := make(chan bool, 1)
	go func() { next <- s.Next() }()
	time.Sleep(20 * time.Millisecond) // let Next block on the network
	s.Close()
	select {
	case ok := <-next:
		if ok {
			t.Errorf("event after Close: %+v", s.Event())
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Next still blocked 5s after Close")
	}
	if err := s.Err(); err != nil {
		t.Errorf("err after Close: %v", err)
	}
}

func testTurnTimeout(t *testing.T, f Factory) {
	e := NewEnv(t, f, llm.Config{Timeout: 300 * time.Millisecond})
	e.Model.Script(model.Turn{Chunks: []string{"one "}, Hang: true})
	s, err := e.Provider.Stream(context.Background(), User("hi"))
	if err != nil {
		t.Fatal(err)
	}
	r := Collect(t, s)
	if llm.KindOf(r.Err) != llm.KindUnavailable || !strings.Contains(r.Err.Error(), "timed out") {
		t.Errorf("err %v", r.Err)
	}
}
