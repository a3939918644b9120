package sandbox

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"google.golang.org/api/gmail/v1"
	"google.golang.org/api/googleapi"
)

func rawMsg(s string) string {
	return base64.URLEncoding.EncodeToString([]byte(strings.ReplaceAll(s, "\n", "\r\n")))
}

// adminJSON posts JSON to an admin route and decodes the answer into out.
func (e *env) adminJSON(path, body string, out any) int {
	e.t.Helper()
	resp, err := http.Post(e.base+path, "application/json", strings.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	if out != nil {
		_ = json.NewDecoder(resp.Body).Decode(out)
	}
	return resp.StatusCode
}

// historyOf lists every history record after start, following pages.
func historyOf(t *testing.T, svc *gmail.Service, start uint64, opts ...func(*gmail.UsersHistoryListCall)) []*gmail.History {
	t.Helper()
	var out []*gmail.History
	tok := ""
	for {
		call := svc.Users.History.List("me").StartHistoryId(start).PageToken(tok)
		for _, o := range opts {
			o(call)
		}
		resp, err := call.Do()
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, resp.History...)
		if tok = resp.NextPageToken; tok == "" {
			return out
		}
	}
}

func TestGmailSendDeliversToSandboxRecipientsWithBccStripped(t *testing.T) {
	e := newEnv(t, nil)
	ada := e.gmail(e.signIn("ada@example.com", gmail.GmailSendScope, gmail.GmailReadonlyScope))
	grace := e.gmail(e.signIn("grace@example.com", gmail.GmailReadonlyScope))
	adaStart, _ := ada.Users.GetProfile("me").Do()
	graceStart, _ := grace.Users.GetProfile("me").Do()

	sent, err := ada.Users.Messages.Send("me", &gmail.Message{Raw: rawMsg(
		"From: Ada <someone.else@example.org>\nTo: someone@outside.test\nBcc: grace@example.com\nSubject: Lunch plans\n\nNoon?\n")}).Do()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(sent.LabelIds, []string{"SENT"}) {
		t.Errorf("sent labels %v", sent.LabelIds)
	}
	// The sender's copy keeps Bcc; it is in the sender's history.
	mine, err := ada.Users.Messages.Get("me", sent.Id).Format("metadata").Do()
	if err != nil {
		t.Fatal(err)
	}
	if header(mine.Payload, "Bcc") != "grace@example.com" || header(mine.Payload, "Message-Id") == "" || header(mine.Payload, "From") != `"Ada" <ada@example.com>` {
		t.Errorf("sender copy headers %+v", mine.Payload.Headers)
	}
	if h := historyOf(t, ada, adaStart.HistoryId); len(h) != 1 || h[0].MessagesAdded[0].Message.Id != sent.Id {
		t.Errorf("sender history %+v", h)
	}
	// The Bcc recipient receives it in the inbox, unread, without Bcc.
	inbox, err := grace.Users.Messages.List("me").LabelIds("INBOX").Q("subject:lunch").Do()
	if err != nil || len(inbox.Messages) != 1 {
		t.Fatalf("grace inbox %v %v", inbox, err)
	}
	got, err := grace.Users.Messages.Get("me", inbox.Messages[0].Id).Format("raw").Do()
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := base64.URLEncoding.DecodeString(got.Raw)
	if bytes.Contains(bytes.ToLower(raw), []byte("bcc:")) || !slices.Contains(got.LabelIds, "UNREAD") || !slices.Contains(got.LabelIds, "INBOX") {
		t.Errorf("received %q labels %v", raw, got.LabelIds)
	}
	h := historyOf(t, grace, graceStart.HistoryId, func(c *gmail.UsersHistoryListCall) { c.HistoryTypes("messageAdded") })
	if len(h) != 1 || h[0].MessagesAdded[0].Message.Id != got.Id || h[0].Id <= graceStart.HistoryId {
		t.Errorf("recipient history %+v", h)
	}
	// The outside address is in the outbox, not on the wire.
	resp, err := http.Get(e.base + "/sandbox/outbox")
	if err != nil {
		t.Fatal(err)
	}
	var box struct {
		Messages []outboxItem `json:"messages"`
	}
	json.NewDecoder(resp.Body).Decode(&box)
	resp.Body.Close()
	if len(box.Messages) != 1 || !slices.Equal(box.Messages[0].To, []string{"someone@outside.test"}) || box.Messages[0].Subject != "Lunch plans" {
		t.Errorf("outbox %+v", box)
	}
}

func TestGmailSendUploadFormsAndThreadRule(t *testing.T) {
	e := newEnv(t, nil)
	ada := e.gmail(e.signIn("ada@example.com", gmail.GmailComposeScope, gmail.GmailReadonlyScope))
	first, err := ada.Users.Messages.Send("me", &gmail.Message{}).Media(strings.NewReader(
		"To: grace@example.com\r\nSubject: Budget\r\nMessage-ID: <budget-1@example.com>\r\n\r\nDraft numbers.\r\n"),
		googleapi.ContentType("message/rfc822")).Do()
	if err != nil {
		t.Fatal(err)
	}
	// A reply naming the thread, referring to it and keeping the subject joins.
	reply, err := ada.Users.Messages.Send("me", &gmail.Message{ThreadId: first.ThreadId, Raw: rawMsg(
		"To: grace@example.com\nSubject: Re: Budget\nIn-Reply-To: <budget-1@example.com>\nReferences: <budget-1@example.com>\n\nUpdated.\n")}).Do()
	if err != nil {
		t.Fatal(err)
	}
	if reply.ThreadId != first.ThreadId {
		t.Errorf("reply thread %s, want %s", reply.ThreadId, first.ThreadId)
	}
	// The same threadId with another subject starts a new thread.
	other, err := ada.Users.Messages.Send("me", &gmail.Message{ThreadId: first.ThreadId, Raw: rawMsg(
		"To: grace@example.com\nSubject: Something else\nIn-Reply-To: <budget-1@example.com>\n\nHi.\n")}).Do()
	if err != nil {
		t.Fatal(err)
	}
	// threadId without references starts a new thread too.
	bare, err := ada.Users.Messages.Send("me", &gmail.Message{ThreadId: first.ThreadId, Raw: rawMsg(
		"To: grace@example.com\nSubject: Re: Budget\n\nHi.\n")}).Do()
	if err != nil {
		t.Fatal(err)
	}
	if other.ThreadId == first.ThreadId || bare.ThreadId == first.ThreadId {
		t.Errorf("joined against the rule: %s %s", other.ThreadId, bare.ThreadId)
	}
	// The recipient threads the two Budget messages together.
	grace := e.gmail(e.signIn("grace@example.com", gmail.GmailReadonlyScope))
	list, err := grace.Users.Threads.List("me").Q("subject:budget").Do()
	if err != nil {
		t.Fatal(err)
	}
	sizes := map[int]int{}
	for _, th := range list.Threads {
		full, _ := grace.Users.Threads.Get("me", th.Id).Format("minimal").Do()
		sizes[len(full.Messages)]++
	}
	if sizes[2] != 1 {
		t.Errorf("grace's budget threads by size %v", sizes)
	}
	// The bare media upload, as curl would send it.
	tok := e.signIn("ada@example.com", gmail.GmailSendScope)
	req, _ := http.NewRequest("POST", e.base+"/upload/gmail/v1/users/me/messages/send?uploadType=media",
		strings.NewReader("To: grace@example.com\r\nSubject: Media form\r\n\r\nhi\r\n"))
	req.Header.Set("Content-Type", "message/rfc822")
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var media refJSON
	json.NewDecoder(resp.Body).Decode(&media)
	resp.Body.Close()
	if resp.StatusCode != 200 || media.ID == "" || media.LabelIDs[0] != "SENT" {
		t.Errorf("media upload: %d %+v", resp.StatusCode, media)
	}
	// No recipient: 400.
	_, err = ada.Users.Messages.Send("me", &gmail.Message{Raw: rawMsg("Subject: nobody\n\nx\n")}).Do()
	assertAPIError(t, err, 400, "invalid")
}

func TestGmailDraftsUpdateSendDelete(t *testing.T) {
	e := newEnv(t, nil)
	ada := e.gmail(e.signIn("ada@example.com", gmail.GmailComposeScope, gmail.GmailReadonlyScope))
	d, err := ada.Users.Drafts.Create("me", &gmail.Draft{Message: &gmail.Message{Raw: rawMsg("To: grace@example.com\nSubject: v1\n\none\n")}}).Do()
	if err != nil {
		t.Fatal(err)
	}
	u, err := ada.Users.Drafts.Update("me", d.Id, &gmail.Draft{Message: &gmail.Message{Raw: rawMsg("To: grace@example.com\nSubject: v2\n\ntwo\n")}}).Do()
	if err != nil {
		t.Fatal(err)
	}
	if u.Id != d.Id || u.Message.Id == d.Message.Id {
		t.Errorf("update %+v from %+v", u, d)
	}
	_, err = ada.Users.Messages.Get("me", d.Message.Id).Do()
	assertAPIError(t, err, 404, "notFound") // the old draft message is gone
	sent, err := ada.Users.Drafts.Send("me", &gmail.Draft{Id: d.Id}).Do()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(sent.LabelIds, "SENT") {
		t.Errorf("sent %+v", sent)
	}
	_, err = ada.Users.Drafts.Get("me", d.Id).Do()
	assertAPIError(t, err, 404, "notFound")
	d2, _ := ada.Users.Drafts.Create("me", &gmail.Draft{Message: &gmail.Message{Raw: rawMsg("To: x@outside.test\nSubject: bin\n\nx\n")}}).Do()
	if err := ada.Users.Drafts.Delete("me", d2.Id).Do(); err != nil {
		t.Fatal(err)
	}
	assertAPIError(t, ada.Users.Drafts.Delete("me", d2.Id).Do(), 404, "notFound")
	grace := e.gmail(e.signIn("grace@example.com", gmail.GmailReadonlyScope))
	if l, _ := grace.Users.Messages.List("me").Q("subject:v2").Do(); l == nil || len(l.Messages) != 1 {
		t.Errorf("grace did not receive the sent draft: %+v", l)
	}
}

func TestGmailModifyTrashDeleteInHistory(t *testing.T) {
	e := newEnv(t, nil)
	svc := e.gmail(e.signIn("ada@example.com", "https://mail.google.com/"))
	prof, _ := svc.Users.GetProfile("me").Do()
	start := prof.HistoryId
	list, _ := svc.Users.Messages.List("me").LabelIds("INBOX").MaxResults(4).Do()
	ids := []string{list.Messages[0].Id, list.Messages[1].Id, list.Messages[2].Id, list.Messages[3].Id}

	if _, err := svc.Users.Messages.Modify("me", ids[0], &gmail.ModifyMessageRequest{AddLabelIds: []string{"STARRED"}}).Do(); err != nil {
		t.Fatal(err)
	}
	if err := svc.Users.Messages.BatchModify("me", &gmail.BatchModifyMessagesRequest{Ids: ids[1:3], AddLabelIds: []string{"Label_1"}, RemoveLabelIds: []string{"INBOX"}}).Do(); err != nil {
		t.Fatal(err)
	}
	if m, err := svc.Users.Messages.Trash("me", ids[2]).Do(); err != nil || !slices.Contains(m.LabelIds, "TRASH") || slices.Contains(m.LabelIds, "INBOX") {
		t.Fatalf("trash %v %v", m, err)
	}
	if m, err := svc.Users.Messages.Untrash("me", ids[2]).Do(); err != nil || slices.Contains(m.LabelIds, "TRASH") {
		t.Fatalf("untrash %v %v", m, err)
	}
	th, err := svc.Users.Threads.Modify("me", list.Messages[0].ThreadId, &gmail.ModifyThreadRequest{AddLabelIds: []string{"IMPORTANT"}}).Do()
	if err != nil || !slices.Contains(th.Messages[0].LabelIds, "IMPORTANT") {
		t.Fatalf("threads.modify %v %v", th, err)
	}
	if _, err := svc.Users.Threads.Trash("me", list.Messages[3].ThreadId).Do(); err != nil {
		t.Fatal(err)
	}
	if err := svc.Users.Messages.Delete("me", ids[3]).Do(); err != nil {
		t.Fatal(err)
	}
	_, err = svc.Users.Messages.Get("me", ids[3]).Do()
	assertAPIError(t, err, 404, "notFound")
	_, err = svc.Users.Messages.Modify("me", ids[0], &gmail.ModifyMessageRequest{AddLabelIds: []string{"Label_999"}}).Do()
	assertAPIError(t, err, 400, "invalid")

	all := historyOf(t, svc, start)
	var last uint64 = start
	counts := map[string]int{}
	for _, h := range all {
		if h.Id <= last {
			t.Errorf("history ids not growing: %d after %d", h.Id, last)
		}
		last = h.Id
		counts["added"] += len(h.MessagesAdded)
		counts["deleted"] += len(h.MessagesDeleted)
		counts["labelsAdded"] += len(h.LabelsAdded)
		counts["labelsRemoved"] += len(h.LabelsRemoved)
	}
	if counts["deleted"] != 1 || counts["labelsAdded"] < 5 || counts["labelsRemoved"] < 3 {
		t.Errorf("history counts %v over %d records", counts, len(all))
	}
	// Paging one record at a time gives the same records.
	paged := historyOf(t, svc, start, func(c *gmail.UsersHistoryListCall) { c.MaxResults(1) })
	if len(paged) != len(all) {
		t.Errorf("paged %d records, unpaged %d", len(paged), len(all))
	}
	// Filters: only deletions; only changes touching Label_1.
	_, err = svc.Users.History.List("me").StartHistoryId(start).HistoryTypes("messageMoved").Do()
	assertAPIError(t, err, 400, "invalid")
	dels := historyOf(t, svc, start, func(c *gmail.UsersHistoryListCall) { c.HistoryTypes("messageDeleted") })
	if len(dels) != 1 || dels[0].MessagesDeleted[0].Message.Id != ids[3] {
		t.Errorf("messageDeleted history %+v", dels)
	}
	lab := historyOf(t, svc, start, func(c *gmail.UsersHistoryListCall) { c.LabelId("Label_1").HistoryTypes("labelAdded") })
	// labelId keeps the records touching messages that have the label:
	// the batch that added it, then the trash of one of them.
	if len(lab) != 2 || len(lab[0].LabelsAdded) != 2 || !slices.Contains(lab[0].LabelsAdded[0].LabelIds, "Label_1") || lab[1].LabelsAdded[0].LabelIds[0] != "TRASH" {
		t.Errorf("Label_1 history %+v", lab)
	}
	// historyId on messages, threads and the profile follow.
	m, _ := svc.Users.Messages.Get("me", ids[0]).Format("minimal").Do()
	t0, _ := svc.Users.Threads.Get("me", list.Messages[0].ThreadId).Format("minimal").Do()
	p2, _ := svc.Users.GetProfile("me").Do()
	if m.HistoryId <= start || t0.HistoryId < m.HistoryId || p2.HistoryId != last {
		t.Errorf("history ids: message %d thread %d profile %d last %d", m.HistoryId, t0.HistoryId, p2.HistoryId, last)
	}
}

func TestGmailLimitsConfig(t *testing.T) {
	for _, bad := range []func(*Config){
		func(c *Config) { c.HistoryRetention = "soon" },
		func(c *Config) { c.HistoryRetention = "-1h" },
		func(c *Config) { c.GmailQuota = -1 },
	} {
		cfg := Config{BaseURL: "http://127.0.0.1:1", SigningKey: testKey()}
		bad(&cfg)
		if _, err := New(cfg); err == nil {
			t.Errorf("New accepted %+v", cfg)
		}
	}
	e := newEnv(t, nil)
	if err := e.srv.SetFaults(Faults{HistoryRetention: new("10")}); err != nil {
		t.Fatal(err)
	}
	if f := e.srv.CurrentFaults(); *f.HistoryRetention != "10" {
		t.Errorf("faults %+v", f)
	}
	if e.srv.SetFaults(Faults{HistoryRetention: new("x")}) == nil {
		t.Error("bad retention accepted")
	}
}

func TestGmailHistoryExpiry(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.HistoryRetention, c.TokenTTL = "1h", 48*time.Hour })
	svc := e.gmail(e.signIn("ada@example.com", gmail.GmailModifyScope))
	prof, _ := svc.Users.GetProfile("me").Do()
	list, _ := svc.Users.Messages.List("me").MaxResults(1).Do()
	svc.Users.Messages.Modify("me", list.Messages[0].Id, &gmail.ModifyMessageRequest{AddLabelIds: []string{"STARRED"}}).Do()
	if _, err := svc.Users.History.List("me").StartHistoryId(prof.HistoryId).Do(); err != nil {
		t.Fatal(err)
	}
	e.clock.Add(2 * time.Hour) // the record ages out
	_, err := svc.Users.History.List("me").StartHistoryId(prof.HistoryId).Do()
	assertAPIError(t, err, 404, "notFound")

	// The admin call moves the floor now.
	p2, _ := svc.Users.GetProfile("me").Do()
	svc.Users.Messages.Modify("me", list.Messages[0].Id, &gmail.ModifyMessageRequest{RemoveLabelIds: []string{"STARRED"}}).Do()
	if _, err := svc.Users.History.List("me").StartHistoryId(p2.HistoryId).Do(); err != nil {
		t.Fatal(err)
	}
	if code := e.adminJSON("/sandbox/history/expire", `{"email":"ada@example.com"}`, nil); code != 200 {
		t.Fatalf("expire: %d", code)
	}
	_, err = svc.Users.History.List("me").StartHistoryId(p2.HistoryId).Do()
	assertAPIError(t, err, 404, "notFound")
	p3, _ := svc.Users.GetProfile("me").Do()
	if h, err := svc.Users.History.List("me").StartHistoryId(p3.HistoryId).Do(); err != nil || len(h.History) != 0 {
		t.Errorf("from the current id: %v %v", h, err)
	}
}

func TestGmailLabelRules(t *testing.T) {
	e := newEnv(t, nil)
	svc := e.gmail(e.signIn("ada@example.com", gmail.GmailLabelsScope))
	l, err := svc.Users.Labels.Create("me", &gmail.Label{Name: "Projects/Apollo", Color: &gmail.LabelColor{TextColor: "#ffffff", BackgroundColor: "#4a86e8"}}).Do()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(l.Id, "Label_") || l.Type != "user" || l.Color == nil || l.Color.BackgroundColor != "#4a86e8" || l.LabelListVisibility != "labelShow" {
		t.Errorf("created %+v", l)
	}
	_, err = svc.Users.Labels.Create("me", &gmail.Label{Name: "projects/apollo"}).Do()
	assertAPIError(t, err, 409, "aborted")
	_, err = svc.Users.Labels.Create("me", &gmail.Label{Name: "Inbox"}).Do()
	assertAPIError(t, err, 409, "aborted")
	_, err = svc.Users.Labels.Create("me", &gmail.Label{Name: "Pink", Color: &gmail.LabelColor{TextColor: "#000000", BackgroundColor: "#ff00ff"}}).Do()
	ge := assertAPIError(t, err, 400, "invalidArgument")
	if !strings.Contains(ge.Message, "#ff00ff") {
		t.Errorf("colour error %q", ge.Message)
	}
	p, err := svc.Users.Labels.Patch("me", l.Id, &gmail.Label{Name: "Projects/Artemis"}).Do()
	if err != nil || p.Name != "Projects/Artemis" || p.Color == nil {
		t.Fatalf("patch %+v %v", p, err)
	}
	u, err := svc.Users.Labels.Update("me", l.Id, &gmail.Label{Name: "Artemis"}).Do()
	if err != nil || u.Name != "Artemis" || u.Color != nil {
		t.Fatalf("update %+v %v", u, err)
	}
	_, err = svc.Users.Labels.Patch("me", "INBOX", &gmail.Label{Name: "Mine"}).Do()
	assertAPIError(t, err, 400, "invalidArgument")
	assertAPIError(t, svc.Users.Labels.Delete("me", "STARRED").Do(), 400, "invalidArgument")
	if err := svc.Users.Labels.Delete("me", l.Id).Do(); err != nil {
		t.Fatal(err)
	}
	_, err = svc.Users.Labels.Get("me", l.Id).Do()
	assertAPIError(t, err, 404, "notFound")
}

func TestGmailWriteScopes(t *testing.T) {
	e := newEnv(t, nil)
	ro := e.gmail(e.signIn("ada@example.com", gmail.GmailReadonlyScope))
	list, _ := ro.Users.Messages.List("me").MaxResults(1).Do()
	id := list.Messages[0].Id
	_, err := ro.Users.Messages.Send("me", &gmail.Message{Raw: rawMsg("To: grace@example.com\nSubject: x\n\nx\n")}).Do()
	assertAPIError(t, err, 403, "insufficientPermissions")
	_, err = ro.Users.Messages.Trash("me", id).Do()
	assertAPIError(t, err, 403, "insufficientPermissions")
	_, err = ro.Users.Labels.Create("me", &gmail.Label{Name: "x"}).Do()
	assertAPIError(t, err, 403, "insufficientPermissions")
	send := e.gmail(e.signIn("ada@example.com", gmail.GmailSendScope))
	_, err = send.Users.Drafts.Create("me", &gmail.Draft{Message: &gmail.Message{Raw: rawMsg("To: a@b.test\n\nx\n")}}).Do()
	assertAPIError(t, err, 403, "insufficientPermissions")
	// messages.delete needs the full mail scope; gmail.modify is not enough.
	mod := e.gmail(e.signIn("ada@example.com", gmail.GmailModifyScope))
	assertAPIError(t, mod.Users.Messages.Delete("me", id).Do(), 403, "insufficientPermissions")
	ins := e.gmail(e.signIn("ada@example.com", gmail.GmailInsertScope))
	m, err := ins.Users.Messages.Insert("me", &gmail.Message{LabelIds: []string{"INBOX", "UNREAD"}, Raw: rawMsg("From: x@outside.test\nTo: ada@example.com\nSubject: inserted\n\nx\n")}).Do()
	if err != nil || !slices.Contains(m.LabelIds, "INBOX") {
		t.Fatalf("insert %+v %v", m, err)
	}
	if _, err := ins.Users.Messages.Import("me", &gmail.Message{Raw: rawMsg("From: x@outside.test\nSubject: imported\nDate: Mon, 2 Mar 2026 10:00:00 +0000\n\nx\n")}).Do(); err != nil {
		t.Fatal(err)
	}
}

func TestGmailQuotaAndConcurrency(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.GmailQuota = 250 })
	svc := e.gmail(e.signIn("ada@example.com", gmail.GmailComposeScope, gmail.GmailReadonlyScope))
	// Two sends (100 units each) fit in 250; the third does not.
	for i := range 2 {
		if _, err := svc.Users.Messages.Send("me", &gmail.Message{Raw: rawMsg("To: x@outside.test\nSubject: q" + strconv.Itoa(i) + "\n\nx\n")}).Do(); err != nil {
			t.Fatal(err)
		}
	}
	_, err := svc.Users.Messages.Send("me", &gmail.Message{Raw: rawMsg("To: x@outside.test\nSubject: q3\n\nx\n")}).Do()
	ge := assertAPIError(t, err, 429, "rateLimitExceeded")
	if !strings.HasPrefix(ge.Message, "User-rate limit exceeded") || ge.Header.Get("Retry-After") != "12" {
		t.Errorf("429 %q Retry-After %q", ge.Message, ge.Header.Get("Retry-After"))
	}
	// Cheap calls still fit; after the wait the send goes through.
	if _, err := svc.Users.GetProfile("me").Do(); err != nil {
		t.Fatal(err)
	}
	e.clock.Add(13 * time.Second)
	if _, err := svc.Users.Messages.Send("me", &gmail.Message{Raw: rawMsg("To: x@outside.test\nSubject: q4\n\nx\n")}).Do(); err != nil {
		t.Fatal(err)
	}
	// Quota off, at most zero calls... a limit of one call in flight with
	// one held open by the test: the next is refused.
	zero := 0
	one := 1
	if err := e.srv.SetFaults(Faults{GmailQuota: &zero, GmailMaxConcurrent: &one}); err != nil {
		t.Fatal(err)
	}
	done, ok := e.srv.admitGmail(httptestRecorder(), "ada@example.com", "gmail.messages.get")
	if !ok {
		t.Fatal("first call refused")
	}
	_, err = svc.Users.GetProfile("me").Do()
	ge = assertAPIError(t, err, 429, "rateLimitExceeded")
	if ge.Message != "Too many concurrent requests for user" {
		t.Errorf("concurrency message %q", ge.Message)
	}
	done()
	if _, err := svc.Users.GetProfile("me").Do(); err != nil {
		t.Fatal(err)
	}
	st := e.srv.Stats()
	if st["gmail.quota_exceeded"] != 1 || st["gmail.concurrent_exceeded"] != 1 {
		t.Errorf("stats %v", st)
	}
}

func TestAdminIncomingMailAndUILabels(t *testing.T) {
	e := newEnv(t, nil)
	svc := e.gmail(e.signIn("grace@example.com", gmail.GmailReadonlyScope))
	prof, _ := svc.Users.GetProfile("me").Do()
	var ref refJSON
	code := e.adminJSON("/sandbox/accounts/grace@example.com/messages", `{"from":"Bob <bob@outside.test>","subject":"Invoice","text":"See attached.","html":"<p>See attached.</p>","attachments":[{"filename":"a.txt","content_type":"text/plain","data":"aGVsbG8="}]}`, &ref)
	if code != 200 || ref.ID == "" {
		t.Fatalf("deliver: %d %+v", code, ref)
	}
	m, err := svc.Users.Messages.Get("me", ref.ID).Do()
	if err != nil {
		t.Fatal(err)
	}
	if header(m.Payload, "Subject") != "Invoice" || !slices.Contains(m.LabelIds, "UNREAD") || len(m.Payload.Parts) != 3 || m.Payload.Parts[2].Filename != "a.txt" {
		t.Errorf("delivered %+v", m.Payload)
	}
	// The user reads and labels it in Gmail's UI.
	var after refJSON
	code = e.adminJSON("/sandbox/accounts/grace@example.com/labels", `{"message_id":"`+ref.ID+`","add":["Bills"],"remove":["unread"]}`, &after)
	if code != 200 || slices.Contains(after.LabelIDs, "UNREAD") || len(after.LabelIDs) != 2 {
		t.Errorf("labels: %d %+v", code, after)
	}
	h := historyOf(t, svc, prof.HistoryId)
	if len(h) != 2 || len(h[1].LabelsAdded) != 1 || len(h[1].LabelsRemoved) != 1 {
		t.Errorf("history after delivery and UI change: %+v", h)
	}
	// An .eml works as before.
	resp, err := http.Post(e.base+"/sandbox/accounts/grace@example.com/messages", "message/rfc822", strings.NewReader("From: a@outside.test\r\nSubject: eml\r\n\r\nhi\r\n"))
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("eml: %d", resp.StatusCode)
	}
}
