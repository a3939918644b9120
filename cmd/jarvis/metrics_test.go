package main

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/jarvis-hq/jarvis/internal/config"
	"github.com/jarvis-hq/jarvis/internal/sqldb"
)

// scrape reads the metrics of e with Prometheus's text parser.
func scrape(t *testing.T, e *testEnv) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := http.Get(e.Main.MetricsURL())
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("GET /metrics: %d", resp.StatusCode)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return fams
}

// series returns the label sets of a family's series.
func series(f *dto.MetricFamily) []map[string]string {
	var out []map[string]string
	for _, m := range f.GetMetric() {
		l := map[string]string{}
		for _, p := range m.GetLabel() {
			l[p.GetName()] = p.GetValue()
		}
		out = append(out, l)
	}
	return out
}

// hasSeries reports whether the family has a series whose labels include want.
func hasSeries(f *dto.MetricFamily, want map[string]string) bool {
	for _, l := range series(f) {
		ok := true
		for k, v := range want {
			ok = ok && l[k] == v
		}
		if ok {
			return true
		}
	}
	return false
}

// idLike matches label values that would identify someone or something:
// an email, a UUID, or a long run of letters and digits such as a Gmail id
// or a token.
var idLike = regexp.MustCompile(`@|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-|[0-9a-fA-F]{12,}|[A-Za-z0-9_-]{40,}`)

// TestMetrics starts Jarvis with its metrics listener, makes requests
// (Google-backed ones through the sandbox, a chat turn), and checks every
// family with its labels, none of which names anyone or anything.
func TestMetrics(t *testing.T) {
	oneDB(t, testMetrics)
}

func testMetrics(t *testing.T, d sqldb.Dialect) {
	e := startEnv(t, envOptions{dialect: d, configure: func(c *config.Config) { c.MetricsAddr = "127.0.0.1:0" }})
	if e.Main.MetricsURL() == "" {
		t.Fatal("no metrics listener")
	}
	mu, _ := url.Parse(e.Main.MetricsURL())
	api, _ := url.Parse(e.URL)
	if mu.Host == api.Host {
		t.Fatalf("metrics on the API's address %s", api.Host)
	}
	// The API does not serve them.
	if resp, body := e.do("GET", "/metrics", "", nil, "Accept", "text/plain"); resp.StatusCode != 404 || strings.Contains(string(body), "jarvis_http_request_duration_seconds") {
		t.Fatalf("the API answers /metrics: %d %.200s", resp.StatusCode, body)
	}

	tok := e.signIn("ada@example.com")
	me := e.me(tok)
	account := e.accountOf("ada@example.com")
	e.json("GET", "/me", tok, nil, 200, nil)
	e.do("GET", "/me", "not-a-token", nil)
	// A Google-backed read: a thread, by its id.
	var list struct {
		Threads []struct {
			ID string `json:"id"`
		} `json:"threads"`
	}
	e.json("GET", "/gmail/threads", tok, nil, 200, &list)
	if len(list.Threads) == 0 {
		t.Fatal("no threads")
	}
	threadID := list.Threads[0].ID
	e.json("GET", "/gmail/thread/"+threadID, tok, nil, 200, nil)
	// Google refuses the access token: Jarvis refreshes it and reads again.
	// No job runs from here, so that the read meets the refusal first.
	e.synced("ada@example.com")
	if err := e.Main.Jobs.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Sandbox.Google.ExpireAccount("ada@example.com"); err != nil {
		t.Fatal(err)
	}
	e.json("GET", "/gmail/thread/"+threadID, tok, nil, 200, nil)
	e.do("GET", "/no/such/route", tok, nil, "Accept", "application/json")
	e.do("BREW", "/me", tok, nil)
	if turn := summarizeTurn(e.chat(tok, "", "hello")); len(turn.errors) > 0 {
		t.Fatalf("chat failed: %+v", turn.errors)
	}

	var fams map[string]*dto.MetricFamily
	waitFor(t, "the sync and the chat to show in the metrics", func() bool {
		fams = scrape(t, e)
		lag := fams["jarvis_sync_lag_seconds"]
		return lag != nil && lag.GetMetric()[0].GetHistogram().GetSampleCount() >= 1 && fams["jarvis_llm_tokens_total"] != nil
	})

	for _, name := range []string{
		"jarvis_http_request_duration_seconds", "jarvis_google_request_duration_seconds", "jarvis_google_token_refreshes_total",
		"jarvis_gmail_quota_wait_seconds", "jarvis_gmail_quota_refused_total", "jarvis_gmail_rate_limited_total",
		"jarvis_sync_lag_seconds", "jarvis_sync_lag_max_seconds", "jarvis_sync_accounts_unsynced", "jarvis_push_age_seconds",
		"jarvis_push_age_max_seconds", "jarvis_jobs", "jarvis_llm_request_duration_seconds", "jarvis_llm_tokens_total",
		"jarvis_event_streams_open", "jarvis_metrics_scrape_errors",
		"go_sql_open_connections", "go_sql_wait_count_total", "go_goroutines", "process_resident_memory_bytes",
	} {
		f := fams[name]
		if f == nil {
			t.Errorf("no %s", name)
			continue
		}
		if f.GetHelp() == "" {
			t.Errorf("%s has no help", name)
		}
	}

	want := []struct {
		family string
		labels map[string]string
	}{
		{"jarvis_http_request_duration_seconds", map[string]string{"route": "GET /me", "method": "GET", "status": "200"}},
		{"jarvis_http_request_duration_seconds", map[string]string{"route": "GET /me", "method": "GET", "status": "401"}},
		{"jarvis_http_request_duration_seconds", map[string]string{"route": "GET /gmail/thread/{id}", "method": "GET", "status": "200"}},
		{"jarvis_http_request_duration_seconds", map[string]string{"route": "/", "method": "GET", "status": "404"}},
		{"jarvis_http_request_duration_seconds", map[string]string{"method": "other"}},
		{"jarvis_http_request_duration_seconds", map[string]string{"route": "POST /chat", "method": "POST", "status": "200"}},
		{"jarvis_google_request_duration_seconds", map[string]string{"method": "gmail.users.threads.get", "outcome": "ok"}},
		{"jarvis_google_request_duration_seconds", map[string]string{"method": "gmail.users.history.list", "outcome": "ok"}},
		{"jarvis_google_request_duration_seconds", map[string]string{"method": "oauth2.token", "outcome": "ok"}},
		{"jarvis_google_token_refreshes_total", map[string]string{"outcome": "error"}},
		{"jarvis_google_request_duration_seconds", map[string]string{"method": "gmail.users.threads.get", "outcome": "4xx"}},
		{"jarvis_gmail_quota_refused_total", map[string]string{"priority": "background"}},
		{"jarvis_jobs", map[string]string{"kind": "gmail_sync", "state": "available"}},
		{"jarvis_llm_request_duration_seconds", map[string]string{"provider": "openai", "outcome": "ok"}},
		{"jarvis_llm_tokens_total", map[string]string{"provider": "openai", "direction": "output"}},
		{"jarvis_metrics_scrape_errors", map[string]string{"source": "sync"}},
	}
	for _, w := range want {
		if f := fams[w.family]; f == nil || !hasSeries(f, w.labels) {
			t.Errorf("%s has no series %v; it has %v", w.family, w.labels, series(f))
		}
	}
	for _, m := range fams["jarvis_google_token_refreshes_total"].GetMetric() {
		if l := m.GetLabel()[0]; l.GetValue() == "ok" && m.GetCounter().GetValue() < 1 {
			t.Errorf("the refresh after Google's 401 is not counted")
		}
	}
	for _, m := range fams["jarvis_metrics_scrape_errors"].GetMetric() {
		if m.GetGauge().GetValue() != 0 {
			t.Errorf("scrape error %v:\n%s", m.GetLabel(), e.Logs.String())
		}
	}
	for _, f := range fams["jarvis_google_request_duration_seconds"].GetMetric() {
		for _, l := range f.GetLabel() {
			if l.GetName() == "method" && (l.GetValue() == "other" || l.GetValue() == "gmail.other") {
				t.Errorf("a Google call the metrics cannot name: %v", f.GetLabel())
			}
		}
	}

	checkMetricsDocumented(t, fams)

	// No label anywhere names a user, an account, an email, a thread or a token.
	secrets := []string{me.User.ID, me.User.Email, account, threadID, tok}
	for name, f := range fams {
		for _, l := range series(f) {
			for k, v := range l {
				if name == "jarvis_http_request_duration_seconds" && k == "route" {
					v = regexp.MustCompile(`\{[a-z_]+\}`).ReplaceAllString(v, "")
				}
				if idLike.MatchString(v) {
					t.Errorf("%s{%s=%q}: the value looks like an id", name, k, v)
				}
				for _, s := range secrets {
					if s != "" && strings.Contains(v, s) {
						t.Errorf("%s{%s=%q} holds %q", name, k, v, s)
					}
				}
			}
		}
	}
}

// checkMetricsDocumented: the README's Metrics section lists every Jarvis
// family, the Grafana dashboard charts each one, and every metric the
// dashboard queries exists.
func checkMetricsDocumented(t *testing.T, fams map[string]*dto.MetricFamily) {
	t.Helper()
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, section, _ := strings.Cut(string(readme), "\n### Metrics\n")
	section, _, _ = strings.Cut(section, "\n#")
	raw, err := os.ReadFile(filepath.Join("..", "..", "infra", "grafana", "jarvis.json"))
	if err != nil {
		t.Fatal(err)
	}
	var dash struct {
		Panels []struct {
			Title   string `json:"title"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
	}
	if err := json.Unmarshal(raw, &dash); err != nil {
		t.Fatalf("the dashboard is not JSON: %v", err)
	}
	var exprs strings.Builder
	for _, p := range dash.Panels {
		for _, tg := range p.Targets {
			exprs.WriteString(tg.Expr + "\n")
		}
	}
	for name := range fams {
		if !strings.HasPrefix(name, "jarvis_") {
			continue
		}
		if !strings.Contains(section, "`"+name+"`") {
			t.Errorf("the README's Metrics section does not list %s", name)
		}
		if !regexp.MustCompile(`\b` + name + `(_bucket|_count|_sum)?\b`).MatchString(exprs.String()) {
			t.Errorf("the dashboard has no panel for %s", name)
		}
	}
	for _, n := range regexp.MustCompile(`\b(?:jarvis|go|process)_[a-z_]+\b`).FindAllString(exprs.String(), -1) {
		base := n
		for _, suf := range []string{"_bucket", "_count", "_sum"} {
			if b, ok := strings.CutSuffix(n, suf); ok && fams[b] != nil {
				base = b
			}
		}
		if fams[base] == nil {
			t.Errorf("the dashboard queries %s, which Jarvis does not expose", n)
		}
	}
}
