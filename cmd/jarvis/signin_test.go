package main

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/jarvis-hq/jarvis/internal/config"
	"github.com/jarvis-hq/jarvis/internal/sqldb"
	"github.com/jarvis-hq/jarvis/internal/sqldb/sqldbtest"
)

func TestSignInAPI(t *testing.T) {
	oneDB(t, func(t *testing.T, d sqldb.Dialect) {
		e := startEnv(t, envOptions{dialect: d})
		tok := e.signIn("ada@example.com")
		me := e.me(tok)
		if me.User.Email != "ada@example.com" || me.User.Name != "Ada Lovelace" || len(me.Orgs) != 1 || me.Orgs[0].Role != "owner" {
			t.Fatalf("me = %+v", me)
		}
		if me.Google == nil || me.Google.Status != "active" || me.Google.Email != "ada@example.com" || len(me.Google.Scopes) < 5 {
			t.Fatalf("google = %+v", me.Google)
		}
		// Signing in again is the same user, org and integration.
		again := e.me(e.signIn("ada@example.com"))
		if again.User.ID != me.User.ID || e.countRows("users") != 1 || e.countRows("orgs") != 1 || e.countRows("integrations_google") != 1 {
			t.Fatal("a second sign-in made new rows")
		}
		var page auditPage
		e.json("GET", "/orgs/"+me.Orgs[0].ID+"/audit-logs?max_results=200", tok, nil, 200, &page)
		seen := map[string]bool{}
		for _, en := range page.Entries {
			seen[en.Action] = true
		}
		for _, a := range []string{"auth.google_sign_in", "google.connect", "auth.token_issued"} {
			if !seen[a] {
				t.Errorf("no %s audit row", a)
			}
		}
	})
}

// The authorize URL carries an S256 challenge; the verifier never leaves
// the server (SECURITY.md line 2).
func TestAuthorizeURLUsesPKCE(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) {
		e := startEnv(t, envOptions{dialect: d})
		au, state := e.startURL("")
		u, _ := url.Parse(au)
		q := u.Query()
		if q.Get("code_challenge_method") != "S256" || len(q.Get("code_challenge")) != 43 || q.Get("code_verifier") != "" {
			t.Fatalf("authorize URL %s", au)
		}
		for _, k := range []string{"nonce", "state", "access_type", "include_granted_scopes"} {
			if q.Get(k) == "" {
				t.Errorf("authorize URL lacks %s", k)
			}
		}
		if q.Get("state") != state || !strings.Contains(q.Get("scope"), "gmail.compose") {
			t.Fatalf("authorize URL %s", au)
		}
		// A browser gets a redirect instead.
		resp, _ := e.do("GET", "/auth/google/start", "", nil)
		if resp.StatusCode != http.StatusFound || !strings.HasPrefix(resp.Header.Get("Location"), e.Sandbox.URL) {
			t.Fatalf("browser start: %d %s", resp.StatusCode, resp.Header.Get("Location"))
		}
	})
}

// Bad state, reused codes: 400, and nothing stored (SECURITY.md lines 1, 3).
func TestCallbackRefusesBadStateAndReusedCode(t *testing.T) {
	oneDB(t, func(t *testing.T, d sqldb.Dialect) {
		e := startEnv(t, envOptions{dialect: d})
		code, state := e.authorize("ada@example.com")
		other := startEnv(t, envOptions{sandbox: e.Sandbox})
		_, foreign := other.authorize("ada@example.com")
		for name, body := range map[string]map[string]string{
			"missing state": {"code": code},
			"wrong state":   {"code": code, "state": "not-a-state"},
			"foreign state": {"code": code, "state": foreign},
			"missing code":  {"state": "x"},
		} {
			t.Run(name, func(t *testing.T) {
				e.problem("POST", "/auth/google/callback", "", body, 400, "invalid_request")
			})
		}
		if n := e.countRows("users"); n != 0 {
			t.Fatalf("%d users after refused callbacks", n)
		}
		// The real state still works once (the state of a refused attempt
		// was not consumed by a wrong one)...
		e.json("POST", "/auth/google/callback", "", map[string]string{"code": code, "state": state}, 200, nil)
		// ... and never twice.
		e.problem("POST", "/auth/google/callback", "", map[string]string{"code": code, "state": state}, 400, "invalid_request")
		// A fresh state with an already-redeemed code: Google refuses it; no duplicate.
		_, state2 := e.authorize("ada@example.com")
		e.problem("POST", "/auth/google/callback", "", map[string]string{"code": code, "state": state2}, 400, "invalid_request")
		if e.countRows("users") != 1 || e.countRows("orgs") != 1 {
			t.Fatal("a replayed code made rows")
		}
		// Expired state.
		_, expired := e.authorize("ada@example.com")
		if _, err := e.Main.DB.SQL().Exec(`UPDATE oauth_states SET expires_at = created_at`); err != nil {
			t.Fatal(err)
		}
		e.problem("POST", "/auth/google/callback", "", map[string]string{"code": "x", "state": expired}, 400, "invalid_request")
		// The consent page's denial comes back as an error.
		resp, _ := e.do("GET", "/auth/google/callback?error=access_denied&state="+state2, "", nil)
		if resp.StatusCode != 400 {
			t.Fatalf("denied consent: %d", resp.StatusCode)
		}
	})
}

// The browser flow: cookies, no code left in the URL, no caching, and a
// CSRF check on cookie-authenticated writes (SECURITY.md lines 4, 5).
func TestBrowserSignIn(t *testing.T) {
	oneDB(t, func(t *testing.T, d sqldb.Dialect) {
		e := startEnv(t, envOptions{dialect: d})
		previousCSRF := ""
		for _, tc := range []struct{ redirect, want string }{
			{"", "/"},
			{"/thread?id=abc", "/thread?id=abc"},
			{"https://evil.example/x", "/"},
			{"//evil.example/x", "/"},
			{`/\evil.example`, "/"},
		} {
			au, binding := e.browserStart("?redirect=" + url.QueryEscape(tc.redirect))
			loc := e.consent(au, "ada@example.com", func(string) bool { return true })
			if loc.Host != strings.TrimPrefix(e.URL, "http://") || loc.Path != "/auth/google/callback" {
				t.Fatalf("consent redirected to %s", loc)
			}
			resp, _ := e.do("GET", loc.String(), "", nil, "Accept", "text/html", "Cookie", binding)
			if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != tc.want {
				t.Fatalf("redirect %q: %d → %q, want %q", tc.redirect, resp.StatusCode, resp.Header.Get("Location"), tc.want)
			}
			if resp.Header.Get("Cache-Control") != "no-store" || resp.Header.Get("Referrer-Policy") != "no-referrer" || strings.Contains(resp.Header.Get("Location"), "code=") {
				t.Fatalf("callback headers %v", resp.Header)
			}
			var session, csrf *http.Cookie
			for _, c := range resp.Cookies() {
				switch c.Name {
				case "jarvis_session":
					session = c
				case "jarvis_csrf":
					csrf = c
				}
			}
			if session == nil || !session.HttpOnly || session.SameSite != http.SameSiteLaxMode || csrf == nil || csrf.HttpOnly {
				t.Fatalf("cookies %v", resp.Cookies())
			}
			cookie := "jarvis_session=" + session.Value + "; jarvis_csrf=" + csrf.Value
			e.json("GET", "/me", "", nil, 200, nil, "Cookie", cookie)
			// Cookie-authenticated writes need the CSRF header and our origin.
			e.problem("POST", "/auth/logout", "", nil, 403, "forbidden", "Cookie", cookie)
			e.problem("POST", "/auth/logout", "", nil, 403, "forbidden", "Cookie", cookie, "X-CSRF-Token", "wrong")
			// The token is derived from the session: a jarvis_csrf cookie
			// planted by a sibling subdomain, or another session's token, is
			// useless.
			planted := "jarvis_session=" + session.Value + "; jarvis_csrf=planted"
			e.problem("POST", "/auth/logout", "", nil, 403, "forbidden", "Cookie", planted, "X-CSRF-Token", "planted", "Origin", e.URL)
			if previousCSRF != "" {
				e.problem("POST", "/auth/logout", "", nil, 403, "forbidden", "Cookie", "jarvis_session="+session.Value+"; jarvis_csrf="+previousCSRF,
					"X-CSRF-Token", previousCSRF, "Origin", e.URL)
			}
			previousCSRF = csrf.Value
			// A session whose CSRF cookie is wrong is given the right one.
			healed := e.json("GET", "/me", "", nil, 200, nil, "Cookie", planted)
			if c := findCookie(healed, "jarvis_csrf"); c == nil || c.Value != csrf.Value {
				t.Fatalf("the stale CSRF cookie was not replaced: %v", healed.Header.Values("Set-Cookie"))
			}
			e.problem("POST", "/auth/logout", "", nil, 403, "forbidden", "Cookie", cookie, "X-CSRF-Token", csrf.Value, "Origin", "https://evil.example")
			e.problem("POST", "/auth/logout", "", nil, 403, "forbidden", "Cookie", cookie, "X-CSRF-Token", csrf.Value, "Sec-Fetch-Site", "cross-site")
			e.json("POST", "/auth/logout", "", nil, 204, nil, "Cookie", cookie, "X-CSRF-Token", csrf.Value, "Origin", e.URL, "Sec-Fetch-Site", "same-origin")
			e.problem("GET", "/me", "", nil, 401, "unauthorized", "Cookie", cookie)
		}
		// A browser whose sign-in fails lands on the sign-in page with the reason.
		resp, _ := e.do("GET", "/auth/google/callback?code=x&state=y", "", nil, "Accept", "text/html")
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/signin?error=invalid_request" {
			t.Fatalf("failed browser callback: %d %s", resp.StatusCode, resp.Header.Get("Location"))
		}
	})
}

// Who may sign in: closed by default, allowlists, and people added by email.
func TestSignInAllowlist(t *testing.T) {
	oneDB(t, func(t *testing.T, d sqldb.Dialect) {
		closed := func(c *config.Config) { c.OpenSignup = false }
		e := startEnv(t, envOptions{dialect: d, configure: closed})
		code, state := e.authorize("ada@example.com")
		e.problem("POST", "/auth/google/callback", "", map[string]string{"code": code, "state": state}, 403, "signup_closed")
		if e.countRows("users") != 0 {
			t.Fatal("a refused sign-in made a user")
		}
		// An owner invites grace by email: she may sign in, sees the
		// invitation, and joins only when she accepts it.
		owner := e.token("boss@example.com")
		org := e.me(owner).Orgs[0].ID
		var inv invitation
		e.json("POST", "/orgs/"+org+"/members", owner, map[string]string{"email": "grace@example.com"}, 201, &inv)
		grace := e.signIn("grace@example.com")
		if me := e.me(grace); len(me.Orgs) != 1 || me.Google == nil {
			t.Fatalf("invited user signed in as %+v", me)
		}
		var m member
		e.json("POST", "/invitations/"+inv.ID+"/accept", grace, nil, 200, &m)
		if me := e.me(grace); me.User.ID != m.UserID || len(me.Orgs) != 2 {
			t.Fatalf("after accepting: %+v (member %+v)", me, m)
		}

		byEmail := startEnv(t, envOptions{sandbox: e.Sandbox, configure: func(c *config.Config) { closed(c); c.AllowedEmails = []string{"ada@example.com"} }})
		byEmail.signIn("ada@example.com")
		code, state = byEmail.authorize("grace@example.com")
		byEmail.problem("POST", "/auth/google/callback", "", map[string]string{"code": code, "state": state}, 403, "signup_closed")

		byDomain := startEnv(t, envOptions{sandbox: e.Sandbox, configure: func(c *config.Config) { closed(c); c.AllowedDomains = []string{"example.com"} }})
		byDomain.signIn("grace@example.com")
		var refused int
		byEmail.Main.Audit.Flush()
		_ = byEmail.Main.DB.SQL().QueryRow(`SELECT COUNT(*) FROM audit_logs WHERE action = 'auth.sign_in_refused' AND outcome = 'denied'`).Scan(&refused)
		if refused != 1 {
			t.Fatalf("%d sign_in_refused rows", refused)
		}
	})
}

// A different Google identity (issuer, sub) with the verified email of a
// user already linked to Google — a recycled Workspace address — never signs
// into that user nor overwrites the link: 409 and an audit row naming why.
func TestSignInRefusesAnotherIdentityWithTheSameEmail(t *testing.T) {
	oneDB(t, func(t *testing.T, d sqldb.Dialect) {
		e := startEnv(t, envOptions{dialect: d})
		tok := e.signIn("ada@example.com")
		before := e.me(tok)
		oldSub := e.identityOf(before.User.ID)

		newSub, err := e.Sandbox.Google.RecycleAccount("ada@example.com")
		if err != nil || newSub == oldSub {
			t.Fatalf("recycle: %q %v", newSub, err)
		}
		code, state := e.authorize("ada@example.com")
		p := e.problem("POST", "/auth/google/callback", "", map[string]string{"code": code, "state": state}, 409, "conflict")
		if detail, _ := p["detail"].(string); !strings.Contains(detail, "belongs to another Google account") {
			t.Fatalf("detail %q", detail)
		}
		// The browser flow lands on the sign-in page with the reason.
		au, binding := e.browserStart("")
		loc := e.consent(au, "ada@example.com", func(string) bool { return true })
		resp, _ := e.do("GET", loc.String(), "", nil, "Accept", "text/html", "Cookie", binding)
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/signin?error=conflict" {
			t.Fatalf("browser callback: %d %s", resp.StatusCode, resp.Header.Get("Location"))
		}
		for _, c := range resp.Cookies() {
			if c.Name == "jarvis_session" && c.Value != "" {
				t.Fatal("a refused sign-in set a session")
			}
		}
		// Nothing changed: one user, the old identity still linked and working.
		if e.countRows("users") != 1 || e.countRows("integrations_google") != 1 || e.identityOf(before.User.ID) != oldSub {
			t.Fatal("the refused identity changed the stored link")
		}
		if after := e.me(tok); after.Google == nil || after.User.ID != before.User.ID {
			t.Fatalf("me after refusal = %+v", after)
		}
		e.Main.Audit.Flush()
		var n int
		if err := e.Main.DB.SQL().QueryRow(`SELECT COUNT(*) FROM audit_logs WHERE action = 'auth.sign_in_refused' AND outcome = 'denied'
			AND target_id = $1 AND CAST(metadata AS TEXT) LIKE '%email_linked_to_other_google_identity%'`, newSub).Scan(&n); err != nil || n != 2 {
			t.Fatalf("%d refusal rows naming the reason (%v)", n, err)
		}
		if rows := e.auditOf("ada@example.com", "auth.google_sign_in"); len(rows) != 1 {
			t.Fatalf("%d sign-in rows", len(rows))
		}
	})
}

// A disconnect deletes the tokens but not the identity: the same Google
// account comes back to the same user, and another one with the email is
// still refused, even with no Google connection left to compare with.
func TestDisconnectKeepsTheIdentity(t *testing.T) {
	oneDB(t, func(t *testing.T, d sqldb.Dialect) {
		e := startEnv(t, envOptions{dialect: d})
		tok := e.signIn("ada@example.com")
		id := e.me(tok).User.ID
		e.json("DELETE", "/auth/google", tok, nil, 204, nil)
		tok = e.signIn("ada@example.com")
		if me := e.me(tok); me.User.ID != id || me.Google == nil {
			t.Fatalf("reconnecting made %+v", me)
		}
		e.json("DELETE", "/auth/google", tok, nil, 204, nil)
		if e.countRows("integrations_google") != 0 {
			t.Fatal("disconnect kept the tokens")
		}
		if _, err := e.Sandbox.Google.RecycleAccount("ada@example.com"); err != nil {
			t.Fatal(err)
		}
		code, state := e.authorize("ada@example.com")
		e.problem("POST", "/auth/google/callback", "", map[string]string{"code": code, "state": state}, 409, "conflict")
		if e.countRows("users") != 1 || e.countRows("integrations_google") != 0 {
			t.Fatal("the refused identity was linked")
		}
	})
}

// Every refusal of the callback writes an auth.sign_in_refused row.
func TestEveryRefusedCallbackIsAudited(t *testing.T) {
	oneDB(t, func(t *testing.T, d sqldb.Dialect) {
		e := startEnv(t, envOptions{dialect: d})
		code, _ := e.authorize("ada@example.com")
		e.problem("POST", "/auth/google/callback", "", map[string]string{"code": code}, 400, "invalid_request")
		e.problem("POST", "/auth/google/callback", "", map[string]string{"code": code, "state": "unknown"}, 400, "invalid_request")
		e.do("GET", "/auth/google/callback?error=access_denied&state=x", "", nil)
		_, state := e.authorize("ada@example.com")
		e.problem("POST", "/auth/google/callback", "", map[string]string{"code": "not-a-code", "state": state}, 400, "invalid_request")
		e.Main.Audit.Flush()
		rows, err := e.Main.DB.SQL().Query(`SELECT CAST(metadata AS TEXT) FROM audit_logs WHERE action = 'auth.sign_in_refused' AND outcome = 'denied' ORDER BY occurred_at`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var fields []string
		for rows.Next() {
			var meta string
			if err := rows.Scan(&meta); err != nil {
				t.Fatal(err)
			}
			var m map[string]any
			if err := json.Unmarshal([]byte(meta), &m); err != nil || m["reason"] != "invalid_request" {
				t.Fatalf("metadata %s", meta)
			}
			f, _ := m["field"].(string)
			fields = append(fields, f)
		}
		slices.Sort(fields)
		if want := []string{"code", "error", "state", "state"}; !slices.Equal(fields, want) {
			t.Fatalf("refusal rows name fields %v, want %v", fields, want)
		}
	})
}

// identityOf returns the Google subject linked to the user.
func (e *testEnv) identityOf(userID string) string {
	e.t.Helper()
	var sub string
	if err := e.Main.DB.SQL().QueryRow(`SELECT google_sub FROM integrations_google WHERE user_id = $1`, userID).Scan(&sub); err != nil {
		e.t.Fatal(err)
	}
	return sub
}
