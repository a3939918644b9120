package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/api/calendar/v3"

	"github.com/jarvis-hq/jarvis"
	"github.com/jarvis-hq/jarvis/internal/actions"
	"github.com/jarvis-hq/jarvis/internal/sqldb"
	"github.com/jarvis-hq/jarvis/internal/sqldb/sqldbtest"
)

// crashPlan says at which step each run of an action dies, as a process
// killed there would: plan[id][r-1] is the step run r dies at ("" lives).
type crashPlan struct {
	mu   sync.Mutex
	plan map[string][]string
	runs map[string]int // runs started, by action
}

func newCrashPlan() *crashPlan {
	return &crashPlan{plan: map[string][]string{}, runs: map[string]int{}}
}

func (c *crashPlan) set(id string, steps ...string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.plan[id] = steps
}

// interrupt is actions.Config.Interrupt.
func (c *crashPlan) interrupt(a *jarvis.Action, step string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if step == actions.StepExecute {
		c.runs[a.ID]++
	}
	steps := c.plan[a.ID]
	return a.RunAttempts >= 1 && a.RunAttempts <= len(steps) && steps[a.RunAttempts-1] == step
}

func (c *crashPlan) started(id string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.runs[id]
}

// withActionRuns sets how a test Jarvis runs interrupted actions again.
func withActionRuns(r ActionRuns) func(*Main) {
	return func(m *Main) { m.ActionRuns = r }
}

// eventsNamed counts the user's events in [from, to) by summary.
func eventsNamed(t *testing.T, e *testEnv, userID string, from, to time.Time) map[string]int {
	t.Helper()
	page, err := e.Main.Google.Events(context.Background(), userID, "", from, to, 250)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	for _, ev := range page.Events {
		if ev.Status != "cancelled" {
			out[ev.Summary]++
		}
	}
	return out
}

// actionStatus reads an action as stored.
func actionStatus(t *testing.T, e *testEnv, userID, id string) *jarvis.Action {
	t.Helper()
	a, err := e.Main.DB.FindAction(context.Background(), userID, id)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// An approved action whose process dies before recording how it went is
// run again by the next process's sweep, and does what it does once: a
// send interrupted after it was handed to the outbox reaches the
// recipient once; an event create interrupted before it ran is created
// once. One interrupted on every run is failed as interrupted after
// jarvis.MaxActionRuns runs, audited, and runs no more.
func TestInterruptedActionRunsOnce(t *testing.T) {
	t.Parallel()
	oneDB(t, func(t *testing.T, d sqldb.Dialect) {
		plan := newCrashPlan()
		undo := withUndo(200 * time.Millisecond)
		// The first process: leases that lapse soon after it is gone (not
		// before: its own sweep must not find them), no sweep after its
		// start.
		a := startEnv(t, envOptions{dialect: d, configure: undo,
			main: withActionRuns(ActionRuns{Lease: 5 * time.Second, SweepEvery: time.Hour, Interrupt: plan.interrupt})})
		logsOnFailure(t, a)
		tok := a.signIn(ada)
		userID := a.me(tok).User.ID
		ctx := context.Background()
		client := jarvis.Requester{Type: jarvis.RequesterClient, ID: "https://client.example/app", Name: "Client"}
		start := time.Now().UTC().AddDate(0, 0, 3).Truncate(time.Hour)
		request := func(kind, payload string) *jarvis.Action {
			t.Helper()
			x, err := a.Main.actions.Request(ctx, userID, client, kind, json.RawMessage(payload))
			if err != nil || x.Status != jarvis.ActionPending {
				t.Fatalf("request %s: %+v %v", kind, x, err)
			}
			return x
		}
		event := func(summary string, h int) string {
			return fmt.Sprintf(`{"summary":%q,"start":%q,"end":%q,"time_zone":"UTC"}`, summary,
				start.Add(time.Duration(h)*time.Hour).Format("2006-01-02T15:04"), start.Add(time.Duration(h+1)*time.Hour).Format("2006-01-02T15:04"))
		}
		send := request(jarvis.ActionMessageSend, `{"to":["`+grace+`"],"subject":"Interrupted send","body_text":"Once."}`)
		create := request(jarvis.ActionEventCreate, event("Interrupted create", 0))
		doomed := request(jarvis.ActionEventCreate, event("Doomed create", 2))
		plan.set(send.ID, actions.StepFinish)    // sent, not recorded
		plan.set(create.ID, actions.StepExecute) // approved, never run
		plan.set(doomed.ID, actions.StepExecute, actions.StepFinish, actions.StepExecute)
		for _, x := range []*jarvis.Action{send, create, doomed} {
			if _, err := a.Main.actions.Approve(ctx, userID, x.ID); !jarvis.IsCode(err, jarvis.EUNAVAILABLE) {
				t.Fatalf("approve %s: %v, want the run interrupted", x.Kind, err)
			}
			if got := actionStatus(t, a, userID, x.ID); got.Status != jarvis.ActionApproved || got.RunAttempts != 1 {
				t.Fatalf("after the crash: %+v", got)
			}
		}
		a.Main.Close()

		// The next process finds them, their leases lapsed, and runs them.
		b := startEnv(t, envOptions{dbURL: a.Main.Config.DatabaseURL, secrets: a.Main.Config, sandbox: a.Sandbox, configure: undo,
			main: withActionRuns(ActionRuns{Lease: 2 * time.Second, SweepEvery: 100 * time.Millisecond, Interrupt: plan.interrupt})})
		logsOnFailure(t, b)
		waitFor(t, "the interrupted actions to end", func() bool {
			return actionStatus(t, b, userID, send.ID).Status == jarvis.ActionExecuted &&
				actionStatus(t, b, userID, create.ID).Status == jarvis.ActionExecuted &&
				actionStatus(t, b, userID, doomed.ID).Status == jarvis.ActionFailed
		})
		for _, x := range []*jarvis.Action{send, create} {
			if got := actionStatus(t, b, userID, x.ID); got.RunAttempts != 2 || plan.started(x.ID) != 2 {
				t.Errorf("%s: %d runs recorded, %d started; want 2", x.Kind, got.RunAttempts, plan.started(x.ID))
			}
		}
		if got := actionStatus(t, b, userID, doomed.ID); got.ErrorCode != jarvis.ErrorCodeInterrupted || got.RunAttempts != jarvis.MaxActionRuns ||
			plan.started(doomed.ID) != jarvis.MaxActionRuns {
			t.Fatalf("interrupted on every run: %+v, %d runs started", got, plan.started(doomed.ID))
		}
		var list struct{ Sends []jarvis.SendResult }
		waitFor(t, "the send to go", func() bool { b.json("GET", "/gmail/scheduled", tok, nil, 200, &list); return len(list.Sends) == 0 })
		if got := subjects(t, gmailClient(t, b, grace), "in:inbox"); got["Interrupted send"] != 1 {
			t.Errorf("grace's inbox: %v, want the send once", got)
		}
		if n := b.Sandbox.Google.Stats()["gmail.drafts.send"]; n != 1 {
			t.Errorf("%d drafts.send calls, want 1", n)
		}
		// The doomed create ran to the end once (its second run died after
		// creating the event): what it did stands, once.
		if got := eventsNamed(t, b, userID, start, start.Add(4*time.Hour)); got["Interrupted create"] != 1 || got["Doomed create"] != 1 {
			t.Errorf("events %v, want each once", got)
		}
		executed := map[string]int{}
		for _, r := range b.auditOf(ada, jarvis.AuditActionExecuted) {
			executed[r.TargetID]++
		}
		if executed[send.ID] != 1 || executed[create.ID] != 1 || executed[doomed.ID] != 0 {
			t.Errorf("action.executed rows %v", executed)
		}
		failed := b.auditOf(ada, jarvis.AuditActionFailed)
		if len(failed) != 1 || failed[0].TargetID != doomed.ID || failed[0].Metadata["error_code"] != jarvis.ErrorCodeInterrupted {
			t.Errorf("action.failed rows %+v", failed)
		}
	})
}

// A seeded random run: actions (sends and event creates) approved on two
// replicas (one process on SQLite) and swept by them and by one more
// sweeper at once, each run dying at a random step (before the
// executor, or after it and before the outcome is recorded) as a killed
// process would, on a random number of its runs. Once quiet no action is
// left approved; one interrupted on fewer than jarvis.MaxActionRuns runs
// is executed and did what it does exactly once (a run slower than its
// lease may be run again beside it: never more than MaxActionRuns runs,
// never done twice); one interrupted on every run is failed as
// interrupted and did it at most once (once if a run died after its
// executor). Reproduce a run with the seed it prints:
// JARVIS_ACTION_SEED=… JARVIS_ACTION_OPS=….
func TestInterruptedActionsRandomized(t *testing.T) {
	t.Parallel()
	seed := uint64(envInt(t, "JARVIS_ACTION_SEED", time.Now().UnixNano()))
	ops := int(envInt(t, "JARVIS_ACTION_OPS", 8))
	t.Logf("seed %d, %d actions (reproduce: JARVIS_ACTION_SEED=%d JARVIS_ACTION_OPS=%d go test -run TestInterruptedActionsRandomized ./cmd/jarvis)", seed, ops, seed, ops)
	sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) {
		rng := rand.New(rand.NewPCG(seed, uint64(len(d))))
		plan := newCrashPlan()
		undo := withUndo(200 * time.Millisecond)
		runs := withActionRuns(ActionRuns{Lease: 4 * time.Second, SweepEvery: 100 * time.Millisecond, Interrupt: plan.interrupt})
		a := startEnv(t, envOptions{dialect: d, configure: undo, main: runs})
		logsOnFailure(t, a)
		envs := []*testEnv{a}
		if d == sqldb.Postgres {
			// A second replica (SQLite's file is one process's).
			envs = append(envs, startEnv(t, envOptions{dbURL: a.Main.Config.DatabaseURL, secrets: a.Main.Config, sandbox: a.Sandbox, configure: undo, main: runs}))
			logsOnFailure(t, envs[1])
		}
		// Beside each replica's periodic sweep, another sweeper races them
		// for the same interrupted actions.
		sweeping, stopSweeping := context.WithCancel(context.Background())
		swept := make(chan struct{})
		go func() {
			defer close(swept)
			for sweeping.Err() == nil {
				if _, err := a.Main.actions.Sweep(sweeping); err != nil && sweeping.Err() == nil {
					t.Errorf("sweep: %v", err)
				}
				select {
				case <-sweeping.Done():
				case <-time.After(50 * time.Millisecond):
				}
			}
		}()
		defer func() { stopSweeping(); <-swept }()
		tok := a.signIn(ada)
		userID := a.me(tok).User.ID
		ctx := context.Background()
		client := jarvis.Requester{Type: jarvis.RequesterClient, ID: "https://client.example/app", Name: "Client"}
		start := time.Now().UTC().AddDate(0, 0, 5).Truncate(time.Hour)
		type planned struct {
			a       *jarvis.Action
			name    string
			send    bool
			crashes []string
		}
		var all []*planned
		for i := range ops {
			p := &planned{name: fmt.Sprintf("Random %d-%d", seed%100000, i), send: rng.IntN(2) == 0}
			payload := fmt.Sprintf(`{"to":[%q],"subject":%q,"body_text":"Once."}`, grace, p.name)
			kind := jarvis.ActionMessageSend
			if !p.send {
				kind = jarvis.ActionEventCreate
				at := start.Add(time.Duration(i) * time.Hour)
				payload = fmt.Sprintf(`{"summary":%q,"start":%q,"end":%q,"time_zone":"UTC"}`, p.name, at.Format("2006-01-02T15:04"), at.Add(time.Hour).Format("2006-01-02T15:04"))
			}
			// Interrupted on 0 to MaxActionRuns runs, each at a random step.
			for range rng.IntN(jarvis.MaxActionRuns + 1) {
				p.crashes = append(p.crashes, []string{actions.StepExecute, actions.StepFinish}[rng.IntN(2)])
			}
			e := envs[rng.IntN(len(envs))]
			x, err := e.Main.actions.Request(ctx, userID, client, kind, json.RawMessage(payload))
			if err != nil || x.Status != jarvis.ActionPending {
				t.Fatalf("seed %d: request %+v %v", seed, x, err)
			}
			p.a = x
			plan.set(x.ID, p.crashes...)
			all = append(all, p)
		}
		// Approved in a random order, on a random replica, some at once.
		var wg sync.WaitGroup
		for _, i := range rng.Perm(len(all)) {
			e, p := envs[rng.IntN(len(envs))], all[i]
			wg.Go(func() { _, _ = e.Main.actions.Approve(ctx, userID, p.a.ID) })
		}
		wg.Wait()
		waitFor(t, "every action to end", func() bool {
			for _, p := range all {
				if st := actionStatus(t, a, userID, p.a.ID).Status; st != jarvis.ActionExecuted && st != jarvis.ActionFailed {
					return false
				}
			}
			return true
		})
		var list struct{ Sends []jarvis.SendResult }
		waitFor(t, "the sends to go", func() bool { a.json("GET", "/gmail/scheduled", tok, nil, 200, &list); return len(list.Sends) == 0 })
		inbox := subjects(t, gmailClient(t, a, grace), "in:inbox")
		events := eventsNamed(t, a, userID, start, start.Add(time.Duration(ops)*time.Hour))
		for _, p := range all {
			got := actionStatus(t, a, userID, p.a.ID)
			done := events[p.name]
			if p.send {
				done = inbox[p.name]
			}
			diedAfter := 0
			for _, s := range p.crashes {
				if s == actions.StepFinish {
					diedAfter = 1
				}
			}
			switch {
			case got.RunAttempts > jarvis.MaxActionRuns || plan.started(p.a.ID) > jarvis.MaxActionRuns:
				t.Errorf("seed %d: %q ran %d times (%d recorded), more than %d", seed, p.name, plan.started(p.a.ID), got.RunAttempts, jarvis.MaxActionRuns)
			case done > 1:
				t.Errorf("seed %d: %q interrupted %v: done %d times", seed, p.name, p.crashes, done)
			case got.Status == jarvis.ActionExecuted && done != 1:
				t.Errorf("seed %d: %q executed, done %d times; want once", seed, p.name, done)
			case got.Status == jarvis.ActionFailed && got.ErrorCode != jarvis.ErrorCodeInterrupted:
				t.Errorf("seed %d: %q failed with %q", seed, p.name, got.ErrorCode)
			case len(p.crashes) == jarvis.MaxActionRuns && (got.Status != jarvis.ActionFailed || done != diedAfter):
				t.Errorf("seed %d: %q interrupted %v: %s (%s), done %d times; want failed as interrupted, done %d", seed, p.name, p.crashes, got.Status, got.ErrorCode, done, diedAfter)
			case got.RunAttempts == len(p.crashes)+1 && got.Status != jarvis.ActionExecuted:
				t.Errorf("seed %d: %q interrupted %v: %s after %d runs; want executed", seed, p.name, p.crashes, got.Status, got.RunAttempts)
			case got.RunAttempts > len(p.crashes)+1:
				// A run slower than its lease was thought interrupted and
				// run again beside it: allowed, and done once all the same.
				t.Logf("seed %d: %q ran %d times for %d interruptions, ending %s", seed, p.name, got.RunAttempts, len(p.crashes), got.Status)
			}
		}
		delivered := 0
		for _, p := range all {
			if p.send {
				delivered += inbox[p.name]
			}
		}
		if n := a.Sandbox.Google.Stats()["gmail.drafts.send"]; n != int64(delivered) {
			t.Errorf("seed %d: %d drafts.send calls for %d messages delivered", seed, n, delivered)
		}
	})
}

// An approved change to "this and following" events run again (as after
// a crash between running it and recording how it went) splits the
// series once: the new series has an id derived from the action's, so
// the re-run meets Google's 409, goes on with the series the first run
// made and answers it (the instance it names is gone: the first run ended
// the old series before it); the old series ends before the instance once.
func TestFollowingScopeRunAgainSplitsOnce(t *testing.T) {
	t.Parallel()
	oneDB(t, func(t *testing.T, d sqldb.Dialect) {
		e := startEnv(t, envOptions{dialect: d})
		logsOnFailure(t, e)
		tok := e.signIn(ada)
		e.synced(ada)
		userID := e.me(tok).User.ID
		ctx := context.Background()
		google := fullCalendar(t, e.Sandbox.URL, ada)
		first := time.Now().UTC().AddDate(0, 0, 1).Truncate(time.Hour)
		var series jarvis.Event
		e.json("POST", "/calendar/events", tok, map[string]any{"summary": "Standup", "start": first.Format("2006-01-02T15:04"),
			"end": first.Add(30 * time.Minute).Format("2006-01-02T15:04"), "time_zone": "UTC", "recurrence": []string{"RRULE:FREQ=WEEKLY;COUNT=6"}}, 201, &series)
		inst := instances(t, google, series.ID)
		if len(inst) != 6 {
			t.Fatalf("%d instances, want 6", len(inst))
		}
		client := jarvis.Requester{Type: jarvis.RequesterClient, ID: "https://client.example/app", Name: "Client"}
		a, err := e.Main.actions.Request(ctx, userID, client, jarvis.ActionEventUpdate,
			json.RawMessage(`{"event_id":"`+inst[2].Id+`","scope":"following","summary":"Standup (new format)"}`))
		if err != nil {
			t.Fatal(err)
		}
		if a, err = e.Main.actions.Approve(ctx, userID, a.ID); err != nil || a.Status != jarvis.ActionExecuted {
			t.Fatalf("approve: %+v %v", a, err)
		}
		var split jarvis.Event
		if err := json.Unmarshal(a.Result, &split); err != nil || split.ID != jarvis.ActionEventID(a.ID) || split.Summary != "Standup (new format)" {
			t.Fatalf("split %+v %v", split, err)
		}
		inserts := e.Sandbox.Google.Stats()["calendar.events.insert"]
		for run := range 2 {
			out, err := actions.EventWriter{Kind: jarvis.ActionEventUpdate, Writer: e.Main.Google}.Execute(jarvis.WithActionID(ctx, a.ID), userID, a.Payload)
			var again jarvis.Event
			if err != nil || json.Unmarshal(out, &again) != nil || again.ID != split.ID || again.Summary != "Standup (new format)" {
				t.Fatalf("run again %d: %s %v", run, out, err)
			}
		}
		if n := e.Sandbox.Google.Stats()["calendar.events.insert"]; n != inserts {
			t.Errorf("%d inserts by the re-runs, want none", n-inserts)
		}
		if old, fresh := len(instances(t, google, series.ID)), len(instances(t, google, split.ID)); old != 2 || fresh != 4 {
			t.Errorf("old series %d instances, new %d; want 2 and 4", old, fresh)
		}
		list, err := google.Events.List("primary").Do()
		if err != nil {
			t.Fatal(err)
		}
		var recurring []string
		for _, ev := range list.Items {
			if len(ev.Recurrence) > 0 && ev.Status != "cancelled" && strings.HasPrefix(ev.Summary, "Standup") {
				recurring = append(recurring, ev.Id)
			}
		}
		if len(recurring) != 2 {
			t.Errorf("series %v, want the old and one new", recurring)
		}

		// A first run that died between making the new series and ending
		// the old one: the next run meets the new series (409) and ends
		// the old one before the instance, once.
		var other jarvis.Event
		e.json("POST", "/calendar/events", tok, map[string]any{"summary": "Review", "start": first.Add(2 * time.Hour).Format("2006-01-02T15:04"),
			"end": first.Add(3 * time.Hour).Format("2006-01-02T15:04"), "time_zone": "UTC", "recurrence": []string{"RRULE:FREQ=WEEKLY;COUNT=4"}}, 201, &other)
		oinst := instances(t, google, other.ID)
		b, err := e.Main.actions.Request(ctx, userID, client, jarvis.ActionEventUpdate,
			json.RawMessage(`{"event_id":"`+oinst[1].Id+`","scope":"following","summary":"Review (new)"}`))
		if err != nil {
			t.Fatal(err)
		}
		at := first.Add(2*time.Hour).AddDate(0, 0, 7)
		half := &calendar.Event{Id: jarvis.ActionEventID(b.ID), Summary: "Review (new)", Recurrence: []string{"RRULE:FREQ=WEEKLY;COUNT=3"},
			Start: &calendar.EventDateTime{DateTime: at.Format(time.RFC3339), TimeZone: "UTC"}, End: &calendar.EventDateTime{DateTime: at.Add(time.Hour).Format(time.RFC3339), TimeZone: "UTC"}}
		if _, err := google.Events.Insert("primary", half).Do(); err != nil {
			t.Fatal(err)
		}
		if b, err = e.Main.actions.Approve(ctx, userID, b.ID); err != nil || b.Status != jarvis.ActionExecuted {
			t.Fatalf("approve after a half-made split: %+v %v", b, err)
		}
		var made jarvis.Event
		if err := json.Unmarshal(b.Result, &made); err != nil || made.ID != half.Id {
			t.Fatalf("answered %+v %v, want the series made first", made, err)
		}
		if old, fresh := len(instances(t, google, other.ID)), len(instances(t, google, half.Id)); old != 1 || fresh != 3 {
			t.Errorf("after a half-made split: old series %d instances, new %d; want 1 and 3", old, fresh)
		}
	})
}
