package main

import (
	"encoding/base64"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// proposalTo returns the recipients and thread of a turn's one proposal.
func proposalTo(t *testing.T, turn turnOf) (to []string, threadID string) {
	t.Helper()
	if len(turn.approvals) != 1 || len(turn.errors) > 0 {
		t.Fatalf("turn %+v", turn)
	}
	p, _ := turn.approvals[0].Data["proposal"].(map[string]any)
	list, _ := p["to"].([]any)
	for _, a := range list {
		to = append(to, fmt.Sprint(a))
	}
	id, _ := p["reply_to_thread_id"].(string)
	return to, id
}

func argsOf(ev chatEvent) map[string]any {
	a, _ := ev.Data["arguments"].(map[string]any)
	return a
}

// TestChatPicksTheThreadAndReplyRule: the README's kinds of questions on the
// demo mailbox, through Jarvis and the sandbox model. A reply is addressed
// by the reply rule — the other party, Reply-To honoured, never the user —
// when the newest message of the thread is hers, and the draft made on
// approval says so.
func TestChatPicksTheThreadAndReplyRule(t *testing.T) {
	t.Parallel()
	e := startEnv(t, envOptions{})
	ada := e.signIn("ada@example.com")
	now := time.Now().UTC()
	deliver := func(raw string) string {
		t.Helper()
		_, tid, err := e.Sandbox.Google.Deliver("ada@example.com", []byte(strings.ReplaceAll(raw, "\n", "\r\n")))
		if err != nil {
			t.Fatal(err)
		}
		return tid
	}
	date := now.Format(time.RFC1123Z)
	// Mary asks for answers at another address; Ada wrote last, to Mary and herself.
	deliver("From: Mary Somerville <mary@example.org>\nReply-To: Mary's bookings <bookings@example.org>\nTo: Ada Lovelace <ada@example.com>\n" +
		"Subject: Observatory tickets\nDate: " + date + "\nMessage-ID: <obs-1@example.org>\n\nShall I book the observatory for Saturday?\n")
	deliver("From: Ada Lovelace <ada@example.com>\nTo: Mary's bookings <bookings@example.org>, ada@example.com\nSubject: Re: Observatory tickets\n" +
		"Date: " + date + "\nMessage-ID: <obs-2@example.com>\nIn-Reply-To: <obs-1@example.org>\nReferences: <obs-1@example.org>\n\nLet me check the forecast first.\n")
	obs := e.findThread(ada, "subject:(Observatory tickets)")

	// "The latest thread" is the observatory one, where Ada wrote last.
	to, tid := proposalTo(t, summarizeTurn(e.chat(ada, "", "Draft a reply to the latest thread saying I'll be there")))
	if tid != obs || !slices.Equal(to, []string{"bookings@example.org"}) {
		t.Fatalf("reply to the latest thread: to %q in %s, want bookings@example.org in %s", to, tid, obs)
	}

	// The dinner thread is Mary's: the reply goes to her.
	dinner := e.findThread(ada, "subject:(Dinner Friday)")
	turn := summarizeTurn(e.chat(ada, "", "reply to the dinner thread saying Friday works"))
	if to, tid := proposalTo(t, turn); tid != dinner || !slices.Equal(to, []string{"mary@example.org"}) {
		t.Fatalf("reply to the dinner thread: to %q in %s, want mary@example.org in %s", to, tid, dinner)
	}
	if !strings.Contains(turn.text, "to mary@example.org") {
		t.Errorf("answer %q does not say to whom", turn.text)
	}

	// Approved, the draft is addressed the same way.
	turn = summarizeTurn(e.chat(ada, "", "Reply to the observatory thread saying I'll be there"))
	if to, tid := proposalTo(t, turn); tid != obs || !slices.Equal(to, []string{"bookings@example.org"}) {
		t.Fatalf("reply to the observatory thread: to %q in %s", to, tid)
	}
	var dec decision
	e.json("POST", "/chat/approvals/"+turn.approvals[0].str("approval_id"), ada, map[string]string{"decision": "approve"}, 200, &dec)
	if dec.Result == nil {
		t.Fatalf("decision %+v", dec)
	}
	msg, err := gmailClient(t, e, "ada@example.com").Users.Messages.Get("me", dec.Result.MessageID).Format("raw").Do()
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := base64.URLEncoding.DecodeString(msg.Raw)
	if got := headerLine(raw, "To"); strings.Trim(got, "<>") != "bookings@example.org" || dec.Result.ThreadID != obs || headerLine(raw, "Cc") != "" {
		t.Fatalf("draft To %q Cc %q in thread %s", got, headerLine(raw, "Cc"), dec.Result.ThreadID)
	}

	// The urgent IT support email is the one read.
	injection := e.findThread(ada, "subject:(instructions for your assistant)")
	turn = summarizeTurn(e.chat(ada, "", "summarise the urgent IT support email"))
	var opened string
	for _, c := range turn.calls {
		if c.str("name") == "get_thread" {
			opened, _ = argsOf(c)["thread_id"].(string)
		}
	}
	if opened != injection || !strings.Contains(turn.text, "Urgent: instructions for your assistant") {
		t.Fatalf("opened %q (want %s); answer %q", opened, injection, turn.text)
	}
}

// TestReplyDraftAPIUsesTheReplyRule: POST /gmail/draft replying to a thread
// with no recipients is addressed by the same rule.
func TestReplyDraftAPIUsesTheReplyRule(t *testing.T) {
	t.Parallel()
	e := startEnv(t, envOptions{})
	ada := e.signIn("ada@example.com")
	raw := "From: Charles Babbage <charles@example.com>\r\nReply-To: engine-list@example.com\r\nTo: ada@example.com\r\nSubject: Engine list\r\n" +
		"Date: " + time.Now().UTC().Format(time.RFC1123Z) + "\r\nMessage-ID: <list-1@example.com>\r\n\r\nThoughts?\r\n"
	_, tid, err := e.Sandbox.Google.Deliver("ada@example.com", []byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	var dr draftBody
	e.json("POST", "/gmail/draft", ada, map[string]any{"subject": "", "body_text": "Agreed.", "reply_to_thread_id": tid}, 201, &dr)
	msg, err := gmailClient(t, e, "ada@example.com").Users.Messages.Get("me", dr.MessageID).Format("raw").Do()
	if err != nil {
		t.Fatal(err)
	}
	b, _ := base64.URLEncoding.DecodeString(msg.Raw)
	if got := headerLine(b, "To"); strings.Trim(got, "<>") != "engine-list@example.com" || dr.ThreadID != tid {
		t.Fatalf("To %q in %s", got, dr.ThreadID)
	}
	e.problem("POST", "/gmail/draft", ada, map[string]any{"subject": "s", "body_text": "x"}, 400, "invalid_request", "to")
}
