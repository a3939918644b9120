package main

import (
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// served is one `jarvis serve --sandbox` run in a folder.
type served struct {
	*testEnv
	cancel context.CancelFunc
	done   chan error
	logs   *syncBuffer
}

// serveIn starts `jarvis serve --sandbox --migrate` with its SQLite
// database in dir and waits until it answers.
func serveIn(t *testing.T, dir, addr, sbAddr string) *served {
	t.Helper()
	env := map[string]string{"JARVIS_DATABASE_URL": "sqlite:" + filepath.Join(dir, "jarvis.db"), "JARVIS_SANDBOX_ADDR": sbAddr, "JARVIS_SHUTDOWN_DELAY": "0"}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	ctx, cancel := context.WithCancel(context.Background())
	s := &served{cancel: cancel, done: make(chan error, 1), logs: &syncBuffer{}}
	go func() {
		s.done <- run(ctx, []string{"serve", "--sandbox", "--migrate", "--addr", addr}, nil, io.Discard, s.logs, lookup)
	}()
	s.testEnv = &testEnv{t: t, URL: "http://" + addr, client: &http.Client{Timeout: 10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	waitFor(t, "serve --sandbox to come up", func() bool {
		select {
		case err := <-s.done:
			t.Fatalf("serve: %v\n%s", err, s.logs.String())
		default:
		}
		resp, err := http.Get(s.URL + "/health")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == 200
	})
	return s
}

func (s *served) stop(t *testing.T) {
	t.Helper()
	s.cancel()
	select {
	case err := <-s.done:
		if err != nil {
			t.Fatalf("serve: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not stop")
	}
}

// A restart of `jarvis serve --sandbox` in the same folder changes
// nothing: the signed-in user's inbox, calendar, drafts and chat keep
// working without reconnecting Google. Another folder's instance, running
// at the same time, has its own sandbox; a second instance on the same
// folder is refused.
func TestServeSandboxSurvivesRestart(t *testing.T) {
	dir, other := t.TempDir(), t.TempDir()
	addr, sbAddr := freeAddr(t), freeAddr(t)
	a := serveIn(t, dir, addr, sbAddr)
	b := serveIn(t, other, freeAddr(t), freeAddr(t))
	tok := a.signIn("ada@example.com")
	tokB := b.signIn("ada@example.com")

	var dr draftBody
	a.json("POST", "/gmail/draft", tok, map[string]any{"to": []string{"grace@example.com"}, "subject": "Kept across a restart",
		"body_text": "Still here."}, 201, &dr)
	turn := summarizeTurn(a.chat(tok, "", "What's on my calendar this week?"))
	if turn.conversation == "" || len(turn.errors) > 0 {
		t.Fatalf("chat before the restart: %+v", turn)
	}

	// A second instance on the same folder is refused, naming the file.
	state := filepath.Join(dir, "jarvis-sandbox.json")
	env := map[string]string{"JARVIS_DATABASE_URL": "sqlite:" + filepath.Join(dir, "jarvis.db"), "JARVIS_SANDBOX_ADDR": freeAddr(t)}
	err := run(context.Background(), []string{"serve", "--sandbox", "--addr", freeAddr(t)}, nil, io.Discard, io.Discard,
		func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	if err == nil || !strings.Contains(err.Error(), state+" is in use by another sandbox (pid ") {
		t.Fatalf("second serve on one folder: %v", err)
	}

	a.stop(t)
	if fi, err := os.Stat(state); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("sandbox state file: %v %v", fi, err)
	}
	// The other folder's instance was not disturbed.
	var pageB threadPage
	b.json("GET", "/gmail/threads", tokB, nil, 200, &pageB)

	a = serveIn(t, dir, addr, sbAddr)
	defer a.stop(t)
	defer b.stop(t)
	if me := a.me(tok); me.Google == nil || me.Google.Status != "active" {
		t.Fatalf("/me after the restart: %+v", me.Google)
	}
	var page threadPage
	a.json("GET", "/gmail/threads", tok, nil, 200, &page)
	if len(page.Threads) == 0 {
		t.Fatal("no threads after the restart")
	}
	a.json("GET", "/calendar/upcoming", tok, nil, 200, nil)
	var thread struct {
		Messages []struct {
			ID string `json:"id"`
		} `json:"messages"`
	}
	a.json("GET", "/gmail/thread/"+dr.ThreadID, tok, nil, 200, &thread)
	if len(thread.Messages) != 1 || thread.Messages[0].ID != dr.MessageID {
		t.Fatalf("draft's thread after the restart: %+v, want message %s", thread, dr.MessageID)
	}
	again := summarizeTurn(a.chat(tok, turn.conversation, "Read the latest email from grace"))
	if len(again.errors) > 0 || again.conversation != "" && again.conversation != turn.conversation {
		t.Fatalf("chat after the restart: %+v", again)
	}
	if c := a.conversation(tok, turn.conversation); len(c.Messages) < 4 {
		t.Fatalf("conversation after the restart has %d messages", len(c.Messages))
	}
	if me := a.me(tok); me.Google == nil || me.Google.Status != "active" {
		t.Fatalf("/me after using Google again: %+v", me.Google)
	}
	b.json("GET", "/gmail/threads", tokB, nil, 200, &pageB)
}

// `jarvis sandbox --state FILE` keeps its state in FILE (mode 0600), says
// so, and refuses a corrupt file by name; without --state it writes nothing.
func TestSandboxCommandStateFlag(t *testing.T) {
	dir := t.TempDir()
	state := filepath.Join(dir, "sb.json")
	ctx, cancel := context.WithCancel(context.Background())
	out := &syncBuffer{}
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"sandbox", "--addr", freeAddr(t), "--state", state}, nil, out, io.Discard, func(string) (string, bool) { return "", false })
	}()
	waitFor(t, "the sandbox banner", func() bool { return strings.Contains(out.String(), "State is kept in "+state) })
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(state); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("state file: %v %v", fi, err)
	}
	if err := os.WriteFile(state, []byte("{\"version\":1,"), 0o600); err != nil {
		t.Fatal(err)
	}
	err := run(context.Background(), []string{"sandbox", "--addr", freeAddr(t), "--state", state}, nil, io.Discard, io.Discard, func(string) (string, bool) { return "", false })
	if err == nil || !strings.Contains(err.Error(), "state file "+state+" is corrupt") {
		t.Fatalf("corrupt state file: %v", err)
	}
}
