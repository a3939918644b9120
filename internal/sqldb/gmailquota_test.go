package sqldb_test

import (
	"context"
	"testing"
	"time"

	"github.com/jarvis-hq/jarvis/internal/quota"
	"github.com/jarvis-hq/jarvis/internal/quota/quotatest"
	"github.com/jarvis-hq/jarvis/internal/sqldb"
	"github.com/jarvis-hq/jarvis/internal/sqldb/sqldbtest"
	"github.com/jarvis-hq/jarvis/internal/vault"
)

// TestGmailQuota runs the quota store suite with two replicas: two
// connections pools on one database.
func TestGmailQuota(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) {
		quotatest.Run(t, func(t *testing.T) (quota.Store, quota.Store, [2]string) {
			ctx := context.Background()
			url := sqldbtest.URL(t, d)
			a, b := sqldbtest.OpenURL(t, url), sqldbtest.OpenURL(t, url)
			store := sqldb.NewIntegrations(a, vault.Cipher{Keys: keyring(t, "k1")})
			u, err := a.EnsureUser(ctx, "q@example.com", "")
			if err != nil {
				t.Fatal(err)
			}
			var ids [2]string
			for i, sub := range []string{"q1", "q2"} {
				g := newIntegration(u.ID, sub)
				if err := store.UpsertGoogleIntegration(ctx, g); err != nil {
					t.Fatal(err)
				}
				ids[i] = g.ID
			}
			return sqldb.NewGmailQuota(a), sqldb.NewGmailQuota(b), ids
		})
	})
}

// TestGmailQuotaGoesWithTheAccount: disconnecting the account deletes its
// quota row.
func TestGmailQuotaGoesWithTheAccount(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) {
		ctx := context.Background()
		db, _, store, g := indexAccount(t, d)
		q := sqldb.NewGmailQuota(db)
		if err := q.Pause(ctx, g.ID, time.Now().Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		if err := store.DeleteGoogleIntegration(ctx, g.UserID, g.ID); err != nil {
			t.Fatal(err)
		}
		var n int
		if err := db.SQL().QueryRowContext(ctx, `SELECT COUNT(*) FROM gmail_quota`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 0 {
			t.Fatalf("%d quota rows left after the account was removed", n)
		}
	})
}
