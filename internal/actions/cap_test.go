package actions_test

import (
	"context"
	"encoding/json"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/jarvis-hq/jarvis"
	"github.com/jarvis-hq/jarvis/internal/actions"
	"github.com/jarvis-hq/jarvis/internal/sqldb"
	"github.com/jarvis-hq/jarvis/internal/sqldb/sqldbtest"
)

// bus records the events the queue publishes.
type bus struct {
	mu sync.Mutex
	e  []string
}

func (b *bus) Publish(_ context.Context, userID, typ string, data any) error {
	ev := data.(jarvis.ActionEvent)
	b.mu.Lock()
	defer b.mu.Unlock()
	b.e = append(b.e, userID+" "+typ+" "+ev.ActionID+" "+ev.Status)
	return nil
}

// TestDailyCapHoldsUnderConcurrentRequests: agent sends the policy
// auto-approves, asked for at the same moment, run no more often than the
// daily cap allows; the others wait for the owner, flagged.
func TestDailyCapHoldsUnderConcurrentRequests(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) {
		ctx := context.Background()
		db := sqldbtest.Open(t, d)
		send := &fakeSend{}
		q, err := actions.New(actions.Config{Store: db, Executors: map[string]jarvis.ActionExecutor{jarvis.ActionMessageSend: send}})
		if err != nil {
			t.Fatal(err)
		}
		ada, _ := db.EnsureUser(ctx, "ada@example.com", "Ada")
		const limit, n = 3, 12
		if _, err := q.PutUserPolicy(ctx, ada.ID, jarvis.Policy{AutoApprove: []string{jarvis.ActionMessageSend}, MaxAgentSendsPerDay: limit}); err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		got := make([]*jarvis.Action, n)
		errs := make([]error, n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				got[i], errs[i] = q.Request(ctx, ada.ID, agent, jarvis.ActionMessageSend, json.RawMessage(`{"to":["carol@example.com"]}`))
			}()
		}
		wg.Wait()
		executed, capped := 0, 0
		for i, a := range got {
			if errs[i] != nil {
				t.Fatalf("request %d: %v", i, errs[i])
			}
			switch {
			case a.Status == jarvis.ActionExecuted && a.Policy.Verdict == jarvis.VerdictAutoApproved:
				executed++
			case a.Status == jarvis.ActionPending && slices.Equal(a.Policy.Flags, []string{jarvis.FlagDailySendCap}):
				capped++
			default:
				t.Fatalf("request %d: %+v", i, a)
			}
		}
		if executed != limit || capped != n-limit || len(send.runs) != limit {
			t.Fatalf("%d executed, %d capped, %d sent; want %d, %d, %d", executed, capped, len(send.runs), limit, n-limit, limit)
		}
		if c, err := db.CountAgentSends(ctx, ada.ID, got[0].CreatedAt.AddDate(0, 0, -1)); err != nil || c != limit {
			t.Fatalf("count %d %v", c, err)
		}
	})
}

// TestActionEventsArePublished: each step of an action reaches the
// owner's event stream, named as its audit row, without the payload.
func TestActionEventsArePublished(t *testing.T) {
	ctx := context.Background()
	db := sqldbtest.Open(t, sqldb.SQLite)
	now := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	var clockMu sync.Mutex
	clock := func() time.Time { clockMu.Lock(); defer clockMu.Unlock(); return now }
	db.Now = clock
	send, b := &fakeSend{}, &bus{}
	q, err := actions.New(actions.Config{Store: db, Clock: jarvis.ClockFunc(clock), TTL: time.Hour,
		Executors: map[string]jarvis.ActionExecutor{jarvis.ActionMessageSend: send}})
	if err != nil {
		t.Fatal(err)
	}
	q.SetNotifier(b)
	ada, _ := db.EnsureUser(ctx, "ada@example.com", "Ada")
	payload := json.RawMessage(`{"to":["carol@example.com"]}`)
	a1, _ := q.Request(ctx, ada.ID, agent, jarvis.ActionMessageSend, payload)
	a2, _ := q.Request(ctx, ada.ID, agent, jarvis.ActionMessageSend, payload)
	a3, _ := q.Request(ctx, ada.ID, agent, jarvis.ActionMessageSend, payload)
	if _, err := q.Approve(ctx, ada.ID, a1.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := q.Reject(ctx, ada.ID, a2.ID); err != nil {
		t.Fatal(err)
	}
	send.fail = &jarvis.Error{Code: jarvis.EUPSTREAM, Message: "Gmail is unavailable."}
	_, _ = q.Approve(ctx, ada.ID, a3.ID)
	a4, _ := q.Request(ctx, ada.ID, agent, jarvis.ActionMessageSend, payload)
	clockMu.Lock()
	now = now.Add(2 * time.Hour)
	clockMu.Unlock()
	if _, err := q.ListActions(ctx, ada.ID, jarvis.ActionFilter{}); err != nil {
		t.Fatal(err)
	}
	want := []string{
		ada.ID + " action.requested " + a1.ID + " pending",
		ada.ID + " action.requested " + a2.ID + " pending",
		ada.ID + " action.requested " + a3.ID + " pending",
		ada.ID + " action.approved " + a1.ID + " approved",
		ada.ID + " action.executed " + a1.ID + " executed",
		ada.ID + " action.rejected " + a2.ID + " rejected",
		ada.ID + " action.approved " + a3.ID + " approved",
		ada.ID + " action.failed " + a3.ID + " failed",
		ada.ID + " action.requested " + a4.ID + " pending",
		ada.ID + " action.expired " + a4.ID + " expired",
	}
	if !slices.Equal(b.e, want) {
		t.Fatalf("events\n%v\nwant\n%v", b.e, want)
	}
}
