package sandbox

import (
	"context"
	"encoding/base64"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"
	"google.golang.org/api/gmail/v1"
)

func withState(path string) func(*Config) {
	return func(c *Config) { c.StateFile = path; c.SigningKey = nil }
}

// A sandbox restarted on its state file still honours the grants, tokens
// and drafts of the first, with the same signing key.
func TestStateFileSurvivesRestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "jarvis-sandbox.json")
	e := newEnv(t, withState(path))
	tok := e.signIn("ada@example.com", "openid", "email", gmail.GmailComposeScope, gmail.GmailReadonlyScope)
	svc := e.gmail(tok)
	raw := base64.RawURLEncoding.EncodeToString([]byte("To: bob@example.com\r\nSubject: Kept\r\n\r\nStill here\r\n"))
	d, err := svc.Users.Drafts.Create("me", &gmail.Draft{Message: &gmail.Message{Raw: raw}}).Do()
	if err != nil {
		t.Fatal(err)
	}
	prof, err := svc.Users.GetProfile("me").Do()
	if err != nil {
		t.Fatal(err)
	}
	// A second sandbox on the same file is refused while the first runs.
	_, err = New(Config{BaseURL: "http://127.0.0.1:9", StateFile: path, SigningKey: testKey()})
	if err == nil || !strings.Contains(err.Error(), "in use by another sandbox (pid "+strconv.Itoa(os.Getpid())+")") || !strings.Contains(err.Error(), path) {
		t.Fatalf("second sandbox on one state file: %v", err)
	}
	kid := e.srv.kid
	if err := e.srv.Close(); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("state file: %v %v", fi, err)
	}

	e2 := newEnv(t, withState(path))
	t.Cleanup(func() { e2.srv.Close() })
	if e2.srv.kid != kid {
		t.Fatalf("kid %s after restart, was %s", e2.srv.kid, kid)
	}
	// The old access token still works, as does the refresh token.
	svc2 := e2.gmail(tok)
	got, err := svc2.Users.Drafts.Get("me", d.Id).Do()
	if err != nil {
		t.Fatal(err)
	}
	if got.Message.Id != d.Message.Id {
		t.Fatalf("draft message %s, was %s", got.Message.Id, d.Message.Id)
	}
	prof2, err := svc2.Users.GetProfile("me").Do()
	if err != nil || prof2.HistoryId != prof.HistoryId || prof2.MessagesTotal != prof.MessagesTotal {
		t.Fatalf("profile %+v, was %+v (%v)", prof2, prof, err)
	}
	expired := &oauth2.Token{RefreshToken: tok.RefreshToken}
	if _, err := e2.conf.TokenSource(context.Background(), expired).Token(); err != nil {
		t.Fatalf("refresh after restart: %v", err)
	}
}

func TestStateFileCorruptIsAClearError(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.json")
	if err := os.WriteFile(path, []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := New(Config{BaseURL: "http://127.0.0.1:9", StateFile: path, SigningKey: testKey()})
	if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "corrupt") || !strings.Contains(err.Error(), "move it away") {
		t.Fatalf("corrupt state file: %v", err)
	}
	if err := os.WriteFile(path, []byte(`{"version": 99}`), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = New(Config{BaseURL: "http://127.0.0.1:9", StateFile: path, SigningKey: testKey()})
	if err == nil || !strings.Contains(err.Error(), "version 99") {
		t.Fatalf("state file of another version: %v", err)
	}
	// The refusals released the lock: a good start works.
	os.Remove(path)
	s, err := New(Config{BaseURL: "http://127.0.0.1:9", StateFile: path, SigningKey: testKey()})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
}

// A grant revoked before a restart stays revoked; another stays valid; the
// state is saved by the request itself, without Close (as after a crash,
// once the save delay has passed).
func TestStateFileKeepsRevocationsAndSavesPromptly(t *testing.T) {
	path := filepath.Join(t.TempDir(), "jarvis-sandbox.json")
	e := newEnv(t, func(c *Config) { c.StateFile = path })
	t.Cleanup(func() { e.srv.Close() })
	ada := e.signIn("ada@example.com", "openid", "email", gmail.GmailReadonlyScope)
	grace := e.signIn("grace@example.com", "openid", "email", gmail.GmailReadonlyScope)
	resp, err := http.PostForm(e.base+"/revoke", url.Values{"token": {ada.RefreshToken}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("revoke: %d", resp.StatusCode)
	}
	// Wait for the debounced save to hold the revocation, then read the
	// file as a second process would (the first is still running).
	waitState := func(cond func(*State) bool) {
		deadline := time.Now().Add(30 * time.Second)
		for {
			st, err := readState(path)
			if err == nil && st != nil && cond(st) {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("state file never showed the change (%v)", err)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	waitState(func(st *State) bool {
		return len(st.Tokens.Grants) == 1 && st.Tokens.Grants[0].Email == "grace@example.com"
	})
	e.srv.Close()

	e2 := newEnv(t, func(c *Config) { c.StateFile = path })
	t.Cleanup(func() { e2.srv.Close() })
	if _, err := e2.conf.TokenSource(context.Background(), &oauth2.Token{RefreshToken: ada.RefreshToken}).Token(); err == nil {
		t.Fatal("a revoked refresh token works after a restart")
	}
	if _, err := e2.gmail(grace).Users.GetProfile("me").Do(); err != nil {
		t.Fatalf("grace after the restart: %v", err)
	}
}
