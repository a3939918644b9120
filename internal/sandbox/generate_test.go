package sandbox

import (
	"context"
	"encoding/base64"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/jarvis-hq/jarvis/internal/sandbox/mailbox"
	"google.golang.org/api/gmail/v1"
)

func TestGenerateFlags(t *testing.T) {
	var cfg Config
	fs := flag.NewFlagSet("sandbox", flag.ContinueOnError)
	RegisterFlags(fs, &cfg)
	if err := fs.Parse([]string{"--generate", "100000", "--seed", "7"}); err != nil {
		t.Fatal(err)
	}
	if cfg.Generate != 100000 || cfg.Seed != 7 {
		t.Fatalf("generate %d seed %d", cfg.Generate, cfg.Seed)
	}
	if _, err := New(Config{BaseURL: "http://127.0.0.1:1", SigningKey: testKey(), Generate: -1}); err == nil {
		t.Fatal("a negative --generate was accepted")
	}
}

// Generated mail reaches the official client whole: every account has it,
// ids repeat from the seed, and text in every charset comes out decoded.
func TestGeneratedMailThroughGmailAPI(t *testing.T) {
	const n = 1500
	e := newEnv(t, func(c *Config) { c.Generate, c.Seed = n, 11 })
	ctx := context.Background()
	var firstIDs []string
	for i, email := range e.srv.Accounts() {
		svc := e.gmail(e.signIn(email))
		p, err := svc.Users.GetProfile("me").Context(ctx).Do()
		if err != nil {
			t.Fatal(err)
		}
		if p.MessagesTotal < n {
			t.Fatalf("%s has %d messages, want at least %d", email, p.MessagesTotal, n)
		}
		if i == 0 {
			l, err := svc.Users.Messages.List("me").MaxResults(500).Context(ctx).Do()
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range l.Messages {
				firstIDs = append(firstIDs, m.Id)
			}
		}
	}
	again := newEnv(t, func(c *Config) { c.Generate, c.Seed = n, 11 })
	svc := again.gmail(again.signIn(again.srv.Accounts()[0]))
	l, err := svc.Users.Messages.List("me").MaxResults(500).Context(ctx).Do()
	if err != nil {
		t.Fatal(err)
	}
	for i, m := range l.Messages {
		if i >= len(firstIDs) || m.Id != firstIDs[i] {
			t.Fatalf("message %d is %s after a restart with the same seed, was %v", i, m.Id, firstIDs[min(i, len(firstIDs)-1)])
		}
	}

	seen := map[string]bool{}
	for _, q := range []string{"見積書", "Grüße", "Отчёт", "会议", "has:attachment", "category:promotions"} {
		res, err := svc.Users.Messages.List("me").Q(q).MaxResults(40).Context(ctx).Do()
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Messages) == 0 {
			t.Fatalf("%q finds nothing", q)
		}
		for _, ref := range res.Messages {
			m, err := svc.Users.Messages.Get("me", ref.Id).Format("full").Context(ctx).Do()
			if err != nil {
				t.Fatal(err)
			}
			checkDecoded(t, m, seen)
		}
	}
	for _, cs := range []string{"utf-8", "iso-8859-1", "iso-2022-jp", "shift_jis", "koi8-r", "gb2312"} {
		if !seen[cs] {
			t.Errorf("no message in %s came through (saw %v)", cs, seen)
		}
	}
}

// checkDecoded checks that a message's headers and snippet are clean
// UTF-8 in its script, and notes the charsets of its text parts.
func checkDecoded(t *testing.T, m *gmail.Message, seen map[string]bool) {
	t.Helper()
	for _, h := range m.Payload.Headers {
		if strings.Contains(h.Value, "=?") || strings.ContainsRune(h.Value, utf8.RuneError) || strings.ContainsRune(h.Value, 0x1a) {
			t.Fatalf("message %s header %s is not decoded: %q", m.Id, h.Name, h.Value)
		}
	}
	if m.Snippet == "" || strings.ContainsRune(m.Snippet, utf8.RuneError) {
		t.Fatalf("message %s snippet %q", m.Id, m.Snippet)
	}
	var walk func(p *gmail.MessagePart)
	walk = func(p *gmail.MessagePart) {
		for _, h := range p.Headers {
			if strings.EqualFold(h.Name, "Content-Type") && strings.HasPrefix(p.MimeType, "text/") && p.Filename == "" {
				_, cs, _ := strings.Cut(strings.ToLower(h.Value), "charset=")
				cs = strings.Trim(cs, `"`)
				seen[cs] = true
				data, err := base64.URLEncoding.DecodeString(p.Body.Data)
				if err != nil || len(data) == 0 {
					t.Fatalf("message %s part %s: body %v", m.Id, p.PartId, err)
				}
				subject := ""
				for _, h := range m.Payload.Headers {
					if h.Name == "Subject" {
						subject = h.Value
					}
				}
				script := func(s string, tab *unicode.RangeTable) bool {
					for _, r := range s {
						if unicode.Is(tab, r) {
							return true
						}
					}
					return false
				}
				switch cs {
				case "iso-2022-jp", "shift_jis":
					if !script(m.Snippet, unicode.Han) && !script(m.Snippet, unicode.Hiragana) && !script(m.Snippet, unicode.Katakana) {
						t.Fatalf("message %s in %s: snippet %q is not Japanese", m.Id, cs, m.Snippet)
					}
				case "koi8-r":
					if !script(m.Snippet, unicode.Cyrillic) || !script(subject, unicode.Cyrillic) {
						t.Fatalf("message %s in %s: snippet %q, subject %q are not Russian", m.Id, cs, m.Snippet, subject)
					}
				case "gb2312":
					if !script(m.Snippet, unicode.Han) {
						t.Fatalf("message %s in %s: snippet %q is not Chinese", m.Id, cs, m.Snippet)
					}
				}
			}
		}
		for _, c := range p.Parts {
			walk(c)
		}
	}
	walk(m.Payload)
}

// A generated mailbox goes into the state file as references, not bytes,
// and comes back from it as it was, changes included.
func TestGeneratedMailboxSurvivesARestart(t *testing.T) {
	const n = 3000
	path := filepath.Join(t.TempDir(), "jarvis-sandbox.json")
	cfg := Config{BaseURL: "http://127.0.0.1:9", StateFile: path, SigningKey: testKey(), Generate: n, Seed: 4}
	first, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ada := first.byEmail["ada@example.com"].mail
	page, err := ada.ListMessages(mailbox.ListOptions{MaxResults: 10})
	if err != nil {
		t.Fatal(err)
	}
	id := page.Items[3].ID
	if _, err := ada.Modify(id, []string{mailbox.Starred}, nil); err != nil {
		t.Fatal(err)
	}
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if info.Size() > 2*n*600 {
		t.Fatalf("the state file of %d generated messages per account takes %d bytes: it should refer to them, not hold them", n, info.Size())
	}
	cfg.Seed = 5 // the file's mailboxes win over the flags
	second, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer second.Close()
	v, err := second.byEmail["ada@example.com"].mail.Message(id)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(v.LabelIDs, mailbox.Starred) || v.Snippet == "" {
		t.Fatalf("restored message %s: labels %v, snippet %q", id, v.LabelIDs, v.Snippet)
	}
	before, _ := ada.Message(id)
	if string(before.Raw()) != string(v.Raw()) {
		t.Fatal("the restored message renders differently")
	}
}
