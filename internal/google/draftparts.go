package google

import (
	"encoding/base64"
	"html"
	"mime"
	"mime/multipart"
	"net/textproto"
	"path"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jarvis-hq/jarvis"
)

// maxFilenameBytes caps an attachment's filename.
const maxFilenameBytes = 255

// checkCompose checks the fields that make a draft a reply-all, a forward
// or a message with attachments: reply_all needs reply_to_thread_id and is
// not a forward; forward_message_id is a Gmail id; remove_attachment_ids go
// with a forward, each an attachment id; at most MaxDraftAttachments
// attachments of at most MaxDraftAttachmentBytes together (ETOOLARGE,
// field attachments).
func checkCompose(in jarvis.DraftInput) error {
	if in.ReplyAll && in.ReplyToThreadID == "" {
		return jarvis.Invalid("reply_all", "reply_all needs reply_to_thread_id, the thread to answer.")
	}
	if in.ReplyAll && in.ForwardMessageID != "" {
		return jarvis.Invalid("reply_all", "A forward goes to the recipients given in to, cc and bcc; it cannot be a reply_all.")
	}
	if in.ForwardMessageID != "" && !jarvis.IsGmailID(in.ForwardMessageID) {
		return jarvis.Invalid("forward_message_id", "forward_message_id is not a Gmail message id (hexadecimal digits, as Jarvis listed it).")
	}
	if len(in.RemoveAttachmentIDs) > 0 && in.ForwardMessageID == "" {
		return jarvis.Invalid("remove_attachment_ids", "remove_attachment_ids names attachments of the forwarded message: it needs forward_message_id.")
	}
	if len(in.RemoveAttachmentIDs) > MaxDraftAttachments {
		return jarvis.Invalid("remove_attachment_ids", "At most %d attachment ids.", MaxDraftAttachments)
	}
	for _, id := range in.RemoveAttachmentIDs {
		if _, ok := partIDFromAttachmentID(id); !ok {
			return jarvis.Invalid("remove_attachment_ids", "%s is not an attachment id (such as p2 or p1_3, as Jarvis listed it).", quoteShort(id))
		}
	}
	if len(in.Attachments) > MaxDraftAttachments {
		return jarvis.Invalid("attachments", "At most %d attachments.", MaxDraftAttachments)
	}
	if n := attachmentBytes(in.Attachments); n > MaxDraftAttachmentBytes {
		return tooLarge("attachments", "The attachments are %.1f MB together; at most %d MB.", float64(n)/(1<<20), MaxDraftAttachmentBytes>>20)
	}
	return nil
}

func hasForwardPrefix(s string) bool {
	s = strings.ToLower(strings.TrimSpace(s))
	return strings.HasPrefix(s, "fwd:") || strings.HasPrefix(s, "fw:")
}

// forwardBodies appends the forwarded message to the caller's text and
// HTML, as Gmail's Forward does: a separator line, the original's From,
// Date, Subject, To and Cc, then its body. The HTML version is made when
// the caller or the original has HTML (the caller's text, escaped, stands
// for missing HTML; so does the original's).
func forwardBodies(text, htmlBody string, f *jarvis.Message) (string, string) {
	type field struct{ name, value string }
	fields := []field{
		{"From", formatForwardAddresses([]jarvis.Address{f.From})},
		{"Date", forwardDate(f.Date)},
		{"Subject", oneLine(f.Subject)},
		{"To", formatForwardAddresses(f.To)},
		{"Cc", formatForwardAddresses(f.Cc)},
	}
	var t strings.Builder
	t.WriteString(text)
	if text != "" && !strings.HasSuffix(text, "\n") {
		t.WriteString("\n")
	}
	t.WriteString("\n---------- Forwarded message ---------\n")
	for _, fl := range fields {
		if fl.value != "" {
			t.WriteString(fl.name + ": " + fl.value + "\n")
		}
	}
	t.WriteString("\n")
	t.WriteString(normalizeNewlines(f.Text))
	if htmlBody == "" && f.HTML == "" {
		return t.String(), ""
	}
	var h strings.Builder
	if htmlBody != "" {
		h.WriteString(htmlBody)
	} else {
		h.WriteString(textToHTML(text))
	}
	h.WriteString("<br><br><div class=\"gmail_quote\"><div dir=\"ltr\" class=\"gmail_attr\">---------- Forwarded message ---------<br>")
	for _, fl := range fields {
		if fl.value != "" {
			h.WriteString(fl.name + ": " + html.EscapeString(fl.value) + "<br>")
		}
	}
	h.WriteString("</div><br>")
	if f.HTML != "" {
		h.WriteString(htmlBodyContent(normalizeNewlines(f.HTML)))
	} else {
		h.WriteString(textToHTML(normalizeNewlines(f.Text)))
	}
	h.WriteString("</div>")
	return t.String(), h.String()
}

func formatForwardAddresses(list []jarvis.Address) string {
	parts := make([]string, 0, len(list))
	for _, a := range list {
		switch {
		case a.Email == "":
		case a.Name != "":
			parts = append(parts, oneLine(a.Name)+" <"+a.Email+">")
		default:
			parts = append(parts, a.Email)
		}
	}
	return strings.Join(parts, ", ")
}

func forwardDate(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format("Mon, 2 Jan 2006 at 15:04 MST")
}

// textToHTML escapes plain text and keeps its line breaks.
func textToHTML(s string) string {
	if s == "" {
		return ""
	}
	return "<div>" + strings.ReplaceAll(html.EscapeString(s), "\n", "<br>") + "</div>"
}

// htmlBodyContent returns what is inside a document's <body>, or the whole
// text when it has none, so that a quoted document does not nest <html>.
func htmlBodyContent(s string) string {
	lower := strings.ToLower(s)
	i := strings.Index(lower, "<body")
	if i < 0 {
		return s
	}
	j := strings.IndexByte(lower[i:], '>')
	if j < 0 {
		return s
	}
	start := i + j + 1
	end := strings.LastIndex(lower, "</body")
	if end < start {
		end = len(s)
	}
	return s[start:end]
}

// safeFilename makes an attachment's filename safe to send: the last
// element of any path, without control or bidirectional characters,
// trimmed, at most maxFilenameBytes (cut at a rune, the extension kept
// when it can be); "attachment" when nothing is left.
func safeFilename(name string) string {
	if !utf8.ValidString(name) {
		name = strings.ToValidUTF8(name, "_")
	}
	name = strings.Map(func(r rune) rune {
		if isControl(r) || isBidiControl(r) || r == '\t' {
			return -1
		}
		return r
	}, name)
	name = path.Base(strings.ReplaceAll(name, "\\", "/"))
	name = strings.TrimSpace(name)
	if name == "." || name == "/" || name == ".." {
		name = ""
	}
	if len(name) > maxFilenameBytes {
		ext := path.Ext(name)
		if len(ext) > 20 {
			ext = ""
		}
		stem := name[:len(name)-len(ext)]
		n := maxFilenameBytes - len(ext)
		for n > 0 && !utf8.RuneStart(stem[n]) {
			n--
		}
		name = stem[:n] + ext
	}
	if name == "" {
		return "attachment"
	}
	return name
}

// writeAttachment writes one attachment part: its media type with the
// name parameter, Content-Disposition attachment with the filename (both
// RFC 2231-encoded by mime.FormatMediaType when not ASCII), its
// Content-ID when it has one, and its content in base64, 76 characters a
// line.
func writeAttachment(mw *multipart.Writer, a jarvis.AttachmentData) error {
	name := safeFilename(a.Filename)
	mt, params, err := mime.ParseMediaType(a.MimeType)
	if err != nil || !strings.Contains(mt, "/") || strings.HasPrefix(mt, "multipart/") {
		mt, params = "application/octet-stream", nil
	}
	ctParams := map[string]string{"name": name}
	if cs := params["charset"]; cs != "" && strings.HasPrefix(mt, "text/") {
		ctParams["charset"] = cs
	}
	ctype := mime.FormatMediaType(mt, ctParams)
	disp := mime.FormatMediaType("attachment", map[string]string{"filename": name})
	if ctype == "" || disp == "" {
		// FormatMediaType refuses what it cannot encode; the name is
		// already clean, so this is only a fallback.
		ctype = mime.FormatMediaType(mt, map[string]string{"name": "attachment"})
		disp = `attachment; filename="attachment"`
	}
	h := textproto.MIMEHeader{
		"Content-Type":              {ctype},
		"Content-Disposition":       {disp},
		"Content-Transfer-Encoding": {"base64"},
	}
	if ids := msgIDs(a.ContentID); len(ids) == 1 {
		h.Set("Content-ID", ids[0])
	}
	pw, err := mw.CreatePart(h)
	if err != nil {
		return err
	}
	enc := base64.StdEncoding.EncodeToString(a.Data)
	for len(enc) > 76 {
		if _, err := pw.Write([]byte(enc[:76] + "\r\n")); err != nil {
			return err
		}
		enc = enc[76:]
	}
	_, err = pw.Write([]byte(enc + "\r\n"))
	return err
}
