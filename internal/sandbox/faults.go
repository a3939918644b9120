package sandbox

import (
	"fmt"
	"maps"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/jarvis-hq/jarvis/internal/sandbox/wire"
)

// settings are the knobs that may change at run time. A Server swaps the
// whole struct atomically, so a request sees one consistent set.
type settings struct {
	latency  time.Duration
	tokenTTL time.Duration
	rotate   bool
	faults   []fault
	fail     []string // as given, for GET /sandbox/faults
	// lose are the faults drawn after a call is carried out: its answer is
	// replaced by the fault's, as when a connection drops or a gateway
	// times out after Google acted; loseRules are them as given.
	lose      []fault
	loseRules []string

	quota         int // Gmail units per user per minute; 0 = unlimited
	maxConcurrent int // Gmail calls in flight per user; 0 = unlimited
	retention     string
}

// fault is one parsed METHOD=STATUS:RATE rule.
type fault struct {
	method string // exact name, "gmail.*" prefix, or "*"
	status int
	rate   float64
}

func (f fault) matches(method string) bool {
	switch {
	case f.method == "*":
		return true
	case strings.HasSuffix(f.method, ".*"):
		return strings.HasPrefix(method, strings.TrimSuffix(f.method, "*"))
	default:
		return f.method == method
	}
}

// ParseFault parses one fault rule, "METHOD=STATUS:RATE": METHOD is a
// method name (see the package's list), a prefix such as "gmail.*", or "*";
// STATUS an HTTP status from 400 to 599; RATE the probability in [0,1]
// (1 always fails; ":RATE" may be left out for 1).
func ParseFault(rule string) (method string, status int, rate float64, err error) {
	bad := func(why string) (string, int, float64, error) {
		return "", 0, 0, fmt.Errorf("sandbox: fault %q: %s (want METHOD=STATUS:RATE, e.g. gmail.threads.get=429:0.2)", rule, why)
	}
	method, rest, ok := strings.Cut(strings.TrimSpace(rule), "=")
	if !ok || method == "" {
		return bad("no METHOD=")
	}
	code, r, hasRate := strings.Cut(rest, ":")
	status, err = strconv.Atoi(code)
	if err != nil || status < 400 || status > 599 {
		return bad("STATUS must be a number from 400 to 599")
	}
	rate = 1
	if hasRate {
		rate, err = strconv.ParseFloat(r, 64)
		if err != nil || rate < 0 || rate > 1 {
			return bad("RATE must be a number from 0 to 1")
		}
	}
	return method, status, rate, nil
}

func parseFaults(rules []string) ([]fault, error) {
	var out []fault
	for _, r := range rules {
		m, st, rate, err := ParseFault(r)
		if err != nil {
			return nil, err
		}
		out = append(out, fault{method: m, status: st, rate: rate})
	}
	return out, nil
}

// Faults is the run-time configuration, as POST /sandbox/faults takes it
// and GET shows it. Nil fields are left unchanged by SetFaults.
type Faults struct {
	Latency  *Duration `json:"latency,omitempty"`
	TokenTTL *Duration `json:"token_ttl,omitempty"`
	Fail     *[]string `json:"fail,omitempty"`
	// LoseAnswers are rules in Fail's form whose calls are carried out,
	// then answered with the rule's status instead of their own: the
	// client cannot tell that the write happened (a dropped connection, a
	// gateway timeout after Google acted). Gmail methods only.
	LoseAnswers         *[]string `json:"lose_answers,omitempty"`
	RotateRefreshTokens *bool     `json:"rotate_refresh_tokens,omitempty"`
	// GmailQuota is the per-user Gmail quota in units per minute (0 off);
	// GmailMaxConcurrent the calls a user may have in flight (0 off).
	GmailQuota         *int `json:"gmail_quota,omitempty"`
	GmailMaxConcurrent *int `json:"gmail_max_concurrent,omitempty"`
	// HistoryRetention sets every mailbox's retention ("168h" or "5000");
	// ExpireHistory, an action, forgets all history now.
	HistoryRetention *string `json:"history_retention,omitempty"`
	ExpireHistory    *bool   `json:"expire_history,omitempty"`
	// InvalidatePageTokens, an action, makes every Gmail page token issued
	// so far answer 400 "Invalid pageToken".
	InvalidatePageTokens *bool `json:"invalidate_page_tokens,omitempty"`
	// InvalidateSyncTokens, an action, makes every Calendar sync token
	// issued so far answer 410; SyncTokenTTL makes tokens older than it
	// answer 410 ("0s": never).
	InvalidateSyncTokens *bool     `json:"invalidate_sync_tokens,omitempty"`
	SyncTokenTTL         *Duration `json:"sync_token_ttl,omitempty"`
	// PushDrop, PushDuplicate and PushReorder are the probabilities that a
	// Pub/Sub push or Calendar channel notification is lost, made twice,
	// or held back so that later ones overtake it; PushDelay delays each.
	PushDrop      *float64  `json:"push_drop,omitempty"`
	PushDuplicate *float64  `json:"push_duplicate,omitempty"`
	PushReorder   *float64  `json:"push_reorder,omitempty"`
	PushDelay     *Duration `json:"push_delay,omitempty"`
	// PushRefuse refuses every push and notification for this long from
	// now (each attempt is logged as refused and retried with backoff);
	// "0s" ends a refusal. GET shows what is left of one.
	PushRefuse *Duration `json:"push_refuse,omitempty"`
	// PushBackoffMin and PushBackoffMax bound the retry delay.
	PushBackoffMin *Duration `json:"push_backoff_min,omitempty"`
	PushBackoffMax *Duration `json:"push_backoff_max,omitempty"`
}

// Duration is a time.Duration written in JSON as "50ms", "2s".
type Duration time.Duration

// MarshalJSON writes the duration as a Go duration string.
func (d Duration) MarshalJSON() ([]byte, error) {
	return []byte(strconv.Quote(time.Duration(d).String())), nil
}

// UnmarshalJSON reads "50ms"-style strings, or a number of nanoseconds.
func (d *Duration) UnmarshalJSON(b []byte) error {
	if s, err := strconv.Unquote(string(b)); err == nil {
		v, err := time.ParseDuration(s)
		if err != nil {
			return err
		}
		*d = Duration(v)
		return nil
	}
	n, err := strconv.ParseInt(string(b), 10, 64)
	if err != nil {
		return fmt.Errorf("duration %s: want a string such as \"50ms\"", b)
	}
	*d = Duration(n)
	return nil
}

// SetFaults changes the run-time settings; Fail replaces the whole list.
// A bad rule or a negative duration is an error and changes nothing.
func (s *Server) SetFaults(f Faults) error {
	cur := s.settings.Load()
	next := *cur
	if err := s.checkPushFaults(f); err != nil {
		return err
	}
	if f.Latency != nil {
		if *f.Latency < 0 {
			return fmt.Errorf("sandbox: latency must not be negative")
		}
		next.latency = time.Duration(*f.Latency)
	}
	if f.TokenTTL != nil {
		if *f.TokenTTL <= 0 {
			return fmt.Errorf("sandbox: token_ttl must be positive")
		}
		next.tokenTTL = time.Duration(*f.TokenTTL)
	}
	if f.Fail != nil {
		faults, err := parseFaults(*f.Fail)
		if err != nil {
			return err
		}
		next.faults = faults
		next.fail = append([]string{}, *f.Fail...)
	}
	if f.LoseAnswers != nil {
		lose, err := parseFaults(*f.LoseAnswers)
		if err != nil {
			return err
		}
		next.lose = lose
		next.loseRules = append([]string{}, *f.LoseAnswers...)
	}
	if f.RotateRefreshTokens != nil {
		next.rotate = *f.RotateRefreshTokens
	}
	if f.GmailQuota != nil {
		if *f.GmailQuota < 0 {
			return fmt.Errorf("sandbox: gmail_quota must not be negative")
		}
		next.quota = *f.GmailQuota
	}
	if f.GmailMaxConcurrent != nil {
		if *f.GmailMaxConcurrent < 0 {
			return fmt.Errorf("sandbox: gmail_max_concurrent must not be negative")
		}
		next.maxConcurrent = *f.GmailMaxConcurrent
	}
	if f.SyncTokenTTL != nil && *f.SyncTokenTTL < 0 {
		return fmt.Errorf("sandbox: sync_token_ttl must not be negative")
	}
	if f.HistoryRetention != nil {
		age, count, err := parseRetention(*f.HistoryRetention)
		if err != nil {
			return err
		}
		for _, a := range s.accounts {
			a.mail.SetRetention(age, count)
		}
		next.retention = *f.HistoryRetention
	}
	s.settings.Store(&next)
	_ = s.setPushFaults(f)
	if f.ExpireHistory != nil && *f.ExpireHistory {
		s.ExpireHistory("")
	}
	if f.InvalidatePageTokens != nil && *f.InvalidatePageTokens {
		_ = s.InvalidatePageTokens("")
	}
	if f.SyncTokenTTL != nil {
		s.calendar.SetSyncTokenTTL(time.Duration(*f.SyncTokenTTL))
	}
	if f.InvalidateSyncTokens != nil && *f.InvalidateSyncTokens {
		_, _ = s.InvalidateSyncTokens("")
	}
	return nil
}

// CurrentFaults returns the run-time settings in force.
func (s *Server) CurrentFaults() Faults {
	cur := s.settings.Load()
	lat, ttl := Duration(cur.latency), Duration(cur.tokenTTL)
	fail := append([]string{}, cur.fail...)
	rot := cur.rotate
	quota, conc := cur.quota, cur.maxConcurrent
	syncTTL := Duration(s.calendar.SyncTokenTTL())
	lose := append([]string{}, cur.loseRules...)
	f := Faults{Latency: &lat, TokenTTL: &ttl, Fail: &fail, LoseAnswers: &lose, RotateRefreshTokens: &rot, GmailQuota: &quota, GmailMaxConcurrent: &conc, SyncTokenTTL: &syncTTL}
	if cur.retention != "" {
		ret := cur.retention
		f.HistoryRetention = &ret
	}
	s.pushFaults(&f)
	return f
}

// Stats returns the number of calls per method name since the start or
// the last ResetStats.
func (s *Server) Stats() map[string]int64 {
	s.statsMu.Lock()
	defer s.statsMu.Unlock()
	return maps.Clone(s.stats)
}

// ResetStats sets every call count back to zero.
func (s *Server) ResetStats() {
	s.statsMu.Lock()
	defer s.statsMu.Unlock()
	clear(s.stats)
}

func (s *Server) count(method string) {
	s.statsMu.Lock()
	s.stats[method]++
	s.statsMu.Unlock()
}

// begin starts an API call: it counts the call, waits the configured
// latency and draws the configured faults. It reports false when it has
// already answered (an injected fault, or the client gave up). oauthShape
// selects the token endpoint's error body instead of the API one.
func (s *Server) begin(w http.ResponseWriter, r *http.Request, method string, oauthShape bool) bool {
	s.count(method)
	cur := s.settings.Load()
	if cur.latency > 0 {
		t := time.NewTimer(cur.latency)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return false
		}
	}
	for _, f := range cur.faults {
		if !f.matches(method) || !s.draw(f.rate) {
			continue
		}
		s.log.Info("sandbox: injected fault", "method", method, "status", f.status)
		writeFault(w, f.status, oauthShape)
		return false
	}
	return true
}

// lostAnswer draws the lose-answer faults of a call that is about to be
// carried out: the status to answer with instead of its own, or 0.
func (s *Server) lostAnswer(method string) int {
	for _, f := range s.settings.Load().lose {
		if f.matches(method) && s.draw(f.rate) {
			return f.status
		}
	}
	return 0
}

// discardWriter takes a handler's answer and drops it.
type discardWriter struct{ h http.Header }

func (d *discardWriter) Header() http.Header         { return d.h }
func (d *discardWriter) Write(b []byte) (int, error) { return len(b), nil }
func (d *discardWriter) WriteHeader(int)             {}

func (s *Server) draw(rate float64) bool {
	if rate >= 1 {
		return true
	}
	if rate <= 0 {
		return false
	}
	s.randMu.Lock()
	defer s.randMu.Unlock()
	return s.rand() < rate
}

// writeFault answers as Google does when it sheds load or fails:
// 429 rateLimitExceeded with Retry-After, 403 rateLimitExceeded in the
// usageLimits domain, 5xx backendError.
func writeFault(w http.ResponseWriter, status int, oauthShape bool) {
	if status == http.StatusTooManyRequests || status == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", "1")
	}
	if oauthShape {
		code := "server_error"
		switch {
		case status == http.StatusTooManyRequests:
			code = "rate_limit_exceeded"
		case status == http.StatusServiceUnavailable:
			code = "temporarily_unavailable"
		case status < 500:
			code = "invalid_request"
		}
		writeOAuthError(w, status, code, http.StatusText(status))
		return
	}
	switch {
	case status == http.StatusTooManyRequests:
		wire.WriteError(w, status, wire.ErrorItem{Domain: "usageLimits", Reason: "rateLimitExceeded", Message: "Rate Limit Exceeded"})
	case status == http.StatusForbidden:
		wire.WriteError(w, status, wire.ErrorItem{Domain: "usageLimits", Reason: "rateLimitExceeded", Message: "Rate Limit Exceeded"})
	case status >= 500:
		wire.WriteError(w, status, wire.ErrorItem{Domain: "global", Reason: "backendError", Message: "Backend Error"})
	case status == http.StatusUnauthorized:
		wire.Error(w, status, "authError", "Invalid Credentials")
	case status == http.StatusNotFound:
		wire.NotFound(w)
	default:
		wire.Error(w, status, "badRequest", http.StatusText(status))
	}
}
