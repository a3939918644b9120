package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/jarvis-hq/jarvis/internal/mimecorpus"
	"github.com/jarvis-hq/jarvis/internal/sandbox"
)

// Every message of the MIME corpus, loaded into a sandbox mailbox, decodes
// through GET /gmail/thread/{id} to what the message says.
func TestMIMECorpusThroughTheAPI(t *testing.T) {
	expected := mimecorpus.Expected(t)
	data := t.TempDir()
	mimecorpus.CopyMailbox(t, filepath.Join(data, "corpus@example.com"))
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
	if len(got) < len(expected) {
		t.Fatalf("%d messages through the API, %d in the corpus", len(got), len(expected))
	}
	for _, want := range expected {
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
