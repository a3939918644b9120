package main

import (
	"testing"

	"github.com/jarvis-hq/jarvis/internal/sqldb"
	"github.com/jarvis-hq/jarvis/internal/sqldb/sqldbtest"
)

// Nobody joins an org without accepting: an invitation reveals nothing
// about the invitee, who sees it, accepts or declines; members may leave,
// except the last owner.
func TestInvitationsNeedConsent(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) {
		e := startEnv(t, envOptions{dialect: d})
		owner := e.token("owner@example.com")
		org := e.me(owner).Orgs[0].ID
		base := "/orgs/" + org + "/members"
		bob := e.token("bob@example.com") // an existing user
		users := e.countRows("users")

		// Inviting a user and a stranger look alike: no user id, no name.
		var known, stranger map[string]any
		e.json("POST", base, owner, map[string]string{"email": "Bob@Example.com"}, 201, &known)
		e.json("POST", base, owner, map[string]string{"email": "nobody@example.com", "role": "admin"}, 201, &stranger)
		for _, inv := range []map[string]any{known, stranger} {
			if inv["status"] != "pending" || inv["user_id"] != nil || inv["name"] != nil || inv["org_name"] != nil || len(inv) != len(known) {
				t.Fatalf("invitation answer %v", inv)
			}
		}
		if e.countRows("users") != users {
			t.Fatal("an invitation made a user")
		}
		e.problem("POST", base, owner, map[string]string{"email": "bob@example.com"}, 409, "conflict")
		var pending struct{ Invitations []invitation }
		e.json("GET", "/orgs/"+org+"/invitations", owner, nil, 200, &pending)
		if len(pending.Invitations) != 2 || pending.Invitations[0].Email != "bob@example.com" {
			t.Fatalf("pending = %+v", pending)
		}
		var members struct{ Members []member }
		e.json("GET", base, owner, nil, 200, &members)
		if len(members.Members) != 1 {
			t.Fatalf("an invitation made a member: %+v", members)
		}

		// Bob sees his invitation, with the org's name and who invited him.
		var mine struct{ Invitations []invitation }
		e.json("GET", "/invitations", bob, nil, 200, &mine)
		if len(mine.Invitations) != 1 || mine.Invitations[0].OrgName == "" || mine.Invitations[0].InvitedByEmail != "owner@example.com" {
			t.Fatalf("bob's invitations %+v", mine)
		}
		id := mine.Invitations[0].ID
		// Nobody else can answer it, nor see the org.
		eve := e.token("eve@example.com")
		e.problem("POST", "/invitations/"+id+"/accept", eve, nil, 404, "not_found")
		e.problem("POST", "/invitations/"+id+"/decline", eve, nil, 404, "not_found")
		e.problem("POST", "/invitations/"+stranger["id"].(string)+"/accept", eve, nil, 404, "not_found")
		e.problem("POST", "/invitations/a%2Fb/accept", bob, nil, 400, "invalid_request")
		e.problem("GET", base, bob, nil, 404, "not_found")

		var m member
		e.json("POST", "/invitations/"+id+"/accept", bob, nil, 200, &m)
		if m.Role != "member" || m.Email != "bob@example.com" {
			t.Fatalf("member %+v", m)
		}
		e.problem("POST", "/invitations/"+id+"/accept", bob, nil, 404, "not_found") // once
		e.json("GET", base, bob, nil, 200, nil)

		// Declining: the invitation goes, nobody joins.
		carol := e.token("carol@example.com")
		var inv invitation
		e.json("POST", base, owner, map[string]string{"email": "carol@example.com"}, 201, &inv)
		e.json("POST", "/invitations/"+inv.ID+"/decline", carol, nil, 204, nil)
		e.problem("POST", "/invitations/"+inv.ID+"/accept", carol, nil, 404, "not_found")
		e.problem("GET", base, carol, nil, 404, "not_found")
		// She may be invited again later; a revoked invitation cannot be accepted.
		e.json("POST", base, owner, map[string]string{"email": "carol@example.com"}, 201, &inv)
		e.json("DELETE", "/orgs/"+org+"/invitations/"+inv.ID, owner, nil, 204, nil)
		e.problem("DELETE", "/orgs/"+org+"/invitations/"+inv.ID, owner, nil, 404, "not_found")
		e.problem("POST", "/invitations/"+inv.ID+"/accept", carol, nil, 404, "not_found")
		// Members cannot invite, list invitations or revoke them.
		e.problem("POST", base, bob, map[string]string{"email": "x@example.com"}, 403, "forbidden")
		e.problem("GET", "/orgs/"+org+"/invitations", bob, nil, 403, "forbidden")

		// Leaving: by "me" or by one's own id; the last owner cannot.
		e.json("DELETE", base+"/me", bob, nil, 204, nil)
		e.problem("GET", base, bob, nil, 404, "not_found")
		e.problem("DELETE", base+"/me", bob, nil, 404, "not_found")
		ownerID := e.me(owner).User.ID
		p := e.problem("DELETE", base+"/"+ownerID, owner, nil, 409, "conflict")
		if p["detail"] != "You are the org's last owner: make another member an owner before you leave." {
			t.Fatalf("last owner leaving: %v", p)
		}
		e.problem("DELETE", base+"/me", owner, nil, 409, "conflict")
		second := e.addMember(owner, org, "second@example.com", "owner")
		e.json("DELETE", base+"/me", owner, nil, 204, nil)
		if me := e.me(e.token("second@example.com")); len(me.Orgs) != 2 || second.Role != "owner" {
			t.Fatalf("second owner %+v", me)
		}

		var page auditPage
		e.json("GET", "/orgs/"+org+"/audit-logs?max_results=200", e.token("second@example.com"), nil, 200, &page)
		seen := map[string]int{}
		for _, en := range page.Entries {
			seen[en.Action]++
		}
		for action, n := range map[string]int{"org.member_invited": 5, "org.invitation_accepted": 2, "org.invitation_declined": 1,
			"org.invitation_revoked": 1, "org.member_left": 2} {
			if seen[action] != n {
				t.Errorf("%d %s rows, want %d", seen[action], action, n)
			}
		}
	})
}
