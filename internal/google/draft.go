package google

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"net/textproto"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	jarvis "github.com/jarvis-hq/jarvis"
)

// Limits on what a draft may hold.
const (
	// MaxDraftRecipients caps to, cc and bcc together.
	MaxDraftRecipients = 100
	// MaxSubjectBytes caps the Subject header value once encoded (RFC 5322's
	// line limit).
	MaxSubjectBytes = 998
	// MaxDraftBodyBytes caps body_text and body_html together.
	MaxDraftBodyBytes = 5 << 20
	// MaxDraftAttachmentBytes and MaxDraftAttachments are jarvis's.
	MaxDraftAttachmentBytes = jarvis.MaxDraftAttachmentBytes
	MaxDraftAttachments     = jarvis.MaxDraftAttachments
	// maxAddressBytes caps one to/cc/bcc entry as given.
	maxAddressBytes = 512
	// maxReferences caps the References of a reply: the thread's first id
	// and the latest ones are kept.
	maxReferences = 20
	// foldAt is where header lines are folded when they can be.
	foldAt = 78
	// maxLine is RFC 5322's hard limit on a line, without CRLF.
	maxLine = 998
)

// DraftOptions is what BuildDraft needs beyond the caller's input.
type DraftOptions struct {
	// From is the sender: the user's Google address. Required.
	From jarvis.Address
	// ReplyTo is the message being replied to, or nil for a new thread.
	// Its MessageIDHeader, References and Subject thread the reply.
	ReplyTo *jarvis.Message
	// Now stamps the Date header. Required.
	Now time.Time
	// MessageIDDomain is the right-hand side of the Message-ID; when empty
	// or not a host name, the domain of From is used.
	MessageIDDomain string
	// Rand supplies the Message-ID and the MIME boundaries; nil means
	// crypto/rand.
	Rand io.Reader
	// Forward is the message forwarded, or nil: its headers and body are
	// quoted below the caller's, and the subject is "Fwd: …".
	Forward *jarvis.Message
	// Attachments are attached after the caller's own (in.Attachments):
	// the forwarded message's that are kept.
	Attachments []jarvis.AttachmentData
}

// ValidateDraft checks a caller's draft input without building it, so that
// a handler can refuse bad input before any upstream call. It returns an
// EINVALID *jarvis.Error naming the JSON field (to, cc, bcc, subject,
// body_text, body_html) when: there is no recipient and the draft is not a
// reply (a reply given none is addressed by the reply rule), or more than
// MaxDraftRecipients (field to); an address does not parse with net/mail,
// or any address or the subject holds a CR, LF or NUL — raw, percent-encoded
// (%0d, %0a, %00) or inside an RFC 2047 encoded-word — or another control
// character or invalid UTF-8; a body holds NUL or invalid UTF-8. It returns
// ETOOLARGE with the field when the subject is longer than MaxSubjectBytes
// or the bodies together are larger than MaxDraftBodyBytes.
func ValidateDraft(in jarvis.DraftInput) error {
	_, err := validateDraft(in)
	return err
}

type recipients struct{ to, cc, bcc []*mail.Address }

func validateDraft(in jarvis.DraftInput) (*recipients, error) {
	if err := checkBodies(in); err != nil {
		return nil, err
	}
	if err := checkCompose(in); err != nil {
		return nil, err
	}
	n := len(in.To) + len(in.Cc) + len(in.Bcc)
	if n == 0 && in.ReplyToThreadID == "" {
		return nil, jarvis.Invalid("to", "At least one recipient is required in to, cc or bcc.")
	}
	if n > MaxDraftRecipients {
		return nil, jarvis.Invalid("to", "At most %d recipients are allowed in to, cc and bcc together.", MaxDraftRecipients)
	}
	var r recipients
	var err error
	if r.to, err = parseRecipients("to", in.To); err != nil {
		return nil, err
	}
	if r.cc, err = parseRecipients("cc", in.Cc); err != nil {
		return nil, err
	}
	if r.bcc, err = parseRecipients("bcc", in.Bcc); err != nil {
		return nil, err
	}
	if len(in.Subject) > MaxSubjectBytes {
		return nil, tooLarge("subject", "The subject must be at most %d bytes.", MaxSubjectBytes)
	}
	if err := checkHeaderText("subject", "The subject", in.Subject); err != nil {
		return nil, err
	}
	return &r, nil
}

func tooLarge(field, format string, args ...any) *jarvis.Error {
	return &jarvis.Error{Code: jarvis.ETOOLARGE, Field: field, Message: fmt.Sprintf(format, args...)}
}

func checkBodies(in jarvis.DraftInput) error {
	if len(in.BodyText) > MaxDraftBodyBytes {
		return tooLarge("body_text", "The body must be at most %d bytes.", MaxDraftBodyBytes)
	}
	if len(in.BodyText)+len(in.BodyHTML) > MaxDraftBodyBytes {
		return tooLarge("body_html", "body_text and body_html together must be at most %d bytes.", MaxDraftBodyBytes)
	}
	for _, b := range []struct{ field, v string }{{"body_text", in.BodyText}, {"body_html", in.BodyHTML}} {
		if !utf8.ValidString(b.v) {
			return jarvis.Invalid(b.field, "%s must be valid UTF-8.", b.field)
		}
		if strings.IndexByte(b.v, 0) >= 0 {
			return jarvis.Invalid(b.field, "%s must not contain NUL characters.", b.field)
		}
	}
	return nil
}

// quoteShort quotes a value for a message, cut to 60 characters.
func quoteShort(s string) string {
	if r := []rune(s); len(r) > 60 {
		return strconv.Quote(string(r[:60])) + "…"
	}
	return strconv.Quote(s)
}

// parseRecipients parses each entry as one address ("a@x" or
// "Name <a@x>"), refusing anything that could add a header line.
func parseRecipients(field string, list []string) ([]*mail.Address, error) {
	out := make([]*mail.Address, 0, len(list))
	for _, raw := range list {
		what := "The address " + quoteShort(raw)
		if strings.TrimSpace(raw) == "" {
			return nil, jarvis.Invalid(field, "One of the %s addresses is empty.", field)
		}
		if len(raw) > maxAddressBytes {
			return nil, jarvis.Invalid(field, "%s is longer than %d bytes.", what, maxAddressBytes)
		}
		if err := checkHeaderText(field, what, raw); err != nil {
			return nil, err
		}
		a, err := addressParser.Parse(raw)
		if err != nil {
			return nil, jarvis.Invalid(field, "%s is not a valid email address.", quoteShort(strings.TrimSpace(raw)))
		}
		// A quoted display name keeps its encoded-words undecoded, but many
		// readers decode them anyway: check what they would see.
		if err := checkHeaderText(field, what, a.Name); err != nil {
			return nil, err
		}
		if err := checkHeaderText(field, what, a.Address); err != nil {
			return nil, err
		}
		a.Name = strings.TrimSpace(a.Name)
		out = append(out, a)
	}
	return out, nil
}

// checkHeaderText refuses text that could break out of a header: CR, LF
// and NUL, raw or percent-encoded, other control characters, bidirectional
// controls, invalid UTF-8, and encoded-words that decode (once or more) to
// any of these.
func checkHeaderText(field, what, s string) error {
	for range 4 {
		if !utf8.ValidString(s) {
			return jarvis.Invalid(field, "%s must be valid UTF-8.", what)
		}
		if strings.ContainsAny(s, "\r\n\x00") {
			return jarvis.Invalid(field, "%s must not contain line breaks or NUL characters.", what)
		}
		lower := strings.ToLower(s)
		if strings.Contains(lower, "%0d") || strings.Contains(lower, "%0a") || strings.Contains(lower, "%00") {
			return jarvis.Invalid(field, "%s must not contain encoded line breaks or NUL characters.", what)
		}
		for _, r := range s {
			if isControl(r) {
				return jarvis.Invalid(field, "%s must not contain control characters.", what)
			}
			if isBidiControl(r) {
				return jarvis.Invalid(field, "%s must not contain bidirectional control characters (U+%04X), which can disguise what it says.", what, r)
			}
		}
		if !strings.Contains(s, "=?") {
			return nil
		}
		d, err := wordDecoder.DecodeHeader(s)
		if err != nil || d == s {
			return nil
		}
		s = d
	}
	return jarvis.Invalid(field, "%s holds too deeply nested encoded-words.", what)
}

// isBidiControl reports the bidirectional embedding, override and isolate
// controls (U+202A–U+202E, U+2066–U+2069) and the direction marks U+200E and
// U+200F, which can make an address or subject read as something else.
func isBidiControl(r rune) bool {
	return (r >= '\u202a' && r <= '\u202e') || (r >= '\u2066' && r <= '\u2069') || r == '\u200e' || r == '\u200f'
}

// isControl reports control characters other than TAB, and the Unicode
// line and paragraph separators some software breaks lines on.
func isControl(r rune) bool {
	return (r < 0x20 && r != '\t') || r == 0x7f || (r >= 0x80 && r < 0xa0) || r == '\u2028' || r == '\u2029'
}

// BuildDraft builds an RFC 5322 message for drafts.create (CRLF line ends,
// every header folded at spaces and at most 998 bytes a line). The headers
// are exactly From, To, Cc and Bcc (those with recipients; Gmail drafts keep
// Bcc), Subject, Date, Message-ID, In-Reply-To and References (replies
// only), MIME-Version, Content-Type and, for a text-only draft,
// Content-Transfer-Encoding. The body is text/plain; charset=UTF-8 in
// quoted-printable, or multipart/alternative with a plain part (derived
// from the HTML when body_text is empty) and an HTML part when body_html is
// given. Non-ASCII names and subjects become RFC 2047 encoded-words; so
// does any text that looks like one, so that readers show it as typed.
//
// With attachments (in.Attachments, then opts.Attachments) the message is
// multipart/mixed: the body entity first, then each attachment in base64
// with its Content-Type (name parameter) and Content-Disposition:
// attachment (filename parameter), the filename made safe (no path, no
// control characters, at most 255 bytes) and RFC 2231-encoded when it is
// not ASCII; a forwarded inline part keeps its Content-ID.
//
// A forward (opts.Forward set) quotes the forwarded message below the
// caller's text ("---------- Forwarded message ---------", its From, Date,
// Subject, To and Cc, then its text; the same in HTML when either has
// HTML), and its subject is prefixed with "Fwd: " unless it already starts
// with Fwd: or Fw: (any case); an empty subject takes the forwarded
// message's.
//
// A reply (opts.ReplyTo set) gets In-Reply-To with the replied message's
// Message-ID, References with its References and Message-ID, and a subject
// prefixed with "Re: " unless it already starts with Re: or Aw: (any case)
// or is a forward's; an empty subject takes the replied message's.
//
// Input errors are those of ValidateDraft, plus EINVALID (field to) when
// there is no recipient, reply or not, and ETOOLARGE (field subject)
// when the final subject is longer than MaxSubjectBytes once encoded. A
// missing From or Now, or a failing random source, is a plain error.
func BuildDraft(in jarvis.DraftInput, opts DraftOptions) ([]byte, error) {
	r, err := validateDraft(in)
	if err != nil {
		return nil, err
	}
	if len(r.to)+len(r.cc)+len(r.bcc) == 0 {
		return nil, jarvis.Invalid("to", "At least one recipient is required in to, cc or bcc.")
	}
	from, err := senderAddress(opts.From)
	if err != nil {
		return nil, err
	}
	if opts.Now.IsZero() {
		return nil, errors.New("google: BuildDraft needs the current time")
	}
	rnd := opts.Rand
	if rnd == nil {
		rnd = rand.Reader
	}

	subject := strings.TrimSpace(in.Subject)
	if f := opts.Forward; f != nil {
		if subject == "" {
			subject = strings.TrimSpace(oneLine(f.Subject))
		}
		if !hasForwardPrefix(subject) {
			subject = strings.TrimSpace("Fwd: " + subject)
		}
	}
	var inReplyTo string
	var references []string
	if m := opts.ReplyTo; m != nil {
		if subject == "" {
			subject = strings.TrimSpace(oneLine(m.Subject))
		}
		if !hasReplyPrefix(subject) && opts.Forward == nil {
			subject = strings.TrimSpace("Re: " + subject)
		}
		ids := msgIDs(m.MessageIDHeader)
		if len(ids) > 0 {
			inReplyTo = ids[0]
		}
		references = threadReferences(msgIDs(m.References), inReplyTo)
	}
	encSubject := encodeText(subject)
	if len(encSubject) > MaxSubjectBytes {
		return nil, tooLarge("subject", "The subject must be at most %d bytes once encoded.", MaxSubjectBytes)
	}

	id, err := randomToken(rnd)
	if err != nil {
		return nil, err
	}
	domain := opts.MessageIDDomain
	if !isHostname(domain) {
		domain = "localhost"
		if _, d, ok := strings.Cut(from.Address, "@"); ok && isHostname(d) {
			domain = d
		}
	}

	var b bytes.Buffer
	h := headerWriter{b: &b}
	h.write("From", formatAddress(from), "")
	h.write("To", formatAddressList(r.to), "to")
	h.write("Cc", formatAddressList(r.cc), "cc")
	h.write("Bcc", formatAddressList(r.bcc), "bcc")
	h.writeAlways("Subject", encSubject, "subject")
	h.write("Date", opts.Now.Format("Mon, 02 Jan 2006 15:04:05 -0700"), "")
	h.write("Message-ID", "<"+id+"@"+domain+">", "")
	h.write("In-Reply-To", inReplyTo, "")
	h.write("References", strings.Join(references, " "), "")
	h.write("MIME-Version", "1.0", "")
	if h.err != nil {
		return nil, h.err
	}

	text, html := normalizeNewlines(in.BodyText), normalizeNewlines(in.BodyHTML)
	if f := opts.Forward; f != nil {
		text, html = forwardBodies(text, html, f)
	}
	if html != "" && strings.TrimSpace(text) == "" {
		text = htmlToText(html)
	}
	atts := append(slices.Clone(in.Attachments), opts.Attachments...)
	ctype, content, err := bodyEntity(rnd, text, html)
	if err != nil {
		return nil, err
	}
	if len(atts) == 0 {
		h.write("Content-Type", ctype, "")
		if html == "" {
			h.write("Content-Transfer-Encoding", "quoted-printable", "")
		}
		b.WriteString("\r\n")
		b.Write(content)
		return b.Bytes(), h.err
	}
	boundary, err := newBoundary(rnd)
	if err != nil {
		return nil, err
	}
	h.write("Content-Type", `multipart/mixed; boundary="`+boundary+`"`, "")
	b.WriteString("\r\n")
	mw := multipart.NewWriter(&b)
	if err := mw.SetBoundary(boundary); err != nil {
		return nil, err
	}
	bodyHeader := textproto.MIMEHeader{"Content-Type": {ctype}}
	if html == "" {
		bodyHeader.Set("Content-Transfer-Encoding", "quoted-printable")
	}
	pw, err := mw.CreatePart(bodyHeader)
	if err != nil {
		return nil, err
	}
	if _, err := pw.Write(content); err != nil {
		return nil, err
	}
	for _, a := range atts {
		if err := writeAttachment(mw, a); err != nil {
			return nil, err
		}
	}
	if err := mw.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), h.err
}

// bodyEntity builds the body: text/plain in quoted-printable when html is
// empty, else multipart/alternative with a plain and an HTML part. It
// returns the entity's Content-Type and its content.
func bodyEntity(rnd io.Reader, text, html string) (string, []byte, error) {
	var b bytes.Buffer
	if html == "" {
		err := writeQP(&b, text)
		return "text/plain; charset=UTF-8", b.Bytes(), err
	}
	boundary, err := newBoundary(rnd)
	if err != nil {
		return "", nil, err
	}
	mw := multipart.NewWriter(&b)
	if err := mw.SetBoundary(boundary); err != nil {
		return "", nil, err
	}
	for _, p := range []struct{ ctype, body string }{
		{"text/plain; charset=UTF-8", text},
		{"text/html; charset=UTF-8", html},
	} {
		pw, err := mw.CreatePart(textproto.MIMEHeader{
			"Content-Type":              {p.ctype},
			"Content-Transfer-Encoding": {"quoted-printable"},
		})
		if err != nil {
			return "", nil, err
		}
		if err := writeQP(pw, p.body); err != nil {
			return "", nil, err
		}
	}
	err = mw.Close()
	return `multipart/alternative; boundary="` + boundary + `"`, b.Bytes(), err
}

func newBoundary(rnd io.Reader) (string, error) {
	t, err := randomToken(rnd)
	return "=_jarvis_" + t, err
}

// senderAddress checks the sender, which comes from the user's Google
// profile rather than from the caller: a bad address is an internal error,
// a name with odd characters is cleaned rather than refused.
func senderAddress(a jarvis.Address) (*mail.Address, error) {
	email := strings.TrimSpace(a.Email)
	if email == "" {
		return nil, errors.New("google: BuildDraft needs a sender address")
	}
	if checkHeaderText("from", "from", email) != nil {
		return nil, errors.New("google: the sender address holds control characters")
	}
	p, err := addressParser.Parse(email)
	if err != nil || p.Name != "" {
		return nil, errors.New("google: the sender address is not a valid address")
	}
	name := strings.Join(strings.Fields(oneLine(a.Name)), " ")
	if checkHeaderText("from", "from", name) != nil {
		name = ""
	}
	return &mail.Address{Name: name, Address: p.Address}, nil
}

func hasReplyPrefix(s string) bool {
	s = strings.ToLower(strings.TrimSpace(s))
	return strings.HasPrefix(s, "re:") || strings.HasPrefix(s, "aw:")
}

// msgIDs extracts the <id> tokens of a Message-ID, In-Reply-To or
// References value, dropping anything that is not a well-formed id. A lone
// id without brackets is accepted and bracketed.
func msgIDs(v string) []string {
	v = strings.TrimSpace(v)
	var out []string
	if v != "" && !strings.ContainsAny(v, "<> \t") {
		if validMsgID(v) {
			out = append(out, "<"+v+">")
		}
		return out
	}
	for {
		i := strings.IndexByte(v, '<')
		if i < 0 {
			return out
		}
		j := strings.IndexByte(v[i:], '>')
		if j < 0 {
			return out
		}
		if id := v[i+1 : i+j]; validMsgID(id) {
			out = append(out, "<"+id+">")
		}
		v = v[i+j+1:]
	}
}

func validMsgID(id string) bool {
	if id == "" || len(id) > 250 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if c <= ' ' || c >= 0x7f || c == '<' || c == '>' || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}

// threadReferences appends the parent's id to its references, without
// duplicates, keeping the first id and the latest ones when there are too
// many.
func threadReferences(refs []string, parent string) []string {
	var out []string
	seen := map[string]bool{}
	for _, id := range append(refs, parent) {
		if id != "" && !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	if len(out) > maxReferences {
		out = append(out[:1], out[len(out)-maxReferences+1:]...)
	}
	return out
}

// encodeText encodes an unstructured header value (a subject, a display
// name): printable ASCII stays as it is, anything else becomes UTF-8
// encoded-words (Q or B, whichever is shorter). ASCII that looks like an
// encoded-word is encoded too, so that it is shown as typed.
func encodeText(s string) string {
	if s == "" {
		return ""
	}
	if !strings.Contains(s, "=?") && isPrintableASCII(s) {
		return s
	}
	if isPrintableASCII(s) {
		// mime's encoders leave ASCII alone; do it by hand.
		return encodeB(s)
	}
	q := mime.QEncoding.Encode("UTF-8", s)
	if b := mime.BEncoding.Encode("UTF-8", s); len(b) < len(q) {
		return b
	}
	return q
}

func isPrintableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < ' ' && c != '\t') || c > '~' {
			return false
		}
	}
	return true
}

// encodeB writes s as base64 encoded-words of at most 75 characters,
// split at rune boundaries, separated by spaces.
func encodeB(s string) string {
	const maxChunk = 45 // 60 base64 characters + "=?UTF-8?B?" + "?=" = 72
	var words []string
	for len(s) > 0 {
		n := min(len(s), maxChunk)
		for n < len(s) && n > 0 && !utf8.RuneStart(s[n]) {
			n--
		}
		words = append(words, "=?UTF-8?B?"+base64.StdEncoding.EncodeToString([]byte(s[:n]))+"?=")
		s = s[n:]
	}
	return strings.Join(words, " ")
}

// formatAddress writes an address with net/mail, which quotes or encodes
// the display name as needed; a name that looks like an encoded-word is
// encoded so that it cannot be taken for one.
func formatAddress(a *mail.Address) string {
	if strings.Contains(a.Name, "=?") {
		return encodeText(a.Name) + " " + (&mail.Address{Address: a.Address}).String()
	}
	return a.String()
}

func formatAddressList(list []*mail.Address) string {
	parts := make([]string, len(list))
	for i, a := range list {
		parts[i] = formatAddress(a)
	}
	return strings.Join(parts, ", ")
}

// headerWriter writes folded header fields and remembers the first error.
type headerWriter struct {
	b   *bytes.Buffer
	err error
}

// write writes a header unless its value is empty.
func (h *headerWriter) write(name, value, field string) {
	if value != "" {
		h.writeAlways(name, value, field)
	}
}

// writeAlways writes "Name: value", folding before spaces so that lines
// stay near foldAt bytes. A line that cannot be folded under maxLine is an
// error: ETOOLARGE for a caller's field, a plain error otherwise. Values are
// built from validated or encoded parts and hold no CR or LF; that is
// checked again here, as the last line of defence.
func (h *headerWriter) writeAlways(name, value, field string) {
	if h.err != nil {
		return
	}
	if strings.ContainsAny(value, "\r\n\x00") {
		h.err = fmt.Errorf("google: header %s holds a line break", name)
		return
	}
	line := name + ":"
	var lines []string
	for i, tok := range strings.Split(value, " ") {
		if i > 0 && tok != "" && len(line)+1+len(tok) > foldAt && strings.TrimSpace(line) != name+":" {
			lines = append(lines, line)
			line = ""
		}
		line += " " + tok
	}
	lines = append(lines, line)
	for _, l := range lines {
		if len(l) > maxLine {
			if field != "" {
				h.err = tooLarge(field, "The %s header would have a line longer than %d bytes.", name, maxLine)
			} else {
				h.err = fmt.Errorf("google: header %s has a line longer than %d bytes", name, maxLine)
			}
			return
		}
	}
	h.b.WriteString(strings.Join(lines, "\r\n"))
	h.b.WriteString("\r\n")
}

func normalizeNewlines(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	return strings.ReplaceAll(s, "\r", "\n")
}

// writeQP writes s quoted-printable with CRLF line ends.
func writeQP(w io.Writer, s string) error {
	qp := quotedprintable.NewWriter(w)
	if _, err := io.WriteString(qp, s); err != nil {
		return err
	}
	return qp.Close()
}

func randomToken(r io.Reader) (string, error) {
	var b [16]byte
	if _, err := io.ReadFull(r, b[:]); err != nil {
		return "", fmt.Errorf("google: random source: %w", err)
	}
	return hex.EncodeToString(b[:]), nil
}

// isHostname accepts dotted labels of letters, digits and hyphens.
func isHostname(s string) bool {
	if s == "" || len(s) > 253 {
		return false
	}
	for _, label := range strings.Split(s, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-') {
				return false
			}
		}
	}
	return true
}
