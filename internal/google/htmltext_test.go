package google

import (
	"testing"
)

func TestHTMLToText(t *testing.T) {
	for _, tc := range []struct {
		name, in, want string
	}{
		{"plain", "hello", "hello"},
		{"entities", "<p>Fish &amp; chips &lt;3 &eacute;t&eacute; &#8364;5 &nbsp;x</p>", "Fish & chips <3 été €5 x"},
		{"skipped", "<html><head><title>Title</title><style>.a{color:red}</style><script>alert(1)</script></head><body>Body<noscript>no</noscript></body></html>", "Body"},
		{"paragraphs", "<p>One</p><p>Two</p>", "One\n\nTwo"},
		{"divs", "<div>One</div><div>Two</div><div><div>Three</div></div>", "One\nTwo\nThree"},
		{"br", "a<br>b<br/><br>c", "a\nb\n\nc"},
		{"whitespace", "  lots   of\n\n\t spaces  <b> bold </b>here ", "lots of spaces bold here"},
		{"inline spacing", "a<b>b</b>c <i>d</i> e", "abc d e"},
		{"list", "<ul><li>one</li><li>two <b>bold</b></li></ul><p>after</p>", "- one\n- two bold\n\nafter"},
		{"nested list", "<ul><li>a<ul><li>b</li></ul></li><li>c</li></ul>", "- a\n  - b\n- c"},
		{"ordered", "<ol><li>x</li><li>y</li></ol>", "- x\n- y"},
		{"link with url", `Read <a href="https://example.com/post?id=1">the post</a> now`, "Read the post (https://example.com/post?id=1) now"},
		{"link shows its url", `<a href="https://example.com/">example.com</a>`, "example.com"},
		{"link same as text", `<a href="https://example.com/x">https://example.com/x</a>`, "https://example.com/x"},
		{"mailto", `<a href="mailto:a@x.com">Write us</a>, <a href="mailto:b@x.com">b@x.com</a>`, "Write us (a@x.com), b@x.com"},
		{"anchor and js links", `<a href="#top">Top</a> <a href="javascript:void(0)">Click</a>`, "Top Click"},
		{"data: and relative links show no address", `<a href="data:text/html,x">A</a> <a href="&#100;ata:text/html,x">B</a> <a href="/gmail/threads">C</a> <a href="//evil.example/x">D</a>`, "A B C D"},
		{"image alt", `<img src="x.png" alt="Logo"><img src="pixel.gif">text`, "Logo text"},
		{"table", "<table><tr><td>a</td><td>b</td></tr><tr><td>c</td><td>d</td></tr></table>", "a b\nc d"},
		{"pre keeps spacing", "<pre>  x  =  1\n  y = 2</pre><p>after</p>", "  x  =  1\n  y = 2\n\nafter"},
		{"blank runs", "<p></p><p></p><div><br><br><br><br></div><p>x</p><p></p><p></p><p>y</p>", "x\n\ny"},
		{"headings", "<h1>Title</h1>text<h2>Sub</h2>more", "Title\n\ntext\n\nSub\n\nmore"},
		{"preheader padding", "Hi\u200c &nbsp;\u200c &nbsp;\u034f there", "Hi there"},
		{"zwnj inside a word is kept", "می\u200cخواهم", "می\u200cخواهم"},
		{"blockquote", "<p>Reply</p><blockquote>quoted</blockquote>", "Reply\n\nquoted"},
		{"hr", "a<hr>b", "a\n---\nb"},
		{"broken html", "<p>unclosed <b>bold <i>both</p>after", "unclosed bold both\n\nafter"},
		{"comment", "a<!-- hidden -->b", "ab"},
		{"crlf in text", "a\r\nb", "a b"},
		{"empty", "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := htmlToText(tc.in); got != tc.want {
				t.Errorf("htmlToText(%q)\n got %q\nwant %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestDecodeHeader(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"plain", "plain"},
		{"=?UTF-8?Q?caf=C3=A9?=", "café"},
		{"=?ISO-8859-1?Q?caf=E9?= =?ISO-8859-1?Q?_bar?=", "café bar"},
		{"=?koi8-r?B?8NLJ18XU?=", "Привет"},
		{"=?shift_jis?B?k/qWe4zq?=", "日本語"},
		{"=?iso-2022-jp?B?GyRCRnxLXDhsGyhC?=", "日本語"},
		{"=?gb2312?B?xOO6ww==?=", "你好"},
		{"=?x-unknown?Q?caf=C3=A9?=", "café"},
		{"=?x-unknown?Q?caf=E9?=", "café"},
		{"=?utf-8?q?broken", "=?utf-8?q?broken"},
		{"=?utf-8?x?bad?=", "=?utf-8?x?bad?="},
		{"=?utf-8?B?not base64!?=", "=?utf-8?B?not base64!?="},
		{"=?utf-8?Q?caf=C3=A9_=FF?=", "café \uFFFD"}, // UTF-8 with a bad byte
		{"=?utf-8?Q?bad=FFbyte?=", "badÿbyte"},       // no UTF-8 at all: read as windows-1252
		{"raw \xe9t\xe9", "raw été"},
	} {
		if got := decodeHeader(tc.in); got != tc.want {
			t.Errorf("decodeHeader(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
