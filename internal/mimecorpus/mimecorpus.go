// Package mimecorpus gives tests the MIME corpus in testdata/mime: its
// files and, from expected.json, what each message says. It is for tests
// only.
package mimecorpus

import (
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// Message is one entry of testdata/mime/expected.json (see its README).
type Message struct {
	File        string            `json:"file"`
	Index       int               `json:"index"`
	Subject     string            `json:"subject"`
	FromName    string            `json:"from_name"`
	FromEmail   string            `json:"from_email"`
	Text        string            `json:"text"`
	Snippet     string            `json:"snippet"`
	Parts       map[string]string `json:"parts"`
	Labels      []string          `json:"labels"`
	Attachments []Attachment      `json:"attachments"`
}

// Attachment is an attachment a corpus message must have.
type Attachment struct {
	PartID   string `json:"part_id"`
	Filename string `json:"filename"`
	MimeType string `json:"mime_type"`
	Size     int64  `json:"size"`
}

// Dir is the corpus directory, wherever the test runs from.
func Dir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "testdata", "mime")
}

// Expected returns every message of the corpus with what it says.
func Expected(tb testing.TB) []Message {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join(Dir(), "expected.json"))
	if err != nil {
		tb.Fatal(err)
	}
	var doc struct {
		Messages []Message `json:"messages"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		tb.Fatal(err)
	}
	return doc.Messages
}

// CopyMailbox copies the corpus's .eml and .mbox files into dir, which
// becomes a mailbox for the sandbox's data directory.
func CopyMailbox(tb testing.TB, dir string) {
	tb.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		tb.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(Dir(), "*.*"))
	for _, f := range files {
		if ext := filepath.Ext(f); ext != ".eml" && ext != ".mbox" {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			tb.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, filepath.Base(f)), b, 0o644); err != nil {
			tb.Fatal(err)
		}
	}
}
