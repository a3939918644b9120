package oauthserver_test

import (
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jarvis-hq/jarvis"
	"github.com/jarvis-hq/jarvis/internal/audit"
	"github.com/jarvis-hq/jarvis/internal/oauthserver"
	"github.com/jarvis-hq/jarvis/internal/sqldb"
	"github.com/jarvis-hq/jarvis/internal/sqldb/sqldbtest"
	"github.com/jarvis-hq/jarvis/internal/vault"
)

const issuer = "https://jarvis.example"

type fixture struct {
	t        *testing.T
	db       *sqldb.DB
	s        *oauthserver.Server
	user     *jarvis.User
	account  string
	other    *jarvis.User
	otherAcc string
	clientID string
	redirect string
	docs     map[string]any // the metadata server's documents, by path
}

func newServer(t *testing.T, f *fixture, iss string, allowLoopback bool) *oauthserver.Server {
	return newServerWith(t, f, iss, allowLoopback, nil)
}

// newServerWith builds a server of the fixture's database; configure
// changes its configuration (a clock, lifetimes).
func newServerWith(t *testing.T, f *fixture, iss string, allowLoopback bool, roots *x509.CertPool, configure ...func(*oauthserver.Config)) *oauthserver.Server {
	t.Helper()
	kr, err := vault.GenerateKey("k1")
	if err != nil {
		t.Fatal(err)
	}
	keys, _ := vault.ParseKeys(kr)
	cfg := oauthserver.Config{Issuer: iss, Store: sqldb.NewOAuthServer(f.db), Accounts: sqldb.NewIntegrations(f.db, vault.Cipher{Keys: keys}),
		Users: f.db, Auditor: audit.New(f.db, audit.Options{}), AllowLoopbackClients: allowLoopback, MetadataRootCAs: roots}
	for _, c := range configure {
		c(&cfg)
	}
	s, err := oauthserver.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func setup(t *testing.T, d sqldb.Dialect) *fixture {
	t.Helper()
	ctx := context.Background()
	f := &fixture{t: t, db: sqldbtest.Open(t, d), docs: map[string]any{}}
	kr, _ := vault.GenerateKey("k1")
	keys, _ := vault.ParseKeys(kr)
	integrations := sqldb.NewIntegrations(f.db, vault.Cipher{Keys: keys})
	account := func(u *jarvis.User, sub string) string {
		g := &jarvis.GoogleIntegration{UserID: u.ID, Issuer: "https://accounts.google.com", Subject: sub, Email: sub + "@example.com",
			Scopes: []string{"openid"}, AccessToken: "a", RefreshToken: "r", Expiry: time.Now().Add(time.Hour), Status: jarvis.GoogleActive}
		if err := integrations.UpsertGoogleIntegration(ctx, g); err != nil {
			t.Fatal(err)
		}
		return g.ID
	}
	f.user, _ = f.db.EnsureUser(ctx, "ada@example.com", "Ada")
	f.other, _ = f.db.EnsureUser(ctx, "bob@example.com", "Bob")
	f.account, f.otherAcc = account(f.user, "ada"), account(f.other, "bob")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		doc, ok := f.docs[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		_ = json.NewEncoder(w).Encode(doc)
	}))
	t.Cleanup(srv.Close)
	f.clientID, f.redirect = srv.URL+"/client.json", "http://127.0.0.1:9/callback"
	f.docs["/client.json"] = map[string]any{"client_id": f.clientID, "client_name": "Test Client", "redirect_uris": []string{f.redirect},
		"token_endpoint_auth_method": "none"}
	f.s = newServer(t, f, issuer, true)
	return f
}

func challenge(verifier string) string {
	sum := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

const verifier = "a-long-enough-pkce-verifier-of-forty-three-plus-chars"

func (f *fixture) query(mod func(url.Values)) url.Values {
	q := url.Values{"client_id": {f.clientID}, "redirect_uri": {f.redirect}, "response_type": {"code"}, "state": {"st-1"},
		"code_challenge": {challenge(verifier)}, "code_challenge_method": {"S256"}, "resource": {issuer + "/mcp"},
		"scope": {"mail.read mail.compose calendar.read"}}
	if mod != nil {
		mod(q)
	}
	return q
}

// code runs authorize and an allowing consent, and returns the code.
func (f *fixture) code(s *oauthserver.Server, scopes []string) string {
	f.t.Helper()
	ctx := context.Background()
	req, redirect, err := s.Authorize(ctx, f.query(nil))
	if err != nil || redirect != "" {
		f.t.Fatalf("authorize: %v %s", err, redirect)
	}
	to, err := s.Decide(ctx, f.user.ID, req.ID, jarvis.MCPConsentDecision{Allow: true, Scopes: scopes, Accounts: []string{f.account}})
	if err != nil {
		f.t.Fatalf("decide: %v", err)
	}
	u, _ := url.Parse(to)
	if u.Query().Get("state") != "st-1" || u.Query().Get("iss") != issuer || !strings.HasPrefix(to, f.redirect+"?") {
		f.t.Fatalf("consent redirect %s", to)
	}
	return u.Query().Get("code")
}

type tokenAnswer struct {
	Status       int
	Error        string `json:"error"`
	Description  string `json:"error_description"`
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
	ExpiresIn    int    `json:"expires_in"`
	Scope        string `json:"scope"`
}

func (f *fixture) post(h http.HandlerFunc, form url.Values) tokenAnswer {
	f.t.Helper()
	r := httptest.NewRequest("POST", "/oauth/token", strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	w := httptest.NewRecorder()
	h(w, r)
	var a tokenAnswer
	_ = json.Unmarshal(w.Body.Bytes(), &a)
	a.Status = w.Code
	if w.Header().Get("Cache-Control") != "no-store" {
		f.t.Fatalf("token answer without Cache-Control: no-store: %v", w.Header())
	}
	return a
}

func (f *fixture) exchange(s *oauthserver.Server, code string, mod func(url.Values)) tokenAnswer {
	form := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {f.redirect}, "client_id": {f.clientID},
		"code_verifier": {verifier}, "resource": {issuer + "/mcp"}}
	if mod != nil {
		mod(form)
	}
	return f.post(s.ServeToken, form)
}

func (f *fixture) refresh(rt string) tokenAnswer {
	return f.post(f.s.ServeToken, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}, "client_id": {f.clientID}})
}

func (f *fixture) live(tok string) bool {
	_, err := f.s.VerifyMCPToken(context.Background(), tok)
	if err != nil && !jarvis.IsCode(err, jarvis.EUNAUTHORIZED) {
		f.t.Fatalf("verify: %v", err)
	}
	return err == nil
}

func (f *fixture) audited(action string) int {
	f.t.Helper()
	var n int
	if err := f.db.SQL().QueryRow(`SELECT COUNT(*) FROM audit_logs WHERE action = $1`, action).Scan(&n); err != nil {
		f.t.Fatal(err)
	}
	return n
}

// The flow, and each way the authorization server refuses: on both databases.
func TestAuthorizationServer(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) {
		f := setup(t, d)
		ctx := context.Background()

		// Consent narrows the scopes; the token carries exactly what was granted.
		tok := f.exchange(f.s, f.code(f.s, []string{"mail.read"}), nil)
		if tok.Status != 200 || !strings.HasPrefix(tok.AccessToken, "jmcp_at_") || !strings.HasPrefix(tok.RefreshToken, "jmcp_rt_") ||
			tok.ExpiresIn != 900 || tok.Scope != "mail.read" {
			t.Fatalf("token: %+v", tok)
		}
		g, err := f.s.VerifyMCPToken(ctx, tok.AccessToken)
		if err != nil || g.UserID != f.user.ID || g.ClientID != f.clientID || g.ClientName != "Test Client" ||
			!slices.Equal(g.Scopes, []string{"mail.read"}) || !slices.Equal(g.Accounts, []string{f.account}) {
			t.Fatalf("grant %+v %v", g, err)
		}
		// Nothing secret is stored as it is.
		var n int
		_ = f.db.SQL().QueryRow(`SELECT COUNT(*) FROM oauth_tokens WHERE token_hash = $1 OR token_hash = $2`, tok.AccessToken, tok.RefreshToken).Scan(&n)
		if n != 0 {
			t.Fatal("a token is stored in clear")
		}
		// A refresh token, a session JWT or garbage is no access token.
		for _, bad := range []string{tok.RefreshToken, "eyJhbGciOiJIUzI1NiJ9.e30.x", "jmcp_at_nope", ""} {
			if f.live(bad) {
				t.Fatalf("%q was accepted at /mcp", bad)
			}
		}

		// Refresh rotates; a replayed refresh token revokes the family.
		r1 := f.refresh(tok.RefreshToken)
		if r1.Status != 200 || r1.RefreshToken == tok.RefreshToken || !f.live(r1.AccessToken) {
			t.Fatalf("refresh: %+v", r1)
		}
		if r := f.refresh(tok.RefreshToken); r.Status != 400 || r.Error != "invalid_grant" {
			t.Fatalf("replayed refresh token: %+v", r)
		}
		if f.live(r1.AccessToken) || f.live(tok.AccessToken) {
			t.Fatal("the family survived a replayed refresh token")
		}
		if r := f.refresh(r1.RefreshToken); r.Status != 400 || r.Error != "invalid_grant" {
			t.Fatalf("a revoked family's refresh token: %+v", r)
		}
		if f.audited(jarvis.AuditOAuthTokenReuse) != 1 || f.audited(jarvis.AuditOAuthTokenRefreshed) != 1 || f.audited(jarvis.AuditOAuthTokenIssued) != 1 {
			t.Fatal("refresh and reuse are not audited")
		}

		// A replayed authorization code is refused and revokes what it gave.
		code := f.code(f.s, []string{"mail.read", "calendar.read"})
		first := f.exchange(f.s, code, nil)
		if first.Status != 200 || first.Scope != "mail.read calendar.read" {
			t.Fatalf("exchange: %+v", first)
		}
		if again := f.exchange(f.s, code, nil); again.Status != 400 || again.Error != "invalid_grant" {
			t.Fatalf("replayed code: %+v", again)
		}
		if f.live(first.AccessToken) || f.refresh(first.RefreshToken).Status != 400 {
			t.Fatal("the tokens of a replayed code survived")
		}

		// PKCE: a missing or wrong verifier is refused, and neither burns the code.
		code = f.code(f.s, []string{"mail.read"})
		if a := f.exchange(f.s, code, func(v url.Values) { v.Del("code_verifier") }); a.Status != 400 || a.Error != "invalid_request" {
			t.Fatalf("missing verifier: %+v", a)
		}
		if a := f.exchange(f.s, code, func(v url.Values) { v.Set("code_verifier", strings.Repeat("x", 43)) }); a.Status != 400 || a.Error != "invalid_grant" {
			t.Fatalf("wrong verifier: %+v", a)
		}
		// Another audience is refused at the token endpoint.
		if a := f.exchange(f.s, code, func(v url.Values) { v.Set("resource", "https://other.example/mcp") }); a.Status != 400 || a.Error != "invalid_target" {
			t.Fatalf("another resource: %+v", a)
		}
		if a := f.exchange(f.s, code, func(v url.Values) { v.Set("client_id", "jdcr_other") }); a.Status != 400 || a.Error != "invalid_grant" {
			t.Fatalf("another client: %+v", a)
		}
		good := f.exchange(f.s, code, nil)
		if good.Status != 200 {
			t.Fatalf("the right verifier after refusals: %+v", good)
		}
		// A token issued for another resource (Jarvis at another public
		// URL) is refused here, and this one there.
		elsewhere := newServer(t, f, "https://old.example", true)
		if _, err := elsewhere.VerifyMCPToken(ctx, good.AccessToken); !jarvis.IsCode(err, jarvis.EUNAUTHORIZED) {
			t.Fatalf("a token for another audience: %v", err)
		}
		if a := f.post(elsewhere.ServeToken, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {good.RefreshToken}, "client_id": {f.clientID}}); a.Error != "invalid_target" {
			t.Fatalf("refresh for another audience: %+v", a)
		}

		// Authorization requests: what is refused, and how.
		for _, tc := range []struct {
			name   string
			mod    func(url.Values)
			shown  string // the field of an error shown to the user
			redirs string // the error sent back to the client
		}{
			{"plain PKCE", func(q url.Values) { q.Set("code_challenge_method", "plain"); q.Set("code_challenge", verifier) }, "", "invalid_request"},
			{"no PKCE", func(q url.Values) { q.Del("code_challenge"); q.Del("code_challenge_method") }, "", "invalid_request"},
			{"another resource", func(q url.Values) { q.Set("resource", "https://other.example/mcp") }, "", "invalid_target"},
			{"no resource", func(q url.Values) { q.Del("resource") }, "", "invalid_target"},
			{"unknown scope", func(q url.Values) { q.Set("scope", "mail.read admin") }, "", "invalid_scope"},
			{"token response", func(q url.Values) { q.Set("response_type", "token") }, "", "unsupported_response_type"},
			{"redirect not in the document", func(q url.Values) { q.Set("redirect_uri", "http://127.0.0.1:9/elsewhere") }, "redirect_uri", ""},
			{"no redirect", func(q url.Values) { q.Del("redirect_uri") }, "redirect_uri", ""},
			{"unknown client", func(q url.Values) { q.Set("client_id", "jdcr_unknown") }, "client_id", ""},
			{"document missing", func(q url.Values) { q.Set("client_id", strings.Replace(f.clientID, "client.json", "none.json", 1)) }, "client_id", ""},
			{"document of another id", func(q url.Values) { q.Set("client_id", strings.Replace(f.clientID, "client.json", "liar.json", 1)) }, "client_id", ""},
		} {
			f.docs["/liar.json"] = map[string]any{"client_id": f.clientID, "redirect_uris": []string{f.redirect}}
			req, redirect, err := f.s.Authorize(ctx, f.query(tc.mod))
			switch {
			case tc.shown != "":
				var je *jarvis.Error
				if !errors.As(err, &je) || je.Field != tc.shown || redirect != "" || req != nil {
					t.Errorf("%s: %v %q, want an error on %s shown to the user", tc.name, err, redirect, tc.shown)
				}
			default:
				u, _ := url.Parse(redirect)
				if err != nil || req != nil || !strings.HasPrefix(redirect, f.redirect+"?") || u.Query().Get("error") != tc.redirs ||
					u.Query().Get("state") != "st-1" || u.Query().Get("iss") != issuer {
					t.Errorf("%s: %v %q, want %s sent back", tc.name, err, redirect, tc.redirs)
				}
			}
		}

		// Consent: accounts and scopes narrow only; a denial goes back as access_denied; a request is decided once.
		req, _, err := f.s.Authorize(ctx, f.query(nil))
		if err != nil || req.ClientName != "Test Client" || req.RedirectHost != "127.0.0.1:9" || !slices.Equal(req.Scopes, []string{"mail.read", "mail.compose", "calendar.read"}) {
			t.Fatalf("request %+v %v", req, err)
		}
		if _, err := f.s.Decide(ctx, f.user.ID, req.ID, jarvis.MCPConsentDecision{Allow: true, Scopes: []string{"mail.send"}, Accounts: []string{f.account}}); !jarvis.IsCode(err, jarvis.EINVALID) {
			t.Fatalf("a scope not asked for: %v", err)
		}
		if _, err := f.s.Decide(ctx, f.user.ID, req.ID, jarvis.MCPConsentDecision{Allow: true, Scopes: []string{"mail.read"}, Accounts: []string{f.otherAcc}}); !jarvis.IsCode(err, jarvis.EINVALID) {
			t.Fatalf("another user's account: %v", err)
		}
		to, err := f.s.Decide(ctx, f.user.ID, req.ID, jarvis.MCPConsentDecision{Allow: false})
		if u, _ := url.Parse(to); err != nil || u.Query().Get("error") != "access_denied" || u.Query().Get("state") != "st-1" || u.Query().Get("code") != "" {
			t.Fatalf("deny: %s %v", to, err)
		}
		if _, err := f.s.Decide(ctx, f.user.ID, req.ID, jarvis.MCPConsentDecision{Allow: true, Scopes: []string{"mail.read"}, Accounts: []string{f.account}}); !jarvis.IsCode(err, jarvis.ENOTFOUND) {
			t.Fatalf("a decided request decided again: %v", err)
		}
		if f.audited(jarvis.AuditOAuthConsentDenied) != 1 || f.audited(jarvis.AuditOAuthConsentGranted) != 3 {
			t.Fatal("consent decisions are not audited")
		}

		// Revocation (RFC 7009): a refresh token takes its family with it.
		live := f.exchange(f.s, f.code(f.s, []string{"mail.read"}), nil)
		if a := f.post(f.s.ServeRevoke, url.Values{"token": {live.RefreshToken}, "client_id": {"jdcr_other"}}); a.Status != 200 || !f.live(live.AccessToken) {
			t.Fatalf("another client revoked a token: %+v", a)
		}
		if a := f.post(f.s.ServeRevoke, url.Values{"token": {live.RefreshToken}, "client_id": {f.clientID}}); a.Status != 200 || f.live(live.AccessToken) {
			t.Fatalf("revoke: %+v", a)
		}
		if a := f.post(f.s.ServeRevoke, url.Values{"token": {"jmcp_rt_unknown"}, "client_id": {f.clientID}}); a.Status != 200 {
			t.Fatalf("revoking an unknown token: %+v", a)
		}

		// Connected apps: one per client; revoking it revokes every token
		// and code; another user cannot.
		live = f.exchange(f.s, f.code(f.s, []string{"mail.read"}), nil)
		pending := f.code(f.s, []string{"mail.read"})
		apps, err := f.s.ConnectedApps(ctx, f.user.ID)
		if err != nil || len(apps) != 1 || apps[0].ClientID != f.clientID || apps[0].LastUsedAt == nil || !slices.Equal(apps[0].Accounts, []string{f.account}) {
			t.Fatalf("apps %+v %v", apps, err)
		}
		if others, _ := f.s.ConnectedApps(ctx, f.other.ID); len(others) != 0 {
			t.Fatalf("another user sees %+v", others)
		}
		if err := f.s.RevokeApp(ctx, f.other.ID, apps[0].ID); !jarvis.IsCode(err, jarvis.ENOTFOUND) {
			t.Fatalf("another user revoked the app: %v", err)
		}
		if err := f.s.RevokeApp(ctx, f.user.ID, apps[0].ID); err != nil {
			t.Fatal(err)
		}
		if f.live(live.AccessToken) || f.refresh(live.RefreshToken).Status != 400 || f.exchange(f.s, pending, nil).Status != 400 {
			t.Fatal("a revoked app's tokens or code survived")
		}
		if apps, _ := f.s.ConnectedApps(ctx, f.user.ID); len(apps) != 0 {
			t.Fatalf("apps after revoking: %+v", apps)
		}

		// Dynamic registration, the fallback.
		reg := httptest.NewRecorder()
		f.s.ServeRegister(reg, jsonRequest(`{"client_name":"DCR App","redirect_uris":["http://localhost:7777/cb"],"token_endpoint_auth_method":"none"}`))
		var client struct {
			ClientID string `json:"client_id"`
			Method   string `json:"token_endpoint_auth_method"`
		}
		if err := json.Unmarshal(reg.Body.Bytes(), &client); err != nil || reg.Code != 201 || !strings.HasPrefix(client.ClientID, "jdcr_") || client.Method != "none" {
			t.Fatalf("register: %d %s", reg.Code, reg.Body)
		}
		f.clientID, f.redirect = client.ClientID, "http://localhost:7777/cb"
		if tok := f.exchange(f.s, f.code(f.s, []string{"calendar.read"}), nil); tok.Status != 200 {
			t.Fatalf("a registered client's token: %+v", tok)
		}
		for _, body := range []string{`{"redirect_uris":["http://evil.example/cb"]}`, `{"redirect_uris":["javascript:alert(1)"]}`, `{"redirect_uris":[]}`,
			`{"redirect_uris":["https://a.example/cb#frag"]}`} {
			w := httptest.NewRecorder()
			f.s.ServeRegister(w, jsonRequest(body))
			if w.Code != 400 || !strings.Contains(w.Body.String(), "invalid_redirect_uri") {
				t.Errorf("register %s: %d %s", body, w.Code, w.Body)
			}
		}
		if f.audited(jarvis.AuditOAuthClientRegistered) != 1 || f.audited(jarvis.AuditOAuthAppRevoked) != 1 || f.audited(jarvis.AuditOAuthTokenRevoked) != 1 {
			t.Fatal("registration and revocations are not audited")
		}
		// No audit row holds a token or a code.
		rows, err := f.db.SQL().Query(`SELECT CAST(metadata AS TEXT) FROM audit_logs WHERE action LIKE 'oauth.%' AND metadata IS NOT NULL`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		for rows.Next() {
			var m string
			_ = rows.Scan(&m)
			if strings.Contains(m, "jmcp_") {
				t.Fatalf("an audit row holds a secret: %s", m)
			}
		}
	})
}

func jsonRequest(body string) *http.Request {
	r := httptest.NewRequest("POST", "/oauth/register", strings.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	return r
}

// With loopback clients off (the default), a metadata document on a
// private, loopback or link-local address is never fetched: refused by
// its URL, and by the dialer after DNS.
func TestMetadataDocumentOnAPrivateAddress(t *testing.T) {
	f := setup(t, sqldb.SQLite)
	strict := newServer(t, f, issuer, false)
	fetched := false
	tls := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fetched = true }))
	defer tls.Close()
	for _, id := range []string{
		f.clientID, // http, on 127.0.0.1
		tls.URL + "/client.json",
		"https://localhost/client.json",
		"https://10.1.2.3/client.json",
		"https://169.254.169.254/latest/meta-data",
		"https://[::1]/client.json",
		"https://[fd00::1]/client.json",
	} {
		_, redirect, err := strict.Authorize(context.Background(), f.query(func(q url.Values) { q.Set("client_id", id) }))
		var je *jarvis.Error
		if !errors.As(err, &je) || je.Field != "client_id" || redirect != "" {
			t.Errorf("%s: %v %q", id, err, redirect)
		}
	}
	// The dialer's own check, for a name that resolves to such an address.
	resp, err := oauthserver.NewMetadataClient(false, nil).Get(tls.URL)
	if err == nil {
		resp.Body.Close()
		t.Fatal("the metadata client dialled a loopback address")
	}
	if fetched {
		t.Fatal("a document on a loopback address was fetched")
	}
	for addr, public := range map[string]bool{"8.8.8.8": true, "2606:4700::1111": true, "127.0.0.1": false, "10.0.0.1": false, "172.16.0.1": false,
		"192.168.1.1": false, "169.254.169.254": false, "100.64.0.1": false, "0.0.0.0": false, "224.0.0.1": false, "::1": false, "fe80::1": false,
		"fc00::1": false, "::": false, "::ffff:127.0.0.1": false, "64:ff9b::a00:1": false, "255.255.255.255": false} {
		if got := oauthserver.PublicAddress(netip.MustParseAddr(addr)); got != public {
			t.Errorf("PublicAddress(%s) = %v", addr, got)
		}
	}
}

// A metadata document is cached as its Cache-Control says, refused past
// 64 KiB, and never fetched through a redirect.
func TestMetadataDocumentFetch(t *testing.T) {
	f := setup(t, sqldb.SQLite)
	fetches := map[string]int{}
	var base string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fetches[r.URL.Path]++
		doc := map[string]any{"client_id": base + r.URL.Path, "client_name": "C", "redirect_uris": []string{f.redirect}}
		switch r.URL.Path {
		case "/cached.json":
			w.Header().Set("Cache-Control", "public, max-age=600")
		case "/nostore.json":
			w.Header().Set("Cache-Control", "no-store")
		case "/big.json":
			doc["padding"] = strings.Repeat("x", 65<<10)
		case "/moved.json":
			http.Redirect(w, r, "/cached.json", http.StatusFound)
			return
		case "/secret.json":
			doc["token_endpoint_auth_method"] = "client_secret_basic"
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(doc)
	}))
	defer srv.Close()
	base = srv.URL
	ctx := context.Background()
	authorize := func(path string) error {
		_, _, err := f.s.Authorize(ctx, f.query(func(q url.Values) { q.Set("client_id", base+path) }))
		return err
	}
	for range 3 {
		if err := authorize("/cached.json"); err != nil {
			t.Fatal(err)
		}
		if err := authorize("/nostore.json"); err != nil {
			t.Fatal(err)
		}
	}
	if fetches["/cached.json"] != 1 || fetches["/nostore.json"] != 3 {
		t.Fatalf("fetches %v: max-age is one fetch, no-store one per request", fetches)
	}
	for _, p := range []string{"/big.json", "/moved.json", "/secret.json"} {
		if err := authorize(p); !jarvis.IsCode(err, jarvis.EINVALID) {
			t.Errorf("%s: %v", p, err)
		}
	}
	if fetches["/cached.json"] != 1 {
		t.Fatal("a redirect was followed")
	}
	for cc, want := range map[string]time.Duration{"": 5 * time.Minute, "max-age=60": time.Minute, "max-age=999999": 24 * time.Hour,
		"no-cache": 0, "private, no-store": 0, "max-age=0": 0, "max-age=x": 0} {
		if got := oauthserver.CacheTTL(cc); got != want {
			t.Errorf("CacheTTL(%q) = %v, want %v", cc, got, want)
		}
	}
}

// A metadata document over https, as MCP SDKs require of a client id, from
// a server whose certificate a private authority signed: trusted only
// when that authority is configured (JARVIS_OAUTH_CLIENT_CA_FILE).
func TestMetadataDocumentOverTLS(t *testing.T) {
	f := setup(t, sqldb.SQLite)
	var id string
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"client_id": id, "client_name": "TLS client", "redirect_uris": []string{f.redirect}})
	}))
	defer srv.Close()
	id = srv.URL + "/client.json"
	q := f.query(func(q url.Values) { q.Set("client_id", id) })
	if _, _, err := newServer(t, f, issuer, true).Authorize(context.Background(), q); !jarvis.IsCode(err, jarvis.EINVALID) {
		t.Fatalf("a certificate of an unknown authority: %v", err)
	}
	roots := x509.NewCertPool()
	roots.AddCert(srv.Certificate())
	req, redirect, err := newServerWith(t, f, issuer, true, roots).Authorize(context.Background(), q)
	if err != nil || redirect != "" || req.ClientName != "TLS client" {
		t.Fatalf("with the authority trusted: %+v %q %v", req, redirect, err)
	}
}

// fakeClock is a clock that moves only when told.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

// A grant lasts RefreshLifetime from the consent however often it is
// refreshed: then refresh is invalid_grant saying the authorization
// expired and the user must connect again, and no access token outlives
// it. A refresh token unused for RefreshTTL (30 days) expires sooner.
// Connected apps show when the latest grant ends.
func TestGrantLifetime(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) {
		f := setup(t, d)
		day := 24 * time.Hour
		t0 := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
		clock := &fakeClock{now: t0}
		f.s = newServerWith(t, f, issuer, true, nil, func(c *oauthserver.Config) { c.Now, c.RefreshLifetime = clock.Now, 60*day })
		at := func(d time.Duration) { clock.Set(t0.Add(d)) }

		tok := f.exchange(f.s, f.code(f.s, []string{"mail.read"}), nil)
		if tok.Status != 200 {
			t.Fatalf("exchange: %+v", tok)
		}
		apps, err := f.s.ConnectedApps(context.Background(), f.user.ID)
		if err != nil || len(apps) != 1 || !apps[0].ExpiresAt.Equal(t0.Add(60*day)) {
			t.Fatalf("connected apps %+v, %v", apps, err)
		}
		rt := tok.RefreshToken
		for _, when := range []time.Duration{25 * day, 50 * day} {
			at(when)
			r := f.refresh(rt)
			if r.Status != 200 || r.ExpiresIn != 900 {
				t.Fatalf("refresh at day %d: %+v", when/day, r)
			}
			rt = r.RefreshToken
		}
		// Five minutes before the end, the access token lasts five minutes.
		at(60*day - 5*time.Minute)
		last := f.refresh(rt)
		if last.Status != 200 || last.ExpiresIn != 300 || !f.live(last.AccessToken) {
			t.Fatalf("refresh near the end: %+v", last)
		}
		at(60 * day)
		r := f.refresh(last.RefreshToken)
		if r.Status != 400 || r.Error != "invalid_grant" || !strings.Contains(r.Description, "authorization expired") ||
			!strings.Contains(r.Description, "60 days") || !strings.Contains(r.Description, "connect the app to Jarvis again") {
			t.Fatalf("refresh past the grant's lifetime: %+v", r)
		}
		if f.live(last.AccessToken) {
			t.Fatal("an access token outlived its grant")
		}

		// Connecting again starts a new grant, shown in connected apps; its
		// refresh token left unused for 31 days has expired.
		tok = f.exchange(f.s, f.code(f.s, []string{"mail.read"}), nil)
		if tok.Status != 200 || tok.ExpiresIn != 900 {
			t.Fatalf("a new grant: %+v", tok)
		}
		if apps, _ := f.s.ConnectedApps(context.Background(), f.user.ID); len(apps) != 1 || !apps[0].ExpiresAt.Equal(t0.Add(120*day)) {
			t.Fatalf("connected apps after connecting again %+v", apps)
		}
		at(91 * day)
		if r := f.refresh(tok.RefreshToken); r.Status != 400 || r.Error != "invalid_grant" || strings.Contains(r.Description, "authorization expired") {
			t.Fatalf("a refresh token unused for 31 days: %+v", r)
		}
	})
}

// Tokens stored before grants had a recorded start take the oldest stored
// token of their family as its start.
func TestGrantStartMigration(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) {
		f := setup(t, d)
		ctx := context.Background()
		if err := f.db.MigrateDownTo(ctx, 22); err != nil {
			t.Fatal(err)
		}
		for i, created := range []int64{5000, 1000, 9000} {
			family := "fam-a"
			if i == 2 {
				family = "fam-b"
			}
			if _, err := f.db.SQL().ExecContext(ctx, `INSERT INTO oauth_tokens (id, token_hash, kind, family_id, user_id, client_id, resource, created_at, expires_at)
				VALUES ($1, $2, 'refresh', $3, $4, 'c', 'r', $5, $6)`, "t"+strconv.Itoa(i), "h"+strconv.Itoa(i), family, f.user.ID, created, created+1000); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := f.db.MigrateUp(ctx); err != nil {
			t.Fatal(err)
		}
		for id, want := range map[string]int64{"t0": 1000, "t1": 1000, "t2": 9000} {
			var got int64
			if err := f.db.SQL().QueryRowContext(ctx, `SELECT grant_created_at FROM oauth_tokens WHERE id = $1`, id).Scan(&got); err != nil || got != want {
				t.Errorf("%s: grant_created_at %d, %v; want %d", id, got, err, want)
			}
		}
	})
}
