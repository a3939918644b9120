package mailbox

import (
	"net/mail"
	"regexp"
	"strings"
	"time"

	"github.com/jarvis-hq/jarvis/internal/searchtext"
)

// Message is a parsed message. Everything but its labels and history id is
// fixed once parsed, so readers share it without locking; labels live in
// the Store. A Message keeps its bytes and what search needs, not its
// payload tree: Root and Head parse the bytes again when asked, which keeps
// big mailboxes small.
type Message struct {
	ID       string
	ThreadID string
	Date     time.Time // internalDate: the Date header, else the file time
	Snippet  string
	Size     int // sizeEstimate: the length of the bytes

	raw []byte     // the bytes as received, or nil for a generated message
	gen *generator // makes a generated message's bytes again
	gi  int32      // its index in gen

	bodyPending bool // a generated message whose body is not indexed yet

	messageID  string   // Message-ID without angle brackets
	refs       []string // In-Reply-To and References ids, nearest first
	subjectKey string   // normalised subject for threading
	gmThreadID string   // X-GM-THRID of a Google Takeout export
	labelNames []string // Gmail label names from X-Gmail-Labels
	seen       bool     // mbox Status says read

	// What search reads, each as searchtext.Normalize gives it: the
	// decoded headers' words, the attachments' names' words, and the
	// words of the inline text.
	from, to, cc, bcc, subject, deliveredTo string
	filenames                               []string
	text                                    string
	hasAttachment                           bool
}

// Parse parses raw RFC 5322 bytes. fallback is the internal date when the
// message has no usable Date header. Parse never fails: a malformed message
// comes out with whatever could be read.
func Parse(raw []byte, fallback time.Time) *Message {
	root := ParseEntity(raw)
	hs := root.Headers
	m := &Message{raw: raw, Size: len(raw), Date: fallback}
	if d, err := mail.ParseDate(hs.Get("Date")); err == nil {
		m.Date = d
	} else if d, ok := parseLooseDate(hs.Get("Date")); ok {
		m.Date = d
	}
	m.messageID = firstID(hs.Get("Message-ID"))
	m.refs = append(m.refs, msgIDs(hs.Get("In-Reply-To"))...)
	refs := msgIDs(hs.Get("References"))
	for i := len(refs) - 1; i >= 0; i-- {
		m.refs = append(m.refs, refs[i])
	}
	m.subject = searchtext.Normalize(hs.Get("Subject"))
	m.subjectKey = NormalizeSubject(hs.Get("Subject"))
	m.gmThreadID = strings.TrimSpace(hs.Get("X-GM-THRID"))
	if l := hs.Get("X-Gmail-Labels"); l != "" {
		m.labelNames = splitLabels(l)
	}
	m.seen = strings.ContainsRune(hs.Get("Status"), 'R')
	m.from = searchtext.Normalize(hs.Get("From") + " " + hs.Get("Sender"))
	m.to = searchtext.Normalize(strings.Join(hs.Values("To"), ", "))
	m.cc = searchtext.Normalize(strings.Join(hs.Values("Cc"), ", "))
	m.bcc = searchtext.Normalize(strings.Join(hs.Values("Bcc"), ", "))
	m.deliveredTo = searchtext.Normalize(strings.Join(hs.Values("Delivered-To"), ", "))
	m.indexBody(root)
	return m
}

// indexBody fills in what comes from the payload tree: the snippet, the
// attachments' names and the text search reads. It needs of each part only
// its id, type, filename, disposition, charset and a text leaf's data.
func (m *Message) indexBody(root *Part) {
	plain := findText(root, "plain")
	htmlOnly := plain == nil // Gmail reads images' alt text then
	texts := map[*Part]string{}
	textOf := func(p *Part) string {
		t, ok := texts[p]
		if !ok {
			if p.MimeType == "text/html" {
				t = htmlText(p.Text(), htmlOnly)
			} else {
				t = p.Text()
			}
			texts[p] = t
		}
		return t
	}
	if h := findText(root, "html"); h != nil {
		m.Snippet = snippetOf(textOf(h))
	} else if plain != nil {
		m.Snippet = snippetOf(textOf(plain))
	}
	root.Walk(func(p *Part) {
		if p.Filename != "" && p.PartID != "" {
			m.hasAttachment = true
			m.filenames = append(m.filenames, searchtext.Normalize(p.Filename))
		}
	})
	var b strings.Builder
	searchLeaves(root, func(p *Part) {
		b.WriteString(textOf(p))
		b.WriteByte(' ')
	})
	m.text = searchtext.Normalize(b.String())
}

// Raw returns the message's bytes as received: format=raw.
func (m *Message) Raw() []byte {
	if m.gen != nil {
		return m.gen.render(int(m.gi))
	}
	return m.raw
}

// Root parses the message's payload tree (format=full). Each call parses
// anew, so the caller owns the tree.
func (m *Message) Root() *Part { return ParseEntity(m.Raw()) }

// Head returns the root part without its body: its headers, type and
// filename (format=metadata), parsing only the header block.
func (m *Message) Head() *Part {
	if m.gen != nil {
		return m.gen.build(int(m.gi), buildHeaders).root
	}
	return parseHead(m.Raw())
}

// Attachment returns the leaf whose attachment id is id, or nil.
func (m *Message) Attachment(id string) *Part {
	var found *Part
	m.Root().Walk(func(p *Part) {
		if found == nil && p.Attachment() && AttachmentID(m.ID, p.PartID) == id {
			found = p
		}
	})
	return found
}

// AttachmentID is the stable id under which a message's part is served.
func AttachmentID(messageID, partID string) string {
	return "ANGjdJ_" + messageID + "_" + strings.ReplaceAll(partID, ".", "_")
}

var angle = regexp.MustCompile(`<([^<>\s]+)>`)

// msgIDs returns the <ids> of a References-style header, without brackets.
func msgIDs(v string) []string {
	var ids []string
	for _, m := range angle.FindAllStringSubmatch(v, -1) {
		ids = append(ids, m[1])
	}
	if ids == nil && strings.TrimSpace(v) != "" && !strings.ContainsAny(v, " \t") {
		ids = []string{strings.TrimSpace(v)}
	}
	return ids
}

func firstID(v string) string {
	if ids := msgIDs(v); len(ids) > 0 {
		return ids[0]
	}
	return ""
}

var subjectPrefix = regexp.MustCompile(`(?i)^\s*((re|fwd?|aw|wg|sv|vs|antw|odp|tr|rif|r|enc|res|回复|转发|答复)\s*(\[\d+\])?\s*[:：]\s*|\[[^\]]*\]\s*)`)

// NormalizeSubject reduces a subject to what Gmail compares when it threads:
// reply and forward prefixes in the usual languages and [list] tags
// stripped, white space collapsed, case folded.
func NormalizeSubject(s string) string {
	s = collapse(s)
	for {
		t := subjectPrefix.ReplaceAllString(s, "")
		if t == s {
			break
		}
		s = t
	}
	return strings.ToLower(strings.TrimSpace(s))
}

// parseLooseDate reads a few Date forms net/mail rejects.
func parseLooseDate(v string) (time.Time, bool) {
	v = strings.TrimSpace(v)
	if i := strings.Index(v, "("); i > 0 {
		v = strings.TrimSpace(v[:i])
	}
	for _, layout := range []string{
		"Mon, 2 Jan 2006 15:04:05 -0700",
		"Mon, 2 Jan 2006 15:04:05 MST",
		"2 Jan 2006 15:04:05 -0700",
		"Mon, 2 Jan 2006 15:04 -0700",
		"Mon Jan 2 15:04:05 2006",
		time.RFC3339,
		"2006-01-02 15:04:05 -0700",
	} {
		if t, err := time.Parse(layout, v); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}
