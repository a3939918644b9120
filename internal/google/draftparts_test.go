package google

import (
	"bytes"
	"encoding/base64"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"slices"
	"strings"
	"testing"

	"google.golang.org/api/gmail/v1"

	jarvis "github.com/jarvis-hq/jarvis"
)

// mimePart is one leaf of a parsed message.
type mimePart struct {
	header map[string][]string
	mt     string
	params map[string]string
	disp   string
	dparam map[string]string
	body   []byte // transfer encoding undone
}

// leaves parses a built message and returns its leaves in order, with
// the media type of the root.
func leaves(t *testing.T, raw []byte) (string, []mimePart) {
	t.Helper()
	m, _ := parseDraft(t, raw)
	mt, params, err := mime.ParseMediaType(m.Header.Get("Content-Type"))
	if err != nil {
		t.Fatal(err)
	}
	var out []mimePart
	var walk func(mt string, params map[string]string, h map[string][]string, body io.Reader)
	walk = func(mt string, params map[string]string, h map[string][]string, body io.Reader) {
		if strings.HasPrefix(mt, "multipart/") {
			mr := multipart.NewReader(body, params["boundary"])
			for {
				p, err := mr.NextRawPart()
				if err == io.EOF {
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				pmt, pparams, err := mime.ParseMediaType(p.Header.Get("Content-Type"))
				if err != nil {
					t.Fatalf("part Content-Type %q: %v", p.Header.Get("Content-Type"), err)
				}
				walk(pmt, pparams, p.Header, p)
			}
		}
		data, _ := io.ReadAll(body)
		lp := mimePart{header: h, mt: mt, params: params}
		switch strings.ToLower(get(h, "Content-Transfer-Encoding")) {
		case "base64":
			d, err := base64.StdEncoding.DecodeString(strings.NewReplacer("\r", "", "\n", "").Replace(string(data)))
			if err != nil {
				t.Fatalf("base64: %v", err)
			}
			data = d
		case "quoted-printable":
			data = []byte(decodeQP(t, bytes.NewReader(data)))
		}
		lp.body = data
		if cd := get(h, "Content-Disposition"); cd != "" {
			lp.disp, lp.dparam, _ = mime.ParseMediaType(cd)
		}
		out = append(out, lp)
	}
	walk(mt, params, m.Header, m.Body)
	return mt, out
}

func get(h map[string][]string, k string) string {
	for name, v := range h {
		if strings.EqualFold(name, k) && len(v) > 0 {
			return v[0]
		}
	}
	return ""
}

func TestBuildDraftAttachments(t *testing.T) {
	pdf := append([]byte("%PDF-1.7\n"), bytes.Repeat([]byte{0, 1, 2, 250}, 100)...)
	in := jarvis.DraftInput{To: []string{"grace@example.com"}, Subject: "Files", BodyText: "See attached.",
		Attachments: []jarvis.AttachmentData{
			{Filename: "Relatório de março 📎.pdf", MimeType: "application/pdf", Data: pdf},
			{Filename: `..\..\etc/notes "v2".txt`, MimeType: "text/plain; charset=utf-8", Data: []byte("plain notes\n")},
			{Filename: "", MimeType: "not a type", Data: []byte{}},
		}}
	raw := mustBuild(t, in, draftOpts())
	mt, parts := leaves(t, raw)
	if mt != "multipart/mixed" || len(parts) != 4 {
		t.Fatalf("root %s with %d leaves:\n%s", mt, len(parts), raw)
	}
	if parts[0].mt != "text/plain" || string(parts[0].body) != "See attached." || parts[0].disp != "" {
		t.Errorf("body part = %s %q", parts[0].mt, parts[0].body)
	}
	want := []struct {
		mt, name string
		data     []byte
	}{
		{"application/pdf", "Relatório de março 📎.pdf", pdf},
		{"text/plain", `notes "v2".txt`, []byte("plain notes\n")},
		{"application/octet-stream", "attachment", []byte{}},
	}
	for i, w := range want {
		p := parts[i+1]
		if p.mt != w.mt || p.disp != "attachment" || p.dparam["filename"] != w.name || p.params["name"] != w.name || !bytes.Equal(p.body, w.data) {
			t.Errorf("attachment %d = %s %s %q name=%q, %d bytes; want %s %q", i, p.mt, p.disp, p.dparam["filename"], p.params["name"], len(p.body), w.mt, w.name)
		}
	}
	// The non-ASCII filename is RFC 2231-encoded, not raw UTF-8 in the header.
	cd := get(parts[1].header, "Content-Disposition")
	if !strings.Contains(cd, "filename*=utf-8''") || !isPrintableASCII(cd) {
		t.Errorf("Content-Disposition = %q, want RFC 2231 filename*", cd)
	}
	for _, l := range strings.Split(string(raw), "\r\n") {
		if len(l) > maxLine {
			t.Fatalf("line of %d bytes", len(l))
		}
	}
}

func TestBuildDraftAttachmentsWithHTML(t *testing.T) {
	in := jarvis.DraftInput{To: []string{"grace@example.com"}, Subject: "Files", BodyHTML: "<p>See <b>attached</b>.</p>",
		Attachments: []jarvis.AttachmentData{{Filename: "a.bin", MimeType: "application/octet-stream", Data: []byte{1, 2, 3}}}}
	mt, parts := leaves(t, mustBuild(t, in, draftOpts()))
	if mt != "multipart/mixed" || len(parts) != 3 || parts[0].mt != "text/plain" || parts[1].mt != "text/html" || parts[2].dparam["filename"] != "a.bin" {
		t.Fatalf("structure: %s %+v", mt, parts)
	}
	if !strings.Contains(string(parts[0].body), "See attached.") {
		t.Errorf("plain part %q", parts[0].body)
	}
}

func TestBuildDraftForward(t *testing.T) {
	orig := &jarvis.Message{
		From: jarvis.Address{Name: "Mary Somerville", Email: "mary@example.org"},
		To:   []jarvis.Address{{Name: "Ada", Email: "ada@example.com"}}, Cc: []jarvis.Address{{Email: "charles@example.com"}},
		Subject: "Q3 plan", Date: draftNow.Add(-24 * 3600e9), Text: "The plan is <ready>.\n",
		HTML: "<html><head><title>x</title></head><body><p>The plan is &lt;ready&gt;.</p></body></html>",
	}
	opts := draftOpts()
	opts.Forward = orig
	opts.Attachments = []jarvis.AttachmentData{{Filename: "plan.xlsx", MimeType: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", Data: []byte("PK\x03\x04sheet"), ContentID: "img1@example.org"}}
	raw := mustBuild(t, jarvis.DraftInput{To: []string{"grace@example.com"}, BodyText: "FYI, Grace."}, opts)
	m, _ := parseDraft(t, raw)
	if got := m.Header.Get("Subject"); got != "Fwd: Q3 plan" {
		t.Errorf("Subject = %q", got)
	}
	if m.Header.Get("In-Reply-To") != "" || m.Header.Get("References") != "" {
		t.Error("a forward carries threading headers")
	}
	_, parts := leaves(t, raw)
	if len(parts) != 3 || parts[0].mt != "text/plain" || parts[1].mt != "text/html" {
		t.Fatalf("parts: %+v", parts)
	}
	text := strings.ReplaceAll(string(parts[0].body), "\r\n", "\n")
	for _, want := range []string{"FYI, Grace.\n", "---------- Forwarded message ---------", "From: Mary Somerville <mary@example.org>",
		"Subject: Q3 plan", "To: Ada <ada@example.com>", "Cc: charles@example.com", "The plan is <ready>."} {
		if !strings.Contains(text, want) {
			t.Errorf("text lacks %q:\n%s", want, text)
		}
	}
	html := string(parts[1].body)
	if !strings.Contains(html, "<p>The plan is &lt;ready&gt;.</p>") || strings.Contains(html, "<html>") || !strings.Contains(html, "Mary Somerville &lt;mary@example.org&gt;") || !strings.HasPrefix(html, "<div>FYI, Grace.</div>") {
		t.Errorf("html:\n%s", html)
	}
	if a := parts[2]; a.dparam["filename"] != "plan.xlsx" || string(a.body) != "PK\x03\x04sheet" || get(a.header, "Content-ID") != "<img1@example.org>" {
		t.Errorf("forwarded attachment = %+v", a)
	}

	// A subject already marked stays as it is; one given is prefixed.
	for subject, want := range map[string]string{"FW: Q3 plan": "FW: Q3 plan", "Numbers": "Fwd: Numbers"} {
		m, _ := parseDraft(t, mustBuild(t, jarvis.DraftInput{To: []string{"grace@example.com"}, Subject: subject}, opts))
		if got := m.Header.Get("Subject"); got != want {
			t.Errorf("subject %q → %q, want %q", subject, got, want)
		}
	}
	// A forward into a thread is threaded and keeps Fwd:.
	opts.ReplyTo = &jarvis.Message{Subject: "Q3 plan", MessageIDHeader: "<q3@example.org>"}
	m, _ = parseDraft(t, mustBuild(t, jarvis.DraftInput{To: []string{"grace@example.com"}}, opts))
	if m.Header.Get("Subject") != "Fwd: Q3 plan" || m.Header.Get("In-Reply-To") != "<q3@example.org>" {
		t.Errorf("forward in thread: %v", m.Header)
	}
}

func TestSafeFilename(t *testing.T) {
	long := strings.Repeat("é", 200) + ".pdf"
	for in, want := range map[string]string{
		"report.pdf":           "report.pdf",
		"/etc/passwd":          "passwd",
		`C:\Users\ada\cv.docx`: "cv.docx",
		"a\r\nb\x00.txt":       "ab.txt",
		"evil\u202egpj.exe":    "evilgpj.exe",
		"  ":                   "attachment",
		"..":                   "attachment",
		long:                   strings.Repeat("é", 125) + ".pdf",
	} {
		if got := safeFilename(in); got != want {
			t.Errorf("safeFilename(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestCheckCompose(t *testing.T) {
	big := make([]byte, MaxDraftAttachmentBytes/2+1)
	for _, tc := range []struct {
		in    jarvis.DraftInput
		code  string
		field string
	}{
		{jarvis.DraftInput{ReplyAll: true}, jarvis.EINVALID, "reply_all"},
		{jarvis.DraftInput{ReplyAll: true, ReplyToThreadID: "abc", ForwardMessageID: "def"}, jarvis.EINVALID, "reply_all"},
		{jarvis.DraftInput{ForwardMessageID: "xyz"}, jarvis.EINVALID, "forward_message_id"},
		{jarvis.DraftInput{RemoveAttachmentIDs: []string{"p2"}}, jarvis.EINVALID, "remove_attachment_ids"},
		{jarvis.DraftInput{ForwardMessageID: "abc", RemoveAttachmentIDs: []string{"2"}}, jarvis.EINVALID, "remove_attachment_ids"},
		{jarvis.DraftInput{Attachments: []jarvis.AttachmentData{{Data: big}, {Data: big}}}, jarvis.ETOOLARGE, "attachments"},
	} {
		err := checkCompose(tc.in)
		var je *jarvis.Error
		if !errors.As(err, &je) || je.Code != tc.code || je.Field != tc.field {
			t.Errorf("checkCompose(%+v) = %v, want %s on %s", tc.in.ReplyAll, err, tc.code, tc.field)
		}
	}
	if err := checkCompose(jarvis.DraftInput{ReplyAll: true, ReplyToThreadID: "abc"}); err != nil {
		t.Error(err)
	}
}

func TestReplyAllRecipients(t *testing.T) {
	inbox, sent, draft := []string{"INBOX"}, []string{"SENT"}, []string{"DRAFT"}
	own := []string{"ada@example.com", "ada@work.example"}
	for _, tc := range []struct {
		name   string
		msgs   []*gmail.Message
		to, cc []string
	}{
		{"Reply-To replaces From, To and Cc kept, own and duplicates removed", []*gmail.Message{
			msg(inbox, "From", "Mary <mary@example.org>", "Reply-To", "Events <events@example.org>",
				"To", "Ada <ADA@example.com>, grace@example.com, Events@Example.org", "Cc", "charles@example.com, Ada Work <ada@WORK.example>, GRACE@example.com")},
			[]string{"events@example.org", "grace@example.com"}, []string{"charles@example.com"}},
		{"no Reply-To: From", []*gmail.Message{
			msg(inbox, "From", "mary@example.org", "To", "ada@example.com, grace@example.com")},
			[]string{"mary@example.org", "grace@example.com"}, nil},
		{"the user's own latest: her To and Cc", []*gmail.Message{
			msg(inbox, "From", "mary@example.org", "To", "ada@example.com"),
			msg(sent, "From", "ada@work.example", "To", "mary@example.org", "Cc", "grace@example.com")},
			[]string{"mary@example.org"}, []string{"grace@example.com"}},
		{"only Cc left becomes To", []*gmail.Message{
			msg(inbox, "From", "list@example.org", "Reply-To", "ada@example.com", "To", "ada@work.example", "Cc", "grace@example.com")},
			[]string{"grace@example.com"}, nil},
		{"no one left: the reply rule", []*gmail.Message{
			msg(inbox, "From", "mary@example.org", "To", "ada@example.com"),
			msg(sent, "From", "ada@example.com", "To", "ada@work.example")},
			[]string{"mary@example.org"}, nil},
		{"a draft is not answered", []*gmail.Message{
			msg(inbox, "From", "mary@example.org", "To", "ada@example.com"),
			msg(draft, "From", "ada@example.com", "To", "x@example.net")},
			[]string{"mary@example.org"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			to, cc := replyAllRecipients(tc.msgs, own...)
			if !slices.Equal(to, tc.to) || !slices.Equal(cc, tc.cc) {
				t.Errorf("replyAllRecipients = %q / %q, want %q / %q", to, cc, tc.to, tc.cc)
			}
		})
	}
}
