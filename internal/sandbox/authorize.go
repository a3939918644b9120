package sandbox

import (
	"embed"
	"html/template"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

//go:embed templates/*.html
var templateFS embed.FS

var pages = template.Must(template.ParseFS(templateFS, "templates/*.html"))

// authRequest is an authorization request waiting on the consent page.
type authRequest struct {
	clientID, redirectURI, state string
	scopes                       []string
	offline, forceConsent        bool
	includeGranted               bool
	challenge, method, nonce     string
	loginHint                    string
	expiry                       time.Time
}

// scopeDescriptions are the consent screen's wording for common scopes.
var scopeDescriptions = map[string]string{
	"openid":     "Associate you with your personal info on Google",
	scopeEmail:   "See your primary Google Account email address",
	scopeProfile: "See your personal info, including any personal info you've made publicly available",
	"https://www.googleapis.com/auth/gmail.readonly":           "View your email messages and settings",
	"https://www.googleapis.com/auth/gmail.modify":             "Read, compose, and send emails from your Gmail account",
	"https://www.googleapis.com/auth/gmail.compose":            "Manage drafts and send emails",
	"https://www.googleapis.com/auth/gmail.metadata":           "View your email message metadata such as labels and headers, but not the email body",
	"https://www.googleapis.com/auth/gmail.labels":             "See and edit your email labels",
	"https://mail.google.com/":                                 "Read, compose, send, and permanently delete all your email from Gmail",
	"https://www.googleapis.com/auth/calendar.readonly":        "See and download any calendar you can access using your Google Calendar",
	"https://www.googleapis.com/auth/calendar":                 "See, edit, share, and permanently delete all the calendars you can access using Google Calendar",
	"https://www.googleapis.com/auth/calendar.events.readonly": "View events on all your calendars",
	"https://www.googleapis.com/auth/calendar.events":          "View and edit events on all your calendars",
	"https://www.googleapis.com/auth/calendar.events.owned":    "See, create, change, and delete events on Google calendars you own",
}

// normalizeScopes splits a scope parameter and gives "email" and "profile"
// their long names, as Google's grants do.
func normalizeScopes(s string) []string {
	var out []string
	for _, sc := range strings.Fields(s) {
		switch sc {
		case "email":
			sc = scopeEmail
		case "profile":
			sc = scopeProfile
		}
		if !slices.Contains(out, sc) {
			out = append(out, sc)
		}
	}
	return out
}

// redirectAllowed accepts the registered URIs exactly, and any http
// loopback URI (127.0.0.1, [::1] or localhost on any port), as Google does
// for installed apps.
func (s *Server) redirectAllowed(uri string) bool {
	if slices.Contains(s.cfg.RedirectURIs, uri) {
		return true
	}
	u, err := url.Parse(uri)
	if err != nil || u.Scheme != "http" || u.User != nil || u.Fragment != "" {
		return false
	}
	host := u.Hostname()
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func (s *Server) errorPage(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_ = pages.ExecuteTemplate(w, "error.html", map[string]any{"Status": status, "Code": code, "Message": msg})
}

// redirect sends the browser back to the client with params (and state).
func redirect(w http.ResponseWriter, r *http.Request, uri, state string, params url.Values) {
	u, _ := url.Parse(uri)
	q := u.Query()
	for k, vs := range params {
		q[k] = vs
	}
	if state != "" {
		q.Set("state", state)
	}
	u.RawQuery = q.Encode()
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "no-referrer")
	http.Redirect(w, r, u.String(), http.StatusFound)
}

func redirectError(w http.ResponseWriter, r *http.Request, req *authRequest, code string) {
	redirect(w, r, req.redirectURI, req.state, url.Values{"error": {code}})
}

// handleAuthorize is the authorization endpoint. It shows the consent page,
// or with prompt=none answers at once: a code for the login_hint account
// with every requested scope, or login_required / account_selection_required.
func (s *Server) handleAuthorize(w http.ResponseWriter, r *http.Request) {
	s.count("oauth.authorize")
	q := r.URL.Query()
	if q.Get("client_id") != s.cfg.ClientID {
		s.errorPage(w, http.StatusUnauthorized, "invalid_client", "The OAuth client was not found.")
		return
	}
	req := &authRequest{
		clientID:       q.Get("client_id"),
		redirectURI:    q.Get("redirect_uri"),
		state:          q.Get("state"),
		scopes:         normalizeScopes(q.Get("scope")),
		offline:        q.Get("access_type") == "offline",
		includeGranted: q.Get("include_granted_scopes") == "true",
		challenge:      q.Get("code_challenge"),
		method:         q.Get("code_challenge_method"),
		nonce:          q.Get("nonce"),
		loginHint:      strings.ToLower(q.Get("login_hint")),
		expiry:         s.now().Add(pendingTTL),
	}
	if !s.redirectAllowed(req.redirectURI) {
		s.errorPage(w, http.StatusBadRequest, "redirect_uri_mismatch",
			"The redirect URI in the request, "+req.redirectURI+", does not match the ones authorized for the OAuth client.")
		return
	}
	if rt := q.Get("response_type"); rt != "code" {
		redirectError(w, r, req, "unsupported_response_type")
		return
	}
	if len(req.scopes) == 0 {
		redirectError(w, r, req, "invalid_request")
		return
	}
	if req.challenge != "" && req.method == "" {
		req.method = "plain"
	}
	if req.method != "" && (req.challenge == "" || req.method != "S256" && req.method != "plain") {
		redirectError(w, r, req, "invalid_request")
		return
	}
	prompts := strings.Fields(q.Get("prompt"))
	req.forceConsent = slices.Contains(prompts, "consent")
	if slices.Contains(prompts, "none") {
		a := s.byEmail[req.loginHint]
		switch {
		case a == nil && req.loginHint == "" && len(s.accounts) == 1:
			a = s.accounts[0]
		case a == nil && req.loginHint == "":
			redirectError(w, r, req, "account_selection_required")
			return
		case a == nil:
			redirectError(w, r, req, "login_required")
			return
		}
		s.grant(w, r, req, a, req.scopes)
		return
	}
	s.tokens.mu.Lock()
	for k, p := range s.tokens.pending {
		if s.now().After(p.expiry) {
			delete(s.tokens.pending, k)
		}
	}
	id := randomToken(24)
	s.tokens.pending[id] = req
	s.tokens.mu.Unlock()
	s.consentPage(w, r, id, req)
}

type consentAccount struct {
	Email, Name string
	Selected    bool
}

type consentScope struct{ Scope, Description string }

func (s *Server) consentPage(w http.ResponseWriter, r *http.Request, id string, req *authRequest) {
	hinted := s.byEmail[req.loginHint] != nil
	var accts []consentAccount
	for i, a := range s.accounts {
		accts = append(accts, consentAccount{Email: a.email, Name: a.name, Selected: a.email == req.loginHint || !hinted && i == 0})
	}
	var scopes []consentScope
	for _, sc := range req.scopes {
		d := scopeDescriptions[sc]
		if d == "" {
			d = "Use " + sc
		}
		scopes = append(scopes, consentScope{Scope: sc, Description: d})
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Frame-Options", "DENY")
	w.Header().Set("Referrer-Policy", "no-referrer")
	_ = pages.ExecuteTemplate(w, "consent.html", map[string]any{
		"Client":   req.clientID,
		"Action":   r.URL.Path,
		"Request":  id,
		"Accounts": accts,
		"Scopes":   scopes,
	})
}

// handleConsent takes the consent page's answer: Deny redirects with
// access_denied; Allow with the chosen account and the ticked scopes.
func (s *Server) handleConsent(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		s.errorPage(w, http.StatusBadRequest, "invalid_request", "The consent form could not be read.")
		return
	}
	s.tokens.mu.Lock()
	id := r.PostForm.Get("request")
	req := s.tokens.pending[id]
	delete(s.tokens.pending, id)
	s.tokens.mu.Unlock()
	if req == nil || s.now().After(req.expiry) {
		s.errorPage(w, http.StatusBadRequest, "invalid_request", "This sign-in request has expired or was already answered. Start again from the app.")
		return
	}
	if r.PostForm.Get("decision") != "allow" {
		redirectError(w, r, req, "access_denied")
		return
	}
	a := s.byEmail[strings.ToLower(r.PostForm.Get("account"))]
	if a == nil {
		s.errorPage(w, http.StatusBadRequest, "invalid_request", "Choose one of the listed accounts.")
		return
	}
	var granted []string
	for _, sc := range req.scopes {
		if slices.Contains(r.PostForm["scope"], sc) {
			granted = append(granted, sc)
		}
	}
	if len(granted) == 0 {
		redirectError(w, r, req, "access_denied")
		return
	}
	s.grant(w, r, req, a, granted)
}

// grant issues a code for the account and redirects back with it.
func (s *Server) grant(w http.ResponseWriter, r *http.Request, req *authRequest, a *account, scopes []string) {
	if req.includeGranted {
		if prev, ok := s.tokens.previousConsent(a.email, req.clientID); ok {
			scopes = union(prev, scopes)
		}
	}
	code := s.tokens.newCode(&authCode{
		email: a.email, clientID: req.clientID, redirectURI: req.redirectURI,
		scopes: scopes, challenge: req.challenge, method: req.method, nonce: req.nonce,
		offline: req.offline, forceConsent: req.forceConsent,
	})
	redirect(w, r, req.redirectURI, req.state, url.Values{
		"code":     {code},
		"scope":    {strings.Join(scopes, " ")},
		"authuser": {"0"},
		"iss":      {s.base},
	})
}
