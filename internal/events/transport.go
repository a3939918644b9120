package events

import (
	"context"
	"database/sql"
	"log/slog"
	"net/url"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/redis/go-redis/v9"
)

// channel names the events' channel in Redis and in PostgreSQL.
const channel = "jarvis_events"

// reconnectAfter is the wait before a lost listener connects again.
const reconnectAfter = time.Second

// Redis carries events by Redis pub/sub.
type Redis struct {
	Client *redis.Client
	Log    *slog.Logger
}

// Send publishes the payload.
func (r *Redis) Send(ctx context.Context, payload []byte) error {
	return r.Client.Publish(ctx, channel, payload).Err()
}

// Run receives until ctx ends; go-redis reconnects the subscription.
func (r *Redis) Run(ctx context.Context, deliver func([]byte), listening func()) {
	sub := r.Client.Subscribe(ctx, channel)
	defer sub.Close()
	for ctx.Err() == nil {
		if _, err := sub.Receive(ctx); err == nil { // the subscription's confirmation
			listening()
			break
		} else if ctx.Err() == nil {
			r.Log.Warn("event subscription failed; retrying", "err", err)
			select {
			case <-ctx.Done():
			case <-time.After(reconnectAfter):
			}
		}
	}
	ch := sub.Channel()
	for {
		select {
		case <-ctx.Done():
			return
		case m, ok := <-ch:
			if !ok {
				return
			}
			deliver([]byte(m.Payload))
		}
	}
}

// Postgres carries events by LISTEN/NOTIFY: NOTIFY through the pool, LISTEN
// on a connection of its own.
type Postgres struct {
	DB *sql.DB
	// URL is the database's URL (pool settings that are Jarvis's own,
	// pool_max_conns, are left out of the listener's connection).
	URL string
	Log *slog.Logger
}

// Send notifies every listener. A payload must stay under PostgreSQL's
// 8000 bytes; the events are small.
func (p *Postgres) Send(ctx context.Context, payload []byte) error {
	_, err := p.DB.ExecContext(ctx, `SELECT pg_notify($1, $2)`, channel, string(payload))
	return err
}

// Run listens until ctx ends, connecting again after a lost connection.
func (p *Postgres) Run(ctx context.Context, deliver func([]byte), listening func()) {
	for ctx.Err() == nil {
		if err := p.listen(ctx, deliver, listening); err != nil && ctx.Err() == nil {
			log := p.Log
			if log == nil {
				log = slog.Default()
			}
			log.Warn("event listener lost its connection; reconnecting", "err", err)
			select {
			case <-ctx.Done():
			case <-time.After(reconnectAfter):
			}
		}
	}
}

func (p *Postgres) listen(ctx context.Context, deliver func([]byte), listening func()) error {
	conn, err := pgx.Connect(ctx, listenerURL(p.URL))
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, "LISTEN "+channel); err != nil {
		return err
	}
	listening()
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return err
		}
		deliver([]byte(n.Payload))
	}
}

// listenerURL drops the URL parameters that configure Jarvis's pool rather
// than the server.
func listenerURL(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return dsn
	}
	q := u.Query()
	q.Del("pool_max_conns")
	u.RawQuery = q.Encode()
	return u.String()
}
