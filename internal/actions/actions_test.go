package actions_test

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/jarvis-hq/jarvis"
	"github.com/jarvis-hq/jarvis/internal/actions"
	"github.com/jarvis-hq/jarvis/internal/sqldb"
	"github.com/jarvis-hq/jarvis/internal/sqldb/sqldbtest"
)

// fakeSend is an executor of a send: its payload names the recipients.
type fakeSend struct {
	mu   sync.Mutex
	runs []string
	fail error
}

func (f *fakeSend) Prepare(_ context.Context, _ string, payload json.RawMessage) (*jarvis.PreparedAction, error) {
	var p struct {
		To []string `json:"to"`
	}
	if err := json.Unmarshal(payload, &p); err != nil || len(p.To) == 0 {
		return nil, jarvis.Invalid("to", "to is required.")
	}
	return &jarvis.PreparedAction{Payload: payload, Summary: "Send", Recipients: p.To, Sends: true}, nil
}

func (f *fakeSend) Execute(_ context.Context, _ string, payload json.RawMessage) (json.RawMessage, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail != nil {
		return nil, f.fail
	}
	f.runs = append(f.runs, string(payload))
	return json.RawMessage(`{"message_id":"m1"}`), nil
}

type auditLog struct {
	mu sync.Mutex
	e  []jarvis.AuditEntry
}

func (a *auditLog) Record(_ context.Context, e jarvis.AuditEntry) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.e = append(a.e, e)
}

func (a *auditLog) count(action string) int {
	a.mu.Lock()
	defer a.mu.Unlock()
	n := 0
	for _, e := range a.e {
		if e.Action == action {
			n++
		}
	}
	return n
}

var agent = jarvis.Requester{Type: jarvis.RequesterClient, ID: "https://client.example/app", Name: "Client"}

func TestQueueAndPolicy(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) {
		ctx := context.Background()
		db := sqldbtest.Open(t, d)
		now := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
		var clockMu sync.Mutex
		clock := func() time.Time { clockMu.Lock(); defer clockMu.Unlock(); return now }
		db.Now = clock
		send, audit := &fakeSend{}, &auditLog{}
		q, err := actions.New(actions.Config{Store: db, Auditor: audit, Clock: jarvis.ClockFunc(clock), TTL: time.Hour,
			Executors: map[string]jarvis.ActionExecutor{jarvis.ActionMessageSend: send}})
		if err != nil {
			t.Fatal(err)
		}
		ada, _ := db.EnsureUser(ctx, "ada@example.com", "Ada")
		bob, _ := db.EnsureUser(ctx, "bob@example.com", "Bob")
		payload := json.RawMessage(`{"to":["carol@example.com"]}`)

		if _, err := q.Request(ctx, ada.ID, agent, "gmail.delete_forever", payload); !jarvis.IsCode(err, jarvis.EINVALID) {
			t.Fatalf("unknown kind: %v", err)
		}
		if _, err := q.Request(ctx, ada.ID, agent, jarvis.ActionMessageSend, json.RawMessage(`{}`)); !jarvis.IsCode(err, jarvis.EINVALID) {
			t.Fatalf("bad payload: %v", err)
		}
		// No policy: an agent's send waits; the owner's own runs.
		a, err := q.Request(ctx, ada.ID, agent, jarvis.ActionMessageSend, payload)
		if err != nil || a.Status != jarvis.ActionPending || a.Policy.Verdict != jarvis.VerdictApprovalRequired || len(send.runs) != 0 {
			t.Fatalf("agent's send %+v %v", a, err)
		}
		own, err := q.Request(ctx, ada.ID, jarvis.Requester{Type: jarvis.RequesterUser}, jarvis.ActionMessageSend, payload)
		if err != nil || own.Status != jarvis.ActionExecuted || own.DecidedBy != ada.ID || own.Policy.Verdict != jarvis.VerdictOwner {
			t.Fatalf("owner's send %+v %v", own, err)
		}
		if _, err := q.Approve(ctx, bob.ID, a.ID); !jarvis.IsCode(err, jarvis.ENOTFOUND) {
			t.Fatalf("bob approves: %v", err)
		}
		done, err := q.Approve(ctx, ada.ID, a.ID)
		if err != nil || done.Status != jarvis.ActionExecuted || string(done.Result) != `{"message_id":"m1"}` || len(send.runs) != 2 || send.runs[1] != string(payload) {
			t.Fatalf("approved %+v %v (runs %v)", done, err, send.runs)
		}
		if _, err := q.Reject(ctx, ada.ID, a.ID); !jarvis.IsCode(err, jarvis.ECONFLICT) {
			t.Fatalf("reject after approval: %v", err)
		}

		// Auto-approved within limits; flagged outside them.
		if _, err := q.PutUserPolicy(ctx, ada.ID, jarvis.Policy{AutoApprove: []string{"gmail.nothing"}}); !jarvis.IsCode(err, jarvis.EINVALID) || fieldOf(err) != "auto_approve" {
			t.Fatalf("bad policy: %v", err)
		}
		if _, err := q.PutUserPolicy(ctx, ada.ID, jarvis.Policy{AutoApprove: []string{jarvis.ActionMessageSend}, AllowedRecipientDomains: []string{"example.com"},
			MaxAgentSendsPerDay: 2}); err != nil {
			t.Fatal(err)
		}
		auto, err := q.Request(ctx, ada.ID, agent, jarvis.ActionMessageSend, payload)
		if err != nil || auto.Status != jarvis.ActionExecuted || auto.DecidedBy != jarvis.DecidedByPolicy || auto.Policy.Verdict != jarvis.VerdictAutoApproved {
			t.Fatalf("auto-approved %+v %v", auto, err)
		}
		out, _ := q.Request(ctx, ada.ID, agent, jarvis.ActionMessageSend, json.RawMessage(`{"to":["carol@example.com","x@evil.example"]}`))
		if out.Status != jarvis.ActionPending || !slices.Equal(out.Policy.Flags, []string{jarvis.FlagOutsideAllowedDomains, jarvis.FlagDailySendCap}) {
			t.Fatalf("outside the domains %+v", out)
		}
		// The approved agent send and the auto-run one reached the cap of 2.
		capped, _ := q.Request(ctx, ada.ID, agent, jarvis.ActionMessageSend, payload)
		if capped.Status != jarvis.ActionPending || !slices.Equal(capped.Policy.Flags, []string{jarvis.FlagDailySendCap}) {
			t.Fatalf("over the cap %+v", capped)
		}

		// The org's floor: drafts only, and no kind auto-approved.
		orgs, _ := db.ListOrgsForUser(ctx, ada.ID)
		if _, err := q.PutOrgPolicy(ctx, orgs[0].ID, ada.ID, jarvis.Policy{DraftsOnly: true}); err != nil {
			t.Fatal(err)
		}
		view, err := q.UserPolicy(ctx, ada.ID)
		if err != nil || len(view.Effective.AutoApprove) != 0 || !view.Effective.DraftsOnly || len(view.Own.AutoApprove) != 1 {
			t.Fatalf("merged %+v %v", view, err)
		}
		floored, _ := q.Request(ctx, ada.ID, agent, jarvis.ActionMessageSend, payload)
		if floored.Status != jarvis.ActionPending || !slices.Contains(floored.Policy.Flags, jarvis.FlagDraftsOnly) {
			t.Fatalf("under the floor %+v", floored)
		}

		// A failure is recorded and returned, never retried.
		send.fail = &jarvis.Error{Code: jarvis.EUPSTREAM, Message: "Gmail is unavailable."}
		failed, err := q.Approve(ctx, ada.ID, floored.ID)
		if !jarvis.IsCode(err, jarvis.EUPSTREAM) || failed.Status != jarvis.ActionFailed || failed.ErrorCode != jarvis.EUPSTREAM {
			t.Fatalf("failed %+v %v", failed, err)
		}
		if _, err := q.Approve(ctx, ada.ID, floored.ID); !jarvis.IsCode(err, jarvis.ECONFLICT) {
			t.Fatalf("approve a failed action: %v", err)
		}

		// Past its expiry nothing can decide it, and it is marked (and
		// audited) once.
		clockMu.Lock()
		now = now.Add(time.Hour)
		clockMu.Unlock()
		for _, fn := range []func(context.Context, string, string) (*jarvis.Action, error){q.Approve, q.Reject, q.Approve} {
			if _, err := fn(ctx, ada.ID, out.ID); !jarvis.IsCode(err, jarvis.EEXPIRED) {
				t.Fatalf("decide expired: %v", err)
			}
		}
		page, err := q.ListActions(ctx, ada.ID, jarvis.ActionFilter{Status: jarvis.ActionExpired})
		if err != nil || len(page.Actions) != 2 {
			t.Fatalf("expired %+v %v", page, err)
		}
		if n := audit.count(jarvis.AuditActionExpired); n != 2 {
			t.Fatalf("%d expiry rows, want 2 (one per action)", n)
		}
		if n := audit.count(jarvis.AuditActionExecuted); n != 3 {
			t.Fatalf("%d executed rows, want 3", n)
		}
		for _, e := range audit.e {
			if _, ok := e.Metadata["payload"]; ok {
				t.Fatalf("audit row holds the payload: %+v", e)
			}
		}
	})
}

func fieldOf(err error) string {
	var je *jarvis.Error
	if errors.As(err, &je) {
		return je.Field
	}
	return ""
}
