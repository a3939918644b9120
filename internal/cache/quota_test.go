package cache

import (
	"testing"

	"github.com/jarvis-hq/jarvis/internal/quota"
	"github.com/jarvis-hq/jarvis/internal/quota/quotatest"
)

// TestRedisGmailQuota runs the quota store suite with two replicas: two
// clients of one Redis.
func TestRedisGmailQuota(t *testing.T) {
	quotatest.Run(t, func(t *testing.T) (quota.Store, quota.Store, [2]string) {
		a := openTestRedis(t)
		b := openTestRedis(t).WithPrefix(a.prefix)
		return a, b, [2]string{"acct-1", "acct-2"}
	})
}
