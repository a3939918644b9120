package oauthserver

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jarvis-hq/jarvis"
)

// maxFormBytes bounds a token, revocation or registration request.
const maxFormBytes = 16 << 10

// verifierRE is a PKCE code verifier (RFC 7636 §4.1).
var verifierRE = regexp.MustCompile(`^[A-Za-z0-9\-._~]{43,128}$`)

// oauthError is an RFC 6749 §5.2 error.
type oauthError struct {
	Status      int    `json:"-"`
	Code        string `json:"error"`
	Description string `json:"error_description,omitempty"`
}

func (e *oauthError) Error() string { return e.Code + ": " + e.Description }

func invalidRequest(d string) *oauthError {
	return &oauthError{http.StatusBadRequest, "invalid_request", d}
}
func invalidGrant(d string) *oauthError {
	return &oauthError{http.StatusBadRequest, "invalid_grant", d}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Set("Pragma", "no-cache")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// writeError answers an OAuth error; anything else is a server error,
// logged and answered without detail.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	var oe *oauthError
	if !errors.As(err, &oe) {
		s.log.ErrorContext(r.Context(), "oauth endpoint failed", "path", r.URL.Path, "err", err)
		status := http.StatusInternalServerError
		if jarvis.IsCode(err, jarvis.EUNAVAILABLE) {
			status = http.StatusServiceUnavailable
		}
		oe = &oauthError{status, "server_error", "The server could not answer; try again."}
	}
	if oe.Status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Basic realm="jarvis"`)
	}
	writeJSON(w, oe.Status, oe)
}

// readForm reads an application/x-www-form-urlencoded body (never the
// query string) and refuses repeated parameters.
func readForm(w http.ResponseWriter, r *http.Request) error {
	ct := strings.ToLower(strings.TrimSpace(strings.Split(r.Header.Get("Content-Type"), ";")[0]))
	if ct != "application/x-www-form-urlencoded" {
		return invalidRequest("The body must be application/x-www-form-urlencoded.")
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		return invalidRequest("The body is not a valid form, or is larger than 16 KiB.")
	}
	for k, v := range r.PostForm {
		if len(v) > 1 {
			return invalidRequest("The " + k + " parameter is given more than once.")
		}
	}
	return nil
}

// clientID returns the public client's id: the client_id parameter, or
// the user of HTTP Basic with an empty password (no secrets are issued).
func clientID(r *http.Request) (string, error) {
	id := r.PostForm.Get("client_id")
	if user, pass, ok := r.BasicAuth(); ok {
		if pass != "" {
			return "", &oauthError{http.StatusUnauthorized, "invalid_client", "Jarvis issues no client secrets: authenticate as a public client (token_endpoint_auth_method none)."}
		}
		if id != "" && id != user {
			return "", invalidRequest("The client_id parameter and the Authorization header name different clients.")
		}
		id = user
	}
	if id == "" || len(id) > maxClientIDLen {
		return "", &oauthError{http.StatusUnauthorized, "invalid_client", "The client_id parameter is missing."}
	}
	return id, nil
}

// tokenResponse is the answer of the token endpoint (RFC 6749 §5.1).
type tokenResponse struct {
	AccessToken  string `json:"access_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int    `json:"expires_in"`
	RefreshToken string `json:"refresh_token"`
	Scope        string `json:"scope"`
}

// ServeToken is the token endpoint (POST /oauth/token): the
// authorization_code and refresh_token grants for public clients.
func (s *Server) ServeToken(w http.ResponseWriter, r *http.Request) {
	resp, err := s.token(w, r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, resp)
}

func (s *Server) token(w http.ResponseWriter, r *http.Request) (*tokenResponse, error) {
	if err := readForm(w, r); err != nil {
		return nil, err
	}
	cid, err := clientID(r)
	if err != nil {
		return nil, err
	}
	f := r.PostForm
	if res := f.Get("resource"); res != "" && res != s.resource {
		return nil, &oauthError{http.StatusBadRequest, "invalid_target", "Tokens are issued only for " + s.resource + "."}
	}
	switch f.Get("grant_type") {
	case "authorization_code":
		return s.exchangeCode(r.Context(), cid, f.Get("code"), f.Get("redirect_uri"), f.Get("code_verifier"))
	case "refresh_token":
		return s.refresh(r.Context(), cid, f.Get("refresh_token"), f.Get("scope"))
	case "":
		return nil, invalidRequest("The grant_type parameter is missing.")
	default:
		return nil, &oauthError{http.StatusBadRequest, "unsupported_grant_type", "Only authorization_code and refresh_token are supported."}
	}
}

// pkceMatches reports whether verifier is the S256 preimage of challenge.
func pkceMatches(verifier, challenge string) bool {
	sum := sha256.Sum256([]byte(verifier))
	return subtle.ConstantTimeCompare([]byte(base64.RawURLEncoding.EncodeToString(sum[:])), []byte(challenge)) == 1
}

func (s *Server) exchangeCode(ctx context.Context, cid, raw, redirectURI, verifier string) (*tokenResponse, error) {
	switch {
	case raw == "" || len(raw) > 200:
		return nil, invalidRequest("The code parameter is missing.")
	case redirectURI == "":
		return nil, invalidRequest("The redirect_uri parameter is missing.")
	case verifier == "":
		return nil, invalidRequest("The code_verifier parameter is missing: PKCE is required.")
	case !verifierRE.MatchString(verifier):
		return nil, invalidRequest("The code_verifier is not 43 to 128 unreserved characters.")
	}
	now := s.now()
	code, replayed, err := s.cfg.Store.RedeemOAuthCode(ctx, hashSecret(raw), now, func(c *Code) error {
		switch {
		case !now.Before(c.ExpiresAt):
			return invalidGrant("The code has expired.")
		case c.ClientID != cid:
			return invalidGrant("The code was issued to another client.")
		case c.RedirectURI != redirectURI:
			return invalidGrant("The redirect_uri is not the one the code was issued for.")
		case c.Resource != s.resource:
			return &oauthError{http.StatusBadRequest, "invalid_target", "The code is not for " + s.resource + "."}
		case !pkceMatches(verifier, c.CodeChallenge):
			return invalidGrant("The code_verifier does not match the code_challenge.")
		}
		return nil
	})
	if jarvis.IsCode(err, jarvis.ENOTFOUND) {
		return nil, invalidGrant("The code is unknown or expired.")
	} else if err != nil {
		return nil, err
	}
	if replayed {
		// A code used twice was stolen or leaked: whatever was issued from
		// it is revoked.
		n, err := s.cfg.Store.RevokeOAuthFamily(ctx, code.UserID, code.ID, now)
		if err != nil {
			return nil, err
		}
		s.audit(ctx, code.UserID, jarvis.AuditEntry{Action: jarvis.AuditOAuthTokenReuse, TargetType: "oauth_client",
			TargetID: code.ClientID, Outcome: jarvis.OutcomeDenied,
			Metadata: map[string]any{"client_id": code.ClientID, "grant_type": "authorization_code", "grant_id": code.ID, "tokens_revoked": n}})
		return nil, invalidGrant("The code was already used: the tokens issued from it are revoked.")
	}
	resp, access, err := s.issue(ctx, code.ID, code.CreatedAt, code.UserID, code.ClientID, code.ClientName, code.Scopes, code.Accounts, nil)
	if err != nil {
		return nil, err
	}
	s.audit(ctx, code.UserID, jarvis.AuditEntry{Action: jarvis.AuditOAuthTokenIssued, TargetType: "oauth_client",
		TargetID: code.ClientID, Outcome: jarvis.OutcomeSuccess,
		Metadata: map[string]any{"client_id": code.ClientID, "grant_type": "authorization_code", "grant_id": code.ID, "token_id": access.ID, "scopes": code.Scopes}})
	return resp, nil
}

// issue makes an access and a refresh token of the family, which began
// at granted, and stores them — or, with rotate, exchanges the refresh
// token rotate for them (false: it was used or revoked meanwhile, and
// nothing is stored). The access token does not outlive the grant.
func (s *Server) issue(ctx context.Context, family string, granted time.Time, userID, cid, name string, scopes, accounts []string, rotate *Token) (*tokenResponse, *Token, error) {
	now := s.now()
	rawAccess, rawRefresh := newSecret(AccessPrefix), newSecret(RefreshPrefix)
	mk := func(kind, raw string) *Token {
		return &Token{ID: newID(), Hash: hashSecret(raw), Kind: kind, FamilyID: family, UserID: userID, ClientID: cid, ClientName: name,
			Scopes: scopes, Accounts: accounts, Resource: s.resource, CreatedAt: now, ExpiresAt: now.Add(s.ttl(kind)), GrantCreatedAt: granted}
	}
	access, refresh := mk(KindAccess, rawAccess), mk(KindRefresh, rawRefresh)
	if end := s.grantEnd(access); end.Before(access.ExpiresAt) {
		access.ExpiresAt = end
	}
	if rotate != nil {
		ok, err := s.cfg.Store.RotateOAuthRefresh(ctx, rotate.Hash, now, access, refresh)
		if err != nil {
			return nil, nil, err
		}
		if !ok {
			return nil, nil, errRotated
		}
	} else if err := s.cfg.Store.InsertOAuthTokens(ctx, access, refresh); err != nil {
		return nil, nil, err
	}
	return &tokenResponse{AccessToken: rawAccess, TokenType: "Bearer", ExpiresIn: int(access.ExpiresAt.Sub(now).Seconds()), RefreshToken: rawRefresh,
		Scope: strings.Join(scopes, " ")}, access, nil
}

var errRotated = errors.New("refresh token used meanwhile")

// grantEnd is when t's grant ends: RefreshLifetime after the consent
// that began it, however often its refresh token was rotated.
func (s *Server) grantEnd(t *Token) time.Time {
	granted := t.GrantCreatedAt
	if granted.IsZero() {
		granted = t.CreatedAt
	}
	return granted.Add(s.cfg.RefreshLifetime)
}

// errGrantExpired answers a refresh past its grant's end.
func (s *Server) errGrantExpired() error {
	return invalidGrant("The authorization expired: an app's access lasts " + lifetimeText(s.cfg.RefreshLifetime) +
		" from the user's consent. The user must connect the app to Jarvis again.")
}

// lifetimeText says d in days when it is whole days.
func lifetimeText(d time.Duration) string {
	const day = 24 * time.Hour
	switch {
	case d == day:
		return "1 day"
	case d%day == 0:
		return strconv.Itoa(int(d/day)) + " days"
	}
	return d.String()
}

func (s *Server) ttl(kind string) time.Duration {
	if kind == KindAccess {
		return s.cfg.AccessTTL
	}
	return s.cfg.RefreshTTL
}

func (s *Server) refresh(ctx context.Context, cid, raw, scope string) (*tokenResponse, error) {
	if raw == "" || len(raw) > 200 {
		return nil, invalidRequest("The refresh_token parameter is missing.")
	}
	if !strings.HasPrefix(raw, RefreshPrefix) {
		return nil, invalidGrant("The refresh token is unknown, expired or revoked.")
	}
	t, err := s.cfg.Store.OAuthToken(ctx, hashSecret(raw))
	if jarvis.IsCode(err, jarvis.ENOTFOUND) || (err == nil && (t.Kind != KindRefresh || t.ClientID != cid)) {
		return nil, invalidGrant("The refresh token is unknown, expired or revoked.")
	} else if err != nil {
		return nil, err
	}
	now := s.now()
	if !t.UsedAt.IsZero() {
		return nil, s.reuse(ctx, t)
	}
	if t.RevokedAt.IsZero() && !now.Before(s.grantEnd(t)) {
		return nil, s.errGrantExpired()
	}
	if !t.RevokedAt.IsZero() || !now.Before(t.ExpiresAt) {
		return nil, invalidGrant("The refresh token is unknown, expired or revoked.")
	}
	if t.Resource != s.resource {
		return nil, &oauthError{http.StatusBadRequest, "invalid_target", "The refresh token is not for " + s.resource + "."}
	}
	scopes := t.Scopes
	if scope != "" {
		asked, unknown := parseScopes(scope)
		if unknown != "" {
			return nil, &oauthError{http.StatusBadRequest, "invalid_scope", "Unknown scope " + truncate(unknown, 64) + "."}
		}
		for _, sc := range asked {
			if !slices.Contains(t.Scopes, sc) {
				return nil, &oauthError{http.StatusBadRequest, "invalid_scope", "The scope " + sc + " was not granted."}
			}
		}
		scopes = asked
	}
	resp, access, err := s.issue(ctx, t.FamilyID, t.GrantCreatedAt, t.UserID, t.ClientID, t.ClientName, scopes, t.Accounts, t)
	if errors.Is(err, errRotated) {
		// Two exchanges of one refresh token raced: the loser is a replay.
		return nil, s.reuse(ctx, t)
	} else if err != nil {
		return nil, err
	}
	s.touch(ctx, t.UserID, t.ClientID, now)
	s.audit(ctx, t.UserID, jarvis.AuditEntry{Action: jarvis.AuditOAuthTokenRefreshed, TargetType: "oauth_client",
		TargetID: t.ClientID, Outcome: jarvis.OutcomeSuccess,
		Metadata: map[string]any{"client_id": t.ClientID, "grant_id": t.FamilyID, "token_id": access.ID, "scopes": scopes}})
	return resp, nil
}

// reuse answers a refresh token presented after it was exchanged: its
// whole family is revoked, since either the client or a thief now holds a
// token the other does not.
func (s *Server) reuse(ctx context.Context, t *Token) error {
	n, err := s.cfg.Store.RevokeOAuthFamily(ctx, t.UserID, t.FamilyID, s.now())
	if err != nil {
		return err
	}
	s.audit(ctx, t.UserID, jarvis.AuditEntry{Action: jarvis.AuditOAuthTokenReuse, TargetType: "oauth_client",
		TargetID: t.ClientID, Outcome: jarvis.OutcomeDenied,
		Metadata: map[string]any{"client_id": t.ClientID, "grant_type": "refresh_token", "grant_id": t.FamilyID, "tokens_revoked": n}})
	return invalidGrant("The refresh token was already used: every token of this grant is revoked.")
}

// ServeRevoke is the revocation endpoint (RFC 7009, POST /oauth/revoke):
// a refresh token revokes its whole grant, an access token itself. An
// unknown token, or another client's, is answered 200 all the same.
func (s *Server) ServeRevoke(w http.ResponseWriter, r *http.Request) {
	if err := s.revoke(w, r); err != nil {
		s.writeError(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
}

func (s *Server) revoke(w http.ResponseWriter, r *http.Request) error {
	if err := readForm(w, r); err != nil {
		return err
	}
	cid, err := clientID(r)
	if err != nil {
		return err
	}
	raw := r.PostForm.Get("token")
	if raw == "" {
		return invalidRequest("The token parameter is missing.")
	}
	if !strings.HasPrefix(raw, TokenPrefix) || len(raw) > 200 {
		return nil
	}
	ctx := r.Context()
	t, err := s.cfg.Store.OAuthToken(ctx, hashSecret(raw))
	if jarvis.IsCode(err, jarvis.ENOTFOUND) {
		return nil
	} else if err != nil {
		return err
	}
	if t.ClientID != cid || !t.RevokedAt.IsZero() {
		return nil
	}
	now := s.now()
	n := int64(1)
	if t.Kind == KindRefresh {
		n, err = s.cfg.Store.RevokeOAuthFamily(ctx, t.UserID, t.FamilyID, now)
	} else {
		err = s.cfg.Store.RevokeOAuthToken(ctx, t.UserID, t.ID, now)
	}
	if err != nil {
		return err
	}
	s.audit(ctx, t.UserID, jarvis.AuditEntry{Action: jarvis.AuditOAuthTokenRevoked, TargetType: "oauth_client",
		TargetID: t.ClientID, Outcome: jarvis.OutcomeSuccess,
		Metadata: map[string]any{"client_id": t.ClientID, "kind": t.Kind, "grant_id": t.FamilyID, "token_id": t.ID, "tokens_revoked": n}})
	return nil
}
