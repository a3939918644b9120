package main

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/api/gmail/v1"
	"google.golang.org/api/option"

	"github.com/jarvis-hq/jarvis/internal/sandbox"
	"github.com/jarvis-hq/jarvis/internal/sqldb"
	"github.com/jarvis-hq/jarvis/internal/sqldb/sqldbtest"
)

type threadPage struct {
	Threads []struct {
		ID           string `json:"id"`
		Subject      string `json:"subject"`
		From         struct{ Name, Email string }
		Date         time.Time `json:"date"`
		Snippet      string    `json:"snippet"`
		MessageCount int       `json:"message_count"`
		Unread       bool      `json:"unread"`
		Labels       []string  `json:"labels"`
	} `json:"threads"`
	NextPageToken string `json:"next_page_token"`
}

type threadBody struct {
	ID       string `json:"id"`
	Subject  string `json:"subject"`
	Messages []struct {
		ID              string `json:"id"`
		From            struct{ Name, Email string }
		To              []struct{ Name, Email string }
		Subject         string `json:"subject"`
		Text            string `json:"text"`
		HTML            string `json:"html"`
		MessageIDHeader string `json:"message_id_header"`
		Labels          []string
		Attachments     []struct {
			ID        string `json:"id"`
			Filename  string `json:"filename"`
			MimeType  string `json:"mime_type"`
			Size      int64  `json:"size"`
			ContentID string `json:"content_id"`
		} `json:"attachments"`
	} `json:"messages"`
}

// findThread returns the id of the first thread matching q.
func (e *testEnv) findThread(tok, q string) string {
	e.t.Helper()
	var p threadPage
	e.json("GET", "/gmail/threads?max_results=5&q="+url.QueryEscape(q), tok, nil, 200, &p)
	if len(p.Threads) == 0 {
		e.t.Fatalf("no thread matches %q", q)
	}
	return p.Threads[0].ID
}

func TestGmailRoutes(t *testing.T) {
	oneDB(t, func(t *testing.T, d sqldb.Dialect) {
		e := startEnv(t, envOptions{dialect: d})
		tok := e.signIn("ada@example.com")

		// Paging walks the whole inbox without repeats.
		seen := map[string]bool{}
		next := ""
		for i := 0; i < 20; i++ {
			var p threadPage
			e.json("GET", "/gmail/threads?label=INBOX&max_results=7"+next, tok, nil, 200, &p)
			for _, th := range p.Threads {
				if seen[th.ID] || th.Subject == "" || th.From.Email == "" || th.Date.IsZero() || th.MessageCount == 0 {
					t.Fatalf("bad or repeated row %+v", th)
				}
				seen[th.ID] = true
			}
			if p.NextPageToken == "" {
				break
			}
			next = "&page_token=" + url.QueryEscape(p.NextPageToken)
		}
		if len(seen) < 20 {
			t.Fatalf("paged through %d threads", len(seen))
		}
		// Snippets are plain text: Gmail's HTML escaping is undone.
		var p threadPage
		e.json("GET", "/gmail/threads?q="+url.QueryEscape("is:unread"), tok, nil, 200, &p)
		for _, th := range p.Threads {
			if !th.Unread || strings.Contains(th.Snippet, "&#39;") || strings.Contains(th.Snippet, "&amp;") {
				t.Fatalf("row %+v", th)
			}
		}
		var labels struct {
			Labels []struct{ ID, Name, Type string }
		}
		e.json("GET", "/gmail/labels", tok, nil, 200, &labels)
		if len(labels.Labels) < 5 {
			t.Fatalf("labels = %+v", labels)
		}

		// A long thread decodes with every message.
		id := e.findThread(tok, "subject:(board review)")
		var th threadBody
		e.json("GET", "/gmail/thread/"+id, tok, nil, 200, &th)
		if len(th.Messages) < 8 || th.Subject == "" || th.Messages[0].Text == "" || th.Messages[0].MessageIDHeader == "" {
			t.Fatalf("thread = %+v", th)
		}

		// Attachments download as attachments, never inline.
		id = e.findThread(tok, "has:attachment filename:pdf")
		e.json("GET", "/gmail/thread/"+id, tok, nil, 200, &th)
		var att struct{ msg, id, name, mime string }
		for _, m := range th.Messages {
			for _, a := range m.Attachments {
				if a.MimeType == "application/pdf" {
					att.msg, att.id, att.name, att.mime = m.ID, a.ID, a.Filename, a.MimeType
				}
			}
		}
		if att.id == "" {
			t.Fatalf("no PDF attachment in %+v", th)
		}
		resp, body := e.do("GET", "/gmail/message/"+att.msg+"/attachment/"+att.id, tok, nil)
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/pdf" || !strings.HasPrefix(string(body), "%PDF") ||
			!strings.HasPrefix(resp.Header.Get("Content-Disposition"), "attachment") || !strings.Contains(resp.Header.Get("Content-Disposition"), att.name) ||
			resp.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Fatalf("attachment: %d %v", resp.StatusCode, resp.Header)
		}
		e.problem("GET", "/gmail/message/"+att.msg+"/attachment/p9_9", tok, nil, 404, "not_found")
		e.problem("GET", "/gmail/thread/ffffffffffffffff", tok, nil, 404, "not_found")
	})
}

func TestMessageHTMLIsSanitised(t *testing.T) {
	oneDB(t, func(t *testing.T, d sqldb.Dialect) {
		e := startEnv(t, envOptions{dialect: d})
		tok := e.signIn("ada@example.com")
		raw := "From: Mallory <m@example.net>\r\nTo: ada@example.com\r\nSubject: Styled news\r\nMessage-ID: <x1@example.net>\r\n" +
			"Date: Wed, 25 Nov 2026 10:00:00 +0000\r\nMIME-Version: 1.0\r\nContent-Type: multipart/related; boundary=b\r\n\r\n" +
			"--b\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p onclick=\"steal()\">Hello <b>Ada</b></p><script>alert(1)</script>" +
			"<img src=\"https://tracker.example/p.gif\"><img src=\"cid:logo@x\"><a href=\"javascript:alert(1)\">x</a><iframe src=\"https://evil.example\"></iframe>" +
			// Cookie-carrying requests to Jarvis and data: links (SECURITY.md line 41).
			"<a href=\"data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==\">d</a><img src=\"/gmail/threads\"><img src=\"//" +
			strings.TrimPrefix(e.URL, "http://") + "/me\"><img src=\"" + e.URL + "/gmail/labels\"><a href=\"" + e.URL + "/settings\">s</a>\r\n" +
			"--b\r\nContent-Type: image/png\r\nContent-ID: <logo@x>\r\nContent-Transfer-Encoding: base64\r\n\r\niVBORw0KGgo=\r\n--b--\r\n"
		mid, _, err := e.Sandbox.Google.Deliver("ada@example.com", []byte(raw))
		if err != nil {
			t.Fatal(err)
		}
		resp, body := e.do("GET", "/gmail/message/"+mid+"/html", tok, nil)
		page := string(body)
		csp := resp.Header.Get("Content-Security-Policy")
		if resp.StatusCode != 200 || !strings.Contains(csp, "script-src 'none'") || strings.Contains(csp, "https:") {
			t.Fatalf("html: %d csp %q", resp.StatusCode, csp)
		}
		for _, bad := range []string{"<script", "onclick", "javascript:", "<iframe", "tracker.example"} {
			if strings.Contains(page, bad) {
				t.Errorf("sanitised page contains %q", bad)
			}
		}
		if !strings.Contains(page, "<b>Ada</b>") || !strings.Contains(page, "/gmail/message/"+mid+"/attachment/p1") {
			t.Fatalf("page lost content or the cid rewrite: %s", page)
		}
		if !strings.Contains(csp, "; sandbox allow-same-origin allow-popups allow-popups-to-escape-sandbox") || strings.Contains(csp, "allow-scripts") {
			t.Fatalf("csp %q is not a sandbox", csp)
		}
		resp, body = e.do("GET", "/gmail/message/"+mid+"/html?images=1", tok, nil)
		if !strings.Contains(resp.Header.Get("Content-Security-Policy"), "https:") || !strings.Contains(string(body), "https://tracker.example/p.gif") {
			t.Fatal("images=1 does not allow remote images")
		}
		// Whatever images=1 says, nothing points back at Jarvis.
		for _, bad := range []string{"data:", "/gmail/threads", "/me\"", "/gmail/labels", "/settings", strings.TrimPrefix(e.URL, "http://")} {
			if strings.Contains(string(body), bad) {
				t.Errorf("sanitised page with images=1 contains %q: %s", bad, body)
			}
		}
	})
}

type draftBody struct {
	DraftID   string `json:"draft_id"`
	MessageID string `json:"message_id"`
	ThreadID  string `json:"thread_id"`
}

// gmailClient reads the sandbox mailbox with the official client, as the user.
func gmailClient(t *testing.T, e *testEnv, email string) *gmail.Service {
	t.Helper()
	integ, err := e.Main.Integrations.FindGoogleIntegration(context.Background(), e.me(e.signIn(email)).User.ID, email)
	if err != nil {
		t.Fatal(err)
	}
	g := integ.AccessToken
	svc, err := gmail.NewService(context.Background(), option.WithEndpoint(e.Sandbox.URL+"/"), option.WithHTTPClient(&http.Client{
		Transport: bearerTransport(g)}))
	if err != nil {
		t.Fatal(err)
	}
	return svc
}

type bearerTransport string

func (b bearerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+string(b))
	return http.DefaultTransport.RoundTrip(r)
}

func TestDraftsAndIdempotency(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) {
		e := startEnv(t, envOptions{dialect: d})
		tok := e.signIn("ada@example.com")
		tid := e.findThread(tok, "subject:(Dinner Friday)")

		// A reply lands in the thread, with Re: and the threading headers.
		var dr draftBody
		e.json("POST", "/gmail/draft", tok, map[string]any{"to": []string{"Mary Somerville <mary@example.org>"}, "subject": "",
			"body_text": "Friday works — see you at 7.", "reply_to_thread_id": tid}, 201, &dr)
		if dr.ThreadID != tid || dr.DraftID == "" {
			t.Fatalf("reply draft = %+v, want thread %s", dr, tid)
		}
		svc := gmailClient(t, e, "ada@example.com")
		msg, err := svc.Users.Messages.Get("me", dr.MessageID).Format("raw").Do()
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := base64.URLEncoding.DecodeString(msg.Raw)
		for _, want := range []string{"In-Reply-To: <", "References: <", "Subject: Re: Dinner Friday?"} {
			if !strings.Contains(string(raw), want) {
				t.Errorf("draft lacks %q:\n%s", want, raw)
			}
		}

		// A second reply answers the same sent message, not the unsent draft,
		// and lands in the thread too.
		var dr2 draftBody
		e.json("POST", "/gmail/draft", tok, map[string]any{"to": []string{"mary@example.org"}, "subject": "",
			"body_text": "Or Saturday.", "reply_to_thread_id": tid}, 201, &dr2)
		msg2, err := svc.Users.Messages.Get("me", dr2.MessageID).Format("raw").Do()
		if err != nil {
			t.Fatal(err)
		}
		raw2, _ := base64.URLEncoding.DecodeString(msg2.Raw)
		if irt := headerLine(raw, "In-Reply-To"); dr2.ThreadID != tid || irt == "" || headerLine(raw2, "In-Reply-To") != irt {
			t.Errorf("second reply: thread %s, In-Reply-To %q, want %q", dr2.ThreadID, headerLine(raw2, "In-Reply-To"), headerLine(raw, "In-Reply-To"))
		}

		// Idempotency: the same key and body returns the first draft.
		body := map[string]any{"to": []string{"grace@example.com"}, "subject": "Agenda", "body_text": "Draft agenda attached."}
		var first, second draftBody
		e.json("POST", "/gmail/draft", tok, body, 201, &first, "Idempotency-Key", "k-123")
		before := e.Sandbox.Google.Stats()["gmail.drafts.create"]
		resp := e.json("POST", "/gmail/draft", tok, body, 201, &second, "Idempotency-Key", "k-123")
		if second != first || resp.Header.Get("Idempotent-Replayed") != "true" || e.Sandbox.Google.Stats()["gmail.drafts.create"] != before {
			t.Fatalf("replay = %+v (first %+v)", second, first)
		}
		body["subject"] = "Other"
		e.problem("POST", "/gmail/draft", tok, body, 409, "idempotency_key_reused", "Idempotency-Key", "k-123")

		// Concurrent double clicks make one draft.
		body["subject"] = "Double click"
		var wg sync.WaitGroup
		ids := make([]string, 5)
		for i := range ids {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r, b := e.do("POST", "/gmail/draft", tok, body, "Idempotency-Key", "dbl")
				ids[i] = fmt.Sprint(r.StatusCode, string(b))
			}()
		}
		wg.Wait()
		created := map[string]bool{}
		for _, s := range ids {
			if strings.HasPrefix(s, "201") {
				created[s[3:]] = true
			} else if !strings.HasPrefix(s, "409") {
				t.Fatalf("double click answer %s", s)
			}
		}
		if len(created) != 1 {
			t.Fatalf("double clicks made %d different drafts: %v", len(created), ids)
		}

		// After a restart, the same key still returns the first draft.
		restarted := startEnv(t, envOptions{dialect: d, dbURL: e.Main.Config.DatabaseURL, secrets: e.Main.Config, sandbox: e.Sandbox})
		body["subject"] = "Agenda"
		var third draftBody
		restarted.json("POST", "/gmail/draft", tok, body, 201, &third, "Idempotency-Key", "k-123")
		if third != first {
			t.Fatalf("after restart = %+v, want %+v", third, first)
		}
		drafts, err := svc.Users.Drafts.List("me").Do()
		if err != nil {
			t.Fatal(err)
		}
		if n := len(drafts.Drafts); n != 4 {
			t.Fatalf("%d drafts in Gmail, want 4 (two replies, agenda, double click)", n)
		}
	})
}

// Input that must never reach Google (SECURITY.md lines 24–26).
func TestDraftAndIDValidation(t *testing.T) {
	t.Parallel()
	oneDB(t, func(t *testing.T, d sqldb.Dialect) {
		e := startEnv(t, envOptions{dialect: d})
		tok := e.signIn("ada@example.com")
		e.synced("ada@example.com")
		e.Sandbox.Google.ResetStats()
		many := make([]string, 101)
		for i := range many {
			many[i] = fmt.Sprintf("u%d@example.com", i)
		}
		cases := []struct {
			name   string
			body   map[string]any
			status int
			code   string
			field  string
		}{
			{"CRLF in subject", map[string]any{"to": []string{"a@example.com"}, "subject": "Hi\r\nBcc: x@evil.example", "body_text": "x"}, 400, "invalid_request", "subject"},
			{"LF in to", map[string]any{"to": []string{"a@example.com\nBcc: x@evil.example"}, "subject": "s", "body_text": "x"}, 400, "invalid_request", "to"},
			{"encoded CRLF in subject", map[string]any{"to": []string{"a@example.com"}, "subject": "%0d%0aBcc: x@evil.example", "body_text": "x"}, 400, "invalid_request", "subject"},
			{"CRLF in an encoded-word", map[string]any{"to": []string{"a@example.com"}, "subject": "=?utf-8?q?a=0D=0ABcc:_x@evil.example?=", "body_text": "x"}, 400, "invalid_request", "subject"},
			{"CRLF in a cc name", map[string]any{"to": []string{"a@example.com"}, "cc": []string{"\"x\r\nBcc: y\" <y@example.com>"}, "subject": "s", "body_text": "x"}, 400, "invalid_request", "cc"},
			{"bad address", map[string]any{"to": []string{"not an address"}, "subject": "s", "body_text": "x"}, 400, "invalid_request", "to"},
			{"no recipient", map[string]any{"to": []string{}, "subject": "s", "body_text": "x"}, 400, "invalid_request", "to"},
			{"too many recipients", map[string]any{"to": many, "subject": "s", "body_text": "x"}, 400, "invalid_request", "to"},
			{"oversized body", map[string]any{"to": []string{"a@example.com"}, "subject": "s", "body_text": strings.Repeat("x", 5<<20+1)}, 413, "payload_too_large", "body_text"},
			{"bidi override in subject", map[string]any{"to": []string{"a@example.com"}, "subject": "Invoice \u202Efdp.exe", "body_text": "x"}, 400, "invalid_request", "subject"},
			{"bidi isolate in a to name", map[string]any{"to": []string{"\"Ada \u2067\" <a@example.com>"}, "subject": "s", "body_text": "x"}, 400, "invalid_request", "to"},
			{"bad reply id", map[string]any{"to": []string{"a@example.com"}, "subject": "s", "body_text": "x", "reply_to_thread_id": "../x"}, 400, "invalid_request", "reply_to_thread_id"},
			{"wrong type", map[string]any{"to": "a@example.com", "subject": "s", "body_text": "x"}, 400, "invalid_request", "to"},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				p := e.problem("POST", "/gmail/draft", tok, tc.body, tc.status, tc.code)
				if p["field"] != tc.field {
					t.Fatalf("field = %v, want %s", p["field"], tc.field)
				}
			})
		}
		for _, p := range []string{"/gmail/thread/a..b", "/gmail/thread/a%2Fb", "/gmail/thread/a%3Fb", "/gmail/thread/..%2F..%2Fprofile", "/gmail/message/x%2Fy/attachment/p1", "/gmail/message/m1/attachment/..%2Fz"} {
			e.problem("GET", p, tok, nil, 400, "invalid_request")
		}
		// Well-formed path segments that are not Gmail ids: 400 naming the field.
		for path, field := range map[string]string{
			"/gmail/thread/zzzz":                                  "id",
			"/gmail/thread/18F0A1":                                "id",
			"/gmail/message/zzzz/html":                            "message_id",
			"/gmail/message/not-hex/attachment/p1":                "message_id",
			"/gmail/message/18f0a1/attachment/ANGjdJ8_abc":        "attachment_id",
			"/gmail/message/18f0a1/attachment/p1__2":              "attachment_id",
			"/gmail/message/" + strings.Repeat("a", 65) + "/html": "message_id",
		} {
			if p := e.problem("GET", path, tok, nil, 400, "invalid_request"); p["field"] != field {
				t.Errorf("%s: field %v, want %s", path, p["field"], field)
			}
		}
		e.problem("GET", "/gmail/threads?max_results=101", tok, nil, 400, "invalid_request")
		e.problem("GET", "/gmail/threads?label=IN/BOX", tok, nil, 400, "invalid_request")
		e.problem("GET", "/calendar/upcoming?days=91", tok, nil, 400, "invalid_request")
		e.problem("GET", "/calendar/upcoming?max_results=0", tok, nil, 400, "invalid_request")
		for k, n := range e.Sandbox.Google.Stats() {
			if strings.HasPrefix(k, "gmail.") && n > 0 {
				t.Errorf("invalid input reached Google: %s=%d", k, n)
			}
		}
	})
}

// Google's 400 names the input it rejected: Jarvis reports that field, not
// always "q"; and every label listing writes an audit row.
func TestGoogleRejectionNamesTheField(t *testing.T) {
	oneDB(t, func(t *testing.T, d sqldb.Dialect) {
		e := startEnv(t, envOptions{dialect: d})
		tok := e.signIn("ada@example.com")
		e.Sandbox.Google.ResetStats()
		p := e.problem("GET", "/gmail/threads?page_token=not-a-page", tok, nil, 400, "invalid_request")
		if p["field"] != "page_token" || e.Sandbox.Google.Stats()["gmail.threads.list"] != 1 {
			t.Fatalf("problem %v after %v", p, e.Sandbox.Google.Stats())
		}
		e.readFromGmail("ada@example.com")
		e.json("GET", "/gmail/labels", tok, nil, 200, nil)
		fail := []string{"gmail.labels.list=400:1"}
		if err := e.Sandbox.Google.SetFaults(sandbox.Faults{Fail: &fail}); err != nil {
			t.Fatal(err)
		}
		// A 400 whose input Google does not name: no field rather than a wrong one.
		if p := e.problem("GET", "/gmail/labels", tok, nil, 400, "invalid_request"); p["field"] != nil {
			t.Fatalf("labels problem %v", p)
		}
		rows := e.auditOf("ada@example.com", "gmail.labels.list")
		if len(rows) != 2 || rows[0].Outcome != "failure" || rows[1].Outcome != "success" || rows[0].Metadata["error_code"] != "invalid_request" {
			t.Fatalf("label audit rows %+v", rows)
		}
	})
}

// User A can never read user B's mail (SECURITY.md line 22).
func TestTenantIsolation(t *testing.T) {
	t.Parallel()
	sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) {
		e := startEnv(t, envOptions{dialect: d})
		ada, grace := e.signIn("ada@example.com"), e.signIn("grace@example.com")
		adaThread := e.findThread(ada, "in:inbox")
		e.problem("GET", "/gmail/thread/"+adaThread, grace, nil, 404, "not_found")
		e.problem("POST", "/gmail/draft", grace, map[string]any{"to": []string{"a@example.com"}, "subject": "s", "body_text": "x", "reply_to_thread_id": adaThread}, 404, "not_found")
		var th threadBody
		e.json("GET", "/gmail/thread/"+adaThread, ada, nil, 200, &th)
		e.problem("GET", "/gmail/message/"+th.Messages[0].ID+"/html", grace, nil, 404, "not_found")
	})
}

// headerLine returns the value of the first header line of raw with the name.
func headerLine(raw []byte, name string) string {
	for _, l := range strings.Split(string(raw), "\r\n") {
		if v, ok := strings.CutPrefix(l, name+": "); ok {
			return v
		}
		if l == "" {
			break
		}
	}
	return ""
}
