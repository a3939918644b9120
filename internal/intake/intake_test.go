package intake_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/jarvis-hq/jarvis"
	"github.com/jarvis-hq/jarvis/internal/intake"
	"github.com/jarvis-hq/jarvis/internal/sandbox"
	"github.com/jarvis-hq/jarvis/internal/sandbox/pubsub"
)

type recorded struct {
	mu    sync.Mutex
	calls []intake.Notification
}

func (r *recorded) RecordPush(ctx context.Context, email string, historyID uint64) (bool, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = append(r.calls, intake.Notification{EmailAddress: email, HistoryID: historyID})
	return email == "ada@example.com", nil
}

func startSandbox(t *testing.T) *sandbox.Server {
	t.Helper()
	srv := httptest.NewUnstartedServer(nil)
	sb, err := sandbox.New(sandbox.Config{BaseURL: "http://" + srv.Listener.Addr().String()})
	if err != nil {
		t.Fatal(err)
	}
	srv.Config.Handler = sb.Handler()
	srv.Start()
	t.Cleanup(func() { srv.Close(); sb.Close() })
	return sb
}

func body(email string, historyID uint64) []byte {
	data := base64.StdEncoding.EncodeToString(fmt.Appendf(nil, `{"emailAddress":%q,"historyId":%d}`, email, historyID))
	b, _ := json.Marshal(map[string]any{"message": map[string]any{"data": data, "messageId": "1"}, "subscription": "projects/p/subscriptions/s"})
	return b
}

// Only a push whose OIDC token Google signed, for this audience, from the
// subscription's service account, with a verified email and not expired,
// is recorded; every other is refused before its body is read.
func TestPushTokenIsVerifiedBeforeAnything(t *testing.T) {
	sb := startSandbox(t)
	const audience = "https://jarvis.example.com/webhooks/google/pubsub"
	const account = "push@project.iam.gserviceaccount.com"
	ctx := context.Background()
	rec := &recorded{}
	now := time.Now()
	clock := func() time.Time { return now }
	push, err := intake.NewPush(ctx, intake.PushConfig{JWKSURL: sb.Issuer() + "/oauth2/v3/certs", Audience: audience,
		ServiceAccount: account, Recorder: rec, Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	good := sb.PubSub().Token(pubsub.OIDCToken{ServiceAccountEmail: account, Audience: audience}, "")
	if err := push.Handle(ctx, "Bearer "+good, body("ada@example.com", 42)); err != nil {
		t.Fatalf("a good push: %v", err)
	}
	if err := push.Handle(ctx, "Bearer "+good, body("nobody@example.com", 43)); err != nil {
		t.Fatalf("a push for no account is accepted (and dropped): %v", err)
	}
	if len(rec.calls) != 2 || rec.calls[0].HistoryID != 42 {
		t.Fatalf("recorded %+v", rec.calls)
	}

	// A token signed by another key, even under the sandbox's key id.
	header, _, _ := strings.Cut(good, ".")
	var h struct {
		Kid string `json:"kid"`
	}
	hb, _ := base64.RawURLEncoding.DecodeString(header)
	_ = json.Unmarshal(hb, &h)
	key, _ := rsa.GenerateKey(rand.Reader, 2048)
	forge := func(claims jwt.MapClaims) string {
		tok := jwt.NewWithClaims(jwt.SigningMethodRS256, claims)
		tok.Header["kid"] = h.Kid
		s, err := tok.SignedString(key)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	forged := forge(jwt.MapClaims{"iss": "https://accounts.google.com", "aud": audience, "email": account, "email_verified": true,
		"exp": now.Add(time.Hour).Unix(), "iat": now.Unix()})

	wrongAudience := sb.PubSub().Token(pubsub.OIDCToken{ServiceAccountEmail: account, Audience: "https://other.example.com/"}, "")
	wrongAccount := sb.PubSub().Token(pubsub.OIDCToken{ServiceAccountEmail: "attacker@evil.iam.gserviceaccount.com", Audience: audience}, "")
	cases := map[string]struct {
		authorization string
		code          string
	}{
		"missing":        {"", jarvis.EUNAUTHORIZED},
		"not bearer":     {"Basic " + good, jarvis.EUNAUTHORIZED},
		"garbage":        {"Bearer not.a.token", jarvis.EUNAUTHORIZED},
		"forged":         {"Bearer " + forged, jarvis.EUNAUTHORIZED},
		"wrong audience": {"Bearer " + wrongAudience, jarvis.EUNAUTHORIZED},
		"wrong account":  {"Bearer " + wrongAccount, jarvis.EFORBIDDEN},
	}
	for name, c := range cases {
		if err := push.Handle(ctx, c.authorization, body("ada@example.com", 99)); !jarvis.IsCode(err, c.code) {
			t.Errorf("%s: %v, want %s", name, err, c.code)
		}
	}
	// The same good token, an hour and a half later: expired.
	now = now.Add(90 * time.Minute)
	if err := push.Handle(ctx, "Bearer "+good, body("ada@example.com", 99)); !jarvis.IsCode(err, jarvis.EUNAUTHORIZED) {
		t.Errorf("expired: %v", err)
	}
	if len(rec.calls) != 2 {
		t.Fatalf("a refused push was recorded: %+v", rec.calls)
	}
	// A valid token with a body that is no notification: 400, nothing recorded.
	now = time.Now()
	fresh := sb.PubSub().Token(pubsub.OIDCToken{ServiceAccountEmail: account, Audience: audience}, "")
	if err := push.Handle(ctx, "Bearer "+fresh, []byte(`{"message":{"data":"bm90IGpzb24="}}`)); !jarvis.IsCode(err, jarvis.EINVALID) {
		t.Fatalf("bad body: %v", err)
	}
}
