package httpapi

import (
	"bytes"
	"net/http"
	"net/url"
	"strings"
	"sync"

	"github.com/microcosm-cc/bluemonday"
	"golang.org/x/net/html"

	"github.com/jarvis-hq/jarvis"
)

// mailPolicy sanitises email HTML: formatting, tables, links and images
// survive; scripts, forms, frames, event handlers and dangerous URLs do not.
var mailPolicy = sync.OnceValue(func() *bluemonday.Policy {
	p := bluemonday.UGCPolicy()
	p.AllowElements("center", "font", "span", "div", "section", "header", "footer", "article", "u", "s")
	p.AllowAttrs("align", "valign", "width", "height", "bgcolor", "border", "cellpadding", "cellspacing", "color", "face", "size").Globally()
	p.AllowStyles("color", "background-color", "font-size", "font-family", "font-weight", "font-style", "text-align", "text-decoration",
		"line-height", "margin", "margin-top", "margin-bottom", "margin-left", "margin-right", "padding", "padding-top", "padding-bottom",
		"padding-left", "padding-right", "border", "border-collapse", "width", "max-width", "height", "display", "vertical-align").Globally()
	p.AllowRelativeURLs(true)
	p.AllowURLSchemes("http", "https", "mailto", "data")
	p.AddTargetBlankToFullyQualifiedLinks(true)
	p.RequireNoReferrerOnLinks(true)
	return p
})

// messageHTML serves a message's HTML part, sanitised, as a page of its own
// for a sandboxed iframe. Its CSP allows no script at all, and remote images
// only when the user asked for them (images=1); cid: images are rewritten to
// the attachment route.
func (s *Server) messageHTML(w http.ResponseWriter, r *http.Request, u *jarvis.User) {
	mid := r.PathValue("message_id")
	if err := validGmailID("message_id", mid); err != nil {
		s.Error(w, r, err)
		return
	}
	remote := r.URL.Query().Get("images") == "1"
	m, err := s.Mail.GetMessage(r.Context(), u.ID, mid)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	body := m.HTML
	if body == "" {
		body = "<pre>" + html.EscapeString(m.Text) + "</pre>"
	}
	clean := mailPolicy().Sanitize(rewriteImages(body, m, remote))
	imgSrc := "'self' data:"
	if remote {
		imgSrc += " https: http:"
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "private, no-store")
	h.Set("X-Frame-Options", "SAMEORIGIN")
	h.Set("Content-Security-Policy", "default-src 'none'; img-src "+imgSrc+"; style-src 'unsafe-inline'; font-src data:; script-src 'none'; "+
		"form-action 'none'; base-uri 'none'; frame-ancestors 'self'")
	var buf bytes.Buffer
	buf.WriteString(`<!doctype html><html><head><meta charset="utf-8"><meta name="referrer" content="no-referrer">` +
		`<style>body{font-family:system-ui,sans-serif;margin:0;padding:12px;word-wrap:break-word;color-scheme:light}img{max-width:100%;height:auto}pre{white-space:pre-wrap}</style>` +
		`</head><body>`)
	buf.WriteString(clean)
	buf.WriteString(`</body></html>`)
	_, _ = w.Write(buf.Bytes())
}

// rewriteImages points cid: image sources at the attachment route, using
// the message's attachments' Content-IDs (unknown cids are dropped), and —
// unless remote images were asked for — removes remote image sources, so
// that the browser does not even try to fetch them (the CSP would block
// them too).
func rewriteImages(body string, m *jarvis.Message, remote bool) string {
	lower := strings.ToLower(body)
	if !strings.Contains(lower, "cid:") && (remote || !strings.Contains(lower, "<img")) {
		return body
	}
	byCID := map[string]string{}
	for _, a := range m.Attachments {
		if a.ContentID != "" {
			byCID[strings.ToLower(a.ContentID)] = "/gmail/message/" + url.PathEscape(m.ID) + "/attachment/" + url.PathEscape(a.ID)
		}
	}
	doc, err := html.Parse(strings.NewReader(body))
	if err != nil {
		return body
	}
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode && (n.Data == "img" || n.Data == "source") {
			attrs := n.Attr[:0]
			for _, a := range n.Attr {
				v := strings.ToLower(strings.TrimSpace(a.Val))
				switch {
				case a.Key == "src" && strings.HasPrefix(v, "cid:"):
					id, _ := url.PathUnescape(strings.TrimSpace(a.Val)[4:])
					a.Val = byCID[strings.ToLower(strings.Trim(id, "<>"))]
				case (a.Key == "src" || a.Key == "srcset") && !remote && !strings.HasPrefix(v, "data:"):
					if a.Key == "src" {
						attrs = append(attrs, html.Attribute{Key: "alt", Val: "[remote image blocked]"})
					}
					continue
				}
				attrs = append(attrs, a)
			}
			n.Attr = attrs
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	var buf bytes.Buffer
	if err := html.Render(&buf, doc); err != nil {
		return body
	}
	return buf.String()
}
