package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/jarvis-hq/jarvis/internal/config"
	"github.com/jarvis-hq/jarvis/internal/llm"
	"github.com/jarvis-hq/jarvis/internal/llm/anthropic"
	"github.com/jarvis-hq/jarvis/internal/llm/openai"
	"github.com/jarvis-hq/jarvis/internal/sandbox/model"
)

// Default models when JARVIS_LLM_MODEL is not set.
const (
	defaultOpenAIModel    = "gpt-4.1-mini"
	defaultAnthropicModel = "claude-sonnet-4-5"
)

// newModel returns the configured chat model: openai, anthropic, or the
// sandbox model (spoken to as OpenAI, at OPENAI_BASE_URL or the sandbox's
// /v1). With no provider named it is OpenAI when its key is set, else
// Anthropic when its key is set, else none (nil, nil). It fails on an
// unknown provider or settings the provider refuses.
func newModel(cfg *config.Config) (llm.Provider, error) {
	name := cfg.LLMProvider
	if name == "" {
		switch {
		case cfg.OpenAIAPIKey != "":
			name = "openai"
		case cfg.AnthropicAPIKey != "":
			name = "anthropic"
		default:
			return nil, nil
		}
	}
	pick := func(def string) string {
		if cfg.LLMModel != "" {
			return cfg.LLMModel
		}
		return def
	}
	var p llm.Provider
	var err error
	switch name {
	case "openai":
		p, err = openai.New(llm.Config{APIKey: cfg.OpenAIAPIKey, BaseURL: cfg.OpenAIBaseURL, Model: pick(defaultOpenAIModel)})
	case "anthropic":
		p, err = anthropic.New(llm.Config{APIKey: cfg.AnthropicAPIKey, BaseURL: cfg.AnthropicBaseURL, Model: pick(defaultAnthropicModel)})
	case "sandbox":
		base := cfg.OpenAIBaseURL
		if base == "" {
			base = strings.TrimRight(cfg.GoogleBaseURL, "/") + "/v1"
		}
		p, err = openai.New(llm.Config{APIKey: "sandbox", BaseURL: base, Model: pick(model.Name)})
	default:
		return nil, fmt.Errorf("JARVIS_LLM_PROVIDER must be openai or anthropic, not %q", name)
	}
	if err != nil {
		return nil, fmt.Errorf("chat model: %w", err)
	}
	return p, nil
}

const chatUsage = `Usage: jarvis chat [--url URL] [--token TOKEN] [--conversation ID]

Talks to a running Jarvis. Type a message and press Enter; the answer streams
as it is written. Drafts the assistant proposes are shown in full and made
only if you approve them. Ctrl-D quits.

`

// runChat is `jarvis chat`: a terminal client of POST /chat.
func runChat(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, lookup env) error {
	flags := newFlagSet("chat")
	base := flags.String("url", "", "Jarvis's URL (JARVIS_URL; default http://127.0.0.1:8080)")
	token := flags.String("token", "", "access token, from: jarvis token --email EMAIL (JARVIS_TOKEN)")
	conversation := flags.String("conversation", "", "continue this conversation")
	if err := parseFlags(flags, args, strings.TrimRight(chatUsage, "\n"), stdout); err != nil {
		return err
	}
	// The environment fills what the flags leave out; a token never shows as a default in help.
	for _, f := range []struct {
		v        *string
		env, def string
	}{{base, "JARVIS_URL", "http://127.0.0.1:8080"}, {token, "JARVIS_TOKEN", ""}} {
		if *f.v == "" {
			if v, ok := lookup(f.env); ok && v != "" {
				*f.v = v
			} else {
				*f.v = f.def
			}
		}
	}
	if *token == "" {
		return errors.New("chat: an access token is required: --token or JARVIS_TOKEN (make one with `jarvis token --email you@example.com`)")
	}
	u, err := url.Parse(*base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("chat: --url must be an absolute http(s) URL")
	}
	c := &chatClient{base: strings.TrimRight(*base, "/"), token: *token, conversation: *conversation, out: stdout, http: &http.Client{
		// No overall timeout: an answer streams for as long as it takes. The
		// headers come once the model has started answering.
		Transport: &http.Transport{Proxy: http.ProxyFromEnvironment, DialContext: (&net.Dialer{Timeout: 10 * time.Second}).DialContext,
			TLSHandshakeTimeout: 10 * time.Second, ResponseHeaderTimeout: 3 * time.Minute},
	}}
	defer c.http.CloseIdleConnections()
	lines, stop := readLines(stdin)
	defer stop()
	c.lines = lines
	fmt.Fprintln(stdout, "Jarvis chat. Type a message and press Enter; Ctrl-D quits.")
	for {
		fmt.Fprint(stdout, "\n> ")
		line, ok := c.readLine(ctx)
		if !ok {
			fmt.Fprintln(stdout)
			return ctx.Err()
		}
		if line = strings.TrimSpace(line); line == "" {
			continue
		}
		approvals, err := c.send(ctx, line)
		var p *chatProblem
		switch {
		case errors.As(err, &p) && p.Status == http.StatusUnauthorized:
			return fmt.Errorf("chat: %s (check --token)", p.Detail)
		case ctx.Err() != nil:
			return ctx.Err()
		case err != nil:
			fmt.Fprintf(stdout, "\n! %v\n", err)
		}
		for _, a := range approvals {
			if !c.decide(ctx, a) {
				fmt.Fprintln(stdout)
				return ctx.Err()
			}
		}
	}
}

// readLines feeds stdin's lines to a channel, closed at EOF. stop ends the
// feeding goroutine once it can.
func readLines(r io.Reader) (<-chan string, func()) {
	ch := make(chan string)
	done := make(chan struct{})
	go func() {
		defer close(ch)
		br := bufio.NewReader(r)
		for {
			line, err := br.ReadString('\n')
			if line != "" {
				select {
				case ch <- strings.TrimRight(line, "\r\n"):
				case <-done:
					return
				}
			}
			if err != nil {
				return
			}
		}
	}()
	return ch, func() { close(done) }
}

// chatClient talks to one Jarvis for one user.
type chatClient struct {
	base, token  string
	conversation string
	out          io.Writer
	http         *http.Client
	lines        <-chan string
	midLine      bool // the cursor is after streamed text
}

// chatProblem is an error answer of the API.
type chatProblem struct {
	Status int    `json:"status"`
	Code   string `json:"code"`
	Detail string `json:"detail"`
}

func (p *chatProblem) Error() string { return fmt.Sprintf("%s (%s)", p.Detail, p.Code) }

func (c *chatClient) readLine(ctx context.Context) (string, bool) {
	select {
	case line, ok := <-c.lines:
		return line, ok
	case <-ctx.Done():
		return "", false
	}
}

// chatApproval is an approval.required event.
type chatApproval struct {
	ApprovalID string   `json:"approval_id"`
	Tool       string   `json:"tool"`
	Kind       string   `json:"kind"`
	Summary    string   `json:"summary"`
	Flags      []string `json:"policy_flags"`
	Proposal   struct {
		To              []string `json:"to"`
		Cc              []string `json:"cc"`
		Bcc             []string `json:"bcc"`
		Subject         string   `json:"subject"`
		BodyText        string   `json:"body_text"`
		ReplyToThreadID string   `json:"reply_to_thread_id"`
	} `json:"proposal"`
	// Account is the Google account the draft would be made in.
	Account *struct {
		Email string `json:"email"`
	} `json:"account"`
}

func (c *chatClient) request(ctx context.Context, method, path string, body any) (*http.Response, error) {
	b, err := json.Marshal(body)
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "text/event-stream, application/problem+json")
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode >= 300 {
		defer resp.Body.Close()
		p := &chatProblem{Status: resp.StatusCode, Code: "http_" + fmt.Sprint(resp.StatusCode), Detail: resp.Status}
		_ = json.NewDecoder(io.LimitReader(resp.Body, 64<<10)).Decode(p)
		p.Status = resp.StatusCode
		return nil, p
	}
	return resp, nil
}

// send posts one message and prints the answer as it streams. It returns
// the proposals awaiting a decision.
func (c *chatClient) send(ctx context.Context, message string) ([]chatApproval, error) {
	resp, err := c.request(ctx, "POST", "/chat", map[string]string{"message": message, "conversation_id": c.conversation})
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var approvals []chatApproval
	err = readSSE(resp.Body, func(event string, data []byte) error {
		switch event {
		case "conversation":
			var d struct {
				ConversationID string `json:"conversation_id"`
			}
			if json.Unmarshal(data, &d) == nil && d.ConversationID != "" {
				c.conversation = d.ConversationID
			}
		case "message.delta":
			var d struct {
				Text string `json:"text"`
			}
			if json.Unmarshal(data, &d) == nil {
				text := terminalSafe(d.Text)
				fmt.Fprint(c.out, text)
				c.midLine = !strings.HasSuffix(text, "\n") && (c.midLine || text != "")
			}
		case "tool.call":
			var d struct {
				Name      string          `json:"name"`
				Arguments json.RawMessage `json:"arguments"`
			}
			if json.Unmarshal(data, &d) == nil {
				c.line(fmt.Sprintf("  · %s %s", terminalSafe(d.Name), clipLine(terminalSafe(string(d.Arguments)), 100)))
			}
		case "tool.result":
			var d struct {
				Name    string `json:"name"`
				OK      bool   `json:"ok"`
				Summary string `json:"summary"`
			}
			if json.Unmarshal(data, &d) == nil {
				mark := "✓"
				if !d.OK {
					mark = "✗"
				}
				c.line(fmt.Sprintf("    %s %s", mark, terminalSafe(d.Summary)))
			}
		case "approval.required":
			var a chatApproval
			if json.Unmarshal(data, &a) == nil && a.ApprovalID != "" {
				approvals = append(approvals, a)
				c.line("  · proposal awaiting your approval (shown below)")
			}
		case "message.done":
			if c.midLine {
				fmt.Fprintln(c.out)
				c.midLine = false
			}
		case "error":
			var p chatProblem
			_ = json.Unmarshal(data, &p)
			c.line(fmt.Sprintf("! %s (%s)", terminalSafe(p.Detail), terminalSafe(p.Code)))
		}
		return nil
	})
	if c.midLine {
		fmt.Fprintln(c.out)
		c.midLine = false
	}
	return approvals, err
}

// line prints a line of its own, after any streamed text.
func (c *chatClient) line(s string) {
	if c.midLine {
		fmt.Fprintln(c.out)
		c.midLine = false
	}
	fmt.Fprintln(c.out, s)
}

// decide shows a proposal in full, asks for a decision and sends it. It
// reports false when input ended (the proposal then stays pending).
func (c *chatClient) decide(ctx context.Context, a chatApproval) bool {
	p := a.Proposal
	if a.Kind != "" && a.Kind != "gmail.draft.create" {
		fmt.Fprintf(c.out, "\nJarvis asks to: %s (%s). Nothing changes unless you approve.\n", terminalSafe(a.Summary), terminalSafe(a.Kind))
		if a.Account != nil {
			fmt.Fprintf(c.out, "  Account: %s\n", terminalSafe(a.Account.Email))
		}
		if len(a.Flags) > 0 {
			fmt.Fprintf(c.out, "  Policy:  %s\n", terminalSafe(strings.Join(a.Flags, ", ")))
		}
		fmt.Fprint(c.out, "Approve? [y/N] ")
		return c.sendDecision(ctx, a)
	}
	fmt.Fprintf(c.out, "\nJarvis proposes a draft (%s). Nothing is created unless you approve.\n", terminalSafe(a.Tool))
	if len(a.Flags) > 0 {
		fmt.Fprintf(c.out, "  Policy:  %s\n", terminalSafe(strings.Join(a.Flags, ", ")))
	}
	fmt.Fprintf(c.out, "  To:      %s\n  Cc:      %s\n  Bcc:     %s\n  Subject: %s\n",
		terminalSafe(strings.Join(p.To, ", ")), terminalSafe(strings.Join(p.Cc, ", ")), terminalSafe(strings.Join(p.Bcc, ", ")), terminalSafe(p.Subject))
	if a.Account != nil {
		fmt.Fprintf(c.out, "  Account: %s\n", terminalSafe(a.Account.Email))
	}
	if p.ReplyToThreadID != "" {
		fmt.Fprintf(c.out, "  Reply to thread: %s\n", terminalSafe(p.ReplyToThreadID))
	}
	fmt.Fprintf(c.out, "  ----\n%s\n  ----\nApprove? [y/N] ", indent(terminalSafe(p.BodyText), "  "))
	return c.sendDecision(ctx, a)
}

// sendDecision reads the answer to a proposal and sends the decision. It
// reports false when input ended.
func (c *chatClient) sendDecision(ctx context.Context, a chatApproval) bool {
	answer, ok := c.readLine(ctx)
	if !ok {
		return false
	}
	decision := "reject"
	if a := strings.ToLower(strings.TrimSpace(answer)); a == "y" || a == "yes" {
		decision = "approve"
	}
	resp, err := c.request(ctx, "POST", "/chat/approvals/"+url.PathEscape(a.ApprovalID), map[string]string{"decision": decision})
	if err != nil {
		fmt.Fprintf(c.out, "! %v\n", err)
		return ctx.Err() == nil
	}
	defer resp.Body.Close()
	var out struct {
		Status string `json:"status"`
		Result *struct {
			DraftID string `json:"draft_id"`
		} `json:"result"`
	}
	_ = json.NewDecoder(io.LimitReader(resp.Body, 64<<10)).Decode(&out)
	if out.Result != nil {
		fmt.Fprintf(c.out, "Draft created (id %s). It is in your Gmail drafts, not sent.\n", terminalSafe(out.Result.DraftID))
	} else {
		fmt.Fprintf(c.out, "Proposal %s.\n", terminalSafe(out.Status))
	}
	return true
}

// readSSE calls fn for each event of a server-sent event stream.
func readSSE(r io.Reader, fn func(event string, data []byte) error) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	var event string
	var data bytes.Buffer
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "":
			if data.Len() > 0 || event != "" {
				if err := fn(event, bytes.TrimSuffix(data.Bytes(), []byte("\n"))); err != nil {
					return err
				}
			}
			event = ""
			data.Reset()
		case strings.HasPrefix(line, ":"):
		case strings.HasPrefix(line, "event:"):
			event = strings.TrimSpace(strings.TrimPrefix(line, "event:"))
		case strings.HasPrefix(line, "data:"):
			data.WriteString(strings.TrimPrefix(strings.TrimPrefix(line, "data:"), " "))
			data.WriteByte('\n')
		}
	}
	return sc.Err()
}

// terminalSafe drops control characters (escape sequences above all) from
// text that others wrote, keeping newlines and tabs.
func terminalSafe(s string) string {
	return strings.Map(func(r rune) rune {
		if (r < 0x20 && r != '\n' && r != '\t') || (r >= 0x7f && r < 0xa0) {
			return -1
		}
		return r
	}, s)
}

func clipLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}

func indent(s, prefix string) string {
	return prefix + strings.ReplaceAll(s, "\n", "\n"+prefix)
}
