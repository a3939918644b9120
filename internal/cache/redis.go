// Package cache holds what replicas share outside the database when Redis
// is configured: today, the per-user rate limits. Without Redis, Jarvis
// keeps them in the database instead (sqldb.DB implements the same
// jarvis.RateLimiter).
package cache

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/jarvis-hq/jarvis"
)

// Redis is a Redis-backed rate limiter shared by every replica.
type Redis struct {
	client *redis.Client
	prefix string
	now    func() time.Time
}

var _ jarvis.RateLimiter = (*Redis)(nil)

// OpenRedis connects to the Redis at url (redis://… or rediss://…) and
// checks that it answers.
func OpenRedis(ctx context.Context, url string) (*Redis, error) {
	opts, err := redis.ParseURL(url)
	if err != nil {
		return nil, fmt.Errorf("JARVIS_REDIS_URL: %w", err)
	}
	opts.DialTimeout, opts.ReadTimeout, opts.WriteTimeout = 5*time.Second, 2*time.Second, 2*time.Second
	r := &Redis{client: redis.NewClient(opts), prefix: "jarvis:", now: time.Now}
	if err := r.Ping(ctx); err != nil {
		r.client.Close()
		return nil, fmt.Errorf("connect to Redis: %w", err)
	}
	return r, nil
}

// WithPrefix returns a limiter whose keys start with prefix (tests use one
// per run so that they never see each other's counters).
func (r *Redis) WithPrefix(prefix string) *Redis {
	c := *r
	c.prefix = prefix
	return &c
}

// Ping checks that Redis answers, for /ready.
func (r *Redis) Ping(ctx context.Context) error { return r.client.Ping(ctx).Err() }

// Close closes the connection pool.
func (r *Redis) Close() error { return r.client.Close() }

// Allow counts one event in the bucket's current fixed window: an INCR on a
// key that expires with the window, in one round trip.
func (r *Redis) Allow(ctx context.Context, bucket string, limit int, window time.Duration) (bool, time.Duration, error) {
	w := int64(window / time.Second)
	if w <= 0 {
		w = 1
	}
	now := r.now()
	start := now.Unix() / w * w
	key := fmt.Sprintf("%srl:%s:%d", r.prefix, bucket, start)
	pipe := r.client.TxPipeline()
	incr := pipe.Incr(ctx, key)
	pipe.Expire(ctx, key, time.Duration(w+1)*time.Second)
	if _, err := pipe.Exec(ctx); err != nil {
		return false, 0, fmt.Errorf("rate limit: %w", err)
	}
	if incr.Val() <= int64(limit) {
		return true, 0, nil
	}
	retry := time.Unix(start+w, 0).Sub(now)
	if retry < time.Second {
		retry = time.Second
	}
	return false, retry, nil
}

// Client returns the Redis client, for the event bus's pub/sub.
func (r *Redis) Client() *redis.Client { return r.client }
