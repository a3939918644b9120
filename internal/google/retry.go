package google

import (
	"bytes"
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"net/http"
	"slices"
	"time"

	"github.com/jarvis-hq/jarvis"
	"github.com/jarvis-hq/jarvis/internal/quota"
)

// retryTransport retries what Google says is worth retrying — 429, 5xx and
// 403s whose reason is a rate limit — with jittered exponential backoff,
// within the request's deadline. Everything else, including 400, 401 and
// permission 403s, is returned at once. A call made with a notIdempotent
// context (drafts.create) is retried only after a 429 or a rate-limit 403,
// which say Google did nothing: never after a network error or a 5xx.
type retryTransport struct {
	base        http.RoundTripper
	maxAttempts int
	baseDelay   time.Duration
	maxDelay    time.Duration
}

func newRetryTransport(base http.RoundTripper) *retryTransport {
	return &retryTransport{base: base, maxAttempts: 5, baseDelay: 100 * time.Millisecond, maxDelay: 4 * time.Second}
}

func (t *retryTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	for attempt := 1; ; attempt++ {
		r := req
		if attempt > 1 {
			if req.Body != nil && req.GetBody == nil {
				return nil, errors.New("google: cannot retry a request whose body cannot be replayed")
			}
			r = req.Clone(ctx)
			if req.GetBody != nil {
				body, err := req.GetBody()
				if err != nil {
					return nil, err
				}
				r.Body = body
			}
		}
		resp, err := t.base.RoundTrip(r)
		retry := false
		var je *jarvis.Error
		unsafe := isNotIdempotent(ctx)
		switch {
		case err != nil:
			// Our own verdicts (a grant that is gone) are final; only the
			// network's failures are worth another try — and not for a
			// call Google may have carried out before the connection failed.
			retry = ctx.Err() == nil && !errors.As(err, &je) && !unsafe
		case unsafe:
			// A 5xx may come after the work was done; a 429 or rate-limit
			// 403 says it was not.
			retry = resp.StatusCode < 500 && retryable(resp)
		default:
			retry = retryable(resp)
		}
		if !retry || attempt >= t.maxAttempts {
			return resp, err
		}
		delay := t.backoff(attempt)
		if resp != nil {
			if ra := retryAfter(resp.Header, 0); ra > delay {
				delay = ra
			}
		}
		if dl, ok := ctx.Deadline(); ok && time.Until(dl) < delay {
			return resp, err // no time left to wait: let the caller see this answer
		}
		if resp != nil {
			_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
			resp.Body.Close()
		}
		if err := sleep(ctx, delay); err != nil {
			return nil, err
		}
	}
}

// backoff is full jitter over an exponentially growing cap.
func (t *retryTransport) backoff(attempt int) time.Duration {
	d := t.baseDelay << (attempt - 1)
	if d > t.maxDelay {
		d = t.maxDelay
	}
	return d/2 + rand.N(d/2+1)
}

func sleep(ctx context.Context, d time.Duration) error {
	tm := time.NewTimer(d)
	defer tm.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-tm.C:
		return nil
	}
}

// retryable reports whether a response is a transient failure. A 403 is
// retried only when its reason is a rate limit; its body is restored so the
// caller can still read it.
func retryable(resp *http.Response) bool {
	switch {
	case resp.StatusCode == http.StatusTooManyRequests:
		return true
	case resp.StatusCode >= 500 && resp.StatusCode != http.StatusNotImplemented:
		return true
	case resp.StatusCode != http.StatusForbidden:
		return false
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(body))
	if err != nil {
		return false
	}
	return slices.ContainsFunc(quota.Reasons(body), isRateReason)
}

type notIdempotentKey struct{}

// notIdempotent marks ctx's calls as ones Google must not be sent twice
// blindly: the caller looks up what a failed call left behind instead.
func notIdempotent(ctx context.Context) context.Context {
	return context.WithValue(ctx, notIdempotentKey{}, true)
}

func isNotIdempotent(ctx context.Context) bool {
	v, _ := ctx.Value(notIdempotentKey{}).(bool)
	return v
}
