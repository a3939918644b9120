package cache

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"sync"
	"testing"
	"time"
)

// redisURL is the Redis the tests use: JARVIS_TEST_REDIS_URL, or the local
// default. Under CI=true an unreachable Redis fails the test.
func openTestRedis(t *testing.T) *Redis {
	t.Helper()
	url := os.Getenv("JARVIS_TEST_REDIS_URL")
	if url == "" {
		url = "redis://127.0.0.1:6379/0"
	}
	r, err := OpenRedis(context.Background(), url)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("Redis is required under CI: %v", err)
		}
		t.Skipf("no Redis at %s: %v", url, err)
	}
	t.Cleanup(func() { r.Close() })
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return r.WithPrefix("jarvis-test-" + hex.EncodeToString(b) + ":")
}

func TestRedisLimiter(t *testing.T) {
	r := openTestRedis(t)
	ctx := context.Background()
	var wg sync.WaitGroup
	var mu sync.Mutex
	allowed := 0
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ok, _, err := r.Allow(ctx, "user-1", 7, time.Minute)
			if err != nil {
				t.Error(err)
			}
			if ok {
				mu.Lock()
				allowed++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if allowed != 7 {
		t.Fatalf("%d allowed, want 7", allowed)
	}
	ok, retry, err := r.Allow(ctx, "user-1", 7, time.Minute)
	if ok || err != nil || retry <= 0 || retry > time.Minute {
		t.Fatalf("over the limit: ok=%v retry=%v err=%v", ok, retry, err)
	}
	if ok, _, _ := r.Allow(ctx, "user-2", 7, time.Minute); !ok {
		t.Fatal("another bucket was limited")
	}
	// The next window starts afresh.
	r.now = func() time.Time { return time.Now().Add(time.Minute) }
	if ok, _, _ := r.Allow(ctx, "user-1", 7, time.Minute); !ok {
		t.Fatal("the next window was limited")
	}
}

func TestRedisBadURL(t *testing.T) {
	if _, err := OpenRedis(context.Background(), "http://nope"); err == nil {
		t.Fatal("a non-redis URL was accepted")
	}
}
