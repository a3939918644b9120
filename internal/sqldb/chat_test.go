package sqldb_test

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
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

func TestApprovalsAreSingleUse(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) {
		ctx := context.Background()
		f := newChatFixture(t, d)
		db := f.db
		proposal := jarvis.DraftInput{To: []string{"x@evil.example"}, Cc: []string{}, Bcc: []string{}, Subject: "Hi", BodyText: "Body"}
		a := &jarvis.Approval{MessageID: f.answer.ID, Tool: "create_draft", Proposal: proposal}
		if err := db.InsertApproval(ctx, f.bob.ID, a); !jarvis.IsCode(err, jarvis.ENOTFOUND) {
			t.Fatalf("approval on another user's message: %v", err)
		}
		if err := db.InsertApproval(ctx, f.ada.ID, a); err != nil {
			t.Fatal(err)
		}
		if a.ID == "" || a.Status != jarvis.ApprovalPending || a.ConversationID != f.conv.ID {
			t.Fatalf("approval %+v", a)
		}
		got, err := db.FindApproval(ctx, f.ada.ID, a.ID)
		if err != nil || got.Proposal.To[0] != "x@evil.example" || got.Proposal.BodyText != "Body" || got.DecidedAt != nil || got.Result != nil {
			t.Fatalf("find: %v %+v", err, got)
		}
		if _, err := db.FindApproval(ctx, f.bob.ID, a.ID); !jarvis.IsCode(err, jarvis.ENOTFOUND) {
			t.Fatalf("bob finds it: %v", err)
		}
		if _, err := db.DecideApproval(ctx, f.bob.ID, a.ID, jarvis.ApprovalApproved); !jarvis.IsCode(err, jarvis.ENOTFOUND) {
			t.Fatalf("bob decides: %v", err)
		}
		if _, err := db.DecideApproval(ctx, f.ada.ID, a.ID, jarvis.ApprovalPending); !jarvis.IsCode(err, jarvis.EINVALID) {
			t.Fatalf("decide pending: %v", err)
		}

		// Racing decisions: exactly one wins.
		var wg sync.WaitGroup
		errs := make([]error, 8)
		for i := range errs {
			wg.Go(func() {
				st := jarvis.ApprovalApproved
				if i%2 == 1 {
					st = jarvis.ApprovalRejected
				}
				_, errs[i] = db.DecideApproval(ctx, f.ada.ID, a.ID, st)
			})
		}
		wg.Wait()
		wins := 0
		for _, err := range errs {
			switch {
			case err == nil:
				wins++
			case !jarvis.IsCode(err, jarvis.ECONFLICT):
				t.Fatalf("decide: %v", err)
			}
		}
		if wins != 1 {
			t.Fatalf("%d decisions won, want 1", wins)
		}
		got, _ = db.FindApproval(ctx, f.ada.ID, a.ID)
		if got.DecidedAt == nil || (got.Status != jarvis.ApprovalApproved && got.Status != jarvis.ApprovalRejected) {
			t.Fatalf("decided %+v", got)
		}

		// The result is recorded once, and only on an approved approval.
		b := &jarvis.Approval{MessageID: f.answer.ID, Tool: "create_draft", Proposal: proposal}
		if err := db.InsertApproval(ctx, f.ada.ID, b); err != nil {
			t.Fatal(err)
		}
		if err := db.FinishApproval(ctx, f.ada.ID, b.ID, &jarvis.Draft{DraftID: "r1"}, ""); !jarvis.IsCode(err, jarvis.ECONFLICT) {
			t.Fatalf("result on a pending approval: %v", err)
		}
		if _, err := db.DecideApproval(ctx, f.ada.ID, b.ID, jarvis.ApprovalApproved); err != nil {
			t.Fatal(err)
		}
		if err := db.FinishApproval(ctx, f.ada.ID, b.ID, &jarvis.Draft{DraftID: "r1", MessageID: "m1", ThreadID: "t1"}, ""); err != nil {
			t.Fatal(err)
		}
		if err := db.FinishApproval(ctx, f.ada.ID, b.ID, nil, "upstream_unavailable"); !jarvis.IsCode(err, jarvis.ECONFLICT) {
			t.Fatalf("second outcome: %v", err)
		}
		if err := db.FinishApproval(ctx, f.bob.ID, b.ID, nil, "x"); !jarvis.IsCode(err, jarvis.ENOTFOUND) {
			t.Fatalf("bob finishes: %v", err)
		}
		msgs, err := db.ListChatMessages(ctx, f.ada.ID, f.conv.ID)
		if err != nil || len(msgs[1].Approvals) != 2 {
			t.Fatalf("approvals in messages: %v %+v", err, msgs)
		}
		if r := msgs[1].Approvals[1]; r.ID != b.ID || r.Status != jarvis.ApprovalApproved || r.Result == nil || r.Result.DraftID != "r1" || r.Result.ThreadID != "t1" {
			t.Fatalf("approved %+v", r)
		}

		// A failure marks the approval failed.
		c := &jarvis.Approval{MessageID: f.answer.ID, Tool: "create_draft", Proposal: proposal}
		_ = db.InsertApproval(ctx, f.ada.ID, c)
		_, _ = db.DecideApproval(ctx, f.ada.ID, c.ID, jarvis.ApprovalApproved)
		if err := db.FinishApproval(ctx, f.ada.ID, c.ID, nil, "upstream_unavailable"); err != nil {
			t.Fatal(err)
		}
		if got, _ := db.FindApproval(ctx, f.ada.ID, c.ID); got.Status != jarvis.ApprovalFailed || got.Result != nil {
			t.Fatalf("failed %+v", got)
		}

		// Deleting the conversation takes its approvals with it.
		if err := db.DeleteConversation(ctx, f.ada.ID, f.conv.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := db.DecideApproval(ctx, f.ada.ID, b.ID, jarvis.ApprovalRejected); !jarvis.IsCode(err, jarvis.ENOTFOUND) {
			t.Fatalf("decide after delete: %v", err)
		}
	})
}

// A pending approval can be decided until it expires; then it reads as
// expired and deciding it is EEXPIRED, whichever way.
func TestApprovalsExpire(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) {
		ctx := context.Background()
		f := newChatFixture(t, d)
		db := f.db
		clock := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
		db.Now = func() time.Time { return clock }
		proposal := jarvis.DraftInput{To: []string{"a@example.com"}, Subject: "Hi", BodyText: "Body"}
		expires := clock.Add(24 * time.Hour)
		a := &jarvis.Approval{MessageID: f.answer.ID, Tool: "create_draft", Proposal: proposal, ExpiresAt: &expires}
		b := &jarvis.Approval{MessageID: f.answer.ID, Tool: "create_draft", Proposal: proposal, ExpiresAt: &expires}
		for _, x := range []*jarvis.Approval{a, b} {
			if err := db.InsertApproval(ctx, f.ada.ID, x); err != nil {
				t.Fatal(err)
			}
		}
		// One microsecond before: still pending, and decidable.
		clock = expires.Add(-time.Microsecond)
		if got, _ := db.FindApproval(ctx, f.ada.ID, a.ID); got.Status != jarvis.ApprovalPending || got.ExpiresAt == nil || !got.ExpiresAt.Equal(expires) {
			t.Fatalf("before expiry %+v", got)
		}
		if _, err := db.DecideApproval(ctx, f.ada.ID, b.ID, jarvis.ApprovalRejected); err != nil {
			t.Fatal(err)
		}
		// At the expiry time: expired, everywhere it is read, and not decidable.
		clock = expires
		if got, _ := db.FindApproval(ctx, f.ada.ID, a.ID); got.Status != jarvis.ApprovalExpired {
			t.Fatalf("at expiry %+v", got)
		}
		for _, st := range []string{jarvis.ApprovalApproved, jarvis.ApprovalRejected} {
			if _, err := db.DecideApproval(ctx, f.ada.ID, a.ID, st); !jarvis.IsCode(err, jarvis.EEXPIRED) {
				t.Fatalf("deciding an expired approval (%s): %v", st, err)
			}
		}
		msgs, err := db.ListChatMessages(ctx, f.ada.ID, f.conv.ID)
		if err != nil {
			t.Fatal(err)
		}
		var statuses []string
		for _, m := range msgs {
			for _, ap := range m.Approvals {
				statuses = append(statuses, ap.Status)
			}
		}
		if strings.Join(statuses, ",") != "expired,rejected" {
			t.Fatalf("listed approvals %v", statuses)
		}
		// A decided approval stays decided after the time passes.
		if got, _ := db.FindApproval(ctx, f.ada.ID, b.ID); got.Status != jarvis.ApprovalRejected {
			t.Fatalf("decided approval after expiry %+v", got)
		}
	})
}

// Migrating a database that already holds approvals and Google connections
// gives the approvals a day to live and binds the connected users to their
// identity.
func TestMigrationsBackfill(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) {
		ctx := context.Background()
		f := newChatFixture(t, d)
		db := f.db
		a := &jarvis.Approval{MessageID: f.answer.ID, Tool: "create_draft", Proposal: jarvis.DraftInput{To: []string{"a@example.com"}}}
		if err := db.InsertApproval(ctx, f.ada.ID, a); err != nil {
			t.Fatal(err)
		}
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
		got, err := db.FindApproval(ctx, f.ada.ID, a.ID)
		if err != nil || got.ExpiresAt == nil || !got.ExpiresAt.Equal(got.CreatedAt.Add(24*time.Hour)) {
			t.Fatalf("backfilled approval %+v, %v", got, err)
		}
		if u, err := db.FindUserByGoogleIdentity(ctx, "https://accounts.google.com", "1234"); err != nil || u.ID != f.ada.ID {
			t.Fatalf("backfilled identity: %+v, %v", u, err)
		}
		if _, err := db.FindUserByGoogleIdentity(ctx, "", ""); !jarvis.IsCode(err, jarvis.ENOTFOUND) {
			t.Fatalf("bob is bound to an empty identity: %v", err)
		}
	})
}
