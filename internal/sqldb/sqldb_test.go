package sqldb_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/jarvis-hq/jarvis"
	"github.com/jarvis-hq/jarvis/internal/sqldb"
	"github.com/jarvis-hq/jarvis/internal/sqldb/sqldbtest"
)

func TestMigrationsUpDownUp(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) {
		ctx := context.Background()
		db, err := sqldb.Open(ctx, sqldbtest.URL(t, d))
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		if pending, err := db.HasPendingMigrations(ctx); err != nil || !pending {
			t.Fatalf("fresh database: pending=%v err=%v, want pending", pending, err)
		}
		n, err := db.MigrateUp(ctx)
		if err != nil || n == 0 {
			t.Fatalf("up: n=%d err=%v", n, err)
		}
		st, err := db.MigrationStatus(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for range st {
			if err := db.MigrateDown(ctx); err != nil {
				t.Fatalf("down: %v", err)
			}
		}
		st, _ = db.MigrationStatus(ctx)
		for _, s := range st {
			if s.Applied {
				t.Fatalf("migration %d still applied after all downs", s.Version)
			}
		}
		if m, err := db.MigrateUp(ctx); err != nil || m != n {
			t.Fatalf("up again: n=%d err=%v, want %d", m, err, n)
		}
		if pending, err := db.HasPendingMigrations(ctx); err != nil || pending {
			t.Fatalf("after up: pending=%v err=%v", pending, err)
		}
	})
}

func TestUsersAndOrgs(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) {
		ctx := context.Background()
		db := sqldbtest.Open(t, d)

		u, err := db.EnsureUser(ctx, "  Ada@Example.COM ", "Ada")
		if err != nil {
			t.Fatal(err)
		}
		if u.Email != "ada@example.com" || u.ID == "" {
			t.Fatalf("user = %+v", u)
		}
		again, err := db.EnsureUser(ctx, "ada@example.com", "Other")
		if err != nil || again.ID != u.ID {
			t.Fatalf("EnsureUser again = %+v, %v; want the same user", again, err)
		}
		got, err := db.FindUserByID(ctx, u.ID)
		if err != nil || got.Email != u.Email || got.CreatedAt.IsZero() || got.CreatedAt.Location() != time.UTC {
			t.Fatalf("FindUserByID = %+v, %v", got, err)
		}
		if _, err := db.FindUserByID(ctx, "nope"); !jarvis.IsCode(err, jarvis.ENOTFOUND) {
			t.Fatalf("missing user: %v", err)
		}

		orgs, err := db.ListOrgsForUser(ctx, u.ID)
		if err != nil || len(orgs) != 1 || orgs[0].Role != jarvis.RoleOwner {
			t.Fatalf("personal org = %+v, %v", orgs, err)
		}
		org := orgs[0]

		// Joining takes an invitation the invitee accepts; inviting twice,
		// or inviting a member, conflicts.
		inv, err := db.CreateInvitation(ctx, org.ID, "Grace@example.com", jarvis.RoleMember, u.ID)
		if err != nil || inv.Email != "grace@example.com" || inv.Status != jarvis.InvitationPending || inv.CreatedAt.Location() != time.UTC {
			t.Fatalf("CreateInvitation = %+v, %v", inv, err)
		}
		if _, err := db.CreateInvitation(ctx, org.ID, "GRACE@example.com", jarvis.RoleAdmin, u.ID); !jarvis.IsCode(err, jarvis.ECONFLICT) {
			t.Fatalf("duplicate invitation: %v", err)
		}
		if _, err := db.CreateInvitation(ctx, org.ID, "ada@example.com", jarvis.RoleAdmin, u.ID); !jarvis.IsCode(err, jarvis.ECONFLICT) {
			t.Fatalf("inviting a member: %v", err)
		}
		if _, err := db.CreateInvitation(ctx, org.ID, "x@example.com", "root", u.ID); !jarvis.IsCode(err, jarvis.EINVALID) {
			t.Fatalf("bad role: %v", err)
		}
		if ok, err := db.HasPendingInvitation(ctx, "grace@EXAMPLE.com"); !ok || err != nil {
			t.Fatalf("HasPendingInvitation = %v, %v", ok, err)
		}
		grace, err := db.EnsureUser(ctx, "grace@example.com", "Grace")
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := db.AcceptInvitation(ctx, inv.ID, u.ID, u.Email); !jarvis.IsCode(err, jarvis.ENOTFOUND) {
			t.Fatalf("accepting someone else's invitation: %v", err)
		}
		mine, err := db.ListInvitationsForEmail(ctx, "grace@example.com")
		if err != nil || len(mine) != 1 || mine[0].OrgName != org.Name || mine[0].InvitedByEmail != "ada@example.com" {
			t.Fatalf("ListInvitationsForEmail = %+v, %v", mine, err)
		}
		accepted, m, err := db.AcceptInvitation(ctx, inv.ID, grace.ID, grace.Email)
		if err != nil || m.Email != "grace@example.com" || m.Role != jarvis.RoleMember || accepted.Status != jarvis.InvitationAccepted || accepted.RespondedAt == nil {
			t.Fatalf("AcceptInvitation = %+v, %+v, %v", accepted, m, err)
		}
		if _, _, err := db.AcceptInvitation(ctx, inv.ID, grace.ID, grace.Email); !jarvis.IsCode(err, jarvis.ENOTFOUND) {
			t.Fatalf("accepting twice: %v", err)
		}
		if ok, _ := db.HasPendingInvitation(ctx, "grace@example.com"); ok {
			t.Fatal("an accepted invitation is still pending")
		}
		// Declined and revoked invitations leave nothing pending.
		for _, answer := range []func(id string) error{
			func(id string) error { _, err := db.DeclineInvitation(ctx, id, "hopper@example.com"); return err },
			func(id string) error { _, err := db.RevokeInvitation(ctx, org.ID, id); return err },
		} {
			inv, err := db.CreateInvitation(ctx, org.ID, "hopper@example.com", jarvis.RoleAdmin, u.ID)
			if err != nil {
				t.Fatal(err)
			}
			if err := answer(inv.ID); err != nil {
				t.Fatal(err)
			}
			if list, err := db.ListOrgInvitations(ctx, org.ID); err != nil || len(list) != 0 {
				t.Fatalf("pending after an answer: %+v, %v", list, err)
			}
		}
		if _, err := db.RevokeInvitation(ctx, "other-org", inv.ID); !jarvis.IsCode(err, jarvis.ENOTFOUND) {
			t.Fatalf("revoking another org's invitation: %v", err)
		}
		members, err := db.ListMembers(ctx, org.ID)
		if err != nil || len(members) != 2 {
			t.Fatalf("members = %+v, %v", members, err)
		}

		// The last owner can be neither demoted nor removed.
		if _, err := db.UpdateMemberRole(ctx, org.ID, u.ID, jarvis.RoleAdmin); !jarvis.IsCode(err, jarvis.ECONFLICT) {
			t.Fatalf("demote last owner: %v", err)
		}
		if err := db.RemoveMember(ctx, org.ID, u.ID); !jarvis.IsCode(err, jarvis.ECONFLICT) {
			t.Fatalf("remove last owner: %v", err)
		}
		if _, err := db.UpdateMemberRole(ctx, org.ID, m.UserID, jarvis.RoleOwner); err != nil {
			t.Fatal(err)
		}
		if _, err := db.UpdateMemberRole(ctx, org.ID, u.ID, jarvis.RoleMember); err != nil {
			t.Fatalf("demote an owner when another remains: %v", err)
		}
		if err := db.RemoveMember(ctx, org.ID, u.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := db.FindMembership(ctx, org.ID, u.ID); !jarvis.IsCode(err, jarvis.ENOTFOUND) {
			t.Fatalf("removed membership: %v", err)
		}
		if err := db.RemoveMember(ctx, org.ID, u.ID); !jarvis.IsCode(err, jarvis.ENOTFOUND) {
			t.Fatalf("remove twice: %v", err)
		}

		if err := db.BumpTokenVersion(ctx, u.ID); err != nil {
			t.Fatal(err)
		}
		if got, _ := db.FindUserByID(ctx, u.ID); got.TokenVersion != 1 {
			t.Fatalf("token version = %d", got.TokenVersion)
		}
	})
}

// Of racing answers to one invitation (accepts and declines), exactly one
// wins; the others are ENOTFOUND, and membership follows the winner.
func TestInvitationAnswersRace(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) {
		ctx := context.Background()
		db := sqldbtest.Open(t, d)
		owner, err := db.EnsureUser(ctx, "owner@example.com", "")
		if err != nil {
			t.Fatal(err)
		}
		guest, err := db.EnsureUser(ctx, "guest@example.com", "")
		if err != nil {
			t.Fatal(err)
		}
		inv, err := db.CreateInvitation(ctx, owner.PersonalOrgID, guest.Email, jarvis.RoleAdmin, owner.ID)
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		errs := make([]error, 8)
		for i := range errs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if i%2 == 0 {
					_, _, errs[i] = db.AcceptInvitation(ctx, inv.ID, guest.ID, guest.Email)
				} else {
					_, errs[i] = db.DeclineInvitation(ctx, inv.ID, guest.Email)
				}
			}()
		}
		wg.Wait()
		won := -1
		for i, err := range errs {
			switch {
			case err == nil && won >= 0:
				t.Fatalf("answers %d and %d both won", won, i)
			case err == nil:
				won = i
			case !jarvis.IsCode(err, jarvis.ENOTFOUND):
				t.Fatalf("answer %d: %v", i, err)
			}
		}
		_, merr := db.FindMembership(ctx, owner.PersonalOrgID, guest.ID)
		if won < 0 || (won%2 == 0) != (merr == nil) {
			t.Fatalf("winner %d, membership error %v", won, merr)
		}
	})
}

// A user is bound to one Google identity for good, and an identity to one
// user; binding the same pair again changes nothing.
func TestBindGoogleIdentity(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) {
		ctx := context.Background()
		db := sqldbtest.Open(t, d)
		ada, _ := db.EnsureUser(ctx, "ada@example.com", "")
		bob, _ := db.EnsureUser(ctx, "bob@example.com", "")
		if _, err := db.FindUserByGoogleIdentity(ctx, "https://issuer", "1"); !jarvis.IsCode(err, jarvis.ENOTFOUND) {
			t.Fatalf("unbound identity: %v", err)
		}
		for range 2 {
			if err := db.BindGoogleIdentity(ctx, ada.ID, "https://issuer", "1"); err != nil {
				t.Fatal(err)
			}
		}
		if u, err := db.FindUserByGoogleIdentity(ctx, "https://issuer", "1"); err != nil || u.ID != ada.ID {
			t.Fatalf("FindUserByGoogleIdentity = %+v, %v", u, err)
		}
		if err := db.BindGoogleIdentity(ctx, ada.ID, "https://issuer", "2"); !jarvis.IsCode(err, jarvis.ECONFLICT) {
			t.Fatalf("rebinding to another identity: %v", err)
		}
		if err := db.BindGoogleIdentity(ctx, ada.ID, "https://other", "1"); !jarvis.IsCode(err, jarvis.ECONFLICT) {
			t.Fatalf("rebinding to another issuer: %v", err)
		}
		if err := db.BindGoogleIdentity(ctx, bob.ID, "https://issuer", "1"); !jarvis.IsCode(err, jarvis.ECONFLICT) {
			t.Fatalf("binding a taken identity: %v", err)
		}
		if err := db.BindGoogleIdentity(ctx, "nobody", "https://issuer", "3"); !jarvis.IsCode(err, jarvis.ENOTFOUND) {
			t.Fatalf("binding a missing user: %v", err)
		}
		// Racing identities for one unbound user: exactly one wins.
		var wg sync.WaitGroup
		errs := make([]error, 6)
		for i := range errs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs[i] = db.BindGoogleIdentity(ctx, bob.ID, "https://issuer", fmt.Sprintf("b%d", i))
			}()
		}
		wg.Wait()
		wins := 0
		for _, err := range errs {
			if err == nil {
				wins++
			} else if !jarvis.IsCode(err, jarvis.ECONFLICT) {
				t.Fatal(err)
			}
		}
		if wins != 1 {
			t.Fatalf("%d identities bound to one user", wins)
		}
	})
}

func TestEnsureUserConcurrent(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) {
		ctx := context.Background()
		db := sqldbtest.Open(t, d)
		var wg sync.WaitGroup
		ids := make([]string, 8)
		for i := range ids {
			wg.Add(1)
			go func() {
				defer wg.Done()
				u, err := db.EnsureUser(ctx, "race@example.com", "")
				if err != nil {
					t.Error(err)
					return
				}
				ids[i] = u.ID
			}()
		}
		wg.Wait()
		for _, id := range ids {
			if id != ids[0] {
				t.Fatalf("concurrent EnsureUser made several users: %v", ids)
			}
		}
	})
}

func TestAuditLog(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) {
		ctx := context.Background()
		db := sqldbtest.Open(t, d)
		var entries []jarvis.AuditEntry
		for i := 0; i < 7; i++ {
			entries = append(entries, jarvis.AuditEntry{OrgID: "org-a", ActorUserID: fmt.Sprintf("user-%d", i%2), Action: jarvis.AuditGmailThreadGet,
				TargetType: "thread", TargetID: fmt.Sprint(i), Outcome: jarvis.OutcomeSuccess, Metadata: map[string]any{"n": i}})
		}
		for _, e := range entries {
			if err := db.InsertAudit(ctx, e); err != nil {
				t.Fatal(err)
			}
		}
		if err := db.InsertAudit(ctx, jarvis.AuditEntry{OrgID: "org-b", Action: jarvis.AuditRead, Outcome: jarvis.OutcomeSuccess}); err != nil {
			t.Fatal(err)
		}

		var seen []string
		cursor := ""
		for {
			page, err := db.ListAudit(ctx, "org-a", jarvis.AuditFilter{Limit: 3, Cursor: cursor})
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range page.Entries {
				if e.OrgID != "org-a" {
					t.Fatalf("row of another org: %+v", e)
				}
				seen = append(seen, e.TargetID)
			}
			if page.NextCursor == "" {
				break
			}
			cursor = page.NextCursor
		}
		if fmt.Sprint(seen) != "[6 5 4 3 2 1 0]" {
			t.Fatalf("pages = %v, want newest first", seen)
		}
		page, err := db.ListAudit(ctx, "org-a", jarvis.AuditFilter{ActorUserID: "user-1", Action: jarvis.AuditGmailThreadGet})
		if err != nil || len(page.Entries) != 3 {
			t.Fatalf("filtered = %+v, %v", page, err)
		}
		if page.Entries[0].Metadata["n"] != float64(5) {
			t.Fatalf("metadata = %v", page.Entries[0].Metadata)
		}
		if _, err := db.ListAudit(ctx, "org-a", jarvis.AuditFilter{Cursor: "'; DROP TABLE audit_logs"}); !jarvis.IsCode(err, jarvis.EINVALID) {
			t.Fatalf("bad cursor: %v", err)
		}
	})
}

func TestServerState(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) {
		ctx := context.Background()
		db := sqldbtest.Open(t, d)
		now := time.Date(2026, 11, 26, 9, 0, 0, 123456789, time.UTC)
		db.Now = func() time.Time { return now }

		// OAuth state: single use, expires.
		if err := db.SaveSignInState(ctx, "s1", jarvis.SignInState{CodeVerifier: "v", Nonce: "n", ExpiresAt: now.Add(10 * time.Minute)}); err != nil {
			t.Fatal(err)
		}
		st, err := db.ConsumeSignInState(ctx, "s1")
		if err != nil || st.CodeVerifier != "v" || st.Nonce != "n" {
			t.Fatalf("consume = %+v, %v", st, err)
		}
		if _, err := db.ConsumeSignInState(ctx, "s1"); !jarvis.IsCode(err, jarvis.EINVALID) {
			t.Fatalf("reuse: %v", err)
		}
		_ = db.SaveSignInState(ctx, "s2", jarvis.SignInState{ExpiresAt: now.Add(time.Minute)})
		now = now.Add(2 * time.Minute)
		if _, err := db.ConsumeSignInState(ctx, "s2"); !jarvis.IsCode(err, jarvis.EINVALID) {
			t.Fatalf("expired: %v", err)
		}

		// Token revocations.
		if err := db.RevokeToken(ctx, "u", "jti-1", now.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		if err := db.RevokeToken(ctx, "u", "jti-1", now.Add(time.Hour)); err != nil {
			t.Fatalf("revoke twice: %v", err)
		}
		u, _ := db.EnsureUser(ctx, "rev@example.com", "")
		if got, revoked, err := db.FindUserForToken(ctx, u.ID, "jti-1"); !revoked || err != nil || got.ID != u.ID {
			t.Fatalf("revoked = %v, %v", revoked, err)
		}
		if _, revoked, _ := db.FindUserForToken(ctx, u.ID, "jti-2"); revoked {
			t.Fatal("unrevoked token reported revoked")
		}
		if _, _, err := db.FindUserForToken(ctx, "nobody", "jti-1"); !jarvis.IsCode(err, jarvis.ENOTFOUND) {
			t.Fatalf("unknown user: %v", err)
		}

		// Idempotency keys.
		resp, err := db.ClaimIdempotencyKey(ctx, "u", "draft", "k", "h1", time.Hour)
		if err != nil || resp != nil {
			t.Fatalf("first claim = %v, %v", resp, err)
		}
		if _, err := db.ClaimIdempotencyKey(ctx, "u", "draft", "k", "h1", time.Hour); !jarvis.IsCode(err, jarvis.ECONFLICT) {
			t.Fatalf("claim while running: %v", err)
		}
		if err := db.CompleteIdempotencyKey(ctx, "u", "draft", "k", jarvis.IdempotentResponse{StatusCode: 201, Body: []byte(`{"a":1}`)}); err != nil {
			t.Fatal(err)
		}
		resp, err = db.ClaimIdempotencyKey(ctx, "u", "draft", "k", "h1", time.Hour)
		if err != nil || resp == nil || resp.StatusCode != 201 || string(resp.Body) != `{"a":1}` {
			t.Fatalf("replay = %+v, %v", resp, err)
		}
		if _, err := db.ClaimIdempotencyKey(ctx, "u", "draft", "k", "h2", time.Hour); !jarvis.IsCode(err, jarvis.EIDEMPOTENCY) {
			t.Fatalf("other body: %v", err)
		}
		if resp, err := db.ClaimIdempotencyKey(ctx, "other-user", "draft", "k", "h2", time.Hour); err != nil || resp != nil {
			t.Fatalf("keys are per user: %v, %v", resp, err)
		}
		_ = db.ReleaseIdempotencyKey(ctx, "other-user", "draft", "k")
		if resp, err := db.ClaimIdempotencyKey(ctx, "other-user", "draft", "k", "h3", time.Hour); err != nil || resp != nil {
			t.Fatalf("claim after release: %v, %v", resp, err)
		}

		// Rate limits.
		for i := 0; i < 3; i++ {
			if ok, _, err := db.Allow(ctx, "b", 3, time.Minute); !ok || err != nil {
				t.Fatalf("event %d refused: %v", i, err)
			}
		}
		ok, retry, err := db.Allow(ctx, "b", 3, time.Minute)
		if ok || err != nil || retry <= 0 || retry > time.Minute {
			t.Fatalf("4th event: ok=%v retry=%v err=%v", ok, retry, err)
		}
		now = now.Add(2 * time.Hour)
		if ok, _, _ := db.Allow(ctx, "b", 3, time.Minute); !ok {
			t.Fatal("new window refused")
		}
		if n, err := db.DeleteExpired(ctx); err != nil || n == 0 {
			t.Fatalf("DeleteExpired = %d, %v", n, err)
		}
	})
}
