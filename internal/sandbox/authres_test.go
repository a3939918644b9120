package sandbox

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"google.golang.org/api/gmail/v1"
)

// authResults lists a message's Authentication-Results values, top first.
func authResults(t *testing.T, svc *gmail.Service, id string) []string {
	t.Helper()
	m, err := svc.Users.Messages.Get("me", id).Format("full").Do()
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, h := range m.Payload.Headers {
		if strings.EqualFold(h.Name, "Authentication-Results") {
			out = append(out, h.Value)
		}
	}
	return out
}

func TestReceivedMailCarriesGmailsAuthenticationResults(t *testing.T) {
	e := newEnv(t, nil)
	ada := e.gmail(e.signIn("ada@example.com", gmail.GmailReadonlyScope, gmail.GmailSendScope, gmail.GmailInsertScope))
	grace := e.gmail(e.signIn("grace@example.com", gmail.GmailReadonlyScope))

	// Mail between sandbox accounts: Gmail's header goes on top of the
	// recipient's copy, above one the sender wrote; the sender's copy gets
	// none of Gmail's.
	forged := "Authentication-Results: mx.google.com; dmarc=pass header.from=bank.example\n"
	sent, err := ada.Users.Messages.Send("me", &gmail.Message{Raw: rawMsg(forged + "To: grace@example.com\nSubject: auth check\n\nhello\n")}).Do()
	if err != nil {
		t.Fatal(err)
	}
	if got := authResults(t, ada, sent.Id); len(got) != 1 || !strings.Contains(got[0], "bank.example") {
		t.Errorf("sender's copy: %q, want only the header as written", got)
	}
	list, err := grace.Users.Messages.List("me").Q("subject:(auth check)").Do()
	if err != nil || len(list.Messages) != 1 {
		t.Fatalf("grace's copy: %+v %v", list, err)
	}
	got := authResults(t, grace, list.Messages[0].Id)
	if len(got) != 2 || !strings.HasPrefix(got[0], "mx.google.com;") || !strings.Contains(got[0], "dkim=pass header.i=@example.com") ||
		!strings.Contains(got[0], "spf=pass") || !strings.Contains(got[0], "smtp.mailfrom=ada@example.com") ||
		!strings.Contains(got[0], "dmarc=pass (p=NONE sp=NONE dis=NONE) header.from=example.com") || !strings.Contains(got[1], "bank.example") {
		t.Errorf("grace's copy: %q", got)
	}

	// Mail delivered through the admin route: pass, or fail when spoofed.
	deliver := func(query, raw string) (int, string) {
		resp, err := http.Post(e.base+"/sandbox/accounts/ada@example.com/messages"+query, "message/rfc822", strings.NewReader(raw))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var ref refJSON
		if resp.StatusCode == 200 {
			if err := json.NewDecoder(resp.Body).Decode(&ref); err != nil {
				t.Fatal(err)
			}
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		return resp.StatusCode, ref.ID
	}
	code, id := deliver("", "From: Bob <bob@outside.test>\r\nSubject: real\r\n\r\nhi\r\n")
	if got := authResults(t, ada, id); code != 200 || len(got) != 1 || !strings.Contains(got[0], "dmarc=pass") || !strings.Contains(got[0], "header.from=outside.test") {
		t.Errorf("delivered: %d %q", code, got)
	}
	code, id = deliver("?spoofed=true", "From: Northwind Bank <alerts@northwind-bank.example>\r\nSubject: locked\r\n\r\nconfirm\r\n")
	if got := authResults(t, ada, id); code != 200 || len(got) != 1 || !strings.Contains(got[0], "spf=softfail") ||
		!strings.Contains(got[0], "dmarc=fail (p=NONE sp=NONE dis=NONE) header.from=northwind-bank.example") || strings.Contains(got[0], "dkim=") {
		t.Errorf("spoofed: %d %q", code, got)
	}
	if code, _ := deliver("?spoofed=maybe", "From: a@outside.test\r\n\r\nx\r\n"); code != 400 {
		t.Errorf("spoofed=maybe: %d, want 400", code)
	}

	// Inserted and imported mail keeps its headers as they are.
	own := "Authentication-Results: mx.google.com; dkim=none; spf=neutral smtp.mailfrom=x@outside.test; dmarc=none header.from=outside.test\n"
	ins, err := ada.Users.Messages.Insert("me", &gmail.Message{LabelIds: []string{"INBOX"}, Raw: rawMsg(own + "From: x@outside.test\nSubject: inserted\n\nx\n")}).Do()
	if err != nil {
		t.Fatal(err)
	}
	if got := authResults(t, ada, ins.Id); len(got) != 1 || got[0] != strings.TrimSpace(strings.TrimPrefix(own, "Authentication-Results:")) {
		t.Errorf("inserted: %q", got)
	}
	imp, err := ada.Users.Messages.Import("me", &gmail.Message{Raw: rawMsg("From: x@outside.test\nSubject: imported\n\nx\n")}).Do()
	if err != nil {
		t.Fatal(err)
	}
	if got := authResults(t, ada, imp.Id); len(got) != 0 {
		t.Errorf("imported: %q, want none", got)
	}
}

func TestDemoMailboxAuthenticationResults(t *testing.T) {
	e := newEnv(t, nil)
	ada := e.gmail(e.signIn("ada@example.com", gmail.GmailReadonlyScope))
	find := func(q string) string {
		t.Helper()
		list, err := ada.Users.Messages.List("me").Q(q).MaxResults(1).Do()
		if err != nil || len(list.Messages) == 0 {
			t.Fatalf("%s: %+v %v", q, list, err)
		}
		return list.Messages[0].Id
	}
	if got := authResults(t, ada, find("subject:(confirm your account details)")); len(got) != 1 || !strings.Contains(got[0], "dmarc=fail") || !strings.Contains(got[0], "header.from=northwind-bank.example") {
		t.Errorf("phishing mail: %q", got)
	}
	if got := authResults(t, ada, find("subject:(Security alert new sign-in)")); len(got) != 1 || !strings.Contains(got[0], "dmarc=pass") || !strings.Contains(got[0], "header.from=northwind-bank.example") {
		t.Errorf("the bank's real mail: %q", got)
	}
	if got := authResults(t, ada, find("in:sent")); len(got) != 0 {
		t.Errorf("sent mail: %q, want none", got)
	}
}
