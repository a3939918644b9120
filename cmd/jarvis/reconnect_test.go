package main

import (
	"net/url"
	"testing"

	"github.com/jarvis-hq/jarvis/internal/sqldb"
	"github.com/jarvis-hq/jarvis/internal/sqldb/sqldbtest"
)

// A grant whose refresh token cannot be read is repaired by reconnecting:
// the unreadable token is dropped, not kept; a signed-in user's start asks
// Google for consent (so a new refresh token comes) while their grant
// cannot refresh; and disconnecting revokes both tokens at Google.
func TestReconnectRepairsGrant(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) {
		e := startEnv(t, envOptions{dialect: d})
		tok := e.signIn("ada@example.com")
		e.readFromGmail("ada@example.com")
		start := func(bearer string) string {
			t.Helper()
			var s struct {
				AuthorizationURL string `json:"authorization_url"`
			}
			e.json("GET", "/auth/google/start", bearer, nil, 200, &s, "Accept", "application/json")
			return s.AuthorizationURL
		}
		asksConsent := func(u string) bool {
			p, err := url.Parse(u)
			if err != nil {
				t.Fatal(err)
			}
			return p.Query().Get("prompt") == "consent"
		}
		if asksConsent(start("")) || asksConsent(start(tok)) {
			t.Fatal("a healthy grant asks for consent")
		}
		refreshCT := func() string {
			var ct string
			if err := e.Main.DB.SQL().QueryRow(`SELECT refresh_token_ciphertext FROM integrations_google`).Scan(&ct); err != nil {
				t.Fatal(err)
			}
			return ct
		}
		// The refresh token becomes unreadable (here: another field's ciphertext).
		if _, err := e.Main.DB.SQL().Exec(`UPDATE integrations_google SET refresh_token_ciphertext = access_token_ciphertext`); err != nil {
			t.Fatal(err)
		}
		e.problem("GET", "/gmail/labels", tok, nil, 409, "google_reauth_required")
		if !asksConsent(start(tok)) {
			t.Fatal("an unreadable refresh token does not ask for consent")
		}
		if asksConsent(start("")) {
			t.Fatal("an anonymous start asks for consent")
		}
		// A sign-in without consent brings no refresh token: the unreadable
		// one is dropped, and the fresh access token works.
		tok = e.signIn("ada@example.com")
		if ct := refreshCT(); ct != "" {
			t.Fatalf("unreadable refresh token kept: %q", ct[:8])
		}
		read := e.liveRead(tok)
		e.json("GET", read, tok, nil, 200, nil)
		au := start(tok)
		if !asksConsent(au) {
			t.Fatal("a grant without a refresh token does not ask for consent")
		}
		// Reconnect with consent: a new refresh token, and refreshes work.
		q := e.consent(au, "ada@example.com", func(string) bool { return true }).Query()
		e.json("POST", "/auth/google/callback", "", map[string]string{"code": q.Get("code"), "state": q.Get("state")}, 200, nil)
		if refreshCT() == "" {
			t.Fatal("no refresh token after a consented reconnect")
		}
		if _, err := e.Sandbox.Google.ExpireAccount("ada@example.com"); err != nil {
			t.Fatal(err)
		}
		e.Sandbox.Google.ResetStats()
		e.json("GET", read, tok, nil, 200, nil)
		if n := e.Sandbox.Google.Stats()["token.refresh"]; n != 1 {
			t.Fatalf("%d refreshes after reconnecting, want 1", n)
		}
		if asksConsent(start(tok)) {
			t.Fatal("a repaired grant still asks for consent")
		}
		// Disconnect revokes the access token and the refresh token.
		e.Sandbox.Google.ResetStats()
		e.json("DELETE", "/auth/google", tok, nil, 204, nil)
		if n := e.Sandbox.Google.Stats()["token.revoke"]; n != 2 {
			t.Fatalf("%d revocations at disconnect, want 2", n)
		}
		if e.countRows("integrations_google") != 0 {
			t.Fatal("integration left after disconnect")
		}
	})
}
