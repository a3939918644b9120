package google

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/jarvis-hq/jarvis"
	"github.com/jarvis-hq/jarvis/internal/vault"
)

// decryptWatch is the integration store as the service sees it: a stored
// token that no configured key opens (a retired key, an altered or moved
// ciphertext) is logged at warn and audited as google.token_decrypt_failed
// each time it is met, naming the user, the account and the kind of
// failure, never the ciphertext.
type decryptWatch struct {
	jarvis.IntegrationStore
	log     *slog.Logger
	auditor jarvis.Auditor
}

func (w decryptWatch) FindGoogleIntegration(ctx context.Context, userID, account string) (*jarvis.GoogleIntegration, error) {
	g, err := w.IntegrationStore.FindGoogleIntegration(ctx, userID, account)
	w.check(ctx, userID, err)
	return g, err
}

func (w decryptWatch) LeaseGoogleRefresh(ctx context.Context, userID, accountID string, ttl time.Duration) (*jarvis.GoogleIntegration, time.Time, error) {
	g, lease, err := w.IntegrationStore.LeaseGoogleRefresh(ctx, userID, accountID, ttl)
	w.check(ctx, userID, err)
	return g, lease, err
}

func (w decryptWatch) check(ctx context.Context, userID string, err error) {
	if err == nil || !errors.Is(err, vault.ErrDecrypt) {
		return
	}
	reason := "authentication_failed"
	switch {
	case errors.Is(err, vault.ErrUnknownKey):
		reason = "unknown_key"
	case errors.Is(err, vault.ErrMalformed):
		reason = "malformed"
	}
	accountID := ""
	if ref := jarvis.ErrorAccount(err); ref != nil {
		accountID = ref.ID
	}
	w.log.WarnContext(ctx, "a stored Google token cannot be decrypted; the user must reconnect the account", "user_id", userID, "account_id", accountID, "reason", reason)
	if w.auditor != nil {
		w.auditor.Record(context.WithoutCancel(ctx), jarvis.AuditEntry{Action: jarvis.AuditGoogleTokenDecryptFail, TargetType: "google_integration",
			TargetID: accountID, Outcome: jarvis.OutcomeFailure, Metadata: map[string]any{"reason": reason, "user_id": userID, "account_id": accountID}})
	}
}
