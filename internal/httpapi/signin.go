package httpapi

import (
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/jarvis-hq/jarvis"
)

func (s *Server) registerGoogleRoutes() {
	s.handle("GET /auth/google/start", http.HandlerFunc(s.startSignIn))
	s.handle("GET /auth/google/callback", http.HandlerFunc(s.browserCallback))
	s.handle("POST /auth/google/callback", http.HandlerFunc(s.apiCallback))
	s.handle("DELETE /auth/google", s.authed(s.disconnectGoogle))

	s.handle("GET /gmail/labels", s.google(s.listLabels))
	s.handle("GET /gmail/threads", s.google(s.listThreads))
	s.handle("GET /gmail/thread/{id}", s.google(s.getThread))
	s.handle("GET /gmail/message/{message_id}/html", s.google(s.messageHTML))
	s.handle("GET /gmail/message/{message_id}/attachment/{attachment_id}", s.google(s.getAttachment))
	s.handle("POST /gmail/draft", s.google(s.createDraft))
	s.handle("POST /gmail/drafts", s.google(s.createDraft))
	s.handle("GET /gmail/drafts/{id}", s.google(s.getDraft))
	s.handle("PUT /gmail/drafts/{id}", s.google(s.updateDraft))
	s.handle("DELETE /gmail/drafts/{id}", s.google(s.deleteDraft))
	s.handle("POST /gmail/threads/{id}/modify", s.google(s.modifyThread))
	s.handle("POST /gmail/threads/{id}/trash", s.google(s.trashThread))
	s.handle("POST /gmail/threads/{id}/untrash", s.google(s.trashThread))
	s.handle("GET /calendar/upcoming", s.google(s.upcoming))
}

// safeRedirect keeps a post-login redirect only when it is a path on this
// site: "https://evil", "//evil" and "/\evil" are dropped.
func safeRedirect(p string) string {
	if p == "" || len(p) > 512 || !strings.HasPrefix(p, "/") || strings.HasPrefix(p, "//") || strings.HasPrefix(p, `/\`) ||
		strings.ContainsAny(p, "\\\r\n\t") {
		return "/"
	}
	u, err := url.Parse(p)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil {
		return "/"
	}
	return p
}

func wantsJSON(r *http.Request) bool {
	return strings.Contains(r.Header.Get("Accept"), "application/json")
}

func wantsHTML(r *http.Request) bool {
	return strings.Contains(r.Header.Get("Accept"), "text/html")
}

// startSignIn begins a Google sign-in: 302 to Google, or the URL as JSON.
func (s *Server) startSignIn(w http.ResponseWriter, r *http.Request) {
	if s.SignIn == nil {
		s.unavailable(w, r, jarvis.EUPSTREAM, "Google sign-in")
		return
	}
	if !s.allowAnonymous(w, r) {
		return
	}
	ctx := r.Context()
	if u, _, err := s.authenticate(r); err == nil {
		// A signed-in user reconnecting: Start checks their stored grant.
		ctx = jarvis.NewContextWithUser(ctx, u)
	}
	authURL, state, err := s.SignIn.Start(ctx, safeRedirect(r.URL.Query().Get("redirect")))
	if err != nil {
		s.Error(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "no-referrer")
	if wantsJSON(r) {
		// An API client: it gets the state itself, and its callback never
		// sets a browser session, so nothing binds it.
		writeJSON(w, http.StatusOK, map[string]string{"authorization_url": authURL, "state": state})
		return
	}
	s.signInBinding.bind(w, state)
	http.Redirect(w, r, authURL, http.StatusFound)
}

type callbackRequest struct {
	Code  string `json:"code"`
	State string `json:"state"`
}

// checkCallback validates a callback's input; a refusal is audited.
func (s *Server) checkCallback(r *http.Request, req callbackRequest, googleError string) error {
	if s.SignIn == nil {
		return jarvis.Errorf(jarvis.EUPSTREAM, "Google sign-in is not configured on this server.")
	}
	var bad *jarvis.Error
	switch {
	case googleError != "":
		bad = jarvis.Invalid("error", "Google did not grant access (%s).", truncate(googleError, 64))
	case req.State == "" || len(req.State) > 512:
		bad = jarvis.Invalid("state", "The state parameter is missing or malformed.")
	case req.Code == "" || len(req.Code) > 2048:
		bad = jarvis.Invalid("code", "The code parameter is missing or malformed.")
	}
	if bad != nil { // refusals after the binding check are recorded by the sign-in service
		s.Auditor.Record(r.Context(), jarvis.AuditEntry{Action: jarvis.AuditSignInRefused, Outcome: jarvis.OutcomeDenied,
			Metadata: map[string]any{"reason": bad.Code, "error_code": bad.Code, "field": bad.Field}})
		return bad
	}
	return nil
}

// refuseUnbound ends a browser flow whose callback came to a browser that
// did not start it: the state is consumed, so that the link cannot be used
// anywhere any more, and the refusal is audited. An unknown or expired
// state is reported as such.
func (s *Server) refuseUnbound(r *http.Request, state, reason string) error {
	refusal, code := error(errOtherBrowser), signInOtherBrowser
	if s.States != nil {
		if _, err := s.States.ConsumeSignInState(r.Context(), state); jarvis.IsCode(err, jarvis.EINVALID) {
			refusal, code = err, jarvis.ErrorCode(err) // unknown, spent or expired: say so
		} else if err != nil {
			return err
		}
	}
	s.Auditor.Record(r.Context(), jarvis.AuditEntry{Action: jarvis.AuditSignInRefused, Outcome: jarvis.OutcomeDenied,
		Metadata: map[string]any{"reason": reason, "error_code": code}})
	return refusal
}

// completeSignIn finishes a checked sign-in and mints its token; or
// finishes a flow connecting one more account for the signed-in user of the
// request (the caller, when there is one, is in the context Complete gets),
// which mints nothing and answers with a nil token.
func (s *Server) completeSignIn(r *http.Request, req callbackRequest) (*jarvis.SignInResult, *jarvis.AccessToken, error) {
	ctx := r.Context()
	if u, _, err := s.authenticate(r); err == nil {
		ctx = jarvis.NewContextWithUser(ctx, u)
	}
	res, err := s.SignIn.Complete(ctx, req.Code, req.State)
	if err != nil {
		return nil, nil, err
	}
	if res.Connected != nil {
		return res, nil, nil
	}
	tok, err := s.Tokens.Mint(res.User.ID, res.User.TokenVersion, s.cfg.SessionTTL)
	if err != nil {
		return nil, nil, err
	}
	ctx = jarvis.NewContextWithUser(r.Context(), res.User)
	s.Auditor.Record(ctx, jarvis.AuditEntry{Action: jarvis.AuditTokenIssued, TargetType: "token", TargetID: tok.ID, Metadata: map[string]any{"via": "google"}})
	return res, tok, nil
}

// browserCallback finishes a sign-in started in a browser: the session goes
// into cookies and the browser to a URL without the code in it.
func (s *Server) browserCallback(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "no-referrer")
	if !s.allowAnonymous(w, r) {
		return
	}
	q := r.URL.Query()
	req := callbackRequest{Code: q.Get("code"), State: q.Get("state")}
	fail := func(err error) {
		pageCode := jarvis.ErrorCode(err)
		if errors.Is(err, errOtherBrowser) {
			pageCode = signInOtherBrowser
		}
		if wantsHTML(r) {
			// A person is at the other end: take them back to the sign-in
			// page with the reason, not to a JSON document — or, when they
			// are signed in (connecting another account), to the settings.
			s.log.InfoContext(r.Context(), "browser sign-in failed", "error_code", pageCode, "err", err)
			page := "/signin"
			if _, _, err := s.authenticate(r); err == nil {
				page = "/settings"
			}
			http.Redirect(w, r, page+"?error="+url.QueryEscape(pageCode), http.StatusSeeOther)
			return
		}
		s.Error(w, r, err)
	}
	if err := s.checkCallback(r, req, q.Get("error")); err != nil {
		fail(err)
		return
	}
	if !wantsJSON(r) {
		// This answer signs the browser in: only the browser that started
		// the sign-in may have it (SECURITY.md line 39).
		if reason := s.signInBinding.check(w, r, req.State); reason != "" {
			err := s.refuseUnbound(r, req.State, reason)
			fail(err)
			return
		}
	}
	res, tok, err := s.completeSignIn(r, req)
	if err != nil {
		fail(err)
		return
	}
	if res.Connected != nil {
		// Another account connected: the browser stays signed in as it is.
		if wantsJSON(r) {
			writeJSON(w, http.StatusOK, tokenResponse{User: res.User, Account: res.Connected})
			return
		}
		http.Redirect(w, r, safeRedirect(res.RedirectPath), http.StatusSeeOther)
		return
	}
	if wantsJSON(r) {
		// A script following the redirect itself: the token, no cookies.
		writeTokenResponse(w, res, tok)
		return
	}
	s.setSession(w, tok)
	http.Redirect(w, r, safeRedirect(res.RedirectPath), http.StatusSeeOther)
}

func writeTokenResponse(w http.ResponseWriter, res *jarvis.SignInResult, tok *jarvis.AccessToken) {
	writeJSON(w, http.StatusOK, tokenResponse{AccessToken: tok.Token, TokenType: "Bearer",
		ExpiresIn: int(tok.ExpiresAt.Sub(tok.IssuedAt).Seconds()), User: res.User})
}

// tokenResponse answers a callback: a sign-in's token, or — for a flow
// that connected another account — the account, and no token.
type tokenResponse struct {
	AccessToken string                `json:"access_token,omitempty"`
	TokenType   string                `json:"token_type,omitempty"`
	ExpiresIn   int                   `json:"expires_in,omitempty"`
	User        *jarvis.User          `json:"user"`
	Account     *jarvis.GoogleAccount `json:"account,omitempty" doc:"The Google account connected, when the flow was started by POST /accounts/connect (then there is no token: the caller stays signed in as they are)."`
}

// apiCallback finishes a sign-in for an API client and answers with a token.
func (s *Server) apiCallback(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Referrer-Policy", "no-referrer")
	if !s.allowAnonymous(w, r) {
		return
	}
	var req callbackRequest
	if err := decodeJSON(w, r, 8<<10, &req); err != nil {
		s.Error(w, r, err)
		return
	}
	if err := s.checkCallback(r, req, ""); err != nil {
		s.Error(w, r, err)
		return
	}
	res, tok, err := s.completeSignIn(r, req)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	if res.Connected != nil {
		writeJSON(w, http.StatusOK, tokenResponse{User: res.User, Account: res.Connected})
		return
	}
	writeTokenResponse(w, res, tok)
}

// disconnectGoogle disconnects every Google account of the user: each grant
// revoked at Google, the tokens deleted. The user keeps a Jarvis login.
func (s *Server) disconnectGoogle(w http.ResponseWriter, r *http.Request, u *jarvis.User) {
	if s.SignIn == nil {
		s.unavailable(w, r, jarvis.EUPSTREAM, "Google sign-in")
		return
	}
	if err := s.SignIn.Disconnect(r.Context(), u.ID); err != nil {
		s.Error(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}
