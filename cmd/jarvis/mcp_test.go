package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/jarvis-hq/jarvis"
	"github.com/jarvis-hq/jarvis/internal/config"
)

type createdToken struct {
	ID       string   `json:"id"`
	Token    string   `json:"token"`
	Hint     string   `json:"hint"`
	Scopes   []string `json:"scopes"`
	Accounts []string `json:"accounts"`
}

// mcpClient connects the Go SDK's client to the test Jarvis with token, at
// version ("" for the latest), answering elicitations by counting them
// (nil: a client that cannot be asked).
func mcpClient(t *testing.T, e *testEnv, token, version string, elicited *atomic.Int32) *mcp.ClientSession {
	t.Helper()
	var opts mcp.ClientOptions
	if elicited != nil {
		opts.ElicitationHandler = func(_ context.Context, req *mcp.ElicitRequest) (*mcp.ElicitResult, error) {
			if !strings.Contains(req.Params.Message, "/approvals") {
				t.Errorf("elicitation %q names no dashboard URL", req.Params.Message)
			}
			elicited.Add(1)
			return &mcp.ElicitResult{Action: "accept", Content: map[string]any{}}, nil
		}
	}
	c := mcp.NewClient(&mcp.Implementation{Name: "test-client", Version: "1"}, &opts)
	cs, err := c.Connect(context.Background(), &mcp.StreamableClientTransport{Endpoint: e.URL + "/mcp",
		HTTPClient: &http.Client{Transport: bearerTransport(token)}}, &mcp.ClientSessionOptions{ProtocolVersion: version})
	if err != nil {
		t.Fatalf("connect (%q): %v", version, err)
	}
	t.Cleanup(func() { cs.Close() })
	return cs
}

func callTool(t *testing.T, cs *mcp.ClientSession, name string, args map[string]any, v any) *mcp.CallToolResult {
	t.Helper()
	res, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: name, Arguments: args})
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if v != nil && res.IsError {
		t.Fatalf("%s failed: %s", name, toolText(res))
	}
	if v != nil {
		b, _ := json.Marshal(res.StructuredContent)
		if err := json.Unmarshal(b, v); err != nil {
			t.Fatalf("%s result %s: %v", name, b, err)
		}
	}
	return res
}

func toolText(res *mcp.CallToolResult) string {
	var sb strings.Builder
	for _, c := range res.Content {
		if tc, ok := c.(*mcp.TextContent); ok {
			sb.WriteString(tc.Text)
		}
	}
	return sb.String()
}

type mcpAction struct {
	ActionID string         `json:"action_id"`
	Status   string         `json:"status"`
	Flags    []string       `json:"flags"`
	Result   map[string]any `json:"result"`
}

// TestMCPServer: an MCP client with a personal token reads mail through
// /mcp on both protocol versions; what it asks to change waits in the
// approval queue until the owner approves it in the API; sessions, threads
// and accounts of other users are refused, as are tools outside the
// token's scopes; a mail telling the model to write to an outsider yields
// only a flagged pending action; jarvis mcp --stdio proxies it all.
func TestMCPServer(t *testing.T) {
	t.Parallel()
	e := startEnv(t, envOptions{})
	ada, grace := e.signIn("ada@example.com"), e.signIn("grace@example.com")

	// Personal tokens: validated, shown once, listed without the secret.
	e.problem("POST", "/settings/tokens", ada, map[string]any{"name": "", "scopes": []string{"mail.read"}}, 400, "invalid_request")
	p := e.problem("POST", "/settings/tokens", ada, map[string]any{"name": "x", "scopes": []string{"mail.everything"}}, 400, "invalid_request")
	if p["field"] != "scopes" {
		t.Fatalf("bad scope problem %v", p)
	}
	e.problem("POST", "/settings/tokens", ada, map[string]any{"name": "x", "scopes": []string{"mail.read"}, "expires_in_days": 400}, 400, "invalid_request")
	e.problem("POST", "/settings/tokens", ada, map[string]any{"name": "x", "scopes": []string{"mail.read"}, "accounts": []string{"grace@example.com"}}, 400, "invalid_request")
	var tok createdToken
	e.json("POST", "/settings/tokens", ada, map[string]any{"name": "Desktop", "scopes": []string{"mail.read", "mail.compose", "mail.send", "calendar.read"}, "expires_in_days": 30}, 201, &tok)
	if !strings.HasPrefix(tok.Token, jarvis.PersonalTokenPrefix) || !strings.HasPrefix(tok.Token, tok.Hint) || len(tok.Accounts) != 1 ||
		!slices.Equal(tok.Scopes, []string{"mail.read", "mail.compose", "mail.send", "calendar.read"}) {
		t.Fatalf("created %+v", tok)
	}
	resp, body := e.do("GET", "/settings/tokens", ada, nil)
	if resp.StatusCode != 200 || strings.Contains(string(body), tok.Token) || !strings.Contains(string(body), tok.ID) {
		t.Fatalf("list %d %s", resp.StatusCode, body)
	}
	e.problem("DELETE", "/settings/tokens/"+tok.ID, grace, nil, 404, "not_found")
	var graceTok createdToken
	e.json("POST", "/settings/tokens", grace, map[string]any{"name": "Grace", "scopes": []string{"mail.read"}}, 201, &graceTok)

	// No token, a session JWT, a bad Origin: refused before MCP.
	for _, bearer := range []string{"", ada, "jarvis_pat_nope"} {
		req, _ := http.NewRequest("POST", e.URL+"/mcp", strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"tools/list"}`))
		if bearer != "" {
			req.Header.Set("Authorization", "Bearer "+bearer)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 401 || resp.Header.Get("WWW-Authenticate") != `Bearer resource_metadata="`+e.Main.Config.PublicURL+`/.well-known/oauth-protected-resource/mcp"` {
			t.Fatalf("bearer %.10q: %d %q", bearer, resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
		}
	}
	req, _ := http.NewRequest("POST", e.URL+"/mcp", strings.NewReader(`{}`))
	req.Header.Set("Authorization", "Bearer "+tok.Token)
	req.Header.Set("Origin", "https://evil.example")
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 403 {
		t.Fatalf("foreign origin: %v %v", resp, err)
	}

	var elicited atomic.Int32
	cs := mcpClient(t, e, tok.Token, "", &elicited)
	if v := cs.InitializeResult().ProtocolVersion; v != "2026-07-28" {
		t.Fatalf("negotiated %q", v)
	}
	// The tool set is static: the server does not offer list-changed notices.
	if c := cs.InitializeResult().Capabilities; c == nil || c.Tools == nil || c.Tools.ListChanged || c.Logging != nil {
		t.Fatalf("capabilities %+v", c)
	}
	tools, err := cs.ListTools(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]*mcp.Tool{}
	for _, tl := range tools.Tools {
		byName[tl.Name] = tl
	}
	for _, name := range []string{"search_threads", "get_thread", "list_labels", "upcoming_events", "free_busy", "suggest_meeting_times", "create_draft", "update_draft",
		"send_message", "reply", "reply_all", "forward_message", "send_draft", "cancel_scheduled_send", "modify_thread_labels", "archive_thread",
		"trash_thread", "untrash_thread", "create_event", "update_event", "cancel_event", "rsvp_event", "get_action"} {
		tl := byName[name]
		if tl == nil || tl.InputSchema == nil || tl.OutputSchema == nil || tl.Annotations == nil {
			t.Fatalf("tool %s: %+v", name, tl)
		}
	}
	if a := byName["get_thread"].Annotations; !a.ReadOnlyHint || a.DestructiveHint == nil || *a.DestructiveHint {
		t.Fatalf("get_thread annotations %+v", a)
	}
	if a := byName["send_message"].Annotations; a.ReadOnlyHint || a.DestructiveHint == nil || !*a.DestructiveHint {
		t.Fatalf("send_message annotations %+v", a)
	}

	// Reads run at once, marked untrusted.
	var threads struct {
		Threads []struct{ ID, Subject string }
	}
	callTool(t, cs, "search_threads", map[string]any{"query": "subject:(Dinner Friday)"}, &threads)
	if len(threads.Threads) == 0 {
		t.Fatalf("search found nothing")
	}
	dinner := threads.Threads[0].ID
	var thread struct {
		ID        string `json:"id"`
		Untrusted bool   `json:"untrusted"`
		Account   struct{ ID, Email string }
		Messages  []struct {
			From struct{ Email string }
			Text string
		}
	}
	callTool(t, cs, "get_thread", map[string]any{"thread_id": dinner}, &thread)
	if thread.ID != dinner || !thread.Untrusted || len(thread.Messages) == 0 || thread.Messages[0].From.Email == "" || thread.Account.Email != "ada@example.com" {
		t.Fatalf("thread %+v", thread)
	}

	// A draft reply waits for approval: the client is asked (input_required),
	// nothing is drafted until the owner approves it in the API.
	drafts := e.Sandbox.Google.Stats()["gmail.drafts.create"]
	var pending mcpAction
	callTool(t, cs, "create_draft", map[string]any{"reply_to_thread_id": dinner, "body_text": "Friday works."}, &pending)
	if pending.Status != jarvis.ActionPending || pending.ActionID == "" || elicited.Load() != 1 {
		t.Fatalf("create_draft answered %+v (elicited %d)", pending, elicited.Load())
	}
	if n := e.Sandbox.Google.Stats()["gmail.drafts.create"]; n != drafts {
		t.Fatalf("drafted before approval")
	}
	var queued jarvis.Action
	e.json("GET", "/actions/"+pending.ActionID, ada, nil, 200, &queued)
	if queued.Requester.Type != jarvis.RequesterClient || queued.Requester.ID != "pat:"+tok.ID || queued.Requester.Tool != "create_draft" {
		t.Fatalf("queued %+v", queued)
	}
	// The owner approves the subject the reply gets, as drafting gives it.
	var shown struct{ Subject string }
	if err := json.Unmarshal(queued.Payload, &shown); err != nil || !strings.HasPrefix(shown.Subject, "Re: ") || !strings.Contains(queued.Summary, shown.Subject) {
		t.Fatalf("queued payload %s, summary %q", queued.Payload, queued.Summary)
	}
	e.json("POST", "/actions/"+pending.ActionID+"/approve", ada, nil, 200, &queued)
	var done mcpAction
	callTool(t, cs, "get_action", map[string]any{"action_id": pending.ActionID}, &done)
	if done.Status != jarvis.ActionExecuted || done.Result["thread_id"] != dinner {
		t.Fatalf("after approval %+v", done)
	}
	var made jarvis.Draft
	e.json("GET", "/gmail/drafts/"+done.Result["draft_id"].(string), ada, nil, 200, &made)
	if made.ThreadID != dinner || made.Message == nil || made.Message.Subject != shown.Subject {
		t.Fatalf("the draft made %+v, approved subject %q", made, shown.Subject)
	}

	// Rewriting the draft asks too, and runs on approval.
	draftID, _ := done.Result["draft_id"].(string)
	callTool(t, cs, "update_draft", map[string]any{"draft_id": draftID, "reply_to_thread_id": dinner, "body_text": "Friday works, 8pm?"}, &pending)
	if pending.Status != jarvis.ActionPending {
		t.Fatalf("update_draft answered %+v", pending)
	}
	e.json("POST", "/actions/"+pending.ActionID+"/approve", ada, nil, 200, &queued)
	var draft jarvis.Draft
	e.json("GET", "/gmail/drafts/"+draftID, ada, nil, 200, &draft)
	if queued.Status != jarvis.ActionExecuted || draft.ThreadID != dinner || draft.Message == nil || !strings.Contains(draft.Message.Text, "8pm") {
		t.Fatalf("after rewriting: %+v, draft %+v", queued, draft)
	}

	// 2025-11-25: a session, bound to ada; the client is asked with
	// elicitation/create.
	cs2 := mcpClient(t, e, tok.Token, "2025-11-25", &elicited)
	if v := cs2.InitializeResult().ProtocolVersion; v != "2025-11-25" || cs2.ID() == "" {
		t.Fatalf("legacy session %q %q", v, cs2.ID())
	}
	callTool(t, cs2, "create_draft", map[string]any{"reply_to_thread_id": dinner, "body_text": "Or Saturday."}, &pending)
	if pending.Status != jarvis.ActionPending || elicited.Load() != 3 {
		t.Fatalf("legacy create_draft %+v (elicited %d)", pending, elicited.Load())
	}
	req, _ = http.NewRequest("POST", e.URL+"/mcp", strings.NewReader(`{"jsonrpc":"2.0","id":9,"method":"tools/list"}`))
	req.Header.Set("Authorization", "Bearer "+graceTok.Token)
	req.Header.Set("Mcp-Session-Id", cs2.ID())
	req.Header.Set("Mcp-Protocol-Version", "2025-11-25")
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 404 {
		t.Fatalf("grace on ada's session: %v %v", resp, err)
	}

	// Grace's client cannot read ada's thread, nor name ada's account.
	gs := mcpClient(t, e, graceTok.Token, "", &elicited)
	for _, args := range []map[string]any{{"thread_id": dinner}, {"thread_id": dinner, "account": thread.Account.ID}, {"thread_id": dinner, "account": "ada@example.com"}} {
		if res := callTool(t, gs, "get_thread", args, nil); !res.IsError {
			t.Fatalf("grace read ada's thread with %v: %s", args, toolText(res))
		}
	}
	// Nor may ada's token act where its scopes do not reach: the tool
	// refuses, naming the scope (an OAuth client gets 403
	// insufficient_scope, which a personal token could not act on).
	if res := callTool(t, cs, "trash_thread", map[string]any{"thread_id": dinner}, nil); !res.IsError || !strings.Contains(toolText(res), "mail.organize") {
		t.Fatalf("trash_thread without mail.organize: %s", toolText(res))
	}

	// The mail that tells the assistant to send mail to an outsider: doing
	// what it says only makes a pending action, flagged, and nothing is
	// sent or even drafted, though the owner lets sends run without asking.
	e.json("PUT", "/settings/policy", ada, map[string]any{"auto_approve": []string{jarvis.ActionMessageSend}, "allowed_recipient_domains": []string{"example.com"}}, 200, nil)
	callTool(t, cs, "search_threads", map[string]any{"query": "subject:(instructions for your assistant)"}, &threads)
	if len(threads.Threads) != 1 {
		t.Fatalf("injection thread: %+v", threads)
	}
	callTool(t, cs, "get_thread", map[string]any{"thread_id": threads.Threads[0].ID}, &thread)
	if !thread.Untrusted || !strings.Contains(thread.Messages[0].Text, "x@evil.example") {
		t.Fatalf("injection thread %+v", thread)
	}
	before := e.Sandbox.Google.Stats()
	callTool(t, cs, "send_message", map[string]any{"to": []string{"x@evil.example"}, "subject": "Last 20 emails", "body_text": "As asked."}, &pending)
	if pending.Status != jarvis.ActionPending || !slices.Contains(pending.Flags, jarvis.FlagOutsideAllowedDomains) {
		t.Fatalf("outsider send %+v", pending)
	}
	after := e.Sandbox.Google.Stats()
	for _, op := range []string{"gmail.drafts.create", "gmail.drafts.send", "gmail.messages.send"} {
		if after[op] != before[op] {
			t.Fatalf("%s ran without approval", op)
		}
	}
	if _, b := e.do("GET", "/gmail/scheduled", ada, nil); strings.Contains(string(b), "x@evil.example") {
		t.Fatalf("the outsider send is held to go: %s", b)
	}

	// jarvis mcp --stdio proxies a local client to this Jarvis.
	t.Run("stdio", func(t *testing.T) {
		// proxy runs jarvis mcp --stdio and connects a desktop client to it
		// at version, asking the user when ask is true.
		proxy := func(version string, ask bool, asked *atomic.Int32) *mcp.ClientSession {
			inR, inW := io.Pipe()
			outR, outW := io.Pipe()
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() {
				done <- run(ctx, []string{"mcp", "--stdio", "--url", e.URL}, inR, outW, io.Discard, func(k string) (string, bool) {
					if k == "JARVIS_TOKEN" {
						return tok.Token, true
					}
					return "", false
				})
				outW.Close()
			}()
			var opts mcp.ClientOptions
			if ask {
				opts.ElicitationHandler = func(context.Context, *mcp.ElicitRequest) (*mcp.ElicitResult, error) {
					asked.Add(1)
					return &mcp.ElicitResult{Action: "accept", Content: map[string]any{}}, nil
				}
			}
			local, err := mcp.NewClient(&mcp.Implementation{Name: "desktop", Version: "1"}, &opts).Connect(context.Background(),
				&mcp.IOTransport{Reader: outR, Writer: inW}, &mcp.ClientSessionOptions{ProtocolVersion: version})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() {
				local.Close()
				cancel()
				<-done
			})
			return local
		}
		var asked atomic.Int32
		local := proxy("", true, &asked)
		tools, err := local.ListTools(context.Background(), nil)
		if err != nil || len(tools.Tools) != len(byName) {
			t.Fatalf("stdio tools: %d, %v", len(tools.Tools), err)
		}
		var got struct {
			Threads []struct{ ID string }
		}
		callTool(t, local, "search_threads", map[string]any{"query": "subject:(Dinner Friday)"}, &got)
		if len(got.Threads) == 0 || got.Threads[0].ID != dinner {
			t.Fatalf("stdio search %+v", got)
		}
		// The approval question reaches the desktop app through the proxy,
		// as input_required on 2026-07-28 and as elicitation/create on
		// 2025-11-25; an app that cannot be asked gets the pending action.
		var asking mcpAction
		callTool(t, local, "create_draft", map[string]any{"reply_to_thread_id": dinner, "body_text": "From the desktop."}, &asking)
		if asking.Status != jarvis.ActionPending || asked.Load() != 1 {
			t.Fatalf("stdio create_draft %+v (asked %d)", asking, asked.Load())
		}
		callTool(t, proxy("2025-11-25", true, &asked), "create_draft", map[string]any{"reply_to_thread_id": dinner, "body_text": "Again."}, &asking)
		if asking.Status != jarvis.ActionPending || asked.Load() != 2 {
			t.Fatalf("stdio create_draft on 2025-11-25 %+v (asked %d)", asking, asked.Load())
		}
		callTool(t, proxy("2025-11-25", false, nil), "create_draft", map[string]any{"reply_to_thread_id": dinner, "body_text": "Unasked."}, &asking)
		if asking.Status != jarvis.ActionPending || asked.Load() != 2 {
			t.Fatalf("stdio create_draft, nobody to ask: %+v", asking)
		}
	})

	// Every tool that asks makes a payload its executor takes: each is a
	// pending action (the policy no longer auto-approves anything).
	e.json("PUT", "/settings/policy", ada, map[string]any{}, 200, nil)
	var writer createdToken
	e.json("POST", "/settings/tokens", ada, map[string]any{"name": "Writer", "scopes": []string{"mail.read", "mail.send", "mail.organize", "calendar.read", "calendar.write"}}, 201, &writer)
	ws := mcpClient(t, e, writer.Token, "", nil)
	var events struct {
		Events []struct{ ID string }
	}
	callTool(t, ws, "upcoming_events", map[string]any{"days": 30}, &events)
	if len(events.Events) == 0 {
		t.Fatal("no upcoming events")
	}
	var msgs struct {
		Messages []struct{ ID string }
	}
	callTool(t, ws, "get_thread", map[string]any{"thread_id": dinner}, &msgs)
	event := events.Events[0].ID
	for _, c := range []struct {
		tool string
		args map[string]any
	}{
		{"send_message", map[string]any{"to": []string{"grace@example.com"}, "subject": "Hi", "body_text": "Hello."}},
		{"reply", map[string]any{"thread_id": dinner, "body_text": "Yes."}},
		{"reply_all", map[string]any{"thread_id": dinner, "body_text": "Yes, all."}},
		{"forward_message", map[string]any{"message_id": msgs.Messages[0].ID, "to": []string{"grace@example.com"}}},
		{"send_draft", map[string]any{"draft_id": draftID}},
		{"modify_thread_labels", map[string]any{"thread_id": dinner, "add_labels": []string{"STARRED"}}},
		{"archive_thread", map[string]any{"thread_id": dinner}},
		{"trash_thread", map[string]any{"thread_id": dinner}},
		{"untrash_thread", map[string]any{"thread_id": dinner}},
		{"create_event", map[string]any{"summary": "Review", "start": "2027-01-05T10:00", "end": "2027-01-05T11:00", "time_zone": "Europe/London"}},
		{"update_event", map[string]any{"event_id": event, "summary": "Renamed"}},
		{"cancel_event", map[string]any{"event_id": event}},
		{"rsvp_event", map[string]any{"event_id": event, "response": "tentative"}},
	} {
		var a mcpAction
		callTool(t, ws, c.tool, c.args, &a)
		if a.Status != jarvis.ActionPending || a.ActionID == "" {
			t.Fatalf("%s: %+v", c.tool, a)
		}
	}
	if res := callTool(t, ws, "cancel_scheduled_send", map[string]any{"scheduled_id": "nope"}, nil); !res.IsError || !strings.Contains(toolText(res), "scheduled_id") {
		t.Fatalf("cancelling no send: %s", toolText(res))
	}

	// Revoked: refused at once. Every tool call was audited without its
	// arguments or the token.
	e.json("DELETE", "/settings/tokens/"+tok.ID, ada, nil, 204, nil)
	if _, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: "list_labels"}); err == nil {
		t.Fatal("a revoked token still works")
	}
	e.Main.Audit.Flush()
	var calls int
	if err := e.Main.DB.SQL().QueryRow(`SELECT COUNT(*) FROM audit_logs WHERE action = 'mcp.tool.call'`).Scan(&calls); err != nil || calls < 8 {
		t.Fatalf("%d mcp.tool.call rows, %v", calls, err)
	}
	// Each in its user's org, with the request's id, in sessions too.
	if err := e.Main.DB.SQL().QueryRow(`SELECT COUNT(*) FROM audit_logs WHERE action = 'mcp.tool.call' AND (org_id = '' OR org_id IS NULL OR request_id = '' OR request_id IS NULL)`).Scan(&calls); err != nil || calls != 0 {
		t.Fatalf("%d mcp.tool.call rows without org or request id, %v", calls, err)
	}
	var leaked int
	if err := e.Main.DB.SQL().QueryRow(`SELECT COUNT(*) FROM audit_logs WHERE metadata LIKE '%jarvis_pat_%' OR metadata LIKE '%Friday works%'`).Scan(&leaked); err != nil || leaked != 0 {
		t.Fatalf("%d audit rows hold a token or arguments, %v", leaked, err)
	}
}

// The /mcp limits come from the configuration: a smaller body limit is
// 413, one session per user refuses a second with 429, and a client's
// rate of 3 a minute refuses the fourth request with Retry-After.
func TestMCPLimitsFromConfiguration(t *testing.T) {
	t.Parallel()
	e := startEnv(t, envOptions{configure: func(c *config.Config) {
		c.MCPMaxRequestBytes, c.MCPSessionsPerUser, c.MCPClientRequestsPerMinute = 1024, 1, 3
	}})
	ada := e.signIn("ada@example.com")
	var tok createdToken
	e.json("POST", "/settings/tokens", ada, map[string]any{"name": "Desktop", "scopes": []string{"mail.read"}}, 201, &tok)
	initialize := `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"},"pad":"`
	mcpHeaders := []string{"Accept", "application/json, text/event-stream"}
	freshWindow(t)
	if resp, body := e.do("POST", "/mcp", tok.Token, initialize+strings.Repeat("x", 1024)+`"}}`, mcpHeaders...); resp.StatusCode != 413 {
		t.Fatalf("a body past 1024 bytes: %d %s", resp.StatusCode, body)
	}
	if resp, body := e.do("POST", "/mcp", tok.Token, initialize+`"}}`, mcpHeaders...); resp.StatusCode != 200 || resp.Header.Get("Mcp-Session-Id") == "" {
		t.Fatalf("the first session: %d %s", resp.StatusCode, body)
	}
	if resp, body := e.do("POST", "/mcp", tok.Token, initialize+`"}}`, mcpHeaders...); resp.StatusCode != 429 || !strings.Contains(string(body), "At most 1 open MCP session") {
		t.Fatalf("a second session: %d %s", resp.StatusCode, body)
	}
	resp, body := e.do("POST", "/mcp", tok.Token, initialize+`"}}`, mcpHeaders...)
	if resp.StatusCode != 429 || resp.Header.Get("Retry-After") == "" || strings.Contains(string(body), "open MCP session") {
		t.Fatalf("a fourth request in the minute: %d %q %s", resp.StatusCode, resp.Header.Get("Retry-After"), body)
	}
}
