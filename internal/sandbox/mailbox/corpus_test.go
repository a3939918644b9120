package mailbox

import (
	"net/mail"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jarvis-hq/jarvis/internal/mimecorpus"
)

// corpusRaw returns the raw bytes of a corpus case's message.
func corpusRaw(t *testing.T, c mimecorpus.Message) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(mimecorpus.Dir(), c.File))
	if err != nil {
		t.Fatal(err)
	}
	if strings.HasSuffix(c.File, ".mbox") {
		msgs, err := SplitMbox(b)
		if err != nil {
			t.Fatal(err)
		}
		return msgs[c.Index]
	}
	return b
}

func TestCorpusPayloads(t *testing.T) {
	for _, c := range mimecorpus.Expected(t) {
		t.Run(c.File+"#"+string(rune('0'+c.Index)), func(t *testing.T) {
			m := Parse(corpusRaw(t, c), time.Unix(0, 0))
			hs := m.Root().Headers
			if got := hs.Get("Subject"); got != c.Subject {
				t.Errorf("subject = %q, want %q", got, c.Subject)
			}
			addr, err := mail.ParseAddress(hs.Get("From"))
			if err != nil {
				t.Fatalf("From %q: %v", hs.Get("From"), err)
			}
			if addr.Name != c.FromName || addr.Address != c.FromEmail {
				t.Errorf("from = %q <%s>, want %q <%s>", addr.Name, addr.Address, c.FromName, c.FromEmail)
			}
			if text := plainText(m.Root()); !strings.Contains(collapse(text), c.Text) {
				t.Errorf("text lacks %q:\n%s", c.Text, text)
			}
			if c.Snippet != "" && m.Snippet != c.Snippet {
				t.Errorf("snippet = %q, want %q", m.Snippet, c.Snippet)
			}
			got := map[string]string{}
			m.Root().Walk(func(p *Part) { got[p.PartID] = p.MimeType })
			if len(got) != len(c.Parts) {
				t.Errorf("parts = %v, want %v", got, c.Parts)
			}
			for id, typ := range c.Parts {
				if got[id] != typ {
					t.Errorf("part %q = %q, want %q", id, got[id], typ)
				}
			}
			for _, a := range c.Attachments {
				p := m.Root().Find(a.PartID)
				if p == nil {
					t.Fatalf("no part %s", a.PartID)
				}
				if p.Filename != a.Filename || p.MimeType != a.MimeType || int64(len(p.Data)) != a.Size || !p.Attachment() {
					t.Errorf("attachment %s = %q %s %d bytes (attachment %v), want %q %s %d", a.PartID, p.Filename, p.MimeType, len(p.Data), p.Attachment(), a.Filename, a.MimeType, a.Size)
				}
			}
			if m.Date.Equal(time.Unix(0, 0)) {
				t.Errorf("Date header not read")
			}
		})
	}
}
