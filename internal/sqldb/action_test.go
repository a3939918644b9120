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

// action stores a pending draft the assistant proposed in the fixture's
// answer, for userID, expiring a day from the database's now.
func (f *chatFixture) action(t *testing.T, userID, payload string) *jarvis.Action {
	t.Helper()
	a := &jarvis.Action{UserID: userID, Kind: jarvis.ActionDraftCreate, Status: jarvis.ActionPending, Summary: "Create a draft",
		Requester: jarvis.Requester{Type: jarvis.RequesterAssistant, Name: "Jarvis assistant", Tool: "create_draft", MessageID: f.answer.ID},
		Payload:   json.RawMessage(payload), ExpiresAt: f.db.Now().Add(24 * time.Hour),
		Policy: jarvis.ActionPolicy{Verdict: jarvis.VerdictApprovalRequired, Flags: []string{jarvis.FlagOutsideAllowedDomains}}}
	if err := f.db.InsertAction(context.Background(), a); err != nil {
		t.Fatal(err)
	}
	return a
}

const draftPayload = `{"account":"","to":["x@evil.example"],"cc":[],"bcc":[],"subject":"Hi","body_text":"Body"}`

// An action is decided once (of racing decisions one wins), only by its
// owner, and its outcome is recorded once.
func TestActionsAreSingleUse(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) {
		ctx := context.Background()
		f := newChatFixture(t, d)
		db := f.db
		// An action cannot name another user's message.
		bad := &jarvis.Action{UserID: f.bob.ID, Kind: jarvis.ActionDraftCreate, Status: jarvis.ActionPending, Payload: json.RawMessage(`{}`),
			Requester: jarvis.Requester{Type: jarvis.RequesterAssistant, MessageID: f.answer.ID}, ExpiresAt: time.Now().Add(time.Hour)}
		if err := db.InsertAction(ctx, bad); !jarvis.IsCode(err, jarvis.ENOTFOUND) {
			t.Fatalf("action on another user's message: %v", err)
		}
		a := f.action(t, f.ada.ID, draftPayload)
		if a.ID == "" || a.Requester.ID != f.conv.ID {
			t.Fatalf("action %+v", a)
		}
		got, err := db.FindAction(ctx, f.ada.ID, a.ID)
		if err != nil || string(got.Payload) != draftPayload || got.Status != jarvis.ActionPending || got.DecidedAt != nil || got.Result != nil ||
			got.Policy.Flags[0] != jarvis.FlagOutsideAllowedDomains || got.Requester.Tool != "create_draft" {
			t.Fatalf("find: %v %+v", err, got)
		}
		if _, err := db.FindAction(ctx, f.bob.ID, a.ID); !jarvis.IsCode(err, jarvis.ENOTFOUND) {
			t.Fatalf("bob finds it: %v", err)
		}
		if _, err := db.DecideAction(ctx, f.bob.ID, a.ID, jarvis.ActionApproved, f.bob.ID, db.Now().Add(time.Minute)); !jarvis.IsCode(err, jarvis.ENOTFOUND) {
			t.Fatalf("bob decides: %v", err)
		}
		if _, err := db.DecideAction(ctx, f.ada.ID, a.ID, jarvis.ActionExecuted, f.ada.ID, db.Now().Add(time.Minute)); !jarvis.IsCode(err, jarvis.EINVALID) {
			t.Fatalf("decide executed: %v", err)
		}

		var wg sync.WaitGroup
		errs := make([]error, 8)
		for i := range errs {
			wg.Go(func() {
				st := jarvis.ActionApproved
				if i%2 == 1 {
					st = jarvis.ActionRejected
				}
				_, errs[i] = db.DecideAction(ctx, f.ada.ID, a.ID, st, f.ada.ID, db.Now().Add(time.Minute))
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
		got, _ = db.FindAction(ctx, f.ada.ID, a.ID)
		if got.DecidedAt == nil || got.DecidedBy != f.ada.ID || (got.Status != jarvis.ActionApproved && got.Status != jarvis.ActionRejected) {
			t.Fatalf("decided %+v", got)
		}

		// The outcome is recorded once, and only on an approved action.
		b := f.action(t, f.ada.ID, draftPayload)
		if _, err := db.FinishAction(ctx, f.ada.ID, b.ID, json.RawMessage(`{"draft_id":"r1"}`), ""); !jarvis.IsCode(err, jarvis.ECONFLICT) {
			t.Fatalf("result on a pending action: %v", err)
		}
		if _, err := db.DecideAction(ctx, f.ada.ID, b.ID, jarvis.ActionApproved, f.ada.ID, db.Now().Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		done, err := db.FinishAction(ctx, f.ada.ID, b.ID, json.RawMessage(`{"draft_id":"r1","message_id":"m1","thread_id":"t1"}`), "")
		if err != nil || done.Status != jarvis.ActionExecuted {
			t.Fatalf("finish: %+v %v", done, err)
		}
		if _, err := db.FinishAction(ctx, f.ada.ID, b.ID, nil, "upstream_unavailable"); !jarvis.IsCode(err, jarvis.ECONFLICT) {
			t.Fatalf("second outcome: %v", err)
		}
		if _, err := db.FinishAction(ctx, f.bob.ID, b.ID, nil, "x"); !jarvis.IsCode(err, jarvis.ENOTFOUND) {
			t.Fatalf("bob finishes: %v", err)
		}
		msgs, err := db.ListChatMessages(ctx, f.ada.ID, f.conv.ID)
		if err != nil || len(msgs[1].Approvals) != 2 {
			t.Fatalf("approvals in messages: %v %+v", err, msgs)
		}
		if r := msgs[1].Approvals[1]; r.ID != b.ID || r.ActionID != b.ID || r.Status != jarvis.ApprovalApproved || r.Result == nil || r.Result.DraftID != "r1" ||
			r.Result.ThreadID != "t1" || r.Proposal.To[0] != "x@evil.example" {
			t.Fatalf("approved %+v", r)
		}

		// A failure marks the action failed, with its code.
		c := f.action(t, f.ada.ID, draftPayload)
		_, _ = db.DecideAction(ctx, f.ada.ID, c.ID, jarvis.ActionApproved, f.ada.ID, db.Now().Add(time.Minute))
		if _, err := db.FinishAction(ctx, f.ada.ID, c.ID, nil, "upstream_unavailable"); err != nil {
			t.Fatal(err)
		}
		if got, _ := db.FindAction(ctx, f.ada.ID, c.ID); got.Status != jarvis.ActionFailed || got.Result != nil || got.ErrorCode != "upstream_unavailable" {
			t.Fatalf("failed %+v", got)
		}

		// Only sends asked for by an agent and approved count against the cap.
		since := db.Now().Add(-time.Hour)
		for _, st := range []string{jarvis.ActionPending, jarvis.ActionApproved} {
			x := &jarvis.Action{UserID: f.ada.ID, Kind: jarvis.ActionMessageSend, Status: st, Payload: json.RawMessage(`{}`), Sends: true,
				Requester: jarvis.Requester{Type: jarvis.RequesterClient, ID: "https://client.example"}, ExpiresAt: db.Now().Add(time.Hour)}
			if st == jarvis.ActionApproved {
				now := db.Now()
				lease := now.Add(time.Minute)
				x.DecidedAt, x.DecidedBy, x.RunLeaseUntil = &now, jarvis.DecidedByPolicy, &lease
			}
			if err := db.InsertAction(ctx, x); err != nil {
				t.Fatal(err)
			}
		}
		if n, err := db.CountAgentSends(ctx, f.ada.ID, since); err != nil || n != 1 {
			t.Fatalf("agent sends %d, %v", n, err)
		}
		if n, _ := db.CountAgentSends(ctx, f.bob.ID, since); n != 0 {
			t.Fatalf("bob's agent sends %d", n)
		}

		// Deleting the conversation takes the actions asked for in it.
		if err := db.DeleteConversation(ctx, f.ada.ID, f.conv.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := db.DecideAction(ctx, f.ada.ID, a.ID, jarvis.ActionRejected, f.ada.ID, db.Now().Add(time.Minute)); !jarvis.IsCode(err, jarvis.ENOTFOUND) {
			t.Fatalf("decide after delete: %v", err)
		}
	})
}

// A pending action can be decided until it expires; then it reads as
// expired, deciding it is EEXPIRED whichever way, and ExpireActions marks it
// once.
func TestActionsExpire(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) {
		ctx := context.Background()
		f := newChatFixture(t, d)
		db := f.db
		clock := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
		db.Now = func() time.Time { return clock }
		a, b := f.action(t, f.ada.ID, draftPayload), f.action(t, f.ada.ID, draftPayload)
		expires := clock.Add(24 * time.Hour)
		clock = expires.Add(-time.Microsecond)
		if got, _ := db.FindAction(ctx, f.ada.ID, a.ID); got.Status != jarvis.ActionPending || !got.ExpiresAt.Equal(expires) {
			t.Fatalf("before expiry %+v", got)
		}
		if _, err := db.DecideAction(ctx, f.ada.ID, b.ID, jarvis.ActionRejected, f.ada.ID, db.Now().Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		if page, _ := db.ListActions(ctx, f.ada.ID, jarvis.ActionFilter{Status: jarvis.ActionPending}); len(page.Actions) != 1 || page.Actions[0].ID != a.ID {
			t.Fatalf("pending before expiry %+v", page)
		}
		clock = expires
		if got, _ := db.FindAction(ctx, f.ada.ID, a.ID); got.Status != jarvis.ActionExpired {
			t.Fatalf("at expiry %+v", got)
		}
		for _, st := range []string{jarvis.ActionApproved, jarvis.ActionRejected} {
			if _, err := db.DecideAction(ctx, f.ada.ID, a.ID, st, f.ada.ID, db.Now().Add(time.Minute)); !jarvis.IsCode(err, jarvis.EEXPIRED) {
				t.Fatalf("deciding an expired action (%s): %v", st, err)
			}
		}
		if page, _ := db.ListActions(ctx, f.ada.ID, jarvis.ActionFilter{Status: jarvis.ActionPending}); len(page.Actions) != 0 {
			t.Fatalf("pending after expiry %+v", page)
		}
		if page, _ := db.ListActions(ctx, f.ada.ID, jarvis.ActionFilter{Status: jarvis.ActionExpired}); len(page.Actions) != 1 || page.Actions[0].ID != a.ID {
			t.Fatalf("expired, unmarked %+v", page)
		}
		// Racing markers: each expired action is marked (and so audited) once.
		var wg sync.WaitGroup
		var mu sync.Mutex
		marked := 0
		for range 4 {
			wg.Go(func() {
				got, err := db.ExpireActions(ctx, f.ada.ID)
				if err != nil {
					t.Error(err)
				}
				mu.Lock()
				marked += len(got)
				mu.Unlock()
			})
		}
		wg.Wait()
		if marked != 1 {
			t.Fatalf("marked %d times, want once", marked)
		}
		if page, _ := db.ListActions(ctx, f.ada.ID, jarvis.ActionFilter{Status: jarvis.ActionExpired}); len(page.Actions) != 1 || page.Actions[0].ID != a.ID {
			t.Fatalf("expired, marked %+v", page)
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
	})
}

// Actions list newest first, in pages, by status, only the user's.
func TestActionPages(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) {
		ctx := context.Background()
		f := newChatFixture(t, d)
		db := f.db
		var ids []string
		for range 5 {
			ids = append(ids, f.action(t, f.ada.ID, draftPayload).ID)
		}
		var seen []string
		tok := ""
		for {
			page, err := db.ListActions(ctx, f.ada.ID, jarvis.ActionFilter{Limit: 2, PageToken: tok})
			if err != nil {
				t.Fatal(err)
			}
			for _, a := range page.Actions {
				seen = append(seen, a.ID)
			}
			if tok = page.NextPageToken; tok == "" {
				break
			}
		}
		if len(seen) != 5 || seen[0] != ids[4] || seen[4] != ids[0] {
			t.Fatalf("pages %v, inserted %v", seen, ids)
		}
		if page, _ := db.ListActions(ctx, f.bob.ID, jarvis.ActionFilter{}); len(page.Actions) != 0 {
			t.Fatalf("bob lists %+v", page)
		}
		if _, err := db.ListActions(ctx, f.ada.ID, jarvis.ActionFilter{Status: "done"}); !jarvis.IsCode(err, jarvis.EINVALID) {
			t.Fatalf("bad status: %v", err)
		}
		if _, err := db.ListActions(ctx, f.ada.ID, jarvis.ActionFilter{PageToken: "x_y"}); !jarvis.IsCode(err, jarvis.EINVALID) {
			t.Fatalf("bad token: %v", err)
		}
	})
}

// Policies are kept per user and per org, and read back as stored.
func TestPolicies(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) {
		ctx := context.Background()
		f := newChatFixture(t, d)
		db := f.db
		if p, err := db.UserPolicy(ctx, f.ada.ID); p != nil || err != nil {
			t.Fatalf("no policy yet: %+v %v", p, err)
		}
		p := jarvis.Policy{AutoApprove: []string{jarvis.ActionThreadModify}, DraftsOnly: true, AllowedRecipientDomains: []string{"example.com"}, MaxAgentSendsPerDay: 5,
			WorkingHours: &jarvis.WorkingHours{TimeZone: "Europe/Paris", Days: []string{"mon"}, Start: "08:00", End: "12:00"}}
		for range 2 {
			if err := db.PutUserPolicy(ctx, f.ada.ID, p); err != nil {
				t.Fatal(err)
			}
		}
		got, err := db.UserPolicy(ctx, f.ada.ID)
		if err != nil || got.MaxAgentSendsPerDay != 5 || !got.DraftsOnly || got.WorkingHours.TimeZone != "Europe/Paris" || got.AutoApprove[0] != jarvis.ActionThreadModify {
			t.Fatalf("policy %+v %v", got, err)
		}
		if p, _ := db.UserPolicy(ctx, f.bob.ID); p != nil {
			t.Fatalf("bob's policy %+v", p)
		}
		orgs, err := db.ListOrgsForUser(ctx, f.ada.ID)
		if err != nil || len(orgs) == 0 {
			t.Fatalf("orgs %v %v", orgs, err)
		}
		if err := db.PutOrgPolicy(ctx, orgs[0].ID, jarvis.Policy{DraftsOnly: true}, f.ada.ID); err != nil {
			t.Fatal(err)
		}
		if got, err := db.OrgPolicy(ctx, orgs[0].ID); err != nil || !got.DraftsOnly {
			t.Fatalf("org policy %+v %v", got, err)
		}
	})
}

// An approved action runs under a lease: while it holds, no sweep takes
// it; once it lapsed, of replicas sweeping at once exactly one takes it
// (a new lease, one run more); after the last run allowed it is failed as
// interrupted, once, and never taken again.
func TestInterruptedActionsAreClaimedOnce(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) {
		ctx := context.Background()
		f := newChatFixture(t, d)
		db := f.db
		clock := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
		db.Now = func() time.Time { return clock }
		const lease = 3 * time.Minute
		a, pending := f.action(t, f.ada.ID, draftPayload), f.action(t, f.ada.ID, draftPayload)
		got, err := db.DecideAction(ctx, f.ada.ID, a.ID, jarvis.ActionApproved, f.ada.ID, clock.Add(lease))
		if err != nil || got.RunAttempts != 1 || got.RunLeaseUntil == nil || !got.RunLeaseUntil.Equal(clock.Add(lease)) {
			t.Fatalf("approved %+v %v", got, err)
		}
		if got, _ := db.FindAction(ctx, f.ada.ID, pending.ID); got.RunAttempts != 0 || got.RunLeaseUntil != nil {
			t.Fatalf("pending %+v", got)
		}
		claim := func(now time.Time) *jarvis.Action {
			t.Helper()
			got, err := db.ClaimInterruptedAction(ctx, now, now.Add(lease), jarvis.MaxActionRuns)
			if err != nil {
				t.Fatal(err)
			}
			return got
		}
		if got := claim(clock.Add(lease - time.Second)); got != nil {
			t.Fatalf("claimed under its lease: %+v", got)
		}
		// Racing sweeps: one takes each lapsed lease.
		for run := 2; run <= jarvis.MaxActionRuns+1; run++ {
			clock = clock.Add(lease + time.Second)
			var wg sync.WaitGroup
			var mu sync.Mutex
			var won []*jarvis.Action
			for range 4 {
				wg.Go(func() {
					if got := claim(clock); got != nil {
						mu.Lock()
						won = append(won, got)
						mu.Unlock()
					}
				})
			}
			wg.Wait()
			if len(won) != 1 || won[0].ID != a.ID {
				t.Fatalf("run %d: claimed %d times, want once: %+v", run, len(won), won)
			}
			got := won[0]
			if run <= jarvis.MaxActionRuns {
				if got.Status != jarvis.ActionApproved || got.RunAttempts != run || !got.RunLeaseUntil.Equal(clock.Add(lease)) {
					t.Fatalf("run %d: %+v", run, got)
				}
				continue
			}
			if got.Status != jarvis.ActionFailed || got.ErrorCode != jarvis.ErrorCodeInterrupted || got.RunAttempts != jarvis.MaxActionRuns {
				t.Fatalf("after %d runs: %+v", jarvis.MaxActionRuns, got)
			}
		}
		if got := claim(clock.Add(time.Hour)); got != nil {
			t.Fatalf("a failed action claimed again: %+v", got)
		}
		// One finished within its lease is never taken.
		b := f.action(t, f.ada.ID, draftPayload)
		if _, err := db.DecideAction(ctx, f.ada.ID, b.ID, jarvis.ActionApproved, f.ada.ID, clock.Add(lease)); err != nil {
			t.Fatal(err)
		}
		if _, err := db.FinishAction(ctx, f.ada.ID, b.ID, json.RawMessage(`{}`), ""); err != nil {
			t.Fatal(err)
		}
		if got := claim(clock.Add(time.Hour)); got != nil {
			t.Fatalf("an executed action claimed: %+v", got)
		}
	})
}
