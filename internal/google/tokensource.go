package google

import (
	"context"
	"errors"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"net/http"
	"sync"
	"time"

	"golang.org/x/oauth2"

	"github.com/jarvis-hq/jarvis"
	"github.com/jarvis-hq/jarvis/internal/quota"
)

// maxEarlyRefresh caps how long before expiry a token is refreshed.
const maxEarlyRefresh = 5 * time.Minute

// userTokens is the token source of one of a user's Google accounts for one
// service call. It reads the account once, refreshes when less than min(5 minutes, a quarter of
// the token's lifetime) remains, and — because x/oauth2 does not say when it
// refreshed — does the refresh itself, under a lease on the integration row
// (see refreshLocked), so that any number of requests on any number of
// processes cause one refresh, and the new tokens are saved, encrypted,
// before they are used.
type userTokens struct {
	s      *Service
	userID string
	// account names the account until it is loaded (id, email, or "" for
	// the primary); after that, cur.ID does.
	account string

	mu  sync.Mutex
	cur *jarvis.GoogleIntegration
}

func (s *Service) tokens(userID, account string) *userTokens {
	return &userTokens{s: s, userID: userID, account: account}
}

// backgroundKey marks a context whose Google calls are background work
// (the sync), which does not count as the account's last use.
type backgroundKey struct{}

// lastUsedEvery is how stale an account's last use may be before a call
// records it again: the API shows it to the minute, and most calls then
// write nothing.
const lastUsedEvery = time.Minute

// integration returns the account, loading it once. ENOTFOUND when the user
// has no such account; EREAUTH when a primary is asked for and the user has
// none, or the account is not active.
func (u *userTokens) integration(ctx context.Context) (*jarvis.GoogleIntegration, error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.loadLocked(ctx)
}

func (u *userTokens) loadLocked(ctx context.Context) (*jarvis.GoogleIntegration, error) {
	if u.cur == nil {
		g, err := u.s.st.Integrations.FindGoogleIntegration(ctx, u.userID, u.account)
		if jarvis.IsCode(err, jarvis.ENOTFOUND) && u.account == "" {
			return nil, notConnected(err)
		} else if err != nil {
			return nil, err
		}
		u.cur = g
		background, _ := ctx.Value(backgroundKey{}).(bool)
		if !background && (g.LastUsedAt == nil || u.s.now().Sub(*g.LastUsedAt) >= lastUsedEvery) {
			if err := u.s.st.Integrations.TouchGoogleAccount(ctx, g.UserID, g.ID, u.s.now()); err != nil {
				u.s.log.WarnContext(ctx, "recording a Google account's use failed", "err", err)
			}
		}
	}
	if u.cur.Status != jarvis.GoogleActive {
		return nil, reauthError(u.cur, fmt.Errorf("integration status %s", u.cur.Status))
	}
	return u.cur, nil
}

// notConnected is the answer for a user with no Google account at all.
func notConnected(err error) error {
	return &jarvis.Error{Code: jarvis.EREAUTH, Message: "Your Google account is not connected. Connect it to use Gmail and Calendar.", Err: err}
}

// needsRefresh reports whether g's access token is missing or within
// min(5 minutes, a quarter of its lifetime) of expiring.
func (u *userTokens) needsRefresh(g *jarvis.GoogleIntegration) bool {
	if g.AccessToken == "" {
		return true
	}
	if g.Expiry.IsZero() {
		return false
	}
	issued := g.UpdatedAt
	if g.LastRefreshedAt != nil {
		issued = *g.LastRefreshedAt
	}
	early := maxEarlyRefresh
	if life := g.Expiry.Sub(issued); life > 0 && life/4 < early {
		early = life / 4
	}
	return g.Expiry.Sub(u.s.now()) < early
}

// token returns a current access token, refreshing it if it is about to expire.
func (u *userTokens) token(ctx context.Context) (string, error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	g, err := u.loadLocked(ctx)
	if err != nil {
		return "", err
	}
	if !u.needsRefresh(g) {
		return g.AccessToken, nil
	}
	if err := u.refreshLocked(ctx, g.AccessToken); err != nil {
		return "", err
	}
	return u.cur.AccessToken, nil
}

// refreshAfter401 replaces an access token Google refused, unless another
// request has already replaced it.
func (u *userTokens) refreshAfter401(ctx context.Context, refused string) (string, error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.cur != nil && u.cur.AccessToken != refused {
		return u.cur.AccessToken, nil
	}
	if err := u.refreshLocked(ctx, refused); err != nil {
		return "", err
	}
	return u.cur.AccessToken, nil
}

// Refresh timing. The refresh of one user runs under a lease on the
// integration row, never under a database lock: the lease is one short
// UPDATE, the call to Google runs outside any transaction, bounded by
// refreshTimeout (well under SQLite's 10-second busy timeout), the result is
// written with a compare-and-swap on the row's version within another
// refreshTimeout, and the lease outlasts both, so that it never ends while
// its holder may still write.
const (
	refreshTimeout  = 5 * time.Second
	refreshLease    = 15 * time.Second
	leasePollFirst  = 20 * time.Millisecond
	leasePollLatest = 500 * time.Millisecond
)

// refreshLocked (u.mu held) makes u.cur hold a fresh token. stale is the
// access token the caller holds: if the row has another one that is still
// fresh, someone else refreshed and that one is used. Otherwise it takes the
// row's refresh lease and refreshes, or, while another request (on any
// replica) holds the lease, polls the row with backoff for the token that
// one saves, bounded by ctx.
func (u *userTokens) refreshLocked(ctx context.Context, stale string) error {
	wait := leasePollFirst
	ref := u.cur.Ref()
	for {
		g, lease, err := u.s.st.Integrations.LeaseGoogleRefresh(ctx, u.userID, ref.ID, refreshLease)
		if jarvis.IsCode(err, jarvis.ENOTFOUND) {
			// Disconnected meanwhile.
			return &jarvis.Error{Code: jarvis.EREAUTH, Message: fmt.Sprintf("The Google account %s is no longer connected. Connect it again.", ref.Email),
				Account: ref, Err: err}
		} else if err != nil {
			return err
		}
		won := !lease.IsZero()
		release := func() {
			if won {
				_ = u.s.st.Integrations.ReleaseGoogleRefreshLease(context.WithoutCancel(ctx), u.userID, g.ID, lease)
			}
		}
		switch {
		case g.Status != jarvis.GoogleActive:
			release()
			u.cur = g
			return reauthError(g, fmt.Errorf("integration status %s", g.Status))
		case g.AccessToken != "" && g.AccessToken != stale && !u.needsRefresh(g):
			release()
			u.cur = g
			return nil
		case won:
			saved, err := u.refreshWithLease(ctx, g, lease)
			if err != nil || saved {
				return err
			}
			// The row changed under the refresh (a reconnect): read again.
			continue
		}
		t := time.NewTimer(wait + time.Duration(mrand.Int64N(int64(wait)/2+1)))
		select {
		case <-ctx.Done():
			t.Stop()
			return upstreamError(ctx, ctx.Err(), "Token")
		case <-t.C:
		}
		wait = min(2*wait, leasePollLatest)
	}
}

// refreshWithLease refreshes g's token at Google while holding the row's
// lease and saves the result — the new access token, and the new refresh
// token if Google rotated it — before anything uses it. It reports false
// when the row changed meanwhile and nothing was saved. The refresh and the
// save go on if the request is cancelled (Google may already have rotated
// the refresh token), within refreshTimeout.
func (u *userTokens) refreshWithLease(ctx context.Context, g *jarvis.GoogleIntegration, lease time.Time) (bool, error) {
	release := func() {
		_ = u.s.st.Integrations.ReleaseGoogleRefreshLease(context.WithoutCancel(ctx), u.userID, g.ID, lease)
	}
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), refreshTimeout)
	defer cancel()
	next := *g
	var refreshErr error
	if g.RefreshToken == "" {
		next.Status = jarvis.GoogleReauthRequired
		refreshErr = reauthError(g, errors.New("no refresh token stored"))
		u.s.observeRefresh("reauth_required")
	} else {
		octx := context.WithValue(rctx, oauth2.HTTPClient, u.s.http)
		t, err := u.s.oauth.TokenSource(octx, &oauth2.Token{RefreshToken: g.RefreshToken, Expiry: time.Unix(1, 0)}).Token()
		var re *oauth2.RetrieveError
		switch {
		case err != nil && errors.As(err, &re) && re.ErrorCode == "invalid_grant":
			// The grant is gone: stop using it, and say so once.
			next.Status = jarvis.GoogleReauthRequired
			refreshErr = reauthError(g, err)
			u.s.observeRefresh("reauth_required")
		case err != nil:
			release()
			refreshErr = upstreamError(rctx, err, "Token")
			u.audit(ctx, g, refreshErr)
			u.s.observeRefresh("error")
			return false, refreshErr
		default:
			u.s.observeRefresh("ok")
			now := u.s.now()
			next.AccessToken, next.TokenType, next.Expiry, next.LastRefreshedAt = t.AccessToken, t.TokenType, t.Expiry.UTC(), &now
			if t.RefreshToken != "" {
				next.RefreshToken = t.RefreshToken // rotated: the old one is void
			}
		}
	}
	// The save has its own bound: a refresh that used most of its time
	// must still store what Google answered (a rotated refresh token is
	// the only one that works now).
	sctx, scancel := context.WithTimeout(context.WithoutCancel(ctx), refreshTimeout)
	defer scancel()
	saved, err := u.s.st.Integrations.SaveRefreshedGoogleIntegration(sctx, &next)
	if err != nil || !saved {
		release()
		return false, err
	}
	u.cur = &next
	u.audit(ctx, g, refreshErr)
	return true, refreshErr
}

// audit records a refresh of the account: its success, or its failure with
// the error code.
func (u *userTokens) audit(ctx context.Context, g *jarvis.GoogleIntegration, refreshErr error) {
	ctx = context.WithoutCancel(ctx)
	meta := map[string]any{"account_id": g.ID}
	if refreshErr != nil {
		meta["error_code"] = jarvis.ErrorCode(refreshErr)
		u.s.st.Auditor.Record(ctx, jarvis.AuditEntry{Action: jarvis.AuditGoogleTokenRefreshFail, TargetType: "google_integration", TargetID: g.ID,
			Outcome: jarvis.OutcomeFailure, Metadata: meta})
		return
	}
	u.s.st.Auditor.Record(ctx, jarvis.AuditEntry{Action: jarvis.AuditGoogleTokenRefresh, TargetType: "google_integration", TargetID: g.ID, Metadata: meta})
}

// observeRefresh tells the observer, if any, of a token refresh at Google.
func (s *Service) observeRefresh(outcome string) {
	if s.cfg.Observer != nil {
		s.cfg.Observer.TokenRefresh(outcome)
	}
}

// authTransport puts the user's access token on each request, and after a
// 401 — a token revoked or expired elsewhere — refreshes once and retries once.
type authTransport struct {
	base http.RoundTripper
	src  *userTokens
}

func (t *authTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	tok, err := t.src.token(req.Context())
	if err != nil {
		return nil, err
	}
	resp, err := t.base.RoundTrip(withBearer(req, tok))
	if err != nil || resp.StatusCode != http.StatusUnauthorized {
		return resp, err
	}
	if req.Body != nil && req.GetBody == nil {
		return resp, nil
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	tok, err = t.src.refreshAfter401(req.Context(), tok)
	if err != nil {
		return nil, err
	}
	retry := withBearer(req, tok)
	if req.GetBody != nil {
		if retry.Body, err = req.GetBody(); err != nil {
			return nil, err
		}
	}
	return t.base.RoundTrip(retry)
}

func withBearer(req *http.Request, tok string) *http.Request {
	r := req.Clone(req.Context())
	r.Header.Set("Authorization", "Bearer "+tok)
	return r
}

// client returns an HTTP client acting for the user: retries outside, then
// the account's Gmail quota (each attempt is charged, and a 429 pauses the
// account on every replica), then the user's token.
func (s *Service) client(u *userTokens) *http.Client {
	var rt http.RoundTripper = &authTransport{base: s.http.Transport, src: u}
	if s.cfg.Quota != nil {
		rt = &quota.Transport{Base: rt, Limiter: s.cfg.Quota, Account: func(ctx context.Context) (string, error) {
			g, err := u.integration(ctx)
			if err != nil {
				return "", err
			}
			return g.ID, nil
		}}
	}
	return &http.Client{Transport: newRetryTransport(rt)}
}
