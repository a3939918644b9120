package jwtauth_test

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/jarvis-hq/jarvis"
	"github.com/jarvis-hq/jarvis/internal/jwtauth"
)

var secret = []byte("0123456789abcdef0123456789abcdef-test-secret")

func newAuthority(t *testing.T, now time.Time) *jwtauth.Authority {
	t.Helper()
	a, err := jwtauth.New(secret, "jarvis", time.Hour, func() time.Time { return now })
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// sign builds a token with arbitrary header and claims, signed with HS256 and
// the test secret unless alg says otherwise.
func sign(t *testing.T, header map[string]any, claims jwt.MapClaims, key any, method jwt.SigningMethod) string {
	t.Helper()
	tok := jwt.NewWithClaims(method, claims)
	for k, v := range header {
		tok.Header[k] = v
	}
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func validClaims(now time.Time) jwt.MapClaims {
	return jwt.MapClaims{"iss": "jarvis", "aud": "jarvis", "sub": "user-1", "jti": "j1",
		"iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(time.Hour).Unix()}
}

func TestMintVerifyRoundTrip(t *testing.T) {
	now := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	a := newAuthority(t, now)
	minted, err := a.Mint("user-1", 3, 0)
	if err != nil {
		t.Fatal(err)
	}
	tok := minted.Token
	got, err := a.Verify(tok)
	if err != nil {
		t.Fatal(err)
	}
	if got.UserID != "user-1" || got.TokenVersion != 3 || got.ID != minted.ID || !got.ExpiresAt.Equal(now.Add(time.Hour)) {
		t.Fatalf("claims = %+v", got)
	}
	// Another process with the same secret and issuer, at another address, accepts it.
	b, _ := jwtauth.New(secret, "jarvis", 5*time.Minute, func() time.Time { return now.Add(time.Minute) })
	if _, err := b.Verify(tok); err != nil {
		t.Fatalf("second authority: %v", err)
	}
}

func TestVerifyRefuses(t *testing.T) {
	now := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	a := newAuthority(t, now)
	hs := jwt.SigningMethodHS256
	typ := map[string]any{"typ": jwtauth.TokenType}
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	with := func(k string, v any) jwt.MapClaims {
		c := validClaims(now)
		if v == nil {
			delete(c, k)
		} else {
			c[k] = v
		}
		return c
	}
	valid := sign(t, typ, validClaims(now), secret, hs)
	parts := strings.Split(valid, ".")

	cases := []struct {
		name  string
		token string
	}{
		// SECURITY.md line 11: algorithm confusion and remote keys.
		{"alg none", func() string {
			h := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","typ":"at+jwt"}`))
			return h + "." + parts[1] + "."
		}()},
		{"HS256 signed with a public key", sign(t, typ, validClaims(now), x509PublicKeyBytes(t, &rsaKey.PublicKey), hs)},
		{"RS256", sign(t, typ, validClaims(now), rsaKey, jwt.SigningMethodRS256)},
		{"empty signature", parts[0] + "." + parts[1] + "."},
		{"unknown kid", sign(t, map[string]any{"typ": jwtauth.TokenType, "kid": "other"}, validClaims(now), secret, hs)},
		{"jku header", sign(t, map[string]any{"typ": jwtauth.TokenType, "jku": "http://127.0.0.1:1/keys"}, validClaims(now), secret, hs)},
		{"x5u header", sign(t, map[string]any{"typ": jwtauth.TokenType, "x5u": "http://127.0.0.1:1/cert"}, validClaims(now), secret, hs)},
		{"jwk header", sign(t, map[string]any{"typ": jwtauth.TokenType, "jwk": map[string]any{"kty": "oct", "k": "AAAA"}}, validClaims(now), secret, hs)},
		{"wrong secret", sign(t, typ, validClaims(now), []byte("another-secret-another-secret-another"), hs)},
		{"tampered payload", parts[0] + "." + base64.RawURLEncoding.EncodeToString(mustJSON(t, with("sub", "admin"))) + "." + parts[2]},
		// Line 12: time and audience claims.
		{"expired", sign(t, typ, with("exp", now.Add(-time.Hour).Unix()), secret, hs)},
		{"not yet valid", sign(t, typ, with("nbf", now.Add(time.Hour).Unix()), secret, hs)},
		{"missing exp", sign(t, typ, with("exp", nil), secret, hs)},
		{"missing nbf", sign(t, typ, with("nbf", nil), secret, hs)},
		{"missing jti", sign(t, typ, with("jti", nil), secret, hs)},
		{"missing sub", sign(t, typ, with("sub", nil), secret, hs)},
		{"wrong iss", sign(t, typ, with("iss", "https://accounts.google.com"), secret, hs)},
		{"wrong aud", sign(t, typ, with("aud", "someone-else"), secret, hs)},
		{"wrong typ", sign(t, map[string]any{"typ": "JWT"}, validClaims(now), secret, hs)},
		{"no typ", sign(t, map[string]any{"typ": nil}, validClaims(now), secret, hs)},
		{"google id token replayed", sign(t, map[string]any{"typ": "JWT", "kid": "google-key"},
			jwt.MapClaims{"iss": "https://accounts.google.com", "aud": "client.apps.googleusercontent.com", "sub": "1234", "exp": now.Add(time.Hour).Unix(), "iat": now.Unix()},
			rsaKey, jwt.SigningMethodRS256)},
		// Line 13: a huge token is refused before parsing.
		{"1 MB token", strings.Repeat("a", 1<<20)},
		{"garbage", "not-a-jwt"},
		{"empty", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := a.Verify(tc.token)
			if !jarvis.IsCode(err, jarvis.EUNAUTHORIZED) {
				t.Fatalf("Verify = %v, want %s", err, jarvis.EUNAUTHORIZED)
			}
			if msg := jarvis.ErrorMessage(err); strings.Contains(msg, "signature") || strings.Contains(msg, "kid") {
				t.Fatalf("message %q tells the caller why", msg)
			}
		})
	}
}

func TestShortSecretRefused(t *testing.T) {
	// SECURITY.md line 17 (the config refuses it first; the authority too).
	if _, err := jwtauth.New([]byte("short"), "jarvis", time.Hour, nil); err == nil {
		t.Fatal("a short secret was accepted")
	}
}

func BenchmarkVerify(b *testing.B) {
	a, _ := jwtauth.New(secret, "jarvis", time.Hour, nil)
	minted, _ := a.Mint("user-1", 0, 0)
	tok := minted.Token
	b.ReportAllocs()
	for b.Loop() {
		if _, err := a.Verify(tok); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerifyHugeToken(b *testing.B) {
	a, _ := jwtauth.New(secret, "jarvis", time.Hour, nil)
	tok := strings.Repeat("a.", 1<<19)
	b.ReportAllocs()
	for b.Loop() {
		_, _ = a.Verify(tok)
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// x509PublicKeyBytes returns the DER of a public key, the bytes an attacker
// would use as an HMAC secret in an algorithm-confusion attack.
func x509PublicKeyBytes(t *testing.T, k *rsa.PublicKey) []byte {
	t.Helper()
	return k.N.Bytes()
}
