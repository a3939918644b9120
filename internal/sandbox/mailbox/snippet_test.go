package mailbox

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// Gmail's snippets: the budget filled even inside a long word, images' alt
// text kept in HTML-only mail, CJK sentences on separate lines joined
// without a space, white space collapsed, HTML escaped.
func TestSnippets(t *testing.T) {
	long := strings.Repeat("Donaudampfschifffahrtsgesellschaftskapitän ", 6)
	words := strings.Repeat("word's ", 40)
	cases := []struct {
		name, msg, want string
	}{
		{"a long word is cut to fill the budget",
			"Content-Type: text/plain; charset=utf-8\r\n\r\n" + long,
			[]string{string([]rune(strings.TrimSpace(long))[:snippetMax])}[0]},
		{"words are cut mid-word at the budget, escaped after",
			"Content-Type: text/plain\r\n\r\n" + words,
			strings.ReplaceAll(string([]rune(words)[:snippetMax]), "'", "&#39;")},
		{"white space collapses, a trailing non-breaking space goes",
			"Content-Type: text/html; charset=utf-8\r\n\r\n<div dir=\"ltr\">can you   create a task for this rfq?&nbsp;<br><br><br></div>\r\n",
			"can you create a task for this rfq?"},
		{"HTML-only mail keeps an image's alt text",
			"Content-Type: text/html\r\n\r\n<html><body><img src=\"https://x.example/b.png\" alt=\"Spring sale banner\"><p>Save 20% on tea &amp; biscuits.</p></body></html>",
			"Spring sale banner Save 20% on tea &amp; biscuits."},
		{"an image without alt gives its title",
			"Content-Type: text/html\r\n\r\n<p><img src=\"a.png\" title=\"Our new logo\"/>Welcome aboard</p>",
			"Our new logo Welcome aboard"},
		{"an image without alt or title gives nothing",
			"Content-Type: text/html\r\n\r\n<p><img src=\"a.png\">Welcome aboard</p>",
			"Welcome aboard"},
		{"with a plain alternative the HTML's alt text is not read",
			"Content-Type: multipart/alternative; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nSave 20% on tea.\r\n--b\r\nContent-Type: text/html\r\n\r\n<img alt=\"Banner\"><p>Save 20% on tea.</p>\r\n--b--\r\n",
			"Save 20% on tea."},
		{"Japanese sentences on separate lines are joined",
			"Content-Type: text/plain; charset=utf-8\r\n\r\n田中さん、お疲れ様です。\r\n\r\n来週の会議の件です。\r\nよろしくお願いします。\r\n",
			"田中さん、お疲れ様です。来週の会議の件です。よろしくお願いします。"},
		{"Chinese paragraphs in HTML are joined",
			"Content-Type: text/html; charset=utf-8\r\n\r\n<div>附件是最新报告，请查收。</div><div><br></div><div>谢谢！</div>",
			"附件是最新报告，请查收。谢谢！"},
		{"a space written between CJK words stays",
			"Content-Type: text/plain; charset=utf-8\r\n\r\n田中 由紀\r\n",
			"田中 由紀"},
		{"Latin text on separate lines gets a space",
			"Content-Type: text/plain\r\n\r\nHello,\r\n\r\nsee you at 10.\r\n",
			"Hello, see you at 10."},
		{"Latin next to CJK across a line gets a space",
			"Content-Type: text/plain; charset=utf-8\r\n\r\nTokyo\r\n東京\r\n",
			"Tokyo 東京"},
		{"a message without text has no snippet",
			"Content-Type: image/png\r\n\r\nxx", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := Parse([]byte(c.msg), time.Now())
			if m.Snippet != c.want {
				t.Errorf("snippet\n got %q\nwant %q", m.Snippet, c.want)
			}
			if got := Snippet(ParseEntity([]byte(c.msg))); got != m.Snippet {
				t.Errorf("Snippet(tree) = %q, the message's %q", got, m.Snippet)
			}
		})
	}
}

func TestSnippetTextBudget(t *testing.T) {
	for _, c := range []struct {
		in   string
		n    int
		want string
	}{
		{"abc def", 5, "abc d"},
		{"abc def", 4, "abc"}, // the space at the budget's end is not kept
		{"  abc\r\n\tdef  ", 10, "abc def"},
		{"一。\n二。", 3, "一。二"},
		{"ab\u200bcd", 10, "ab cd"},
	} {
		if got := snippetText(c.in, c.n); got != c.want || utf8.RuneCountInString(got) > c.n {
			t.Errorf("snippetText(%q, %d) = %q, want %q", c.in, c.n, got, c.want)
		}
	}
}
