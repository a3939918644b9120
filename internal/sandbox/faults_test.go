package sandbox

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"flag"
	"net/http"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"
	"google.golang.org/api/calendar/v3"
	"google.golang.org/api/gmail/v1"
	"google.golang.org/api/option"
)

func TestFaultsFromConfig(t *testing.T) {
	draws := []float64{0.9, 0.1} // first call passes the 0.5 rule, second fails
	e := newEnv(t, func(c *Config) {
		c.Fail = []string{"gmail.threads.get=503:0.5", "gmail.labels.list=429:1", "gmail.getProfile=403", "token.refresh=500:1.0"}
		c.Rand = func() float64 { v := draws[0]; draws = draws[1:]; return v }
	})
	tok := e.signIn("ada@example.com")
	svc := e.gmail(tok)

	_, err := svc.Users.Labels.List("me").Do()
	ge := assertAPIError(t, err, 429, "rateLimitExceeded")
	if ge.Header.Get("Retry-After") != "1" {
		t.Errorf("Retry-After = %q", ge.Header.Get("Retry-After"))
	}
	_, err = svc.Users.GetProfile("me").Do()
	ge = assertAPIError(t, err, 403, "rateLimitExceeded")
	if !strings.Contains(ge.Body, `"domain":"usageLimits"`) {
		t.Errorf("403 body %s", ge.Body)
	}

	threads, err := svc.Users.Threads.List("me").MaxResults(1).Do()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Users.Threads.Get("me", threads.Threads[0].Id).Do(); err != nil {
		t.Errorf("draw 0.9 against rate 0.5 failed: %v", err)
	}
	_, err = svc.Users.Threads.Get("me", threads.Threads[0].Id).Do()
	assertAPIError(t, err, 503, "backendError")

	expired := *tok
	expired.Expiry = time.Now().Add(-time.Minute)
	_, err = e.conf.TokenSource(context.Background(), &expired).Token()
	if re := retrieveError(t, err); re.Response.StatusCode != 500 {
		t.Errorf("token.refresh fault: %+v", re)
	}

	// x/oauth2's auto-detected client authentication retries a failed
	// refresh once with the other credential style: two calls.
	stats := e.srv.Stats()
	for method, want := range map[string]int64{"token.exchange": 1, "token.refresh": 2, "gmail.labels.list": 1, "gmail.threads.get": 2, "gmail.threads.list": 1, "gmail.getProfile": 1} {
		if stats[method] != want {
			t.Errorf("stats[%s] = %d, want %d (all: %v)", method, stats[method], want, stats)
		}
	}
}

func TestFaultsAtRunTime(t *testing.T) {
	e := newEnv(t, nil)
	svc := e.gmail(e.signIn("ada@example.com"))

	post := func(body string) (*http.Response, map[string]any) {
		resp, err := http.Post(e.base+"/sandbox/faults", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&out)
		return resp, out
	}
	resp, out := post(`{"latency":"60ms","fail":["gmail.*=500:1"],"token_ttl":"2s"}`)
	if resp.StatusCode != 200 || out["latency"] != "60ms" || out["token_ttl"] != "2s" {
		t.Fatalf("POST faults: %d %v", resp.StatusCode, out)
	}
	start := time.Now()
	_, err := svc.Users.Threads.List("me").Do()
	assertAPIError(t, err, 500, "backendError")
	if time.Since(start) < 60*time.Millisecond {
		t.Errorf("latency not applied")
	}
	tok := e.signIn("ada@example.com")
	if left := time.Until(tok.Expiry); left > 3*time.Second {
		t.Errorf("token_ttl not applied: expires in %v", left)
	}

	if resp, _ := post(`{"fail":["gmail.threads.get=200"]}`); resp.StatusCode != 400 {
		t.Errorf("bad rule accepted: %d", resp.StatusCode)
	}
	if resp, _ := post(`{"fail":[],"latency":"0s"}`); resp.StatusCode != 200 {
		t.Errorf("clearing faults: %d", resp.StatusCode)
	}
	if _, err := svc.Users.Threads.List("me").Do(); err != nil {
		t.Errorf("after clearing faults: %v", err)
	}

	r, err := http.Get(e.base + "/sandbox/stats")
	if err != nil {
		t.Fatal(err)
	}
	var stats struct {
		Calls map[string]int64 `json:"calls"`
	}
	_ = json.NewDecoder(r.Body).Decode(&stats)
	r.Body.Close()
	if stats.Calls["gmail.threads.list"] != 2 || stats.Calls["token.exchange"] != 2 {
		t.Errorf("stats = %v", stats.Calls)
	}
	r, _ = http.Post(e.base+"/sandbox/stats/reset", "application/json", nil)
	r.Body.Close()
	if len(e.srv.Stats()) != 0 {
		t.Errorf("stats not reset: %v", e.srv.Stats())
	}
	r, _ = http.Get(e.base + "/sandbox/accounts")
	var accts struct {
		Accounts []struct{ Email string } `json:"accounts"`
	}
	_ = json.NewDecoder(r.Body).Decode(&accts)
	r.Body.Close()
	if len(accts.Accounts) != 2 || accts.Accounts[0].Email != "ada@example.com" {
		t.Errorf("accounts = %+v", accts)
	}
}

func TestConfigAndFlags(t *testing.T) {
	for _, bad := range []string{"gmail.threads.get", "=429", "x=99:1", "x=429:1.5", "x=429:abc"} {
		if _, err := New(Config{BaseURL: "http://127.0.0.1:1", Fail: []string{bad}, SigningKey: testKey()}); err == nil || !strings.Contains(err.Error(), bad) {
			t.Errorf("fault %q: error %v should name it", bad, err)
		}
	}
	if _, err := New(Config{BaseURL: "127.0.0.1:8090"}); err == nil {
		t.Errorf("BaseURL without scheme accepted")
	}

	var cfg Config
	fs := flag.NewFlagSet("sandbox", flag.ContinueOnError)
	RegisterFlags(fs, &cfg)
	err := fs.Parse([]string{"--client-id=cid", "--client-secret=sec", "--redirect-uri=https://app.example/cb", "--redirect-uri=https://app.example/cb2",
		"--data=/tmp/x", "--latency=5ms", "--token-ttl=30s", "--fail=gmail.threads.get=429:0.2", "--fail=token.refresh=500", "--rotate-refresh-tokens"})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.ClientID != "cid" || cfg.ClientSecret != "sec" || len(cfg.RedirectURIs) != 2 || cfg.DataDir != "/tmp/x" || cfg.Latency != 5*time.Millisecond ||
		cfg.TokenTTL != 30*time.Second || len(cfg.Fail) != 2 || !cfg.RotateRefreshTokens {
		t.Errorf("flags = %+v", cfg)
	}
}

func TestCalendarThroughTheSandbox(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	tok := e.signIn("ada@example.com", "openid", calendar.CalendarReadonlyScope)
	cal, err := calendar.NewService(ctx, option.WithEndpoint(e.base+"/calendar/v3/"), option.WithTokenSource(e.conf.TokenSource(ctx, tok)))
	if err != nil {
		t.Fatal(err)
	}
	now := e.clock.Now()
	events, err := cal.Events.List("primary").SingleEvents(true).OrderBy("startTime").
		TimeMin(now.Format(time.RFC3339)).TimeMax(now.Add(14 * 24 * time.Hour).Format(time.RFC3339)).Do()
	if err != nil {
		t.Fatal(err)
	}
	if len(events.Items) == 0 {
		t.Errorf("no demo events in the next fortnight")
	}
	if n := e.srv.Stats()["calendar.events.list"]; n != 1 {
		t.Errorf("calendar.events.list = %d", n)
	}

	mailOnly := e.signIn("ada@example.com")
	cal2, _ := calendar.NewService(ctx, option.WithEndpoint(e.base+"/calendar/v3/"), option.WithTokenSource(oauth2.StaticTokenSource(mailOnly)))
	_, err = cal2.Events.List("primary").Do()
	assertAPIError(t, err, 403, "insufficientPermissions")
}

// A page in the developer's browser cannot drive the admin routes: writes
// must be JSON or message/rfc822, and the Host must be a loopback name.
func TestAdminRoutesRefuseBrowsers(t *testing.T) {
	e := newEnv(t, nil)
	send := func(method, path, host, ctype, body string) int {
		t.Helper()
		req, _ := http.NewRequest(method, e.base+path, strings.NewReader(body))
		if host != "" {
			req.Host = host
		}
		if ctype != "" {
			req.Header.Set("Content-Type", ctype)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	for _, ct := range []string{"", "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"} {
		if st := send("POST", "/sandbox/faults", "", ct, `{"latency":"5s"}`); st != http.StatusUnsupportedMediaType {
			t.Errorf("faults as %q: %d", ct, st)
		}
		if st := send("POST", "/sandbox/accounts/ada@example.com/revoke", "", ct, ""); st != http.StatusUnsupportedMediaType {
			t.Errorf("revoke as %q: %d", ct, st)
		}
	}
	if f := e.srv.CurrentFaults(); f.Latency != nil && *f.Latency != 0 {
		t.Fatalf("a refused request changed the faults: %+v", f)
	}
	for _, host := range []string{"evil.example", "evil.example:8090", "10.0.0.1"} {
		if st := send("GET", "/sandbox/stats", host, "", ""); st != http.StatusForbidden {
			t.Errorf("GET with Host %s: %d", host, st)
		}
		if st := send("POST", "/sandbox/stats/reset", host, "application/json", ""); st != http.StatusForbidden {
			t.Errorf("POST with Host %s: %d", host, st)
		}
	}
	_, port, _ := strings.Cut(strings.TrimPrefix(e.base, "http://"), ":")
	for _, host := range []string{"localhost:" + port, "127.0.0.1:" + port, "[::1]:" + port} {
		if st := send("POST", "/sandbox/faults", host, "application/json; charset=utf-8", `{"latency":"0s"}`); st != http.StatusOK {
			t.Errorf("JSON with Host %s: %d", host, st)
		}
	}
	if st := send("POST", "/sandbox/accounts/ada@example.com/messages", "", "message/rfc822", "From: a@example.com\r\nSubject: hi\r\n\r\nhello\r\n"); st != http.StatusOK {
		t.Errorf("delivering a message: %d", st)
	}
	// Google's own endpoints are not affected.
	if st := send("GET", "/.well-known/openid-configuration", "evil.example", "", ""); st != http.StatusOK {
		t.Errorf("discovery with another Host: %d", st)
	}
}

// A lost answer: the draft is sent, and the client is told 502; the
// draft is gone and the message is in Sent, as after a dropped connection
// at Google.
func TestLoseAnswers(t *testing.T) {
	e := newEnv(t, nil)
	svc := e.gmail(e.signIn("ada@example.com"))
	raw := base64.URLEncoding.EncodeToString([]byte("To: grace@example.com\r\nSubject: Lost\r\nMessage-ID: <lost-1@example.com>\r\n\r\nHi.\r\n"))
	d, err := svc.Users.Drafts.Create("me", &gmail.Draft{Message: &gmail.Message{Raw: raw}}).Do()
	if err != nil {
		t.Fatal(err)
	}
	lose := []string{"gmail.drafts.send=502"}
	if err := e.srv.SetFaults(Faults{LoseAnswers: &lose}); err != nil {
		t.Fatal(err)
	}
	if got := e.srv.CurrentFaults(); got.LoseAnswers == nil || len(*got.LoseAnswers) != 1 {
		t.Fatalf("current faults: %+v", got)
	}
	_, err = svc.Users.Drafts.Send("me", &gmail.Draft{Id: d.Id}).Do()
	assertAPIError(t, err, 502, "backendError")
	if _, err := svc.Users.Drafts.Get("me", d.Id).Do(); err == nil {
		t.Fatal("the draft is still there")
	}
	sent, err := svc.Users.Messages.List("me").Q("in:sent rfc822msgid:lost-1@example.com").Do()
	if err != nil || len(sent.Messages) != 1 {
		t.Fatalf("sent: %+v %v", sent, err)
	}
	if bad := []string{"gmail.drafts.send=200"}; e.srv.SetFaults(Faults{LoseAnswers: &bad}) == nil {
		t.Fatal("a lose rule with status 200 was taken")
	}
}
