package google

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"golang.org/x/oauth2"

	"github.com/jarvis-hq/jarvis"
)

// maxEarlyRefresh caps how long before expiry a token is refreshed.
const maxEarlyRefresh = 5 * time.Minute

// userTokens is the token source of one user for one service call. It reads
// the integration once, refreshes when less than min(5 minutes, a quarter of
// the token's lifetime) remains, and — because x/oauth2 does not say when it
// refreshed — does the refresh itself, under the integration's row lock, so
// that any number of requests on any number of processes cause one refresh,
// and the new token is saved, encrypted, before it is used.
type userTokens struct {
	s      *Service
	userID string

	mu  sync.Mutex
	cur *jarvis.GoogleIntegration
}

func (s *Service) tokens(userID string) *userTokens { return &userTokens{s: s, userID: userID} }

// integration returns the user's integration, loading it once. EREAUTH
// unless it is active; ENOTFOUND-as-EREAUTH when there is none.
func (u *userTokens) integration(ctx context.Context) (*jarvis.GoogleIntegration, error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.loadLocked(ctx)
}

func (u *userTokens) loadLocked(ctx context.Context) (*jarvis.GoogleIntegration, error) {
	if u.cur == nil {
		g, err := u.s.st.Integrations.FindGoogleIntegration(ctx, u.userID)
		if jarvis.IsCode(err, jarvis.ENOTFOUND) {
			return nil, &jarvis.Error{Code: jarvis.EREAUTH, Message: "Your Google account is not connected. Connect it to use Gmail and Calendar.", Err: err}
		} else if err != nil {
			return nil, err
		}
		u.cur = g
	}
	if u.cur.Status != jarvis.GoogleActive {
		return nil, reauthError(fmt.Errorf("integration status %s", u.cur.Status))
	}
	return u.cur, nil
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

// refreshLocked refreshes under the row lock. stale is the access token the
// caller holds: if the row, re-read under the lock, has another one that is
// still fresh, someone else refreshed and that one is used.
func (u *userTokens) refreshLocked(ctx context.Context, stale string) error {
	var refreshErr error
	refreshed := false
	err := u.s.st.Integrations.UpdateGoogleIntegrationLocked(ctx, u.userID, func(g *jarvis.GoogleIntegration) (*jarvis.GoogleIntegration, error) {
		if g.Status != jarvis.GoogleActive {
			u.cur = g
			return nil, reauthError(fmt.Errorf("integration status %s", g.Status))
		}
		if g.AccessToken != stale && !u.needsRefresh(g) {
			u.cur = g
			return nil, nil
		}
		if g.RefreshToken == "" {
			g.Status = jarvis.GoogleReauthRequired
			u.cur = g
			refreshErr = reauthError(errors.New("no refresh token stored"))
			return g, refreshErr
		}
		octx := context.WithValue(ctx, oauth2.HTTPClient, u.s.http)
		t, err := u.s.oauth.TokenSource(octx, &oauth2.Token{RefreshToken: g.RefreshToken, Expiry: time.Unix(1, 0)}).Token()
		if err != nil {
			var re *oauth2.RetrieveError
			if errors.As(err, &re) && re.ErrorCode == "invalid_grant" {
				// The grant is gone: stop using it, and say so once.
				g.Status = jarvis.GoogleReauthRequired
				u.cur = g
				refreshErr = reauthError(err)
				return g, refreshErr
			}
			refreshErr = upstreamError(ctx, err, "Token")
			return nil, refreshErr
		}
		now := u.s.now()
		g.AccessToken, g.TokenType, g.Expiry, g.LastRefreshedAt = t.AccessToken, t.TokenType, t.Expiry.UTC(), &now
		if t.RefreshToken != "" {
			g.RefreshToken = t.RefreshToken
		}
		u.cur, refreshed = g, true
		return g, nil
	})
	if refreshErr != nil {
		action := jarvis.AuditGoogleTokenRefreshFail
		ctx := context.WithoutCancel(ctx)
		u.s.st.Auditor.Record(ctx, jarvis.AuditEntry{Action: action, TargetType: "google_integration", TargetID: u.userID,
			Outcome: jarvis.OutcomeFailure, Metadata: map[string]any{"error_code": jarvis.ErrorCode(refreshErr)}})
		return refreshErr
	}
	if err != nil {
		return upstreamError(ctx, err, "Google integration")
	}
	if refreshed {
		u.s.st.Auditor.Record(context.WithoutCancel(ctx), jarvis.AuditEntry{Action: jarvis.AuditGoogleTokenRefresh, TargetType: "google_integration", TargetID: u.userID})
	}
	return nil
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

// client returns an HTTP client acting for the user: retries outside, the
// user's token inside.
func (s *Service) client(u *userTokens) *http.Client {
	return &http.Client{Transport: newRetryTransport(&authTransport{base: s.http.Transport, src: u})}
}
