package httpapi

import (
	"bytes"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"

	"github.com/microcosm-cc/bluemonday"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"

	"github.com/jarvis-hq/jarvis"
)

// mailPolicy is the first pass over email HTML: formatting, tables, links
// and images survive; scripts, forms, frames, <base>, event handlers,
// relative URLs and unknown schemes do not. URLs it keeps are parsed and
// re-serialised (entities decoded, scheme lower-cased); mailURLs then
// decides, per element and attribute, which of them may stay.
var mailPolicy = sync.OnceValue(func() *bluemonday.Policy {
	p := bluemonday.UGCPolicy()
	p.AllowElements("center", "font", "span", "div", "section", "header", "footer", "article", "u", "s")
	p.AllowAttrs("align", "valign", "width", "height", "bgcolor", "border", "cellpadding", "cellspacing", "color", "face", "size").Globally()
	p.AllowStyles("color", "background-color", "font-size", "font-family", "font-weight", "font-style", "text-align", "text-decoration",
		"line-height", "margin", "margin-top", "margin-bottom", "margin-left", "margin-right", "padding", "padding-top", "padding-bottom",
		"padding-left", "padding-right", "border", "border-collapse", "width", "max-width", "height", "display", "vertical-align").Globally()
	p.AllowRelativeURLs(false)
	p.AllowURLSchemes("http", "https", "mailto", "data", "cid")
	p.AddTargetBlankToFullyQualifiedLinks(true)
	p.RequireNoReferrerOnLinks(true)
	return p
})

// sanitizeMail makes a message's HTML safe to show (SECURITY.md line 41):
// the policy's pass, then every URL attribute is held to what its element
// may point at. Images may be data:image/… or cid: (pointed at the
// attachment route), or — only when remote is set — absolute http(s);
// links may be absolute http(s) or mailto:. No URL may be relative,
// protocol-relative, or on one of Jarvis's own hosts (own), whatever remote
// says: mail must not make the browser send the user's cookies to Jarvis.
// srcset, background and every other URL attribute go.
func sanitizeMail(body string, m *jarvis.Message, remote bool, own []string) string {
	clean := mailPolicy().Sanitize(body)
	ctx := &html.Node{Type: html.ElementNode, Data: "body", DataAtom: atom.Body}
	nodes, err := html.ParseFragment(strings.NewReader(clean), ctx)
	if err != nil {
		return html.EscapeString(clean)
	}
	byCID := map[string]string{}
	for _, a := range m.Attachments {
		if a.ContentID != "" {
			byCID[strings.ToLower(a.ContentID)] = "/gmail/message/" + url.PathEscape(m.ID) + "/attachment/" + url.PathEscape(a.ID)
		}
	}
	f := mailURLs{remote: remote, own: own, byCID: byCID}
	var buf bytes.Buffer
	for _, n := range nodes {
		f.walk(n)
		if err := html.Render(&buf, n); err != nil {
			return ""
		}
	}
	return buf.String()
}

// mailURLs filters the URL attributes of sanitised mail.
type mailURLs struct {
	remote bool
	own    []string
	byCID  map[string]string
}

// urlAttrs are the attributes that hold a URL a browser may fetch or
// follow, on any element.
var urlAttrs = map[string]bool{
	"href": true, "src": true, "srcset": true, "background": true, "action": true, "formaction": true, "poster": true,
	"cite": true, "longdesc": true, "lowsrc": true, "dynsrc": true, "usemap": true, "ping": true, "data": true,
	"codebase": true, "classid": true, "archive": true, "manifest": true, "icon": true, "profile": true, "xlink:href": true,
}

func (f *mailURLs) walk(n *html.Node) {
	if n.Type == html.ElementNode {
		attrs := n.Attr[:0]
		blocked := false
		for _, a := range n.Attr {
			key := strings.ToLower(a.Key)
			if a.Namespace != "" {
				key = strings.ToLower(a.Namespace) + ":" + key
			}
			if !urlAttrs[key] {
				attrs = append(attrs, a)
				continue
			}
			v, ok, remoteImage := f.allowed(n.DataAtom, key, a.Val)
			if remoteImage && !f.remote {
				blocked = true
				continue
			}
			if ok {
				a.Val = v
				attrs = append(attrs, a)
			}
		}
		n.Attr = attrs
		if blocked {
			n.Attr = append(withoutAttr(n.Attr, "alt"), html.Attribute{Key: "alt", Val: "[remote image blocked]"})
		}
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		f.walk(c)
	}
}

// allowed returns the value a URL attribute may keep, whether it may keep
// one, and whether it is a remote image (kept only when asked for).
func (f *mailURLs) allowed(el atom.Atom, key, raw string) (string, bool, bool) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return "", false, false
	}
	scheme := strings.ToLower(u.Scheme)
	switch {
	case key == "src" && el == atom.Img:
		switch scheme {
		case "data":
			return raw, strings.HasPrefix(strings.ToLower(u.Opaque), "image/"), false
		case "cid":
			id, _ := url.PathUnescape(u.Opaque)
			path, ok := f.byCID[strings.ToLower(strings.Trim(id, "<>"))]
			return path, ok, false
		case "http", "https":
			if f.isOwn(u) {
				return "", false, false
			}
			return u.String(), true, true
		}
	case key == "href" && (el == atom.A || el == atom.Area):
		switch scheme {
		case "mailto":
			return u.String(), true, false
		case "http", "https":
			return u.String(), !f.isOwn(u), false
		}
	}
	return "", false, false
}

// isOwn reports whether an absolute URL is on one of Jarvis's own hosts
// (any port), or has no host at all.
func (f *mailURLs) isOwn(u *url.URL) bool {
	h := strings.TrimSuffix(strings.ToLower(u.Hostname()), ".")
	if h == "" {
		return true
	}
	for _, o := range f.own {
		if h == o {
			return true
		}
	}
	return false
}

func withoutAttr(attrs []html.Attribute, key string) []html.Attribute {
	out := attrs[:0]
	for _, a := range attrs {
		if a.Key != key {
			out = append(out, a)
		}
	}
	return out
}

// ownHosts are the host names under which this Jarvis is reached: its
// public URL's and the request's.
func (s *Server) ownHosts(r *http.Request) []string {
	var hosts []string
	add := func(hostport string) {
		h := hostport
		if host, _, err := net.SplitHostPort(hostport); err == nil {
			h = host
		}
		h = strings.TrimSuffix(strings.ToLower(strings.Trim(h, "[]")), ".")
		if h != "" {
			hosts = append(hosts, h)
		}
	}
	if u, err := url.Parse(s.origin); err == nil {
		add(u.Host)
	}
	add(r.Host)
	return hosts
}
