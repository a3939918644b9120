// Package intake takes Gmail's change notifications from Cloud Pub/Sub —
// pushed to Jarvis (the push mode) or pulled by it (the pull mode) — and
// turns each into a durable high-water mark and a scheduled sync. The work
// itself never runs here.
package intake

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"

	"github.com/jarvis-hq/jarvis"
)

// Recorder durably records a notification: the account's high-water
// historyId raised and its sync scheduled, in one transaction. found is
// false when no connected account has the address.
type Recorder interface {
	RecordPush(ctx context.Context, email string, historyID uint64) (found bool, err error)
}

// Notification is what Gmail publishes: the mailbox and its historyId now.
type Notification struct {
	EmailAddress string `json:"emailAddress"`
	HistoryID    uint64 `json:"historyId"`
}

// decode reads a Pub/Sub message's data: base64 JSON of a Notification.
func decode(data string) (Notification, error) {
	var n Notification
	b, err := base64.StdEncoding.DecodeString(data)
	if err != nil {
		if b, err = base64.URLEncoding.DecodeString(data); err != nil {
			return n, jarvis.Invalid("message.data", "The Pub/Sub message's data is not base64.")
		}
	}
	if err := json.Unmarshal(b, &n); err != nil || n.EmailAddress == "" || n.HistoryID == 0 {
		return n, jarvis.Invalid("message.data", "The Pub/Sub message's data is not a Gmail notification {emailAddress, historyId}.")
	}
	return n, nil
}

// PushConfig configures the push endpoint's checks.
type PushConfig struct {
	// JWKSURL is where Google's signing keys are
	// (https://www.googleapis.com/oauth2/v3/certs).
	JWKSURL string
	// Issuer is the tokens' iss: https://accounts.google.com.
	Issuer string
	// Audience is the audience the push subscription puts in its tokens.
	Audience string
	// ServiceAccount is the email the push subscription's tokens carry.
	ServiceAccount string
	Recorder       Recorder
	Logger         *slog.Logger
	Now            func() time.Time
}

// Push verifies and records pushed notifications.
type Push struct {
	cfg      PushConfig
	verifier *oidc.IDTokenVerifier
}

// NewPush returns the push intake. The keys are fetched when first needed
// and again when a token names a key not seen yet.
func NewPush(ctx context.Context, cfg PushConfig) (*Push, error) {
	if cfg.Audience == "" || cfg.ServiceAccount == "" {
		return nil, errors.New("push intake: JARVIS_PUBSUB_AUDIENCE and JARVIS_PUBSUB_SERVICE_ACCOUNT are required in push mode")
	}
	if cfg.Issuer == "" {
		cfg.Issuer = "https://accounts.google.com"
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	keys := oidc.NewRemoteKeySet(context.WithoutCancel(ctx), cfg.JWKSURL)
	v := oidc.NewVerifier(cfg.Issuer, keys, &oidc.Config{ClientID: cfg.Audience, Now: cfg.Now,
		SupportedSigningAlgs: []string{oidc.RS256}})
	return &Push{cfg: cfg, verifier: v}, nil
}

// pushEnvelope is the body Pub/Sub posts.
type pushEnvelope struct {
	Message struct {
		Data      string `json:"data"`
		MessageID string `json:"messageId"`
	} `json:"message"`
	Subscription string `json:"subscription"`
}

// Handle checks the request's bearer token fully — Google's signature, iss,
// aud, expiry, the subscription's service account and its verified email —
// before it reads anything else; then records the notification. Errors:
// EUNAUTHORIZED (no or bad token), EFORBIDDEN (a good token of another
// account), EINVALID (a body that is not a notification).
func (p *Push) Handle(ctx context.Context, authorization string, body []byte) error {
	raw, ok := strings.CutPrefix(authorization, "Bearer ")
	if !ok || strings.TrimSpace(raw) == "" {
		return &jarvis.Error{Code: jarvis.EUNAUTHORIZED, Message: "A Pub/Sub push must carry its OIDC token as a Bearer token."}
	}
	tok, err := p.verifier.Verify(ctx, strings.TrimSpace(raw))
	if err != nil {
		p.cfg.Logger.Warn("pubsub push refused", "reason", "token", "err", err)
		return &jarvis.Error{Code: jarvis.EUNAUTHORIZED, Message: "The push's OIDC token is not valid: it is not signed by Google, is expired, or is meant for another audience."}
	}
	var claims struct {
		Email         string `json:"email"`
		EmailVerified bool   `json:"email_verified"`
	}
	if err := tok.Claims(&claims); err != nil || !claims.EmailVerified || !strings.EqualFold(claims.Email, p.cfg.ServiceAccount) {
		p.cfg.Logger.Warn("pubsub push refused", "reason", "service_account")
		return &jarvis.Error{Code: jarvis.EFORBIDDEN, Message: "The push's OIDC token belongs to another service account than the subscription's."}
	}
	var env pushEnvelope
	if err := json.Unmarshal(body, &env); err != nil {
		return jarvis.Invalid("body", "The body is not a Pub/Sub push message.")
	}
	n, err := decode(env.Message.Data)
	if err != nil {
		return err
	}
	return record(ctx, p.cfg.Recorder, p.cfg.Logger, n)
}

// record stores a notification; one for an address no account has is
// dropped (and logged), so that Pub/Sub stops retrying it.
func record(ctx context.Context, r Recorder, log *slog.Logger, n Notification) error {
	found, err := r.RecordPush(ctx, n.EmailAddress, n.HistoryID)
	if err != nil {
		return fmt.Errorf("record notification: %w", err)
	}
	if !found {
		log.Info("gmail notification for no connected account dropped", "history_id", n.HistoryID)
	}
	return nil
}
