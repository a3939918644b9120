package sandbox

import (
	"encoding/base64"
	"net/http"
	"slices"
	"strings"
	"testing"

	"google.golang.org/api/gmail/v1"
	"google.golang.org/api/googleapi"
)

// replyTo builds a reply to the last message of a thread, as a mail client
// would: Re: subject, In-Reply-To and References.
func replyTo(t *testing.T, svc *gmail.Service, threadID, body string) string {
	t.Helper()
	th, err := svc.Users.Threads.Get("me", threadID).Format("metadata").Do()
	if err != nil {
		t.Fatal(err)
	}
	last := th.Messages[len(th.Messages)-1].Payload
	subject := header(th.Messages[0].Payload, "Subject")
	return "From: Ada Lovelace <ada@example.com>\r\nTo: " + header(last, "From") + "\r\nSubject: Re: " + subject +
		"\r\nIn-Reply-To: " + header(last, "Message-ID") + "\r\nReferences: " + header(last, "References") + " " + header(last, "Message-ID") +
		"\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\n" + body + "\r\n"
}

func TestDraftsCreateGetListAndThreading(t *testing.T) {
	e := newEnv(t, nil)
	svc := e.gmail(e.signIn("ada@example.com"))
	prof, err := svc.Users.GetProfile("me").Do()
	if err != nil {
		t.Fatal(err)
	}
	threads, err := svc.Users.Threads.List("me").Q("subject:board review").Do()
	if err != nil || len(threads.Threads) != 1 {
		t.Fatalf("board thread: %v %v", threads, err)
	}
	board := threads.Threads[0].Id
	before, _ := svc.Users.Threads.Get("me", board).Format("minimal").Do()

	raw := replyTo(t, svc, board, "Confirmed: the notes are final. Ada")
	d, err := svc.Users.Drafts.Create("me", &gmail.Draft{Message: &gmail.Message{
		Raw: base64.URLEncoding.EncodeToString([]byte(raw)), ThreadId: board,
	}}).Do()
	if err != nil {
		t.Fatal(err)
	}
	if d.Id == "" || d.Message.ThreadId != board || !slices.Equal(d.Message.LabelIds, []string{"DRAFT"}) || !validID(d.Message.Id) {
		t.Fatalf("draft = %+v %+v", d, d.Message)
	}
	after, err := svc.Users.Threads.Get("me", board).Do()
	if err != nil {
		t.Fatal(err)
	}
	if len(after.Messages) != len(before.Messages)+1 || after.Messages[len(after.Messages)-1].Id != d.Message.Id {
		t.Errorf("draft did not join its thread")
	}

	// A threadId whose thread the headers do not name starts a new thread.
	stray := "From: ada@example.com\r\nTo: mary@example.org\r\nSubject: Something else\r\n\r\nHello\r\n"
	d2, err := svc.Users.Drafts.Create("me", &gmail.Draft{Message: &gmail.Message{
		Raw: base64.RawURLEncoding.EncodeToString([]byte(stray)), ThreadId: board,
	}}).Do()
	if err != nil {
		t.Fatal(err)
	}
	if d2.Message.ThreadId == board || d2.Message.ThreadId != d2.Message.Id {
		t.Errorf("mismatched draft joined thread: %+v", d2.Message)
	}

	// The media upload form (multipart: Draft JSON + message/rfc822).
	raw3 := replyTo(t, svc, board, "Uploaded reply.")
	d3, err := svc.Users.Drafts.Create("me", &gmail.Draft{Message: &gmail.Message{ThreadId: board}}).
		Media(strings.NewReader(raw3), googleapi.ContentType("message/rfc822")).Do()
	if err != nil {
		t.Fatal(err)
	}
	if d3.Message.ThreadId != board {
		t.Errorf("uploaded draft thread = %s", d3.Message.ThreadId)
	}
	// uploadType=media: the bytes alone.
	req, _ := http.NewRequest("POST", e.base+"/upload/gmail/v1/users/me/drafts?uploadType=media", strings.NewReader(stray))
	req.Header.Set("Content-Type", "message/rfc822")
	req.Header.Set("Authorization", "Bearer "+e.signIn("ada@example.com").AccessToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("uploadType=media: %v %v", resp, err)
	}
	resp.Body.Close()

	got, err := svc.Users.Drafts.Get("me", d.Id).Do()
	if err != nil {
		t.Fatal(err)
	}
	if got.Id != d.Id || header(got.Message.Payload, "Subject") != "Re: Analytical Engine: board review prep" || !slices.Contains(got.Message.LabelIds, "DRAFT") {
		t.Errorf("drafts.get = %+v", got.Message)
	}
	list, err := svc.Users.Drafts.List("me").Do()
	if err != nil || len(list.Drafts) != 4 || list.Drafts[0].Message.Id == "" {
		t.Errorf("drafts.list = %v %v", list, err)
	}
	_, err = svc.Users.Drafts.Get("me", "r0").Do()
	assertAPIError(t, err, 404, "notFound")
	_, err = svc.Users.Drafts.Create("me", &gmail.Draft{Message: &gmail.Message{}}).Do()
	assertAPIError(t, err, 400, "invalid")

	// History: the drafts are messagesAdded after the profile's history id.
	hist, err := svc.Users.History.List("me").StartHistoryId(prof.HistoryId).Do()
	if err != nil {
		t.Fatal(err)
	}
	var added []string
	for _, h := range hist.History {
		for _, m := range h.MessagesAdded {
			added = append(added, m.Message.Id)
		}
	}
	if len(added) != 4 || added[0] != d.Message.Id || hist.HistoryId <= prof.HistoryId {
		t.Errorf("history = %v (historyId %d)", added, hist.HistoryId)
	}
	_, err = svc.Users.History.List("me").StartHistoryId(1).Do()
	assertAPIError(t, err, 404, "notFound")

	// A compose-only grant can create and read drafts but not threads.
	compose := e.gmail(e.signIn("ada@example.com", "openid", gmail.GmailComposeScope))
	if _, err := compose.Users.Drafts.Create("me", &gmail.Draft{Message: &gmail.Message{Raw: base64.URLEncoding.EncodeToString([]byte(stray))}}).Do(); err != nil {
		t.Errorf("compose drafts.create: %v", err)
	}
	_, err = compose.Users.Messages.Get("me", d.Message.Id).Do()
	assertAPIError(t, err, 403, "insufficientPermissions")
	readonly := e.gmail(e.signIn("ada@example.com", gmail.GmailReadonlyScope))
	_, err = readonly.Users.Drafts.Create("me", &gmail.Draft{Message: &gmail.Message{Raw: base64.URLEncoding.EncodeToString([]byte(stray))}}).Do()
	assertAPIError(t, err, 403, "insufficientPermissions")
}

func TestModifyAndDeliverRecordHistory(t *testing.T) {
	e := newEnv(t, nil)
	svc := e.gmail(e.signIn("ada@example.com", gmail.GmailModifyScope))
	prof, _ := svc.Users.GetProfile("me").Do()
	list, _ := svc.Users.Messages.List("me").Q("subject:dinner").Do()
	id := list.Messages[0].Id
	m, err := svc.Users.Messages.Modify("me", id, &gmail.ModifyMessageRequest{AddLabelIds: []string{"STARRED"}, RemoveLabelIds: []string{"UNREAD"}}).Do()
	if err != nil || !slices.Contains(m.LabelIds, "STARRED") || slices.Contains(m.LabelIds, "UNREAD") {
		t.Fatalf("modify: %v %v", m, err)
	}
	_, err = svc.Users.Messages.Modify("me", id, &gmail.ModifyMessageRequest{AddLabelIds: []string{"Label_99"}}).Do()
	assertAPIError(t, err, 400, "invalid")

	newID, threadID, err := e.srv.Deliver("ada@example.com", []byte("From: mary@example.org\r\nTo: ada@example.com\r\nSubject: Fresh news\r\nMessage-ID: <fresh@example.org>\r\n\r\nJust arrived.\r\n"))
	if err != nil || newID != threadID {
		t.Fatal(err)
	}
	hist, err := svc.Users.History.List("me").StartHistoryId(prof.HistoryId).Do()
	if err != nil {
		t.Fatal(err)
	}
	if len(hist.History) != 2 || len(hist.History[0].LabelsAdded) != 1 || len(hist.History[0].LabelsRemoved) != 1 ||
		hist.History[1].MessagesAdded[0].Message.Id != newID || !slices.Contains(hist.History[1].MessagesAdded[0].Message.LabelIds, "UNREAD") {
		t.Errorf("history = %+v", hist.History)
	}
	only, err := svc.Users.History.List("me").StartHistoryId(prof.HistoryId).HistoryTypes("messageAdded").LabelId("INBOX").Do()
	if err != nil || len(only.History) != 1 {
		t.Errorf("filtered history = %v %v", only, err)
	}
	got, err := svc.Users.Messages.List("me").Q("is:unread subject:fresh").Do()
	if err != nil || len(got.Messages) != 1 {
		t.Errorf("delivered message not found: %v %v", got, err)
	}
}
