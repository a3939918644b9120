package mailbox

import (
	"bytes"
	"io"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/emersion/go-message/charset"
	xhtml "golang.org/x/net/html"
)

// snippetMax is about the length of Gmail's snippets.
const snippetMax = 200

// Text returns a leaf's body as UTF-8. Valid 8-bit UTF-8 wins over a
// declared 7-bit charset (a common mislabelling); an unknown charset is read
// as UTF-8 with invalid bytes replaced.
func (p *Part) Text() string {
	b := bytes.TrimPrefix(p.Data, []byte("\xef\xbb\xbf"))
	cs := p.charset
	if cs == "" || cs == "us-ascii" || cs == "ascii" || cs == "utf-8" || cs == "utf8" || utf8.Valid(b) && hasHighBytes(b) && sevenBit(cs) {
		return strings.ToValidUTF8(string(b), "\uFFFD")
	}
	r, err := charset.Reader(cs, bytes.NewReader(b))
	if err != nil {
		return strings.ToValidUTF8(string(b), "\uFFFD")
	}
	out, err := io.ReadAll(r)
	if err != nil && len(out) == 0 {
		return strings.ToValidUTF8(string(b), "\uFFFD")
	}
	return strings.ToValidUTF8(string(out), "\uFFFD")
}

func hasHighBytes(b []byte) bool {
	for _, c := range b {
		if c >= 0x80 {
			return true
		}
	}
	return false
}

// sevenBit reports charsets whose text can hold no 8-bit bytes.
func sevenBit(cs string) bool {
	return strings.HasPrefix(cs, "iso-2022") || cs == "us-ascii" || cs == "hz-gb-2312" || cs == "utf-7"
}

// inlineText reports whether a part is inline text that Gmail reads for
// snippets and search: a text/plain or text/html leaf without a filename.
func (p *Part) inlineText(sub string) bool {
	return !p.IsContainer() && p.MimeType == "text/"+sub && p.Filename == "" && p.disposition != "attachment"
}

// findText returns the first inline text/<sub> leaf, not looking inside
// attached messages.
func findText(p *Part, sub string) *Part {
	if p.inlineText(sub) {
		return p
	}
	if p.MimeType == "message/rfc822" && p.PartID != "" {
		return nil
	}
	for _, c := range p.Parts {
		if f := findText(c, sub); f != nil {
			return f
		}
	}
	return nil
}

// HTMLText extracts the visible text of an HTML document: no tags, no
// script, style or head, entities decoded, block boundaries as line breaks.
func HTMLText(doc string) string { return htmlText(doc, false) }

// htmlText is HTMLText; with images it also keeps each image's alt text
// (else its title), as Gmail does for the snippet of HTML-only mail.
func htmlText(doc string, images bool) string {
	z := xhtml.NewTokenizer(strings.NewReader(doc))
	var b strings.Builder
	skip := 0
	for {
		tt := z.Next()
		switch tt {
		case xhtml.ErrorToken:
			return b.String()
		case xhtml.TextToken:
			if skip == 0 {
				b.Write(z.Text())
			}
		case xhtml.StartTagToken, xhtml.SelfClosingTagToken:
			name, hasAttr := z.TagName()
			switch string(name) {
			case "script", "style", "head", "title":
				if tt == xhtml.StartTagToken {
					skip++
				}
			case "br", "p", "div", "tr", "td", "li", "h1", "h2", "h3", "h4", "h5", "h6", "table", "blockquote", "hr":
				b.WriteByte('\n')
			case "img":
				if images && hasAttr && skip == 0 {
					var alt, title string
					for {
						k, v, more := z.TagAttr()
						switch string(k) {
						case "alt":
							alt = string(v)
						case "title":
							title = string(v)
						}
						if !more {
							break
						}
					}
					if alt == "" {
						alt = title
					}
					b.WriteByte(' ')
					b.WriteString(alt)
				}
				b.WriteByte(' ')
			default:
				if tt == xhtml.SelfClosingTagToken {
					b.WriteByte(' ')
				}
			}
		case xhtml.EndTagToken:
			name, _ := z.TagName()
			switch string(name) {
			case "script", "style", "head", "title":
				if skip > 0 {
					skip--
				}
			case "p", "div", "tr", "td", "li", "h1", "h2", "h3", "h4", "h5", "h6", "table", "blockquote":
				b.WriteByte('\n')
			}
		}
	}
}

// collapse turns every run of white space into one space and trims.
func collapse(s string) string {
	return strings.Join(strings.FieldsFunc(s, func(r rune) bool {
		return unicode.IsSpace(r) || r == '\u200b' || r == '\u00a0'
	}), " ")
}

// Snippet builds Gmail's snippet for a message tree: the text of its HTML
// part if it has one (with images' alt text when the message has no plain
// part), else of its plain part; white space collapsed, a line break
// between CJK characters dropped rather than made a space, cut to
// snippetMax characters even inside a word, then HTML-escaped. "" when the
// message has no inline text.
func Snippet(root *Part) string {
	var text string
	if h := findText(root, "html"); h != nil {
		text = htmlText(h.Text(), findText(root, "plain") == nil)
	} else if t := findText(root, "plain"); t != nil {
		text = t.Text()
	}
	return snippetOf(text)
}

// snippetOf makes a snippet of a message's text (HTML already reduced to
// text).
func snippetOf(text string) string { return escapeSnippet(snippetText(text, snippetMax)) }

// snippetText collapses s's white space and keeps its first n characters.
// A run of white space becomes one space, except that a run holding a line
// break between two CJK characters goes: Gmail joins CJK sentences on
// separate lines without a space.
func snippetText(s string, n int) string {
	var b strings.Builder
	count := 0
	space, newline := false, false
	var last rune
	for _, r := range s {
		if r == '\n' || r == '\r' {
			space, newline = b.Len() > 0, b.Len() > 0
			continue
		}
		if unicode.IsSpace(r) || r == '\u200b' || r == '\u00a0' {
			space = b.Len() > 0
			continue
		}
		if count == n {
			break
		}
		if space && !(newline && cjk(last) && cjk(r)) {
			b.WriteByte(' ')
			if count++; count == n {
				break
			}
		}
		space, newline = false, false
		b.WriteRune(r)
		last = r
		count++
	}
	return strings.TrimRight(b.String(), " ")
}

// cjk reports Chinese and Japanese characters and punctuation, which
// Gmail runs together without spaces.
func cjk(r rune) bool {
	return unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana) ||
		r >= 0x3000 && r <= 0x303f || r >= 0xff00 && r <= 0xffef
}

var snippetEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;", "'", "&#39;")

func escapeSnippet(s string) string { return snippetEscaper.Replace(s) }

// plainText returns the inline text of a message for full-text search:
// every inline text leaf outside attached messages, HTML reduced to text,
// and of the alternatives of a multipart/alternative only the last one
// with text (they say the same thing; the last is the richest).
func plainText(root *Part) string {
	htmlOnly := findText(root, "plain") == nil
	var b strings.Builder
	searchLeaves(root, func(p *Part) {
		if p.MimeType == "text/html" {
			b.WriteString(htmlText(p.Text(), htmlOnly))
		} else {
			b.WriteString(p.Text())
		}
		b.WriteByte(' ')
	})
	return b.String()
}

// searchLeaves calls fn for the leaves plainText reads, in order.
func searchLeaves(p *Part, fn func(p *Part)) {
	if p.inlineText("plain") || p.inlineText("html") {
		fn(p)
	}
	if p.MimeType == "message/rfc822" && p.PartID != "" {
		return
	}
	if p.MimeType == "multipart/alternative" {
		for i := len(p.Parts) - 1; i >= 0; i-- {
			if hasSearchText(p.Parts[i]) {
				searchLeaves(p.Parts[i], fn)
				return
			}
		}
		return
	}
	for _, c := range p.Parts {
		searchLeaves(c, fn)
	}
}

func hasSearchText(p *Part) bool {
	found := false
	searchLeaves(p, func(*Part) { found = true })
	return found
}
