package sqldb

import (
	"context"
	"fmt"
	"time"

	"github.com/jarvis-hq/jarvis"
)

var _ jarvis.RateLimiter = (*DB)(nil)

// Allow counts one event in bucket's current fixed window of the given length
// and reports whether it is within limit; when it is not, it also says how
// long until the window ends. Counters live in the database so that every
// replica shares them.
func (db *DB) Allow(ctx context.Context, bucket string, limit int, window time.Duration) (bool, time.Duration, error) {
	now := db.now()
	w := int64(window / time.Second)
	if w <= 0 {
		w = 1
	}
	start := now.Unix() / w * w
	var count int
	err := db.db.QueryRowContext(ctx, `INSERT INTO rate_limits (bucket, window_start, count) VALUES ($1, $2, 1)
		ON CONFLICT (bucket, window_start) DO UPDATE SET count = rate_limits.count + 1 RETURNING count`, bucket, start).Scan(&count)
	if err != nil {
		return false, 0, fmt.Errorf("rate limit: %w", err)
	}
	if count <= limit {
		return true, 0, nil
	}
	retry := time.Unix(start+w, 0).Sub(now)
	if retry < time.Second {
		retry = time.Second
	}
	return false, retry, nil
}
