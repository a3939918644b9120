// Package model is the sandbox model: an http.Handler that speaks OpenAI's
// Chat Completions and Anthropic's Messages wire protocols, so the official
// SDKs run unchanged against it, and answers deterministically from the
// user's words and the tools offered. Tests can script it turn by turn,
// including a model that misbehaves.
//
// Routes: POST /v1/chat/completions, POST /v1/messages, GET /v1/models.
package model

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Name is the model id the sandbox model reports in /v1/models.
const Name = "sandbox-model"

// Label marks every answer the deterministic model writes.
const Label = "(sandbox model)"

// maxBody bounds a request body.
const maxBody = 4 << 20

// Config configures a Handler.
type Config struct {
	// ChunkDelay is the pause after each streamed chunk, so that streaming can
	// be watched; zero streams as fast as the connection allows.
	ChunkDelay time.Duration
	// Now stamps responses; time.Now when nil.
	Now func() time.Time
}

// Turn is one scripted answer, consumed in order by the next chat request
// (either API, streaming or not) before the handler falls back to its
// deterministic behaviour.
type Turn struct {
	// Text is the answer, streamed in word-sized chunks.
	Text string
	// Chunks, when set, are streamed exactly as given instead of Text.
	Chunks []string
	// ChunkDelay overrides Config.ChunkDelay for this turn.
	ChunkDelay time.Duration
	// ToolCalls are made after the text, in order (parallel tool calls).
	ToolCalls []ToolCall
	// StopReason overrides the stop reason: "end_turn", "tool_use" or
	// "max_tokens" (mapped to each API's name); derived when empty.
	StopReason string
	// Status, when non-zero, makes the turn an error response with this HTTP
	// status, in the API's error shape. A streamed turn that also has text or
	// tool calls instead streams them and then fails mid-stream with an error
	// event of that status's kind.
	Status int
	// RetryAfter is sent as Retry-After (whole seconds, rounded up) with an
	// error Status.
	RetryAfter time.Duration
	// Gate, when set, holds the stream after its first chunk (or first
	// tool-call fragment) until Gate is closed: a test can observe the first
	// delta while the rest of the answer is not yet written. A non-streaming
	// answer waits for Gate before it is written.
	Gate <-chan struct{}
	// Hang writes the chunks and then holds the response open, unfinished,
	// until the client goes away or the Handler is closed.
	Hang bool
	// Truncate writes the chunks and ends the response without its closing
	// events (no finish reason, no [DONE] or message_stop).
	Truncate bool
}

// ToolCall is a scripted call. Arguments is sent verbatim — it may be
// malformed JSON on purpose; empty means {}. ID is generated when empty.
type ToolCall struct {
	ID        string
	Name      string
	Arguments string
}

// Request is a chat request as the handler understood it, recorded for
// tests to assert on.
type Request struct {
	API         string // "openai" or "anthropic"
	Model       string
	Stream      bool
	System      string
	Messages    []Message
	Tools       []Tool
	MaxTokens   int
	Temperature *float64
	Body        json.RawMessage // as received
}

// Message is one entry of a recorded conversation, the same for both APIs:
// Role is "user", "assistant" or "tool" (tool results, whether sent as
// OpenAI tool messages or Anthropic tool_result blocks).
type Message struct {
	Role        string
	Text        string
	ToolCalls   []ToolCall
	ToolResults []ToolResult
}

// ToolResult is a tool's output sent back to the model.
type ToolResult struct {
	CallID  string
	Content string
	IsError bool
}

// Tool is a tool the client offered.
type Tool struct {
	Name        string
	Description string
	Parameters  json.RawMessage
}

// ToolNames lists the names of the tools offered, in order.
func (r Request) ToolNames() []string {
	names := make([]string, len(r.Tools))
	for i, t := range r.Tools {
		names[i] = t.Name
	}
	return names
}

// Handler is the sandbox model. It is safe for concurrent use.
type Handler struct {
	cfg  Config
	mux  *http.ServeMux
	done chan struct{}
	once sync.Once

	mu       sync.Mutex
	script   []Turn
	requests []Request
	seq      int
}

// New returns a sandbox model handler.
func New(cfg Config) *Handler {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	h := &Handler{cfg: cfg, mux: http.NewServeMux(), done: make(chan struct{})}
	oa, an := openaiAPI{h}, anthropicAPI{h}
	h.mux.HandleFunc("POST /v1/chat/completions", func(w http.ResponseWriter, r *http.Request) { h.chat(w, r, oa) })
	h.mux.HandleFunc("POST /v1/messages", func(w http.ResponseWriter, r *http.Request) { h.chat(w, r, an) })
	h.mux.HandleFunc("GET /v1/models", h.models)
	h.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if isAnthropic(r) {
			an.writeError(w, wireError{status: http.StatusNotFound, msg: "Not found"})
			return
		}
		oa.writeError(w, wireError{status: http.StatusNotFound, msg: "Unknown request URL: " + r.Method + " " + r.URL.Path})
	})
	return h
}

// Script queues turns; each chat request consumes the oldest one.
func (h *Handler) Script(turns ...Turn) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.script = append(h.script, turns...)
}

// Pending is the number of scripted turns not yet consumed.
func (h *Handler) Pending() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.script)
}

// Requests returns every chat request received with a key and a JSON body,
// in order, including those answered with an error.
func (h *Handler) Requests() []Request {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]Request(nil), h.requests...)
}

// Close releases every response held by Hang or Gate, so that a server can
// shut down. The handler keeps answering afterwards, without holding.
func (h *Handler) Close() { h.once.Do(func() { close(h.done) }) }

// ServeHTTP serves the routes listed in the package documentation.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.mux.ServeHTTP(w, r) }

// wireAPI is one vendor's dialect.
type wireAPI interface {
	name() string
	authorized(r *http.Request) *wireError
	parse(body []byte) (Request, *wireError)
	writeError(w http.ResponseWriter, e wireError)
	complete(w http.ResponseWriter, r *http.Request, a answer)
	stream(w http.ResponseWriter, r *http.Request, a answer)
}

// wireError is an error response before it is put in a vendor's shape.
type wireError struct {
	status     int
	typ        string // vendor error type; derived from status when empty
	code       string
	param      string
	msg        string
	retryAfter time.Duration
}

// answer is everything a writer needs to answer one request.
type answer struct {
	req    Request
	seq    int
	reply  reply
	turn   Turn // pacing: ChunkDelay, Gate, Hang, Truncate
	delay  time.Duration
	now    time.Time
	closed <-chan struct{}
}

func (h *Handler) chat(w http.ResponseWriter, r *http.Request, api wireAPI) {
	if e := api.authorized(r); e != nil {
		api.writeError(w, *e)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			api.writeError(w, wireError{status: http.StatusRequestEntityTooLarge, msg: "request body too large"})
			return
		}
		api.writeError(w, wireError{status: http.StatusBadRequest, msg: "could not read the request body"})
		return
	}
	if !json.Valid(body) {
		api.writeError(w, wireError{status: http.StatusBadRequest, msg: "the request body is not valid JSON"})
		return
	}
	req, perr := api.parse(body)
	req.API, req.Body = api.name(), body
	turn, scripted, seq := h.record(req, perr == nil)
	if perr != nil {
		api.writeError(w, *perr)
		return
	}
	midStream := req.Stream && (turn.Text != "" || len(turn.Chunks) > 0 || len(turn.ToolCalls) > 0)
	if scripted && turn.Status != 0 && !midStream {
		api.writeError(w, wireError{status: turn.Status, retryAfter: turn.RetryAfter})
		return
	}
	a := answer{req: req, seq: seq, turn: turn, delay: h.cfg.ChunkDelay, now: h.cfg.Now(), closed: h.done}
	if turn.ChunkDelay > 0 {
		a.delay = turn.ChunkDelay
	}
	if scripted {
		a.reply = turn.reply()
	} else {
		a.reply = respondAt(req, a.now)
	}
	if req.Stream {
		api.stream(w, r, a)
	} else {
		api.complete(w, r, a)
	}
}

// record stores req and, when it is valid, takes the next scripted turn.
func (h *Handler) record(req Request, valid bool) (Turn, bool, int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.requests = append(h.requests, req)
	h.seq++
	if !valid || len(h.script) == 0 {
		return Turn{}, false, h.seq
	}
	t := h.script[0]
	h.script = h.script[1:]
	return t, true, h.seq
}

func (t Turn) reply() reply {
	rep := reply{Chunks: t.Chunks, ToolCalls: t.ToolCalls, Stop: t.StopReason}
	if rep.Chunks == nil {
		rep.Chunks = chunk(t.Text)
	}
	if rep.Stop == "" {
		rep.Stop = stopFor(rep.ToolCalls)
	}
	return rep
}

func stopFor(calls []ToolCall) string {
	if len(calls) > 0 {
		return "tool_use"
	}
	return "end_turn"
}

// chunk splits text into word-sized pieces, each word with the spaces that
// follow it, so that the pieces join back into text.
func chunk(text string) []string {
	var out []string
	start := 0
	for i := 1; i < len(text); i++ {
		if text[i-1] == ' ' && text[i] != ' ' || text[i-1] == '\n' && text[i] != '\n' {
			out = append(out, text[start:i])
			start = i
		}
	}
	if start < len(text) {
		out = append(out, text[start:])
	}
	return out
}

// pacer spaces the events of a stream and applies a turn's Gate.
type pacer struct {
	ctx    context.Context
	closed <-chan struct{}
	delay  time.Duration
	gate   <-chan struct{}
}

// step is called after each content event was flushed. It reports false when
// the client left, and the stream must stop.
func (p *pacer) step() bool {
	if p.gate != nil {
		g := p.gate
		p.gate = nil
		select {
		case <-g:
		case <-p.closed:
		case <-p.ctx.Done():
			return false
		}
	}
	if p.delay <= 0 {
		return p.ctx.Err() == nil
	}
	t := time.NewTimer(p.delay)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-p.closed:
		return p.ctx.Err() == nil
	case <-p.ctx.Done():
		return false
	}
}

// hold blocks until the client leaves or the handler is closed.
func (p *pacer) hold() {
	select {
	case <-p.ctx.Done():
	case <-p.closed:
	}
}

func (a answer) pacer(r *http.Request) *pacer {
	return &pacer{ctx: r.Context(), closed: a.closed, delay: a.delay, gate: a.turn.Gate}
}

// sse writes server-sent events.
type sse struct {
	w  http.ResponseWriter
	rc *http.ResponseController
}

func newSSE(w http.ResponseWriter) *sse {
	w.Header().Set("Content-Type", "text/event-stream; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	return &sse{w: w, rc: http.NewResponseController(w)}
}

// send writes one event (named when event is not empty) and flushes it.
func (s *sse) send(event string, data any) {
	var b []byte
	switch d := data.(type) {
	case string:
		b = []byte(d)
	default:
		b, _ = json.Marshal(d)
	}
	if event != "" {
		fmt.Fprintf(s.w, "event: %s\n", event)
	}
	fmt.Fprintf(s.w, "data: %s\n\n", b)
	_ = s.rc.Flush()
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// retryAfterSeconds renders d as Retry-After: whole seconds, rounded up.
func retryAfterSeconds(d time.Duration) string {
	s := (d + time.Second - 1) / time.Second
	return fmt.Sprint(int64(s))
}

func bearer(r *http.Request) string {
	v := r.Header.Get("Authorization")
	if len(v) > 7 && strings.EqualFold(v[:7], "bearer ") {
		return strings.TrimSpace(v[7:])
	}
	return ""
}

func isAnthropic(r *http.Request) bool {
	return r.Header.Get("x-api-key") != "" || r.Header.Get("anthropic-version") != ""
}

// models answers GET /v1/models in the shape of the API the client speaks.
func (h *Handler) models(w http.ResponseWriter, r *http.Request) {
	now := h.cfg.Now().UTC()
	if isAnthropic(r) {
		an := anthropicAPI{h}
		if e := an.authorized(r); e != nil {
			an.writeError(w, *e)
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{
			"data": []map[string]any{{
				"type": "model", "id": Name, "display_name": "Sandbox model",
				"created_at": now.Format(time.RFC3339),
			}},
			"has_more": false, "first_id": Name, "last_id": Name,
		})
		return
	}
	oa := openaiAPI{h}
	if e := oa.authorized(r); e != nil {
		oa.writeError(w, *e)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"object": "list",
		"data":   []map[string]any{{"id": Name, "object": "model", "created": now.Unix(), "owned_by": "jarvis"}},
	})
}

// estimateTokens is a deterministic stand-in for a tokenizer: about four
// characters a token.
func estimateTokens(n int) int { return n/4 + 1 }

func (r Request) inputChars() int {
	n := len(r.System)
	for _, m := range r.Messages {
		n += len(m.Text)
		for _, c := range m.ToolCalls {
			n += len(c.Name) + len(c.Arguments)
		}
		for _, t := range m.ToolResults {
			n += len(t.Content)
		}
	}
	for _, t := range r.Tools {
		n += len(t.Name) + len(t.Description) + len(t.Parameters)
	}
	return n
}

func (a answer) outputChars() int {
	n := 0
	for _, c := range a.reply.Chunks {
		n += len(c)
	}
	for _, c := range a.reply.ToolCalls {
		n += len(c.Name) + len(c.Arguments)
	}
	return n
}

// callID returns call i's id, generated with prefix when the script gave none.
func (a answer) callID(prefix string, i int) string {
	if id := a.reply.ToolCalls[i].ID; id != "" {
		return id
	}
	return fmt.Sprintf("%s%d_%d", prefix, a.seq, i)
}

func (c ToolCall) args() string {
	if strings.TrimSpace(c.Arguments) == "" {
		return "{}"
	}
	return c.Arguments
}

// fragments splits s into pieces of at most n runes, as vendors stream
// tool-call arguments.
func fragments(s string, n int) []string {
	var out []string
	rs := []rune(s)
	for len(rs) > n {
		out = append(out, string(rs[:n]))
		rs = rs[n:]
	}
	return append(out, string(rs))
}
