package main

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/jarvis-hq/jarvis/internal/config"
	"github.com/jarvis-hq/jarvis/internal/sqldb"
)

// tamperingProxy stands between Jarvis and the sandbox like an attacker on
// the path to Google: it forwards everything, but re-issues the id_token of
// each token response with one claim or the signature altered, and serves
// its own JWKS so that only the alteration can make Jarvis refuse it.
type tamperingProxy struct {
	srv    *httptest.Server
	key    *rsa.PrivateKey
	other  *rsa.PrivateKey
	mode   atomic.Value // string
	target *url.URL
}

func newTamperingProxy(t *testing.T, sandboxURL string) *tamperingProxy {
	t.Helper()
	p := &tamperingProxy{}
	p.key, _ = rsa.GenerateKey(rand.Reader, 2048)
	p.other, _ = rsa.GenerateKey(rand.Reader, 2048)
	p.target, _ = url.Parse(sandboxURL)
	rp := httputil.NewSingleHostReverseProxy(p.target)
	p.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/.well-known/openid-configuration":
			p.discovery(w)
		case "/proxy/certs":
			p.jwks(w)
		case "/token":
			p.token(w, r)
		default:
			rp.ServeHTTP(w, r)
		}
	}))
	t.Cleanup(p.srv.Close)
	return p
}

func (p *tamperingProxy) fetch(method, path string, body io.Reader, h http.Header) (*http.Response, []byte) {
	req, _ := http.NewRequest(method, p.target.String()+path, body)
	for k, v := range h {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, nil
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

func (p *tamperingProxy) discovery(w http.ResponseWriter) {
	_, b := p.fetch("GET", "/.well-known/openid-configuration", nil, nil)
	var d map[string]any
	_ = json.Unmarshal(b, &d)
	d["issuer"] = p.srv.URL
	d["jwks_uri"] = p.srv.URL + "/proxy/certs"
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(d)
}

func (p *tamperingProxy) jwks(w http.ResponseWriter) {
	enc := base64.RawURLEncoding
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"keys": []any{map[string]any{"kty": "RSA", "kid": "proxy", "use": "sig", "alg": "RS256",
		"n": enc.EncodeToString(p.key.N.Bytes()), "e": enc.EncodeToString(big.NewInt(int64(p.key.E)).Bytes())}}})
}

func (p *tamperingProxy) token(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	resp, b := p.fetch("POST", "/token", bytes.NewReader(body), r.Header)
	var tok map[string]any
	if resp == nil || json.Unmarshal(b, &tok) != nil || tok["id_token"] == nil {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(resp.StatusCode)
		_, _ = w.Write(b)
		return
	}
	claims := jwt.MapClaims{}
	_, _, _ = jwt.NewParser().ParseUnverified(tok["id_token"].(string), claims)
	claims["iss"] = p.srv.URL
	key := p.key
	switch p.mode.Load() {
	case "wrong_iss":
		claims["iss"] = "https://accounts.example.net"
	case "wrong_aud":
		claims["aud"] = "someone-else.apps.googleusercontent.com"
	case "wrong_nonce":
		claims["nonce"] = "not-the-nonce"
	case "no_nonce":
		delete(claims, "nonce")
	case "expired":
		claims["iat"] = time.Now().Add(-2 * time.Hour).Unix()
		claims["exp"] = time.Now().Add(-time.Hour).Unix()
	case "bad_sig":
		key = p.other
	}
	t := jwt.NewWithClaims(jwt.SigningMethodRS256, claims)
	t.Header["kid"] = "proxy"
	tok["id_token"], _ = t.SignedString(key)
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(tok)
}

// An id_token with a wrong iss, aud or nonce, an expired one, or a bad
// signature is refused, and no user is made (SECURITY.md line 6).
func TestIDTokenIsVerified(t *testing.T) {
	oneDB(t, func(t *testing.T, d sqldb.Dialect) {
		e0 := startEnv(t, envOptions{dialect: d})
		proxy := newTamperingProxy(t, e0.Sandbox.URL)
		e := startEnv(t, envOptions{dialect: d, sandbox: e0.Sandbox, configure: func(c *config.Config) { c.GoogleBaseURL = proxy.srv.URL }})

		proxy.mode.Store("none")
		e.signIn("ada@example.com") // the proxy itself is faithful
		for _, mode := range []string{"wrong_iss", "wrong_aud", "wrong_nonce", "no_nonce", "expired", "bad_sig"} {
			t.Run(mode, func(t *testing.T) {
				proxy.mode.Store(mode)
				code, state := e.authorize("grace@example.com")
				resp, body := e.do("POST", "/auth/google/callback", "", map[string]string{"code": code, "state": state})
				if resp.StatusCode != 401 || !strings.Contains(string(body), `"unauthorized"`) {
					t.Fatalf("%s: %d %s", mode, resp.StatusCode, body)
				}
			})
		}
		var n int
		_ = e.Main.DB.SQL().QueryRow(`SELECT COUNT(*) FROM users WHERE email = 'grace@example.com'`).Scan(&n)
		if n != 0 {
			t.Fatal("a refused id_token made a user")
		}
	})
}
