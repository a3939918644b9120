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
	"github.com/jarvis-hq/jarvis/internal/vault"
)

// A user's several Google accounts: found by id, email or as the primary,
// each with its own tokens, lease and status; never another user's.
func TestSeveralAccounts(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) {
		ctx := context.Background()
		db := sqldbtest.Open(t, d)
		store := sqldb.NewIntegrations(db, vault.Cipher{Keys: keyring(t, "k1")})
		a, _ := db.EnsureUser(ctx, "a@example.com", "")
		b, _ := db.EnsureUser(ctx, "b@example.com", "")
		home, work, other := newIntegration(a.ID, "home"), newIntegration(a.ID, "work"), newIntegration(b.ID, "other")
		for _, g := range []*jarvis.GoogleIntegration{home, work, other} {
			if err := store.UpsertGoogleIntegration(ctx, g); err != nil {
				t.Fatal(err)
			}
		}
		if !home.Primary || work.Primary || !other.Primary {
			t.Fatalf("primaries: home %v, work %v, other %v", home.Primary, work.Primary, other.Primary)
		}
		list, err := store.ListGoogleAccounts(ctx, a.ID)
		if err != nil || len(list) != 2 || list[0].ID != home.ID || !list[0].Primary || list[1].ID != work.ID || list[1].Primary ||
			list[1].Email != "work@example.com" || len(list[1].Scopes) != 2 || list[1].ConnectedAt.IsZero() {
			t.Fatalf("list = %+v, %v", list, err)
		}
		for account, want := range map[string]*jarvis.GoogleIntegration{"": home, home.ID: home, work.ID: work, "Work@Example.com": work} {
			g, err := store.FindGoogleIntegration(ctx, a.ID, account)
			if err != nil || g.ID != want.ID || g.AccessToken != want.AccessToken || g.RefreshToken != want.RefreshToken {
				t.Fatalf("find %q = %+v, %v; want %s", account, g, err, want.ID)
			}
		}
		// Another user's account, by id or email, and an unknown one: not found.
		for _, account := range []string{other.ID, other.Email, "nobody@example.com", "no-such-id"} {
			if _, err := store.FindGoogleIntegration(ctx, a.ID, account); !jarvis.IsCode(err, jarvis.ENOTFOUND) {
				t.Fatalf("find %q for a: %v", account, err)
			}
		}
		if err := store.SetPrimaryGoogleAccount(ctx, a.ID, other.ID); !jarvis.IsCode(err, jarvis.ENOTFOUND) {
			t.Fatalf("primary of another user's account: %v", err)
		}
		if err := store.DeleteGoogleIntegration(ctx, a.ID, other.ID); !jarvis.IsCode(err, jarvis.ENOTFOUND) {
			t.Fatalf("delete another user's account: %v", err)
		}
		if _, _, err := store.LeaseGoogleRefresh(ctx, a.ID, other.ID, time.Minute); !jarvis.IsCode(err, jarvis.ENOTFOUND) {
			t.Fatalf("lease another user's account: %v", err)
		}
		// An account belongs to one user only.
		if err := store.UpsertGoogleIntegration(ctx, newIntegration(b.ID, "work")); !jarvis.IsCode(err, jarvis.ECONFLICT) {
			t.Fatalf("a's account linked to b: %v", err)
		}

		// Each account has its own lease.
		_, homeLease, err := store.LeaseGoogleRefresh(ctx, a.ID, home.ID, time.Minute)
		if err != nil || homeLease.IsZero() {
			t.Fatalf("home lease: %v, %v", homeLease, err)
		}
		if _, workLease, err := store.LeaseGoogleRefresh(ctx, a.ID, work.ID, time.Minute); err != nil || workLease.IsZero() {
			t.Fatalf("work lease while home's is held: %v, %v", workLease, err)
		}
		if _, again, _ := store.LeaseGoogleRefresh(ctx, a.ID, home.ID, time.Minute); !again.IsZero() {
			t.Fatal("a second lease on home")
		}

		// Tokens are bound to their account: work's ciphertext in home's row fails.
		if _, err := db.SQL().ExecContext(ctx, `UPDATE integrations_google SET access_token_ciphertext = (SELECT access_token_ciphertext FROM integrations_google WHERE id = $1) WHERE id = $2`,
			work.ID, home.ID); err != nil {
			t.Fatal(err)
		}
		_, err = store.FindGoogleIntegration(ctx, a.ID, home.ID)
		if !jarvis.IsCode(err, jarvis.EREAUTH) {
			t.Fatalf("work's token in home's row: %v", err)
		}
		if ref := jarvis.ErrorAccount(err); ref == nil || ref.ID != home.ID || ref.Email != home.Email {
			t.Fatalf("the error names %+v, want home", ref)
		}
		if g, err := store.FindGoogleIntegration(ctx, a.ID, work.ID); err != nil || g.AccessToken != work.AccessToken {
			t.Fatalf("work after home broke: %+v, %v", g, err)
		}

		// Status, last use and primary are per account.
		if err := store.SetGoogleIntegrationStatus(ctx, a.ID, work.ID, jarvis.GoogleReauthRequired); err != nil {
			t.Fatal(err)
		}
		used := time.Date(2026, 12, 5, 9, 0, 0, 0, time.UTC)
		if err := store.TouchGoogleAccount(ctx, a.ID, work.ID, used); err != nil {
			t.Fatal(err)
		}
		if err := store.SetPrimaryGoogleAccount(ctx, a.ID, work.ID); err != nil {
			t.Fatal(err)
		}
		list, _ = store.ListGoogleAccounts(ctx, a.ID)
		if len(list) != 2 || list[0].ID != work.ID || !list[0].Primary || list[0].Status != jarvis.GoogleReauthRequired ||
			list[0].LastUsedAt == nil || !list[0].LastUsedAt.Equal(used) || list[1].Primary || list[1].Status != jarvis.GoogleActive {
			t.Fatalf("after primary change = %+v", list)
		}
		if st, err := store.GoogleStatus(ctx, a.ID); err != nil || st.Email != "work@example.com" {
			t.Fatalf("status of the primary = %+v, %v", st, err)
		}
		// Deleting the primary makes the earliest other account primary.
		if err := store.DeleteGoogleIntegration(ctx, a.ID, work.ID); err != nil {
			t.Fatal(err)
		}
		if g, err := store.FindGoogleIntegration(ctx, a.ID, ""); !jarvis.IsCode(err, jarvis.EREAUTH) && (err != nil || g.ID != home.ID) {
			t.Fatalf("primary after delete: %+v, %v", g, err)
		}
		if list, _ := store.ListGoogleAccounts(ctx, a.ID); len(list) != 1 || list[0].ID != home.ID || !list[0].Primary {
			t.Fatalf("after delete = %+v", list)
		}
		if g, err := store.FindGoogleIntegration(ctx, b.ID, ""); err != nil || g.ID != other.ID {
			t.Fatalf("b untouched: %+v, %v", g, err)
		}
	})
}

// Of a new user's accounts connected at once, exactly one becomes primary.
func TestFirstAccountsRace(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) {
		ctx := context.Background()
		db := sqldbtest.Open(t, d)
		store := sqldb.NewIntegrations(db, vault.Cipher{Keys: keyring(t, "k1")})
		u, _ := db.EnsureUser(ctx, "race@example.com", "")
		var wg sync.WaitGroup
		for i := range 6 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := store.UpsertGoogleIntegration(ctx, newIntegration(u.ID, fmt.Sprint("acct", i))); err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		list, err := store.ListGoogleAccounts(ctx, u.ID)
		primaries := 0
		for _, a := range list {
			if a.Primary {
				primaries++
			}
		}
		if err != nil || len(list) != 6 || primaries != 1 || !list[0].Primary {
			t.Fatalf("%d accounts, %d primary: %+v, %v", len(list), primaries, list, err)
		}
	})
}
