package sandbox

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
	"google.golang.org/api/gmail/v1"
	"google.golang.org/api/googleapi"
)

func TestSignInWithPKCEAndVerifyIDToken(t *testing.T) {
	e := newEnv(t, nil)
	tok := e.signIn("ada@example.com")
	if !strings.HasPrefix(tok.AccessToken, "ya29.") || !strings.HasPrefix(tok.RefreshToken, "1//") {
		t.Errorf("tokens = %q / %q, want ya29. and 1// prefixes", tok.AccessToken, tok.RefreshToken)
	}
	if got := time.Until(tok.Expiry); got < 50*time.Minute {
		t.Errorf("expiry in %v, want about an hour", got)
	}
	scope, _ := tok.Extra("scope").(string)
	for _, want := range []string{"openid", scopeEmail, scopeProfile, gmail.GmailReadonlyScope} {
		if !slices.Contains(strings.Fields(scope), want) {
			t.Errorf("scope %q lacks %s", scope, want)
		}
	}

	ctx := context.Background()
	provider, err := oidc.NewProvider(ctx, e.base)
	if err != nil {
		t.Fatal(err)
	}
	// go-oidc checks expiry against the real clock; the sandbox's clock is
	// fixed in March 2026, so the check uses the same clock.
	verifier := provider.Verifier(&oidc.Config{ClientID: e.srv.ClientID(), Now: e.clock.Now})
	raw, _ := tok.Extra("id_token").(string)
	idt, err := verifier.Verify(ctx, raw)
	if err != nil {
		t.Fatal(err)
	}
	if err := idt.VerifyAccessToken(tok.AccessToken); err != nil {
		t.Errorf("at_hash: %v", err)
	}
	var claims struct {
		Email         string `json:"email"`
		EmailVerified bool   `json:"email_verified"`
		Name          string `json:"name"`
		GivenName     string `json:"given_name"`
		FamilyName    string `json:"family_name"`
		Picture       string `json:"picture"`
		AZP           string `json:"azp"`
		HD            string `json:"hd"`
	}
	if err := idt.Claims(&claims); err != nil {
		t.Fatal(err)
	}
	if idt.Issuer != e.base || idt.Nonce != "n0nce" || len(idt.Subject) != 21 || claims.Email != "ada@example.com" || !claims.EmailVerified ||
		claims.Name != "Ada Lovelace" || claims.GivenName != "Ada" || claims.FamilyName != "Lovelace" || claims.AZP != e.srv.ClientID() ||
		claims.HD != "" || !strings.HasPrefix(claims.Picture, e.base) {
		t.Errorf("id_token = %+v %+v", idt, claims)
	}

	info, err := provider.UserInfo(ctx, oauth2.StaticTokenSource(tok))
	if err != nil {
		t.Fatal(err)
	}
	if info.Subject != idt.Subject || info.Email != "ada@example.com" || !info.EmailVerified {
		t.Errorf("userinfo = %+v", info)
	}
	resp, err := http.Get(claims.Picture)
	if err != nil || resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "image/svg+xml" {
		t.Errorf("picture: %v %v", err, resp)
	}
}

func TestCodeIsSingleUseAndShortLived(t *testing.T) {
	e := newEnv(t, nil)
	verifier := oauth2.GenerateVerifier()
	hint := oauth2.SetAuthURLParam("login_hint", "ada@example.com")
	none := oauth2.SetAuthURLParam("prompt", "none")
	q := e.authorize(e.conf, oauth2.S256ChallengeOption(verifier), hint, none)
	if q.Get("scope") == "" || q.Get("authuser") != "0" {
		t.Errorf("redirect = %v, want scope and authuser", q)
	}
	ctx := context.Background()
	if _, err := e.conf.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(verifier)); err != nil {
		t.Fatal(err)
	}
	_, err := e.conf.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(verifier))
	if re := retrieveError(t, err); re.ErrorCode != "invalid_grant" || re.ErrorDescription != "Code was already redeemed." || re.Response.StatusCode != 400 {
		t.Errorf("reuse: %+v", re)
	}

	q = e.authorize(e.conf, oauth2.S256ChallengeOption(verifier), hint, none)
	e.clock.Add(codeTTL + time.Second)
	_, err = e.conf.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(verifier))
	if re := retrieveError(t, err); re.ErrorCode != "invalid_grant" {
		t.Errorf("expired code: %+v", re)
	}

	_, err = e.conf.Exchange(ctx, "4/0Anot-a-code", oauth2.VerifierOption(verifier))
	if re := retrieveError(t, err); re.ErrorCode != "invalid_grant" || re.ErrorDescription != "Malformed auth code." {
		t.Errorf("unknown code: %+v", re)
	}
}

func TestPKCEAndRedirectURIAreChecked(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	hint := oauth2.SetAuthURLParam("login_hint", "ada@example.com")
	none := oauth2.SetAuthURLParam("prompt", "none")

	q := e.authorize(e.conf, oauth2.S256ChallengeOption(oauth2.GenerateVerifier()), hint, none)
	_, err := e.conf.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(oauth2.GenerateVerifier()))
	if re := retrieveError(t, err); re.ErrorCode != "invalid_grant" || re.ErrorDescription != "Invalid code verifier." {
		t.Errorf("wrong verifier: %+v", re)
	}

	// plain PKCE
	v := oauth2.GenerateVerifier()
	q = e.authorize(e.conf, oauth2.SetAuthURLParam("code_challenge", v), oauth2.SetAuthURLParam("code_challenge_method", "plain"), hint, none)
	if _, err := e.conf.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(v)); err != nil {
		t.Errorf("plain PKCE: %v", err)
	}

	v = oauth2.GenerateVerifier()
	q = e.authorize(e.conf, oauth2.S256ChallengeOption(v), hint, none)
	other := *e.conf
	other.RedirectURL = "http://127.0.0.1:9/other"
	_, err = other.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(v))
	if re := retrieveError(t, err); re.ErrorCode != "redirect_uri_mismatch" {
		t.Errorf("redirect mismatch: %+v", re)
	}
	// The failed attempts did not use the code up.
	if _, err := e.conf.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(v)); err != nil {
		t.Errorf("exchange after failures: %v", err)
	}

	// Unregistered, non-loopback redirect URIs get an error page, no redirect.
	bad := *e.conf
	bad.RedirectURL = "https://evil.example/cb"
	resp, err := noFollow.Get(bad.AuthCodeURL("s", hint, none))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest || resp.Header.Get("Location") != "" {
		t.Errorf("foreign redirect: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
}

func TestClientAuthentication(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	for _, style := range []oauth2.AuthStyle{oauth2.AuthStyleAutoDetect, oauth2.AuthStyleInHeader, oauth2.AuthStyleInParams} {
		conf := *e.conf
		conf.Endpoint.AuthStyle = style
		v := oauth2.GenerateVerifier()
		q := e.authorize(&conf, oauth2.S256ChallengeOption(v), oauth2.SetAuthURLParam("login_hint", "ada@example.com"), oauth2.SetAuthURLParam("prompt", "none"))
		if _, err := conf.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(v)); err != nil {
			t.Errorf("auth style %d: %v", style, err)
		}
	}

	v := oauth2.GenerateVerifier()
	q := e.authorize(e.conf, oauth2.S256ChallengeOption(v), oauth2.SetAuthURLParam("login_hint", "ada@example.com"), oauth2.SetAuthURLParam("prompt", "none"))
	wrong := *e.conf
	wrong.ClientSecret = "nope"
	_, err := wrong.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(v))
	if re := retrieveError(t, err); re.ErrorCode != "invalid_client" || re.Response.StatusCode != 401 || re.ErrorDescription != "Unauthorized" {
		t.Errorf("wrong secret: %+v", re)
	}
	wrong = *e.conf
	wrong.ClientID = "someone-else"
	_, err = wrong.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(v))
	if re := retrieveError(t, err); re.ErrorCode != "invalid_client" || re.ErrorDescription != "The OAuth client was not found." {
		t.Errorf("wrong client: %+v", re)
	}
	// Wrong credentials did not consume the code.
	if _, err := e.conf.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(v)); err != nil {
		t.Errorf("exchange after failed client auth: %v", err)
	}

	resp, err := http.PostForm(e.base+"/token", url.Values{"grant_type": {"password"}, "client_id": {e.srv.ClientID()}, "client_secret": {e.srv.ClientSecret()}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 400 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		t.Errorf("unsupported grant: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
}

func TestRefreshTokenIssuedOnFirstConsentOrPromptConsent(t *testing.T) {
	e := newEnv(t, nil)
	first := e.signIn("ada@example.com")
	if first.RefreshToken == "" {
		t.Fatal("first consent: no refresh token")
	}
	again := e.signIn("ada@example.com")
	if again.RefreshToken != "" {
		t.Errorf("second consent returned a refresh token")
	}

	// prompt=consent shows the consent page; Allow with every scope.
	v := oauth2.GenerateVerifier()
	q := e.consent(e.conf, "ada@example.com", nil, "allow", oauth2.AccessTypeOffline, oauth2.ApprovalForce, oauth2.S256ChallengeOption(v))
	got, err := e.conf.Exchange(context.Background(), q.Get("code"), oauth2.VerifierOption(v))
	if err != nil {
		t.Fatal(err)
	}
	if got.RefreshToken == "" {
		t.Errorf("prompt=consent returned no refresh token")
	}

	// include_granted_scopes unions with the earlier grant.
	narrow := *e.conf
	narrow.Scopes = []string{"openid", gmail.GmailModifyScope}
	v = oauth2.GenerateVerifier()
	q = e.authorize(&narrow, oauth2.S256ChallengeOption(v), oauth2.SetAuthURLParam("include_granted_scopes", "true"),
		oauth2.SetAuthURLParam("login_hint", "ada@example.com"), oauth2.SetAuthURLParam("prompt", "none"))
	scopes := strings.Fields(q.Get("scope"))
	if !slices.Contains(scopes, gmail.GmailModifyScope) || !slices.Contains(scopes, gmail.GmailReadonlyScope) {
		t.Errorf("include_granted_scopes: %v", scopes)
	}
}

func TestRefreshRotationAndRevoke(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	tok := e.signIn("ada@example.com")

	expired := *tok
	expired.Expiry = time.Now().Add(-time.Minute)
	fresh, err := e.conf.TokenSource(ctx, &expired).Token()
	if err != nil {
		t.Fatal(err)
	}
	if fresh.AccessToken == tok.AccessToken || fresh.RefreshToken != tok.RefreshToken {
		t.Errorf("refresh without rotation: %+v", fresh)
	}
	if n := e.srv.Stats()["token.refresh"]; n != 1 {
		t.Errorf("token.refresh = %d", n)
	}
	if raw, _ := fresh.Extra("id_token").(string); raw == "" {
		t.Errorf("refresh returned no id_token")
	}

	rot := true
	if err := e.srv.SetFaults(Faults{RotateRefreshTokens: &rot}); err != nil {
		t.Fatal(err)
	}
	rotated, err := e.conf.TokenSource(ctx, &expired).Token()
	if err != nil {
		t.Fatal(err)
	}
	if rotated.RefreshToken == tok.RefreshToken || !strings.HasPrefix(rotated.RefreshToken, "1//") {
		t.Errorf("rotation kept the refresh token")
	}
	_, err = e.conf.TokenSource(ctx, &expired).Token()
	if re := retrieveError(t, err); re.ErrorCode != "invalid_grant" || re.ErrorDescription != "Token has been expired or revoked." {
		t.Errorf("old refresh token after rotation: %+v", re)
	}

	// Revoking the access token revokes the refresh token with it.
	resp, err := http.PostForm(e.base+"/revoke", url.Values{"token": {rotated.AccessToken}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("revoke: %d", resp.StatusCode)
	}
	stale := *rotated
	stale.Expiry = time.Now().Add(-time.Minute)
	_, err = e.conf.TokenSource(ctx, &stale).Token()
	if re := retrieveError(t, err); re.ErrorCode != "invalid_grant" {
		t.Errorf("refresh after revoke: %+v", re)
	}
	_, err = e.gmail(rotated).Users.GetProfile("me").Do()
	assertAPIError(t, err, 401, "authError")

	resp, err = http.PostForm(e.base+"/revoke", url.Values{"token": {"ya29.unknown"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 400 {
		t.Errorf("revoke unknown: %d", resp.StatusCode)
	}
}

func TestAccountRevokeAndExpire(t *testing.T) {
	e := newEnv(t, nil)
	tok := e.signIn("ada@example.com")
	svc := e.gmail(tok)
	if _, err := svc.Users.GetProfile("me").Do(); err != nil {
		t.Fatal(err)
	}
	if n, err := e.srv.ExpireAccount("ada@example.com"); err != nil || n != 1 {
		t.Fatalf("expire: %d %v", n, err)
	}
	// The client still believes its token valid: Gmail answers 401.
	_, err := svc.Users.GetProfile("me").Do()
	assertAPIError(t, err, 401, "authError")

	resp, err := http.Post(e.base+"/sandbox/accounts/ada@example.com/revoke", "application/json", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	stale := *tok
	stale.Expiry = time.Now().Add(-time.Minute)
	_, err = e.conf.TokenSource(context.Background(), &stale).Token()
	if re := retrieveError(t, err); re.ErrorCode != "invalid_grant" {
		t.Errorf("refresh after account revoke: %+v", re)
	}
	if _, err := e.srv.RevokeAccount("nobody@example.com"); err == nil {
		t.Errorf("unknown account revoked")
	}
}

func TestPromptNoneErrors(t *testing.T) {
	e := newEnv(t, nil)
	q := e.authorize(e.conf, oauth2.SetAuthURLParam("login_hint", "nobody@example.com"), oauth2.SetAuthURLParam("prompt", "none"))
	if q.Get("error") != "login_required" || q.Get("code") != "" {
		t.Errorf("unknown hint: %v", q)
	}
	q = e.authorize(e.conf, oauth2.SetAuthURLParam("prompt", "none"))
	if q.Get("error") != "account_selection_required" {
		t.Errorf("no hint: %v", q)
	}
	q = e.authorize(e.conf, oauth2.SetAuthURLParam("response_type", "token"), oauth2.SetAuthURLParam("prompt", "none"))
	if q.Get("error") != "unsupported_response_type" {
		t.Errorf("response_type=token: %v", q)
	}
}

// assertAPIError checks a Google API error's status and first reason.
func assertAPIError(t *testing.T, err error, code int, reason string) *googleapi.Error {
	t.Helper()
	var ge *googleapi.Error
	if !errors.As(err, &ge) {
		t.Fatalf("error %v (%T) is not a googleapi.Error", err, err)
	}
	if ge.Code != code || len(ge.Errors) == 0 || ge.Errors[0].Reason != reason {
		t.Errorf("error = %d %+v, want %d %s", ge.Code, ge.Errors, code, reason)
	}
	return ge
}
