package main

import (
	"context"
	"maps"
	"testing"
	"time"

	"github.com/jarvis-hq/jarvis/internal/config"
	"github.com/jarvis-hq/jarvis/internal/mailsync"
	"github.com/jarvis-hq/jarvis/internal/sandbox"
	"github.com/jarvis-hq/jarvis/internal/sqldb"
)

// The first sync of a mailbox, run by its job as connecting the account
// starts it (push mode, so the watch too), makes exactly the Gmail calls
// the engine needs and no more: the profile once, the label list at its
// start and its end, one messages.list and one history.list per page of
// 100, each message fetched once, and one watch — however the job, its
// follow-ups and the periodic renewals interleave.
func TestFirstSyncMakesOnlyTheCallsItNeeds(t *testing.T) {
	oneDB(t, func(t *testing.T, d sqldb.Dialect) {
		e := startEnv(t, envOptions{dialect: d, sandboxCfg: sandbox.Config{Generate: 180, Seed: 3}, configure: func(c *config.Config) {
			c.GmailPush, c.PubSubTopic, c.PubSubServiceAccount = "push", sandbox.DefaultPushTopic, sandbox.DefaultPushAccount
			c.PollInterval = time.Hour // no poll within the test: only the first sync's own calls
		}})
		if err := e.Sandbox.Google.PubSub().EnsureTopic(sandbox.DefaultPushTopic); err != nil { // the topic users.watch names
			t.Fatal(err)
		}
		const ada = "ada@example.com"
		user := fullGmail(t, e.Sandbox.URL, ada)
		messages := len(gmailView(t, user))
		e.Sandbox.Google.ResetStats()

		account := e.accountOf(ada) // connecting the account starts its sync
		t.Cleanup(func() {
			if !t.Failed() {
				return
			}
			rows, _ := e.Main.DB.SQL().QueryContext(context.Background(), `SELECT kind, state, attempt FROM river_job`)
			for rows != nil && rows.Next() {
				var k, s string
				var a int
				_ = rows.Scan(&k, &s, &a)
				t.Logf("job %s: %s, attempt %d", k, s, a)
			}
			t.Logf("state %+v", e.syncState(account))
		})
		waitFor(t, "the first sync, the watch and every job done", func() bool {
			st := e.syncState(account)
			if st.Phase != mailsync.PhaseIncremental || st.LastSuccessAt.IsZero() || st.WatchExpiry.IsZero() {
				return false
			}
			var waiting, renewed int
			db := e.Main.DB.SQL()
			err := db.QueryRowContext(context.Background(), `SELECT COUNT(*) FROM river_job
				WHERE state IN ('available', 'pending', 'retryable', 'running', 'scheduled')`).Scan(&waiting)
			if err == nil {
				err = db.QueryRowContext(context.Background(), `SELECT COUNT(*) FROM river_job
					WHERE kind = 'gmail_watch_renew' AND state = 'completed'`).Scan(&renewed)
			}
			return err == nil && waiting == 0 && renewed > 0
		})

		pages := int64((messages + 99) / 100)
		want := map[string]int64{"gmail.getProfile": 1, "gmail.labels.list": 2, "gmail.messages.list": pages,
			"gmail.messages.get": int64(messages), "gmail.history.list": pages, "gmail.watch": 1}
		if got := gmailCalls(e.Sandbox.Google); !maps.Equal(got, want) {
			t.Errorf("the first sync of %d messages made the Gmail calls\n%v\nwant\n%v", messages, got, want)
		}
		assertIndexEqualsMailbox(t, e.Main.Index, account, user)
	})
}
