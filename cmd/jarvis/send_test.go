package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/api/gmail/v1"

	"github.com/jarvis-hq/jarvis"
	"github.com/jarvis-hq/jarvis/internal/config"
	"github.com/jarvis-hq/jarvis/internal/sandbox"
	"github.com/jarvis-hq/jarvis/internal/sqldb"
	"github.com/jarvis-hq/jarvis/internal/sqldb/sqldbtest"
)

const (
	ada   = "ada@example.com"
	grace = "grace@example.com"
)

// withUndo sets the undo window of a test Jarvis.
func withUndo(d time.Duration) func(*config.Config) {
	return func(c *config.Config) { c.SendUndo = d }
}

// logsOnFailure prints the warnings and errors Jarvis logged, when the
// test fails.
func logsOnFailure(t *testing.T, e *testEnv) {
	t.Cleanup(func() {
		if !t.Failed() {
			return
		}
		for _, line := range strings.Split(e.Logs.String(), "\n") {
			if strings.Contains(line, `"level":"WARN"`) || strings.Contains(line, `"level":"ERROR"`) {
				t.Log(line)
			}
		}
	})
}

// send posts a message to send and returns the 202 answer.
func (e *testEnv) send(tok string, body map[string]any, headers ...string) (jarvis.SendResult, *http.Response) {
	e.t.Helper()
	var res jarvis.SendResult
	resp := e.json("POST", "/gmail/messages", tok, body, 202, &res, headers...)
	return res, resp
}

// subjects counts the messages of a mailbox matching the query, by subject.
func subjects(t *testing.T, g *gmail.Service, q string) map[string]int {
	t.Helper()
	out := map[string]int{}
	call := g.Users.Messages.List("me").Q(q).MaxResults(500)
	err := call.Pages(context.Background(), func(page *gmail.ListMessagesResponse) error {
		for _, m := range page.Messages {
			full, err := g.Users.Messages.Get("me", m.Id).Format("metadata").MetadataHeaders("Subject").Do()
			if err != nil {
				return err
			}
			for _, h := range full.Payload.Headers {
				if h.Name == "Subject" {
					out[h.Value]++
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// pending lists the user's sends still to go.
func (e *testEnv) pending(tok string) []jarvis.SendResult {
	e.t.Helper()
	var list struct {
		Sends []jarvis.SendResult `json:"sends"`
	}
	e.json("GET", "/gmail/scheduled", tok, nil, 200, &list)
	return list.Sends
}

// A send waits out the undo window, then goes once: cancelled within the
// window it sends nothing and its draft stays in Drafts; a repeat of its
// Idempotency-Key answers the first answer and sends nothing more.
func TestSendUndoWindow(t *testing.T) {
	t.Parallel()
	oneDB(t, func(t *testing.T, d sqldb.Dialect) {
		e := startEnv(t, envOptions{dialect: d, configure: withUndo(3 * time.Second)})
		logsOnFailure(t, e)
		tok, graceTok := e.signIn(ada), e.signIn(grace)
		adaGmail, graceGmail := gmailClient(t, e, ada), gmailClient(t, e, grace)

		undo := map[string]any{"to": []string{grace}, "subject": "Undo me", "body_text": "Never mind."}
		first, _ := e.send(tok, undo, "Idempotency-Key", "undo-1")
		if first.Status != jarvis.SendScheduled || first.MessageID != "" || first.UndoUntil == nil || first.ThreadID == "" ||
			first.DraftID == "" || first.Account == nil || first.Account.Email != ada || first.ScheduledID == "" {
			t.Fatalf("send in the undo window: %+v", first)
		}
		if left := time.Until(*first.UndoUntil); left <= 0 || left > 3*time.Second+100*time.Millisecond {
			t.Fatalf("undo_until %s is not 3 s ahead", first.UndoUntil)
		}
		again, resp := e.send(tok, undo, "Idempotency-Key", "undo-1")
		if again.ScheduledID != first.ScheduledID || resp.Header.Get("Idempotent-Replayed") != "true" {
			t.Fatalf("repeat of the key: %+v %v", again, resp.Header)
		}
		e.problem("POST", "/gmail/messages", tok, map[string]any{"to": []string{grace}, "subject": "Other"}, 409, "idempotency_key_reused",
			"Idempotency-Key", "undo-1")
		if p := e.pending(tok); len(p) != 1 || p[0].ScheduledID != first.ScheduledID || p[0].Subject != "Undo me" {
			t.Fatalf("pending sends: %+v", p)
		}
		// Another user cannot see or cancel it.
		e.problem("DELETE", "/gmail/scheduled/"+first.ScheduledID, graceTok, nil, 404, "not_found")
		if p := e.pending(graceTok); len(p) != 0 {
			t.Fatalf("grace sees %+v", p)
		}
		e.json("DELETE", "/gmail/scheduled/"+first.ScheduledID, tok, nil, 204, nil)
		e.json("DELETE", "/gmail/scheduled/"+first.ScheduledID, tok, nil, 204, nil) // cancelled already: nothing to do

		goes, _ := e.send(tok, map[string]any{"to": []string{grace}, "subject": "Goes", "body_text": "Hello."}, "Idempotency-Key", "goes-1")
		waitFor(t, "the send to go", func() bool {
			var p []jarvis.SendResult
			p = e.pending(tok)
			return len(p) == 0
		})
		// The undo window of the cancelled send is over too.
		time.Sleep(time.Until(first.UndoUntil.Add(500 * time.Millisecond)))
		if got := subjects(t, graceGmail, "in:inbox"); got["Goes"] != 1 || got["Undo me"] != 0 {
			t.Fatalf("grace's inbox: %v", got)
		}
		if got := subjects(t, adaGmail, "in:drafts"); got["Undo me"] != 1 || got["Goes"] != 0 {
			t.Fatalf("ada's drafts: %v", got)
		}
		if n := e.Sandbox.Google.Stats()["gmail.drafts.send"]; n != 1 {
			t.Fatalf("%d drafts.send calls, want 1", n)
		}
		// Once sent, it cannot be cancelled, and a repeat sends nothing.
		e.problem("DELETE", "/gmail/scheduled/"+goes.ScheduledID, tok, nil, 409, "conflict")
		e.send(tok, map[string]any{"to": []string{grace}, "subject": "Goes", "body_text": "Hello."}, "Idempotency-Key", "goes-1")
		if n := e.Sandbox.Google.Stats()["gmail.drafts.send"]; n != 1 {
			t.Fatalf("%d drafts.send calls after the repeat, want 1", n)
		}

		sent := e.auditOf(ada, jarvis.AuditGmailMessageSend)
		if len(sent) != 1 || sent[0].Outcome != jarvis.OutcomeSuccess || sent[0].TargetID == "" || sent[0].ActorUserID == "" {
			t.Fatalf("gmail.message.send rows: %+v", sent)
		}
		if n := len(e.auditOf(ada, jarvis.AuditGmailSendScheduled)); n != 2 {
			t.Fatalf("%d gmail.send.scheduled rows, want 2", n)
		}
		if c := e.auditOf(ada, jarvis.AuditGmailSendCancelled); len(c) != 1 || c[0].TargetID != first.ScheduledID {
			t.Fatalf("gmail.send.cancelled rows: %+v", c)
		}
	})
}

// Bad sends are refused before anything is drafted, naming the field.
func TestSendRefusesBadInput(t *testing.T) {
	t.Parallel()
	e := startEnv(t, envOptions{configure: withUndo(0)})
	logsOnFailure(t, e)
	tok := e.signIn(ada)
	past := time.Now().Add(-time.Minute).UTC().Format(time.RFC3339)
	far := time.Now().Add(400 * 24 * time.Hour).UTC().Format(time.RFC3339)
	for _, c := range []struct {
		body  map[string]any
		field string
	}{
		{map[string]any{"to": []string{grace}, "subject": "x", "send_at": past}, "send_at"},
		{map[string]any{"to": []string{grace}, "subject": "x", "send_at": far}, "send_at"},
		{map[string]any{"to": []string{grace}, "subject": "x", "send_at": "tomorrow"}, "send_at"},
		{map[string]any{"subject": "x"}, "to"},
	} {
		if p := e.problem("POST", "/gmail/messages", tok, c.body, 400, "invalid_request"); p["field"] != c.field {
			t.Errorf("%v: field %v, want %s", c.body, p["field"], c.field)
		}
	}
	e.problem("POST", "/gmail/drafts/no%20such/send", tok, nil, 400, "invalid_request")
	e.problem("POST", "/gmail/drafts/r-123/send", tok, nil, 404, "not_found")
	e.problem("DELETE", "/gmail/scheduled/not-an-id", tok, nil, 404, "not_found")
	if n := e.Sandbox.Google.Stats()["gmail.drafts.create"]; n != 0 {
		t.Fatalf("%d drafts made for refused sends", n)
	}

	// Without an undo window the message is sent before the answer.
	res, _ := e.send(tok, map[string]any{"to": []string{"someone@elsewhere.test"}, "subject": "At once", "body_text": "Now."})
	if res.Status != jarvis.SendSent || res.MessageID == "" || res.UndoUntil != nil {
		t.Fatalf("send at once: %+v", res)
	}
	out := e.Sandbox.Google.Outbox()
	if len(out) != 1 || out[0].Subject != "At once" || out[0].ID != res.MessageID {
		t.Fatalf("sandbox outbox: %+v", out)
	}
}

// An existing draft is sent by POST /gmail/drafts/{id}/send, at send_at;
// the same draft cannot be held by two sends at once.
func TestSendExistingDraftAtSendAt(t *testing.T) {
	t.Parallel()
	e := startEnv(t, envOptions{configure: withUndo(10 * time.Second)})
	logsOnFailure(t, e)
	tok := e.signIn(ada)
	var dr jarvis.Draft
	e.json("POST", "/gmail/draft", tok, map[string]any{"to": []string{grace}, "subject": "Drafted first", "body_text": "Hi."}, 201, &dr)
	at := time.Now().Add(1500 * time.Millisecond).UTC().Truncate(time.Second).Add(time.Second)
	var res jarvis.SendResult
	e.json("POST", "/gmail/drafts/"+dr.DraftID+"/send", tok, map[string]any{"send_at": at.Format(time.RFC3339)}, 202, &res)
	if res.Status != jarvis.SendScheduled || !res.SendAt.Equal(at) || res.UndoUntil != nil || res.ThreadID != dr.ThreadID || res.Subject != "Drafted first" {
		t.Fatalf("scheduled draft: %+v (want send_at %s)", res, at)
	}
	e.problem("POST", "/gmail/drafts/"+dr.DraftID+"/send", tok, nil, 409, "conflict")
	graceGmail := gmailClient(t, e, grace)
	waitFor(t, "the scheduled draft to arrive", func() bool { return subjects(t, graceGmail, "in:inbox")["Drafted first"] == 1 })
	if time.Now().Before(at) {
		t.Fatalf("sent before its send_at %s", at)
	}
	waitFor(t, "the send to be recorded", func() bool { return len(e.pending(tok)) == 0 })
	e.problem("POST", "/gmail/drafts/"+dr.DraftID+"/send", tok, nil, 404, "not_found") // sent: the draft is gone
}

// replicas starts n more Jarvis processes on a's database and sandbox.
func (e *testEnv) replicas(n int, configure func(*config.Config)) []*testEnv {
	e.t.Helper()
	var out []*testEnv
	for range n {
		out = append(out, startEnv(e.t, envOptions{dbURL: e.Main.Config.DatabaseURL, secrets: e.Main.Config, sandbox: e.Sandbox,
			configure: configure}))
	}
	return out
}

// A scheduled send survives a restart of Jarvis and is sent exactly once
// by the replicas running then (two on PostgreSQL, one on SQLite's file):
// the recipient's sandbox mailbox holds one copy, the sandbox's outbox one
// for the outside recipient, and drafts.send was called once per send.
func TestScheduledSendSurvivesRestart(t *testing.T) {
	t.Parallel()
	sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) {
		// The times are the server's: an undo window of 3 s, and send_at
		// 4 s after each request.
		a := startEnv(t, envOptions{dialect: d, configure: withUndo(3 * time.Second)})
		tok := a.signIn(ada)
		for i := range 3 {
			body := map[string]any{"to": []string{grace, "lee@elsewhere.test"}, "subject": fmt.Sprintf("Scheduled %d", i), "body_text": "Later."}
			if i == 0 {
				body["send_at"] = time.Now().Add(4 * time.Second).UTC().Format(time.RFC3339Nano)
			}
			if res, _ := a.send(tok, body); res.Status != jarvis.SendScheduled {
				t.Fatalf("scheduled: %+v", res)
			}
		}
		a.Main.Close() // before the time comes
		n := 1
		if d == sqldb.Postgres {
			n = 2
		}
		live := a.replicas(n, withUndo(3*time.Second))
		logsOnFailure(t, live[0])
		waitFor(t, "the scheduled sends to go", func() bool { return len(live[0].pending(tok)) == 0 })
		got := subjects(t, gmailClient(t, live[0], grace), "in:inbox")
		external := map[string]int{}
		for _, m := range a.Sandbox.Google.Outbox() {
			external[m.Subject]++
		}
		for i := range 3 {
			s := fmt.Sprintf("Scheduled %d", i)
			if got[s] != 1 || external[s] != 1 {
				t.Errorf("%s: %d in grace's inbox, %d in the sandbox's outbox; want 1 each", s, got[s], external[s])
			}
		}
		if n := a.Sandbox.Google.Stats()["gmail.drafts.send"]; n != 3 {
			t.Errorf("%d drafts.send calls for 3 sends", n)
		}
		// Each replica writes its audit rows in batches: a send recorded
		// by one may reach the database after the row's status does.
		waitFor(t, "one gmail.message.send row per send", func() bool {
			for _, r := range live[1:] {
				r.Main.Audit.Flush()
			}
			return len(live[0].auditOf(ada, jarvis.AuditGmailMessageSend)) >= 3
		})
		if rows := live[0].auditOf(ada, jarvis.AuditGmailMessageSend); len(rows) != 3 {
			t.Errorf("%d gmail.message.send rows, want 3", len(rows))
		}
	})
}

// Google's passing failures are retried until the send goes, once;
// Google's refusal fails the send with its code, audited, and its draft
// stays in Drafts.
func TestSendRetriesAndFails(t *testing.T) {
	t.Parallel()
	e := startEnv(t, envOptions{configure: withUndo(200 * time.Millisecond)})
	logsOnFailure(t, e)
	tok := e.signIn(ada)
	fail := []string{"gmail.drafts.send=503"}
	if err := e.Sandbox.Google.SetFaults(sandbox.Faults{Fail: &fail}); err != nil {
		t.Fatal(err)
	}
	retried, _ := e.send(tok, map[string]any{"to": []string{grace}, "subject": "Retried", "body_text": "Again."})
	waitFor(t, "a failed attempt", func() bool {
		p := e.pending(tok)
		return len(p) == 1 && p[0].ErrorCode == jarvis.EUPSTREAM && p[0].Status == jarvis.SendSending
	})
	fail = nil
	if err := e.Sandbox.Google.SetFaults(sandbox.Faults{Fail: &fail}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the retried send to go", func() bool { return len(e.pending(tok)) == 0 })
	if got := subjects(t, gmailClient(t, e, grace), "in:inbox"); got["Retried"] != 1 {
		t.Fatalf("grace's inbox: %v", got)
	}
	if rows := e.auditOf(ada, jarvis.AuditGmailMessageSend); len(rows) != 1 || rows[0].Metadata["scheduled_id"] != retried.ScheduledID {
		t.Fatalf("audit of the retried send: %+v", rows)
	}

	fail = []string{"gmail.drafts.send=400"}
	if err := e.Sandbox.Google.SetFaults(sandbox.Faults{Fail: &fail}); err != nil {
		t.Fatal(err)
	}
	refused, _ := e.send(tok, map[string]any{"to": []string{grace}, "subject": "Refused", "body_text": "No."})
	waitFor(t, "the refused send to end", func() bool { return len(e.pending(tok)) == 0 })
	rows := e.auditOf(ada, jarvis.AuditGmailMessageSend)
	if len(rows) != 2 || rows[0].Outcome != jarvis.OutcomeFailure || rows[0].Metadata["error_code"] != jarvis.EINVALID ||
		rows[0].TargetID != refused.ScheduledID {
		t.Fatalf("audit of the refused send: %+v", rows)
	}
	e.problem("DELETE", "/gmail/scheduled/"+refused.ScheduledID, tok, nil, 409, "conflict")
	if got := subjects(t, gmailClient(t, e, ada), "in:drafts"); got["Refused"] != 1 {
		t.Fatalf("ada's drafts: %v", got)
	}
}

// A seeded random run: sends and cancels on two replicas (one on SQLite)
// while Google fails calls and loses answers after carrying them out (a
// drafts.send that went but answered 502), and a replica restarts. Once
// quiet, each send not cancelled reached the recipient exactly once, and
// each cancelled one never did and left its draft. Reproduce a run with
// the seed it prints: JARVIS_SEND_SEED=… JARVIS_SEND_OPS=….
func TestSendRandomized(t *testing.T) {
	t.Parallel()
	seed := uint64(envInt(t, "JARVIS_SEND_SEED", time.Now().UnixNano()))
	ops := int(envInt(t, "JARVIS_SEND_OPS", 24))
	t.Logf("seed %d, %d operations (reproduce: JARVIS_SEND_SEED=%d JARVIS_SEND_OPS=%d go test -run TestSendRandomized ./cmd/jarvis)", seed, ops, seed, ops)
	sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) {
		rng := rand.New(rand.NewPCG(seed, uint64(len(d))))
		faults := rand.New(rand.NewPCG(seed, uint64(len(d))+1))
		var fmu sync.Mutex
		draw := func() float64 { fmu.Lock(); defer fmu.Unlock(); return faults.Float64() }
		undo := withUndo(300 * time.Millisecond)
		a := startEnv(t, envOptions{dialect: d, configure: undo, sandboxCfg: sandbox.Config{Rand: draw}})
		logsOnFailure(t, a)
		envs := []*testEnv{a}
		if d == sqldb.Postgres {
			envs = append(envs, a.replicas(1, undo)...)
		}
		tok := a.signIn(ada)
		fail := []string{"gmail.drafts.send=503:0.2", "gmail.drafts.get=500:0.1", "gmail.messages.list=503:0.1"}
		lose := []string{"gmail.drafts.send=502:0.25"}
		if err := a.Sandbox.Google.SetFaults(sandbox.Faults{Fail: &fail, LoseAnswers: &lose}); err != nil {
			t.Fatal(err)
		}
		type sent struct {
			id, subject string
			cancelled   bool
		}
		var sends []*sent
		for i := range ops {
			if i == ops/2 {
				// A replica restarts: the last one stops, a new one starts.
				last := envs[len(envs)-1]
				last.Main.Close()
				envs = append(envs[:len(envs)-1], a.replicas(1, undo)...)
			}
			e := envs[rng.IntN(len(envs))]
			switch r := rng.Float64(); {
			case r < 0.7 || len(sends) == 0:
				body := map[string]any{"to": []string{grace}, "subject": fmt.Sprintf("Random %d-%d", seed%100000, i), "body_text": "Hi."}
				if rng.IntN(4) == 0 {
					body["send_at"] = time.Now().Add(time.Duration(2000+rng.IntN(1000)) * time.Millisecond).UTC().Format(time.RFC3339Nano)
				}
				res, _ := e.send(tok, body, "Idempotency-Key", fmt.Sprintf("rnd-%d", i))
				if rng.IntN(5) == 0 { // the client retries the same request
					if again, _ := e.send(tok, body, "Idempotency-Key", fmt.Sprintf("rnd-%d", i)); again.ScheduledID != res.ScheduledID {
						t.Fatalf("seed %d: a repeat made another send", seed)
					}
				}
				sends = append(sends, &sent{id: res.ScheduledID, subject: body["subject"].(string)})
			default:
				s := sends[rng.IntN(len(sends))]
				resp, _ := e.do("DELETE", "/gmail/scheduled/"+s.id, tok, nil)
				switch resp.StatusCode {
				case 204:
					s.cancelled = true
				case 409:
				default:
					t.Fatalf("seed %d: cancel answered %d", seed, resp.StatusCode)
				}
			}
		}
		waitFor(t, "every send to go", func() bool { return len(envs[0].pending(tok)) == 0 })
		fail, lose = nil, nil
		if err := a.Sandbox.Google.SetFaults(sandbox.Faults{Fail: &fail, LoseAnswers: &lose}); err != nil {
			t.Fatal(err)
		}
		stats := a.Sandbox.Google.Stats()
		t.Logf("%d sends, %d drafts.send calls, %d looked for in Sent after a lost answer", len(sends), stats["gmail.drafts.send"], stats["gmail.messages.list"])
		got := subjects(t, gmailClient(t, envs[0], grace), "in:inbox")
		drafts := subjects(t, gmailClient(t, envs[0], ada), "in:drafts")
		for _, s := range sends {
			switch {
			case s.cancelled && (got[s.subject] != 0 || drafts[s.subject] != 1):
				t.Errorf("seed %d: cancelled %q: %d delivered, %d drafts", seed, s.subject, got[s.subject], drafts[s.subject])
			case !s.cancelled && (got[s.subject] != 1 || drafts[s.subject] != 0):
				t.Errorf("seed %d: %q delivered %d times (want once), %d drafts left", seed, s.subject, got[s.subject], drafts[s.subject])
			}
		}
	})
}
