package main

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/auth"
	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/modelcontextprotocol/go-sdk/oauthex"
	"golang.org/x/oauth2"

	"github.com/jarvis-hq/jarvis"
	"github.com/jarvis-hq/jarvis/internal/config"
)

// An MCP client connects over real HTTP with golang.org/x/oauth2:
// discovery, its metadata document, authorization with PKCE, Google
// sign-in on the way, consent narrowing the scopes, the code, the token,
// a refresh, the connected app, revocation. On one database: the store's
// own test runs on both.
func TestMCPOAuthFlow(t *testing.T) {
	t.Parallel()
	e := startEnv(t, envOptions{configure: func(c *config.Config) { c.OAuthLoopbackClients = "true" }})
	ctx := context.Background()
	mux := http.NewServeMux()
	client := httptest.NewServer(mux)
	defer client.Close()
	docURL, redirect := client.URL+"/client.json", client.URL+"/callback"
	mux.HandleFunc("GET /client.json", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"client_id": docURL, "client_name": "Flow Client", "redirect_uris": []string{redirect},
			"token_endpoint_auth_method": "none", "grant_types": []string{"authorization_code", "refresh_token"}})
	})

	// Discovery, as an MCP client does it from /mcp's 401.
	var prm struct {
		Resource             string   `json:"resource"`
		AuthorizationServers []string `json:"authorization_servers"`
		Bearer               []string `json:"bearer_methods_supported"`
	}
	e.json("GET", "/.well-known/oauth-protected-resource/mcp", "", nil, 200, &prm)
	if prm.Resource != e.URL+"/mcp" || len(prm.AuthorizationServers) != 1 || prm.AuthorizationServers[0] != e.URL || prm.Bearer[0] != "header" {
		t.Fatalf("protected resource metadata %+v", prm)
	}
	var asm struct {
		Issuer     string   `json:"issuer"`
		Authorize  string   `json:"authorization_endpoint"`
		Token      string   `json:"token_endpoint"`
		Revocation string   `json:"revocation_endpoint"`
		Methods    []string `json:"code_challenge_methods_supported"`
		CIMD       bool     `json:"client_id_metadata_document_supported"`
	}
	e.json("GET", "/.well-known/oauth-authorization-server", "", nil, 200, &asm)
	if asm.Issuer != e.URL || len(asm.Methods) != 1 || asm.Methods[0] != "S256" || !asm.CIMD {
		t.Fatalf("authorization server metadata %+v", asm)
	}
	conf := &oauth2.Config{ClientID: docURL, RedirectURL: redirect, Scopes: []string{"mail.read", "mail.compose", "calendar.read"},
		Endpoint: oauth2.Endpoint{AuthURL: asm.Authorize, TokenURL: asm.Token, AuthStyle: oauth2.AuthStyleInParams}}
	verifier := oauth2.GenerateVerifier()
	resource := oauth2.SetAuthURLParam("resource", prm.Resource)
	authURL := conf.AuthCodeURL("st-42", oauth2.S256ChallengeOption(verifier), resource)

	// Not signed in: Google sign-in first, which comes back to the consent page.
	resp, _ := e.do("GET", authURL, "", nil, "Accept", "text/html")
	loc, _ := url.Parse(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusSeeOther || loc.Path != "/auth/google/start" || !strings.HasPrefix(loc.Query().Get("redirect"), "/consent?request=") {
		t.Fatalf("authorize while signed out: %d %s", resp.StatusCode, loc)
	}
	consentPath := loc.Query().Get("redirect")
	au, binding := e.browserStart("?" + loc.RawQuery)
	back := e.consent(au, "ada@example.com", func(string) bool { return true })
	resp, _ = e.do("GET", back.String(), "", nil, "Accept", "text/html", "Cookie", binding)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != consentPath {
		t.Fatalf("sign-in came back to %d %s, want %s", resp.StatusCode, resp.Header.Get("Location"), consentPath)
	}
	session, csrf := findCookie(resp, "jarvis_session"), findCookie(resp, "jarvis_csrf")
	cookie := "jarvis_session=" + session.Value + "; jarvis_csrf=" + csrf.Value
	write := []string{"Cookie", cookie, "X-CSRF-Token", csrf.Value, "Origin", e.URL}

	// The consent page's data: the client named (unverified), its redirect host, the scopes.
	id := strings.TrimPrefix(consentPath, "/consent?request=")
	var req jarvis.MCPAuthRequest
	e.json("GET", "/oauth/consent/"+id, "", nil, 200, &req, "Cookie", cookie)
	if req.ClientName != "Flow Client" || req.ClientType != "metadata_document" || req.RedirectHost != strings.TrimPrefix(client.URL, "http://") ||
		strings.Join(req.Scopes, " ") != "mail.read mail.compose calendar.read" {
		t.Fatalf("consent request %+v", req)
	}
	var accounts struct {
		Accounts []jarvis.GoogleAccount `json:"accounts"`
	}
	e.json("GET", "/accounts", "", nil, 200, &accounts, "Cookie", cookie)
	// A cookie write without the CSRF header is refused.
	e.problem("POST", "/oauth/consent/"+id, "", map[string]any{"allow": true}, 403, "forbidden", "Cookie", cookie)
	e.problem("POST", "/oauth/consent/"+id, "", map[string]any{"allow": true, "scopes": []string{"mail.send"}, "accounts": []string{accounts.Accounts[0].ID}},
		400, "invalid_request", write...)
	var answer struct {
		RedirectTo string `json:"redirect_to"`
	}
	e.json("POST", "/oauth/consent/"+id, "", map[string]any{"allow": true, "scopes": []string{"mail.read"}, "accounts": []string{accounts.Accounts[0].ID}},
		200, &answer, write...)
	to, _ := url.Parse(answer.RedirectTo)
	if !strings.HasPrefix(answer.RedirectTo, redirect+"?") || to.Query().Get("state") != "st-42" || to.Query().Get("iss") != e.URL {
		t.Fatalf("consent sends the browser to %s", answer.RedirectTo)
	}

	tok, err := conf.Exchange(ctx, to.Query().Get("code"), oauth2.VerifierOption(verifier), resource)
	if err != nil {
		t.Fatal(err)
	}
	if tok.Extra("scope") != "mail.read" || !strings.HasPrefix(tok.AccessToken, "jmcp_at_") || time.Until(tok.Expiry) > 15*time.Minute {
		t.Fatalf("token %+v", tok)
	}
	g, err := e.Main.OAuth.VerifyMCPToken(ctx, tok.AccessToken)
	if err != nil || g.ClientID != docURL || len(g.Accounts) != 1 || g.Accounts[0] != accounts.Accounts[0].ID {
		t.Fatalf("grant %+v %v", g, err)
	}
	// An MCP token never works on the REST API, nor a session token at /mcp.
	if p := e.problem("GET", "/me", tok.AccessToken, nil, 401, "unauthorized"); !strings.Contains(p["detail"].(string), "/mcp") {
		t.Fatalf("the REST API's refusal of an MCP token: %v", p)
	}
	if _, err := e.Main.OAuth.VerifyMCPToken(ctx, session.Value); !jarvis.IsCode(err, jarvis.EUNAUTHORIZED) {
		t.Fatalf("a session token at /mcp: %v", err)
	}

	// Refresh, as x/oauth2 does it when the access token has expired.
	fresh, err := conf.TokenSource(ctx, &oauth2.Token{RefreshToken: tok.RefreshToken, Expiry: time.Now().Add(-time.Minute)}).Token()
	if err != nil || fresh.RefreshToken == tok.RefreshToken || fresh.AccessToken == tok.AccessToken {
		t.Fatalf("refresh: %+v %v", fresh, err)
	}

	// At /mcp the Go SDK's client reads with the access token, on the
	// account consented to; a tool outside the consented scopes is 403
	// insufficient_scope naming the scope, as the client can step up.
	var elicited atomic.Int32
	cs := mcpClient(t, e, fresh.AccessToken, "", &elicited)
	var found struct {
		Account struct{ ID string }
		Threads []struct{ ID string }
	}
	callTool(t, cs, "search_threads", map[string]any{"query": "subject:(Dinner Friday)"}, &found)
	if len(found.Threads) == 0 || found.Account.ID != accounts.Accounts[0].ID {
		t.Fatalf("search over OAuth: %+v", found)
	}
	call, _ := http.NewRequest("POST", e.URL+"/mcp", strings.NewReader(`{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"create_draft","arguments":{"body_text":"x"}}}`))
	call.Header.Set("Authorization", "Bearer "+fresh.AccessToken)
	call.Header.Set("Content-Type", "application/json")
	call.Header.Set("Accept", "application/json, text/event-stream")
	call.Header.Set("Mcp-Protocol-Version", "2026-07-28")
	if r, err := http.DefaultClient.Do(call); err != nil || r.StatusCode != 403 ||
		!strings.Contains(r.Header.Get("WWW-Authenticate"), `error="insufficient_scope", scope="mail.compose"`) {
		t.Fatalf("create_draft without mail.compose: %v %v", r, err)
	}
	cs.Close()

	// Settings → Connected apps.
	var apps struct {
		Apps []jarvis.MCPConnectedApp `json:"apps"`
	}
	e.json("GET", "/settings/apps", "", nil, 200, &apps, "Cookie", cookie)
	if len(apps.Apps) != 1 || apps.Apps[0].ClientName != "Flow Client" || apps.Apps[0].LastUsedAt == nil || strings.Join(apps.Apps[0].Scopes, " ") != "mail.read" {
		t.Fatalf("connected apps %+v", apps)
	}
	// The grant ends 90 days (JARVIS_OAUTH_REFRESH_LIFETIME's default) after the consent.
	if a := apps.Apps[0]; !a.ExpiresAt.Equal(a.UpdatedAt.Add(90 * 24 * time.Hour)) {
		t.Fatalf("connected app expires at %v, consented at %v", a.ExpiresAt, a.UpdatedAt)
	}

	// RFC 7009: revoking the refresh token ends the grant.
	rv, _ := e.do("POST", asm.Revocation, "", "token="+url.QueryEscape(fresh.RefreshToken)+"&client_id="+url.QueryEscape(docURL),
		"Content-Type", "application/x-www-form-urlencoded")
	if rv.StatusCode != 200 {
		t.Fatalf("revoke: %d", rv.StatusCode)
	}
	if _, err := e.Main.OAuth.VerifyMCPToken(ctx, fresh.AccessToken); !jarvis.IsCode(err, jarvis.EUNAUTHORIZED) {
		t.Fatalf("an access token of a revoked grant: %v", err)
	}
	if _, err := conf.TokenSource(ctx, &oauth2.Token{RefreshToken: fresh.RefreshToken, Expiry: time.Now().Add(-time.Minute)}).Token(); err == nil {
		t.Fatal("a revoked refresh token refreshed")
	}
	e.problem("DELETE", "/settings/apps/"+apps.Apps[0].ID, "", nil, 403, "forbidden", "Cookie", cookie)
	e.json("DELETE", "/settings/apps/"+apps.Apps[0].ID, "", nil, 204, nil, write...)
	e.problem("DELETE", "/settings/apps/"+apps.Apps[0].ID, "", nil, 404, "not_found", write...)
	e.json("GET", "/settings/apps", "", nil, 200, &apps, "Cookie", cookie)
	if len(apps.Apps) != 0 {
		t.Fatalf("apps after revoking: %+v", apps)
	}

	// A client Jarvis cannot trust is shown to the user, never redirected to.
	resp, _ = e.do("GET", strings.Replace(authURL, url.QueryEscape(redirect), url.QueryEscape(client.URL+"/elsewhere"), 1), "", nil, "Accept", "text/html")
	if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/consent?error=invalid_redirect_uri") {
		t.Fatalf("a redirect URI not in the document: %d %s", resp.StatusCode, loc)
	}
	e.problem("GET", strings.Replace(authURL, url.QueryEscape(redirect), url.QueryEscape(client.URL+"/elsewhere"), 1), "", nil, 400, "invalid_request")
	// Any other error goes back to the client, with the state and the issuer.
	resp, _ = e.do("GET", strings.Replace(authURL, "S256", "plain", 1), "", nil, "Accept", "text/html")
	if back, _ := url.Parse(resp.Header.Get("Location")); resp.StatusCode != http.StatusFound || back.Query().Get("error") != "invalid_request" ||
		back.Query().Get("state") != "st-42" || back.Query().Get("iss") != e.URL {
		t.Fatalf("plain PKCE: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	// A browser-based client's preflight is answered, without credentials.
	pre, _ := e.do("OPTIONS", "/oauth/register", "", nil, "Origin", "https://inspector.example", "Access-Control-Request-Method", "POST")
	if pre.StatusCode != 204 || pre.Header.Get("Access-Control-Allow-Origin") != "*" || pre.Header.Get("Access-Control-Allow-Credentials") != "" ||
		!strings.Contains(pre.Header.Get("Access-Control-Allow-Headers"), "Content-Type") {
		t.Fatalf("preflight: %d %v", pre.StatusCode, pre.Header)
	}
	// Dynamic registration answers 201, and a bad redirect URI 400.
	e.json("POST", "/oauth/register", "", map[string]any{"client_name": "IDE", "redirect_uris": []string{"http://127.0.0.1:33418/cb"}}, 201, nil)
	if r, _ := e.do("POST", "/oauth/register", "", map[string]any{"redirect_uris": []string{"http://evil.example/cb"}}); r.StatusCode != 400 {
		t.Fatalf("register a bad redirect URI: %d", r.StatusCode)
	}
	// A token request without the code's verifier: 400 (OAuth's error, not a problem).
	if r, b := e.do("POST", asm.Token, "", "grant_type=authorization_code&code=jmcp_ac_x&redirect_uri="+url.QueryEscape(redirect)+"&client_id="+url.QueryEscape(docURL),
		"Content-Type", "application/x-www-form-urlencoded"); r.StatusCode != 400 || !strings.Contains(string(b), `"invalid_request"`) {
		t.Fatalf("no verifier: %d %s", r.StatusCode, b)
	}
	e.Main.Audit.Flush()
	for _, a := range []string{jarvis.AuditOAuthConsentGranted, jarvis.AuditOAuthTokenIssued, jarvis.AuditOAuthTokenRefreshed, jarvis.AuditOAuthTokenRevoked,
		jarvis.AuditOAuthAppRevoked, jarvis.AuditOAuthClientRegistered} {
		// A registration is anonymous; every other row is in the user's org.
		var n int
		if err := e.Main.DB.SQL().QueryRow(`SELECT COUNT(*) FROM audit_logs WHERE action = $1 AND (org_id <> '' OR action = 'oauth.client_registered')`, a).Scan(&n); err != nil || n == 0 {
			t.Errorf("%s: %d rows in an org (%v)", a, n, err)
		}
	}
}

// JARVIS_OAUTH_CLIENT_CA_FILE: a missing file or one without a certificate
// stops serve with the variable named; a PEM certificate is trusted.
func TestOAuthClientCAFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if roots, err := clientCAs(""); roots != nil || err != nil {
		t.Fatalf("empty: %v %v", roots, err)
	}
	if _, err := clientCAs(dir + "/missing.pem"); err == nil || !strings.Contains(err.Error(), "JARVIS_OAUTH_CLIENT_CA_FILE") {
		t.Fatalf("missing file: %v", err)
	}
	_ = os.WriteFile(dir+"/empty.pem", []byte("not a certificate"), 0o600)
	if _, err := clientCAs(dir + "/empty.pem"); err == nil || !strings.Contains(err.Error(), "no PEM certificate") {
		t.Fatalf("no certificate: %v", err)
	}
	srv := httptest.NewTLSServer(http.NotFoundHandler())
	defer srv.Close()
	_ = os.WriteFile(dir+"/ca.pem", pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o600)
	roots, err := clientCAs(dir + "/ca.pem")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := srv.Certificate().Verify(x509.VerifyOptions{Roots: roots}); err != nil {
		t.Fatalf("the file's certificate is not trusted: %v", err)
	}
}

// browserSession signs a browser in with Google and returns its cookie
// header and CSRF token.
func (e *testEnv) browserSession(email string) (cookie, csrf string) {
	e.t.Helper()
	au, binding := e.browserStart("")
	back := e.consent(au, email, func(string) bool { return true })
	resp, _ := e.do("GET", back.String(), "", nil, "Accept", "text/html", "Cookie", binding)
	session, c := findCookie(resp, "jarvis_session"), findCookie(resp, "jarvis_csrf")
	if session == nil || c == nil {
		e.t.Fatalf("browser sign-in set no session: %d", resp.StatusCode)
	}
	return "jarvis_session=" + session.Value + "; jarvis_csrf=" + c.Value, c.Value
}

// The official Go SDK's client connects to /mcp from scratch with its own
// OAuth handler: discovery from the 401, registration by a metadata
// document over https (a private CA, JARVIS_OAUTH_CLIENT_CA_FILE) and
// by dynamic registration, PKCE, the user's consent, the token with iss
// checked (RFC 9207), and a tool call.
func TestGoSDKConnectsWithOAuth(t *testing.T) {
	t.Parallel()
	var docURL string
	redirect := "http://127.0.0.1:1/callback" // never reached: the fetcher reads the redirect itself
	docs := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"client_id": docURL, "client_name": "Go SDK (document)", "redirect_uris": []string{redirect},
			"grant_types": []string{"authorization_code", "refresh_token"}, "token_endpoint_auth_method": "none"})
	}))
	defer docs.Close()
	docURL = docs.URL + "/client.json"
	caFile := t.TempDir() + "/ca.pem"
	if err := os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: docs.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	e := startEnv(t, envOptions{configure: func(c *config.Config) { c.OAuthLoopbackClients, c.OAuthClientCAFile = "true", caFile }})
	cookie, csrf := e.browserSession("ada@example.com")
	var accounts struct {
		Accounts []jarvis.GoogleAccount `json:"accounts"`
	}
	e.json("GET", "/accounts", "", nil, 200, &accounts, "Cookie", cookie)
	// The user at the browser: signed in, they allow mail.read for their account.
	consent := func(ctx context.Context, args *auth.AuthorizationArgs) (*auth.AuthorizationResult, error) {
		resp, body := e.do("GET", args.URL, "", nil, "Accept", "text/html", "Cookie", cookie)
		loc := resp.Header.Get("Location")
		if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/consent?request=") {
			return nil, fmt.Errorf("authorize: %d %s %s", resp.StatusCode, loc, body)
		}
		var answer struct {
			RedirectTo string `json:"redirect_to"`
		}
		e.json("POST", "/oauth/consent/"+strings.TrimPrefix(loc, "/consent?request="), "",
			map[string]any{"allow": true, "scopes": []string{"mail.read"}, "accounts": []string{accounts.Accounts[0].ID}}, 200, &answer,
			"Cookie", cookie, "X-CSRF-Token", csrf, "Origin", e.URL)
		u, err := url.Parse(answer.RedirectTo)
		if err != nil {
			return nil, err
		}
		q := u.Query()
		return &auth.AuthorizationResult{Code: q.Get("code"), State: q.Get("state"), Iss: q.Get("iss")}, nil
	}
	for _, tc := range []struct {
		name string
		cfg  auth.AuthorizationCodeHandlerConfig
	}{
		{"metadata document", auth.AuthorizationCodeHandlerConfig{ClientIDMetadataDocumentConfig: &auth.ClientIDMetadataDocumentConfig{URL: docURL}}},
		{"dynamic registration", auth.AuthorizationCodeHandlerConfig{DynamicClientRegistrationConfig: &auth.DynamicClientRegistrationConfig{
			Metadata: &oauthex.ClientRegistrationMetadata{ClientName: "Go SDK (dynamic)", RedirectURIs: []string{redirect},
				GrantTypes: []string{"authorization_code", "refresh_token"}, ResponseTypes: []string{"code"}, TokenEndpointAuthMethod: "none"}}}},
	} {
		cfg := tc.cfg
		cfg.RedirectURL, cfg.AuthorizationCodeFetcher = redirect, consent
		h, err := auth.NewAuthorizationCodeHandler(&cfg)
		if err != nil {
			t.Fatal(err)
		}
		c := mcp.NewClient(&mcp.Implementation{Name: "go-sdk", Version: "1"}, nil)
		cs, err := c.Connect(context.Background(), &mcp.StreamableClientTransport{Endpoint: e.URL + "/mcp", OAuthHandler: h}, nil)
		if err != nil {
			t.Fatalf("%s: connect: %v", tc.name, err)
		}
		res, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: "list_accounts", Arguments: map[string]any{}})
		if err != nil || res.IsError {
			t.Fatalf("%s: list_accounts: %+v %v", tc.name, res, err)
		}
		if b, _ := json.Marshal(res.StructuredContent); !strings.Contains(string(b), "ada@example.com") {
			t.Fatalf("%s: list_accounts answered %s", tc.name, b)
		}
		cs.Close()
	}
	var apps struct {
		Apps []jarvis.MCPConnectedApp `json:"apps"`
	}
	e.json("GET", "/settings/apps", "", nil, 200, &apps, "Cookie", cookie)
	names := []string{}
	for _, a := range apps.Apps {
		names = append(names, a.ClientName)
	}
	if len(apps.Apps) != 2 || !slices.Contains(names, "Go SDK (document)") || !slices.Contains(names, "Go SDK (dynamic)") {
		t.Fatalf("connected apps %v", names)
	}
}
