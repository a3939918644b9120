package sandbox

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/oauth2"
	"google.golang.org/api/gmail/v1"
	"google.golang.org/api/option"
)

// testKey is one signing key for every test server: generating 2048-bit
// keys per test would dominate the run time.
var testKey = sync.OnceValue(func() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return k
})

// testRedirect is a loopback redirect URI; nothing listens there, the
// test's HTTP client stops at the redirect.
const testRedirect = "http://127.0.0.1:9/callback"

// clock is a settable clock for the sandbox.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// env is a running sandbox and the OAuth client configured for it.
type env struct {
	t     *testing.T
	srv   *Server
	base  string
	conf  *oauth2.Config
	clock *clock
}

// newEnv starts a sandbox on an httptest server. mod may adjust the
// configuration; Now is a settable clock unless mod replaces it.
func newEnv(t *testing.T, mod func(*Config)) *env {
	t.Helper()
	ts := httptest.NewUnstartedServer(nil)
	base := "http://" + ts.Listener.Addr().String()
	clk := &clock{t: time.Date(2026, 3, 25, 12, 0, 0, 0, time.UTC)}
	cfg := Config{BaseURL: base, SigningKey: testKey(), Now: clk.Now}
	if mod != nil {
		mod(&cfg)
	}
	srv, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() }) // after the HTTP server's close below
	ts.Config.Handler = srv.Handler()
	ts.Start()
	t.Cleanup(ts.Close)
	return &env{t: t, srv: srv, base: base, clock: clk, conf: &oauth2.Config{
		ClientID:     srv.ClientID(),
		ClientSecret: srv.ClientSecret(),
		RedirectURL:  testRedirect,
		Scopes:       []string{"openid", "email", "profile", gmail.GmailReadonlyScope, gmail.GmailComposeScope},
		Endpoint: oauth2.Endpoint{
			AuthURL:  base + "/o/oauth2/v2/auth",
			TokenURL: base + "/token",
		},
	}}
}

// noFollow is an HTTP client that stops at the redirect to the loopback
// redirect URI, as a native app's listener would receive it.
var noFollow = &http.Client{CheckRedirect: func(req *http.Request, via []*http.Request) error {
	if strings.HasPrefix(req.URL.String(), "http://127.0.0.1:9/") {
		return http.ErrUseLastResponse
	}
	return nil
}}

// authorize runs the authorization request with prompt=none and returns
// the redirect's query.
func (e *env) authorize(conf *oauth2.Config, opts ...oauth2.AuthCodeOption) url.Values {
	e.t.Helper()
	resp, err := noFollow.Get(conf.AuthCodeURL("st4te", opts...))
	if err != nil {
		e.t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound {
		e.t.Fatalf("authorize: status %d", resp.StatusCode)
	}
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil {
		e.t.Fatal(err)
	}
	q := loc.Query()
	if q.Get("state") != "st4te" {
		e.t.Fatalf("state = %q", q.Get("state"))
	}
	return q
}

// signIn does the script flow: PKCE S256, login_hint + prompt=none,
// access_type=offline, then the code exchange.
func (e *env) signIn(email string, scopes ...string) *oauth2.Token {
	e.t.Helper()
	conf := *e.conf
	if len(scopes) > 0 {
		conf.Scopes = scopes
	}
	verifier := oauth2.GenerateVerifier()
	q := e.authorize(&conf, oauth2.AccessTypeOffline, oauth2.S256ChallengeOption(verifier),
		oauth2.SetAuthURLParam("login_hint", email), oauth2.SetAuthURLParam("prompt", "none"),
		oauth2.SetAuthURLParam("nonce", "n0nce"))
	if q.Get("code") == "" {
		e.t.Fatalf("no code: %v", q)
	}
	tok, err := conf.Exchange(context.Background(), q.Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		e.t.Fatal(err)
	}
	return tok
}

// gmail returns the official Gmail client for a token.
func (e *env) gmail(tok *oauth2.Token) *gmail.Service {
	e.t.Helper()
	ctx := context.Background()
	svc, err := gmail.NewService(ctx, option.WithEndpoint(e.base+"/"), option.WithTokenSource(e.conf.TokenSource(ctx, tok)))
	if err != nil {
		e.t.Fatal(err)
	}
	return svc
}

// retrieveError unwraps an *oauth2.RetrieveError.
func retrieveError(t *testing.T, err error) *oauth2.RetrieveError {
	t.Helper()
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) {
		t.Fatalf("error %v (%T) is not a RetrieveError", err, err)
	}
	return re
}

// httptestRecorder is a response writer whose answer the test ignores.
func httptestRecorder() http.ResponseWriter { return httptest.NewRecorder() }
