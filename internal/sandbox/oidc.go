package sandbox

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"math/big"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/jarvis-hq/jarvis/internal/sandbox/wire"
)

// Scope names as Google grants them; "email" and "profile" are granted
// under their long names, as Google does.
const (
	scopeEmail   = "https://www.googleapis.com/auth/userinfo.email"
	scopeProfile = "https://www.googleapis.com/auth/userinfo.profile"
)

// idTokenTTL is the id_token's lifetime, as Google's.
const idTokenTTL = time.Hour

func (s *Server) handleDiscovery(w http.ResponseWriter, r *http.Request) {
	s.count("oidc.discovery")
	wire.WriteJSON(w, http.StatusOK, map[string]any{
		"issuer":                                s.base,
		"authorization_endpoint":                s.base + "/o/oauth2/v2/auth",
		"token_endpoint":                        s.base + "/token",
		"userinfo_endpoint":                     s.base + "/v1/userinfo",
		"revocation_endpoint":                   s.base + "/revoke",
		"jwks_uri":                              s.base + "/oauth2/v3/certs",
		"response_types_supported":              []string{"code"},
		"subject_types_supported":               []string{"public"},
		"id_token_signing_alg_values_supported": []string{"RS256"},
		"scopes_supported":                      []string{"openid", "email", "profile"},
		"token_endpoint_auth_methods_supported": []string{"client_secret_post", "client_secret_basic"},
		"claims_supported":                      []string{"aud", "email", "email_verified", "exp", "family_name", "given_name", "hd", "iat", "iss", "name", "nonce", "picture", "sub", "azp", "at_hash"},
		"code_challenge_methods_supported":      []string{"plain", "S256"},
		"grant_types_supported":                 []string{"authorization_code", "refresh_token"},
	})
}

// keyID names a public key as Google's kids look: 40 hex digits.
func keyID(pub *rsa.PublicKey) string {
	sum := sha256.Sum256(pub.N.Bytes())
	return hex.EncodeToString(sum[:20])
}

func (s *Server) handleJWKS(w http.ResponseWriter, r *http.Request) {
	s.count("oidc.jwks")
	pub := s.key.PublicKey
	w.Header().Set("Cache-Control", "public, max-age=3600")
	wire.WriteJSON(w, http.StatusOK, map[string]any{"keys": []map[string]string{{
		"kty": "RSA",
		"alg": "RS256",
		"use": "sig",
		"kid": s.kid,
		"n":   base64.RawURLEncoding.EncodeToString(pub.N.Bytes()),
		"e":   base64.RawURLEncoding.EncodeToString(big.NewInt(int64(pub.E)).Bytes()),
	}}})
}

// idToken signs an id_token for an account. Email claims come with the
// email scope, name claims with the profile scope, as from Google.
func (s *Server) idToken(a *account, scopes []string, nonce, accessToken string) string {
	now := s.now()
	claims := map[string]any{
		"iss": s.base,
		"azp": s.cfg.ClientID,
		"aud": s.cfg.ClientID,
		"sub": a.subject(),
		"iat": now.Unix(),
		"exp": now.Add(idTokenTTL).Unix(),
	}
	if accessToken != "" {
		sum := sha256.Sum256([]byte(accessToken))
		claims["at_hash"] = base64.RawURLEncoding.EncodeToString(sum[:16])
	}
	if nonce != "" {
		claims["nonce"] = nonce
	}
	if a.hd != "" {
		claims["hd"] = a.hd
	}
	if slices.Contains(scopes, scopeEmail) {
		claims["email"] = a.email
		claims["email_verified"] = true
	}
	if slices.Contains(scopes, scopeProfile) {
		s.profileClaims(a, claims)
	}
	return s.sign(claims)
}

func (s *Server) profileClaims(a *account, claims map[string]any) {
	claims["name"] = a.name
	given, family, _ := strings.Cut(a.name, " ")
	claims["given_name"] = given
	if family != "" {
		claims["family_name"] = family
	}
	claims["picture"] = s.base + "/sandbox/avatar/" + a.email
}

// sign makes a compact RS256 JWS of claims.
func (s *Server) sign(claims map[string]any) string {
	header, _ := json.Marshal(map[string]string{"alg": "RS256", "kid": s.kid, "typ": "JWT"})
	payload, _ := json.Marshal(claims)
	signing := base64.RawURLEncoding.EncodeToString(header) + "." + base64.RawURLEncoding.EncodeToString(payload)
	sum := sha256.Sum256([]byte(signing))
	sig, err := rsa.SignPKCS1v15(rand.Reader, s.key, crypto.SHA256, sum[:])
	if err != nil {
		panic(fmt.Sprintf("sandbox: signing an id_token: %v", err)) // only on a broken key
	}
	return signing + "." + base64.RawURLEncoding.EncodeToString(sig)
}

// handleUserinfo is the OpenID Connect userinfo endpoint.
func (s *Server) handleUserinfo(w http.ResponseWriter, r *http.Request) {
	if !s.begin(w, r, "oauth.userinfo", false) {
		return
	}
	tok, ok := bearer(r)
	fam, valid := s.tokens.lookupAccess(tok)
	if !ok || !valid {
		w.Header().Set("WWW-Authenticate", `Bearer realm="https://accounts.google.com/", error="invalid_token"`)
		writeOAuthError(w, http.StatusUnauthorized, "invalid_request", "Invalid Credentials")
		return
	}
	a := s.byEmail[fam.email]
	if !slices.Contains(fam.scopes, "openid") && !slices.Contains(fam.scopes, scopeEmail) && !slices.Contains(fam.scopes, scopeProfile) {
		writeOAuthError(w, http.StatusUnauthorized, "invalid_request", "Request had insufficient authentication scopes.")
		return
	}
	claims := map[string]any{"sub": a.subject()}
	if a.hd != "" {
		claims["hd"] = a.hd
	}
	if slices.Contains(fam.scopes, scopeEmail) {
		claims["email"] = a.email
		claims["email_verified"] = true
	}
	if slices.Contains(fam.scopes, scopeProfile) {
		s.profileClaims(a, claims)
	}
	wire.WriteJSON(w, http.StatusOK, claims)
}

// handleAvatar serves an account's picture: its initials on a disc.
func (s *Server) handleAvatar(w http.ResponseWriter, r *http.Request) {
	a := s.byEmail[strings.ToLower(r.PathValue("email"))]
	if a == nil {
		http.NotFound(w, r)
		return
	}
	initials := ""
	for _, f := range strings.Fields(a.name) {
		initials += strings.ToUpper(string([]rune(f)[0]))
	}
	if len([]rune(initials)) > 2 {
		initials = string([]rune(initials)[:2])
	}
	w.Header().Set("Content-Type", "image/svg+xml")
	w.Header().Set("Cache-Control", "public, max-age=86400")
	fmt.Fprintf(w, `<svg xmlns="http://www.w3.org/2000/svg" width="96" height="96" viewBox="0 0 96 96" role="img" aria-label="%s"><circle cx="48" cy="48" r="48" fill="#1558b0"/><text x="48" y="60" font-family="sans-serif" font-size="36" fill="#fff" text-anchor="middle">%s</text></svg>`,
		html.EscapeString(a.name), html.EscapeString(initials))
}

// favicon is the sandbox's icon: a "G" on Google's blue, so that its tabs
// are told apart from Jarvis's.
const favicon = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="7" fill="#1a73e8"/><text x="16" y="23" font-family="sans-serif" font-size="20" font-weight="700" fill="#fff" text-anchor="middle">G</text></svg>`

// handleFavicon serves the sandbox's icon (browsers ask for /favicon.ico).
func handleFavicon(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "image/svg+xml")
	w.Header().Set("Cache-Control", "public, max-age=86400")
	io.WriteString(w, favicon)
}

// bearer returns the token of an "Authorization: Bearer" header.
func bearer(r *http.Request) (string, bool) {
	h := r.Header.Get("Authorization")
	scheme, tok, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(tok) == "" {
		return "", false
	}
	return strings.TrimSpace(tok), true
}
