package google

import (
	"bytes"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"slices"
	"strings"
	"testing"
	"time"

	jarvis "github.com/jarvis-hq/jarvis"
)

var draftNow = time.Date(2026, 11, 26, 9, 30, 0, 0, time.UTC)

func draftOpts() DraftOptions {
	return DraftOptions{
		From:            jarvis.Address{Name: "Ada Lovelace", Email: "ada@example.com"},
		Now:             draftNow,
		MessageIDDomain: "jarvis.example.com",
	}
}

// parseDraft parses a built draft back, checks its line ends and that every
// header appears once, and returns it with its header names, sorted.
func parseDraft(t testing.TB, raw []byte) (*mail.Message, []string) {
	t.Helper()
	if i := bytes.Index(bytes.ReplaceAll(raw, []byte("\r\n"), nil), []byte("\n")); i >= 0 {
		t.Fatalf("bare LF in draft:\n%s", raw)
	}
	if bytes.ContainsRune(raw, '\r') && bytes.Contains(bytes.ReplaceAll(raw, []byte("\r\n"), nil), []byte("\r")) {
		t.Fatalf("bare CR in draft:\n%s", raw)
	}
	head, _, _ := bytes.Cut(raw, []byte("\r\n\r\n"))
	for _, l := range bytes.Split(head, []byte("\r\n")) {
		if len(l) > maxLine {
			t.Fatalf("header line of %d bytes", len(l))
		}
	}
	m, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("draft does not parse: %v\n%s", err, raw)
	}
	var keys []string
	for k, v := range m.Header {
		if len(v) != 1 {
			t.Errorf("header %s appears %d times", k, len(v))
		}
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return m, keys
}

func mustBuild(t testing.TB, in jarvis.DraftInput, opts DraftOptions) []byte {
	t.Helper()
	raw, err := BuildDraft(in, opts)
	if err != nil {
		t.Fatalf("BuildDraft: %v", err)
	}
	return raw
}

func decodeQP(t testing.TB, r io.Reader) string {
	t.Helper()
	b, err := io.ReadAll(quotedprintable.NewReader(r))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestBuildDraftPlain(t *testing.T) {
	opts := draftOpts()
	opts.Rand = bytes.NewReader(bytes.Repeat([]byte{0xab}, 32))
	raw := mustBuild(t, jarvis.DraftInput{
		To:       []string{"Bob <bob@example.com>", "carol@example.com"},
		Bcc:      []string{"audit@example.com"},
		Subject:  "  Quarterly plan  ",
		BodyText: "Hi Bob,\n\nA line that is long enough to need a soft break in quoted-printable encoding, surely = yes.\r\nBye\n",
	}, opts)
	m, keys := parseDraft(t, raw)
	want := []string{"Bcc", "Content-Transfer-Encoding", "Content-Type", "Date", "From", "Message-Id", "Mime-Version", "Subject", "To"}
	if !slices.Equal(keys, want) {
		t.Errorf("headers %v, want %v", keys, want)
	}
	h := m.Header
	if got := h.Get("From"); got != `"Ada Lovelace" <ada@example.com>` {
		t.Errorf("From = %q", got)
	}
	to, err := h.AddressList("To")
	if err != nil || len(to) != 2 || to[0].Name != "Bob" || to[1].Address != "carol@example.com" {
		t.Errorf("To = %v, %v", to, err)
	}
	if h.Get("Subject") != "Quarterly plan" {
		t.Errorf("Subject = %q", h.Get("Subject"))
	}
	if d, err := h.Date(); err != nil || !d.Equal(draftNow) {
		t.Errorf("Date = %v, %v", d, err)
	}
	if got := h.Get("Message-Id"); got != "<abababababababababababababababab@jarvis.example.com>" {
		t.Errorf("Message-ID = %q", got)
	}
	if h.Get("Content-Type") != "text/plain; charset=UTF-8" || h.Get("Content-Transfer-Encoding") != "quoted-printable" {
		t.Errorf("content headers %q %q", h.Get("Content-Type"), h.Get("Content-Transfer-Encoding"))
	}
	body := decodeQP(t, m.Body)
	if want := "Hi Bob,\r\n\r\nA line that is long enough to need a soft break in quoted-printable encoding, surely = yes.\r\nBye\r\n"; body != want {
		t.Errorf("body %q, want %q", body, want)
	}
}

func TestBuildDraftEncoding(t *testing.T) {
	raw := mustBuild(t, jarvis.DraftInput{
		To:       []string{"Jürgen Müller <j@example.de>", `"Doe, \"JD\" John" <jd@example.com>`, "=?utf-8?q?Encoded_Name?= <e@example.com>", `"=?utf-8?q?Looks_encoded?=" <l@example.com>`},
		Cc:       []string{"日本 太郎 <taro@example.jp>"},
		Subject:  "Grüße aus Köln — " + strings.Repeat("lange Zeile ", 10),
		BodyText: "Grüße ✓",
	}, draftOpts())
	m, keys := parseDraft(t, raw)
	if want := []string{"Cc", "Content-Transfer-Encoding", "Content-Type", "Date", "From", "Message-Id", "Mime-Version", "Subject", "To"}; !slices.Equal(keys, want) {
		t.Errorf("headers %v", keys)
	}
	subj, err := wordDecoder.DecodeHeader(m.Header.Get("Subject"))
	if want := "Grüße aus Köln — " + strings.TrimSpace(strings.Repeat("lange Zeile ", 10)); err != nil || subj != want {
		t.Errorf("Subject decodes to %q, %v", subj, err)
	}
	if head, _, _ := strings.Cut(string(raw), "\r\n\r\n"); !isPrintableASCII(strings.ReplaceAll(head, "\r\n", "")) {
		t.Errorf("headers are not ASCII")
	}
	p := mail.AddressParser{WordDecoder: wordDecoder}
	to, err := p.ParseList(m.Header.Get("To"))
	if err != nil || len(to) != 4 {
		t.Fatalf("To = %v, %v", to, err)
	}
	wantNames := []string{"Jürgen Müller", `Doe, "JD" John`, "Encoded Name", "=?utf-8?q?Looks_encoded?="}
	for i, a := range to {
		if a.Name != wantNames[i] {
			t.Errorf("To[%d].Name = %q, want %q", i, a.Name, wantNames[i])
		}
	}
	cc, err := p.ParseList(m.Header.Get("Cc"))
	if err != nil || len(cc) != 1 || cc[0].Name != "日本 太郎" {
		t.Errorf("Cc = %v, %v", cc, err)
	}
	if body := decodeQP(t, m.Body); body != "Grüße ✓" {
		t.Errorf("body %q", body)
	}
}

func TestBuildDraftLiteralEncodedWordSubject(t *testing.T) {
	for _, subject := range []string{"=?utf-8?q?hello?=", "see =?x?= here", "Bcc: evil@example.com", "To: a@b.c, d@e.f"} {
		raw := mustBuild(t, jarvis.DraftInput{To: []string{"a@example.com"}, Subject: subject}, draftOpts())
		m, keys := parseDraft(t, raw)
		if len(keys) != 8 {
			t.Errorf("subject %q: headers %v", subject, keys)
		}
		got, _ := wordDecoder.DecodeHeader(m.Header.Get("Subject"))
		if got != subject {
			t.Errorf("subject %q reads back as %q", subject, got)
		}
	}
}

func TestBuildDraftHTML(t *testing.T) {
	for _, tc := range []struct{ text, html, wantText string }{
		{"Plain version", "<p>HTML <b>version</b></p>", "Plain version"},
		{"", "<p>Only <a href=\"https://example.com/x\">HTML</a></p><ul><li>item</li></ul>", "Only HTML (https://example.com/x)\r\n\r\n- item"},
	} {
		raw := mustBuild(t, jarvis.DraftInput{To: []string{"a@example.com"}, Subject: "s", BodyText: tc.text, BodyHTML: tc.html}, draftOpts())
		m, keys := parseDraft(t, raw)
		if want := []string{"Content-Type", "Date", "From", "Message-Id", "Mime-Version", "Subject", "To"}; !slices.Equal(keys, want) {
			t.Errorf("headers %v", keys)
		}
		mt, params, err := mime.ParseMediaType(m.Header.Get("Content-Type"))
		if err != nil || mt != "multipart/alternative" || params["boundary"] == "" {
			t.Fatalf("Content-Type %q", m.Header.Get("Content-Type"))
		}
		mr := multipart.NewReader(m.Body, params["boundary"])
		var got []string
		for {
			p, err := mr.NextRawPart()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			if p.Header.Get("Content-Transfer-Encoding") != "quoted-printable" {
				t.Errorf("part CTE %q", p.Header.Get("Content-Transfer-Encoding"))
			}
			got = append(got, p.Header.Get("Content-Type")+"|"+decodeQP(t, p))
		}
		want := []string{"text/plain; charset=UTF-8|" + tc.wantText, "text/html; charset=UTF-8|" + tc.html}
		if !slices.Equal(got, want) {
			t.Errorf("parts %q, want %q", got, want)
		}
	}
}

func TestBuildDraftReply(t *testing.T) {
	parent := &jarvis.Message{
		Subject:         "Quarterly plan",
		MessageIDHeader: "<parent@mail.example.com>",
		References:      "<root@mail.example.com> <mid@mail.example.com> junk <bad id@x>",
	}
	for _, tc := range []struct{ in, parentSubject, want string }{
		{"", "Quarterly plan", "Re: Quarterly plan"},
		{"", "Re: Quarterly plan", "Re: Quarterly plan"},
		{"", "AW: Angebot", "AW: Angebot"},
		{"", "", "Re:"},
		{"New topic", "Quarterly plan", "Re: New topic"},
		{"RE: shouting", "x", "RE: shouting"},
		{"re: quiet", "x", "re: quiet"},
		{"Aw: Antwort", "x", "Aw: Antwort"},
		{"", "Bad\r\nBcc: evil@example.com", "Re: Bad  Bcc: evil@example.com"},
	} {
		p := *parent
		p.Subject = tc.parentSubject
		opts := draftOpts()
		opts.ReplyTo = &p
		raw := mustBuild(t, jarvis.DraftInput{To: []string{"bob@example.com"}, Subject: tc.in, BodyText: "ok"}, opts)
		m, keys := parseDraft(t, raw)
		if want := []string{"Content-Transfer-Encoding", "Content-Type", "Date", "From", "In-Reply-To", "Message-Id", "Mime-Version", "References", "Subject", "To"}; !slices.Equal(keys, want) {
			t.Errorf("headers %v", keys)
		}
		if got := m.Header.Get("Subject"); got != tc.want {
			t.Errorf("subject %q / parent %q: got %q, want %q", tc.in, tc.parentSubject, got, tc.want)
		}
		if got := m.Header.Get("In-Reply-To"); got != "<parent@mail.example.com>" {
			t.Errorf("In-Reply-To = %q", got)
		}
		if got := m.Header.Get("References"); got != "<root@mail.example.com> <mid@mail.example.com> <parent@mail.example.com>" {
			t.Errorf("References = %q", got)
		}
	}

	// A long thread: References is folded and capped, keeping the root.
	var refs []string
	for i := range 40 {
		refs = append(refs, "<id"+strings.Repeat("x", 30)+string(rune('a'+i%26))+string(rune('a'+i/26))+"@example.com>")
	}
	opts := draftOpts()
	opts.ReplyTo = &jarvis.Message{Subject: "s", MessageIDHeader: "parent@example.com", References: strings.Join(refs, "\r\n ")}
	raw := mustBuild(t, jarvis.DraftInput{To: []string{"bob@example.com"}}, opts)
	m, _ := parseDraft(t, raw)
	got := strings.Fields(m.Header.Get("References"))
	if len(got) != maxReferences || got[0] != refs[0] || got[len(got)-1] != "<parent@example.com>" || got[len(got)-2] != refs[39] {
		t.Errorf("References = %v", got)
	}
	if !bytes.Contains(raw, []byte("\r\n <id")) {
		t.Errorf("References not folded")
	}
}

func TestBuildDraftRejects(t *testing.T) {
	ok := []string{"a@example.com"}
	many := make([]string, 101)
	for i := range many {
		many[i] = "r@example.com"
	}
	big := strings.Repeat("x", MaxDraftBodyBytes/2+1)
	for _, tc := range []struct {
		name        string
		in          jarvis.DraftInput
		code, field string
	}{
		{"no recipient", jarvis.DraftInput{Subject: "s"}, jarvis.EINVALID, "to"},
		{"too many recipients", jarvis.DraftInput{To: many[:50], Cc: many[:50], Bcc: many[:1]}, jarvis.EINVALID, "to"},
		{"empty entry", jarvis.DraftInput{To: []string{" "}}, jarvis.EINVALID, "to"},
		{"not an address", jarvis.DraftInput{To: []string{"not an address"}}, jarvis.EINVALID, "to"},
		{"two in one entry", jarvis.DraftInput{To: []string{"a@example.com, b@example.com"}}, jarvis.EINVALID, "to"},
		{"CRLF in to", jarvis.DraftInput{To: []string{"a@example.com\r\nBcc: evil@example.com"}}, jarvis.EINVALID, "to"},
		{"LF in to", jarvis.DraftInput{To: []string{"a@example.com\nBcc: evil@example.com"}}, jarvis.EINVALID, "to"},
		{"CR in name", jarvis.DraftInput{To: []string{"\"A\rB\" <a@example.com>"}}, jarvis.EINVALID, "to"},
		{"percent CRLF in to", jarvis.DraftInput{To: []string{"a@example.com%0d%0aBcc:evil@example.com"}}, jarvis.EINVALID, "to"},
		{"percent LF in cc", jarvis.DraftInput{To: ok, Cc: []string{"x%0Ay@example.com"}}, jarvis.EINVALID, "cc"},
		{"encoded-word CRLF in name", jarvis.DraftInput{To: []string{"=?utf-8?q?a=0D=0ABcc:_evil@example.com?= <a@example.com>"}}, jarvis.EINVALID, "to"},
		{"quoted encoded-word CRLF", jarvis.DraftInput{To: []string{`"=?utf-8?q?a=0D=0AX:_y?=" <a@example.com>`}}, jarvis.EINVALID, "to"},
		{"base64 encoded-word LF in bcc", jarvis.DraftInput{To: ok, Bcc: []string{"=?utf-8?b?YQpi?= <b@example.com>"}}, jarvis.EINVALID, "bcc"},
		{"NUL in cc", jarvis.DraftInput{To: ok, Cc: []string{"a@example.com\x00"}}, jarvis.EINVALID, "cc"},
		{"percent NUL in bcc", jarvis.DraftInput{To: ok, Bcc: []string{"a%00@example.com"}}, jarvis.EINVALID, "bcc"},
		{"control in to", jarvis.DraftInput{To: []string{"\"A\x1bB\" <a@example.com>"}}, jarvis.EINVALID, "to"},
		{"invalid UTF-8 in to", jarvis.DraftInput{To: []string{"\"\xff\" <a@example.com>"}}, jarvis.EINVALID, "to"},
		{"long entry", jarvis.DraftInput{To: []string{strings.Repeat("a", 600) + "@example.com"}}, jarvis.EINVALID, "to"},
		{"CRLF in subject", jarvis.DraftInput{To: ok, Subject: "Hi\r\nBcc: evil@example.com"}, jarvis.EINVALID, "subject"},
		{"LF in subject", jarvis.DraftInput{To: ok, Subject: "Hi\nX: y"}, jarvis.EINVALID, "subject"},
		{"percent CRLF in subject", jarvis.DraftInput{To: ok, Subject: "Hi%0D%0ABcc: evil"}, jarvis.EINVALID, "subject"},
		{"encoded-word CRLF in subject", jarvis.DraftInput{To: ok, Subject: "=?utf-8?q?Hi=0D=0ABcc:_evil@example.com?="}, jarvis.EINVALID, "subject"},
		{"base64 encoded-word CRLF in subject", jarvis.DraftInput{To: ok, Subject: "=?UTF-8?B?SGkNCkJjYzogZXZpbEBleGFtcGxlLmNvbQ==?="}, jarvis.EINVALID, "subject"},
		{"nested encoded-word in subject", jarvis.DraftInput{To: ok, Subject: "=?utf-8?q?=3D=3Futf-8=3Fq=3FHi=3D0A=3F=3D?="}, jarvis.EINVALID, "subject"},
		{"latin-1 encoded-word CR", jarvis.DraftInput{To: ok, Subject: "=?iso-8859-1?q?a=0Db?="}, jarvis.EINVALID, "subject"},
		{"NUL in subject", jarvis.DraftInput{To: ok, Subject: "a\x00b"}, jarvis.EINVALID, "subject"},
		{"line separator in subject", jarvis.DraftInput{To: ok, Subject: "a\u2028b"}, jarvis.EINVALID, "subject"},
		{"NEL in subject", jarvis.DraftInput{To: ok, Subject: "a\u0085b"}, jarvis.EINVALID, "subject"},
		{"RLO in subject", jarvis.DraftInput{To: ok, Subject: "Invoice \u202Efdp.exe"}, jarvis.EINVALID, "subject"},
		{"LRE in subject", jarvis.DraftInput{To: ok, Subject: "a\u202Ab"}, jarvis.EINVALID, "subject"},
		{"isolate in subject", jarvis.DraftInput{To: ok, Subject: "a\u2066b\u2069"}, jarvis.EINVALID, "subject"},
		{"RLM in subject", jarvis.DraftInput{To: ok, Subject: "a\u200Fb"}, jarvis.EINVALID, "subject"},
		{"encoded-word RLO in subject", jarvis.DraftInput{To: ok, Subject: "=?utf-8?q?a=E2=80=AEb?="}, jarvis.EINVALID, "subject"},
		{"RLO in an address", jarvis.DraftInput{To: []string{"ada\u202E@example.com"}}, jarvis.EINVALID, "to"},
		{"LRM in a cc name", jarvis.DraftInput{To: ok, Cc: []string{"\"Ada\u200E\" <a@example.com>"}}, jarvis.EINVALID, "cc"},
		{"PDI in an encoded bcc name", jarvis.DraftInput{To: ok, Bcc: []string{"=?utf-8?q?A=E2=81=A9?= <b@example.com>"}}, jarvis.EINVALID, "bcc"},
		{"NUL in body_text", jarvis.DraftInput{To: ok, BodyText: "a\x00"}, jarvis.EINVALID, "body_text"},
		{"NUL in body_html", jarvis.DraftInput{To: ok, BodyHTML: "<p>\x00"}, jarvis.EINVALID, "body_html"},
		{"invalid UTF-8 body", jarvis.DraftInput{To: ok, BodyText: "\xff"}, jarvis.EINVALID, "body_text"},
		{"subject too long", jarvis.DraftInput{To: ok, Subject: strings.Repeat("a", 999)}, jarvis.ETOOLARGE, "subject"},
		{"subject too long once encoded", jarvis.DraftInput{To: ok, Subject: strings.Repeat("é", 400)}, jarvis.ETOOLARGE, "subject"},
		{"subject line too long", jarvis.DraftInput{To: ok, Subject: strings.Repeat("a", 995)}, jarvis.ETOOLARGE, "subject"},
		{"body_text too large", jarvis.DraftInput{To: ok, BodyText: big + big}, jarvis.ETOOLARGE, "body_text"},
		{"bodies too large", jarvis.DraftInput{To: ok, BodyText: big, BodyHTML: big}, jarvis.ETOOLARGE, "body_html"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			raw, err := BuildDraft(tc.in, draftOpts())
			var je *jarvis.Error
			if !errors.As(err, &je) {
				t.Fatalf("err = %v, want a *jarvis.Error; draft:\n%s", err, raw)
			}
			if je.Code != tc.code || je.Field != tc.field {
				t.Errorf("code %q field %q, want %q %q (%s)", je.Code, je.Field, tc.code, tc.field, je.Message)
			}
			if raw != nil {
				t.Error("a draft was returned with the error")
			}
			if err2 := ValidateDraft(tc.in); tc.name != "subject too long once encoded" && tc.name != "subject line too long" && jarvis.ErrorCode(err2) != tc.code {
				t.Errorf("ValidateDraft: %v", err2)
			}
		})
	}
}

func TestBuildDraftSubjectLimits(t *testing.T) {
	// 998 bytes of ASCII with spaces folds into legal lines.
	s := strings.Repeat("word ", 199) + "end"
	raw := mustBuild(t, jarvis.DraftInput{To: []string{"a@example.com"}, Subject: s[:998]}, draftOpts())
	m, _ := parseDraft(t, raw)
	if got := m.Header.Get("Subject"); got != s[:998] {
		t.Errorf("folded subject reads back as %q", got)
	}
	// A reply prefix can push a full subject over the limit.
	opts := draftOpts()
	opts.ReplyTo = &jarvis.Message{Subject: strings.Repeat("b", 996)}
	if _, err := BuildDraft(jarvis.DraftInput{To: []string{"a@example.com"}}, opts); jarvis.ErrorCode(err) != jarvis.ETOOLARGE {
		t.Errorf("reply subject over the limit: %v", err)
	}
	// Exactly 100 recipients are fine.
	var to []string
	for range 100 {
		to = append(to, "Someone With A Name <someone@example.com>")
	}
	raw = mustBuild(t, jarvis.DraftInput{To: to}, draftOpts())
	m, _ = parseDraft(t, raw)
	if list, err := m.Header.AddressList("To"); err != nil || len(list) != 100 {
		t.Errorf("100 recipients read back as %d, %v", len(list), err)
	}
}

func TestBuildDraftOptions(t *testing.T) {
	in := jarvis.DraftInput{To: []string{"a@example.com"}}
	for _, tc := range []struct {
		name   string
		change func(*DraftOptions)
	}{
		{"no sender", func(o *DraftOptions) { o.From.Email = "" }},
		{"bad sender", func(o *DraftOptions) { o.From.Email = "not an address" }},
		{"sender with CRLF", func(o *DraftOptions) { o.From.Email = "a@example.com\r\nBcc: x@y" }},
		{"no time", func(o *DraftOptions) { o.Now = time.Time{} }},
		{"failing random source", func(o *DraftOptions) { o.Rand = bytes.NewReader(nil) }},
	} {
		opts := draftOpts()
		tc.change(&opts)
		if _, err := BuildDraft(in, opts); err == nil || jarvis.ErrorCode(err) != jarvis.EINTERNAL {
			t.Errorf("%s: err = %v, want an internal error", tc.name, err)
		}
	}

	// A sender name with odd characters is cleaned; a bad domain falls back.
	opts := draftOpts()
	opts.From.Name = "Ada\r\nBcc: evil@example.com"
	opts.MessageIDDomain = "bad domain>"
	m, keys := parseDraft(t, mustBuild(t, in, opts))
	if len(keys) != 8 || m.Header.Get("From") != `"Ada Bcc: evil@example.com" <ada@example.com>` {
		t.Errorf("From = %q, headers %v", m.Header.Get("From"), keys)
	}
	if !strings.HasSuffix(m.Header.Get("Message-Id"), "@example.com>") {
		t.Errorf("Message-ID = %q", m.Header.Get("Message-Id"))
	}
}

// FuzzBuildDraft checks that no input adds, removes or splits a header: a
// draft either fails with a field-named client error or parses back to
// exactly the intended headers, recipients and subject.
func FuzzBuildDraft(f *testing.F) {
	f.Add("a@example.com", "B <b@example.com>", "", "Hello", "body", "", "", "")
	f.Add("a@example.com\r\nBcc: x@y", "", "", "s", "", "", "", "")
	f.Add("=?utf-8?q?a=0D=0Ab?= <a@x.com>", "c@x.com", "d@x.com", "=?utf-8?q?x=0Ay?=", "", "<p>x", "Re: s", "<m@x>")
	f.Add("a@x.com", "", "", "%0d%0aBcc: x", "x\r\n.\r\n", "", "", "")
	f.Add("\"q\\\"uote\" <a@x.com>", "", "", "Grüße =?x?=", "", "", "", "")
	f.Fuzz(func(t *testing.T, to, cc, bcc, subject, text, html, replySubject, replyID string) {
		split := func(s string) []string {
			if s == "" {
				return nil
			}
			return strings.Split(s, "|")
		}
		in := jarvis.DraftInput{To: split(to), Cc: split(cc), Bcc: split(bcc), Subject: subject, BodyText: text, BodyHTML: html}
		opts := draftOpts()
		if replySubject != "" || replyID != "" {
			opts.ReplyTo = &jarvis.Message{Subject: replySubject, MessageIDHeader: replyID, References: replyID}
		}
		raw, err := BuildDraft(in, opts)
		if err != nil {
			var je *jarvis.Error
			if !errors.As(err, &je) || (je.Code != jarvis.EINVALID && je.Code != jarvis.ETOOLARGE) {
				t.Fatalf("unexpected error %v", err)
			}
			if !slices.Contains([]string{"to", "cc", "bcc", "subject", "body_text", "body_html"}, je.Field) {
				t.Fatalf("error names field %q", je.Field)
			}
			return
		}
		m, keys := parseDraft(t, raw)
		want := []string{"Date", "From", "Message-Id", "Mime-Version", "Subject", "Content-Type"}
		for _, h := range []struct {
			name string
			list []string
		}{{"To", in.To}, {"Cc", in.Cc}, {"Bcc", in.Bcc}} {
			if len(h.list) == 0 {
				continue
			}
			want = append(want, h.name)
			got, err := m.Header.AddressList(h.name)
			if err != nil {
				// net/mail's own reader has no decoder for every charset.
				got, err = addressParser.ParseList(m.Header.Get(h.name))
			}
			if err != nil || len(got) != len(h.list) {
				t.Fatalf("%s: %d addresses read back (%v), want %d:\n%s", h.name, len(got), err, len(h.list), raw)
			}
		}
		if html == "" {
			want = append(want, "Content-Transfer-Encoding")
		}
		if opts.ReplyTo != nil {
			ids := msgIDs(replyID)
			if len(ids) > 0 {
				want = append(want, "In-Reply-To", "References")
			}
		}
		slices.Sort(want)
		if !slices.Equal(keys, want) {
			t.Fatalf("headers %v, want %v:\n%s", keys, want, raw)
		}
		gotSubject, err := wordDecoder.DecodeHeader(m.Header.Get("Subject"))
		wantSubject := strings.TrimSpace(subject)
		if opts.ReplyTo != nil {
			if wantSubject == "" {
				wantSubject = strings.TrimSpace(oneLine(replySubject))
			}
			if !hasReplyPrefix(wantSubject) {
				wantSubject = strings.TrimSpace("Re: " + wantSubject)
			}
		}
		if err != nil || strings.Join(strings.Fields(gotSubject), " ") != strings.Join(strings.Fields(wantSubject), " ") {
			t.Fatalf("subject reads back as %q (%v), want %q", gotSubject, err, wantSubject)
		}
	})
}

// Inputs that are legal but try to smuggle extra recipients or headers
// through display names must come out as exactly one address each.
func TestBuildDraftAdversarialButValid(t *testing.T) {
	entries := []string{
		`"Bcc: evil@example.com" <a@example.com>`,
		`=?utf-8?q?a=2C_evil=40example.com?= <b@example.com>`,
		`"x\", evil2@example.com, \"y" <c@example.com>`,
		`=?utf-8?q?=22=3E_=3Cevil3=40example.com=3E=2C?= <d@example.com>`,
		`e@example.com (comment, evil4@example.com)`,
		`"=?utf-8?q?hidden?=" <f@example.com>`,
		`Zoë "the tester" <g@example.com>`,
	}
	raw := mustBuild(t, jarvis.DraftInput{To: entries, Cc: entries[:2], Bcc: entries[2:], Subject: "Cc: x@example.com"}, draftOpts())
	m, keys := parseDraft(t, raw)
	if want := []string{"Bcc", "Cc", "Content-Transfer-Encoding", "Content-Type", "Date", "From", "Message-Id", "Mime-Version", "Subject", "To"}; !slices.Equal(keys, want) {
		t.Fatalf("headers %v\n%s", keys, raw)
	}
	for _, h := range []struct {
		name string
		n    int
	}{{"To", len(entries)}, {"Cc", 2}, {"Bcc", len(entries) - 2}} {
		list, err := addressParser.ParseList(m.Header.Get(h.name))
		if err != nil || len(list) != h.n {
			t.Errorf("%s: %d addresses (%v), want %d:\n%s", h.name, len(list), err, h.n, raw)
			continue
		}
		for _, a := range list {
			if strings.Contains(a.Address, "evil") {
				t.Errorf("%s: smuggled address %q", h.name, a.Address)
			}
		}
	}
}

// A bad recipient is named by its value, not by its place in the list.
func TestRecipientErrorsShowTheValue(t *testing.T) {
	cases := map[string]string{
		"bob":                     `"bob" is not a valid email address.`,
		" ":                       "One of the to addresses is empty.",
		"a@x.com\r\nBcc: e@x.com": `The address "a@x.com\r\nBcc: e@x.com" must not contain line breaks`,
	}
	for raw, want := range cases {
		_, err := parseRecipients("to", []string{"ok@example.com", raw})
		if err == nil || !strings.Contains(err.Error(), want) || strings.Contains(err.Error(), "to[1]") {
			t.Errorf("%q: %v, want %q", raw, err, want)
		}
	}
}
