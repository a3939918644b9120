package httpapi

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/jarvis-hq/jarvis"
)

// Cookie names. The session cookie is HttpOnly; the CSRF cookie is readable
// by the dashboard's script, which echoes it in the CSRF header.
const (
	sessionCookie = "jarvis_session"
	csrfCookie    = "jarvis_csrf"
	csrfHeader    = "X-CSRF-Token"
)

// authedHandler is a handler that runs for an authenticated user.
type authedHandler func(w http.ResponseWriter, r *http.Request, u *jarvis.User)

// authed authenticates the request — a bearer token, or else the session
// cookie with a CSRF check on unsafe methods — and puts the user in the
// context. Tokens in the query string are never looked at.
func (s *Server) authed(h authedHandler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, tok, err := s.authenticate(r)
		if err != nil {
			w.Header().Set("WWW-Authenticate", `Bearer realm="jarvis"`)
			s.Error(w, r, err)
			return
		}
		if _, viaCookie, _ := credentials(r); viaCookie {
			// A session whose CSRF cookie is missing or stale (a planted
			// one, or one from before tokens were derived) gets the right one.
			if c, err := r.Cookie(csrfCookie); err != nil || c.Value != s.csrfToken(tok) {
				s.setCSRFCookie(w, tok)
			}
		}
		ctx := jarvis.NewContextWithUser(r.Context(), u)
		ctx = withToken(ctx, tok)
		h(w, r.WithContext(ctx), u)
	})
}

// errMCPToken refuses a token issued to an MCP client: it is bound to /mcp.
var errMCPToken = &jarvis.Error{Code: jarvis.EUNAUTHORIZED, Message: "This is an MCP token: it works only at /mcp, never on the REST API."}

var errNoCredentials = &jarvis.Error{Code: jarvis.EUNAUTHORIZED, Message: "Sign in, or send an access token in the Authorization header."}

func (s *Server) authenticate(r *http.Request) (*jarvis.User, *jarvis.AccessToken, error) {
	raw, viaCookie, err := credentials(r)
	if err != nil {
		return nil, nil, err
	}
	if strings.HasPrefix(raw, "jmcp_") {
		return nil, nil, errMCPToken
	}
	tok, err := s.Tokens.Verify(raw)
	if err != nil {
		return nil, nil, err
	}
	if viaCookie && !safeMethod(r.Method) {
		if err := s.checkCSRF(r, tok); err != nil {
			return nil, nil, err
		}
	}
	u, revoked, err := s.Revocations.FindUserForToken(r.Context(), tok.UserID, tok.ID)
	if jarvis.IsCode(err, jarvis.ENOTFOUND) {
		return nil, nil, &jarvis.Error{Code: jarvis.EUNAUTHORIZED, Message: "The access token is invalid or expired.", Err: err}
	} else if err != nil {
		return nil, nil, err
	}
	if revoked {
		return nil, nil, &jarvis.Error{Code: jarvis.EUNAUTHORIZED, Message: "The access token is invalid or expired.", Err: errors.New("token revoked")}
	}
	if tok.TokenVersion != u.TokenVersion {
		return nil, nil, &jarvis.Error{Code: jarvis.EUNAUTHORIZED, Message: "The access token is invalid or expired.", Err: errors.New("token version revoked")}
	}
	return u, tok, nil
}

// credentials returns the raw token of the request and whether it came from
// the session cookie.
func credentials(r *http.Request) (string, bool, error) {
	if h := r.Header.Get("Authorization"); h != "" {
		scheme, tok, ok := strings.Cut(h, " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(tok) == "" {
			return "", false, &jarvis.Error{Code: jarvis.EUNAUTHORIZED, Message: "The Authorization header must be \"Bearer <token>\"."}
		}
		return strings.TrimSpace(tok), false, nil
	}
	if c, err := r.Cookie(sessionCookie); err == nil && c.Value != "" {
		return c.Value, true, nil
	}
	return "", false, errNoCredentials
}

func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

// checkCSRF guards cookie-authenticated writes: the request must come from
// Jarvis's own origin (Sec-Fetch-Site, else Origin) and carry the session's
// CSRF token in the CSRF header. SameSite alone is not enough. The token is
// recomputed from the session, so a jarvis_csrf cookie planted by a sibling
// subdomain is worth nothing.
func (s *Server) checkCSRF(r *http.Request, tok *jarvis.AccessToken) error {
	forbid := func(msg string) error { return &jarvis.Error{Code: jarvis.EFORBIDDEN, Message: msg} }
	if site := r.Header.Get("Sec-Fetch-Site"); site != "" && site != "same-origin" {
		return forbid("Cross-site requests are not allowed.")
	}
	if origin := r.Header.Get("Origin"); origin != "" && origin != s.origin {
		return forbid("Cross-origin requests are not allowed.")
	}
	h := r.Header.Get(csrfHeader)
	if h == "" {
		return forbid("The " + csrfHeader + " header is missing: send the jarvis_csrf cookie's value in it.")
	}
	if subtle.ConstantTimeCompare([]byte(h), []byte(s.csrfToken(tok))) != 1 {
		return forbid("The " + csrfHeader + " header does not match this session: sign in again.")
	}
	return nil
}

// csrfToken is the session's CSRF token: an HMAC of its token id under the
// server's CSRF key.
func (s *Server) csrfToken(tok *jarvis.AccessToken) string {
	m := hmac.New(sha256.New, s.cfg.CSRFKey)
	m.Write([]byte("jarvis csrf\x00" + tok.ID))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// setSession signs the browser in: an HttpOnly session cookie holding the
// token, and a readable CSRF cookie, derived from the session, for the
// dashboard's script to echo in the CSRF header.
func (s *Server) setSession(w http.ResponseWriter, tok *jarvis.AccessToken) {
	maxAge := int(time.Until(tok.ExpiresAt).Seconds())
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: tok.Token, Path: "/", MaxAge: maxAge,
		HttpOnly: true, Secure: s.secure, SameSite: http.SameSiteLaxMode})
	s.setCSRFCookie(w, tok)
}

func (s *Server) setCSRFCookie(w http.ResponseWriter, tok *jarvis.AccessToken) {
	http.SetCookie(w, &http.Cookie{Name: csrfCookie, Value: s.csrfToken(tok), Path: "/", MaxAge: int(time.Until(tok.ExpiresAt).Seconds()),
		HttpOnly: false, Secure: s.secure, SameSite: http.SameSiteStrictMode})
}

// clearSession removes the session cookies.
func (s *Server) clearSession(w http.ResponseWriter) {
	for _, n := range []string{sessionCookie, csrfCookie} {
		http.SetCookie(w, &http.Cookie{Name: n, Value: "", Path: "/", MaxAge: -1, HttpOnly: n == sessionCookie, Secure: s.secure, SameSite: http.SameSiteLaxMode})
	}
}
