package cache

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/jarvis-hq/jarvis/internal/quota"
)

var _ quota.Store = (*Redis)(nil)

// takeScript is the GCRA of package quota in one atomic step: the account's
// hash holds its theoretical arrival time and its pause, in Unix
// microseconds (written with %d: Lua would print a number this large
// with 14 digits); the key expires a minute after both are past, so an
// idle account costs nothing.
var takeScript = redis.NewScript(`
local now, cost, limit = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local v = redis.call('HMGET', KEYS[1], 'tat', 'paused')
local tat, paused = tonumber(v[1]) or 0, tonumber(v[2]) or 0
if paused > now then return paused - now end
local nxt = math.max(tat, now) + cost
if nxt - now > limit then return nxt - now - limit end
redis.call('HSET', KEYS[1], 'tat', string.format('%d', nxt))
redis.call('PEXPIRE', KEYS[1], math.max(math.floor((math.max(nxt, paused) - now) / 1000), 0) + 60000)
return 0
`)

// pauseScript sets the account's pause unless a later one is set.
var pauseScript = redis.NewScript(`
local untl, now = tonumber(ARGV[1]), tonumber(ARGV[2])
local v = redis.call('HMGET', KEYS[1], 'tat', 'paused')
local tat, paused = tonumber(v[1]) or 0, tonumber(v[2]) or 0
if untl > paused then
  paused = untl
  redis.call('HSET', KEYS[1], 'paused', string.format('%d', paused))
end
redis.call('PEXPIRE', KEYS[1], math.max(math.floor((math.max(tat, paused) - now) / 1000), 0) + 60000)
return 0
`)

func (r *Redis) quotaKey(account string) string { return r.prefix + "gq:" + account }

// Take implements quota.Store: one script, atomic across replicas.
func (r *Redis) Take(ctx context.Context, account string, now time.Time, c quota.Check) (time.Duration, error) {
	n, err := takeScript.Run(ctx, r.client, []string{r.quotaKey(account)}, now.UnixMicro(), c.Cost.Microseconds(), c.Limit.Microseconds()).Int64()
	if err != nil {
		return 0, fmt.Errorf("gmail quota: %w", err)
	}
	return time.Duration(n) * time.Microsecond, nil
}

// Pause implements quota.Store.
func (r *Redis) Pause(ctx context.Context, account string, until time.Time) error {
	if err := pauseScript.Run(ctx, r.client, []string{r.quotaKey(account)}, until.UnixMicro(), time.Now().UnixMicro()).Err(); err != nil && err != redis.Nil {
		return fmt.Errorf("gmail quota pause: %w", err)
	}
	return nil
}
