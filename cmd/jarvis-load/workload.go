package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// The kinds of request of the mixed workload.
const (
	KindInbox   = "inbox"   // GET /gmail/threads: a page of the inbox (the index)
	KindThread  = "thread"  // GET /gmail/thread/{id}: a thread (Gmail's threads.get)
	KindSearch  = "search"  // GET /gmail/threads?q=: a search
	KindDraft   = "draft"   // POST /gmail/draft: a draft (Gmail's drafts.create)
	KindChat    = "chat"    // POST /chat: a chat turn with the model and its tools
	KindDeliver = "deliver" // mail delivered in the sandbox: Gmail pushes it to Jarvis
)

// Kinds lists them in report order; Weights is the share of each.
var (
	Kinds   = []string{KindInbox, KindThread, KindSearch, KindDraft, KindChat, KindDeliver}
	Weights = map[string]int{KindInbox: 30, KindThread: 25, KindSearch: 15, KindDraft: 10, KindChat: 5, KindDeliver: 15}
)

var searches = []string{"meeting", "invoice", "from:newsletter", "is:unread", "subject:report", "project", "has:attachment", "travel"}

// Workload makes the mixed requests of the users, and remembers what
// Jarvis and the sandbox acknowledged so that it can be checked later.
type Workload struct {
	LB, Sandbox string
	Users       []*User

	byAccount map[string]*User
	seq       atomic.Uint64
	mu        sync.Mutex
	rng       *rand.Rand

	// Drafts are the drafts Jarvis acknowledged (201), by account id;
	// Delivered the mail the sandbox delivered, thread ids by email.
	ackMu     sync.Mutex
	Drafts    map[string][]string
	Delivered map[string][]string
}

// NewWorkload makes the workload of users against the load balancer lb.
func NewWorkload(lb, sandboxURL string, users []*User) *Workload {
	w := &Workload{LB: lb, Sandbox: sandboxURL, Users: users, byAccount: map[string]*User{},
		rng: rand.New(rand.NewPCG(1, 2)), Drafts: map[string][]string{}, Delivered: map[string][]string{}}
	for _, u := range users {
		w.byAccount[u.Account] = u
	}
	return w
}

func (w *Workload) pick() (string, *User, int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	n := w.rng.IntN(100)
	kind := KindInbox
	for _, k := range Kinds {
		if n < Weights[k] {
			kind = k
			break
		}
		n -= Weights[k]
	}
	return kind, w.Users[w.rng.IntN(len(w.Users))], w.rng.IntN(1 << 30)
}

// Targeter returns the next request: a kind by its weight, for a user
// drawn at random. Every Jarvis URL names the account, which ties each
// result to its user.
func (w *Workload) Targeter() vegeta.Targeter {
	return func(t *vegeta.Target) error {
		kind, u, r := w.pick()
		n := w.seq.Add(1)
		h := http.Header{"Authorization": {"Bearer " + u.Token}, "Accept": {"application/json"}}
		acct := "account=" + url.QueryEscape(u.Account)
		*t = vegeta.Target{Method: http.MethodGet, Header: h}
		switch kind {
		case KindInbox:
			t.URL = w.LB + "/gmail/threads?max_results=25&" + acct
		case KindThread:
			t.URL = w.LB + "/gmail/thread/" + u.Threads[r%len(u.Threads)] + "?" + acct
		case KindSearch:
			t.URL = w.LB + "/gmail/threads?max_results=25&q=" + url.QueryEscape(searches[r%len(searches)]) + "&" + acct
		case KindDraft:
			t.Method, t.URL = http.MethodPost, w.LB+"/gmail/draft?"+acct
			h.Set("Content-Type", "application/json")
			h.Set("Idempotency-Key", fmt.Sprintf("load-%d-%d", n, r))
			t.Body, _ = json.Marshal(map[string]any{"to": []string{UserEmail(r % len(w.Users))},
				"subject": fmt.Sprintf("Load draft %d", n), "body_text": "Drafted under load."})
		case KindChat:
			t.Method, t.URL = http.MethodPost, w.LB+"/chat?"+acct
			h.Set("Content-Type", "application/json")
			t.Body = []byte(`{"message":"Anything unread about the project?"}`)
		case KindDeliver:
			t.Method, t.URL = http.MethodPost, w.Sandbox+"/sandbox/accounts/"+url.PathEscape(u.Email)+"/messages"
			t.Header = http.Header{"Content-Type": {"application/json"}}
			t.Body, _ = json.Marshal(map[string]any{"from": "Load <load@example.net>",
				"subject": fmt.Sprintf("Load mail %d", n), "text": "Delivered under load."})
		}
		return nil
	}
}

// kindOf names the kind of a result from its method and URL.
func kindOf(r *vegeta.Result) string {
	u, err := url.Parse(r.URL)
	if err != nil {
		return "other"
	}
	switch {
	case strings.HasPrefix(u.Path, "/sandbox/"):
		return KindDeliver
	case u.Path == "/gmail/threads" && u.Query().Get("q") != "":
		return KindSearch
	case u.Path == "/gmail/threads":
		return KindInbox
	case strings.HasPrefix(u.Path, "/gmail/thread/"):
		return KindThread
	case u.Path == "/gmail/draft":
		return KindDraft
	case u.Path == "/chat":
		return KindChat
	}
	return "other"
}

// faultCodes are Jarvis's answers to Google's failures: with the sandbox
// the only source of those is its injected faults (5xx, 429). A Google
// that does not answer in time (upstream_timeout) is not one: the
// sandbox injects no delay beyond its latency, so that is overload.
var faultCodes = map[string]bool{"rate_limited": true, "upstream_unavailable": true}

// Outcome classifies a result: "ok", "fault" (Jarvis passed on a
// failure of Google's, which the sandbox injected) or "error".
func Outcome(r *vegeta.Result) (string, string) {
	if r.Error == "" && r.Code >= 200 && r.Code < 300 {
		return "ok", ""
	}
	var p struct {
		Code string `json:"code"`
	}
	_ = json.Unmarshal(r.Body, &p)
	why := p.Code
	if why == "" {
		why = fmt.Sprintf("%d", r.Code)
		if r.Error != "" {
			why = r.Error
			if len(why) > 80 {
				why = why[:80]
			}
		}
	}
	if faultCodes[p.Code] {
		return "fault", why
	}
	return "error", why
}

// Run is one attack at one rate.
type Run struct {
	Rate     float64       // asked, requests a second
	Duration time.Duration // asked
	// All measures every request (deliveries included): its Rate is the
	// rate achieved. Jarvis measures Jarvis's answers alone.
	All    *vegeta.Metrics
	Jarvis *vegeta.Metrics
	// NoChat measures Jarvis's answers but the chat turns, whose time is
	// mostly the model's streaming.
	NoChat *vegeta.Metrics
	ByKind map[string]*vegeta.Metrics
	// Requests, Faults and Errors count Jarvis's answers (deliveries to
	// the sandbox not included); Reasons counts the errors by code.
	Requests, Faults, Errors int
	Reasons                  map[string]int
	FaultReasons             map[string]int
	// Failures are the times of the failed Jarvis requests (errors and
	// faults), for the fault scenarios' timelines.
	Failures []Failure
	Began    time.Time
	// Injected is how many faults the sandbox injected meanwhile (most
	// are retried by Jarvis and never reach a client).
	Injected int
	// Load is the machine's load average over the last minute, read at
	// the end of the run.
	Load string
}

// Failure is one failed request.
type Failure struct {
	At      time.Time
	Kind    string
	Outcome string
	Why     string
}

// ErrorRate is the share of Jarvis's answers that failed for another
// reason than an injected fault.
func (r *Run) ErrorRate() float64 {
	if r.Requests == 0 {
		return 0
	}
	return float64(r.Errors) / float64(r.Requests)
}

// FaultRate is the share that failed because of an injected fault.
func (r *Run) FaultRate() float64 {
	if r.Requests == 0 {
		return 0
	}
	return float64(r.Faults) / float64(r.Requests)
}

// Attack runs the workload at rate requests a second for d (an open
// model: requests start on schedule whether or not earlier ones have
// been answered) and measures it.
func (w *Workload) Attack(ctx context.Context, rate float64, d time.Duration) *Run {
	atk := vegeta.NewAttacker(vegeta.Timeout(30*time.Second), vegeta.KeepAlive(true), vegeta.Workers(32),
		vegeta.MaxBody(64<<10), vegeta.Connections(1000))
	run := &Run{Rate: rate, Duration: d, All: &vegeta.Metrics{}, Jarvis: &vegeta.Metrics{}, NoChat: &vegeta.Metrics{}, ByKind: map[string]*vegeta.Metrics{},
		Reasons: map[string]int{}, FaultReasons: map[string]int{}, Began: time.Now()}
	for _, k := range Kinds {
		run.ByKind[k] = &vegeta.Metrics{}
	}
	stop := context.AfterFunc(ctx, func() { atk.Stop() })
	defer stop()
	pacer := vegeta.ConstantPacer{Freq: int(rate), Per: time.Second}
	for res := range atk.Attack(w.Targeter(), pacer, d, fmt.Sprintf("%.0f/s", rate)) {
		kind := kindOf(res)
		run.All.Add(res)
		if m := run.ByKind[kind]; m != nil {
			m.Add(res)
		}
		outcome, why := Outcome(res)
		if kind == KindDeliver {
			if outcome == "ok" {
				w.acknowledgeDelivery(res)
			}
			continue
		}
		run.Jarvis.Add(res)
		if kind != KindChat {
			run.NoChat.Add(res)
		}
		run.Requests++
		switch outcome {
		case "ok":
			if kind == KindDraft {
				w.acknowledgeDraft(res)
			}
		case "fault":
			run.Faults++
			run.FaultReasons[kind+": "+why]++
			run.Failures = append(run.Failures, Failure{At: res.Timestamp, Kind: kind, Outcome: outcome, Why: why})
		default:
			run.Errors++
			run.Reasons[kind+": "+why]++
			run.Failures = append(run.Failures, Failure{At: res.Timestamp, Kind: kind, Outcome: outcome, Why: why})
		}
	}
	run.Load = loadAverage()
	run.All.Close()
	run.Jarvis.Close()
	run.NoChat.Close()
	for _, m := range run.ByKind {
		m.Close()
	}
	return run
}

func accountOf(r *vegeta.Result) string {
	u, err := url.Parse(r.URL)
	if err != nil {
		return ""
	}
	return u.Query().Get("account")
}

func (w *Workload) acknowledgeDraft(r *vegeta.Result) {
	var d struct {
		DraftID string `json:"draft_id"`
	}
	if json.Unmarshal(r.Body, &d) != nil || d.DraftID == "" {
		return
	}
	w.ackMu.Lock()
	defer w.ackMu.Unlock()
	a := accountOf(r)
	w.Drafts[a] = append(w.Drafts[a], d.DraftID)
}

func (w *Workload) acknowledgeDelivery(r *vegeta.Result) {
	var m struct {
		ThreadID string `json:"threadId"`
	}
	if json.Unmarshal(r.Body, &m) != nil || m.ThreadID == "" {
		return
	}
	u, err := url.Parse(r.URL)
	if err != nil {
		return
	}
	email, _ := url.PathUnescape(strings.TrimSuffix(strings.TrimPrefix(u.EscapedPath(), "/sandbox/accounts/"), "/messages"))
	w.ackMu.Lock()
	defer w.ackMu.Unlock()
	w.Delivered[email] = append(w.Delivered[email], m.ThreadID)
}

// topReasons lists the most frequent reasons, "reason ×n".
func topReasons(m map[string]int, n int) string {
	type kv struct {
		k string
		v int
	}
	var all []kv
	for k, v := range m {
		all = append(all, kv{k, v})
	}
	sort.Slice(all, func(i, j int) bool { return all[i].v > all[j].v || all[i].v == all[j].v && all[i].k < all[j].k })
	var parts []string
	for i, e := range all {
		if i == n {
			parts = append(parts, "…")
			break
		}
		parts = append(parts, fmt.Sprintf("%s ×%d", e.k, e.v))
	}
	return strings.Join(parts, ", ")
}
