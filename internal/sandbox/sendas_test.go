package sandbox

import (
	"encoding/base64"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"google.golang.org/api/gmail/v1"
	"google.golang.org/api/googleapi"
)

func TestSendAsAliases(t *testing.T) {
	e := newEnv(t, nil)
	svc := e.gmail(e.signIn("ada@example.com"))
	list, err := svc.Users.Settings.SendAs.List("me").Do()
	if err != nil {
		t.Fatal(err)
	}
	if len(list.SendAs) != 1 || list.SendAs[0].SendAsEmail != "ada@example.com" || !list.SendAs[0].IsPrimary {
		t.Fatalf("sendAs before = %+v", list.SendAs)
	}

	resp, err := http.DefaultClient.Do(mustRequest(t, "PUT", e.base+"/sandbox/accounts/ada@example.com/send-as",
		`{"aliases":[{"email":"Ada@Work.example","name":"Ada at work"}]}`))
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("PUT send-as: %v %v", resp, err)
	}
	resp.Body.Close()
	list, err = svc.Users.Settings.SendAs.List("me").Do()
	if err != nil || len(list.SendAs) != 2 || list.SendAs[1].SendAsEmail != "ada@work.example" || list.SendAs[1].VerificationStatus != "accepted" || !list.SendAs[1].TreatAsAlias {
		t.Fatalf("sendAs after = %+v %v", list.SendAs, err)
	}
	if a, err := svc.Users.Settings.SendAs.Get("me", "ada@work.example").Do(); err != nil || a.DisplayName != "Ada at work" {
		t.Fatalf("sendAs.get = %+v %v", a, err)
	}
	if _, err := svc.Users.Settings.SendAs.Get("me", "nobody@work.example").Do(); !isStatus(err, 404) {
		t.Fatalf("unknown alias: %v", err)
	}

	// A message sent from an alias keeps it; one from another address is
	// sent as the account.
	for _, tc := range []struct{ from, want string }{
		{"Ada at work <ada@work.example>", "ada@work.example"},
		{"Mallory <mallory@example.org>", "ada@example.com"},
	} {
		sent, err := svc.Users.Messages.Send("me", &gmail.Message{Raw: base64.URLEncoding.EncodeToString([]byte(
			"From: " + tc.from + "\r\nTo: grace@example.com\r\nSubject: From an alias\r\n\r\nHello.\r\n"))}).Do()
		if err != nil {
			t.Fatal(err)
		}
		m, err := svc.Users.Messages.Get("me", sent.Id).Format("metadata").Do()
		if err != nil {
			t.Fatal(err)
		}
		if got := header(m.Payload, "From"); !strings.Contains(got, tc.want) {
			t.Errorf("From %q sent as %q, want %s", tc.from, got, tc.want)
		}
	}

	// Without a read or settings scope, the list is refused.
	compose := e.gmail(e.signIn("ada@example.com", gmail.GmailComposeScope))
	if _, err := compose.Users.Settings.SendAs.List("me").Do(); err == nil {
		t.Error("sendAs.list with gmail.compose only: want 403")
	}
}

func TestSendAsFromDataAndState(t *testing.T) {
	dir := t.TempDir()
	acct := filepath.Join(dir, "ada@example.com")
	if err := os.MkdirAll(acct, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(acct, "send-as.txt"), []byte("# aliases\nAda Work <ada@work.example>\n\nada@home.example\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	state := filepath.Join(t.TempDir(), "state.json")
	e := newEnv(t, func(c *Config) { c.DataDir, c.StateFile = dir, state })
	got := e.srv.byEmail["ada@example.com"].aliases()
	if len(got) != 2 || got[0].Email != "ada@work.example" || got[0].Name != "Ada Work" || got[1].Email != "ada@home.example" {
		t.Fatalf("aliases from send-as.txt = %+v", got)
	}
	if err := e.srv.SetSendAs("ada@example.com", []SendAs{{Email: "ada@else.example"}}); err != nil {
		t.Fatal(err)
	}
	if err := e.srv.SetSendAs("ada@example.com", []SendAs{{Email: "ada@example.com"}}); err == nil {
		t.Error("the account's own address taken as an alias")
	}
	e.srv.Close()
	again := newEnv(t, func(c *Config) { c.DataDir, c.StateFile = dir, state })
	if got := again.srv.byEmail["ada@example.com"].aliases(); len(got) != 1 || got[0].Email != "ada@else.example" {
		t.Fatalf("aliases after a restart = %+v", got)
	}
}

func mustRequest(t *testing.T, method, url, body string) *http.Request {
	t.Helper()
	r, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	r.Header.Set("Content-Type", "application/json")
	return r
}

func isStatus(err error, code int) bool {
	ge, ok := err.(*googleapi.Error)
	return ok && ge.Code == code
}
