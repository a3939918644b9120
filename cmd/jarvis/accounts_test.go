package main

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jarvis-hq/jarvis/internal/config"
	"github.com/jarvis-hq/jarvis/internal/sandbox"
	"github.com/jarvis-hq/jarvis/internal/sqldb"
)

type accountBody struct {
	ID, Email, Name, Status string
	Picture                 string   `json:"picture"`
	Primary                 bool     `json:"primary"`
	Scopes                  []string `json:"scopes"`
	ConnectedAt             string   `json:"connected_at"`
	LastUsedAt              *string  `json:"last_used_at"`
}

type refBody struct{ ID, Email string }

// accounts lists the user's Google accounts.
func (e *testEnv) accounts(tok string) []accountBody {
	e.t.Helper()
	var out struct{ Accounts []accountBody }
	e.json("GET", "/accounts", tok, nil, 200, &out)
	return out.Accounts
}

// startConnect asks Jarvis to connect another account and returns the
// consent URL and state.
func (e *testEnv) startConnect(tok, hint string) (string, string) {
	e.t.Helper()
	var start struct {
		AuthorizationURL string `json:"authorization_url"`
		State            string `json:"state"`
	}
	e.json("POST", "/accounts/connect", tok, map[string]string{"login_hint": hint}, 200, &start)
	return start.AuthorizationURL, start.State
}

// connectCallback runs the sandbox's consent page for email on a connect
// flow's URL, as a person picking that account does, and returns the code
// and state it redirects back with.
func (e *testEnv) connectCallback(authURL, email string) (string, string) {
	e.t.Helper()
	loc := e.consent(authURL, email, func(string) bool { return true })
	return loc.Query().Get("code"), loc.Query().Get("state")
}

// connect links the sandbox account email to the user of tok and returns it.
func (e *testEnv) connect(tok, email string) accountBody {
	e.t.Helper()
	authURL, _ := e.startConnect(tok, email)
	code, state := e.connectCallback(authURL, email)
	var out struct {
		AccessToken string `json:"access_token"`
		User        struct{ ID string }
		Account     accountBody
	}
	e.json("POST", "/auth/google/callback", tok, map[string]string{"code": code, "state": state}, 200, &out)
	if out.AccessToken != "" || out.Account.Email != email || out.User.ID != e.me(tok).User.ID {
		e.t.Fatalf("connect answer %+v", out)
	}
	return out.Account
}

// A user links a second sandbox account, reads both inboxes, merges the
// calendars, drafts a reply in the second account's thread (it lands there
// and only there), and disconnects it: its tokens gone and revoked at the
// sandbox, its data gone, the first account untouched. Signing in with
// either account signs in the same user; the last account goes only with
// consent.
func TestSeveralGoogleAccounts(t *testing.T) {
	t.Parallel()
	oneDB(t, func(t *testing.T, d sqldb.Dialect) {
		e := startEnv(t, envOptions{dialect: d})
		ctx := context.Background()
		tok := e.signIn("ada@example.com")
		me := e.me(tok)
		list := e.accounts(tok)
		if len(list) != 1 || list[0].Email != "ada@example.com" || !list[0].Primary || list[0].Status != "active" || len(list[0].Scopes) == 0 {
			t.Fatalf("accounts after sign-in: %+v", list)
		}
		ada := list[0]

		// The consent URL: state, PKCE, nonce, and an account chooser.
		authURL, state := e.startConnect(tok, "grace@example.com")
		u, _ := url.Parse(authURL)
		q := u.Query()
		if q.Get("prompt") != "consent select_account" || q.Get("code_challenge_method") != "S256" || q.Get("code_challenge") == "" ||
			q.Get("nonce") == "" || q.Get("state") != state || q.Get("login_hint") != "grace@example.com" || q.Get("access_type") != "offline" {
			t.Fatalf("connect URL %s", authURL)
		}
		grace := e.connect(tok, "grace@example.com")
		if grace.Primary || grace.Name != "Grace Hopper" || grace.ID == ada.ID {
			t.Fatalf("connected %+v", grace)
		}
		if list := e.accounts(tok); len(list) != 2 || list[0].ID != ada.ID || list[1].ID != grace.ID || list[1].LastUsedAt != nil {
			t.Fatalf("accounts: %+v", list)
		}

		// Both inboxes, by default (the primary), by id and by email.
		var inbox struct {
			Account refBody
			Threads []struct{ ID, Subject string }
		}
		e.json("GET", "/gmail/threads?max_results=50", tok, nil, 200, &inbox)
		if inbox.Account.ID != ada.ID || !hasSubject(inbox.Threads, "Dinner Friday?") || hasSubject(inbox.Threads, "COBOL standards committee: agenda") {
			t.Fatalf("ada's inbox: %+v", inbox)
		}
		for _, ref := range []string{grace.ID, "Grace@Example.com"} {
			e.json("GET", "/gmail/threads?max_results=50&account="+url.QueryEscape(ref), tok, nil, 200, &inbox)
			if inbox.Account.ID != grace.ID || inbox.Account.Email != "grace@example.com" || !hasSubject(inbox.Threads, "COBOL standards committee: agenda") {
				t.Fatalf("grace's inbox by %s: %+v", ref, inbox)
			}
		}
		if list := e.accounts(tok); list[1].LastUsedAt == nil {
			t.Fatal("grace's account has no last use after a read")
		}

		// The calendars merged, in time order, each event naming its account.
		var cal struct {
			Accounts []refBody
			Events   []struct {
				Start, Summary string
				AllDay         bool `json:"all_day"`
				Account        refBody
			}
		}
		e.json("GET", "/calendar/upcoming?account=all&days=30&max_results=250", tok, nil, 200, &cal)
		seen := map[string]int{}
		last := time.Time{}
		for _, ev := range cal.Events {
			seen[ev.Account.Email]++
			st, err := time.Parse(time.RFC3339, ev.Start)
			if ev.AllDay {
				st, err = time.Parse(time.DateOnly, ev.Start)
			}
			if err != nil || st.Before(last) {
				t.Fatalf("merged events out of order at %+v", ev)
			}
			last = st
		}
		if len(cal.Accounts) != 2 || cal.Accounts[0].ID != ada.ID || seen["ada@example.com"] == 0 || seen["grace@example.com"] == 0 {
			t.Fatalf("merged calendar: accounts %+v, events per account %v", cal.Accounts, seen)
		}
		var one struct {
			Account refBody
			Events  []struct{ Account refBody }
		}
		e.json("GET", "/calendar/upcoming?days=30&account="+grace.ID, tok, nil, 200, &one)
		if one.Account.ID != grace.ID || len(one.Events) != seen["grace@example.com"] {
			t.Fatalf("grace's calendar: %d events, merged had %d", len(one.Events), seen["grace@example.com"])
		}

		// A reply in grace's thread lands in grace's mailbox, and only there.
		var found struct{ Threads []struct{ ID string } }
		e.json("GET", "/gmail/threads?q="+url.QueryEscape("subject:COBOL")+"&account="+grace.ID, tok, nil, 200, &found)
		if len(found.Threads) != 1 {
			t.Fatalf("grace's thread: %+v", found)
		}
		thread := found.Threads[0].ID
		e.problem("POST", "/gmail/draft", tok, map[string]any{"body_text": "Ten minutes.", "reply_to_thread_id": thread}, 404, "not_found")
		var draft struct {
			Account  refBody
			DraftID  string `json:"draft_id"`
			ThreadID string `json:"thread_id"`
		}
		e.json("POST", "/gmail/draft?account=grace@example.com", tok, map[string]any{"body_text": "Ten minutes is plenty.", "reply_to_thread_id": thread},
			201, &draft, "Idempotency-Key", "reply-grace")
		if draft.Account.ID != grace.ID || draft.ThreadID != thread {
			t.Fatalf("draft %+v", draft)
		}
		var th struct {
			Account  refBody
			Messages []struct {
				Labels []string
				From   struct{ Email string }
				To     []struct{ Email string }
			}
		}
		e.json("GET", "/gmail/thread/"+thread+"?account="+grace.ID, tok, nil, 200, &th)
		reply := th.Messages[len(th.Messages)-1]
		if th.Account.ID != grace.ID || !slices.Contains(reply.Labels, "DRAFT") || reply.From.Email != "grace@example.com" || len(reply.To) != 1 || reply.To[0].Email != "katherine@example.com" {
			t.Fatalf("grace's thread after the reply: %+v", th)
		}
		e.problem("GET", "/gmail/thread/"+thread, tok, nil, 404, "not_found")
		var drafts struct{ Threads []struct{ ID string } }
		e.json("GET", "/gmail/threads?q=in:drafts", tok, nil, 200, &drafts)
		if len(drafts.Threads) != 0 {
			t.Fatalf("ada's drafts after a reply in grace's account: %+v", drafts)
		}

		// Audit rows name the account.
		e.Main.Audit.Flush()
		var n int
		if err := e.Main.DB.SQL().QueryRow(`SELECT COUNT(*) FROM audit_logs WHERE action = 'gmail.draft.create' AND outcome = 'success' AND CAST(metadata AS TEXT) LIKE $1`,
			"%"+grace.ID+"%").Scan(&n); err != nil || n != 1 {
			t.Fatalf("%d gmail.draft.create rows naming grace's account, %v", n, err)
		}

		// Signing in with either account signs in the same user, whose name stays the primary's.
		if again := e.me(e.signIn("grace@example.com")); again.User.ID != me.User.ID || again.User.Name != "Ada Lovelace" || e.countRows("users") != 1 {
			t.Fatalf("grace's sign-in: %+v", again)
		}

		// A grant gone at Google: the problem names the account to reconnect.
		if _, err := e.Sandbox.Google.RevokeAccount("grace@example.com"); err != nil {
			t.Fatal(err)
		}
		if _, err := e.Sandbox.Google.ExpireAccount("grace@example.com"); err != nil {
			t.Fatal(err)
		}
		p := e.problem("GET", liveListing+"&account="+grace.ID, tok, nil, 409, "google_reauth_required")
		if acct, _ := p["account"].(map[string]any); acct["id"] != grace.ID || acct["email"] != "grace@example.com" || !strings.Contains(p["detail"].(string), "grace@example.com") {
			t.Fatalf("reauth problem %v", p)
		}
		e.json("GET", "/gmail/threads?max_results=1", tok, nil, 200, nil) // ada is untouched
		p = e.problem("GET", "/calendar/upcoming?account=all", tok, nil, 409, "google_reauth_required")
		if acct, _ := p["account"].(map[string]any); acct["id"] != grace.ID {
			t.Fatalf("merged calendar with one grant gone: %v", p)
		}
		// Reconnecting it (the connect flow, with its email as the hint) repairs it.
		if again := e.connect(tok, "grace@example.com"); again.ID != grace.ID || again.Status != "active" {
			t.Fatalf("reconnected %+v", again)
		}
		e.json("GET", "/gmail/threads?max_results=1&account="+grace.ID, tok, nil, 200, nil)

		// The primary can change.
		var patched accountBody
		e.json("PATCH", "/accounts/"+grace.ID, tok, map[string]any{"primary": true}, 200, &patched)
		if !patched.Primary {
			t.Fatalf("patched %+v", patched)
		}
		e.json("GET", "/gmail/threads?max_results=1", tok, nil, 200, &inbox)
		if inbox.Account.ID != grace.ID {
			t.Fatalf("default account after the change: %+v", inbox.Account)
		}
		e.problem("PATCH", "/accounts/"+grace.ID, tok, map[string]any{"primary": false}, 400, "invalid_request")
		e.json("PATCH", "/accounts/"+ada.ID, tok, map[string]any{"primary": true}, 200, &patched)

		// Disconnect grace: revoked at the sandbox, tokens and stored answers gone, ada untouched.
		g, err := e.Main.Integrations.FindGoogleIntegration(ctx, me.User.ID, grace.ID)
		if err != nil {
			t.Fatal(err)
		}
		e.Sandbox.Google.ResetStats()
		e.json("DELETE", "/accounts/"+grace.ID, tok, nil, 204, nil)
		if n := e.Sandbox.Google.Stats()["token.revoke"]; n != 2 {
			t.Fatalf("%d revocations at the sandbox, want 2", n)
		}
		if status := refreshAt(t, e.Sandbox.URL, g.RefreshToken); status != http.StatusBadRequest {
			t.Fatalf("grace's refresh token after the disconnect: %d at the sandbox", status)
		}
		var rows int
		_ = e.Main.DB.SQL().QueryRow(`SELECT COUNT(*) FROM integrations_google WHERE id = $1 OR email = 'grace@example.com'`, grace.ID).Scan(&rows)
		if rows != 0 || e.countRows("integrations_google") != 1 {
			t.Fatalf("grace's row still stored (%d), %d rows", rows, e.countRows("integrations_google"))
		}
		_ = e.Main.DB.SQL().QueryRow(`SELECT COUNT(*) FROM idempotency_keys WHERE scope LIKE $1`, "%"+grace.ID).Scan(&rows)
		if rows != 0 {
			t.Fatalf("%d stored draft answers of grace's account left", rows)
		}
		e.problem("GET", "/gmail/threads?account="+grace.ID, tok, nil, 404, "not_found")
		e.problem("DELETE", "/accounts/"+grace.ID, tok, nil, 404, "not_found")
		if list := e.accounts(tok); len(list) != 1 || list[0].ID != ada.ID || !list[0].Primary {
			t.Fatalf("accounts after the disconnect: %+v", list)
		}
		e.json("GET", "/gmail/threads?max_results=1", tok, nil, 200, &inbox)
		if inbox.Account.ID != ada.ID {
			t.Fatalf("ada's inbox after grace left: %+v", inbox.Account)
		}
		var disconnected int
		e.Main.Audit.Flush()
		_ = e.Main.DB.SQL().QueryRow(`SELECT COUNT(*) FROM audit_logs WHERE action = 'google.disconnect' AND target_id = $1`, grace.ID).Scan(&disconnected)
		if disconnected != 1 {
			t.Fatalf("%d google.disconnect rows for grace's account", disconnected)
		}

		// The last account goes only with consent; the login stays.
		p = e.problem("DELETE", "/accounts/"+ada.ID, tok, nil, 409, "last_google_account")
		if !strings.Contains(p["detail"].(string), "keep_login_without_google=true") {
			t.Fatalf("last-account problem %v", p)
		}
		e.problem("DELETE", "/accounts/"+ada.ID+"?keep_login_without_google=maybe", tok, nil, 400, "invalid_request")
		e.json("DELETE", "/accounts/"+ada.ID+"?keep_login_without_google=true", tok, nil, 204, nil)
		if list := e.accounts(tok); len(list) != 0 {
			t.Fatalf("accounts after the last left: %+v", list)
		}
		e.problem("GET", "/gmail/threads", tok, nil, 409, "google_reauth_required")
		if e.me(tok).User.ID != me.User.ID {
			t.Fatal("the login did not stay")
		}
		// Signing in with Google again connects the account to the same user.
		if again := e.me(e.signIn("ada@example.com")); again.User.ID != me.User.ID {
			t.Fatalf("ada signed in as %s, want %s", again.User.ID, me.User.ID)
		}
		if list := e.accounts(tok); len(list) != 1 || !list[0].Primary {
			t.Fatalf("accounts after signing in again: %+v", list)
		}
	})
}

// A Google account another user holds cannot be linked (409), and another
// user's accounts are not found by id or email (404); a connect flow is
// finished only by the user who started it.
func TestGoogleAccountsOfAnotherUser(t *testing.T) {
	t.Parallel()
	oneDB(t, func(t *testing.T, d sqldb.Dialect) {
		e := startEnv(t, envOptions{dialect: d})
		ada, grace := e.signIn("ada@example.com"), e.signIn("grace@example.com")
		graceAccount := e.accounts(grace)[0]

		authURL, _ := e.startConnect(ada, "grace@example.com")
		code, state := e.connectCallback(authURL, "grace@example.com")
		p := e.problem("POST", "/auth/google/callback", ada, map[string]string{"code": code, "state": state}, 409, "google_account_linked_elsewhere")
		if !strings.Contains(p["detail"].(string), "grace@example.com") {
			t.Fatalf("linked-elsewhere problem %v", p)
		}
		if len(e.accounts(ada)) != 1 || e.accounts(grace)[0].ID != graceAccount.ID {
			t.Fatal("a refused link changed the accounts")
		}
		e.Main.Audit.Flush()
		var refused int
		_ = e.Main.DB.SQL().QueryRow(`SELECT COUNT(*) FROM audit_logs WHERE action = 'google.connect_refused' AND CAST(metadata AS TEXT) LIKE '%account_linked_to_another_user%'`).Scan(&refused)
		if refused != 1 {
			t.Fatalf("%d google.connect_refused rows", refused)
		}

		// Grace's account, by id or email, does not exist for ada.
		for _, path := range []string{"/gmail/threads?account=" + graceAccount.ID, "/gmail/threads?account=grace@example.com",
			"/gmail/labels?account=" + graceAccount.ID, "/calendar/upcoming?account=" + graceAccount.ID, "/gmail/threads?account=no-such-account"} {
			e.problem("GET", path, ada, nil, 404, "not_found")
		}
		e.problem("POST", "/gmail/draft?account="+graceAccount.ID, ada, map[string]any{"to": []string{"x@example.com"}, "body_text": "hi"}, 404, "not_found")
		e.problem("PATCH", "/accounts/"+graceAccount.ID, ada, map[string]any{"primary": true}, 404, "not_found")
		e.problem("DELETE", "/accounts/"+graceAccount.ID+"?keep_login_without_google=true", ada, nil, 404, "not_found")
		e.problem("GET", "/gmail/labels?account=all", ada, nil, 400, "invalid_request")
		if list := e.accounts(grace); len(list) != 1 || list[0].Status != "active" {
			t.Fatalf("grace's accounts after ada's tries: %+v", list)
		}

		// A connect flow started by ada cannot be finished by grace, nor
		// without a session: nothing is linked, and the state is spent.
		authURL, _ = e.startConnect(ada, "")
		code, state = e.connectCallback(authURL, "ada@example.com")
		e.problem("POST", "/auth/google/callback", grace, map[string]string{"code": code, "state": state}, 403, "forbidden")
		e.problem("POST", "/auth/google/callback", ada, map[string]string{"code": code, "state": state}, 400, "invalid_request")
		authURL, _ = e.startConnect(ada, "")
		code, state = e.connectCallback(authURL, "ada@example.com")
		e.problem("POST", "/auth/google/callback", "", map[string]string{"code": code, "state": state}, 403, "forbidden")
		if len(e.accounts(ada)) != 1 || len(e.accounts(grace)) != 1 {
			t.Fatal("a refused flow linked an account")
		}
	})
}

// A browser connects another account: the flow is bound to the browser
// that started it, the callback lands on the settings page, and the
// browser's session stays as it is.
func TestConnectAccountInBrowser(t *testing.T) {
	e := startEnv(t, envOptions{})
	au, binding := e.browserStart("")
	loc := e.consent(au, "ada@example.com", func(string) bool { return true })
	resp, _ := e.do("GET", loc.String(), "", nil, "Accept", "text/html", "Cookie", binding)
	session, csrf := findCookie(resp, "jarvis_session"), findCookie(resp, "jarvis_csrf")
	if session == nil || csrf == nil {
		t.Fatalf("browser sign-in: %d %v", resp.StatusCode, resp.Header)
	}
	cookie := "jarvis_session=" + session.Value + "; jarvis_csrf=" + csrf.Value
	write := []string{"Cookie", cookie, "X-CSRF-Token", csrf.Value, "Origin", e.URL}

	connect := func() (string, string) {
		var start struct {
			AuthorizationURL string `json:"authorization_url"`
		}
		resp := e.json("POST", "/accounts/connect", "", map[string]string{"redirect": "/settings?connected=1"}, 200, &start, write...)
		c := findCookie(resp, "jarvis_signin")
		if c == nil || !c.HttpOnly {
			t.Fatalf("no binding cookie: %v", resp.Header.Values("Set-Cookie"))
		}
		return start.AuthorizationURL, c.Name + "=" + c.Value
	}
	// Without the binding cookie the callback is refused, back on the settings page.
	au, _ = connect()
	loc = e.consent(au, "grace@example.com", func(string) bool { return true })
	resp, _ = e.do("GET", loc.String(), "", nil, "Accept", "text/html", "Cookie", cookie)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/settings?error=signin_other_browser" {
		t.Fatalf("unbound callback: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	// With it, the account is connected to the browser's user.
	au, binding = connect()
	loc = e.consent(au, "grace@example.com", func(string) bool { return true })
	resp, _ = e.do("GET", loc.String(), "", nil, "Accept", "text/html", "Cookie", cookie+"; "+binding)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/settings?connected=1" || findCookie(resp, "jarvis_session") != nil {
		t.Fatalf("bound callback: %d %s %v", resp.StatusCode, resp.Header.Get("Location"), resp.Header.Values("Set-Cookie"))
	}
	var list struct{ Accounts []accountBody }
	e.json("GET", "/accounts", "", nil, 200, &list, "Cookie", cookie)
	if len(list.Accounts) != 2 || list.Accounts[1].Email != "grace@example.com" {
		t.Fatalf("accounts %+v", list.Accounts)
	}
}

func hasSubject(threads []struct{ ID, Subject string }, subject string) bool {
	for _, t := range threads {
		if t.Subject == subject {
			return true
		}
	}
	return false
}

// refreshAt tries a refresh token at the sandbox's token endpoint and
// returns the status: 400 once the grant is revoked.
func refreshAt(t *testing.T, base, refresh string) int {
	t.Helper()
	form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refresh},
		"client_id": {sandbox.DefaultClientID}, "client_secret": {sandbox.DefaultClientSecret}}
	resp, err := http.PostForm(base+"/token", form)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// Connecting another account follows the sign-in allowlist: an account
// Jarvis would not let sign up is refused, one it would is connected.
func TestConnectAccountFollowsTheAllowlist(t *testing.T) {
	t.Parallel()
	e := startEnv(t, envOptions{configure: func(c *config.Config) { c.OpenSignup = false; c.AllowedEmails = []string{"ada@example.com"} }})
	ada := e.signIn("ada@example.com")
	authURL, _ := e.startConnect(ada, "grace@example.com")
	code, state := e.connectCallback(authURL, "grace@example.com")
	e.problem("POST", "/auth/google/callback", ada, map[string]string{"code": code, "state": state}, 403, "signup_closed")
	if list := e.accounts(ada); len(list) != 1 {
		t.Fatalf("a refused account was connected: %+v", list)
	}

	open := startEnv(t, envOptions{sandbox: e.Sandbox, configure: func(c *config.Config) { c.OpenSignup = false; c.AllowedDomains = []string{"example.com"} }})
	tok := open.signIn("ada@example.com")
	if acct := open.connect(tok, "grace@example.com"); acct.Email != "grace@example.com" {
		t.Fatalf("connected %+v", acct)
	}
}
