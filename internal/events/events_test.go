package events_test

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/jarvis-hq/jarvis/internal/events"
	"github.com/jarvis-hq/jarvis/internal/sqldb"
	"github.com/jarvis-hq/jarvis/internal/sqldb/sqldbtest"
)

func randomID(prefix string) string {
	return prefix + "-" + strings.ToLower(rand.Text())
}

// next waits for the subscription's next event.
func next(t *testing.T, s *events.Subscription) events.Event {
	t.Helper()
	select {
	case e, ok := <-s.C:
		if !ok {
			t.Fatal("the subscription closed")
		}
		return e
	case <-time.After(30 * time.Second):
		t.Fatal("timed out waiting for an event")
	}
	return events.Event{}
}

// crossReplicas publishes on one bus and expects the event on the other's
// subscriber, and only for that user.
func crossReplicas(t *testing.T, a, b *events.Bus) {
	user, other := randomID("user"), randomID("user")
	sub := b.Subscribe(user)
	defer sub.Cancel()
	bystander := b.Subscribe(other)
	defer bystander.Cancel()
	ctx := context.Background()
	// A subscription starts listening asynchronously: publish until the
	// first event arrives.
	for {
		if err := a.Publish(ctx, user, "sync.progress", map[string]any{"account_id": "acc1", "phase": "full"}); err != nil {
			t.Fatal(err)
		}
		select {
		case e := <-sub.C:
			if e.Type != "sync.progress" || !strings.Contains(string(e.Data), `"acc1"`) {
				t.Fatalf("got %+v", e)
			}
		case <-time.After(100 * time.Millisecond):
			continue
		}
		break
	}
	if err := a.Publish(ctx, user, "mail.changed", map[string]any{"account_id": "acc1", "thread_ids": []string{"t1"}}); err != nil {
		t.Fatal(err)
	}
	for e := next(t, sub); e.Type != "mail.changed"; e = next(t, sub) {
	}
	// Too large for a NOTIFY: sent with its account only.
	big := make([]string, 2000)
	for i := range big {
		big[i] = fmt.Sprintf("thread%06d", i)
	}
	if err := a.Publish(ctx, user, "mail.changed", map[string]any{"account_id": "acc2", "thread_ids": big}); err != nil {
		t.Fatal(err)
	}
	e := next(t, sub)
	for ; !strings.Contains(string(e.Data), "acc2"); e = next(t, sub) {
	}
	var data map[string]any
	if err := json.Unmarshal(e.Data, &data); err != nil || data["account_id"] != "acc2" || data["truncated"] != true || data["thread_ids"] != nil {
		t.Fatalf("oversized event: %s %v", e.Data, err)
	}
	select {
	case e := <-bystander.C:
		t.Fatalf("another user's stream got %+v", e)
	default:
	}
}

func TestPostgresCrossesReplicas(t *testing.T) {
	if len(sqldbtest.Dialects(t)) < 2 {
		t.Skip("no PostgreSQL")
	}
	dsn := sqldbtest.URL(t, sqldb.Postgres)
	app := strings.ReplaceAll(randomID("events_test"), "-", "_")
	sep := "?"
	if strings.Contains(dsn, "?") {
		sep = "&"
	}
	listen := dsn + sep + "application_name=" + app
	db := sqldbtest.OpenURL(t, dsn)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	a := events.New(ctx, &events.Postgres{DB: db.SQL(), URL: listen, Log: nil}, nil)
	b := events.New(ctx, &events.Postgres{DB: db.SQL(), URL: listen, Log: nil}, nil)
	// Buses listen while a stream is open: keep one open on each.
	for _, bus := range []*events.Bus{a, b} {
		keep := bus.Subscribe(randomID("keeper"))
		defer keep.Cancel()
		<-keep.Ready()
	}
	crossReplicas(t, a, b)

	// The listeners' connections are lost: they connect again, and events
	// flow once more.
	var killed time.Time
	if err := db.SQL().QueryRow(`SELECT clock_timestamp()`).Scan(&killed); err != nil {
		t.Fatal(err)
	}
	if _, err := db.SQL().Exec(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1`, app); err != nil {
		t.Fatal(err)
	}
	// A killed backend may still deliver a notification before it goes:
	// wait until both buses listen on connections opened since, so that
	// nothing below is sent while a listener is away.
	deadline := time.Now().Add(30 * time.Second)
	for {
		var fresh, old int
		if err := db.SQL().QueryRow(`SELECT COUNT(*) FILTER (WHERE backend_start > $2), COUNT(*) FILTER (WHERE backend_start <= $2)
			FROM pg_stat_activity WHERE application_name = $1 AND query LIKE 'LISTEN%'`, app, killed).Scan(&fresh, &old); err != nil {
			t.Fatal(err)
		}
		if fresh >= 2 && old == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("listeners: %d reconnected, %d old", fresh, old)
		}
		time.Sleep(20 * time.Millisecond)
	}
	crossReplicas(t, a, b)
}

func TestRedisCrossesReplicas(t *testing.T) {
	if c, err := net.Dial("tcp", "127.0.0.1:6379"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal(err)
		}
		t.Skip("no Redis")
	} else {
		c.Close()
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	opts, _ := redis.ParseURL("redis://127.0.0.1:6379/15")
	ca, cb := redis.NewClient(opts), redis.NewClient(opts)
	defer ca.Close()
	defer cb.Close()
	a := events.New(ctx, &events.Redis{Client: ca}, nil)
	b := events.New(ctx, &events.Redis{Client: cb}, nil)
	crossReplicas(t, a, b)
}

func TestInProcess(t *testing.T) {
	b := events.New(context.Background(), nil, nil)
	crossReplicas(t, b, b)
}

// A subscriber that does not read is dropped and told so, and publishing
// never blocks on it.
func TestSlowSubscriberOverflows(t *testing.T) {
	b := events.New(context.Background(), nil, nil)
	slow, fast := b.Subscribe("u"), b.Subscribe("u")
	defer fast.Cancel()
	n := 0
	for slow.Overflowed() == false {
		if err := b.Publish(context.Background(), "u", "mail.changed", map[string]any{"account_id": "a", "n": n}); err != nil {
			t.Fatal(err)
		}
		n++
		select {
		case <-fast.C:
		default:
			t.Fatal("the reading subscriber missed an event")
		}
	}
	for range slow.C { // drained, then closed
	}
	if got := b.Subscribers("u"); got != 1 {
		t.Fatalf("subscribers = %d, want 1", got)
	}
	slow.Cancel() // twice is harmless
	b.Close()
	if _, ok := <-fast.C; ok {
		t.Fatal("Close left a stream open")
	}
}

// Close (shutdown) ends every open stream, and every one opened after it,
// saying so; a cancelled or overflowed stream does not say so.
func TestCloseEndsStreamsForShutdown(t *testing.T) {
	b := events.New(context.Background(), nil, nil)
	open, cancelled := b.Subscribe("u1"), b.Subscribe("u1")
	cancelled.Cancel()
	b.Close()
	if _, ok := <-open.C; ok || !open.ShutDown() || open.Overflowed() {
		t.Fatalf("open stream after Close: shut down %v, overflowed %v", open.ShutDown(), open.Overflowed())
	}
	if cancelled.ShutDown() {
		t.Fatal("a stream cancelled before Close says it was shut down")
	}
	late := b.Subscribe("u2")
	if _, ok := <-late.C; ok || !late.ShutDown() || b.Subscribers("u2") != 0 {
		t.Fatal("a stream opened after Close stays open")
	}
}
