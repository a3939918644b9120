package actions_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/jarvis-hq/jarvis"
	"github.com/jarvis-hq/jarvis/internal/actions"
)

// TestExecutorsRefuseBeforeAsking: what a request gets wrong is refused
// naming the field, before any account, mailbox or calendar is read (the
// executors are given none here: reaching one would panic), and a send
// never runs outside the queue, which gives it its idempotency key.
func TestExecutorsRefuseBeforeAsking(t *testing.T) {
	ctx := context.Background()
	now := func() time.Time { return time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC) }
	send := actions.MessageSender{Now: now}
	draft := actions.DraftSender{Now: now}
	drafter := actions.DraftCreator{}
	create := actions.EventWriter{Kind: jarvis.ActionEventCreate}
	update := actions.EventWriter{Kind: jarvis.ActionEventUpdate}
	rsvp := actions.EventWriter{Kind: jarvis.ActionEventRSVP}
	for _, tt := range []struct {
		name    string
		exec    jarvis.ActionExecutor
		payload string
		field   string
	}{
		{"unknown field", send, `{"to":["a@example.com"],"password":"x"}`, "password"},
		{"bad thread id", send, `{"to":["a@example.com"],"reply_to_thread_id":"../x"}`, "reply_to_thread_id"},
		{"bad forward id", send, `{"to":["a@example.com"],"forward_message_id":"zz"}`, "forward_message_id"},
		{"send_at past", send, `{"to":["a@example.com"],"send_at":"2026-11-30T09:00:00Z"}`, "send_at"},
		{"send_at far", send, `{"to":["a@example.com"],"send_at":"2028-12-01T09:00:00Z"}`, "send_at"},
		{"reply_all without a thread", send, `{"to":["a@example.com"],"reply_all":true}`, "reply_all"},
		{"not json", send, `[1]`, "payload"},
		{"draft reply in a bad thread id", drafter, `{"reply_to_thread_id":"../x","body_text":"x"}`, "reply_to_thread_id"},
		{"bad draft id", draft, `{"draft_id":"r/1"}`, "draft_id"},
		{"draft send_at past", draft, `{"draft_id":"r-1","send_at":"2026-11-30T09:00:00Z"}`, "send_at"},
		{"cancel without id", actions.SendCanceller{}, `{}`, "scheduled_id"},
		{"event without a zone", create, `{"summary":"x","start":"2026-12-02T09:00","end":"2026-12-02T10:00"}`, "time_zone"},
		{"event in an unknown zone", create, `{"summary":"x","start":"2026-12-02T09:00","end":"2026-12-02T10:00","time_zone":"Mars/Base"}`, "time_zone"},
		{"event in all accounts", create, `{"account":"all","summary":"x","start":"2026-12-02","end":"2026-12-03"}`, "account"},
		{"update changing nothing", update, `{"event_id":"abc"}`, "body"},
		{"update without an id", update, `{"summary":"x"}`, "event_id"},
		{"bad scope", update, `{"event_id":"abc","scope":"all","summary":"x"}`, "scope"},
		{"bad response", rsvp, `{"event_id":"abc","response":"maybe"}`, "response"},
	} {
		_, err := tt.exec.Prepare(ctx, "u1", json.RawMessage(tt.payload))
		var je *jarvis.Error
		if !errors.As(err, &je) || je.Code != jarvis.EINVALID || je.Field != tt.field {
			t.Errorf("%s: %v, want invalid %s", tt.name, err, tt.field)
		}
	}
	for _, exec := range []jarvis.ActionExecutor{send, draft} {
		if _, err := exec.Execute(ctx, "u1", json.RawMessage(`{"account":"a","draft_id":"r-1","to":["a@example.com"]}`)); !jarvis.IsCode(err, jarvis.EINTERNAL) {
			t.Errorf("%T ran outside the queue: %v", exec, err)
		}
	}
	if jarvis.ActionIdempotencyKey("01a2") != "action:01a2" || jarvis.ActionIDFrom(jarvis.WithActionID(ctx, "01a2")) != "01a2" {
		t.Fatal("action key")
	}
	// The event id an action gives the event it creates: the same on every
	// run, of Google's alphabet (base32hex, lower case) and length (5–1024),
	// and another for another action.
	id := jarvis.ActionEventID("01a2")
	if id != jarvis.ActionEventID("01a2") || id == jarvis.ActionEventID("01a3") || len(id) < 5 || len(id) > 1024 ||
		strings.Trim(id, "0123456789abcdefghijklmnopqrstuv") != "" {
		t.Fatalf("action event id %q", id)
	}
}
