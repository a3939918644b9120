package google

import (
	"encoding/base64"
	"html"
	"mime"
	"net/mail"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	htmlcharset "golang.org/x/net/html/charset"
	"google.golang.org/api/gmail/v1"

	jarvis "github.com/jarvis-hq/jarvis"
	"github.com/jarvis-hq/jarvis/internal/mailsync"
)

// MessageFromGmail turns a message fetched with format=full into a domain
// message. It never fails and never panics: what cannot be decoded is kept
// as well as it can be (an address list that does not parse still yields its
// addresses or, failing that, its raw text as a Name; a body in an unknown
// charset is read as UTF-8 or windows-1252), and every string is valid UTF-8.
//
//   - Headers are decoded again for RFC 2047 encoded-words that Gmail left
//     as they were, in any charset golang.org/x/text knows.
//   - Date is the Date header in UTC, truncated to the second; when it is
//     missing or unreadable, the message's internalDate.
//   - Snippet is Gmail's snippet unescaped to plain text.
//   - Text is the first inline text/plain part, HTML the first inline
//     text/html part, both in UTF-8 with LF line ends, parts of attached
//     messages (message/rfc822) excluded. With no plain part, Text is
//     derived from the HTML.
//   - Attachments lists every part that has an attachmentId, inline cid:
//     images and the parts of attached messages included, in part order.
//   - References is the References header, or else In-Reply-To.
//   - Authentication is Gmail's own check of the sender, from the topmost
//     Authentication-Results header when its authserv-id is mx.google.com
//     (see authenticationFromGmail).
//
// To, Cc, Labels and Attachments are empty, not nil, when there are none.
func MessageFromGmail(m *gmail.Message) jarvis.Message {
	msg := jarvis.Message{
		To:             []jarvis.Address{},
		Cc:             []jarvis.Address{},
		Attachments:    []jarvis.Attachment{},
		Labels:         []string{},
		Authentication: noAuthentication(),
	}
	if m == nil {
		return msg
	}
	msg.ID = m.Id
	msg.ThreadID = m.ThreadId
	msg.Snippet = unescapeSnippet(m.Snippet)
	msg.Labels = append(msg.Labels, m.LabelIds...)
	msg.Date = messageDate(m)

	p := m.Payload
	if p == nil {
		return msg
	}
	msg.From = parseAddress(headerValue(p, "From"))
	msg.Authentication = authenticationFromGmail(p, msg.From.Email)
	msg.To = appendNonNil(msg.To, parseAddressList(headerValue(p, "To")))
	msg.Cc = appendNonNil(msg.Cc, parseAddressList(headerValue(p, "Cc")))
	if bcc := parseAddressList(headerValue(p, "Bcc")); len(bcc) > 0 {
		msg.Bcc = bcc
	}
	msg.Subject = headerText(p, "Subject")
	msg.MessageIDHeader = squeeze(headerValue(p, "Message-ID"))
	msg.References = squeeze(headerValue(p, "References"))
	if msg.References == "" {
		msg.References = squeeze(headerValue(p, "In-Reply-To"))
	}

	var w bodyWalker
	w.walk(p, false)
	msg.Attachments = appendNonNil(msg.Attachments, w.attachments)
	if w.html != nil {
		msg.HTML = partText(w.html, true)
	}
	if w.text != nil {
		msg.Text = partText(w.text, false)
	} else if msg.HTML != "" {
		msg.Text = htmlToText(msg.HTML)
	}
	return msg
}

func appendNonNil[T any](dst, src []T) []T { return append(dst, src...) }

// SummaryFromGmail turns a thread fetched with format=metadata (headers
// Subject, From and Date at least) into an inbox row. The subject is the
// first message's (or the first non-empty one, when a thread starts
// without), because a thread is named by how it started; From, Date and
// Snippet come from the latest message — the last one, Gmail lists them
// oldest first — because that is what is new in it; Unread is true if any
// message is labelled UNREAD; Labels is the sorted union of the messages'
// labels. Participants are the messages' senders in order of first
// appearance, once per address, those of messages labelled SENT marked Me.
// A thread with no messages keeps its id and snippet.
func SummaryFromGmail(t *gmail.Thread) jarvis.ThreadSummary {
	s := jarvis.ThreadSummary{Labels: []string{}, Participants: []jarvis.Participant{}}
	if t == nil {
		return s
	}
	s.ID = t.Id
	s.Snippet = unescapeSnippet(t.Snippet)
	msgs := nonNilMessages(t.Messages)
	s.MessageCount = len(msgs)
	if len(msgs) == 0 {
		return s
	}
	s.Subject = threadSubject(msgs)
	last := msgs[len(msgs)-1]
	if last.Payload != nil {
		s.From = parseAddress(headerValue(last.Payload, "From"))
	}
	s.Date = messageDate(last)
	if last.InternalDate != 0 {
		s.LastInternalDate = time.UnixMilli(last.InternalDate)
	}
	if snip := unescapeSnippet(last.Snippet); snip != "" {
		s.Snippet = snip
	}
	seen := map[string]bool{}
	for _, m := range msgs {
		if m.Payload != nil {
			from := parseAddress(headerValue(m.Payload, "From"))
			s.Participants = mailsync.AddParticipant(s.Participants, from, slices.Contains(m.LabelIds, "SENT"))
		}
		for _, l := range m.LabelIds {
			if l == "UNREAD" {
				s.Unread = true
			}
			if !seen[l] {
				seen[l] = true
				s.Labels = append(s.Labels, l)
			}
		}
	}
	slices.Sort(s.Labels)
	return s
}

// ThreadFromGmail turns a thread fetched with format=full into a domain
// thread: its messages in Gmail's order (oldest first), decoded by
// MessageFromGmail, and the subject of the first message (or the first
// non-empty one). Messages is empty, not nil, when there are none.
func ThreadFromGmail(t *gmail.Thread) jarvis.Thread {
	th := jarvis.Thread{Messages: []jarvis.Message{}}
	if t == nil {
		return th
	}
	th.ID = t.Id
	msgs := nonNilMessages(t.Messages)
	for _, m := range msgs {
		th.Messages = append(th.Messages, MessageFromGmail(m))
	}
	th.Subject = threadSubject(msgs)
	return th
}

func nonNilMessages(ms []*gmail.Message) []*gmail.Message {
	out := make([]*gmail.Message, 0, len(ms))
	for _, m := range ms {
		if m != nil {
			out = append(out, m)
		}
	}
	return out
}

func threadSubject(msgs []*gmail.Message) string {
	for _, m := range msgs {
		if m.Payload == nil {
			continue
		}
		if s := headerText(m.Payload, "Subject"); s != "" {
			return s
		}
	}
	return ""
}

// unescapeSnippet turns Gmail's HTML-escaped snippet into plain text.
func unescapeSnippet(s string) string {
	return strings.TrimSpace(oneLine(html.UnescapeString(s)))
}

// headerValue returns the first value of the named header of a part
// (names compare case-insensitively), or "".
func headerValue(p *gmail.MessagePart, name string) string {
	if p == nil {
		return ""
	}
	for _, h := range p.Headers {
		if h != nil && strings.EqualFold(strings.TrimSpace(h.Name), name) {
			return h.Value
		}
	}
	return ""
}

// headerText returns a header decoded for display: encoded-words decoded,
// control characters (a CR or LF smuggled in an encoded-word included)
// turned into spaces, valid UTF-8, trimmed.
func headerText(p *gmail.MessagePart, name string) string {
	return strings.TrimSpace(oneLine(decodeHeader(headerValue(p, name))))
}

// oneLine replaces control characters with spaces and makes s valid UTF-8.
func oneLine(s string) string {
	if !utf8.ValidString(s) {
		s = utf8OrFallback([]byte(s))
	}
	return strings.Map(func(r rune) rune {
		if r == 0 {
			return -1
		}
		if r < 0x20 || r == 0x7f || r == '\u0085' || r == '\u2028' || r == '\u2029' {
			return ' '
		}
		return r
	}, s)
}

// squeeze makes a header one line with single spaces between its words.
func squeeze(s string) string { return strings.Join(strings.Fields(oneLine(s)), " ") }

// messageDate is the Date header, or else internalDate; UTC, whole seconds.
// A Date header at or before 1970 is taken for a broken one when Gmail has
// a receipt time.
func messageDate(m *gmail.Message) time.Time {
	if t, ok := parseMailDate(headerValue(m.Payload, "Date")); ok && (t.Year() > 1970 || m.InternalDate <= 0) {
		return t.UTC().Truncate(time.Second)
	}
	if m.InternalDate > 0 {
		return time.UnixMilli(m.InternalDate).UTC().Truncate(time.Second)
	}
	return time.Time{}
}

// dateLayouts are the forms seen in real Date headers that net/mail does
// not read, tried after removing comments, the weekday and extra spaces.
var dateLayouts = []string{
	"2 Jan 2006 15:04:05 -0700",
	"2 Jan 2006 15:04:05 MST",
	"2 Jan 2006 15:04:05 -0700 MST",
	"2 Jan 2006 15:04:05 MST -0700",
	"2 Jan 2006 15:04 -0700",
	"2 Jan 2006 15:04 MST",
	"2 Jan 2006 15:04:05",
	"2 Jan 2006 15:04",
	"2 Jan 06 15:04:05 -0700",
	"2 Jan 06 15:04:05 MST",
	"2 January 2006 15:04:05 -0700",
	"2 January 2006 15:04:05 MST",
	"2-Jan-2006 15:04:05 -0700",
	"2-Jan-2006 15:04:05 MST",
	"Jan 2 15:04:05 2006",
	"Jan 2 15:04:05 MST 2006",
	"Jan 2 15:04:05 2006 -0700",
	"Jan 2 2006 15:04:05 -0700",
	"Jan 2, 2006 15:04:05 -0700",
	"Jan 2, 2006 3:04:05 PM -0700",
	"Jan 2, 2006 3:04 PM -0700",
	"Jan 2, 2006 3:04 PM",
	"January 2, 2006 3:04 PM",
	"January 2, 2006 15:04:05 -0700",
	"January 2, 2006 15:04:05 MST",
	time.RFC3339,
	"2006-01-02T15:04:05",
	"2006-01-02 15:04:05 -0700",
	"2006-01-02 15:04:05 MST",
	"2006-01-02 15:04:05Z07:00",
	"2006-01-02 15:04:05",
}

// parseMailDate reads a Date header in the many forms mail software writes.
func parseMailDate(v string) (time.Time, bool) {
	v = strings.TrimSpace(oneLine(v))
	if v == "" {
		return time.Time{}, false
	}
	if t, err := mail.ParseDate(v); err == nil {
		return t, true
	}
	c := cleanDate(v)
	if t, err := mail.ParseDate(c); err == nil {
		return t, true
	}
	for _, s := range []string{c, stripWeekday(c)} {
		for _, layout := range dateLayouts {
			if t, err := time.Parse(layout, s); err == nil {
				return t, true
			}
		}
	}
	return time.Time{}, false
}

// cleanDate removes comments, a trailing dot, doubled spaces and spaces
// before commas, and rewrites zone forms time.Parse does not read
// ("UT", "GMT+0100", "+01:00" after a time).
func cleanDate(v string) string {
	var b strings.Builder
	depth := 0
	for _, r := range v {
		switch {
		case r == '(':
			depth++
		case r == ')' && depth > 0:
			depth--
		case depth == 0:
			b.WriteRune(r)
		}
	}
	fields := strings.Fields(strings.ReplaceAll(b.String(), ",", ", "))
	for i, f := range fields {
		f = strings.TrimSuffix(f, ".")
		switch {
		case f == "UT" || f == "Z":
			f = "UTC"
		case len(f) == 8 && (strings.HasPrefix(f, "GMT+") || strings.HasPrefix(f, "GMT-") || strings.HasPrefix(f, "UTC+") || strings.HasPrefix(f, "UTC-")):
			f = f[3:]
		case len(f) == 6 && (f[0] == '+' || f[0] == '-') && f[3] == ':':
			f = f[:3] + f[4:]
		}
		fields[i] = f
	}
	s := strings.Join(fields, " ")
	s = strings.ReplaceAll(s, " ,", ",")
	return strings.TrimSuffix(s, ",")
}

// stripWeekday drops a leading day name ("Mon," "Monday" …).
func stripWeekday(s string) string {
	first, rest, ok := strings.Cut(s, " ")
	if !ok {
		return s
	}
	name := strings.ToLower(strings.TrimSuffix(first, ","))
	for _, d := range []string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"} {
		if strings.HasPrefix(name, d) && len(name) <= 9 {
			return rest
		}
	}
	return s
}

// addressParser decodes encoded-words in any charset.
var addressParser = &mail.AddressParser{WordDecoder: wordDecoder}

// parseAddress reads a single mailbox (a From header). A header holding a
// list yields its first address; one that does not parse at all yields
// what parseAddressList salvages.
func parseAddress(v string) jarvis.Address {
	v = strings.TrimSpace(oneLine(v))
	if v == "" {
		return jarvis.Address{}
	}
	if a, err := addressParser.Parse(v); err == nil {
		return fromMail(a)
	}
	if list := parseAddressList(v); len(list) > 0 {
		return list[0]
	}
	return jarvis.Address{Name: v}
}

// parseAddressList reads an address list (To, Cc). When net/mail rejects
// the whole, each comma-separated entry is read on its own, salvaging
// "Name <addr>" and bare addresses, and keeping any other text as a Name.
func parseAddressList(v string) []jarvis.Address {
	v = strings.TrimSpace(oneLine(v))
	if v == "" {
		return nil
	}
	if list, err := addressParser.ParseList(v); err == nil {
		out := make([]jarvis.Address, 0, len(list))
		for _, a := range list {
			out = append(out, fromMail(a))
		}
		return out
	}
	var out []jarvis.Address
	for _, entry := range splitAddressList(v) {
		if a, ok := salvageAddress(entry); ok {
			out = append(out, a)
		}
	}
	return out
}

func fromMail(a *mail.Address) jarvis.Address {
	return jarvis.Address{
		Name:  strings.TrimSpace(oneLine(decodeHeader(a.Name))),
		Email: oneLine(a.Address),
	}
}

// salvageAddress reads one entry of a list that net/mail rejected.
func salvageAddress(entry string) (jarvis.Address, bool) {
	entry = strings.TrimSpace(entry)
	// A group: "Team: a@x" … ";".
	if i := strings.IndexByte(entry, ':'); i > 0 && !strings.ContainsAny(entry[:i], `<@"`) {
		entry = strings.TrimSpace(entry[i+1:])
	}
	entry = strings.TrimSpace(strings.TrimSuffix(entry, ";"))
	if entry == "" {
		return jarvis.Address{}, false
	}
	if a, err := addressParser.Parse(entry); err == nil {
		return fromMail(a), true
	}
	if i := strings.LastIndexByte(entry, '<'); i >= 0 {
		if j := strings.IndexByte(entry[i:], '>'); j > 0 {
			email := strings.TrimSpace(entry[i+1 : i+j])
			name := strings.TrimSpace(entry[:i] + " " + entry[i+j+1:])
			name = strings.TrimSpace(strings.Trim(name, `"'<> `))
			return jarvis.Address{Name: decodeHeader(name), Email: email}, true
		}
	}
	if bare := strings.TrimSpace(stripComments(entry)); strings.Contains(bare, "@") && !strings.ContainsAny(bare, " \t<>\"") {
		return jarvis.Address{Email: bare}, true
	}
	return jarvis.Address{Name: decodeHeader(entry)}, true
}

// stripComments removes parenthesised comments outside quoted strings.
func stripComments(v string) string {
	var b strings.Builder
	depth := 0
	inQuote, escaped := false, false
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case escaped:
			escaped = false
		case c == '\\':
			escaped = true
		case inQuote:
			inQuote = c != '"'
		case c == '"' && depth == 0:
			inQuote = true
		case c == '(':
			depth++
			continue
		case c == ')' && depth > 0:
			depth--
			continue
		}
		if depth == 0 {
			b.WriteByte(c)
		}
	}
	return b.String()
}

// splitAddressList splits at commas that are outside quoted strings, angle
// brackets and comments.
func splitAddressList(v string) []string {
	var out []string
	start, depth := 0, 0
	inQuote, inAngle, escaped := false, false, false
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case escaped:
			escaped = false
		case c == '\\' && (inQuote || depth > 0):
			escaped = true
		case inQuote:
			inQuote = c != '"'
		case c == '"':
			inQuote = true
		case c == '(':
			depth++
		case c == ')' && depth > 0:
			depth--
		case depth > 0:
		case c == '<':
			inAngle = true
		case c == '>':
			inAngle = false
		case c == ',' && !inAngle:
			out = append(out, v[start:i])
			start = i + 1
		}
	}
	return append(out, v[start:])
}

// bodyWalker finds the body parts and the attachments of a payload.
type bodyWalker struct {
	text, html  *gmail.MessagePart
	attachments []jarvis.Attachment
}

// walk visits parts depth first, in order. The first inline text/plain and
// text/html leaves outside attached messages are the bodies; within
// multipart/alternative this picks the plain version for Text and the HTML
// version for HTML, whatever their order.
func (w *bodyWalker) walk(p *gmail.MessagePart, inAttachedMessage bool) {
	if p == nil {
		return
	}
	mt := partMimeType(p)
	if p.Body != nil && p.Body.AttachmentId != "" {
		w.attachments = append(w.attachments, jarvis.Attachment{
			ID:        p.Body.AttachmentId,
			Filename:  strings.TrimSpace(oneLine(decodeHeader(p.Filename))),
			MimeType:  mt,
			Size:      p.Body.Size,
			ContentID: contentID(headerValue(p, "Content-ID")),
		})
		return
	}
	if len(p.Parts) > 0 || strings.HasPrefix(mt, "multipart/") || mt == "message/rfc822" || mt == "message/global" {
		inner := inAttachedMessage || mt == "message/rfc822" || mt == "message/global"
		for _, c := range p.Parts {
			w.walk(c, inner)
		}
		return
	}
	if inAttachedMessage || isAttachment(p) {
		return
	}
	switch mt {
	case "text/plain":
		if w.text == nil {
			w.text = p
		}
	case "text/html":
		if w.html == nil {
			w.html = p
		}
	}
}

// partMimeType is the part's lower-cased media type; a missing one means
// text/plain.
func partMimeType(p *gmail.MessagePart) string {
	mt := strings.ToLower(strings.TrimSpace(p.MimeType))
	if mt == "" {
		if t, _, err := mime.ParseMediaType(headerValue(p, "Content-Type")); err == nil {
			mt = t
		}
	}
	if mt == "" {
		mt = "text/plain"
	}
	return mt
}

// isAttachment reports whether an inline leaf is meant as an attachment
// rather than as the message's text.
func isAttachment(p *gmail.MessagePart) bool {
	if p.Filename != "" {
		return true
	}
	d := strings.ToLower(strings.TrimSpace(headerValue(p, "Content-Disposition")))
	return strings.HasPrefix(d, "attachment")
}

// contentID strips the angle brackets from a Content-ID.
func contentID(v string) string {
	v = strings.TrimSpace(oneLine(v))
	v = strings.TrimPrefix(v, "<")
	v = strings.TrimSuffix(v, ">")
	return strings.TrimSpace(v)
}

// partText decodes a leaf's data to UTF-8 text with LF line ends. An HTML
// part without a declared charset that is not UTF-8 is read in the charset
// its <meta> declares.
func partText(p *gmail.MessagePart, isHTML bool) string {
	if p.Body == nil {
		return ""
	}
	b := decodeData(p.Body.Data)
	cs := partCharset(p)
	if isHTML && normalizeCharset(cs) == "" && !utf8.Valid(b) {
		if _, name, _ := htmlcharset.DetermineEncoding(b, "text/html"); name != "" {
			cs = name
		}
	}
	s := decodeCharset(b, cs)
	s = strings.ReplaceAll(s, "\r\n", "\n")
	return strings.ReplaceAll(s, "\r", "\n")
}

// partCharset returns the charset parameter of the part's Content-Type,
// read leniently when the header is malformed.
func partCharset(p *gmail.MessagePart) string {
	ct := headerValue(p, "Content-Type")
	if _, params, err := mime.ParseMediaType(ct); err == nil {
		return params["charset"]
	}
	lower := strings.ToLower(ct)
	i := strings.Index(lower, "charset=")
	if i < 0 {
		return ""
	}
	v := strings.TrimSpace(ct[i+len("charset="):])
	if strings.HasPrefix(v, `"`) {
		v = v[1:]
		if j := strings.IndexByte(v, '"'); j >= 0 {
			v = v[:j]
		}
		return v
	}
	if j := strings.IndexAny(v, "; \t"); j >= 0 {
		v = v[:j]
	}
	return v
}

// decodeData decodes a body's data: base64url as Gmail sends it, padded or
// not, and standard base64 too. Whitespace is ignored; a corrupt tail is
// dropped, keeping what decoded before it.
func decodeData(s string) []byte {
	if s == "" {
		return nil
	}
	s = strings.Map(func(r rune) rune {
		switch r {
		case ' ', '\t', '\r', '\n', '=':
			return -1
		case '+':
			return '-'
		case '/':
			return '_'
		}
		return r
	}, s)
	dst := make([]byte, base64.RawURLEncoding.DecodedLen(len(s)))
	n, err := base64.RawURLEncoding.Decode(dst, []byte(s))
	if err != nil {
		// Decode stops at the first bad quantum; keep whole bytes before it.
		if ce, ok := err.(base64.CorruptInputError); ok {
			n = int(ce) / 4 * 3
		}
	}
	return dst[:min(n, len(dst))]
}
