package google

import (
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// htmlToText renders an HTML document as readable plain text, for messages
// that have no plain part (and for drafts written in HTML only). It uses a
// real HTML parser: script, style, head and the like are skipped, block
// elements and <br> break lines, list items get "- ", table cells are
// separated by spaces and rows by lines, links keep their text followed by
// " (url)" when the address says something the text does not, images show
// their alt text, <pre> keeps its spacing. Entities are decoded, whitespace
// runs collapse to one space, blank-line runs to one blank line. The result
// is valid UTF-8 with LF line ends.
func htmlToText(s string) string {
	doc, err := html.Parse(strings.NewReader(s))
	if err != nil {
		// html.Parse only fails on reader errors; keep the text readable anyway.
		return cleanText(html.UnescapeString(s))
	}
	var t textWriter
	t.node(doc)
	return t.result()
}

// textWriter accumulates text with pending line breaks, so that nested
// blocks do not pile up empty lines.
type textWriter struct {
	b         strings.Builder
	breaks    int  // line breaks owed before the next text: 1 newline, 2 blank line
	space     bool // a space is owed before the next text
	pre       int  // depth of <pre>
	listDepth int
}

func (t *textWriter) lineBreak(n int) {
	if t.b.Len() == 0 {
		return
	}
	t.breaks = max(t.breaks, n)
	t.space = false
}

func (t *textWriter) text(s string) {
	if t.pre > 0 {
		t.flush()
		t.b.WriteString(strings.ReplaceAll(s, "\r\n", "\n"))
		return
	}
	s = collapseSpace(s)
	if s == "" {
		return
	}
	if s[0] == ' ' {
		t.space = true
	}
	trailing := s[len(s)-1] == ' '
	s = strings.Trim(s, " ")
	if s == "" {
		return
	}
	if t.breaks > 0 {
		t.flush()
	} else if t.space && !endsWithSpace(t.b.String()) {
		t.b.WriteByte(' ')
	}
	t.b.WriteString(s)
	t.space = trailing
}

// flush writes the line breaks owed.
func (t *textWriter) flush() {
	if t.breaks > 0 && t.b.Len() > 0 {
		t.b.WriteString(strings.Repeat("\n", t.breaks))
		t.space = false
	}
	t.breaks = 0
}

func endsWithSpace(s string) bool {
	return s == "" || strings.HasSuffix(s, " ") || strings.HasSuffix(s, "\n")
}

var skipped = map[atom.Atom]bool{
	atom.Script: true, atom.Style: true, atom.Head: true, atom.Title: true,
	atom.Noscript: true, atom.Template: true, atom.Iframe: true, atom.Object: true,
	atom.Svg: true, atom.Select: true, atom.Button: true,
}

// blocks break the line before and after; paragraphs leave a blank line.
var blocks = map[atom.Atom]int{
	atom.P: 2, atom.H1: 2, atom.H2: 2, atom.H3: 2, atom.H4: 2, atom.H5: 2, atom.H6: 2,
	atom.Blockquote: 2, atom.Pre: 2, atom.Table: 1, atom.Ul: 1, atom.Ol: 1, atom.Dl: 1,
	atom.Div: 1, atom.Tr: 1, atom.Li: 1, atom.Dt: 1, atom.Dd: 1, atom.Hr: 1,
	atom.Section: 1, atom.Article: 1, atom.Header: 1, atom.Footer: 1, atom.Nav: 1,
	atom.Aside: 1, atom.Main: 1, atom.Address: 1, atom.Figure: 1, atom.Figcaption: 1,
	atom.Form: 1, atom.Fieldset: 1, atom.Center: 1, atom.Caption: 1, atom.Details: 1,
	atom.Summary: 1, atom.Tbody: 1, atom.Thead: 1, atom.Tfoot: 1, atom.Body: 1,
}

func (t *textWriter) node(n *html.Node) {
	switch n.Type {
	case html.TextNode:
		t.text(n.Data)
		return
	case html.DocumentNode:
		t.children(n)
		return
	case html.ElementNode:
	default:
		return
	}
	if skipped[n.DataAtom] {
		return
	}
	switch n.DataAtom {
	case atom.Br:
		t.flush()
		if t.b.Len() > 0 {
			t.b.WriteByte('\n')
		}
		t.space = false
		return
	case atom.Img:
		if alt := strings.TrimSpace(attr(n, "alt")); alt != "" {
			t.text(" " + alt + " ")
		}
		return
	case atom.Td, atom.Th:
		t.text(" ")
		t.children(n)
		t.text(" ")
		return
	case atom.A:
		start := t.b.Len()
		t.children(n)
		label := strings.TrimSpace(t.b.String()[start:])
		if link := linkSuffix(attr(n, "href"), label); link != "" {
			t.text(" (" + link + ")")
		}
		return
	case atom.Hr:
		t.lineBreak(1)
		t.text("---")
		t.lineBreak(1)
		return
	}
	br, isBlock := blocks[n.DataAtom]
	if isBlock {
		t.lineBreak(br)
	}
	switch n.DataAtom {
	case atom.Pre:
		t.pre++
		defer func() { t.pre-- }()
	case atom.Ul, atom.Ol:
		t.listDepth++
		defer func() { t.listDepth-- }()
	case atom.Li:
		t.flush()
		t.b.WriteString(strings.Repeat("  ", min(max(t.listDepth-1, 0), 8)) + "- ")
		t.space = false
	}
	t.children(n)
	if isBlock {
		t.lineBreak(br)
	}
}

func (t *textWriter) children(n *html.Node) {
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		t.node(c)
	}
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Namespace == "" && a.Key == key {
			return a.Val
		}
	}
	return ""
}

// linkSuffix returns the address to show after a link's text, or "" when
// it adds nothing: no or in-page href, a scheme other than http(s) or
// mailto, or an address the text already shows.
func linkSuffix(href, label string) string {
	href = strings.TrimSpace(href)
	u, err := url.Parse(href)
	if err != nil || href == "" {
		return ""
	}
	var shown string
	switch strings.ToLower(u.Scheme) {
	case "http", "https":
		shown = href
	case "mailto":
		shown = u.Opaque
		if shown == "" {
			shown = strings.TrimPrefix(u.Path, "/")
		}
		if shown == "" {
			return ""
		}
	default:
		return ""
	}
	if label == "" {
		return shown
	}
	norm := func(s string) string {
		s = strings.ToLower(strings.TrimSpace(s))
		for _, p := range []string{"mailto:", "https://", "http://", "www."} {
			s = strings.TrimPrefix(s, p)
		}
		return strings.TrimRight(s, "/")
	}
	if norm(label) == norm(shown) || norm(label) == norm(href) {
		return ""
	}
	return shown
}

// ignorable are invisible runes that newsletters pad their preheaders with.
func ignorable(r rune) bool {
	switch r {
	case '\u200b', '\u200c', '\u034f', '\ufeff', '\u00ad', '\u2060':
		return true
	}
	return false
}

// collapseSpace turns each run of whitespace (with any invisible padding
// runes in it) into one space. Invisible runes outside whitespace runs are
// kept only if they carry meaning (ZWNJ between letters).
func collapseSpace(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if !unicode.IsSpace(r) && !ignorable(r) {
			b.WriteRune(r)
			i += n
			continue
		}
		j, sawSpace := i, false
		var kept []rune
		for j < len(s) {
			r, n := utf8.DecodeRuneInString(s[j:])
			if unicode.IsSpace(r) {
				sawSpace = true
			} else if ignorable(r) {
				if r == '\u200c' {
					kept = append(kept, r)
				}
			} else {
				break
			}
			j += n
		}
		if sawSpace {
			b.WriteByte(' ')
		} else {
			for _, r := range kept {
				b.WriteRune(r)
			}
		}
		i = j
	}
	return b.String()
}

func (t *textWriter) result() string { return cleanText(t.b.String()) }

// cleanText trims trailing spaces from lines, collapses runs of blank lines
// to one and trims the whole.
func cleanText(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.ReplaceAll(s, "\u00a0", " ")
	lines := strings.Split(s, "\n")
	out := lines[:0]
	blank := 0
	for _, l := range lines {
		l = strings.TrimRightFunc(l, unicode.IsSpace)
		if l == "" {
			blank++
			if blank > 1 {
				continue
			}
		} else {
			blank = 0
		}
		out = append(out, l)
	}
	return strings.Trim(strings.Join(out, "\n"), "\n")
}
