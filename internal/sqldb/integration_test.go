package sqldb_test

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jarvis-hq/jarvis"
	"github.com/jarvis-hq/jarvis/internal/sqldb"
	"github.com/jarvis-hq/jarvis/internal/sqldb/sqldbtest"
	"github.com/jarvis-hq/jarvis/internal/vault"
)

func keyring(t *testing.T, ids ...string) *vault.Keyring {
	t.Helper()
	var specs []string
	for _, id := range ids {
		k, err := vault.GenerateKey(id)
		if err != nil {
			t.Fatal(err)
		}
		specs = append(specs, k)
	}
	kr, err := vault.ParseKeys(strings.Join(specs, ","))
	if err != nil {
		t.Fatal(err)
	}
	return kr
}

func newIntegration(userID, sub string) *jarvis.GoogleIntegration {
	return &jarvis.GoogleIntegration{UserID: userID, Issuer: "https://accounts.google.com", Subject: sub, Email: sub + "@example.com",
		Scopes: []string{"openid", "https://www.googleapis.com/auth/gmail.readonly"}, AccessToken: "ya29.access-" + sub,
		RefreshToken: "1//refresh-" + sub, Expiry: time.Now().Add(time.Hour).UTC().Truncate(time.Second), Status: jarvis.GoogleActive}
}

func TestIntegrations(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) {
		ctx := context.Background()
		db := sqldbtest.Open(t, d)
		store := sqldb.NewIntegrations(db, vault.Cipher{Keys: keyring(t, "k1")})
		a, _ := db.EnsureUser(ctx, "a@example.com", "")
		b, _ := db.EnsureUser(ctx, "b@example.com", "")

		ga := newIntegration(a.ID, "111")
		if err := store.UpsertGoogleIntegration(ctx, ga); err != nil {
			t.Fatal(err)
		}
		gb := newIntegration(b.ID, "222")
		if err := store.UpsertGoogleIntegration(ctx, gb); err != nil {
			t.Fatal(err)
		}
		got, err := store.FindGoogleIntegration(ctx, a.ID, "")
		if err != nil || got.AccessToken != "ya29.access-111" || got.RefreshToken != "1//refresh-111" || !got.Expiry.Equal(ga.Expiry) || len(got.Scopes) != 2 {
			t.Fatalf("find = %+v, %v", got, err)
		}

		// The identity is unique across users.
		if err := store.UpsertGoogleIntegration(ctx, newIntegration(b.ID, "111")); !jarvis.IsCode(err, jarvis.ECONFLICT) {
			t.Fatalf("identity of another user: %v", err)
		}
		// A re-consent without a refresh token keeps the stored one (SECURITY.md line 8).
		again := newIntegration(a.ID, "111")
		again.AccessToken, again.RefreshToken = "ya29.second", ""
		if err := store.UpsertGoogleIntegration(ctx, again); err != nil {
			t.Fatal(err)
		}
		if got, _ := store.FindGoogleIntegration(ctx, a.ID, ""); got.RefreshToken != "1//refresh-111" || got.AccessToken != "ya29.second" {
			t.Fatalf("after re-consent = %+v", got)
		}
		if st, err := store.GoogleStatus(ctx, a.ID); err != nil || st.Status != jarvis.GoogleActive || st.Email != "111@example.com" {
			t.Fatalf("status = %+v, %v", st, err)
		}

		// A dump of the table holds no token (line 18).
		rows, err := db.SQL().QueryContext(ctx, `SELECT access_token_ciphertext, refresh_token_ciphertext FROM integrations_google`)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var x, y string
			_ = rows.Scan(&x, &y)
			if strings.Contains(x+y, "ya29.") || strings.Contains(x+y, "1//") || !strings.HasPrefix(x, "v1:k1:") {
				t.Fatalf("stored ciphertexts %q %q", x, y)
			}
		}
		rows.Close()

		// A's ciphertext copied into B's row does not decrypt (line 19).
		if _, err := db.SQL().ExecContext(ctx, `UPDATE integrations_google SET access_token_ciphertext = (SELECT access_token_ciphertext FROM integrations_google WHERE user_id = $1) WHERE user_id = $2`, a.ID, b.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := store.FindGoogleIntegration(ctx, b.ID, ""); !jarvis.IsCode(err, jarvis.EREAUTH) {
			t.Fatalf("moved ciphertext: %v", err)
		}
		// One flipped byte fails too (line 20).
		var ct string
		_ = db.SQL().QueryRowContext(ctx, `SELECT refresh_token_ciphertext FROM integrations_google WHERE user_id = $1`, a.ID).Scan(&ct)
		flipped := []byte(ct)
		flipped[len(flipped)-3] ^= 0x01
		if flipped[len(flipped)-3] == '=' || flipped[len(flipped)-3] > 'z' {
			flipped[len(flipped)-3] = 'A'
		}
		_, _ = db.SQL().ExecContext(ctx, `UPDATE integrations_google SET refresh_token_ciphertext = $1 WHERE user_id = $2`, string(flipped), a.ID)
		if _, err := store.FindGoogleIntegration(ctx, a.ID, ""); !jarvis.IsCode(err, jarvis.EREAUTH) {
			t.Fatalf("flipped byte: %v", err)
		}

		if err := store.DeleteGoogleIntegration(ctx, a.ID, ga.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := store.FindGoogleIntegration(ctx, a.ID, ""); !jarvis.IsCode(err, jarvis.ENOTFOUND) {
			t.Fatalf("after delete: %v", err)
		}
	})
}

func TestKeyRotation(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) {
		ctx := context.Background()
		db := sqldbtest.Open(t, d)
		oldSpec, _ := vault.GenerateKey("old")
		old, _ := vault.ParseKeys(oldSpec)
		store := sqldb.NewIntegrations(db, vault.Cipher{Keys: old})
		var users []string
		for i := 0; i < 5; i++ {
			u, _ := db.EnsureUser(ctx, strings.Repeat("x", i+1)+"@example.com", "")
			users = append(users, u.ID)
			if err := store.UpsertGoogleIntegration(ctx, newIntegration(u.ID, u.ID)); err != nil {
				t.Fatal(err)
			}
		}
		// Add a key, make it primary, keep the old one for reading.
		newKey, _ := vault.GenerateKey("new")
		both, err := vault.ParseKeys(newKey + "," + oldSpec)
		if err != nil {
			t.Fatal(err)
		}
		rotating := sqldb.NewIntegrations(db, vault.Cipher{Keys: both})
		// Between "add the key" and "rotate": a refresh (new access token,
		// same refresh token) and a re-consent without a refresh token.
		// Both must seal the kept refresh token under the new key too.
		first, _ := rotating.FindGoogleIntegration(ctx, users[0], "")
		g, lease, err := rotating.LeaseGoogleRefresh(ctx, users[0], first.ID, time.Minute)
		if err != nil || lease.IsZero() {
			t.Fatalf("lease: %v %v", lease, err)
		}
		if ok, err := rotating.SaveRefreshedGoogleIntegration(ctx, g); !ok || err != nil {
			t.Fatalf("save refreshed: %v %v", ok, err)
		}
		again := newIntegration(users[1], users[1])
		again.RefreshToken = ""
		if err := rotating.UpsertGoogleIntegration(ctx, again); err != nil {
			t.Fatal(err)
		}
		// The key_id column is not what rotation trusts: a row that claims
		// the new key while its ciphertexts are under the old is rotated.
		if _, err := db.SQL().ExecContext(ctx, `UPDATE integrations_google SET key_id = 'new' WHERE user_id = $1`, users[2]); err != nil {
			t.Fatal(err)
		}
		if counts, _ := rotating.CountIntegrationsByKey(ctx); counts["new"] != 2 || counts["old"] != 3 {
			t.Fatalf("counts before rotation = %v, want new 2, old 3", counts)
		}
		var calls atomic.Int32
		rotated, failed, err := rotating.RotateKeys(ctx, func(done, total int) {
			calls.Add(1)
			if total != 3 {
				t.Errorf("total = %d", total)
			}
		})
		if err != nil || rotated != 3 || failed != 0 || calls.Load() != 3 {
			t.Fatalf("rotate = %d, %d, %v (progress calls %d)", rotated, failed, err, calls.Load())
		}
		// Idempotent: a second run has nothing to do.
		if rotated, _, err := rotating.RotateKeys(ctx, nil); err != nil || rotated != 0 {
			t.Fatalf("second rotate = %d, %v", rotated, err)
		}
		// Retire the old key: every row still reads.
		onlyNew, _ := vault.ParseKeys(newKey)
		retired := sqldb.NewIntegrations(db, vault.Cipher{Keys: onlyNew})
		for _, id := range users {
			g, err := retired.FindGoogleIntegration(ctx, id, "")
			if err != nil || g.AccessToken != "ya29.access-"+id || g.RefreshToken != "1//refresh-"+id {
				t.Fatalf("after rotation: %+v, %v", g, err)
			}
		}
		if counts, _ := retired.CountIntegrationsByKey(ctx); counts["new"] != 5 {
			t.Fatalf("counts = %v", counts)
		}
	})
}

// The refresh lease: of twenty racers on one expired row, one takes the
// lease and refreshes while the others poll the row; all end with the
// refreshed token. No transaction is open while the "refresh" runs.
func TestRefreshLease(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) {
		ctx := context.Background()
		db := sqldbtest.Open(t, d)
		store := sqldb.NewIntegrations(db, vault.Cipher{Keys: keyring(t, "k")})
		u, _ := db.EnsureUser(ctx, "lock@example.com", "")
		g := newIntegration(u.ID, "lock")
		g.Expiry = time.Now().Add(-time.Minute)
		if err := store.UpsertGoogleIntegration(ctx, g); err != nil {
			t.Fatal(err)
		}
		var refreshes atomic.Int32
		var wg sync.WaitGroup
		for i := 0; i < 20; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					g, lease, err := store.LeaseGoogleRefresh(ctx, u.ID, g.ID, time.Minute)
					if err != nil {
						t.Error(err)
						return
					}
					if time.Until(g.Expiry) > 0 {
						if !lease.IsZero() {
							_ = store.ReleaseGoogleRefreshLease(ctx, u.ID, g.ID, lease)
						}
						return
					}
					if lease.IsZero() {
						time.Sleep(5 * time.Millisecond) // another racer holds the lease
						continue
					}
					refreshes.Add(1)
					// While "Google" answers, other writes go through at once.
					if _, err := db.EnsureUser(ctx, "other@example.com", "Other"); err != nil {
						t.Error(err)
					}
					g.AccessToken, g.RefreshToken, g.Expiry = "ya29.fresh", "1//rotated", time.Now().Add(time.Hour)
					if ok, err := store.SaveRefreshedGoogleIntegration(ctx, g); !ok || err != nil {
						t.Errorf("save: %v %v", ok, err)
					}
					return
				}
			}()
		}
		wg.Wait()
		if n := refreshes.Load(); n != 1 {
			t.Fatalf("%d refreshes, want 1", n)
		}
		got, _ := store.FindGoogleIntegration(ctx, u.ID, "")
		if got.AccessToken != "ya29.fresh" || got.RefreshToken != "1//rotated" {
			t.Fatalf("after refresh = %+v", got)
		}
		// Compare-and-swap: a refresh that began before a reconnect is not saved.
		stale, lease, _ := store.LeaseGoogleRefresh(ctx, u.ID, g.ID, time.Minute)
		if lease.IsZero() {
			t.Fatal("lease not taken after the last one ended")
		}
		again := newIntegration(u.ID, "lock")
		again.AccessToken = "ya29.reconnected"
		if err := store.UpsertGoogleIntegration(ctx, again); err != nil {
			t.Fatal(err)
		}
		stale.AccessToken = "ya29.late"
		if ok, err := store.SaveRefreshedGoogleIntegration(ctx, stale); ok || err != nil {
			t.Fatalf("stale save = %v, %v; want not saved", ok, err)
		}
		if got, _ := store.FindGoogleIntegration(ctx, u.ID, ""); got.AccessToken != "ya29.reconnected" {
			t.Fatalf("stale refresh overwrote a reconnect: %q", got.AccessToken)
		}
		// A held lease blocks others until released.
		if _, l2, _ := store.LeaseGoogleRefresh(ctx, u.ID, g.ID, time.Minute); !l2.IsZero() {
			t.Fatal("a second lease while one is held")
		}
		if err := store.ReleaseGoogleRefreshLease(ctx, u.ID, g.ID, lease); err != nil {
			t.Fatal(err)
		}
		if _, l3, _ := store.LeaseGoogleRefresh(ctx, u.ID, g.ID, time.Minute); l3.IsZero() {
			t.Fatal("no lease after release")
		}
	})
}

// Tokens are bound to their user: a row handed to another user no longer
// decrypts. Rows sealed before the binding (ad_version 1) still read, and
// ResealLegacy binds them, once.
func TestTokensBoundToTheirUser(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) {
		ctx := context.Background()
		db := sqldbtest.Open(t, d)
		kr := keyring(t, "k")
		store := sqldb.NewIntegrations(db, vault.Cipher{Keys: kr})
		ada, _ := db.EnsureUser(ctx, "ada@example.com", "")
		eve, _ := db.EnsureUser(ctx, "eve@example.com", "")
		legacy, _ := db.EnsureUser(ctx, "old@example.com", "")
		for _, u := range []*jarvis.User{ada, legacy} {
			if err := store.UpsertGoogleIntegration(ctx, newIntegration(u.ID, u.ID)); err != nil {
				t.Fatal(err)
			}
		}
		// A row as it was sealed before the binding: v1 associated data.
		g, _ := store.FindGoogleIntegration(ctx, legacy.ID, "")
		seal := func(field, tok string) string {
			ct, err := kr.Encrypt([]byte(tok), vault.AD("integrations_google", g.ID, field))
			if err != nil {
				t.Fatal(err)
			}
			return ct
		}
		if _, err := db.SQL().ExecContext(ctx, `UPDATE integrations_google SET access_token_ciphertext = $1, refresh_token_ciphertext = $2, ad_version = 1 WHERE id = $3`,
			seal("access_token", g.AccessToken), seal("refresh_token", g.RefreshToken), g.ID); err != nil {
			t.Fatal(err)
		}
		if got, err := store.FindGoogleIntegration(ctx, legacy.ID, ""); err != nil || got.RefreshToken != "1//refresh-"+legacy.ID {
			t.Fatalf("legacy row: %+v, %v", got, err)
		}
		if n, failed, err := store.ResealLegacy(ctx); n != 1 || failed != 0 || err != nil {
			t.Fatalf("reseal = %d, %d, %v; want 1", n, failed, err)
		}
		if n, _, _ := store.ResealLegacy(ctx); n != 0 {
			t.Fatalf("second reseal = %d, want 0", n)
		}
		if got, err := store.FindGoogleIntegration(ctx, legacy.ID, ""); err != nil || got.AccessToken != "ya29.access-"+legacy.ID {
			t.Fatalf("resealed row: %+v, %v", got, err)
		}
		// Ada's row handed to Eve: nothing decrypts.
		if _, err := db.SQL().ExecContext(ctx, `UPDATE integrations_google SET user_id = $1 WHERE user_id = $2`, eve.ID, ada.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := store.FindGoogleIntegration(ctx, eve.ID, ""); !jarvis.IsCode(err, jarvis.EREAUTH) {
			t.Fatalf("another user's tokens opened for eve: %v", err)
		}
	})
}
