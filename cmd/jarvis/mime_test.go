package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jarvis-hq/jarvis/internal/sandbox"
)

// Every message of the MIME corpus, loaded into a sandbox mailbox, decodes
// through GET /gmail/thread/{id} to what the message says.
func TestMIMECorpusThroughTheAPI(t *testing.T) {
	corpus := filepath.Join("..", "..", "testdata", "mime")
	var expected struct {
		Messages []struct {
			File, Subject, Text string
			FromName            string `json:"from_name"`
			FromEmail           string `json:"from_email"`
		} `json:"messages"`
	}
	b, err := os.ReadFile(filepath.Join(corpus, "expected.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &expected); err != nil {
		t.Fatal(err)
	}
	data := t.TempDir()
	account := filepath.Join(data, "corpus@example.com")
	if err := os.MkdirAll(account, 0o755); err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(corpus, "*.*"))
	for _, f := range files {
		if strings.HasSuffix(f, ".eml") || strings.HasSuffix(f, ".mbox") {
			raw, _ := os.ReadFile(f)
			if err := os.WriteFile(filepath.Join(account, filepath.Base(f)), raw, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	e := startEnv(t, envOptions{sandboxCfg: sandbox.Config{DataDir: data}})
	tok := e.signIn("corpus@example.com")

	type decoded struct{ subject, fromName, fromEmail, text string }
	var got []decoded
	var page threadPage
	e.json("GET", "/gmail/threads?max_results=100&q=in:anywhere", tok, nil, 200, &page)
	for _, th := range page.Threads {
		var body threadBody
		e.json("GET", "/gmail/thread/"+th.ID, tok, nil, 200, &body)
		for _, m := range body.Messages {
			got = append(got, decoded{m.Subject, m.From.Name, m.From.Email, strings.Join(strings.Fields(m.Text), " ")})
		}
	}
	if len(got) < len(expected.Messages) {
		t.Fatalf("%d messages through the API, %d in the corpus", len(got), len(expected.Messages))
	}
	for _, want := range expected.Messages {
		found := false
		for _, g := range got {
			if g.subject == want.Subject && strings.EqualFold(g.fromEmail, want.FromEmail) {
				found = true
				if g.fromName != want.FromName {
					t.Errorf("%s: from name %q, want %q", want.File, g.fromName, want.FromName)
				}
				if !strings.Contains(g.text, strings.Join(strings.Fields(want.Text), " ")) {
					t.Errorf("%s: text lacks %q:\n%s", want.File, want.Text, g.text)
				}
			}
		}
		if !found {
			t.Errorf("%s: no message with subject %q from %s", want.File, want.Subject, want.FromEmail)
		}
	}
}
