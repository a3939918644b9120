package sqldb_test

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/jarvis-hq/jarvis"
	"github.com/jarvis-hq/jarvis/internal/outbox"
	"github.com/jarvis-hq/jarvis/internal/sqldb"
	"github.com/jarvis-hq/jarvis/internal/sqldb/sqldbtest"
	"github.com/jarvis-hq/jarvis/internal/vault"
)

func noJob(context.Context, *sql.Tx) error { return nil }

// The outbox's store moves a send by compare-and-set only: one owner
// claims it, a live lease keeps others out, a released or lapsed one lets
// the next attempt take over, and only the holder finishes it. Every
// method is scoped by the user; a draft is held by one pending send.
func TestOutboxStore(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) {
		ctx := context.Background()
		db := sqldbtest.Open(t, d)
		integrations := sqldb.NewIntegrations(db, vault.Cipher{Keys: keyring(t, "k1")})
		u, _ := db.EnsureUser(ctx, "a@example.com", "")
		other, _ := db.EnsureUser(ctx, "b@example.com", "")
		g := newIntegration(u.ID, "a")
		if err := integrations.UpsertGoogleIntegration(ctx, g); err != nil {
			t.Fatal(err)
		}
		o := sqldb.NewOutbox(db)
		now := time.Date(2026, 12, 5, 9, 0, 0, 0, time.UTC)
		row := &outbox.Row{ID: "0193a000-0000-7000-8000-000000000001", UserID: u.ID, AccountID: g.ID, DraftID: "r-1", ThreadID: "t1",
			Subject: "Hi", To: []string{"x@example.com"}, SendAt: now.Add(time.Second), Undo: true, Status: jarvis.SendScheduled,
			IdempotencyKey: "k", RequestHash: "h", CreatedAt: now, UpdatedAt: now}
		if err := o.InsertSend(ctx, row, noJob); err != nil {
			t.Fatal(err)
		}
		dup := *row
		dup.ID, dup.IdempotencyKey = "0193a000-0000-7000-8000-000000000002", ""
		if err := o.InsertSend(ctx, &dup, noJob); !jarvis.IsCode(err, jarvis.ECONFLICT) {
			t.Fatalf("a second pending send of the draft: %v", err)
		}
		failing := dup
		failing.DraftID = "r-2"
		if err := o.InsertSend(ctx, &failing, func(context.Context, *sql.Tx) error { return fmt.Errorf("no job") }); err == nil {
			t.Fatal("a send was stored without its job")
		}
		if _, err := o.Send(ctx, u.ID, failing.ID); !jarvis.IsCode(err, jarvis.ENOTFOUND) {
			t.Fatalf("the send whose job failed was kept: %v", err)
		}
		if _, err := o.Send(ctx, other.ID, row.ID); !jarvis.IsCode(err, jarvis.ENOTFOUND) {
			t.Fatalf("another user's send: %v", err)
		}
		if r, err := o.SendByKey(ctx, u.ID, g.ID, "k"); err != nil || r.ID != row.ID || r.Undo != true || len(r.To) != 1 || !r.SendAt.Equal(row.SendAt) {
			t.Fatalf("by key: %+v %v", r, err)
		}
		if r, err := o.ClaimSend(ctx, u.ID, row.ID, "a", now, time.Minute); err != nil || r != nil {
			t.Fatalf("claimed before its time: %+v %v", r, err)
		}
		now = now.Add(2 * time.Second)
		if r, err := o.ClaimSend(ctx, other.ID, row.ID, "x", now, time.Minute); err != nil || r != nil {
			t.Fatalf("another user claimed it: %+v %v", r, err)
		}
		a, err := o.ClaimSend(ctx, u.ID, row.ID, "a", now, time.Minute)
		if err != nil || a == nil || a.Status != jarvis.SendSending || a.Attempts != 1 || a.LeaseOwner != "a" {
			t.Fatalf("claim: %+v %v", a, err)
		}
		if r, _ := o.ClaimSend(ctx, u.ID, row.ID, "b", now, time.Minute); r != nil {
			t.Fatal("b claimed a send under a's live lease")
		}
		if r, _ := o.CancelSend(ctx, u.ID, row.ID, now); r.Status != jarvis.SendSending {
			t.Fatalf("cancelled while sending: %+v", r)
		}
		if ok, _ := o.RecordMsgID(ctx, u.ID, row.ID, "b", "<m@x>"); ok {
			t.Fatal("b recorded on a's send")
		}
		if ok, _ := o.RecordMsgID(ctx, u.ID, row.ID, "a", "<m@x>"); !ok {
			t.Fatal("a could not record the Message-ID")
		}
		if list, _ := o.OverdueSends(ctx, now, now, now, 10); len(list) != 0 {
			t.Fatalf("overdue under a live lease: %+v", list)
		}
		if list, _ := o.OverdueSends(ctx, now.Add(time.Minute), now, now, 10); len(list) != 1 {
			t.Fatalf("overdue under a lapsed lease: %+v", list)
		}
		if err := o.ReleaseSend(ctx, u.ID, row.ID, "a", jarvis.EUPSTREAM); err != nil {
			t.Fatal(err)
		}
		if list, _ := o.OverdueSends(ctx, now, now, now, 10); len(list) != 0 {
			t.Fatalf("overdue while its retry waits: %+v", list)
		}
		if list, _ := o.OverdueSends(ctx, now, now, now.Add(time.Second), 10); len(list) != 1 || list[0].ErrorCode != jarvis.EUPSTREAM {
			t.Fatalf("overdue after its retry was lost: %+v", list)
		}
		b, _ := o.ClaimSend(ctx, u.ID, row.ID, "b", now, time.Minute)
		if b == nil || b.Attempts != 2 || b.RFC822MsgID != "<m@x>" {
			t.Fatalf("take-over: %+v", b)
		}
		if ok, _ := o.FinishSend(ctx, u.ID, row.ID, "a", outbox.Outcome{Status: jarvis.SendSent, MessageID: "m1"}, now); ok {
			t.Fatal("a finished b's send")
		}
		if ok, err := o.FinishSend(ctx, u.ID, row.ID, "b", outbox.Outcome{Status: jarvis.SendSent, MessageID: "m1", ThreadID: "t2"}, now); !ok || err != nil {
			t.Fatalf("finish: %v %v", ok, err)
		}
		r, _ := o.Send(ctx, u.ID, row.ID)
		if r.Status != jarvis.SendSent || r.MessageID != "m1" || r.ThreadID != "t2" || r.LeaseOwner != "" {
			t.Fatalf("sent: %+v", r)
		}
		if p, _ := o.PendingSends(ctx, u.ID); len(p) != 0 {
			t.Fatalf("pending after the send: %+v", p)
		}
		// The draft is free again (it is gone at Gmail, but the store does
		// not care).
		if err := o.InsertSend(ctx, &dup, noJob); err != nil {
			t.Fatal(err)
		}
		if p, _ := o.PendingSends(ctx, u.ID); len(p) != 1 || p[0].ID != dup.ID {
			t.Fatalf("pending: %+v", p)
		}
		if r, _ := o.CancelSend(ctx, u.ID, dup.ID, now); r.Status != jarvis.SendCancelled {
			t.Fatalf("cancel: %+v", r)
		}
		if r, _ := o.ClaimSend(ctx, u.ID, dup.ID, "c", now.Add(time.Hour), time.Minute); r != nil {
			t.Fatal("a cancelled send was claimed")
		}
	})
}

// fakeGmail is a mailbox's drafts and sent mail, as Gmail keeps them:
// drafts.send consumes the draft. loseAnswers makes the next sends go but
// answer an error, as a lost connection does.
type fakeGmail struct {
	mu          sync.Mutex
	drafts      map[string]string // draft id → Message-ID
	sent        map[string]string // Message-ID → message id
	sends       int
	loseAnswers int
	fail        error
}

func (f *fakeGmail) CreateDraft(ctx context.Context, userID, account string, in jarvis.DraftInput) (*jarvis.Draft, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	id := fmt.Sprintf("r-%d", len(f.drafts)+len(f.sent)+1)
	f.drafts[id] = "<" + id + "@example.com>"
	return &jarvis.Draft{DraftID: id, ThreadID: "t-" + id, MessageID: "m-" + id}, nil
}

func (f *fakeGmail) DraftToSend(ctx context.Context, userID, accountID, draftID string) (*jarvis.PendingDraft, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	msgID, ok := f.drafts[draftID]
	if !ok {
		return nil, jarvis.Errorf(jarvis.ENOTFOUND, "Draft not found.")
	}
	return &jarvis.PendingDraft{DraftID: draftID, ThreadID: "t-" + draftID, RFC822MsgID: msgID}, nil
}

func (f *fakeGmail) SendDraft(ctx context.Context, userID, accountID, draftID string) (*jarvis.SentMessage, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail != nil {
		return nil, f.fail
	}
	msgID, ok := f.drafts[draftID]
	if !ok {
		return nil, jarvis.Errorf(jarvis.ENOTFOUND, "Draft not found.")
	}
	delete(f.drafts, draftID)
	f.sends++
	f.sent[msgID] = "sent-" + draftID
	if f.loseAnswers > 0 {
		f.loseAnswers--
		return nil, jarvis.Errorf(jarvis.EUPSTREAM, "Google cannot be reached.")
	}
	return &jarvis.SentMessage{MessageID: "sent-" + draftID, ThreadID: "t-" + draftID}, nil
}

func (f *fakeGmail) FindSent(ctx context.Context, userID, accountID, msgID string) (*jarvis.SentMessage, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	id, ok := f.sent[msgID]
	if !ok {
		return nil, jarvis.Errorf(jarvis.ENOTFOUND, "Message not found.")
	}
	return &jarvis.SentMessage{MessageID: id}, nil
}

type auditLog struct {
	mu      sync.Mutex
	entries []jarvis.AuditEntry
}

func (a *auditLog) Record(ctx context.Context, e jarvis.AuditEntry) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.entries = append(a.entries, e)
}

func (a *auditLog) count(action, outcome string) int {
	a.mu.Lock()
	defer a.mu.Unlock()
	n := 0
	for _, e := range a.entries {
		if e.Action == action && e.Outcome == outcome {
			n++
		}
	}
	return n
}

type accountsOf struct{ g *jarvis.GoogleIntegration }

func (a accountsOf) FindGoogleIntegration(ctx context.Context, userID, account string) (*jarvis.GoogleIntegration, error) {
	if userID != a.g.UserID {
		return nil, jarvis.Errorf(jarvis.ENOTFOUND, "Google account not found.")
	}
	return a.g, nil
}

// A send is made exactly once whatever happens to Google's answer: an
// answer lost after the message went is found out from Sent (by the
// draft's Message-ID) by the next attempt, on whichever "replica" takes it
// over; concurrent attempts send once; a draft deleted before its time
// fails the send with draft_missing; Google's refusal fails it with its
// code; passing failures are retried until MaxAttempts.
func TestOutboxSendsExactlyOnce(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) {
		ctx := context.Background()
		db := sqldbtest.Open(t, d)
		u, _ := db.EnsureUser(ctx, "a@example.com", "")
		g := newIntegration(u.ID, "a")
		if err := sqldb.NewIntegrations(db, vault.Cipher{Keys: keyring(t, "k1")}).UpsertGoogleIntegration(ctx, g); err != nil {
			t.Fatal(err)
		}
		gm := &fakeGmail{drafts: map[string]string{}, sent: map[string]string{}}
		audit := &auditLog{}
		var mu sync.Mutex
		now := time.Now().UTC()
		clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
		advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
		var jobs []string
		svc := outbox.New(outbox.Config{Store: sqldb.NewOutbox(db), Mail: gm, Drafts: gm, Accounts: accountsOf{g}, Users: db,
			Idempotency: db, Auditor: audit, Undo: 10 * time.Second, Now: clock,
			Enqueue: func(ctx context.Context, tx *sql.Tx, userID, id string, at time.Time, attempt int) error {
				jobs = append(jobs, id)
				return nil
			}})
		send := func(subject string) *jarvis.SendResult {
			t.Helper()
			res, err := svc.Send(ctx, u.ID, "", jarvis.SendInput{DraftInput: jarvis.DraftInput{To: []string{"x@example.com"}, Subject: subject}}, "")
			if err != nil {
				t.Fatal(err)
			}
			return res
		}
		status := func(id string) *jarvis.SendResult {
			t.Helper()
			for _, r := range mustList(t, svc, u.ID) {
				if r.ScheduledID == id {
					return &r
				}
			}
			return nil
		}

		lost := send("lost answer")
		if wait, err := svc.Deliver(ctx, u.ID, lost.ScheduledID); err != nil || wait < 9*time.Second || wait > 10*time.Second {
			t.Fatalf("deliver before its time: %v %v", wait, err)
		}
		advance(11 * time.Second)
		gm.loseAnswers = 1
		if _, err := svc.Deliver(ctx, u.ID, lost.ScheduledID); !jarvis.IsCode(err, jarvis.EUPSTREAM) {
			t.Fatalf("a lost answer: %v", err)
		}
		if s := status(lost.ScheduledID); s == nil || s.Status != jarvis.SendSending {
			t.Fatalf("after a lost answer: %+v", s)
		}
		if _, err := svc.Deliver(ctx, u.ID, lost.ScheduledID); err != nil { // the next attempt finds it in Sent
			t.Fatal(err)
		}
		if gm.sends != 1 || status(lost.ScheduledID) != nil || audit.count(jarvis.AuditGmailMessageSend, jarvis.OutcomeSuccess) != 1 {
			t.Fatalf("%d sends, status %+v", gm.sends, status(lost.ScheduledID))
		}
		if _, err := svc.Cancel(ctx, u.ID, lost.ScheduledID); !jarvis.IsCode(err, jarvis.ECONFLICT) {
			t.Fatalf("cancel a sent send: %v", err)
		}

		// Eight replicas at once: one send.
		race := send("raced")
		advance(11 * time.Second)
		var wg sync.WaitGroup
		for range 8 {
			wg.Add(1)
			go func() { defer wg.Done(); _, _ = svc.Deliver(ctx, u.ID, race.ScheduledID) }()
		}
		wg.Wait()
		if gm.sends != 2 || audit.count(jarvis.AuditGmailMessageSend, jarvis.OutcomeSuccess) != 2 {
			t.Fatalf("%d sends after the race, want 2", gm.sends)
		}

		// A draft deleted before its time: nothing is sent.
		gone := send("deleted")
		gm.mu.Lock()
		delete(gm.drafts, gone.DraftID)
		gm.mu.Unlock()
		advance(11 * time.Second)
		if _, err := svc.Deliver(ctx, u.ID, gone.ScheduledID); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Cancel(ctx, u.ID, gone.ScheduledID); !jarvis.IsCode(err, jarvis.ECONFLICT) {
			t.Fatalf("cancel a failed send: %v", err)
		}
		if gm.sends != 2 || audit.count(jarvis.AuditGmailMessageSend, jarvis.OutcomeFailure) != 1 {
			t.Fatalf("a deleted draft: %d sends", gm.sends)
		}

		// Google refuses the message: failed at once, with the code.
		refused := send("refused")
		advance(11 * time.Second)
		gm.fail = jarvis.Invalid("", "Recipient address required")
		if _, err := svc.Deliver(ctx, u.ID, refused.ScheduledID); err != nil {
			t.Fatal(err)
		}
		// Google is down: retried, then failed after MaxAttempts.
		down := send("down")
		advance(11 * time.Second)
		gm.fail = jarvis.Errorf(jarvis.EUPSTREAM, "Google is having trouble.")
		for i := 1; i < outbox.MaxAttempts; i++ {
			if _, err := svc.Deliver(ctx, u.ID, down.ScheduledID); err == nil {
				t.Fatalf("attempt %d did not fail", i)
			}
		}
		if _, err := svc.Deliver(ctx, u.ID, down.ScheduledID); err != nil {
			t.Fatalf("the last attempt: %v", err)
		}
		if audit.count(jarvis.AuditGmailMessageSend, jarvis.OutcomeFailure) != 3 {
			t.Fatalf("failure rows: %+v", audit.entries)
		}
		if len(mustList(t, svc, u.ID)) != 0 {
			t.Fatalf("still pending: %+v", mustList(t, svc, u.ID))
		}
		gm.fail = nil

		// Cancelled in the window: the job finds nothing to do.
		undone := send("undone")
		if _, err := svc.Cancel(ctx, u.ID, undone.ScheduledID); err != nil {
			t.Fatal(err)
		}
		advance(11 * time.Second)
		if _, err := svc.Deliver(ctx, u.ID, undone.ScheduledID); err != nil || gm.sends != 2 {
			t.Fatalf("a cancelled send: %v, %d sends", err, gm.sends)
		}
		if _, ok := gm.drafts[undone.DraftID]; !ok {
			t.Fatal("the cancelled send's draft is gone")
		}
		if len(jobs) != 6 {
			t.Fatalf("%d jobs for 6 sends", len(jobs))
		}
	})
}

func mustList(t *testing.T, svc *outbox.Service, userID string) []jarvis.SendResult {
	t.Helper()
	list, err := svc.List(context.Background(), userID)
	if err != nil {
		t.Fatal(err)
	}
	return list
}
