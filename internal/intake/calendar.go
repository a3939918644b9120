package intake

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/jarvis-hq/jarvis"
)

// Channel is a Calendar channel Jarvis opened, as a notification on it is
// checked against.
type Channel struct {
	AccountID string
	// TokenSHA256 is the hex SHA-256 of the channel's secret token.
	TokenSHA256 string
	ResourceID  string
}

// ChannelStore finds Jarvis's channels and records their notifications.
type ChannelStore interface {
	// CalendarChannel returns the channel with the id; ENOTFOUND when no
	// connected account has it.
	CalendarChannel(ctx context.Context, id string) (Channel, error)
	// RecordCalendarPush records a notification for the account (its time,
	// and one more in its count) and schedules its calendar sync, in one
	// transaction.
	RecordCalendarPush(ctx context.Context, accountID string) error
}

// Calendar takes the notifications Google Calendar posts on the channels
// Jarvis opened with events.watch.
type Calendar struct {
	Store  ChannelStore
	Logger *slog.Logger
}

// Handle checks a notification's channel and secret token before anything
// else, then records it: a "sync" notification (the channel was opened) is
// only acknowledged; any other ("exists": the calendar changed) records the
// push and schedules a calendar sync. Errors: EUNAUTHORIZED (no channel id or
// no token), EFORBIDDEN (no channel of Jarvis's has the id, or its token or
// resource differs); nothing is recorded then.
func (c *Calendar) Handle(ctx context.Context, h http.Header) error {
	log := c.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	id, token := h.Get("X-Goog-Channel-ID"), h.Get("X-Goog-Channel-Token")
	if id == "" || token == "" {
		return &jarvis.Error{Code: jarvis.EUNAUTHORIZED, Message: "A Calendar notification must carry its channel's X-Goog-Channel-ID and X-Goog-Channel-Token."}
	}
	ch, err := c.Store.CalendarChannel(ctx, id)
	if jarvis.IsCode(err, jarvis.ENOTFOUND) {
		log.Info("calendar notification refused", "reason", "unknown_channel")
		return &jarvis.Error{Code: jarvis.EFORBIDDEN, Message: "The notification names no channel Jarvis has open."}
	}
	if err != nil {
		return fmt.Errorf("find calendar channel: %w", err)
	}
	sum := sha256.Sum256([]byte(token))
	got := hex.EncodeToString(sum[:])
	if subtle.ConstantTimeCompare([]byte(got), []byte(ch.TokenSHA256)) != 1 {
		log.Warn("calendar notification refused", "reason", "token", "account_id", ch.AccountID)
		return &jarvis.Error{Code: jarvis.EFORBIDDEN, Message: "The notification's channel token is not the channel's."}
	}
	if rid := h.Get("X-Goog-Resource-ID"); rid != "" && ch.ResourceID != "" && rid != ch.ResourceID {
		log.Warn("calendar notification refused", "reason", "resource", "account_id", ch.AccountID)
		return &jarvis.Error{Code: jarvis.EFORBIDDEN, Message: "The notification's resource is not the channel's."}
	}
	if h.Get("X-Goog-Resource-State") == "sync" {
		return nil // the channel is open; nothing changed
	}
	if err := c.Store.RecordCalendarPush(ctx, ch.AccountID); err != nil {
		return fmt.Errorf("record calendar notification: %w", err)
	}
	return nil
}
