package sandbox

import (
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jarvis-hq/jarvis/internal/sandbox/wire"
)

// gmailState is the Gmail state that is not a mailbox: the outbox and the
// per-user quota and concurrency.
type gmailState struct {
	mu       sync.Mutex
	outbox   []outboxItem
	buckets  map[string]*bucket // by account
	inflight map[string]int     // by account
}

// bucket is a user's quota: units refill continuously at the per-minute
// rate, up to one minute's worth, as Google's moving average allows short
// bursts.
type bucket struct {
	units float64
	at    time.Time
}

// quotaCost is the quota units each Gmail method uses, from the Gmail
// API's usage limits page; methods it does not list cost 5.
var quotaCost = map[string]int{
	"gmail.drafts.create": 10, "gmail.drafts.delete": 10, "gmail.drafts.get": 5, "gmail.drafts.list": 5,
	"gmail.drafts.send": 100, "gmail.drafts.update": 15, "gmail.getProfile": 1, "gmail.history.list": 2,
	"gmail.labels.create": 5, "gmail.labels.delete": 5, "gmail.labels.get": 1, "gmail.labels.list": 1,
	"gmail.labels.update": 5, "gmail.labels.patch": 5, "gmail.messages.attachments.get": 5,
	"gmail.messages.batchDelete": 50, "gmail.messages.batchModify": 50, "gmail.messages.delete": 10,
	"gmail.messages.get": 5, "gmail.messages.import": 25, "gmail.messages.insert": 25,
	"gmail.messages.list": 5, "gmail.messages.modify": 5, "gmail.messages.send": 100,
	"gmail.messages.trash": 5, "gmail.messages.untrash": 5, "gmail.threads.delete": 20,
	"gmail.threads.get": 10, "gmail.threads.list": 10, "gmail.threads.modify": 10,
	"gmail.threads.trash": 10, "gmail.threads.untrash": 10, "gmail.watch": 100, "gmail.stop": 50,
}

func costOf(method string) int {
	if c, ok := quotaCost[method]; ok {
		return c
	}
	return 5
}

// admitGmail applies the per-user limits to a call: at most maxConcurrent
// calls in flight (429 "Too many concurrent requests for user") and the
// quota in units per minute (429 "User-rate limit exceeded" with
// Retry-After). It reports false when it has answered; otherwise done must
// be called when the call ends.
func (s *Server) admitGmail(w http.ResponseWriter, email, method string) (done func(), ok bool) {
	cur := s.settings.Load()
	g := &s.gm
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.inflight == nil {
		g.inflight, g.buckets = map[string]int{}, map[string]*bucket{}
	}
	if cur.maxConcurrent > 0 && g.inflight[email] >= cur.maxConcurrent {
		s.count("gmail.concurrent_exceeded")
		w.Header().Set("Retry-After", "1")
		wire.WriteError(w, http.StatusTooManyRequests, wire.ErrorItem{Domain: "usageLimits", Reason: "rateLimitExceeded", Message: "Too many concurrent requests for user"})
		return nil, false
	}
	if limit := float64(cur.quota); limit > 0 {
		now := s.now()
		b := g.buckets[email]
		if b == nil {
			b = &bucket{units: limit, at: now}
			g.buckets[email] = b
		}
		rate := limit / 60 // units per second
		if el := now.Sub(b.at).Seconds(); el > 0 {
			b.units = math.Min(limit, b.units+el*rate)
		}
		b.at = now
		b.units = math.Min(b.units, limit)
		cost := float64(costOf(method))
		if b.units < cost {
			s.count("gmail.quota_exceeded")
			wait := max(1, int(math.Ceil((cost-b.units)/rate)))
			retry := now.Add(time.Duration(wait) * time.Second).UTC()
			w.Header().Set("Retry-After", strconv.Itoa(wait))
			wire.WriteError(w, http.StatusTooManyRequests, wire.ErrorItem{Domain: "usageLimits", Reason: "rateLimitExceeded",
				Message: "User-rate limit exceeded.  Retry after " + retry.Format("2006-01-02T15:04:05.000Z")})
			return nil, false
		}
		b.units -= cost
	}
	g.inflight[email]++
	return func() {
		g.mu.Lock()
		g.inflight[email]--
		g.mu.Unlock()
	}, true
}

// parseRetention reads --history-retention: a duration ("168h") or a
// number of records ("5000").
func parseRetention(v string) (age time.Duration, count int, err error) {
	v = strings.TrimSpace(v)
	if n, err := strconv.Atoi(v); err == nil && n > 0 {
		return 0, n, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		return 0, 0, errRetention(v)
	}
	return d, 0, nil
}

type errRetention string

func (e errRetention) Error() string {
	return "sandbox: history retention " + strconv.Quote(string(e)) + " must be a duration such as 168h or a count such as 5000"
}
