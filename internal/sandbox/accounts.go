package sandbox

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"io/fs"
	"net/mail"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"unicode"

	"github.com/jarvis-hq/jarvis/internal/sandbox/demo"
	"github.com/jarvis-hq/jarvis/internal/sandbox/mailbox"
)

// maxFileBytes bounds one data file; larger ones are reported and skipped.
const maxFileBytes = 256 << 20

// account is one sandbox Google account.
type account struct {
	email string
	name  string
	hd    string // hosted domain, "" for consumer and example domains
	mail  *mailbox.Store

	subMu  sync.Mutex
	sub    string   // stable numeric subject, as Google's; changed only by RecycleAccount
	gen    int      // how many times the address was recycled
	sendAs []SendAs // the custom send-as aliases (the account's own address is implied)
}

// subject returns the account's current Google subject.
func (a *account) subject() string {
	a.subMu.Lock()
	defer a.subMu.Unlock()
	return a.sub
}

func (s *Server) addAccount(email, name string) *account {
	a := &account{email: email, name: name, sub: subject(email), hd: hostedDomain(email), mail: mailbox.NewStore(s.now)}
	s.accounts = append(s.accounts, a)
	s.byEmail[email] = a
	return a
}

// subject derives a stable 21-digit subject from the address, so that a
// restarted sandbox keeps the (issuer, sub) identities Jarvis stored.
func subject(email string) string {
	sum := sha256.Sum256([]byte("sandbox-sub:" + email))
	return fmt.Sprintf("1%020d", binary.BigEndian.Uint64(sum[:8]))
}

// RecycleAccount gives an address a new Google identity, as when a
// Workspace address is deleted and created again for someone else: the
// email stays (still verified), the subject changes, and the grants of the
// old identity are revoked. It returns the new subject, or an error for an
// unknown account. The change lasts while the sandbox runs, and across
// restarts with a state file.
func (s *Server) RecycleAccount(email string) (string, error) {
	defer s.changed()
	a, err := s.account(email)
	if err != nil {
		return "", err
	}
	s.tokens.revokeAccount(a.email)
	a.subMu.Lock()
	defer a.subMu.Unlock()
	a.gen++
	a.sub = subject(fmt.Sprintf("%s#%d", a.email, a.gen))
	return a.sub, nil
}

// hostedDomain returns the Workspace domain Google would put in "hd":
// none for consumer mail and for the reserved example and test domains.
func hostedDomain(email string) string {
	_, domain, _ := strings.Cut(email, "@")
	switch domain {
	case "gmail.com", "googlemail.com", "example.com", "example.org", "example.net":
		return ""
	}
	for _, suffix := range []string{".example", ".test", ".invalid", ".localhost"} {
		if strings.HasSuffix(domain, suffix) {
			return ""
		}
	}
	return domain
}

// report records a skipped file and logs it.
func (s *Server) reportf(file, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	s.report = append(s.report, file+": "+msg)
	s.log.Warn("sandbox: skipped data file", "file", file, "reason", msg)
}

// loadDir loads DIR/<address>/ folders. Accounts come in the order of
// their addresses; the first is the primary one.
func (s *Server) loadDir(dir string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("sandbox: data directory: %w", err)
	}
	for _, e := range entries {
		name := e.Name()
		if strings.HasPrefix(name, ".") {
			continue
		}
		if !e.IsDir() || !strings.Contains(name, "@") {
			s.reportf(filepath.Join(dir, name), "not an account folder (want a folder named by an address, e.g. ada@example.com)")
			continue
		}
		s.loadAccount(strings.ToLower(name), filepath.Join(dir, name))
	}
	return nil
}

func (s *Server) loadAccount(email, dir string) {
	var msgs []*mailbox.Message
	var icsFiles []string
	var sendAsPath string
	_ = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			s.reportf(path, "%v", err)
			return nil
		}
		if d.IsDir() || strings.HasPrefix(d.Name(), ".") {
			return nil
		}
		if d.Name() == sendAsFile {
			sendAsPath = path
			return nil
		}
		ext := strings.ToLower(filepath.Ext(path))
		if ext != ".eml" && ext != ".mbox" && ext != ".ics" {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			s.reportf(path, "%v", err)
			return nil
		}
		if info.Size() > maxFileBytes {
			s.reportf(path, "larger than %d MiB", maxFileBytes>>20)
			return nil
		}
		switch ext {
		case ".ics":
			icsFiles = append(icsFiles, path)
		case ".eml":
			data, err := os.ReadFile(path)
			if err != nil {
				s.reportf(path, "%v", err)
				return nil
			}
			if m, why := parseMessage(data, info); m != nil {
				msgs = append(msgs, m)
			} else {
				s.reportf(path, "%s", why)
			}
		case ".mbox":
			data, err := os.ReadFile(path)
			if err != nil {
				s.reportf(path, "%v", err)
				return nil
			}
			parts, err := mailbox.SplitMbox(data)
			if err != nil {
				s.reportf(path, "%v", err)
				return nil
			}
			for i, raw := range parts {
				if m, why := parseMessage(raw, info); m != nil {
					msgs = append(msgs, m)
				} else {
					s.reportf(fmt.Sprintf("%s (message %d)", path, i+1), "%s", why)
				}
			}
		}
		return nil
	})
	a := s.addAccount(email, accountName(email, msgs))
	a.mail.Load(msgs)
	if sendAsPath != "" {
		s.loadSendAs(a, sendAsPath)
	}
	s.calendar.AddAccount(email, a.name)
	for _, path := range icsFiles {
		data, err := os.ReadFile(path)
		if err == nil {
			err = s.calendar.LoadICS(email, path, data)
		}
		if err != nil {
			s.reportf(path, "%v", err)
		}
	}
}

// loadSendAs reads an account's send-as.txt.
func (s *Server) loadSendAs(a *account, path string) {
	data, err := os.ReadFile(path)
	var list []SendAs
	if err == nil {
		list, err = parseSendAsFile(data)
	}
	if err == nil {
		list, err = normaliseSendAs(a.email, list)
	}
	if err != nil {
		s.reportf(path, "%v", err)
		return
	}
	a.sendAs = list
}

// parseMessage parses one message file; a message without a single
// header line is rejected with the reason.
func parseMessage(raw []byte, info fs.FileInfo) (*mailbox.Message, string) {
	if len(strings.TrimSpace(string(raw[:min(len(raw), 512)]))) == 0 {
		return nil, "empty message"
	}
	m := mailbox.Parse(raw, info.ModTime())
	if len(m.Root().Headers) == 0 {
		return nil, "no message header (is this an RFC 5322 message?)"
	}
	return m, ""
}

// accountName takes the display name the account uses in its own From
// lines, else makes one from the address's local part.
func accountName(email string, msgs []*mailbox.Message) string {
	for _, m := range msgs {
		if a, err := mail.ParseAddress(m.Root().Headers.Get("From")); err == nil && strings.EqualFold(a.Address, email) && a.Name != "" {
			return a.Name
		}
	}
	local, _, _ := strings.Cut(email, "@")
	words := strings.FieldsFunc(local, func(r rune) bool { return r == '.' || r == '_' || r == '-' || r == '+' })
	for i, w := range words {
		r := []rune(w)
		r[0] = unicode.ToUpper(r[0])
		words[i] = string(r)
	}
	return strings.Join(words, " ")
}

// loadDemo loads the built-in demo: its messages are generated as RFC 5322
// bytes and go through the same parser as loaded files.
func (s *Server) loadDemo() error {
	accts := demo.Accounts(s.now())
	var emails []string
	for _, da := range accts {
		emails = append(emails, da.Email)
	}
	for _, da := range accts {
		a := s.addAccount(da.Email, da.Name)
		msgs := make([]*mailbox.Message, 0, len(da.Messages))
		for _, raw := range da.Messages {
			msgs = append(msgs, mailbox.Parse(raw, s.now()))
		}
		a.mail.Load(msgs)
		s.calendar.AddAccount(da.Email, da.Name)
		s.calendar.AddDemo(da.Email, slices.DeleteFunc(slices.Clone(emails), func(e string) bool { return e == da.Email }))
	}
	return nil
}
