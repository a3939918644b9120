package sandbox

import (
	"bytes"
	"encoding/base64"
	"log/slog"
	"net/mail"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"google.golang.org/api/gmail/v1"

	"github.com/jarvis-hq/jarvis/internal/mimecorpus"
)

// corpusEnv loads the MIME corpus as the mailbox of zoe@example.org, with
// a few broken files beside it.
func corpusEnv(t *testing.T) (*env, *bytes.Buffer) {
	t.Helper()
	dir := t.TempDir()
	acct := filepath.Join(dir, "zoe@example.org", "imported")
	if err := os.MkdirAll(acct, 0o755); err != nil {
		t.Fatal(err)
	}
	mimecorpus.CopyMailbox(t, acct)
	_ = os.WriteFile(filepath.Join(acct, "empty.eml"), nil, 0o644)
	_ = os.WriteFile(filepath.Join(acct, "not-mbox.mbox"), []byte("Subject: no separator\n\nhello\n"), 0o644)
	_ = os.WriteFile(filepath.Join(acct, "notes.txt"), []byte("ignored"), 0o644)
	_ = os.WriteFile(filepath.Join(dir, "stray.eml"), []byte("Subject: x\n\ny\n"), 0o644)
	_ = os.MkdirAll(filepath.Join(dir, "grace@acme.test"), 0o755)
	_ = os.WriteFile(filepath.Join(dir, "grace@acme.test", "bad.ics"), []byte("BEGIN:VCALENDAR\nnot really"), 0o644)
	var logs bytes.Buffer
	e := newEnv(t, func(c *Config) {
		c.DataDir = dir
		c.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	})
	return e, &logs
}

func TestDataDirLoadsCorpusAndReportsBadFiles(t *testing.T) {
	e, logs := corpusEnv(t)
	if got := e.srv.Accounts(); !slices.Equal(got, []string{"grace@acme.test", "zoe@example.org"}) {
		t.Errorf("accounts = %v", got)
	}
	report := strings.Join(e.srv.LoadReport(), "\n")
	for _, want := range []string{"empty.eml", "not-mbox.mbox", "stray.eml", "bad.ics"} {
		if !strings.Contains(report, want) || !strings.Contains(logs.String(), want) {
			t.Errorf("load report/log lacks %s:\n%s", want, report)
		}
	}
	if strings.Contains(report, "notes.txt") || strings.Contains(report, "01-plain") {
		t.Errorf("report names good or ignored files:\n%s", report)
	}

	doc := struct{ Messages []mimecorpus.Message }{mimecorpus.Expected(t)}
	svc := e.gmail(e.signIn("zoe@example.org"))
	list, err := svc.Users.Messages.List("me").MaxResults(500).IncludeSpamTrash(true).Do()
	if err != nil {
		t.Fatal(err)
	}
	if len(list.Messages) != len(doc.Messages) {
		t.Errorf("%d messages loaded, corpus has %d", len(list.Messages), len(doc.Messages))
	}
	bySubject := map[string]*gmail.Message{}
	labelNames := map[string]string{}
	labels, _ := svc.Users.Labels.List("me").Do()
	for _, l := range labels.Labels {
		labelNames[l.Id] = l.Name
		if l.Type == "user" {
			labelNames[l.Id] = "user:" + l.Name
		}
	}
	for _, m := range list.Messages {
		full, err := svc.Users.Messages.Get("me", m.Id).Do()
		if err != nil {
			t.Fatal(err)
		}
		bySubject[header(full.Payload, "Subject")] = full
	}
	for _, c := range doc.Messages {
		t.Run(c.File, func(t *testing.T) { checkCorpusMessage(t, svc, bySubject[c.Subject], c, labelNames) })
	}
}

func checkCorpusMessage(t *testing.T, svc *gmail.Service, m *gmail.Message, c mimecorpus.Message, labelNames map[string]string) {
	if m == nil {
		t.Fatalf("no message with subject %q", c.Subject)
	}
	from, err := mail.ParseAddress(header(m.Payload, "From"))
	if err != nil || from.Name != c.FromName || from.Address != c.FromEmail {
		t.Errorf("From = %q (%v)", header(m.Payload, "From"), err)
	}
	parts := map[string]*gmail.MessagePart{}
	var walk func(p *gmail.MessagePart)
	walk = func(p *gmail.MessagePart) {
		parts[p.PartId] = p
		for _, q := range p.Parts {
			walk(q)
		}
	}
	walk(m.Payload)
	for id, typ := range c.Parts {
		if parts[id] == nil || parts[id].MimeType != typ {
			t.Errorf("part %q: %v, want %s", id, parts[id], typ)
		}
	}
	if len(parts) != len(c.Parts) {
		t.Errorf("%d parts, want %d", len(parts), len(c.Parts))
	}
	if c.Snippet != "" && m.Snippet != c.Snippet {
		t.Errorf("snippet = %q, want %q", m.Snippet, c.Snippet)
	}
	for _, a := range c.Attachments {
		p := parts[a.PartID]
		if p == nil || p.Filename != a.Filename || p.Body.AttachmentId == "" || p.Body.Size != a.Size {
			t.Errorf("attachment %s = %+v", a.PartID, p)
			continue
		}
		got, err := svc.Users.Messages.Attachments.Get("me", m.Id, p.Body.AttachmentId).Do()
		if err != nil {
			t.Fatal(err)
		}
		if data, _ := base64.URLEncoding.DecodeString(got.Data); int64(len(data)) != a.Size {
			t.Errorf("attachment %s: %d bytes, want %d", a.PartID, len(data), a.Size)
		}
	}
	// Containers have body {size:0} and no data; every leaf has data xor an
	// attachmentId.
	for id, p := range parts {
		leaf := len(p.Parts) == 0 && !strings.HasPrefix(p.MimeType, "multipart/") && p.MimeType != "message/rfc822"
		switch {
		case !leaf && (p.Body.Size != 0 || p.Body.Data != "" || p.Body.AttachmentId != ""):
			t.Errorf("container %q body = %+v", id, p.Body)
		case leaf && (p.Body.Data == "") == (p.Body.AttachmentId == "") && p.Body.Size > 0:
			t.Errorf("leaf %q body = %+v", id, p.Body)
		}
	}
	if c.Labels != nil {
		var got []string
		for _, l := range m.LabelIds {
			got = append(got, labelNames[l])
		}
		slices.Sort(got)
		want := slices.Clone(c.Labels)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("labels = %v, want %v", got, want)
		}
	}
	found, err := svc.Users.Messages.List("me").Q(`"` + c.Text + `"`).IncludeSpamTrash(true).Do()
	if err != nil || !slices.ContainsFunc(found.Messages, func(x *gmail.Message) bool { return x.Id == m.Id }) {
		t.Errorf("search for %q does not find it", c.Text)
	}
}
