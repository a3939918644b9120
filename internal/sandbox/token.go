package sandbox

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// maxFormBytes bounds the token and revoke endpoints' request bodies.
const maxFormBytes = 64 << 10

type oauthError struct {
	Error       string `json:"error"`
	Description string `json:"error_description,omitempty"`
}

// writeOAuthError writes the token endpoint's error shape:
// {"error":"invalid_grant","error_description":"…"}.
func writeOAuthError(w http.ResponseWriter, status int, code, desc string) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(oauthError{Error: code, Description: desc})
}

type tokenResponse struct {
	AccessToken  string `json:"access_token"`
	ExpiresIn    int    `json:"expires_in"`
	RefreshToken string `json:"refresh_token,omitempty"`
	Scope        string `json:"scope"`
	TokenType    string `json:"token_type"`
	IDToken      string `json:"id_token,omitempty"`
}

// handleToken is Google's token endpoint: grant_type authorization_code
// (stats "token.exchange") and refresh_token ("token.refresh").
func (s *Server) handleToken(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		s.count("token")
		writeOAuthError(w, http.StatusBadRequest, "invalid_request", "Bad Request")
		return
	}
	grant := r.PostForm.Get("grant_type")
	method := "token"
	switch grant {
	case "authorization_code":
		method = "token.exchange"
	case "refresh_token":
		method = "token.refresh"
	}
	if !s.begin(w, r, method, true) {
		return
	}
	// The client authenticates before anything is looked at, so that a
	// retry with the other credential style still finds the code unused.
	clientID, ok := s.authenticateClient(w, r)
	if !ok {
		return
	}
	switch grant {
	case "authorization_code":
		s.exchangeCode(w, r, clientID)
	case "refresh_token":
		s.refreshToken(w, r, clientID)
	case "":
		writeOAuthError(w, http.StatusBadRequest, "unsupported_grant_type", "Invalid grant_type: ")
	default:
		writeOAuthError(w, http.StatusBadRequest, "unsupported_grant_type", "Invalid grant_type: "+grant)
	}
}

// authenticateClient checks HTTP Basic credentials (each part
// URL-encoded, as RFC 6749 §2.3.1 says) or client_id/client_secret form
// fields, and answers 401 invalid_client itself when they are wrong.
func (s *Server) authenticateClient(w http.ResponseWriter, r *http.Request) (string, bool) {
	id, secret, basic := r.BasicAuth()
	if basic {
		var err1, err2 error
		id, err1 = url.QueryUnescape(id)
		secret, err2 = url.QueryUnescape(secret)
		if err1 != nil || err2 != nil {
			writeOAuthError(w, http.StatusUnauthorized, "invalid_client", "Unauthorized")
			return "", false
		}
	} else {
		id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	}
	switch {
	case id == "":
		writeOAuthError(w, http.StatusBadRequest, "invalid_request", "Could not determine client ID from request.")
		return "", false
	case id != s.cfg.ClientID:
		writeOAuthError(w, http.StatusUnauthorized, "invalid_client", "The OAuth client was not found.")
		return "", false
	case subtle.ConstantTimeCompare([]byte(secret), []byte(s.cfg.ClientSecret)) != 1:
		writeOAuthError(w, http.StatusUnauthorized, "invalid_client", "Unauthorized")
		return "", false
	}
	return id, true
}

func (s *Server) exchangeCode(w http.ResponseWriter, r *http.Request, clientID string) {
	f := r.PostForm
	code := f.Get("code")
	if code == "" {
		writeOAuthError(w, http.StatusBadRequest, "invalid_request", "Missing required parameter: code")
		return
	}
	ts := s.tokens
	ts.mu.Lock()
	c := ts.codes[code]
	status, errCode, desc := 0, "invalid_grant", ""
	switch {
	case c == nil:
		status, desc = http.StatusBadRequest, "Malformed auth code."
	case c.used:
		status, desc = http.StatusBadRequest, "Code was already redeemed."
	case c.clientID != clientID:
		status, errCode, desc = http.StatusBadRequest, "unauthorized_client", "Unauthorized"
	case !ts.now().Before(c.expiry):
		status, desc = http.StatusBadRequest, "Token has been expired or revoked."
	case f.Get("redirect_uri") != c.redirectURI:
		status, errCode, desc = http.StatusBadRequest, "redirect_uri_mismatch", "Bad Request"
	case c.challenge != "" && f.Get("code_verifier") == "":
		status, desc = http.StatusBadRequest, "Missing code verifier."
	case c.challenge != "" && !pkceMatches(c.method, c.challenge, f.Get("code_verifier")):
		status, desc = http.StatusBadRequest, "Invalid code verifier."
	}
	if status != 0 {
		ts.mu.Unlock()
		writeOAuthError(w, status, errCode, desc)
		return
	}
	c.used = true
	key := consentKey{c.email, c.clientID}
	prev, consented := ts.consents[key]
	fam := &family{email: c.email, clientID: c.clientID, scopes: c.scopes, nonce: c.nonce}
	if c.offline && (c.forceConsent || !consented) {
		fam.refresh = "1//0" + randomToken(72)
		ts.refresh[fam.refresh] = fam
	}
	ts.consents[key] = union(prev, c.scopes)
	ttl := s.settings.Load().tokenTTL
	access := ts.issueAccess(fam, ttl)
	ts.mu.Unlock()
	s.writeTokens(w, issued{access: access, refresh: fam.refresh, fam: fam}, ttl, c.nonce)
}

// pkceMatches checks a code_verifier against its challenge (RFC 7636).
func pkceMatches(method, challenge, verifier string) bool {
	want := verifier
	if method == "S256" {
		sum := sha256.Sum256([]byte(verifier))
		want = base64.RawURLEncoding.EncodeToString(sum[:])
	}
	return subtle.ConstantTimeCompare([]byte(want), []byte(challenge)) == 1
}

func (s *Server) refreshToken(w http.ResponseWriter, r *http.Request, clientID string) {
	rt := r.PostForm.Get("refresh_token")
	if rt == "" {
		writeOAuthError(w, http.StatusBadRequest, "invalid_request", "Missing required parameter: refresh_token")
		return
	}
	cur := s.settings.Load()
	ts := s.tokens
	ts.mu.Lock()
	fam := ts.refresh[rt]
	if fam == nil || fam.revoked {
		ts.mu.Unlock()
		writeOAuthError(w, http.StatusBadRequest, "invalid_grant", "Token has been expired or revoked.")
		return
	}
	if fam.clientID != clientID {
		ts.mu.Unlock()
		writeOAuthError(w, http.StatusBadRequest, "unauthorized_client", "Unauthorized")
		return
	}
	out := issued{fam: fam}
	if cur.rotate {
		delete(ts.refresh, rt)
		fam.refresh = "1//0" + randomToken(72)
		ts.refresh[fam.refresh] = fam
		out.refresh = fam.refresh
	}
	out.access = ts.issueAccess(fam, cur.tokenTTL)
	ts.mu.Unlock()
	s.writeTokens(w, out, cur.tokenTTL, "")
}

func (s *Server) writeTokens(w http.ResponseWriter, out issued, ttl time.Duration, nonce string) {
	resp := tokenResponse{
		AccessToken:  out.access,
		ExpiresIn:    max(int(ttl/time.Second), 1),
		RefreshToken: out.refresh,
		Scope:        strings.Join(out.fam.scopes, " "),
		TokenType:    "Bearer",
	}
	if slices.Contains(out.fam.scopes, "openid") {
		if a := s.byEmail[out.fam.email]; a != nil {
			resp.IDToken = s.idToken(a, out.fam.scopes, nonce, out.access)
		}
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache, no-store, max-age=0, must-revalidate")
	w.Header().Set("Pragma", "no-cache")
	_ = json.NewEncoder(w).Encode(resp)
}

// handleRevoke is Google's revoke endpoint: token= (access or refresh) in
// the form or the query. It revokes the token's whole grant; 200 with an
// empty body, or 400 invalid_token for an unknown token.
func (s *Server) handleRevoke(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	_ = r.ParseForm()
	if !s.begin(w, r, "token.revoke", true) {
		return
	}
	if tok := r.Form.Get("token"); tok == "" || !s.tokens.revoke(tok) {
		writeOAuthError(w, http.StatusBadRequest, "invalid_token", "Bad Request")
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(http.StatusOK)
}
