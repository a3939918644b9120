package intake_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"testing"

	"github.com/jarvis-hq/jarvis"
	"github.com/jarvis-hq/jarvis/internal/intake"
)

// channels is one channel, "chan-1" of account "acct-1", and the pushes
// recorded for it.
type channels struct{ pushes []string }

func (c *channels) CalendarChannel(_ context.Context, id string) (intake.Channel, error) {
	if id != "chan-1" {
		return intake.Channel{}, jarvis.Errorf(jarvis.ENOTFOUND, "no channel")
	}
	sum := sha256.Sum256([]byte("s3cret-token"))
	return intake.Channel{AccountID: "acct-1", TokenSHA256: hex.EncodeToString(sum[:]), ResourceID: "res-1"}, nil
}

func (c *channels) RecordCalendarPush(_ context.Context, accountID string) error {
	c.pushes = append(c.pushes, accountID)
	return nil
}

// A notification is recorded only with the channel's id and its token (and
// resource, when named); "sync" is acknowledged without a record.
func TestCalendarNotifications(t *testing.T) {
	for _, tc := range []struct {
		name                    string
		id, token, resource, st string
		code                    string
		recorded                bool
	}{
		{name: "change", id: "chan-1", token: "s3cret-token", resource: "res-1", st: "exists", recorded: true},
		{name: "change without resource", id: "chan-1", token: "s3cret-token", st: "exists", recorded: true},
		{name: "sync", id: "chan-1", token: "s3cret-token", resource: "res-1", st: "sync"},
		{name: "no token", id: "chan-1", resource: "res-1", st: "exists", code: jarvis.EUNAUTHORIZED},
		{name: "no channel id", token: "s3cret-token", st: "exists", code: jarvis.EUNAUTHORIZED},
		{name: "wrong token", id: "chan-1", token: "s3cret-tokeN", resource: "res-1", st: "exists", code: jarvis.EFORBIDDEN},
		{name: "token's hash", id: "chan-1", token: func() string { s := sha256.Sum256([]byte("s3cret-token")); return hex.EncodeToString(s[:]) }(),
			st: "exists", code: jarvis.EFORBIDDEN},
		{name: "unknown channel", id: "chan-2", token: "s3cret-token", st: "exists", code: jarvis.EFORBIDDEN},
		{name: "other resource", id: "chan-1", token: "s3cret-token", resource: "res-2", st: "exists", code: jarvis.EFORBIDDEN},
	} {
		t.Run(tc.name, func(t *testing.T) {
			store := &channels{}
			c := &intake.Calendar{Store: store}
			h := http.Header{}
			for k, v := range map[string]string{"X-Goog-Channel-ID": tc.id, "X-Goog-Channel-Token": tc.token,
				"X-Goog-Resource-ID": tc.resource, "X-Goog-Resource-State": tc.st} {
				if v != "" {
					h.Set(k, v)
				}
			}
			err := c.Handle(context.Background(), h)
			if tc.code != "" && !jarvis.IsCode(err, tc.code) || tc.code == "" && err != nil {
				t.Fatalf("error %v, want code %q", err, tc.code)
			}
			if got := len(store.pushes) == 1 && store.pushes[0] == "acct-1"; got != tc.recorded || len(store.pushes) > 1 {
				t.Fatalf("recorded %v, want %v", store.pushes, tc.recorded)
			}
		})
	}
}
