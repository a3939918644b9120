package httpapi

import (
	"bytes"
	"net/http"

	"golang.org/x/net/html"

	"github.com/jarvis-hq/jarvis"
)

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
	account, err := accountParam(r, false)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	m, err := s.Mail.GetMessage(r.Context(), u.ID, account, mid)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	body := m.HTML
	if body == "" {
		body = "<pre>" + html.EscapeString(m.Text) + "</pre>"
	}
	clean := sanitizeMail(body, m, remote, s.ownHosts(r))
	imgSrc := "'self' data:"
	if remote {
		imgSrc += " https: http:"
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "private, no-store")
	h.Set("X-Frame-Options", "SAMEORIGIN")
	// sandbox makes the page a sandbox even when opened on its own, not in
	// the dashboard's sandboxed iframe: no script, form, plugin or top
	// navigation. It keeps its origin (with no script there is nothing to
	// abuse it) so that cid: images load with the session and the
	// dashboard can size the frame; popups are for links, which open apart.
	h.Set("Content-Security-Policy", "default-src 'none'; img-src "+imgSrc+"; style-src 'unsafe-inline'; font-src data:; script-src 'none'; "+
		"form-action 'none'; base-uri 'none'; frame-ancestors 'self'; sandbox allow-same-origin allow-popups allow-popups-to-escape-sandbox")
	var buf bytes.Buffer
	buf.WriteString(`<!doctype html><html><head><meta charset="utf-8"><meta name="referrer" content="no-referrer">` +
		`<style>body{font-family:system-ui,sans-serif;margin:0;padding:12px;word-wrap:break-word;color-scheme:light}img{max-width:100%;height:auto}pre{white-space:pre-wrap}</style>` +
		`</head><body>`)
	buf.WriteString(clean)
	buf.WriteString(`</body></html>`)
	_, _ = w.Write(buf.Bytes())
}
