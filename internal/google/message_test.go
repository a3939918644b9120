package google

import (
	"encoding/base64"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/japanese"
	"golang.org/x/text/encoding/simplifiedchinese"
	"google.golang.org/api/gmail/v1"

	jarvis "github.com/jarvis-hq/jarvis"
	"github.com/jarvis-hq/jarvis/internal/mailsync"
)

// Helpers that build payloads the way Gmail does (see GOOGLE-WIRE.md):
// lower-case mimeType, decoded headers, padded base64url data, containers
// with body size 0, non-text leaves with an attachmentId.

func hdrs(kv ...string) []*gmail.MessagePartHeader {
	var hs []*gmail.MessagePartHeader
	for i := 0; i+1 < len(kv); i += 2 {
		hs = append(hs, &gmail.MessagePartHeader{Name: kv[i], Value: kv[i+1]})
	}
	return hs
}

func padded(b []byte) string { return base64.URLEncoding.EncodeToString(b) }

func encode(t *testing.T, e encoding.Encoding, s string) []byte {
	t.Helper()
	b, err := e.NewEncoder().Bytes([]byte(s))
	if err != nil {
		t.Fatalf("encode %q: %v", s, err)
	}
	return b
}

// leaf is an inline text part.
func leaf(id, mimeType, contentType string, data []byte) *gmail.MessagePart {
	return &gmail.MessagePart{
		PartId:   id,
		MimeType: mimeType,
		Headers:  hdrs("Content-Type", contentType, "Content-Transfer-Encoding", "quoted-printable"),
		Body:     &gmail.MessagePartBody{Size: int64(len(data)), Data: padded(data)},
	}
}

// attached is a leaf served by attachmentId.
func attached(id, mimeType, filename, attID string, size int64, extra ...string) *gmail.MessagePart {
	ct := mimeType
	if filename != "" {
		ct += `; name="` + filename + `"`
	}
	return &gmail.MessagePart{
		PartId:   id,
		MimeType: mimeType,
		Filename: filename,
		Headers:  append(hdrs("Content-Type", ct, "Content-Transfer-Encoding", "base64"), hdrs(extra...)...),
		Body:     &gmail.MessagePartBody{AttachmentId: attID, Size: size},
	}
}

func container(id, mimeType string, parts ...*gmail.MessagePart) *gmail.MessagePart {
	return &gmail.MessagePart{
		PartId:   id,
		MimeType: mimeType,
		Headers:  hdrs("Content-Type", mimeType+`; boundary="b`+id+`"`),
		Body:     &gmail.MessagePartBody{},
		Parts:    parts,
	}
}

// message wraps a root part with typical top-level headers.
func message(root *gmail.MessagePart, extra ...string) *gmail.Message {
	root.PartId = ""
	root.Headers = append(hdrs(
		"From", "Alice Example <alice@example.com>",
		"To", "bob@example.com",
		"Subject", "Hello",
		"Date", "Tue, 3 Nov 2026 10:15:30 +0100",
		"Message-ID", "<m1@example.com>",
	), append(root.Headers, hdrs(extra...)...)...)
	return &gmail.Message{Id: "18f0a", ThreadId: "18f00", LabelIds: []string{"INBOX", "UNREAD"},
		InternalDate: 1793700000000, Snippet: "Hi", Payload: root}
}

func TestMessageBodies(t *testing.T) {
	latin1 := encode(t, charmap.ISO8859_1, "Café Zürich, ½ price")
	koi8 := encode(t, charmap.KOI8R, "Привет, мир")
	jis := encode(t, japanese.ISO2022JP, "こんにちは世界")
	sjis := encode(t, japanese.ShiftJIS, "日本語のテキスト")
	gb := encode(t, simplifiedchinese.GBK, "你好世界")
	cp1252 := encode(t, charmap.Windows1252, "€5 “quoted” — dash")

	tests := []struct {
		name     string
		root     *gmail.MessagePart
		text     string
		html     string
		attCount int
	}{
		{
			name: "single part, padded, CRLF",
			root: leaf("", "text/plain", "text/plain; charset=UTF-8", []byte("line 1\r\nline 2\r\n")),
			text: "line 1\nline 2\n",
		},
		{
			name: "unpadded data",
			root: &gmail.MessagePart{MimeType: "text/plain", Headers: hdrs("Content-Type", "text/plain; charset=utf-8"),
				Body: &gmail.MessagePartBody{Size: 4, Data: base64.RawURLEncoding.EncodeToString([]byte("abcd"))}},
			text: "abcd",
		},
		{
			name: "standard base64 with + and /",
			root: &gmail.MessagePart{MimeType: "text/plain", Headers: hdrs("Content-Type", "text/plain; charset=iso-8859-1"),
				Body: &gmail.MessagePartBody{Data: base64.StdEncoding.EncodeToString([]byte("\xfb\xff\xbf\xfe?>"))}},
			text: "ûÿ¿þ?>",
		},
		{
			name: "missing content type is text/plain",
			root: &gmail.MessagePart{MimeType: "", Body: &gmail.MessagePartBody{Data: padded([]byte("plain"))}},
			text: "plain",
		},
		{name: "ISO-8859-1", root: leaf("", "text/plain", `text/plain; charset="ISO-8859-1"`, latin1), text: "Café Zürich, ½ price"},
		{name: "KOI8-R", root: leaf("", "text/plain", "text/plain; charset=koi8-r", koi8), text: "Привет, мир"},
		{name: "ISO-2022-JP", root: leaf("", "text/plain", "text/plain; charset=ISO-2022-JP", jis), text: "こんにちは世界"},
		{name: "Shift_JIS", root: leaf("", "text/plain", "text/plain; charset=Shift_JIS", sjis), text: "日本語のテキスト"},
		{name: "GB2312", root: leaf("", "text/plain", "text/plain; charset=gb2312", gb), text: "你好世界"},
		{name: "windows-1252", root: leaf("", "text/plain", "text/plain; charset=windows-1252", cp1252), text: "€5 “quoted” — dash"},
		{name: "us-ascii label over UTF-8", root: leaf("", "text/plain", "text/plain; charset=us-ascii", []byte("naïve ☃")), text: "naïve ☃"},
		{name: "ISO-2022-JP label over UTF-8 (Gmail re-encoded)", root: leaf("", "text/plain", "text/plain; charset=iso-2022-jp", []byte("こんにちは")), text: "こんにちは"},
		{name: "no charset over UTF-8", root: leaf("", "text/plain", "text/plain", []byte("Grüße")), text: "Grüße"},
		{name: "us-ascii label over Latin-1", root: leaf("", "text/plain", "text/plain; charset=us-ascii", latin1), text: "Café Zürich, ½ price"},
		{name: "unknown charset, UTF-8 bytes", root: leaf("", "text/plain", "text/plain; charset=x-unknown", []byte("Grüße ✓")), text: "Grüße ✓"},
		{name: "unknown charset, Latin-1 bytes", root: leaf("", "text/plain", "text/plain; charset=x-unknown", latin1), text: "Café Zürich, ½ price"},
		{name: "utf-8 label over Latin-1", root: leaf("", "text/plain", "text/plain; charset=utf-8", latin1), text: "Café Zürich, ½ price"},
		{name: "utf-8 with one bad byte", root: leaf("", "text/plain", "text/plain; charset=utf-8", []byte("ok ✓ \xff end")), text: "ok ✓ \uFFFD end"},
		{name: "malformed content type", root: leaf("", "text/plain", "text/plain; charset=koi8-r; format=flowed; =bad", koi8), text: "Привет, мир"},
		{name: "UTF-8 BOM", root: leaf("", "text/plain", "text/plain; charset=utf-8", []byte("\xef\xbb\xbfBOM first")), text: "BOM first"},
		{
			name: "alternative inside mixed, nested partIds",
			root: container("", "multipart/mixed",
				container("0", "multipart/alternative",
					leaf("0.0", "text/plain", "text/plain; charset=utf-8", []byte("plain body")),
					leaf("0.1", "text/html", "text/html; charset=utf-8", []byte("<p>html body</p>"))),
				attached("1", "application/pdf", "report.pdf", "att-pdf", 12345)),
			text: "plain body", html: "<p>html body</p>", attCount: 1,
		},
		{
			name: "html before plain in alternative",
			root: container("", "multipart/alternative",
				leaf("0", "text/html", "text/html; charset=utf-8", []byte("<b>H</b>")),
				leaf("1", "text/plain", "text/plain; charset=utf-8", []byte("P"))),
			text: "P", html: "<b>H</b>",
		},
		{
			name: "deeply nested related",
			root: container("", "multipart/mixed",
				container("0", "multipart/alternative",
					leaf("0.0", "text/plain", "text/plain; charset=utf-8", []byte("deep plain")),
					container("0.1", "multipart/related",
						leaf("0.1.0", "text/html", "text/html; charset=utf-8", []byte(`<img src="cid:logo@x">deep html`)),
						attached("0.1.1", "image/png", "", "att-logo", 99, "Content-ID", "<logo@x>", "Content-Disposition", "inline")))),
			text: "deep plain", html: `<img src="cid:logo@x">deep html`, attCount: 1,
		},
		{
			name: "HTML only",
			root: leaf("", "text/html", "text/html; charset=utf-8",
				[]byte("<html><head><title>T</title><style>p{}</style></head><body><p>Hello &amp; welcome</p><ul><li>one</li><li>two</li></ul></body></html>")),
			text: "Hello & welcome\n\n- one\n- two",
			html: "<html><head><title>T</title><style>p{}</style></head><body><p>Hello &amp; welcome</p><ul><li>one</li><li>two</li></ul></body></html>",
		},
		{
			name: "HTML without charset, meta says koi8-r",
			root: leaf("", "text/html", "text/html", append([]byte(`<meta charset="koi8-r"><p>`), koi8...)),
			text: "Привет, мир",
			html: `<meta charset="koi8-r"><p>Привет, мир`,
		},
		{
			name: "forwarded message is not the body",
			root: container("", "multipart/mixed",
				leaf("0", "text/plain", "text/plain; charset=utf-8", []byte("see below")),
				container("1", "message/rfc822",
					container("1.0", "multipart/mixed",
						leaf("1.0.0", "text/plain", "text/plain; charset=utf-8", []byte("inner text")),
						attached("1.0.1", "application/pdf", "inner.pdf", "att-inner", 5)))),
			text: "see below", attCount: 1,
		},
		{
			name: "HTML outside beats plain inside a forwarded message",
			root: container("", "multipart/mixed",
				leaf("0", "text/html", "text/html; charset=utf-8", []byte("<div>outer</div>")),
				container("1", "message/rfc822",
					leaf("1.0", "text/plain", "text/plain; charset=utf-8", []byte("inner")))),
			text: "outer", html: "<div>outer</div>",
		},
		{
			name: "named text part is an attachment, not the body",
			root: container("", "multipart/mixed",
				attached("0", "text/plain", "notes.txt", "att-notes", 10),
				leaf("1", "text/plain", "text/plain; charset=utf-8", []byte("real body"))),
			text: "real body", attCount: 1,
		},
		{
			name: "attachment disposition without filename is not the body",
			root: container("", "multipart/mixed",
				&gmail.MessagePart{PartId: "0", MimeType: "text/plain",
					Headers: hdrs("Content-Type", "text/plain", "Content-Disposition", "attachment"),
					Body:    &gmail.MessagePartBody{Data: padded([]byte("log dump"))}},
				leaf("1", "text/plain", "text/plain", []byte("body"))),
			text: "body",
		},
		{
			name: "empty part",
			root: &gmail.MessagePart{MimeType: "text/plain", Body: &gmail.MessagePartBody{Size: 0, Data: ""}},
			text: "",
		},
		{
			name: "no body at all",
			root: &gmail.MessagePart{MimeType: "multipart/mixed"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := MessageFromGmail(message(tc.root))
			if m.Text != tc.text {
				t.Errorf("Text = %q, want %q", m.Text, tc.text)
			}
			if m.HTML != tc.html {
				t.Errorf("HTML = %q, want %q", m.HTML, tc.html)
			}
			if len(m.Attachments) != tc.attCount {
				t.Errorf("%d attachments, want %d: %+v", len(m.Attachments), tc.attCount, m.Attachments)
			}
		})
	}
}

func TestMessageFields(t *testing.T) {
	root := container("", "multipart/mixed",
		container("0", "multipart/related",
			leaf("0.0", "text/html", "text/html; charset=utf-8", []byte(`<p>Hi <img src="cid:img1@mail"></p>`)),
			attached("0.1", "image/jpeg", "", "ANGjdJ_img", 2048, "Content-ID", "<img1@mail>")),
		attached("1", "text/plain", "notes.txt", "ANGjdJ_txt", 11),
		attached("2", "application/pdf", "Résumé 2026.pdf", "ANGjdJ_pdf", 70000),
		container("3", "message/rfc822",
			container("3.0", "multipart/mixed",
				leaf("3.0.0", "text/plain", "text/plain", []byte("fwd")),
				attached("3.0.1", "image/gif", "x.gif", "ANGjdJ_gif", 43))))
	gm := &gmail.Message{
		Id: "18f0a", ThreadId: "18f00", LabelIds: []string{"INBOX", "UNREAD", "IMPORTANT"},
		InternalDate: 1793700000999,
		Snippet:      "Tom &amp; Jerry said &quot;hi&quot; &lt;3 it&#39;s &gt; fine",
		Payload:      root,
	}
	root.Headers = hdrs(
		"From", `=?UTF-8?B?w4lsb2TDqWU=?= <elodie@example.fr>`,
		"To", `"Doe, John" <john@example.com>, =?ISO-8859-1?Q?Andr=E9?= <andre@example.com>, undisclosed-recipients:;`,
		"CC", `broken <<x@y>, plain@example.org, "unterminated <u@example.com>`,
		"Subject", "=?KOI8-R?B?8NLJ18XU?= and =?utf-8?q?broken",
		"Date", "Wed, 4 Nov 2026 09:00:00 -0800 (PST)",
		"Message-Id", " <abc@mail.example.com> ",
		"In-Reply-To", "<parent@example.com>",
		"References", "<root@example.com>\r\n <parent@example.com>",
	)
	m := MessageFromGmail(gm)

	want := jarvis.Message{
		ID: "18f0a", ThreadID: "18f00",
		From: jarvis.Address{Name: "Élodée", Email: "elodie@example.fr"},
		To: []jarvis.Address{
			{Name: "Doe, John", Email: "john@example.com"},
			{Name: "André", Email: "andre@example.com"},
		},
		Subject:         "Привет and =?utf-8?q?broken",
		Date:            time.Date(2026, 11, 4, 17, 0, 0, 0, time.UTC),
		Snippet:         `Tom & Jerry said "hi" <3 it's > fine`,
		Labels:          []string{"INBOX", "UNREAD", "IMPORTANT"},
		MessageIDHeader: "<abc@mail.example.com>",
		Authentication:  jarvis.Authentication{SPF: "none", DKIM: "none", DMARC: "none"},
		References:      "<root@example.com> <parent@example.com>",
		HTML:            `<p>Hi <img src="cid:img1@mail"></p>`,
		Text:            "Hi",
		Attachments: []jarvis.Attachment{
			{ID: "ANGjdJ_img", MimeType: "image/jpeg", Size: 2048, ContentID: "img1@mail"},
			{ID: "ANGjdJ_txt", Filename: "notes.txt", MimeType: "text/plain", Size: 11},
			{ID: "ANGjdJ_pdf", Filename: "Résumé 2026.pdf", MimeType: "application/pdf", Size: 70000},
			{ID: "ANGjdJ_gif", Filename: "x.gif", MimeType: "image/gif", Size: 43},
		},
	}
	// Cc does not parse as a whole: each entry is salvaged.
	wantCc := []jarvis.Address{
		{Name: "broken", Email: "x@y"},
		{Email: "plain@example.org"},
		{Name: "unterminated", Email: "u@example.com"},
	}
	if !reflect.DeepEqual(m.Cc, wantCc) {
		t.Errorf("Cc = %+v, want %+v", m.Cc, wantCc)
	}
	m.Cc = nil
	want.Cc = nil
	if !reflect.DeepEqual(m, want) {
		t.Errorf("got  %+v\nwant %+v", m, want)
	}
}

func TestMessageDateFallback(t *testing.T) {
	for _, tc := range []struct {
		date     string
		internal int64
		want     time.Time
	}{
		{"", 1793700000999, time.Date(2026, 11, 3, 10, 0, 0, 0, time.UTC)},
		{"not a date", 1793700000999, time.Date(2026, 11, 3, 10, 0, 0, 0, time.UTC)},
		{"Thu, 01 Jan 1970 00:00:00 +0000", 1793700000999, time.Date(2026, 11, 3, 10, 0, 0, 0, time.UTC)},
		{"Thu, 01 Jan 1970 00:00:00 +0000", 0, time.Unix(0, 0).UTC()},
		{"", 0, time.Time{}},
	} {
		m := MessageFromGmail(&gmail.Message{InternalDate: tc.internal,
			Payload: &gmail.MessagePart{MimeType: "text/plain", Headers: hdrs("Date", tc.date)}})
		if !m.Date.Equal(tc.want) || m.Date.Location() != time.UTC {
			t.Errorf("Date %q, internal %d: got %v, want %v", tc.date, tc.internal, m.Date, tc.want)
		}
	}
}

func TestParseMailDate(t *testing.T) {
	utc := func(y int, mo time.Month, d, h, mi, s int) time.Time {
		return time.Date(y, mo, d, h, mi, s, 0, time.UTC)
	}
	for _, tc := range []struct {
		in   string
		want time.Time
	}{
		{"Tue, 3 Nov 2026 10:15:30 +0100", utc(2026, 11, 3, 9, 15, 30)},
		{"3 Nov 2026 10:15:30 +0100", utc(2026, 11, 3, 9, 15, 30)},
		{"Tue, 03 Nov 2026 10:15:30 -0000", utc(2026, 11, 3, 10, 15, 30)},
		{"Tue, 3 Nov 2026 10:15:30 +0100 (CET)", utc(2026, 11, 3, 9, 15, 30)},
		{"Tue, 3 Nov 2026 10:15:30 GMT", utc(2026, 11, 3, 10, 15, 30)},
		{"Tue, 3 Nov 2026 10:15:30 UT", utc(2026, 11, 3, 10, 15, 30)},
		{"Tue,  3 Nov 2026 10:15:30  +0100", utc(2026, 11, 3, 9, 15, 30)},
		{"Tue, 3 Nov 26 10:15:30 +0100", utc(2026, 11, 3, 9, 15, 30)},
		{"Tue, 3 Nov 2026 10:15 +0100", utc(2026, 11, 3, 9, 15, 0)},
		{"Tuesday, 3 November 2026 10:15:30 +0100", utc(2026, 11, 3, 9, 15, 30)},
		{"Tue, 3 Nov 2026 10:15:30 GMT+0100", utc(2026, 11, 3, 9, 15, 30)},
		{"Tue, 3 Nov 2026 10:15:30 +01:00", utc(2026, 11, 3, 9, 15, 30)},
		{"Tue Nov  3 10:15:30 2026", utc(2026, 11, 3, 10, 15, 30)},
		{"Tue Nov 3 10:15:30 2026 -0500", utc(2026, 11, 3, 15, 15, 30)},
		{"2026-11-03T10:15:30Z", utc(2026, 11, 3, 10, 15, 30)},
		{"2026-11-03 10:15:30 +0100", utc(2026, 11, 3, 9, 15, 30)},
		{"3-Nov-2026 10:15:30 +0100", utc(2026, 11, 3, 9, 15, 30)},
		{"November 3, 2026 10:15 AM", utc(2026, 11, 3, 10, 15, 0)},
		{"Tue, 3 Nov 2026 10:15:30 +0100.", utc(2026, 11, 3, 9, 15, 30)},
	} {
		got, ok := parseMailDate(tc.in)
		if !ok || !got.Equal(tc.want) {
			t.Errorf("parseMailDate(%q) = %v, %v; want %v", tc.in, got.UTC(), ok, tc.want)
		}
	}
	for _, bad := range []string{"", "yesterday", "32 Foo 2026 99:99:99"} {
		if _, ok := parseMailDate(bad); ok {
			t.Errorf("parseMailDate(%q) succeeded", bad)
		}
	}
}

func addr(name, email string) jarvis.Address { return jarvis.Address{Name: name, Email: email} }

func TestParseAddressList(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []jarvis.Address
	}{
		{"", nil},
		{"a@x.com", []jarvis.Address{{Email: "a@x.com"}}},
		{`"Last, First" <f@x.com>, b@y.com`, []jarvis.Address{addr("Last, First", "f@x.com"), addr("", "b@y.com")}},
		{"=?iso-8859-1?q?J=F6rg?= <j@x.de>", []jarvis.Address{addr("Jörg", "j@x.de")}},
		{"=?windows-1251?B?z+Xy8A==?= <p@x.ru>", []jarvis.Address{addr("Петр", "p@x.ru")}},
		{`"=?utf-8?q?Quoted_Word?=" <q@x.com>`, []jarvis.Address{addr("Quoted Word", "q@x.com")}},
		{"John Q. Public <jqp@x.com>, x@y.com", []jarvis.Address{addr("John Q. Public", "jqp@x.com"), addr("", "x@y.com")}},
		{"Team: a@x.com, b@x.com;", []jarvis.Address{addr("", "a@x.com"), addr("", "b@x.com")}},
		{"undisclosed-recipients:;", []jarvis.Address{}},
		{"just some text", []jarvis.Address{{Name: "just some text"}}},
		{"Bad <@>, ok@x.com, (comment, with comma) c@x.com", []jarvis.Address{addr("Bad", "@"), addr("", "ok@x.com"), addr("", "c@x.com")}},
	} {
		got := parseAddressList(tc.in)
		if len(got) == 0 && len(tc.want) == 0 {
			continue
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("parseAddressList(%q) = %+v, want %+v", tc.in, got, tc.want)
		}
	}
	if got := parseAddress("Totally <broken"); got.Name == "" && got.Email == "" {
		t.Errorf("parseAddress lost a malformed From entirely")
	}
}

func TestDecodeData(t *testing.T) {
	raw := []byte("\x00\x01\xfe\xff hello?>~")
	for _, s := range []string{
		base64.URLEncoding.EncodeToString(raw),
		base64.RawURLEncoding.EncodeToString(raw),
		base64.StdEncoding.EncodeToString(raw),
		base64.RawStdEncoding.EncodeToString(raw),
		base64.StdEncoding.EncodeToString(raw[:6]) + "\r\n" + base64.StdEncoding.EncodeToString(raw[6:]),
	} {
		if got := decodeData(s); string(got) != string(raw) && !strings.Contains(s, "\r\n") {
			t.Errorf("decodeData(%q) = %q", s, got)
		}
	}
	if got := decodeData("aGVsbG8*!!"); string(got) != "hel" {
		t.Errorf("corrupt tail: got %q", got)
	}
}

func TestSummaryFromGmail(t *testing.T) {
	meta := func(id, from, subject, date string, labels ...string) *gmail.Message {
		return &gmail.Message{Id: id, LabelIds: labels, Snippet: "snip " + id + " &amp; more",
			Payload: &gmail.MessagePart{Headers: hdrs("Subject", subject, "From", from, "Date", date)}}
	}
	th := &gmail.Thread{Id: "t1", Snippet: "thread snippet", Messages: []*gmail.Message{
		meta("m1", "a@x.com", "Quarterly plan", "Mon, 2 Nov 2026 09:00:00 +0000", "INBOX", "CATEGORY_UPDATES"),
		meta("m2", "Bob <b@x.com>", "Re: Quarterly plan", "Tue, 3 Nov 2026 09:00:00 +0000", "INBOX", "UNREAD", "IMPORTANT"),
		meta("m3", "Carol <c@x.com>", "Re: Quarterly plan", "Wed, 4 Nov 2026 09:00:00 +0000", "SENT"),
		meta("m4", "A. Person <A@X.com>", "Re: Quarterly plan", "Thu, 5 Nov 2026 09:00:00 +0000", "INBOX"),
		meta("m5", "Carol <c@x.com>", "Re: Quarterly plan", "Fri, 6 Nov 2026 09:00:00 +0000", "SENT"),
	}}
	got := SummaryFromGmail(th)
	want := jarvis.ThreadSummary{
		ID: "t1", Subject: "Quarterly plan", From: jarvis.Address{Name: "Carol", Email: "c@x.com"},
		Date: time.Date(2026, 11, 6, 9, 0, 0, 0, time.UTC), Snippet: "snip m5 & more", MessageCount: 5,
		Unread: true, Labels: []string{"CATEGORY_UPDATES", "IMPORTANT", "INBOX", "SENT", "UNREAD"},
		// In order of first appearance, once per address (whatever its case),
		// a name learnt later filled in, the sender of Sent mail marked me.
		Participants: []jarvis.Participant{{Name: "A. Person", Email: "a@x.com"}, {Name: "Bob", Email: "b@x.com"}, {Name: "Carol", Email: "c@x.com", Me: true}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}

	th.Messages[0].Payload.Headers = hdrs("From", "a@x.com")
	th.Messages[1].LabelIds = []string{"INBOX"}
	got = SummaryFromGmail(th)
	if got.Subject != "Re: Quarterly plan" || got.Unread {
		t.Errorf("first subject missing / unread: %+v", got)
	}

	empty := SummaryFromGmail(&gmail.Thread{Id: "t2", Snippet: "a &lt; b"})
	if empty.ID != "t2" || empty.Snippet != "a < b" || empty.Labels == nil || empty.MessageCount != 0 {
		t.Errorf("empty thread: %+v", empty)
	}
	_ = SummaryFromGmail(nil)
	_ = SummaryFromGmail(&gmail.Thread{Messages: []*gmail.Message{nil, {Id: "x"}}})

	// The connected account's address is me, whatever the labels say.
	ps := []jarvis.Participant{{Email: "mary@example.org"}, {Email: "Ada@Example.com"}}
	mailsync.MarkMe(ps, "ada@example.com")
	if ps[0].Me || !ps[1].Me {
		t.Errorf("MarkMe: %+v", ps)
	}
}

func TestThreadFromGmail(t *testing.T) {
	m1 := message(leaf("", "text/plain", "text/plain", []byte("first")))
	m2 := message(leaf("", "text/plain", "text/plain", []byte("second")), "Subject", "ignored")
	m2.Payload.Headers[2].Value = "Re: Hello"
	th := ThreadFromGmail(&gmail.Thread{Id: "t1", Messages: []*gmail.Message{m1, nil, m2}})
	if th.ID != "t1" || th.Subject != "Hello" || len(th.Messages) != 2 ||
		th.Messages[0].Text != "first" || th.Messages[1].Text != "second" {
		t.Errorf("got %+v", th)
	}
	if got := ThreadFromGmail(nil); got.Messages == nil {
		t.Error("nil thread: Messages is nil")
	}
}

func TestNilAndEmpty(t *testing.T) {
	for _, m := range []*gmail.Message{nil, {}, {Payload: &gmail.MessagePart{}}, {Payload: &gmail.MessagePart{Parts: []*gmail.MessagePart{nil}}}} {
		got := MessageFromGmail(m)
		if got.To == nil || got.Cc == nil || got.Labels == nil || got.Attachments == nil {
			t.Errorf("nil slices for %+v: %+v", m, got)
		}
	}
}

func TestHeaderControlCharacters(t *testing.T) {
	m := MessageFromGmail(&gmail.Message{Payload: &gmail.MessagePart{Headers: hdrs(
		"Subject", "=?utf-8?q?a=0D=0ABcc:_evil@x.com?=",
		"From", "=?utf-8?q?Eve=0D=0A?= <eve@x.com>",
	)}})
	if strings.ContainsAny(m.Subject, "\r\n") || strings.ContainsAny(m.From.Name, "\r\n") {
		t.Errorf("control characters survived: %q %q", m.Subject, m.From.Name)
	}
	if m.Subject != "a  Bcc: evil@x.com" {
		t.Errorf("Subject = %q", m.Subject)
	}
}

func FuzzMessageFromGmail(f *testing.F) {
	f.Add("Subject =?utf-8?q?x?=", "A <a@x>", "b@y, c", "Tue, 3 Nov 2026 10:15:30 +0100", "iso-2022-jp", []byte("\x1b$B$3$s\x1b(B"), "<p>x</p>", "multipart/alternative")
	f.Add("", "", "", "", "x-unknown", []byte("\xff\xfe"), "", "text/plain")
	f.Add("=?koi8-r?b?8NLJ?=", "=?bad?", "\"", "99", "utf-16", []byte("\x00a\x00b"), "<a href=x>", "message/rfc822")
	f.Fuzz(func(t *testing.T, subject, from, to, date, charset string, data []byte, htmlBody, mt string) {
		ct := "text/plain; charset=" + charset
		root := &gmail.MessagePart{MimeType: mt, Headers: hdrs("Subject", subject, "From", from, "To", to, "Cc", to, "Date", date, "Content-Type", ct),
			Body: &gmail.MessagePartBody{Data: padded(data)},
			Parts: []*gmail.MessagePart{
				{MimeType: "text/plain", Headers: hdrs("Content-Type", ct), Body: &gmail.MessagePartBody{Data: base64.RawStdEncoding.EncodeToString(data)}},
				{MimeType: "text/html", Headers: hdrs("Content-Type", "text/html; charset="+charset), Body: &gmail.MessagePartBody{Data: padded([]byte(htmlBody))}},
				{MimeType: mt, Filename: subject, Headers: hdrs("Content-ID", from), Body: &gmail.MessagePartBody{AttachmentId: "a", Data: string(data)}},
			}}
		m := MessageFromGmail(&gmail.Message{Snippet: htmlBody, Payload: root})
		strs := []string{m.Subject, m.From.Name, m.From.Email, m.Snippet, m.Text, m.HTML, m.MessageIDHeader, m.References}
		for _, a := range append(m.To, m.Cc...) {
			strs = append(strs, a.Name, a.Email)
		}
		for _, a := range m.Attachments {
			strs = append(strs, a.Filename, a.MimeType, a.ContentID)
		}
		for _, s := range strs {
			if !utf8.ValidString(s) {
				t.Fatalf("invalid UTF-8: %q", s)
			}
		}
		if strings.ContainsAny(m.Subject+m.From.Name, "\r\n") {
			t.Fatalf("line break in a header field: %q", m.Subject)
		}
		_ = htmlToText(htmlBody)
	})
}
