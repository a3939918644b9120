// Package demo writes the sandbox's built-in mailboxes: a few accounts with
// realistic threads, as RFC 5322 bytes in Google Takeout's form (labels in
// X-Gmail-Labels), dated relative to the clock so the demo never looks
// stale. The sandbox parses them like any loaded file.
package demo

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"mime"
	"mime/quotedprintable"
	"slices"
	"strings"
	"time"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/japanese"
	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/jarvis-hq/jarvis/internal/sandbox/mailbox"
)

// Account is one demo account and its messages, oldest first.
type Account struct {
	Email, Name string
	Messages    [][]byte
}

// person is a correspondent.
type person struct{ name, email string }

func (p person) String() string {
	if p.name == "" {
		return p.email
	}
	return mime.QEncoding.Encode("utf-8", quoteName(p.name)) + " <" + p.email + ">"
}

func quoteName(n string) string {
	if strings.ContainsAny(n, `,.;:"()<>@[]\`) {
		return `"` + strings.ReplaceAll(n, `"`, `\"`) + `"`
	}
	return n
}

// attachment is a file attached to a message.
type attachment struct {
	name, mimeType string
	data           []byte
	inlineID       string // Content-ID for an inline image referenced from HTML
}

// msg is one message of a thread.
type msg struct {
	from    person
	to, cc  []person
	ago     time.Duration // before now
	text    string        // plain body; empty for HTML-only mail
	html    string        // HTML body; empty for plain-only mail
	charset string        // of text; "" = utf-8
	qp      bool          // quoted-printable instead of base64 for 8-bit text
	files   []attachment
	labels  string // X-Gmail-Labels
	extra   []string
	invite  string // a text/calendar REQUEST body
	// spoofed marks a message whose From is forged: Gmail's check of it
	// failed DMARC.
	spoofed bool
}

// writer assembles messages for one mailbox.
type writer struct {
	now  time.Time
	seq  int
	out  [][]byte
	host string
}

// thread writes msgs as one conversation: each after the first replies to
// the one before (Re: subject, In-Reply-To, References).
func (w *writer) thread(subject string, msgs ...msg) {
	var refs []string
	for i, m := range msgs {
		w.seq++
		id := fmt.Sprintf("<demo-%d-%d@%s>", w.seq, w.now.Unix()%100000, w.host)
		subj := subject
		if i > 0 && !strings.HasPrefix(subject, "Fwd:") {
			subj = "Re: " + subject
		}
		w.out = append(w.out, w.render(m, subj, id, refs))
		refs = append(refs, id)
	}
}

// encodeWord writes s as one RFC 2047 B word in charset cs.
func encodeWord(enc encoding.Encoding, cs, s string) string {
	b, err := enc.NewEncoder().Bytes([]byte(s))
	if err != nil {
		return mime.BEncoding.Encode("utf-8", s)
	}
	return "=?" + cs + "?B?" + base64.StdEncoding.EncodeToString(b) + "?="
}

var charsets = map[string]encoding.Encoding{
	"iso-8859-1":  charmap.ISO8859_1,
	"koi8-r":      charmap.KOI8R,
	"iso-2022-jp": japanese.ISO2022JP,
	"gb2312":      simplifiedchinese.GBK,
	"shift_jis":   japanese.ShiftJIS,
}

func (w *writer) render(m msg, subject, id string, refs []string) []byte {
	var b bytes.Buffer
	h := func(k, v string) { fmt.Fprintf(&b, "%s: %s\r\n", k, v) }
	if m.labels != "" {
		h("X-Gmail-Labels", m.labels)
	}
	if !slices.Contains(strings.Split(m.labels, ","), sent) {
		// Gmail's check of the sender, on top of a message it received.
		verdict := mailbox.VerdictPass
		if m.spoofed {
			verdict = mailbox.VerdictSpoofed
		}
		b.WriteString(mailbox.AuthenticationResults(m.from.email, verdict))
	}
	h("Date", w.now.Add(-m.ago).Format(time.RFC1123Z))
	h("From", m.from.String())
	h("To", join(m.to))
	if len(m.cc) > 0 {
		h("Cc", join(m.cc))
	}
	if enc := charsets[m.charset]; enc != nil {
		h("Subject", encodeWord(enc, strings.ToUpper(m.charset), subject))
	} else {
		h("Subject", mime.QEncoding.Encode("utf-8", subject))
	}
	h("Message-ID", id)
	if len(refs) > 0 {
		h("In-Reply-To", refs[len(refs)-1])
		h("References", strings.Join(refs, " "))
	}
	for _, x := range m.extra {
		b.WriteString(x + "\r\n")
	}
	h("MIME-Version", "1.0")
	w.body(&b, m)
	return b.Bytes()
}

func join(ps []person) string {
	s := make([]string, len(ps))
	for i, p := range ps {
		s[i] = p.String()
	}
	return strings.Join(s, ", ")
}

// body writes the Content-Type header and the body: plain, HTML, or
// alternative, wrapped in related for inline images and mixed for files.
func (w *writer) body(b *bytes.Buffer, m msg) {
	var alt []func(*bytes.Buffer)
	if m.text != "" {
		alt = append(alt, func(b *bytes.Buffer) { textPart(b, "plain", m.charset, m.text, m.qp) })
	}
	if m.html != "" {
		alt = append(alt, func(b *bytes.Buffer) { textPart(b, "html", "utf-8", m.html, true) })
	}
	if m.invite != "" {
		alt = append(alt, func(b *bytes.Buffer) {
			b.WriteString("Content-Type: text/calendar; charset=UTF-8; method=REQUEST\r\nContent-Transfer-Encoding: 7bit\r\n\r\n")
			b.WriteString(strings.ReplaceAll(m.invite, "\n", "\r\n"))
		})
	}
	content := func(b *bytes.Buffer) {
		if len(alt) == 1 {
			alt[0](b)
			return
		}
		multipart(b, "alternative", w.boundary("alt"), alt)
	}
	var inline, files []attachment
	for _, f := range m.files {
		if f.inlineID != "" {
			inline = append(inline, f)
		} else {
			files = append(files, f)
		}
	}
	if len(inline) > 0 {
		inner := content
		parts := []func(*bytes.Buffer){inner}
		for _, f := range inline {
			parts = append(parts, filePart(f))
		}
		content = func(b *bytes.Buffer) { multipart(b, "related", w.boundary("rel"), parts) }
	}
	if len(files) == 0 {
		content(b)
		return
	}
	parts := []func(*bytes.Buffer){content}
	for _, f := range files {
		parts = append(parts, filePart(f))
	}
	multipart(b, "mixed", w.boundary("mix"), parts)
}

func (w *writer) boundary(kind string) string {
	w.seq++
	return fmt.Sprintf("%s-%06d-%x", kind, w.seq, w.now.Unix())
}

func multipart(b *bytes.Buffer, sub, boundary string, parts []func(*bytes.Buffer)) {
	fmt.Fprintf(b, "Content-Type: multipart/%s; boundary=\"%s\"\r\n\r\n", sub, boundary)
	for _, p := range parts {
		fmt.Fprintf(b, "--%s\r\n", boundary)
		p(b)
		b.WriteString("\r\n")
	}
	fmt.Fprintf(b, "--%s--\r\n", boundary)
}

// textPart writes a text leaf in its charset: 7bit when it is ASCII (or
// ISO-2022-JP, which is), else quoted-printable or base64.
func textPart(b *bytes.Buffer, sub, cs, text string, qp bool) {
	if cs == "" {
		cs = "utf-8"
	}
	data := []byte(strings.ReplaceAll(text, "\n", "\r\n"))
	if enc := charsets[cs]; enc != nil {
		if conv, err := enc.NewEncoder().Bytes(data); err == nil {
			data = conv
		}
	}
	fmt.Fprintf(b, "Content-Type: text/%s; charset=\"%s\"\r\n", sub, strings.ToUpper(cs))
	switch {
	case isASCII(data):
		b.WriteString("Content-Transfer-Encoding: 7bit\r\n\r\n")
		b.Write(data)
	case qp:
		b.WriteString("Content-Transfer-Encoding: quoted-printable\r\n\r\n")
		q := quotedprintable.NewWriter(b)
		_, _ = q.Write(data)
		_ = q.Close()
	default:
		b.WriteString("Content-Transfer-Encoding: base64\r\n\r\n")
		writeBase64(b, data)
	}
	b.WriteString("\r\n")
}

func filePart(f attachment) func(*bytes.Buffer) {
	return func(b *bytes.Buffer) {
		fmt.Fprintf(b, "Content-Type: %s; name=\"%s\"\r\n", f.mimeType, f.name)
		if f.inlineID != "" {
			fmt.Fprintf(b, "Content-ID: <%s>\r\nContent-Disposition: inline; filename=\"%s\"\r\n", f.inlineID, f.name)
		} else {
			fmt.Fprintf(b, "Content-Disposition: attachment; filename=\"%s\"\r\n", f.name)
		}
		b.WriteString("Content-Transfer-Encoding: base64\r\n\r\n")
		writeBase64(b, f.data)
	}
}

func writeBase64(b *bytes.Buffer, data []byte) {
	s := base64.StdEncoding.EncodeToString(data)
	for len(s) > 76 {
		b.WriteString(s[:76] + "\r\n")
		s = s[76:]
	}
	b.WriteString(s + "\r\n")
}

func isASCII(b []byte) bool {
	for _, c := range b {
		if c >= 0x80 {
			return false
		}
	}
	return true
}
