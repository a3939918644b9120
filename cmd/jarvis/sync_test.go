package main

import (
	"context"
	"net/http"
	"slices"
	"testing"

	"github.com/jarvis-hq/jarvis/internal/config"
	"github.com/jarvis-hq/jarvis/internal/mailsync"
	"github.com/jarvis-hq/jarvis/internal/sandbox"
	"github.com/jarvis-hq/jarvis/internal/sandbox/pubsub"
	"github.com/jarvis-hq/jarvis/internal/sqldb"
	"github.com/jarvis-hq/jarvis/internal/sqldb/sqldbtest"
)

// indexed reports whether the account's index holds the message.
func indexed(e *testEnv, accountID, messageID string) bool {
	ids, err := e.Main.Index.MessageIDs(context.Background(), accountID)
	return err == nil && slices.Contains(ids, messageID)
}

func (e *testEnv) syncState(accountID string) mailsync.State {
	e.t.Helper()
	st, err := e.Main.Index.State(context.Background(), accountID)
	if err != nil {
		e.t.Fatal(err)
	}
	return st
}

// In push mode a connected account is synced at once and watched; new mail
// at Google reaches the index through Pub/Sub's push, the webhook and a
// sync job — no request needed.
func TestNewMailReachesTheIndexByPush(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) {
		e := startEnv(t, envOptions{dialect: d, configure: func(c *config.Config) {
			c.GmailPush, c.PubSubTopic, c.PubSubServiceAccount = "push", sandbox.DefaultPushTopic, sandbox.DefaultPushAccount
		}})
		const ada = "ada@example.com"
		account := e.subscribePush(ada)
		id, _ := deliver(t, e, ada, "Grace <grace@example.com>", "Pushed along")
		t.Cleanup(func() {
			if t.Failed() {
				t.Logf("push log: %+v\nstate: %+v\nlogs:\n%s", e.Sandbox.Google.PushLog(), e.syncState(account), e.Logs.String())
			}
		})
		waitFor(t, "the new message in the index", func() bool { return indexed(e, account, id) })
		if st := e.syncState(account); st.LastPushAt.IsZero() || st.HighWater == 0 {
			t.Fatalf("no push recorded: %+v", st)
		}

		// A push without Google's token is refused and records nothing.
		before := e.syncState(account)
		e.problem(http.MethodPost, "/webhooks/google/pubsub", "", map[string]any{"message": map[string]any{"data": "e30="}}, 401, "unauthorized")
		if after := e.syncState(account); after.HighWater != before.HighWater || !after.LastPushAt.Equal(before.LastPushAt) {
			t.Fatalf("a refused push changed the state: %+v", after)
		}
	})
}

// subscribePush has the sandbox's Pub/Sub push Gmail's notifications to
// Jarvis's webhook, and waits until the account of email has had its first
// sync and its watch (watched); it returns the account's id.
func (e *testEnv) subscribePush(email string) string {
	e.t.Helper()
	ps := e.Sandbox.Google.PubSub()
	if err := ps.EnsureTopic(sandbox.DefaultPushTopic); err != nil {
		e.t.Fatal(err)
	}
	if _, err := ps.CreateSubscription(pubsub.Subscription{Name: "projects/sandbox/subscriptions/test-push", Topic: sandbox.DefaultPushTopic,
		PushConfig: pubsub.PushConfig{PushEndpoint: e.URL + "/webhooks/google/pubsub", OIDCToken: &pubsub.OIDCToken{ServiceAccountEmail: sandbox.DefaultPushAccount}}}); err != nil {
		e.t.Fatal(err)
	}
	return e.watched(email)
}

// watched waits until the account of email has had its first sync and its
// Gmail watch, and returns the account's id.
func (e *testEnv) watched(email string) string {
	e.t.Helper()
	account := e.accountOf(email)
	waitFor(e.t, "the first sync and the watch", func() bool {
		st := e.syncState(account)
		return st.Phase == mailsync.PhaseIncremental && !st.WatchExpiry.IsZero()
	})
	return account
}

// synced waits until the user's primary account has finished its first
// mail and calendar syncs (started when it was connected), so that a test
// counting calls to Google or goroutines counts only its own.
func (e *testEnv) synced(email string) string {
	e.t.Helper()
	account := e.accountOf(email)
	waitFor(e.t, "the first sync of "+email, func() bool {
		st := e.syncState(account)
		if st.Phase != mailsync.PhaseIncremental || st.LastSuccessAt.IsZero() || st.CalendarSyncedAt.IsZero() {
			return false
		}
		// No sync job left to run (a sign-in again schedules one).
		var waiting int
		err := e.Main.DB.SQL().QueryRowContext(context.Background(), `SELECT COUNT(*) FROM river_job WHERE kind IN ('gmail_sync', 'calendar_sync')
			AND state IN ('available', 'pending', 'retryable', 'running', 'scheduled')`).Scan(&waiting)
		return err == nil && waiting == 0
	})
	return account
}
