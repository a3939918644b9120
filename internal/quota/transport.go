package quota

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"time"
)

// Transport charges each Gmail API call its cost to the account it acts
// for before sending it, and pauses the account on every replica when
// Google answers that its rate limit was hit. Other requests (Calendar,
// OAuth) pass through.
type Transport struct {
	Base    http.RoundTripper
	Limiter *Limiter
	// Account returns the id of the account the request acts for.
	Account func(ctx context.Context) (string, error)
}

// RoundTrip implements http.RoundTripper.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	method, ok := Method(req.Method, req.URL.EscapedPath())
	if !ok || t.Limiter == nil {
		return t.Base.RoundTrip(req)
	}
	ctx := req.Context()
	account, err := t.Account(ctx)
	if err == nil {
		err = t.Limiter.Take(ctx, account, Cost(method))
	}
	if err != nil {
		if req.Body != nil {
			req.Body.Close()
		}
		return nil, err
	}
	resp, err := t.Base.RoundTrip(req)
	if err != nil {
		return resp, err
	}
	if wait, limited := RateLimited(resp, t.Limiter.cfg.Now()); limited {
		if t.Limiter.cfg.Observer != nil {
			t.Limiter.cfg.Observer.GoogleRateLimited()
		}
		until := t.Limiter.cfg.Now().Add(wait)
		if perr := t.Limiter.Pause(context.WithoutCancel(ctx), account, until); perr != nil {
			t.Limiter.cfg.Logger.WarnContext(ctx, "recording Google's pause of an account failed", "account_id", account, "err", perr)
		} else {
			t.Limiter.cfg.Logger.InfoContext(ctx, "Google asked to slow down: the account's Gmail calls pause", "account_id", account, "method", method,
				"until", until.UTC().Format(time.RFC3339Nano))
		}
	}
	return resp, nil
}

// retryAtRE finds the time in Google's "User-rate limit exceeded.  Retry
// after 2026-01-02T15:04:05.000Z" message.
var retryAtRE = regexp.MustCompile(`Retry after (\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z)`)

// RateLimited reports whether resp says the user's or project's rate limit
// was hit (a 429, or a 403 whose reason is a rate limit), and for how long
// to stop: Retry-After, else the time in Google's message, else a second.
// The body it reads is put back.
func RateLimited(resp *http.Response, now time.Time) (time.Duration, bool) {
	if resp.StatusCode != http.StatusTooManyRequests && resp.StatusCode != http.StatusForbidden {
		return 0, false
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	rest := resp.Body
	resp.Body = readCloser{io.MultiReader(bytes.NewReader(body), rest), rest}
	if resp.StatusCode == http.StatusForbidden {
		if err != nil || !rateReason(body) {
			return 0, false
		}
	}
	if v := resp.Header.Get("Retry-After"); v != "" {
		if n, err := strconv.Atoi(v); err == nil && n >= 0 {
			return max(time.Duration(n)*time.Second, time.Second), true
		}
		if at, err := http.ParseTime(v); err == nil {
			return max(at.Sub(now), time.Second), true
		}
	}
	if m := retryAtRE.FindSubmatch(body); m != nil {
		if at, err := time.Parse(time.RFC3339Nano, string(m[1])); err == nil {
			return max(at.Sub(now), time.Second), true
		}
	}
	return time.Second, true
}

type readCloser struct {
	io.Reader
	io.Closer
}

// Reasons returns the reasons of a Google JSON error body
// ({"error": {"errors": [{"reason": …}]}}), none when it is not one.
func Reasons(body []byte) []string {
	var e struct {
		Error struct {
			Errors []struct {
				Reason string `json:"reason"`
			} `json:"errors"`
		} `json:"error"`
	}
	if json.Unmarshal(body, &e) != nil {
		return nil
	}
	out := make([]string, 0, len(e.Error.Errors))
	for _, it := range e.Error.Errors {
		out = append(out, it.Reason)
	}
	return out
}

// rateReason reports whether a Google error body's reason is a rate limit.
func rateReason(body []byte) bool {
	return slices.ContainsFunc(Reasons(body), func(r string) bool {
		return r == "rateLimitExceeded" || r == "userRateLimitExceeded"
	})
}
