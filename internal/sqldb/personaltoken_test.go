package sqldb_test

import (
	"context"
	"crypto/sha256"
	"slices"
	"testing"
	"time"

	"github.com/jarvis-hq/jarvis"
	"github.com/jarvis-hq/jarvis/internal/sqldb"
	"github.com/jarvis-hq/jarvis/internal/sqldb/sqldbtest"
)

// A personal token is found by its hash only, listed and deleted only by
// its owner, and stops listing once expired.
func TestPersonalTokens(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) {
		ctx := context.Background()
		db := sqldbtest.Open(t, d)
		ada, err := db.EnsureUser(ctx, "ada@example.com", "Ada")
		if err != nil {
			t.Fatal(err)
		}
		bob, err := db.EnsureUser(ctx, "bob@example.com", "Bob")
		if err != nil {
			t.Fatal(err)
		}
		hash := sha256.Sum256([]byte("jarvis_pat_secret"))
		tok := &jarvis.PersonalToken{UserID: ada.ID, Name: "Desktop", Hint: "jarvis_pat_secr", Scopes: []string{jarvis.ScopeMailRead},
			Accounts: []string{"acct-1"}, ExpiresAt: time.Now().Add(time.Hour)}
		if err := db.InsertPersonalToken(ctx, tok, hash[:]); err != nil {
			t.Fatal(err)
		}
		expired := &jarvis.PersonalToken{UserID: ada.ID, Name: "Old", Hint: "jarvis_pat_old0", Scopes: []string{jarvis.ScopeMailRead},
			Accounts: []string{}, ExpiresAt: time.Now().Add(-time.Minute)}
		oldHash := sha256.Sum256([]byte("jarvis_pat_old"))
		if err := db.InsertPersonalToken(ctx, expired, oldHash[:]); err != nil {
			t.Fatal(err)
		}
		got, err := db.FindPersonalTokenByHash(ctx, hash[:])
		if err != nil || got.ID != tok.ID || got.UserID != ada.ID || !slices.Equal(got.Scopes, tok.Scopes) || !slices.Equal(got.Accounts, tok.Accounts) || got.LastUsedAt != nil {
			t.Fatalf("find = %+v, %v", got, err)
		}
		other := sha256.Sum256([]byte("jarvis_pat_other"))
		if _, err := db.FindPersonalTokenByHash(ctx, other[:]); jarvis.ErrorCode(err) != jarvis.ENOTFOUND {
			t.Fatalf("unknown hash: %v", err)
		}
		list, err := db.ListPersonalTokens(ctx, ada.ID)
		if err != nil || len(list) != 1 || list[0].ID != tok.ID {
			t.Fatalf("list = %+v, %v (the expired token must not list)", list, err)
		}
		if list, _ := db.ListPersonalTokens(ctx, bob.ID); len(list) != 0 {
			t.Fatalf("bob lists %+v", list)
		}
		used := time.Now().UTC().Truncate(time.Second)
		if err := db.TouchPersonalToken(ctx, ada.ID, tok.ID, used); err != nil {
			t.Fatal(err)
		}
		if got, _ := db.FindPersonalTokenByHash(ctx, hash[:]); got.LastUsedAt == nil || !got.LastUsedAt.Equal(used) {
			t.Fatalf("last used = %v, want %v", got.LastUsedAt, used)
		}
		if err := db.DeletePersonalToken(ctx, bob.ID, tok.ID); jarvis.ErrorCode(err) != jarvis.ENOTFOUND {
			t.Fatalf("bob deleting ada's token: %v", err)
		}
		if err := db.DeletePersonalToken(ctx, ada.ID, tok.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := db.FindPersonalTokenByHash(ctx, hash[:]); jarvis.ErrorCode(err) != jarvis.ENOTFOUND {
			t.Fatalf("revoked token found: %v", err)
		}
	})
}
