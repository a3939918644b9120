package sandbox

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"

	"google.golang.org/api/gmail/v1"
)

// header returns a header of a message part.
func header(p *gmail.MessagePart, name string) string {
	if p == nil {
		return ""
	}
	for _, h := range p.Headers {
		if strings.EqualFold(h.Name, name) {
			return h.Value
		}
	}
	return ""
}

func TestGmailProfileAndLabels(t *testing.T) {
	e := newEnv(t, nil)
	svc := e.gmail(e.signIn("ada@example.com"))
	prof, err := svc.Users.GetProfile("me").Do()
	if err != nil {
		t.Fatal(err)
	}
	if prof.EmailAddress != "ada@example.com" || prof.MessagesTotal < 60 || prof.ThreadsTotal < 40 || prof.HistoryId == 0 {
		t.Errorf("profile = %+v", prof)
	}
	// The address works as userId too, percent-encoded on the wire.
	if _, err := svc.Users.GetProfile("ada@example.com").Do(); err != nil {
		t.Errorf("userId by address: %v", err)
	}
	_, err = svc.Users.GetProfile("grace@example.com").Do()
	assertAPIError(t, err, 403, "forbidden")

	labels, err := svc.Users.Labels.List("me").Do()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, l := range labels.Labels {
		names = append(names, l.Id+"="+l.Name+"/"+l.Type)
	}
	for _, want := range []string{"INBOX=INBOX/system", "UNREAD=UNREAD/system", "Label_1=Receipts/user"} {
		if !slices.Contains(names, want) {
			t.Errorf("labels %v lack %s", names, want)
		}
	}
	inbox, err := svc.Users.Labels.Get("me", "INBOX").Do()
	if err != nil {
		t.Fatal(err)
	}
	if inbox.ThreadsTotal < 30 || inbox.MessagesUnread == 0 {
		t.Errorf("INBOX = %+v", inbox)
	}
}

func TestGmailThreadsListPaginationAndOrder(t *testing.T) {
	e := newEnv(t, nil)
	svc := e.gmail(e.signIn("ada@example.com"))
	all, err := svc.Users.Threads.List("me").Do()
	if err != nil {
		t.Fatal(err)
	}
	if len(all.Threads) < 40 || all.NextPageToken != "" || all.ResultSizeEstimate != int64(len(all.Threads)) {
		t.Fatalf("threads = %d, next %q, estimate %d", len(all.Threads), all.NextPageToken, all.ResultSizeEstimate)
	}
	for _, th := range all.Threads {
		if len(th.Id) != 16 || !validID(th.Id) || th.HistoryId == 0 {
			t.Errorf("thread %+v", th)
		}
	}
	var paged []string
	token := ""
	for pages := 0; ; pages++ {
		call := svc.Users.Threads.List("me").MaxResults(7)
		if token != "" {
			call.PageToken(token)
		}
		page, err := call.Do()
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Threads) > 7 {
			t.Fatalf("page of %d", len(page.Threads))
		}
		for _, th := range page.Threads {
			paged = append(paged, th.Id)
		}
		if token = page.NextPageToken; token == "" {
			break
		}
	}
	var ids []string
	for _, th := range all.Threads {
		ids = append(ids, th.Id)
	}
	if !slices.Equal(paged, ids) {
		t.Errorf("paged ids differ from one page")
	}

	// Newest first: the board thread's last message is two hours old.
	first, err := svc.Users.Threads.Get("me", all.Threads[0].Id).Format("metadata").MetadataHeaders("Subject").Do()
	if err != nil {
		t.Fatal(err)
	}
	if got := header(first.Messages[0].Payload, "Subject"); got != "Analytical Engine: board review prep" || len(first.Messages) < 8 {
		t.Errorf("newest thread %q with %d messages", got, len(first.Messages))
	}
	for i := 1; i < len(first.Messages); i++ {
		if first.Messages[i].InternalDate < first.Messages[i-1].InternalDate {
			t.Errorf("thread messages not oldest first")
		}
	}
	if h := first.Messages[0].Payload.Headers; len(h) != 1 {
		t.Errorf("metadataHeaders=Subject gave %v", h)
	}

	big, err := svc.Users.Threads.List("me").MaxResults(1000).Do()
	if err != nil || len(big.Threads) != len(all.Threads) {
		t.Errorf("maxResults=1000 is clamped, not refused: %v", err)
	}
	_, err = svc.Users.Threads.List("me").PageToken("not-a-token").Do()
	assertAPIError(t, err, 400, "invalid")

	// A token gone stale is refused; a listing started afresh works.
	page, err := svc.Users.Messages.List("me").MaxResults(5).Do()
	if err != nil || page.NextPageToken == "" {
		t.Fatalf("first page: %v", err)
	}
	if _, err := svc.Users.Messages.List("me").MaxResults(5).PageToken(page.NextPageToken).Do(); err != nil {
		t.Fatalf("second page: %v", err)
	}
	if err := e.srv.InvalidatePageTokens("ada@example.com"); err != nil {
		t.Fatal(err)
	}
	_, err = svc.Users.Messages.List("me").MaxResults(5).PageToken(page.NextPageToken).Do()
	assertAPIError(t, err, 400, "invalid")
	fresh, err := svc.Users.Messages.List("me").MaxResults(5).Do()
	if err != nil || fresh.NextPageToken == "" || fresh.NextPageToken == page.NextPageToken {
		t.Fatalf("a fresh listing: %v, token %q", err, fresh.NextPageToken)
	}
	if _, err := svc.Users.Messages.List("me").MaxResults(5).PageToken(fresh.NextPageToken).Do(); err != nil {
		t.Fatalf("a fresh listing's second page: %v", err)
	}
	if err := e.srv.InvalidatePageTokens("nobody@example.com"); err == nil {
		t.Error("an unknown account's tokens invalidated")
	}
	_, err = svc.Users.Threads.Get("me", "0123456789abcdef").Do()
	assertAPIError(t, err, 404, "notFound")
	_, err = svc.Users.Threads.Get("me", "../etc").Do()
	assertAPIError(t, err, 400, "invalid")
}

func TestGmailMessageFormatsAndAttachments(t *testing.T) {
	e := newEnv(t, nil)
	svc := e.gmail(e.signIn("ada@example.com"))
	list, err := svc.Users.Messages.List("me").Q("filename:Q3-budget-draft.pdf").Do()
	if err != nil || len(list.Messages) != 1 {
		t.Fatalf("list: %v %v", list, err)
	}
	id := list.Messages[0].Id
	full, err := svc.Users.Messages.Get("me", id).Do()
	if err != nil {
		t.Fatal(err)
	}
	p := full.Payload
	if p.PartId != "" || p.MimeType != "multipart/mixed" || p.Body.Size != 0 || len(p.Parts) != 2 {
		t.Fatalf("root = %+v", p)
	}
	text, pdf := p.Parts[0], p.Parts[1]
	if text.PartId != "0" || text.MimeType != "text/plain" || text.Body.Data == "" || text.Body.AttachmentId != "" {
		t.Errorf("text part = %+v", text)
	}
	body, err := base64.URLEncoding.DecodeString(text.Body.Data)
	if err != nil || !strings.Contains(string(body), "check the hardware line") || int64(len(body)) != text.Body.Size {
		t.Errorf("text data %q %v", body, err)
	}
	if pdf.PartId != "1" || pdf.Filename != "Q3-budget-draft.pdf" || pdf.Body.AttachmentId == "" || pdf.Body.Data != "" {
		t.Errorf("pdf part = %+v", pdf)
	}
	att, err := svc.Users.Messages.Attachments.Get("me", id, pdf.Body.AttachmentId).Do()
	if err != nil {
		t.Fatal(err)
	}
	data, err := base64.URLEncoding.DecodeString(att.Data)
	if err != nil || !strings.HasPrefix(string(data), "%PDF-") || int64(len(data)) != pdf.Body.Size || att.Size != pdf.Body.Size {
		t.Errorf("attachment: %d bytes, %v", len(data), err)
	}
	if full.InternalDate == 0 || full.HistoryId == 0 || full.SizeEstimate == 0 || full.Snippet == "" || full.ThreadId == "" {
		t.Errorf("message = %+v", full)
	}

	raw, err := svc.Users.Messages.Get("me", id).Format("raw").Do()
	if err != nil {
		t.Fatal(err)
	}
	rawBytes, err := base64.URLEncoding.DecodeString(raw.Raw)
	if err != nil || int64(len(rawBytes)) != raw.SizeEstimate || raw.Payload != nil || !strings.Contains(string(rawBytes), "Subject: Re: Q3 budget draft\r\n") {
		t.Errorf("raw: %d bytes (estimate %d) %v", len(rawBytes), raw.SizeEstimate, err)
	}
	minimal, err := svc.Users.Messages.Get("me", id).Format("minimal").Do()
	if err != nil || minimal.Payload != nil || len(minimal.LabelIds) == 0 || minimal.Raw != "" {
		t.Errorf("minimal: %+v %v", minimal, err)
	}
	meta, err := svc.Users.Messages.Get("me", id).Format("metadata").MetadataHeaders("From", "To").Do()
	if err != nil || len(meta.Payload.Headers) != 2 || meta.Payload.Parts != nil || header(meta.Payload, "From") != "Katherine Johnson <katherine@example.com>" {
		t.Errorf("metadata: %+v %v", meta.Payload, err)
	}
	_, err = svc.Users.Messages.Get("me", id).Format("bogus").Do()
	assertAPIError(t, err, 400, "invalid")
	_, err = svc.Users.Messages.Attachments.Get("me", id, "nope").Do()
	assertAPIError(t, err, 404, "notFound")
}

func TestGmailRequiresValidBearer(t *testing.T) {
	e := newEnv(t, nil)
	resp, err := http.Get(e.base + "/gmail/v1/users/me/threads")
	if err != nil {
		t.Fatal(err)
	}
	var body struct {
		Error struct {
			Code    int    `json:"code"`
			Message string `json:"message"`
			Status  string `json:"status"`
			Errors  []struct {
				Domain, Reason, Message string
			} `json:"errors"`
		} `json:"error"`
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err := json.Unmarshal(b, &body); err != nil || resp.StatusCode != 401 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		t.Fatalf("no token: %d %s", resp.StatusCode, b)
	}
	if body.Error.Code != 401 || body.Error.Status != "UNAUTHENTICATED" || body.Error.Errors[0].Reason != "required" || body.Error.Message != "Login Required." {
		t.Errorf("no token: %s", b)
	}

	req, _ := http.NewRequest("GET", e.base+"/gmail/v1/users/me/threads", nil)
	req.Header.Set("Authorization", "Bearer ya29.forged")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 401 {
		t.Errorf("forged token: %d", resp.StatusCode)
	}
}
