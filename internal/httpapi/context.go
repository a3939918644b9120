package httpapi

import (
	"context"

	"github.com/jarvis-hq/jarvis"
)

type tokenKey struct{}

func withToken(ctx context.Context, t *jarvis.AccessToken) context.Context {
	return context.WithValue(ctx, tokenKey{}, t)
}

// tokenFromContext returns the access token the request was authenticated with.
func tokenFromContext(ctx context.Context) *jarvis.AccessToken {
	t, _ := ctx.Value(tokenKey{}).(*jarvis.AccessToken)
	return t
}

// contextWithoutCancel keeps the request's values (request id, user) for
// work that must finish even if the client has gone.
func contextWithoutCancel(ctx context.Context) context.Context {
	return context.WithoutCancel(ctx)
}
