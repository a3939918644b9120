package main

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/jarvis-hq/jarvis"
	"github.com/jarvis-hq/jarvis/internal/sqldb"
	"github.com/jarvis-hq/jarvis/internal/sqldb/sqldbtest"
)

// indexedRow returns the thread as the index lists it under the label (nil
// when it is not there), failing if the listing was not read from the index.
func (e *testEnv) indexedRow(tok, account, label, threadID string) *jarvis.ThreadSummary {
	e.t.Helper()
	params := url.Values{"account": {account}, "label": {label}, "max_results": {"100"}}
	for range 100 {
		var page jarvis.ThreadPage
		e.json("GET", "/gmail/threads?"+params.Encode(), tok, nil, 200, &page)
		if page.Source != jarvis.SourceIndex {
			e.t.Fatalf("label %s listed from %q, not the index", label, page.Source)
		}
		for i, th := range page.Threads {
			if th.ID == threadID {
				return &page.Threads[i]
			}
		}
		if page.NextPageToken == "" {
			return nil
		}
		params.Set("page_token", page.NextPageToken)
	}
	e.t.Fatalf("the %s listing did not end", label)
	return nil
}

// gmailLabels returns the labels of every message of a thread, as Gmail
// stores them, read with the official client.
func gmailLabels(t *testing.T, e *testEnv, email, threadID string) [][]string {
	t.Helper()
	th, err := gmailClient(t, e, email).Users.Threads.Get("me", threadID).Format("minimal").Do()
	if err != nil {
		t.Fatal(err)
	}
	out := make([][]string, len(th.Messages))
	for i, m := range th.Messages {
		out[i] = m.LabelIds
	}
	return out
}

// every reports whether every message's labels satisfy ok.
func every(labels [][]string, ok func([]string) bool) bool {
	for _, l := range labels {
		if !ok(l) {
			return false
		}
	}
	return len(labels) > 0
}

func has(l string) func([]string) bool {
	return func(ls []string) bool { return slices.Contains(ls, l) }
}
func hasNot(l string) func([]string) bool {
	return func(ls []string) bool { return !slices.Contains(ls, l) }
}
func rowHas(r *jarvis.ThreadSummary, l string) bool { return r != nil && slices.Contains(r.Labels, l) }

// The user organises mail directly: each route changes the mailbox at
// Google, answers the thread read back, writes its audit row, and the next
// listing from the index shows the change.
func TestOrganiseThreads(t *testing.T) {
	t.Parallel()
	oneDB(t, func(t *testing.T, d sqldb.Dialect) {
		e := startEnv(t, envOptions{dialect: d})
		const ada, grace = "ada@example.com", "grace@example.com"
		tok := e.signIn(ada)
		e.connect(tok, grace)
		adaID, graceID := e.synced(ada), e.synced(grace)

		var page jarvis.ThreadPage
		e.json("GET", "/gmail/threads?label=INBOX&q=is%3Aunread&max_results=1", tok, nil, 200, &page)
		if len(page.Threads) != 1 || page.Source != jarvis.SourceIndex {
			t.Fatalf("no unread inbox thread from the index: %+v", page)
		}
		id := page.Threads[0].ID
		base := "/gmail/threads/" + id

		// Mark read and star.
		var c jarvis.ThreadChange
		e.json("POST", base+"/modify", tok, map[string]any{"add_labels": []string{"STARRED"}, "remove_labels": []string{"UNREAD"}}, 200, &c)
		if c.Account == nil || c.Account.ID != adaID || c.Thread.ID != id || c.Thread.Unread || !slices.Contains(c.Thread.Labels, "STARRED") ||
			slices.Contains(c.Thread.Labels, "UNREAD") || c.Thread.Subject == "" || c.Thread.MessageCount == 0 {
			t.Fatalf("modify answered %+v", c)
		}
		t.Logf("the index had the change when the answer came: %v", c.Indexed)
		if l := gmailLabels(t, e, ada, id); !every(l, has("STARRED")) || !every(l, hasNot("UNREAD")) {
			t.Fatalf("Gmail has %v after read and star", l)
		}
		waitFor(t, "the star in the index", func() bool {
			r := e.indexedRow(tok, ada, "STARRED", id)
			return r != nil && !r.Unread
		})
		rows := e.auditOf(ada, jarvis.AuditGmailThreadModify)
		if len(rows) != 1 || rows[0].Outcome != jarvis.OutcomeSuccess || rows[0].TargetID != id || rows[0].Metadata["account_id"] != adaID ||
			fmt.Sprint(rows[0].Metadata["add_labels"]) != "[STARRED]" || fmt.Sprint(rows[0].Metadata["remove_labels"]) != "[UNREAD]" {
			t.Fatalf("modify audit rows %+v", rows)
		}

		// Archive: out of the inbox, everywhere.
		e.json("POST", base+"/modify", tok, map[string]any{"remove_labels": []string{"INBOX"}}, 200, &c)
		if slices.Contains(c.Thread.Labels, "INBOX") {
			t.Fatalf("archive answered %+v", c.Thread)
		}
		if l := gmailLabels(t, e, ada, id); !every(l, hasNot("INBOX")) {
			t.Fatalf("Gmail has %v after archive", l)
		}
		waitFor(t, "the archive in the index", func() bool { return e.indexedRow(tok, ada, "INBOX", id) == nil })

		// Trash, then back out of it.
		e.json("POST", base+"/trash", tok, nil, 200, &c)
		if !slices.Contains(c.Thread.Labels, "TRASH") {
			t.Fatalf("trash answered %+v", c.Thread)
		}
		if l := gmailLabels(t, e, ada, id); !every(l, has("TRASH")) {
			t.Fatalf("Gmail has %v after trash", l)
		}
		waitFor(t, "the trash in the index", func() bool { return rowHas(e.indexedRow(tok, ada, "TRASH", id), "TRASH") })
		e.json("POST", base+"/untrash?account="+adaID, tok, nil, 200, &c)
		if slices.Contains(c.Thread.Labels, "TRASH") || !slices.Contains(c.Thread.Labels, "STARRED") {
			t.Fatalf("untrash answered %+v", c.Thread)
		}
		if l := gmailLabels(t, e, ada, id); !every(l, hasNot("TRASH")) {
			t.Fatalf("Gmail has %v after untrash", l)
		}
		waitFor(t, "the untrash in the index", func() bool {
			return e.indexedRow(tok, ada, "TRASH", id) == nil && e.indexedRow(tok, ada, "STARRED", id) != nil
		})
		for action, want := range map[string]int{jarvis.AuditGmailThreadTrash: 1, jarvis.AuditGmailThreadUntrash: 1, jarvis.AuditGmailThreadModify: 2} {
			rows := e.auditOf(ada, action)
			if len(rows) != want || rows[0].TargetID != id || rows[0].Metadata["account_id"] != adaID || rows[0].Outcome != jarvis.OutcomeSuccess {
				t.Fatalf("%s audit rows %+v", action, rows)
			}
		}

		// The second account, named by account=.
		e.json("GET", "/gmail/threads?label=INBOX&max_results=1&account="+grace, tok, nil, 200, &page)
		gid := page.Threads[0].ID
		e.json("POST", "/gmail/threads/"+gid+"/trash?account="+grace, tok, nil, 200, &c)
		if c.Account.ID != graceID || !slices.Contains(c.Thread.Labels, "TRASH") {
			t.Fatalf("trash in the second account answered %+v", c)
		}
		if l := gmailLabels(t, e, grace, gid); !every(l, has("TRASH")) {
			t.Fatalf("Gmail has %v after trash in the second account", l)
		}
		waitFor(t, "the second account's trash in the index", func() bool { return e.indexedRow(tok, grace, "TRASH", gid) != nil })
		// A thread of one account is not found in another.
		e.problem("POST", base+"/trash?account="+grace, tok, nil, 404, "not_found")

		// A label Gmail does not have: Google's 400, naming the field.
		if p := e.problem("POST", base+"/modify", tok, map[string]any{"remove_labels": []string{"Label_987654"}}, 400, "invalid_request"); p["field"] != "remove_labels" {
			t.Fatalf("unknown label: %v", p)
		}
	})
}

// Bad bodies and ids are refused, naming the field, before any call to
// Google; another user's thread or account is not found.
func TestOrganiseValidation(t *testing.T) {
	t.Parallel()
	oneDB(t, func(t *testing.T, d sqldb.Dialect) {
		e := startEnv(t, envOptions{dialect: d})
		tok := e.signIn("ada@example.com")
		adaID := e.synced("ada@example.com")
		id := e.indexedFirst(tok)
		e.Sandbox.Google.ResetStats()
		many := make([]string, 101)
		for i := range many {
			many[i] = fmt.Sprintf("Label_%d", i)
		}
		for _, c := range []struct {
			name  string
			body  any
			field string
		}{
			{"nothing", map[string]any{}, "add_labels"},
			{"empty lists", map[string]any{"add_labels": []string{}, "remove_labels": []string{}}, "add_labels"},
			{"SENT", map[string]any{"add_labels": []string{"SENT"}}, "add_labels"},
			{"DRAFT", map[string]any{"remove_labels": []string{"DRAFT"}}, "remove_labels"},
			{"TRASH by modify", map[string]any{"add_labels": []string{"TRASH"}}, "add_labels"},
			{"both ways", map[string]any{"add_labels": []string{"STARRED"}, "remove_labels": []string{"UNREAD", "STARRED"}}, "remove_labels"},
			{"too many", map[string]any{"add_labels": many}, "add_labels"},
			{"not a label id", map[string]any{"add_labels": []string{"My label"}}, "add_labels"},
			{"a name, not an id", map[string]any{"remove_labels": []string{"Work"}}, "remove_labels"},
			{"lower-case system label", map[string]any{"add_labels": []string{"inbox"}}, "add_labels"},
			{"wrong type", map[string]any{"add_labels": "STARRED"}, "add_labels"},
			{"unknown field", map[string]any{"labels": []string{"STARRED"}}, "labels"},
		} {
			t.Run(c.name, func(t *testing.T) {
				if p := e.problem("POST", "/gmail/threads/"+id+"/modify", tok, c.body, 400, "invalid_request"); p["field"] != c.field {
					t.Fatalf("field %v, want %s: %v", p["field"], c.field, p)
				}
			})
		}
		for _, path := range []string{"/gmail/threads/zzzz/trash", "/gmail/threads/18F0A1/untrash", "/gmail/threads/" + strings.Repeat("a", 65) + "/modify"} {
			if p := e.problem("POST", path, tok, map[string]any{"add_labels": []string{"STARRED"}}, 400, "invalid_request"); p["field"] != "id" {
				t.Errorf("%s: field %v", path, p["field"])
			}
		}
		if p := e.problem("POST", "/gmail/threads/"+id+"/trash?account=all", tok, nil, 400, "invalid_request"); p["field"] != "account" {
			t.Errorf("account=all: field %v", p["field"])
		}
		for k, n := range e.Sandbox.Google.Stats() {
			if strings.HasPrefix(k, "gmail.") && n > 0 {
				t.Errorf("invalid input reached Google: %s=%d", k, n)
			}
		}

		// Another user: neither the thread nor the account is theirs.
		other := e.signIn("grace@example.com")
		e.problem("POST", "/gmail/threads/"+id+"/modify", other, map[string]any{"add_labels": []string{"STARRED"}}, 404, "not_found")
		e.problem("POST", "/gmail/threads/"+id+"/trash", other, nil, 404, "not_found")
		e.problem("POST", "/gmail/threads/"+id+"/untrash?account="+adaID, other, nil, 404, "not_found")
		e.problem("POST", "/gmail/threads/"+id+"/modify?account="+"ada@example.com", other, map[string]any{"add_labels": []string{"STARRED"}}, 404, "not_found")
		if l := gmailLabels(t, e, "ada@example.com", id); !every(l, hasNot("TRASH")) {
			t.Fatalf("another user changed the thread: %v", l)
		}

	})
}

// indexedFirst returns the id of the first inbox thread the index lists.
func (e *testEnv) indexedFirst(tok string) string {
	e.t.Helper()
	var page jarvis.ThreadPage
	e.json("GET", "/gmail/threads?label=INBOX&max_results=1", tok, nil, 200, &page)
	if len(page.Threads) == 0 || page.Source != jarvis.SourceIndex {
		e.t.Fatalf("inbox %+v", page)
	}
	return page.Threads[0].ID
}

// A grant without gmail.modify reads mail but cannot organise it: 403
// scope_missing, naming the account, and nothing changes at Google.
func TestOrganiseNeedsTheModifyScope(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) {
		e := startEnv(t, envOptions{dialect: d})
		au, _ := e.startURL("")
		loc := e.consent(au, "ada@example.com", func(s string) bool { return !strings.HasSuffix(s, "/gmail.modify") })
		var tok struct {
			AccessToken string `json:"access_token"`
		}
		e.json("POST", "/auth/google/callback", "", map[string]string{"code": loc.Query().Get("code"), "state": loc.Query().Get("state")}, 200, &tok)
		id := e.findThread(tok.AccessToken, "in:inbox")
		e.Sandbox.Google.ResetStats()
		p := e.problem("POST", "/gmail/threads/"+id+"/trash", tok.AccessToken, nil, 403, "scope_missing")
		if !strings.Contains(fmt.Sprint(p["detail"]), "ada@example.com") {
			t.Fatalf("problem %v does not name the account", p)
		}
		e.problem("POST", "/gmail/threads/"+id+"/modify", tok.AccessToken, map[string]any{"remove_labels": []string{"INBOX"}}, 403, "scope_missing")
		if n := e.Sandbox.Google.Stats()["gmail.threads.trash"] + e.Sandbox.Google.Stats()["gmail.threads.modify"]; n != 0 {
			t.Fatalf("%d changes reached Google", n)
		}
	})
}
