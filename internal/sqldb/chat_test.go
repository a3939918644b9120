package sqldb_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/jarvis-hq/jarvis"
	"github.com/jarvis-hq/jarvis/internal/sqldb"
	"github.com/jarvis-hq/jarvis/internal/sqldb/sqldbtest"
)

// chatFixture is a conversation of one user with a user message and an
// answer.
type chatFixture struct {
	db       *sqldb.DB
	ada, bob *jarvis.User
	conv     *jarvis.Conversation
	question jarvis.ChatMessage
	answer   jarvis.ChatMessage
}

func newChatFixture(t *testing.T, d sqldb.Dialect) *chatFixture {
	t.Helper()
	ctx := context.Background()
	f := &chatFixture{db: sqldbtest.Open(t, d)}
	var err error
	if f.ada, err = f.db.EnsureUser(ctx, "ada@example.com", "Ada"); err != nil {
		t.Fatal(err)
	}
	if f.bob, err = f.db.EnsureUser(ctx, "bob@example.com", "Bob"); err != nil {
		t.Fatal(err)
	}
	f.conv = &jarvis.Conversation{UserID: f.ada.ID, Title: "Inbox"}
	if err := f.db.CreateConversation(ctx, f.conv); err != nil {
		t.Fatal(err)
	}
	f.question = jarvis.ChatMessage{Role: jarvis.RoleUser, Text: "What's new?", Status: jarvis.MessageComplete}
	f.answer = jarvis.ChatMessage{Role: jarvis.RoleAssistant, Status: jarvis.MessageInterrupted}
	for _, m := range []*jarvis.ChatMessage{&f.question, &f.answer} {
		if err := f.db.InsertChatMessage(ctx, f.ada.ID, f.conv.ID, m); err != nil {
			t.Fatal(err)
		}
	}
	return f
}

func TestConversationsAndMessages(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) {
		ctx := context.Background()
		f := newChatFixture(t, d)
		db := f.db

		call := &jarvis.ToolCallRecord{MessageID: f.answer.ID, Name: "search_threads", Arguments: json.RawMessage(`{"query":"in:inbox","max_results":5}`), OK: true, Summary: "Found 5 threads"}
		if err := db.InsertToolCall(ctx, f.ada.ID, call); err != nil || call.ID == "" {
			t.Fatalf("insert tool call: %v %q", err, call.ID)
		}
		if err := db.UpdateChatMessage(ctx, f.ada.ID, f.answer.ID, "You have 5 threads.", jarvis.MessageComplete, 1234); err != nil {
			t.Fatal(err)
		}
		msgs, err := db.ListChatMessages(ctx, f.ada.ID, f.conv.ID)
		if err != nil || len(msgs) != 2 {
			t.Fatalf("messages: %v %+v", err, msgs)
		}
		q, a := msgs[0], msgs[1]
		if q.Role != jarvis.RoleUser || q.Text != "What's new?" || q.Status != jarvis.MessageComplete || q.CreatedAt.IsZero() || len(q.ToolCalls) != 0 {
			t.Fatalf("question %+v", q)
		}
		if a.ID != f.answer.ID || a.Text != "You have 5 threads." || a.Status != jarvis.MessageComplete || len(a.ToolCalls) != 1 || a.Approvals == nil {
			t.Fatalf("answer %+v", a)
		}
		var args map[string]any
		if err := json.Unmarshal(a.ToolCalls[0].Arguments, &args); err != nil || args["query"] != "in:inbox" || !a.ToolCalls[0].OK || a.ToolCalls[0].Summary != "Found 5 threads" {
			t.Fatalf("tool call %+v (%v)", a.ToolCalls[0], err)
		}

		// NUL, which PostgreSQL cannot store in text, is dropped on both.
		nul := &jarvis.ToolCallRecord{MessageID: f.answer.ID, Name: "get_thread", Arguments: json.RawMessage(`{"thread_id":"a\u0000b"}`), Summary: "x\x00y"}
		if err := db.InsertToolCall(ctx, f.ada.ID, nul); err != nil {
			t.Fatal(err)
		}
		if err := db.UpdateChatMessage(ctx, f.ada.ID, f.answer.ID, "You have\x00 5 threads.", jarvis.MessageComplete, 1234); err != nil {
			t.Fatal(err)
		}
		if msgs, err := db.ListChatMessages(ctx, f.ada.ID, f.conv.ID); err != nil || msgs[1].Text != "You have 5 threads." || msgs[1].ToolCalls[1].Summary != "xy" {
			t.Fatalf("after NUL: %v %+v", err, msgs)
		}

		// Another user sees none of it, and cannot write into it.
		if _, err := db.FindConversation(ctx, f.bob.ID, f.conv.ID); !jarvis.IsCode(err, jarvis.ENOTFOUND) {
			t.Fatalf("bob finds ada's conversation: %v", err)
		}
		if msgs, err := db.ListChatMessages(ctx, f.bob.ID, f.conv.ID); err != nil || len(msgs) != 0 {
			t.Fatalf("bob lists ada's messages: %v %d", err, len(msgs))
		}
		if err := db.InsertChatMessage(ctx, f.bob.ID, f.conv.ID, &jarvis.ChatMessage{Role: jarvis.RoleUser, Text: "x", Status: jarvis.MessageComplete}); !jarvis.IsCode(err, jarvis.ENOTFOUND) {
			t.Fatalf("bob writes into ada's conversation: %v", err)
		}
		if err := db.UpdateChatMessage(ctx, f.bob.ID, f.answer.ID, "x", jarvis.MessageComplete, 0); !jarvis.IsCode(err, jarvis.ENOTFOUND) {
			t.Fatalf("bob updates ada's message: %v", err)
		}
		if err := db.DeleteConversation(ctx, f.bob.ID, f.conv.ID); !jarvis.IsCode(err, jarvis.ENOTFOUND) {
			t.Fatalf("bob deletes ada's conversation: %v", err)
		}
		if p, err := db.ListConversations(ctx, f.bob.ID, "", 10); err != nil || len(p.Conversations) != 0 {
			t.Fatalf("bob's list: %v %+v", err, p)
		}

		if err := db.DeleteConversation(ctx, f.ada.ID, f.conv.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := db.FindConversation(ctx, f.ada.ID, f.conv.ID); !jarvis.IsCode(err, jarvis.ENOTFOUND) {
			t.Fatalf("after delete: %v", err)
		}
		var n int
		if err := db.SQL().QueryRowContext(ctx, `SELECT COUNT(*) FROM chat_messages`).Scan(&n); err != nil || n != 0 {
			t.Fatalf("messages left after delete: %d %v", n, err)
		}
	})
}

func TestConversationPages(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) {
		ctx := context.Background()
		f := newChatFixture(t, d)
		db := f.db
		clock := time.Now().UTC().Add(time.Hour)
		db.Now = func() time.Time { clock = clock.Add(time.Second); return clock }
		var ids []string
		for range 5 {
			c := &jarvis.Conversation{UserID: f.ada.ID, Title: "t"}
			if err := db.CreateConversation(ctx, c); err != nil {
				t.Fatal(err)
			}
			ids = append(ids, c.ID)
		}
		// A message makes the oldest of them the most recent.
		if err := db.InsertChatMessage(ctx, f.ada.ID, ids[0], &jarvis.ChatMessage{Role: jarvis.RoleUser, Text: "again", Status: jarvis.MessageComplete}); err != nil {
			t.Fatal(err)
		}
		want := []string{ids[0], ids[4], ids[3], ids[2], ids[1], f.conv.ID}
		var got []string
		tok := ""
		for {
			p, err := db.ListConversations(ctx, f.ada.ID, tok, 4)
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range p.Conversations {
				got = append(got, c.ID)
			}
			if tok = p.NextPageToken; tok == "" {
				break
			}
		}
		if len(got) != len(want) {
			t.Fatalf("pages %v, want %v", got, want)
		}
		for i := range want {
			if got[i] != want[i] {
				t.Fatalf("pages %v, want %v", got, want)
			}
		}
		for _, bad := range []string{"x", "12_notauuid", "-5_" + ids[0], "abc_" + ids[0]} {
			if _, err := db.ListConversations(ctx, f.ada.ID, bad, 4); !jarvis.IsCode(err, jarvis.EINVALID) {
				t.Fatalf("token %q: %v", bad, err)
			}
		}
	})
}

// Migrating a database that already holds the assistant's proposals and
// Google connections down to before approvals expired and up again keeps
// the proposals (an approval while chat_approvals existed, an action
// since), gives them a day to live, and binds the connected users to their
// identity.
func TestMigrationsBackfill(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) {
		ctx := context.Background()
		f := newChatFixture(t, d)
		db := f.db
		a := f.action(t, f.ada.ID, `{"account":"","to":["a@example.com"],"cc":[],"bcc":[],"subject":"Hi","body_text":"Body"}`)
		if _, err := db.SQL().ExecContext(ctx, `INSERT INTO integrations_google (id, user_id, issuer, google_sub, email, status, created_at, updated_at)
			VALUES ('g1', $1, 'https://accounts.google.com', '1234', 'ada@example.com', 'active', '2026-12-01T09:00:00.000000Z', '2026-12-01T09:00:00.000000Z')`, f.ada.ID); err != nil {
			t.Fatal(err)
		}
		// Back to before approvals expired (migration 5) and identities were
		// kept (6), and up again.
		for {
			st, err := db.MigrationStatus(ctx)
			if err != nil {
				t.Fatal(err)
			}
			top := int64(0)
			for _, m := range st {
				if m.Applied && int64(m.Version) > top {
					top = int64(m.Version)
				}
			}
			if top < 5 {
				break
			}
			if err := db.MigrateDown(ctx); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := db.MigrateUp(ctx); err != nil {
			t.Fatal(err)
		}
		got, err := db.FindAction(ctx, f.ada.ID, a.ID)
		if err != nil || !got.ExpiresAt.Equal(got.CreatedAt.Add(24*time.Hour)) || got.Kind != jarvis.ActionDraftCreate || got.Status != jarvis.ActionPending ||
			got.Requester.Type != jarvis.RequesterAssistant || got.Requester.ID != f.conv.ID || got.Requester.MessageID != f.answer.ID || got.Requester.Tool != "create_draft" {
			t.Fatalf("backfilled action %+v, %v", got, err)
		}
		var p struct {
			Account string   `json:"account"`
			To      []string `json:"to"`
			Body    string   `json:"body_text"`
		}
		if err := json.Unmarshal(got.Payload, &p); err != nil || p.To[0] != "a@example.com" || p.Body != "Body" {
			t.Fatalf("payload after the round trip %s: %v", got.Payload, err)
		}
		if msgs, _ := db.ListChatMessages(ctx, f.ada.ID, f.conv.ID); len(msgs[1].Approvals) != 1 || msgs[1].Approvals[0].Proposal.Subject != "Hi" {
			t.Fatalf("approvals after the round trip %+v", msgs)
		}
		if u, err := db.FindUserByGoogleIdentity(ctx, "https://accounts.google.com", "1234"); err != nil || u.ID != f.ada.ID {
			t.Fatalf("backfilled identity: %+v, %v", u, err)
		}
		if _, err := db.FindUserByGoogleIdentity(ctx, "", ""); !jarvis.IsCode(err, jarvis.ENOTFOUND) {
			t.Fatalf("bob is bound to an empty identity: %v", err)
		}
	})
}
