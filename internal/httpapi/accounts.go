package httpapi

import (
	"net/http"
	"strings"

	"github.com/jarvis-hq/jarvis"
)

// The routes of a user's Google accounts.
func (s *Server) registerAccountRoutes() {
	s.handle("GET /accounts", s.authed(s.listAccounts))
	s.handle("POST /accounts/connect", s.authed(s.connectAccount))
	s.handle("PATCH /accounts/{id}", s.authed(s.updateAccount))
	s.handle("DELETE /accounts/{id}", s.authed(s.deleteAccount))
}

// keepLoginParam is the consent DELETE /accounts/{id} needs to remove the
// user's last Google account.
const keepLoginParam = "keep_login_without_google"

type accountsResponse struct {
	Accounts []jarvis.GoogleAccount `json:"accounts"`
}

type connectRequest struct {
	LoginHint string `json:"login_hint,omitempty" doc:"An email address for Google to preselect on its account chooser (the account to reconnect)."`
	Redirect  string `json:"redirect,omitempty" doc:"A path on this site to land on afterwards (a browser flow); default /settings."`
}

type accountUpdate struct {
	Primary *bool `json:"primary" doc:"true makes this account the primary: the one Gmail and Calendar use when a request names none."`
}

// accountParam reads the account a Gmail or Calendar route acts for: an
// account id or email, empty for the primary; "all" only where allowAll.
func accountParam(r *http.Request, allowAll bool) (string, error) {
	a := strings.TrimSpace(r.URL.Query().Get("account"))
	switch {
	case len(a) > 320 || strings.ContainsFunc(a, func(c rune) bool { return c < 0x21 || c == 0x7f }):
		return "", jarvis.Invalid("account", "account must be an account id or email address, as GET /accounts lists them.")
	case a == jarvis.AllAccounts && !allowAll:
		return "", jarvis.Invalid("account", "This route reads one account at a time: name it by id or email, or leave account out for the primary.")
	}
	return a, nil
}

// findAccount returns the user's account named by id or email, without its
// tokens. ENOTFOUND if the user has none such, as for another user's.
func (s *Server) findAccount(r *http.Request, userID, ref string) (*jarvis.GoogleAccount, error) {
	list, err := s.Integrations.ListGoogleAccounts(r.Context(), userID)
	if err != nil {
		return nil, err
	}
	for i, a := range list {
		if ref == "" && a.Primary || ref != "" && (a.ID == ref || strings.EqualFold(a.Email, ref)) {
			return &list[i], nil
		}
	}
	if ref == "" {
		return nil, &jarvis.Error{Code: jarvis.EREAUTH, Message: "Your Google account is not connected. Connect it to use Gmail and Calendar."}
	}
	return nil, jarvis.Errorf(jarvis.ENOTFOUND, "Google account not found.")
}

// listAccounts answers the user's Google accounts, the primary first.
func (s *Server) listAccounts(w http.ResponseWriter, r *http.Request, u *jarvis.User) {
	if s.Integrations == nil {
		s.unavailable(w, r, jarvis.EUPSTREAM, "Google")
		return
	}
	list, err := s.Integrations.ListGoogleAccounts(r.Context(), u.ID)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, accountsResponse{Accounts: list})
}

// connectAccount starts connecting one more Google account (or reconnecting
// one): the consent URL and its state. A browser (session cookie) also gets
// the cookie that binds the flow to it.
func (s *Server) connectAccount(w http.ResponseWriter, r *http.Request, u *jarvis.User) {
	if s.SignIn == nil {
		s.unavailable(w, r, jarvis.EUPSTREAM, "Google sign-in")
		return
	}
	var req connectRequest
	if r.ContentLength != 0 {
		if err := decodeJSON(w, r, 8<<10, &req); err != nil {
			s.Error(w, r, err)
			return
		}
	}
	if req.LoginHint != "" {
		hint, err := validEmail("login_hint", req.LoginHint)
		if err != nil {
			s.Error(w, r, err)
			return
		}
		req.LoginHint = hint
	}
	redirect := "/settings"
	if req.Redirect != "" {
		redirect = safeRedirect(req.Redirect)
	}
	authURL, state, err := s.SignIn.Connect(r.Context(), u.ID, req.LoginHint, redirect)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "no-referrer")
	if _, viaCookie, _ := credentials(r); viaCookie {
		s.signInBinding.bind(w, state)
	}
	writeJSON(w, http.StatusOK, startResponse{AuthorizationURL: authURL, State: state})
}

// updateAccount makes an account the primary.
func (s *Server) updateAccount(w http.ResponseWriter, r *http.Request, u *jarvis.User) {
	if s.Integrations == nil {
		s.unavailable(w, r, jarvis.EUPSTREAM, "Google")
		return
	}
	var req accountUpdate
	if err := decodeJSON(w, r, 8<<10, &req); err != nil {
		s.Error(w, r, err)
		return
	}
	if req.Primary == nil || !*req.Primary {
		s.Error(w, r, jarvis.Invalid("primary", "Send {\"primary\": true} to make this account the primary; to change it, make another account primary."))
		return
	}
	a, err := s.findAccount(r, u.ID, r.PathValue("id"))
	if err != nil {
		s.Error(w, r, err)
		return
	}
	if !a.Primary {
		if err := s.Integrations.SetPrimaryGoogleAccount(r.Context(), u.ID, a.ID); err != nil {
			s.Error(w, r, err)
			return
		}
		s.Auditor.Record(r.Context(), jarvis.AuditEntry{Action: jarvis.AuditGoogleAccountPrimary, TargetType: "google_integration", TargetID: a.ID,
			Metadata: map[string]any{"account_id": a.ID}})
		a.Primary = true
	}
	writeJSON(w, http.StatusOK, a)
}

// deleteAccount disconnects one account: revoked at Google, its tokens and
// everything Jarvis stored for it deleted. The last account goes only with
// keep_login_without_google=true.
func (s *Server) deleteAccount(w http.ResponseWriter, r *http.Request, u *jarvis.User) {
	if s.SignIn == nil || s.Integrations == nil {
		s.unavailable(w, r, jarvis.EUPSTREAM, "Google sign-in")
		return
	}
	keep := r.URL.Query().Get(keepLoginParam)
	if keep != "" && keep != "true" && keep != "false" {
		s.Error(w, r, jarvis.Invalid(keepLoginParam, "%s must be true or false.", keepLoginParam))
		return
	}
	a, err := s.findAccount(r, u.ID, r.PathValue("id"))
	if err != nil {
		s.Error(w, r, err)
		return
	}
	list, err := s.Integrations.ListGoogleAccounts(r.Context(), u.ID)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	if len(list) == 1 && keep != "true" {
		s.Error(w, r, &jarvis.Error{Code: jarvis.ELASTACCOUNT, Account: &jarvis.AccountRef{ID: a.ID, Email: a.Email},
			Message: "This is your last Google account: without it Jarvis cannot read Gmail or Calendar for you. To disconnect it and keep a Jarvis login without Google, send " + keepLoginParam + "=true."})
		return
	}
	if err := s.SignIn.DisconnectAccount(r.Context(), u.ID, a.ID); err != nil {
		s.Error(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
