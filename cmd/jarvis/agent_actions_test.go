package main

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/api/calendar/v3"

	"github.com/jarvis-hq/jarvis"
	"github.com/jarvis-hq/jarvis/internal/actions"
	"github.com/jarvis-hq/jarvis/internal/sandbox"
)

// TestAgentSendsAndCalendarChangesGoThroughTheQueue: the assistant's
// reply-all, event and RSVP, asked for in the chat through the sandbox
// model, each wait in the queue with exactly what will run — the reply's
// recipients computed from the thread, the event's instant in its zone —
// reach the owner's event stream, and run once approved: the reply lands
// in the thread at a recipient's, once even if the action is run again;
// the event reads back at the right instant; the answer shows at the
// organiser. An event with no time zone is never guessed.
func TestAgentSendsAndCalendarChangesGoThroughTheQueue(t *testing.T) {
	t.Parallel()
	e := startEnv(t, envOptions{configure: withUndo(0)})
	logsOnFailure(t, e)
	tok := e.signIn(ada)
	userID := e.me(tok).User.ID
	if err := e.Sandbox.Google.SetSendAs(ada, []sandbox.SendAs{{Email: "ada@work.example", Name: "Ada at work"}}); err != nil {
		t.Fatal(err)
	}
	raw := "From: Mary Somerville <mary@example.org>\r\nReply-To: Grace Hopper <grace@example.com>\r\n" +
		"To: Ada <ada@example.com>, team@example.org\r\nCc: Ada at work <ADA@work.example>, charles@example.com, GRACE@example.com\r\n" +
		"Subject: Launch plan\r\nDate: " + time.Now().UTC().Format(time.RFC1123Z) + "\r\nMessage-ID: <launch-9@example.org>\r\n\r\nShall we launch on Monday?\r\n"
	_, adaThread, err := e.Sandbox.Google.Deliver(ada, []byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	_, graceThread, err := e.Sandbox.Google.Deliver(grace, []byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	organizer := fullCalendar(t, e.Sandbox.URL, grace)
	at := time.Now().UTC().AddDate(0, 0, 2).Truncate(time.Hour)
	inv, err := organizer.Events.Insert("primary", &calendar.Event{Summary: "Design review",
		Start: timed(at), End: timed(at.Add(time.Hour)), Attendees: []*calendar.EventAttendee{{Email: ada}}}).Do()
	if err != nil {
		t.Fatal(err)
	}
	e.synced(ada)
	stream := e.openEvents(tok)
	e.Sandbox.Google.ResetStats()

	// Reply all: pending, with the recipients the thread gives.
	turn := summarizeTurn(e.chat(tok, "", "Reply all to the launch plan thread saying Monday works"))
	if len(turn.approvals) != 1 || turn.approvals[0].str("tool") != "reply_email" || turn.approvals[0].str("kind") != jarvis.ActionMessageSend {
		t.Fatalf("reply-all turn %+v", turn)
	}
	id := turn.approvals[0].str("action_id")
	waitEvent(t, stream, jarvis.EventActionRequested, id)
	var a jarvis.Action
	e.json("GET", "/actions/"+id, tok, nil, 200, &a)
	var p actions.SendPayload
	if err := json.Unmarshal(a.Payload, &p); err != nil {
		t.Fatal(err)
	}
	if a.Status != jarvis.ActionPending || !p.ReplyAll || p.ReplyToThreadID != adaThread || !slices.Equal(p.To, []string{"grace@example.com", "team@example.org"}) ||
		!slices.Equal(p.Cc, []string{"charles@example.com"}) || !strings.Contains(a.Summary, "Reply to all “Re: Launch plan”") {
		t.Fatalf("pending reply-all %+v %s", a, a.Payload)
	}
	if n := e.Sandbox.Google.Stats()["gmail.drafts.send"] + e.Sandbox.Google.Stats()["gmail.drafts.create"]; n != 0 {
		t.Fatalf("%d Gmail writes before approval", n)
	}
	e.json("POST", "/actions/"+id+"/approve", tok, nil, 200, &a)
	var sent jarvis.SendResult
	if err := json.Unmarshal(a.Result, &sent); err != nil || a.Status != jarvis.ActionExecuted || sent.Status != jarvis.SendSent || sent.ThreadID != adaThread {
		t.Fatalf("approved %+v %s %v", a, a.Result, err)
	}
	waitEvent(t, stream, jarvis.EventActionExecuted, id)
	got := receivedMessage(t, gmailClient(t, e, grace), "subject:(Re: Launch plan) from:ada@example.com")
	if got.ThreadId != graceThread {
		t.Errorf("at Grace's the reply is in thread %s, want %s", got.ThreadId, graceThread)
	}
	// Run again (a replica retrying it), the action sends nothing more.
	again, err := actions.MessageSender{Outbox: e.Main.Outbox}.Execute(jarvis.WithActionID(context.Background(), id), userID, a.Payload)
	var replay jarvis.SendResult
	if err != nil || json.Unmarshal(again, &replay) != nil || replay.ScheduledID != sent.ScheduledID || replay.MessageID != sent.MessageID {
		t.Fatalf("run again: %s %v", again, err)
	}
	if n := e.Sandbox.Google.Stats()["gmail.drafts.send"]; n != 1 {
		t.Fatalf("%d drafts.send calls, want 1", n)
	}

	// An event: never in a guessed zone; in the zone named, at its instant.
	turn = summarizeTurn(e.chat(tok, "", `Schedule a meeting "Launch sync" tomorrow at 2pm`))
	if len(turn.approvals) != 0 || !strings.Contains(turn.text, "time zone") {
		t.Fatalf("event without a zone: %+v", turn)
	}
	ny, _ := time.LoadLocation("America/New_York")
	day := time.Now().In(ny).AddDate(0, 0, 3)
	start := time.Date(day.Year(), day.Month(), day.Day(), 14, 0, 0, 0, ny)
	turn = summarizeTurn(e.chat(tok, "", `Schedule a meeting "Launch sync" on `+start.Format(time.DateOnly)+` at 14:00 for an hour in America/New_York with grace@example.com`))
	if len(turn.approvals) != 1 || turn.approvals[0].str("kind") != jarvis.ActionEventCreate {
		t.Fatalf("event turn %+v", turn)
	}
	id = turn.approvals[0].str("action_id")
	var ev jarvis.Event
	e.json("POST", "/actions/"+id+"/approve", tok, nil, 200, &a)
	if err := json.Unmarshal(a.Result, &ev); err != nil || ev.Start != rfc(start) || ev.End != rfc(start.Add(time.Hour)) || ev.TimeZone != "America/New_York" ||
		!slices.ContainsFunc(ev.Attendees, func(x jarvis.Attendee) bool { return x.Email == grace }) {
		t.Fatalf("event made %+v %v", ev, err)
	}

	// An RSVP with a note shows at the organiser.
	turn = summarizeTurn(e.chat(tok, "", "Accept the design review invitation saying see you there"))
	if len(turn.approvals) != 1 || turn.approvals[0].str("kind") != jarvis.ActionEventRSVP {
		t.Fatalf("rsvp turn %+v", turn)
	}
	id = turn.approvals[0].str("action_id")
	e.json("GET", "/actions/"+id, tok, nil, 200, &a)
	if !strings.Contains(a.Summary, "Accept “Design review”") {
		t.Fatalf("rsvp summary %q", a.Summary)
	}
	isAda := func(x *calendar.EventAttendee) bool { return x.Email == ada }
	if g, _ := organizer.Events.Get("primary", inv.Id).Do(); g.Attendees[slices.IndexFunc(g.Attendees, isAda)].ResponseStatus == "accepted" {
		t.Fatal("answered before approval")
	}
	e.json("POST", "/actions/"+id+"/approve", tok, nil, 200, &a)
	g, err := organizer.Events.Get("primary", inv.Id).Do()
	if err != nil || a.Status != jarvis.ActionExecuted {
		t.Fatalf("rsvp %+v %v", a, err)
	}
	if j := slices.IndexFunc(g.Attendees, isAda); j < 0 ||
		g.Attendees[j].ResponseStatus != "accepted" || g.Attendees[j].Comment != "see you there" {
		t.Fatalf("the organizer sees %+v", g.Attendees)
	}
}

// TestClientActionsRunWhatWasShown: actions an outside client asks for —
// sending a draft, cancelling a send, changing and cancelling an event —
// show the owner whom they reach (a draft's Bcc and an event's guests
// count for the allowed domains), run exactly what was shown (a draft
// edited since is not sent), once, and an event without a time zone is
// refused when asked for.
func TestClientActionsRunWhatWasShown(t *testing.T) {
	t.Parallel()
	e := startEnv(t, envOptions{})
	logsOnFailure(t, e)
	tok := e.signIn(ada)
	userID := e.me(tok).User.ID
	ctx := context.Background()
	q := e.Main.actions
	client := jarvis.Requester{Type: jarvis.RequesterClient, ID: "https://client.example/app", Name: "Client"}
	e.json("PUT", "/settings/policy", tok, map[string]any{"allowed_recipient_domains": []string{"example.com"}}, 200, nil)
	e.Sandbox.Google.ResetStats()

	var dr draftBody
	e.json("POST", "/gmail/draft", tok, map[string]any{"to": []string{grace}, "bcc": []string{"spy@evil.example"}, "subject": "Gears", "body_text": "Late."}, 201, &dr)
	a, err := q.Request(ctx, userID, client, jarvis.ActionDraftSend, json.RawMessage(`{"draft_id":"`+dr.DraftID+`"}`))
	if err != nil || a.Status != jarvis.ActionPending || !slices.Equal(a.Policy.Flags, []string{jarvis.FlagOutsideAllowedDomains}) ||
		!strings.Contains(a.Summary, "spy@evil.example") || !strings.Contains(string(a.Payload), dr.MessageID) {
		t.Fatalf("draft send %+v %s %v", a, a.Payload, err)
	}
	// Edited after it was shown: approving sends nothing.
	e.json("PUT", "/gmail/drafts/"+dr.DraftID, tok, map[string]any{"to": []string{grace}, "subject": "Gears", "body_text": "Very late."}, 200, nil)
	e.problem("POST", "/actions/"+a.ID+"/approve", tok, nil, 409, "conflict")
	e.json("GET", "/actions/"+a.ID, tok, nil, 200, &a)
	if a.Status != jarvis.ActionFailed || e.Sandbox.Google.Stats()["gmail.drafts.send"] != 0 {
		t.Fatalf("edited draft: %+v, %d sends", a, e.Sandbox.Google.Stats()["gmail.drafts.send"])
	}
	// The draft as it is now, scheduled for later: held once, however often run.
	later := time.Now().Add(time.Hour).UTC().Truncate(time.Second)
	a, err = q.Request(ctx, userID, client, jarvis.ActionDraftSend, json.RawMessage(`{"draft_id":"`+dr.DraftID+`","send_at":"`+later.Format(time.RFC3339)+`"}`))
	if err != nil || len(a.Policy.Flags) != 0 {
		t.Fatalf("draft send %+v %v", a, err)
	}
	e.json("POST", "/actions/"+a.ID+"/approve", tok, nil, 200, &a)
	var held jarvis.SendResult
	if err := json.Unmarshal(a.Result, &held); err != nil || held.Status != jarvis.SendScheduled || !held.SendAt.Equal(later) {
		t.Fatalf("held %+v %v", a, err)
	}
	again, err := actions.DraftSender{Outbox: e.Main.Outbox, Mail: e.Main.Google}.Execute(jarvis.WithActionID(ctx, a.ID), userID, a.Payload)
	var replay jarvis.SendResult
	if err != nil || json.Unmarshal(again, &replay) != nil || replay.ScheduledID != held.ScheduledID {
		t.Fatalf("run again %s %v", again, err)
	}
	if _, err := (actions.MessageSender{Outbox: e.Main.Outbox}).Execute(ctx, userID, a.Payload); !jarvis.IsCode(err, jarvis.EINTERNAL) {
		t.Fatalf("a send outside the queue: %v", err)
	}
	// Cancelled by an action: nothing goes, the draft stays.
	a, err = q.Request(ctx, userID, client, jarvis.ActionScheduleCancel, json.RawMessage(`{"scheduled_id":"`+held.ScheduledID+`"}`))
	if err != nil || a.Status != jarvis.ActionPending || !strings.Contains(a.Summary, "Cancel sending “Gears”") {
		t.Fatalf("cancel %+v %v", a, err)
	}
	e.json("POST", "/actions/"+a.ID+"/approve", tok, nil, 200, &a)
	var list struct{ Sends []jarvis.SendResult }
	e.json("GET", "/gmail/scheduled", tok, nil, 200, &list)
	if a.Status != jarvis.ActionExecuted || len(list.Sends) != 0 || e.Sandbox.Google.Stats()["gmail.drafts.send"] != 0 {
		t.Fatalf("cancelled %+v, still held %+v", a, list.Sends)
	}
	if _, err := q.Request(ctx, userID, client, jarvis.ActionScheduleCancel, json.RawMessage(`{"scheduled_id":"`+held.ScheduledID+`"}`)); !jarvis.IsCode(err, jarvis.ENOTFOUND) {
		t.Fatalf("cancel again: %v", err)
	}

	// Events: no time zone, no request; guests Google mails count for the domains.
	start := time.Now().UTC().AddDate(0, 0, 4).Truncate(time.Hour)
	if _, err := q.Request(ctx, userID, client, jarvis.ActionEventCreate, json.RawMessage(`{"summary":"x","start":"`+start.Format("2006-01-02T15:04")+
		`","end":"`+start.Add(time.Hour).Format("2006-01-02T15:04")+`"}`)); !jarvis.IsCode(err, jarvis.EINVALID) || !strings.Contains(err.Error(), "time_zone") {
		t.Fatalf("event without a zone: %v", err)
	}
	var ev jarvis.Event
	e.json("POST", "/calendar/events", tok, map[string]any{"summary": "Board prep", "start": start.Format(time.RFC3339), "end": start.Add(time.Hour).Format(time.RFC3339),
		"time_zone": "UTC", "attendees": []string{"lin@example.net"}}, 201, &ev)
	a, err = q.Request(ctx, userID, client, jarvis.ActionEventUpdate, json.RawMessage(`{"event_id":"`+ev.ID+`","summary":"Board prep (moved)","send_updates":"all"}`))
	if err != nil || !slices.Equal(a.Policy.Flags, []string{jarvis.FlagOutsideAllowedDomains}) || !strings.Contains(a.Summary, "Change “Board prep”") {
		t.Fatalf("update %+v %v", a, err)
	}
	e.json("POST", "/actions/"+a.ID+"/approve", tok, nil, 200, &a)
	if err := json.Unmarshal(a.Result, &ev); err != nil || ev.Summary != "Board prep (moved)" {
		t.Fatalf("updated %+v %v", ev, err)
	}
	a, err = q.Request(ctx, userID, client, jarvis.ActionEventDelete, json.RawMessage(`{"event_id":"`+ev.ID+`"}`))
	if err != nil || len(a.Policy.Flags) != 0 {
		t.Fatalf("delete (no one mailed) %+v %v", a, err)
	}
	e.json("POST", "/actions/"+a.ID+"/approve", tok, nil, 200, &a)
	if err := json.Unmarshal(a.Result, &ev); err != nil || ev.Status != "cancelled" {
		t.Fatalf("cancelled %+v %v", ev, err)
	}

	// Run again, as after a crash between running an action and recording
	// its outcome: the event is created once, under the id the action
	// gives it (Google answers 409 to the re-run, which reads it back);
	// a change and a cancellation run again leave it as the first run did.
	a, err = q.Request(ctx, userID, client, jarvis.ActionEventCreate, json.RawMessage(`{"summary":"Offsite","start":"`+start.Format("2006-01-02T15:04")+
		`","end":"`+start.Add(time.Hour).Format("2006-01-02T15:04")+`","time_zone":"UTC"}`))
	if err != nil {
		t.Fatal(err)
	}
	e.json("POST", "/actions/"+a.ID+"/approve", tok, nil, 200, &a)
	var made jarvis.Event
	if err := json.Unmarshal(a.Result, &made); err != nil || a.Status != jarvis.ActionExecuted || made.ID != jarvis.ActionEventID(a.ID) {
		t.Fatalf("created %+v %s %v", a, a.Result, err)
	}
	rerun := func(kind string, act *jarvis.Action) *jarvis.Event {
		t.Helper()
		out, err := actions.EventWriter{Kind: kind, Writer: e.Main.Google}.Execute(jarvis.WithActionID(ctx, act.ID), userID, act.Payload)
		var ev jarvis.Event
		if err != nil || json.Unmarshal(out, &ev) != nil {
			t.Fatalf("%s run again: %s %v", kind, out, err)
		}
		return &ev
	}
	created := e.Sandbox.Google.Stats()["calendar.events.insert"]
	if again := rerun(jarvis.ActionEventCreate, a); again.ID != made.ID || again.Summary != "Offsite" || again.Status == "cancelled" {
		t.Fatalf("create run again: %+v, first %+v", again, made)
	}
	day, err := e.Main.Google.Events(ctx, userID, "", start, start.Add(time.Hour), 50)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, x := range day.Events {
		if x.Summary == "Offsite" {
			n++
		}
	}
	if n != 1 || e.Sandbox.Google.Stats()["calendar.events.insert"] != created+1 { // the re-run's insert, refused
		t.Fatalf("after a re-run, %d events named Offsite: %+v", n, day.Events)
	}
	up, err := q.Request(ctx, userID, client, jarvis.ActionEventUpdate, json.RawMessage(`{"event_id":"`+made.ID+`","summary":"Offsite (Fri)"}`))
	if err != nil {
		t.Fatal(err)
	}
	e.json("POST", "/actions/"+up.ID+"/approve", tok, nil, 200, &up)
	if again := rerun(jarvis.ActionEventUpdate, up); again.ID != made.ID || again.Summary != "Offsite (Fri)" {
		t.Fatalf("update run again: %+v", again)
	}
	del, err := q.Request(ctx, userID, client, jarvis.ActionEventDelete, json.RawMessage(`{"event_id":"`+made.ID+`"}`))
	if err != nil {
		t.Fatal(err)
	}
	e.json("POST", "/actions/"+del.ID+"/approve", tok, nil, 200, &del)
	if again := rerun(jarvis.ActionEventDelete, del); again.ID != made.ID || again.Status != "cancelled" {
		t.Fatalf("delete run again: %+v", again)
	}
}

// A client's draft reply is shown as what it will be: a reply with the
// thread's subject ("Re: …") and the recipients Gmail's rule gives it —
// everyone on the thread for a reply-all — and approved, it is made in
// that thread with those recipients.
func TestClientDraftRepliesAreShownAsReplies(t *testing.T) {
	t.Parallel()
	e := startEnv(t, envOptions{})
	logsOnFailure(t, e)
	tok := e.signIn(ada)
	userID := e.me(tok).User.ID
	raw := "From: Mary Somerville <mary@example.org>\r\nReply-To: Grace Hopper <grace@example.com>\r\n" +
		"To: Ada <ada@example.com>, team@example.org\r\nCc: charles@example.com\r\n" +
		"Subject: Orbit tables\r\nDate: " + time.Now().UTC().Format(time.RFC1123Z) + "\r\nMessage-ID: <orbit-1@example.org>\r\n\r\nCan you check them?\r\n"
	_, thread, err := e.Sandbox.Google.Deliver(ada, []byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	q := e.Main.actions
	client := jarvis.Requester{Type: jarvis.RequesterClient, ID: "https://client.example/app", Name: "Client"}
	for _, tc := range []struct {
		payload, summary string
		to, cc           []string
	}{
		{`{"reply_to_thread_id":"` + thread + `","body_text":"Checked."}`, "Create a reply draft “Re: Orbit tables” to grace@example.com",
			[]string{"grace@example.com"}, []string{}},
		{`{"reply_to_thread_id":"` + thread + `","reply_all":true,"body_text":"All checked."}`,
			"Create a reply draft “Re: Orbit tables” to grace@example.com, team@example.org, charles@example.com",
			[]string{"grace@example.com", "team@example.org"}, []string{"charles@example.com"}},
	} {
		a, err := q.Request(ctx, userID, client, jarvis.ActionDraftCreate, json.RawMessage(tc.payload))
		if err != nil || a.Summary != tc.summary {
			t.Fatalf("request %s: %+v %v", tc.payload, a, err)
		}
		e.json("POST", "/actions/"+a.ID+"/approve", tok, nil, 200, &a)
		var d jarvis.Draft
		if err := json.Unmarshal(a.Result, &d); err != nil || a.Status != jarvis.ActionExecuted || d.ThreadID != thread {
			t.Fatalf("approved %+v %s %v", a, a.Result, err)
		}
		var got jarvis.Draft
		e.json("GET", "/gmail/drafts/"+d.DraftID, tok, nil, 200, &got)
		if got.Message.Subject != "Re: Orbit tables" || !slices.Equal(emails(got.Message.To), tc.to) || !slices.Equal(emails(got.Message.Cc), tc.cc) {
			t.Fatalf("draft %+v", got.Message)
		}
	}
	for payload, field := range map[string]string{
		`{"reply_to_thread_id":"not-an-id","body_text":"x"}`:        "reply_to_thread_id",
		`{"reply_all":true,"to":["a@example.com"],"body_text":"x"}`: "reply_all",
		`{"body_text":"nobody"}`:                                    "to",
	} {
		if _, err := q.Request(ctx, userID, client, jarvis.ActionDraftCreate, json.RawMessage(payload)); !jarvis.IsCode(err, jarvis.EINVALID) || !strings.Contains(err.Error(), field) {
			t.Fatalf("%s: %v, want EINVALID naming %s", payload, err, field)
		}
	}
}

func emails(as []jarvis.Address) []string {
	out := []string{}
	for _, a := range as {
		out = append(out, a.Email)
	}
	return out
}
