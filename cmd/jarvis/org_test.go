package main

import (
	"fmt"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/jarvis-hq/jarvis/internal/config"
	"github.com/jarvis-hq/jarvis/internal/sandbox"
	"github.com/jarvis-hq/jarvis/internal/sqldb"
	"github.com/jarvis-hq/jarvis/internal/sqldb/sqldbtest"
)

func sandboxLatency(d time.Duration) sandbox.Faults {
	l := sandbox.Duration(d)
	return sandbox.Faults{Latency: &l}
}

type member struct {
	UserID string `json:"user_id"`
	Email  string `json:"email"`
	Role   string `json:"role"`
}

type auditPage struct {
	Entries []struct {
		ID          string         `json:"id"`
		Action      string         `json:"action"`
		ActorUserID string         `json:"actor_user_id"`
		TargetID    string         `json:"target_id"`
		Outcome     string         `json:"outcome"`
		RequestID   string         `json:"request_id"`
		IP          string         `json:"ip"`
		Metadata    map[string]any `json:"metadata"`
	} `json:"entries"`
	NextPageToken string `json:"next_page_token"`
}

type invitation struct {
	ID             string `json:"id"`
	OrgID          string `json:"org_id"`
	OrgName        string `json:"org_name"`
	Email          string `json:"email"`
	Role           string `json:"role"`
	Status         string `json:"status"`
	InvitedBy      string `json:"invited_by"`
	InvitedByEmail string `json:"invited_by_email"`
}

// addMember invites the email to the org and accepts as that user (made
// with jarvis token), returning the membership.
func (e *testEnv) addMember(by, org, email, role string) member {
	e.t.Helper()
	var inv invitation
	e.json("POST", "/orgs/"+org+"/members", by, map[string]string{"email": email, "role": role}, 201, &inv)
	var m member
	e.json("POST", "/invitations/"+inv.ID+"/accept", e.token(email), nil, 200, &m)
	return m
}

func (e *testEnv) me(tok string) meBody {
	e.t.Helper()
	var me meBody
	e.json("GET", "/me", tok, nil, 200, &me)
	return me
}

func TestMembersAndRoles(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) {
		e := startEnv(t, envOptions{dialect: d})
		owner := e.token("owner@example.com")
		org := e.me(owner).Orgs[0].ID
		base := "/orgs/" + org + "/members"

		admin := e.addMember(owner, org, "admin@example.com", "admin")
		mem := e.addMember(owner, org, "member@example.com", "")
		if mem.Role != "member" || admin.Role != "admin" {
			t.Fatalf("default role = %q", mem.Role)
		}
		e.problem("POST", base, owner, map[string]string{"email": "member@example.com"}, 409, "conflict")
		p := e.problem("POST", base, owner, map[string]string{"email": "not an email"}, 400, "invalid_request")
		if p["field"] != "email" {
			t.Fatalf("problem = %v", p)
		}
		e.problem("POST", base, owner, map[string]string{"email": "x@example.com", "role": "god"}, 400, "invalid_request")
		e.problem("POST", base, owner, map[string]any{"email": "x@example.com", "org_id": "other"}, 400, "invalid_request")

		var list struct{ Members []member }
		e.json("GET", base, owner, nil, 200, &list)
		if len(list.Members) != 3 {
			t.Fatalf("members = %+v", list)
		}

		adminTok, memberTok := e.token("admin@example.com"), e.token("member@example.com")
		// Members can see the list but not change it (SECURITY.md line 23).
		e.json("GET", base, memberTok, nil, 200, nil)
		e.problem("POST", base, memberTok, map[string]string{"email": "y@example.com"}, 403, "forbidden")
		e.problem("PATCH", base+"/"+admin.UserID, memberTok, map[string]string{"role": "member"}, 403, "forbidden")
		e.problem("GET", "/orgs/"+org+"/audit-logs", memberTok, nil, 403, "forbidden")
		// An admin cannot touch an owner, nor make one.
		ownerID := e.me(owner).User.ID
		e.problem("PATCH", base+"/"+ownerID, adminTok, map[string]string{"role": "member"}, 403, "forbidden")
		e.problem("DELETE", base+"/"+ownerID, adminTok, nil, 403, "forbidden")
		e.problem("PATCH", base+"/"+mem.UserID, adminTok, map[string]string{"role": "owner"}, 403, "forbidden")
		var changed member
		e.json("PATCH", base+"/"+mem.UserID, adminTok, map[string]string{"role": "admin"}, 200, &changed)
		if changed.Role != "admin" {
			t.Fatalf("changed = %+v", changed)
		}
		// The last owner can be neither demoted nor removed.
		e.problem("PATCH", base+"/"+ownerID, owner, map[string]string{"role": "admin"}, 409, "conflict")
		e.problem("DELETE", base+"/"+ownerID, owner, nil, 409, "conflict")
		e.problem("PATCH", base+"/nobody", owner, map[string]string{"role": "admin"}, 404, "not_found")

		// Outsiders get 404: the org's existence is not revealed (line 22).
		outsider := e.token("outsider@example.com")
		e.problem("GET", base, outsider, nil, 404, "not_found")
		e.problem("GET", "/orgs/"+org+"/audit-logs", outsider, nil, 404, "not_found")
		e.problem("DELETE", base+"/"+mem.UserID, outsider, nil, 404, "not_found")

		// Removal takes effect on the very next request, whatever the
		// still-valid token says (line 16).
		e.json("GET", "/orgs/"+org+"/audit-logs", memberTok, nil, 200, nil) // now an admin
		e.json("DELETE", base+"/"+mem.UserID, owner, nil, 204, nil)
		e.problem("GET", "/orgs/"+org+"/audit-logs", memberTok, nil, 404, "not_found")
		e.json("PATCH", base+"/"+admin.UserID, owner, map[string]string{"role": "member"}, 200, nil)
		e.problem("GET", "/orgs/"+org+"/audit-logs", adminTok, nil, 403, "forbidden")

		// The audit log has the story, newest first, paged.
		var page auditPage
		e.json("GET", "/orgs/"+org+"/audit-logs?max_results=3", owner, nil, 200, &page)
		if len(page.Entries) != 3 || page.NextPageToken == "" {
			t.Fatalf("page = %+v", page)
		}
		var all []string
		tokParam := ""
		for i := 0; i < 20; i++ {
			var p auditPage
			e.json("GET", "/orgs/"+org+"/audit-logs?max_results=4"+tokParam, owner, nil, 200, &p)
			for _, en := range p.Entries {
				all = append(all, en.Action+":"+en.Outcome)
			}
			if p.NextPageToken == "" {
				break
			}
			tokParam = "&page_token=" + p.NextPageToken
		}
		joined := strings.Join(all, " ")
		for _, want := range []string{"org.member_invited:success", "org.invitation_accepted:success", "org.role_changed:success", "org.member_removed:success", "authz.denied:denied", "audit.read:success"} {
			if !strings.Contains(joined, want) {
				t.Errorf("audit log lacks %s: %s", want, joined)
			}
		}
		var filtered auditPage
		e.json("GET", "/orgs/"+org+"/audit-logs?action=authz.denied&actor_user_id="+admin.UserID, owner, nil, 200, &filtered)
		if len(filtered.Entries) == 0 {
			t.Fatal("no authz.denied rows for the admin")
		}
		for _, en := range filtered.Entries {
			if en.Action != "authz.denied" || en.ActorUserID != admin.UserID || en.RequestID == "" || en.IP == "" {
				t.Fatalf("filtered row %+v", en)
			}
		}
		e.problem("GET", "/orgs/"+org+"/audit-logs?page_token=nope", owner, nil, 400, "invalid_request")
		e.problem("GET", "/orgs/"+org+"/audit-logs?max_results=1000", owner, nil, 400, "invalid_request")
	})
}

// Client addresses come from X-Forwarded-For only behind a trusted proxy.
func TestTrustedProxies(t *testing.T) {
	e := startEnv(t, envOptions{configure: func(c *config.Config) { c.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")} }})
	tok := e.token("p@example.com")
	org := e.me(tok).Orgs[0].ID
	e.json("GET", "/orgs/"+org+"/audit-logs", tok, nil, 200, nil, "X-Forwarded-For", "203.0.113.9, 127.0.0.5")
	var page auditPage
	e.json("GET", "/orgs/"+org+"/audit-logs?action=audit.read", tok, nil, 200, &page)
	if page.Entries[len(page.Entries)-1].IP != "203.0.113.9" {
		t.Fatalf("ip behind trusted proxy = %q", page.Entries[len(page.Entries)-1].IP)
	}

	plain := startEnv(t, envOptions{sandbox: e.Sandbox})
	tok = plain.token("p@example.com")
	org = plain.me(tok).Orgs[0].ID
	plain.json("GET", "/orgs/"+org+"/audit-logs", tok, nil, 200, nil, "X-Forwarded-For", "203.0.113.9")
	plain.json("GET", "/orgs/"+org+"/audit-logs?action=audit.read", tok, nil, 200, &page)
	if got := page.Entries[len(page.Entries)-1].IP; got != "127.0.0.1" {
		t.Fatalf("ip without trusted proxy = %q", got)
	}
}

func TestBadInputIsNamed(t *testing.T) {
	e := startEnv(t, envOptions{})
	tok := e.token("q@example.com")
	org := e.me(tok).Orgs[0].ID
	base := "/orgs/" + org + "/members"
	for _, tc := range []struct {
		body  string
		field string
	}{
		{`{"email": 5}`, "email"},
		{`{"email": "a@example.com"`, "body"},
		{`{"email": "a@example.com"} {}`, "body"},
		{``, "body"},
		{`{"email":"a@example.com","extra":1}`, "extra"},
	} {
		p := e.problem("POST", base, tok, tc.body, 400, "invalid_request")
		if p["field"] != tc.field {
			t.Errorf("body %s: field %v, want %s", tc.body, p["field"], tc.field)
		}
	}
	e.problem("POST", base, tok, `{"email":"`+strings.Repeat("a", 5000)+`@example.com"}`, 413, "payload_too_large")
	e.problem("GET", "/no/such/route", tok, nil, 404, "not_found", "Accept", "application/json")
	e.problem("GET", "/gmail/nothing", tok, nil, 404, "not_found")
}

// After a full flow the logs hold no token, code or secret (SECURITY.md line 33).
func TestLogsHoldNoSecrets(t *testing.T) {
	e := startEnv(t, envOptions{})
	tok := e.signIn("ada@example.com")
	e.json("GET", "/gmail/threads?max_results=5&q="+fmt.Sprint("from:charles"), tok, nil, 200, nil)
	// A browser's sign-in, through its callback.
	au, binding := e.browserStart("")
	resp, _ := e.do("GET", au+"&login_hint=ada%40example.com&prompt=none", "", nil)
	callback, _ := url.Parse(resp.Header.Get("Location"))
	code := callback.Query().Get("code")
	if resp, _ := e.do("GET", callback.String(), "", nil, "Cookie", binding); resp.StatusCode != http.StatusSeeOther || code == "" {
		t.Fatalf("browser callback: %d", resp.StatusCode)
	}
	e.json("POST", "/auth/logout", tok, nil, 204, nil)
	logs := e.Logs.String()
	if !strings.Contains(logs, `"request_id"`) {
		t.Fatal("logs carry no request ids")
	}
	for _, bad := range []string{"ya29.", "1//", "Bearer ", "eyJ", "code=", code, sandbox.DefaultClientSecret, string(e.Main.Config.JWTSecret), "from:charles"} {
		if strings.Contains(logs, bad) {
			t.Errorf("logs contain %q", bad)
		}
	}
}
