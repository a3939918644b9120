package sqldb_test

import (
	"context"
	"testing"

	"github.com/jarvis-hq/jarvis"
	"github.com/jarvis-hq/jarvis/internal/sqldb"
	"github.com/jarvis-hq/jarvis/internal/sqldb/sqldbtest"
	"github.com/jarvis-hq/jarvis/internal/vault"
)

// beforeAccounts is the last migration with one Google account per user.
const beforeAccounts = 8

// A database as Jarvis left it before several Google accounts per user —
// a connected user with sealed tokens, and one without — migrated up serves
// the same user the same tokens from their primary account; migrated down
// again, the row is as it was.
func TestMigrateToSeveralAccounts(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) {
		ctx := context.Background()
		db, err := sqldb.Open(ctx, sqldbtest.URL(t, d))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		if err := db.MigrateUpTo(ctx, beforeAccounts); err != nil {
			t.Fatal(err)
		}
		kr := keyring(t, "k1")
		const ada, bob, row = "0190a000-0000-7000-8000-00000000ada0", "0190a000-0000-7000-8000-000000000b0b", "0190a000-0000-7000-8000-0000000000g1"
		for _, u := range []struct{ id, email, name string }{{ada, "ada@example.com", "Ada Lovelace"}, {bob, "bob@example.com", ""}} {
			if _, err := db.SQL().ExecContext(ctx, `INSERT INTO users (id, email, name, picture_url, token_version, personal_org_id, created_at, updated_at)
				VALUES ($1, $2, $3, 'https://pictures.example/ada', 0, '', '2026-12-01T09:00:00.000000Z', '2026-12-01T09:00:00.000000Z')`, u.id, u.email, u.name); err != nil {
				t.Fatal(err)
			}
		}
		seal := func(field, tok string) string {
			ct, err := kr.Encrypt([]byte(tok), vault.ADUser("integrations_google", row, field, ada))
			if err != nil {
				t.Fatal(err)
			}
			return ct
		}
		if _, err := db.SQL().ExecContext(ctx, `INSERT INTO integrations_google (id, user_id, issuer, google_sub, email, scopes,
			access_token_ciphertext, refresh_token_ciphertext, key_id, token_type, expiry, status, created_at, updated_at, version, ad_version)
			VALUES ($1, $2, 'https://accounts.google.com', '1234', 'ada@example.com', 'openid email', $3, $4, 'k1', 'Bearer',
			'2026-12-01T10:00:00.000000Z', 'active', '2026-12-01T09:00:00.000000Z', '2026-12-01T09:00:00.000000Z', 3, 2)`,
			row, ada, seal("access_token", "ya29.ada"), seal("refresh_token", "1//ada")); err != nil {
			t.Fatal(err)
		}

		if _, err := db.MigrateUp(ctx); err != nil {
			t.Fatal(err)
		}
		store := sqldb.NewIntegrations(db, vault.Cipher{Keys: kr})
		g, err := store.FindGoogleIntegration(ctx, ada, "")
		if err != nil || g.ID != row || g.UserID != ada || g.AccessToken != "ya29.ada" || g.RefreshToken != "1//ada" || g.Version != 3 ||
			g.Email != "ada@example.com" || g.Subject != "1234" || len(g.Scopes) != 2 {
			t.Fatalf("after up: %+v, %v", g, err)
		}
		var primary bool
		var name, picture string
		if err := db.SQL().QueryRowContext(ctx, `SELECT is_primary, name, picture_url FROM integrations_google WHERE id = $1`, row).Scan(&primary, &name, &picture); err != nil ||
			!primary || name != "Ada Lovelace" || picture != "https://pictures.example/ada" {
			t.Fatalf("after up: primary %v, name %q, picture %q, %v", primary, name, picture, err)
		}
		if _, err := store.FindGoogleIntegration(ctx, bob, ""); !jarvis.IsCode(err, jarvis.ENOTFOUND) {
			t.Fatalf("bob after up: %v", err)
		}
		// The same Google account still belongs to one user only.
		if _, err := db.SQL().ExecContext(ctx, `INSERT INTO integrations_google (id, user_id, issuer, google_sub, email, status, created_at, updated_at)
			VALUES ('other', $1, 'https://accounts.google.com', '1234', 'ada@example.com', 'active', '2026-12-01T09:00:00.000000Z', '2026-12-01T09:00:00.000000Z')`, bob); err == nil {
			t.Fatal("one Google account linked to two users")
		}

		// A second account of Ada's, older than her primary: down keeps the primary.
		if _, err := db.SQL().ExecContext(ctx, `INSERT INTO integrations_google (id, user_id, issuer, google_sub, email, status, created_at, updated_at, is_primary)
			VALUES ('second', $1, 'https://accounts.google.com', '5678', 'ada@work.example', 'active', '2026-11-01T09:00:00.000000Z', '2026-11-01T09:00:00.000000Z', FALSE)`, ada); err != nil {
			t.Fatalf("a second account: %v", err)
		}

		if err := db.MigrateDownTo(ctx, beforeAccounts); err != nil {
			t.Fatal(err)
		}
		var n int
		if err := db.SQL().QueryRowContext(ctx, `SELECT COUNT(*) FROM integrations_google`).Scan(&n); err != nil || n != 1 {
			t.Fatalf("after down: %d rows, %v", n, err)
		}
		var access, refresh, user string
		if err := db.SQL().QueryRowContext(ctx, `SELECT user_id, access_token_ciphertext, refresh_token_ciphertext FROM integrations_google WHERE id = $1`, row).
			Scan(&user, &access, &refresh); err != nil || user != ada {
			t.Fatalf("after down: %q, %v", user, err)
		}
		for ct, want := range map[string]string{access: "ya29.ada", refresh: "1//ada"} {
			field := "access_token"
			if want == "1//ada" {
				field = "refresh_token"
			}
			if pt, err := kr.Decrypt(ct, vault.ADUser("integrations_google", row, field, ada)); err != nil || string(pt) != want {
				t.Fatalf("after down: %s = %q, %v", field, pt, err)
			}
		}
		// One account per user again.
		if _, err := db.SQL().ExecContext(ctx, `INSERT INTO integrations_google (id, user_id, issuer, google_sub, email, status, created_at, updated_at)
			VALUES ('second', $1, 'https://accounts.google.com', '5678', 'ada@work.example', 'active', '2026-12-01T09:00:00.000000Z', '2026-12-01T09:00:00.000000Z')`, ada); err == nil {
			t.Fatal("a second account for one user after down")
		}
		if _, err := db.MigrateUp(ctx); err != nil {
			t.Fatal(err)
		}
		if g, err := store.FindGoogleIntegration(ctx, ada, ""); err != nil || g.RefreshToken != "1//ada" {
			t.Fatalf("up again: %+v, %v", g, err)
		}
	})
}
