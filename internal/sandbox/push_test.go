package sandbox

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/oauth2"
	calendarapi "google.golang.org/api/calendar/v3"
	"google.golang.org/api/gmail/v1"
	"google.golang.org/api/googleapi"
	"google.golang.org/api/idtoken"
	"google.golang.org/api/option"
	pubsubapi "google.golang.org/api/pubsub/v1"

	"github.com/jarvis-hq/jarvis/internal/sandbox/push"
)

// received is one request a receiver got.
type received struct {
	header http.Header
	body   []byte
}

// receiver is an HTTP endpoint that records what it is sent and answers
// the statuses it is told, then 200.
type receiver struct {
	*httptest.Server
	mu       sync.Mutex
	got      []received
	statuses []int
}

func newReceiver(t *testing.T, statuses ...int) *receiver {
	t.Helper()
	rc := &receiver{statuses: statuses}
	rc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		rc.mu.Lock()
		rc.got = append(rc.got, received{r.Header.Clone(), body})
		st := http.StatusOK
		if len(rc.statuses) > 0 {
			st, rc.statuses = rc.statuses[0], rc.statuses[1:]
		}
		rc.mu.Unlock()
		w.WriteHeader(st)
	}))
	t.Cleanup(rc.Close)
	return rc
}

func (rc *receiver) all() []received {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return slices.Clone(rc.got)
}

// gmailPush is a decoded Pub/Sub push of a Gmail notification.
type gmailPush struct {
	Message struct {
		Data         string            `json:"data"`
		Attributes   map[string]string `json:"attributes"`
		MessageID    string            `json:"messageId"`
		MessageID2   string            `json:"message_id"`
		PublishTime  string            `json:"publishTime"`
		PublishTime2 string            `json:"publish_time"`
	} `json:"message"`
	Subscription string `json:"subscription"`
	Email        string
	HistoryID    uint64
	Token        string
}

func decodePush(t *testing.T, r received) gmailPush {
	t.Helper()
	var p gmailPush
	if err := json.Unmarshal(r.body, &p); err != nil {
		t.Fatalf("push body %s: %v", r.body, err)
	}
	data, err := base64.StdEncoding.DecodeString(p.Message.Data)
	if err != nil {
		t.Fatalf("data %q: %v", p.Message.Data, err)
	}
	var n struct {
		EmailAddress string `json:"emailAddress"`
		HistoryID    uint64 `json:"historyId"`
	}
	if err := json.Unmarshal(data, &n); err != nil {
		t.Fatalf("notification %s: %v", data, err)
	}
	p.Email, p.HistoryID = n.EmailAddress, n.HistoryID
	p.Token = strings.TrimPrefix(r.header.Get("Authorization"), "Bearer ")
	if p.Message.MessageID == "" || p.Message.MessageID != p.Message.MessageID2 || p.Message.PublishTime == "" || p.Message.PublishTime != p.Message.PublishTime2 {
		t.Fatalf("envelope %s", r.body)
	}
	if _, err := time.Parse(time.RFC3339Nano, p.Message.PublishTime); err != nil {
		t.Fatalf("publishTime %q: %v", p.Message.PublishTime, err)
	}
	return p
}

// googleRoute sends requests for www.googleapis.com to the sandbox, as a
// test's HTTP client for Google's certs.
type googleRoute struct{ base *url.URL }

func (g googleRoute) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.URL.Host == "www.googleapis.com" {
		r = r.Clone(r.Context())
		r.URL.Scheme, r.URL.Host, r.Host = g.base.Scheme, g.base.Host, ""
	}
	return http.DefaultTransport.RoundTrip(r)
}

// deliverN delivers n messages to an account, moving the clock by step
// before each, and returns their ids.
func (e *env) deliverN(email string, n int, step time.Duration) []string {
	e.t.Helper()
	var ids []string
	for i := range n {
		e.clock.Add(step)
		id, _, err := e.srv.Deliver(email, fmt.Appendf(nil, "From: mary@example.org\r\nTo: %s\r\nSubject: Change %d\r\nMessage-ID: <change-%d@example.org>\r\n\r\nNumber %d.\r\n", email, i, i, i))
		if err != nil {
			e.t.Fatal(err)
		}
		ids = append(ids, id)
	}
	return ids
}

// replay is a client that syncs on every push: history.list from its
// last history id, ignoring pushes it has already caught up with.
type replay struct {
	t     *testing.T
	svc   *gmail.Service
	last  uint64
	added map[string]bool
	lists int
}

func (rp *replay) sync() {
	rp.t.Helper()
	hs := historyOf(rp.t, rp.svc, rp.last)
	rp.lists++
	for _, h := range hs {
		for _, m := range h.MessagesAdded {
			rp.added[m.Message.Id] = true
		}
		rp.last = max(rp.last, h.Id)
	}
}

func (rp *replay) push(p gmailPush) {
	if p.HistoryID > rp.last {
		rp.sync()
	}
}

func TestGmailWatchPushesLetAClientReplayEveryChange(t *testing.T) {
	rc := newReceiver(t)
	e := newEnv(t, func(c *Config) {
		c.PubSubPush = []string{rc.URL + "/push,audience=jarvis-push"}
		c.PushBackoffMin = time.Second
	})
	e.clock.mu.Lock()
	e.clock.t = time.Now().Truncate(time.Second) // idtoken's validator checks exp against the real time
	e.clock.mu.Unlock()
	tok := e.signIn("ada@example.com", gmail.GmailReadonlyScope)
	svc := e.gmail(tok)
	w, err := svc.Users.Watch("me", &gmail.WatchRequest{TopicName: DefaultPushTopic}).Do()
	if err != nil {
		t.Fatal(err)
	}
	if want := e.clock.Now().Add(7 * 24 * time.Hour).UnixMilli(); w.Expiration != want || w.HistoryId == 0 {
		t.Fatalf("watch = %+v, want expiration %d", w, want)
	}
	// Ten changes a second apart are ten notifications; ten more within
	// the same second are one, with the latest history id.
	ids := e.deliverN("ada@example.com", 10, time.Second)
	ids = append(ids, e.deliverN("ada@example.com", 10, 0)...)
	e.srv.FlushPushes()
	got := rc.all()
	if len(got) != 11 {
		t.Fatalf("%d pushes, want 11 (10 changes a second apart, then 10 coalesced)", len(got))
	}
	prof, err := svc.Users.GetProfile("me").Do()
	if err != nil {
		t.Fatal(err)
	}
	rp := &replay{t: t, svc: svc, last: w.HistoryId, added: map[string]bool{}}
	v, err := idtoken.NewValidator(context.Background(), option.WithHTTPClient(&http.Client{Transport: googleRoute{mustURL(t, e.base)}}))
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range got {
		p := decodePush(t, r)
		if p.Email != "ada@example.com" || p.Subscription != "projects/sandbox/subscriptions/push-1" {
			t.Fatalf("push %d: %+v", i, p)
		}
		if r.header.Get("Content-Type") != "application/json" {
			t.Fatalf("push content type %q", r.header.Get("Content-Type"))
		}
		pl, err := v.Validate(context.Background(), p.Token, "jarvis-push")
		if err != nil {
			t.Fatalf("push %d token: %v", i, err)
		}
		if pl.Issuer != "https://accounts.google.com" || pl.Claims["email"] != DefaultPushAccount || pl.Claims["email_verified"] != true {
			t.Fatalf("token claims %+v", pl)
		}
		if i == 0 {
			if _, err := v.Validate(context.Background(), p.Token, "someone-else"); err == nil {
				t.Fatal("a token for jarvis-push validated for another audience")
			}
		}
		rp.push(p)
	}
	// Pub/Sub does not keep order; the highest id pushed is the mailbox's.
	var highest uint64
	for _, r := range got {
		highest = max(highest, decodePush(t, r).HistoryID)
	}
	if highest != prof.HistoryId {
		t.Fatalf("highest pushed history id %d, mailbox's %d", highest, prof.HistoryId)
	}
	for _, id := range ids {
		if !rp.added[id] {
			t.Fatalf("message %s never seen by the replaying client", id)
		}
	}
	if len(rp.added) != len(ids) {
		t.Fatalf("client saw %d added messages, want %d", len(rp.added), len(ids))
	}

	// users.stop: no more pushes.
	if err := svc.Users.Stop("me").Do(); err != nil {
		t.Fatal(err)
	}
	e.deliverN("ada@example.com", 1, time.Second)
	e.srv.FlushPushes()
	if n := len(rc.all()); n != 11 {
		t.Fatalf("%d pushes after users.stop, want 11", n)
	}
}

func mustURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func TestGmailWatchUnderDropDuplicateReorderHistoryStillTellsEverything(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rnd := rand.New(rand.NewPCG(seed, seed^0x5eed))
	rc := newReceiver(t)
	e := newEnv(t, func(c *Config) {
		c.PubSubPush = []string{rc.URL}
		c.Rand = rnd.Float64
		c.PushDrop, c.PushDuplicate, c.PushReorder = 0.3, 0.3, 0.3
	})
	tok := e.signIn("ada@example.com", gmail.GmailReadonlyScope)
	svc := e.gmail(tok)
	w, err := svc.Users.Watch("me", &gmail.WatchRequest{TopicName: DefaultPushTopic, LabelIds: []string{"INBOX"}}).Do()
	if err != nil {
		t.Fatal(err)
	}
	ids := e.deliverN("ada@example.com", 20, time.Second)
	e.srv.FlushPushes()
	rp := &replay{t: t, svc: svc, last: w.HistoryId, added: map[string]bool{}}
	seen := map[string]int{}
	for _, r := range rc.all() {
		p := decodePush(t, r)
		seen[p.Message.MessageID]++
		rp.push(p)
	}
	// Whatever came, one more sync from the last id tells the rest: a
	// client syncs on a timer too, as pushes can be lost.
	rp.sync()
	for _, id := range ids {
		if !rp.added[id] {
			t.Fatalf("seed %d: message %s never seen", seed, id)
		}
	}
	outcomes := map[string]int{}
	for _, l := range e.srv.PushLog() {
		outcomes[l.Outcome]++
		if l.Duplicate && seen[l.ID] != 2 {
			t.Fatalf("seed %d: duplicated message %s arrived %d times", seed, l.ID, seen[l.ID])
		}
	}
	if outcomes[push.Dropped]+outcomes[push.Delivered] < 20 || outcomes[push.Dropped] == 20 {
		t.Fatalf("seed %d: outcomes %v", seed, outcomes)
	}
	t.Logf("outcomes %v, %d history.list calls", outcomes, rp.lists)
}

func TestGmailWatchLabelFilterAndTopicChecks(t *testing.T) {
	rc := newReceiver(t)
	e := newEnv(t, func(c *Config) { c.PubSubPush = []string{rc.URL + ",topic=projects/my-proj/topics/mail"} })
	tok := e.signIn("ada@example.com", gmail.GmailModifyScope)
	svc := e.gmail(tok)
	for topic, want := range map[string]int{"": 400, "mail": 400, "projects/my-proj/topics/other": 404} {
		_, err := svc.Users.Watch("me", &gmail.WatchRequest{TopicName: topic}).Do()
		if code := apiCode(err); code != want {
			t.Fatalf("watch %q: %v, want %d", topic, err, want)
		}
	}
	if _, err := svc.Users.Watch("me", &gmail.WatchRequest{TopicName: "projects/my-proj/topics/mail", LabelIds: []string{"STARRED"}, LabelFilterBehavior: "include"}).Do(); err != nil {
		t.Fatal(err)
	}
	ids := e.deliverN("ada@example.com", 1, time.Second)
	e.srv.FlushPushes()
	if n := len(rc.all()); n != 0 {
		t.Fatalf("%d pushes for a change outside STARRED", n)
	}
	e.clock.Add(time.Second)
	if _, err := svc.Users.Messages.Modify("me", ids[0], &gmail.ModifyMessageRequest{AddLabelIds: []string{"STARRED"}}).Do(); err != nil {
		t.Fatal(err)
	}
	e.srv.FlushPushes()
	if n := len(rc.all()); n != 1 {
		t.Fatalf("%d pushes for a message starred, want 1", n)
	}
	// exclude: changes to messages in INBOX say nothing.
	if _, err := svc.Users.Watch("me", &gmail.WatchRequest{TopicName: "projects/my-proj/topics/mail", LabelIds: []string{"INBOX"}, LabelFilterBehavior: "exclude"}).Do(); err != nil {
		t.Fatal(err)
	}
	e.deliverN("ada@example.com", 1, time.Second)
	e.srv.FlushPushes()
	if n := len(rc.all()); n != 1 {
		t.Fatalf("%d pushes, an INBOX delivery under exclude INBOX made one", n)
	}
}

func TestPubSubPullAckAndRedelivery(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	ps, err := pubsubapi.NewService(ctx, option.WithEndpoint(e.base+"/"), option.WithoutAuthentication())
	if err != nil {
		t.Fatal(err)
	}
	topic, sub := "projects/jarvis-local/topics/gmail", "projects/jarvis-local/subscriptions/jarvis"
	if _, err := ps.Projects.Topics.Create(topic, &pubsubapi.Topic{}).Do(); err != nil {
		t.Fatal(err)
	}
	if _, err := ps.Projects.Topics.Create(topic, &pubsubapi.Topic{}).Do(); apiCode(err) != 409 {
		t.Fatalf("second topic create: %v", err)
	}
	if _, err := ps.Projects.Subscriptions.Create(sub, &pubsubapi.Subscription{Topic: "projects/jarvis-local/topics/none"}).Do(); apiCode(err) != 404 {
		t.Fatalf("subscription on a missing topic: %v", err)
	}
	got, err := ps.Projects.Subscriptions.Create(sub, &pubsubapi.Subscription{Topic: topic, AckDeadlineSeconds: 20}).Do()
	if err != nil || got.AckDeadlineSeconds != 20 || got.Topic != topic {
		t.Fatalf("create subscription: %+v %v", got, err)
	}
	tok := e.signIn("ada@example.com", gmail.GmailReadonlyScope)
	svc := e.gmail(tok)
	if _, err := svc.Users.Watch("me", &gmail.WatchRequest{TopicName: topic}).Do(); err != nil {
		t.Fatal(err)
	}
	e.deliverN("ada@example.com", 1, time.Second)
	pull := func() []*pubsubapi.ReceivedMessage {
		t.Helper()
		resp, err := ps.Projects.Subscriptions.Pull(sub, &pubsubapi.PullRequest{MaxMessages: 10, ReturnImmediately: true}).Do()
		if err != nil {
			t.Fatal(err)
		}
		return resp.ReceivedMessages
	}
	first := pull()
	if len(first) != 1 {
		t.Fatalf("pulled %d messages, want 1", len(first))
	}
	data, _ := base64.StdEncoding.DecodeString(first[0].Message.Data)
	if !strings.Contains(string(data), `"emailAddress":"ada@example.com"`) {
		t.Fatalf("data %s", data)
	}
	if n := len(pull()); n != 0 {
		t.Fatalf("a leased message was pulled again (%d)", n)
	}
	e.clock.Add(21 * time.Second)
	again := pull()
	if len(again) != 1 || again[0].Message.MessageId != first[0].Message.MessageId || again[0].AckId == first[0].AckId {
		t.Fatalf("after the ack deadline: %+v", again)
	}
	// An ack with the first, lapsed ack id does nothing; the current one acks.
	if _, err := ps.Projects.Subscriptions.Acknowledge(sub, &pubsubapi.AcknowledgeRequest{AckIds: []string{first[0].AckId}}).Do(); err != nil {
		t.Fatal(err)
	}
	if _, err := ps.Projects.Subscriptions.ModifyAckDeadline(sub, &pubsubapi.ModifyAckDeadlineRequest{AckIds: []string{again[0].AckId}, AckDeadlineSeconds: 60}).Do(); err != nil {
		t.Fatal(err)
	}
	e.clock.Add(30 * time.Second)
	if n := len(pull()); n != 0 {
		t.Fatalf("a message whose lease was extended to 60s came back after 30s (%d)", n)
	}
	if _, err := ps.Projects.Subscriptions.Acknowledge(sub, &pubsubapi.AcknowledgeRequest{AckIds: []string{again[0].AckId}}).Do(); err != nil {
		t.Fatal(err)
	}
	e.clock.Add(time.Hour)
	if n := len(pull()); n != 0 {
		t.Fatalf("an acknowledged message came back (%d)", n)
	}
	// modifyAckDeadline 0 hands a message back at once.
	e.deliverN("ada@example.com", 1, time.Second)
	m := pull()
	if len(m) != 1 {
		t.Fatalf("pulled %d", len(m))
	}
	if _, err := ps.Projects.Subscriptions.ModifyAckDeadline(sub, &pubsubapi.ModifyAckDeadlineRequest{AckIds: []string{m[0].AckId}, AckDeadlineSeconds: 0}).Do(); err != nil {
		t.Fatal(err)
	}
	if n := len(pull()); n != 1 {
		t.Fatalf("nacked message: pulled %d, want 1", n)
	}
	if err := func() error {
		_, err := ps.Projects.Subscriptions.Delete(sub).Do()
		return err
	}(); err != nil {
		t.Fatal(err)
	}
	if _, err := ps.Projects.Subscriptions.Get(sub).Do(); apiCode(err) != 404 {
		t.Fatalf("get after delete: %v", err)
	}
}

func TestPubSubPushSubscriptionByRESTRetriesWithBackoff(t *testing.T) {
	rc := newReceiver(t, 500, 503, 404)
	e := newEnv(t, func(c *Config) { c.PushBackoffMin, c.PushBackoffMax = 10*time.Second, 15*time.Second })
	ps, err := pubsubapi.NewService(context.Background(), option.WithEndpoint(e.base+"/"), option.WithoutAuthentication())
	if err != nil {
		t.Fatal(err)
	}
	topic := "projects/jarvis-local/topics/topic-1"
	if _, err := ps.Projects.Topics.Create(topic, &pubsubapi.Topic{}).Do(); err != nil {
		t.Fatal(err)
	}
	sub, err := ps.Projects.Subscriptions.Create("projects/jarvis-local/subscriptions/sub-1", &pubsubapi.Subscription{
		Topic:      topic,
		PushConfig: &pubsubapi.PushConfig{PushEndpoint: rc.URL, OidcToken: &pubsubapi.OidcToken{ServiceAccountEmail: "push@jarvis-local.iam.gserviceaccount.com"}},
	}).Do()
	if err != nil || sub.PushConfig.PushEndpoint != rc.URL || sub.AckDeadlineSeconds != 10 {
		t.Fatalf("create: %+v %v", sub, err)
	}
	pub, err := ps.Projects.Topics.Publish(topic, &pubsubapi.PublishRequest{Messages: []*pubsubapi.PubsubMessage{{Data: base64.StdEncoding.EncodeToString([]byte("hi")), Attributes: map[string]string{"k": "v"}}}}).Do()
	if err != nil {
		t.Fatal(err)
	}
	// The first attempt runs on its own; wait for it, then each retry is
	// due 10s, then 15s (the maximum) later.
	logged := func(n int) func() bool { return func() bool { return len(e.srv.PushLog()) == n } }
	waitFor(t, logged(1))
	e.clock.Add(10 * time.Second)
	waitFor(t, logged(2))
	e.clock.Add(15 * time.Second)
	waitFor(t, logged(3))
	e.srv.FlushPushes()
	var outs []string
	var nexts []time.Duration
	for _, l := range e.srv.PushLog() {
		outs = append(outs, l.Outcome)
		if !l.NextTry.IsZero() {
			nexts = append(nexts, l.NextTry.Sub(l.At))
		}
	}
	if want := []string{"failed", "failed", "failed", "delivered"}; !slices.Equal(outs, want) {
		t.Fatalf("outcomes %v, want %v", outs, want)
	}
	if !slices.Equal(nexts, []time.Duration{10 * time.Second, 15 * time.Second, 15 * time.Second}) {
		t.Fatalf("backoffs %v", nexts)
	}
	var env struct {
		Message struct {
			Data       string            `json:"data"`
			Attributes map[string]string `json:"attributes"`
			MessageID  string            `json:"messageId"`
		} `json:"message"`
		Subscription string `json:"subscription"`
	}
	got := rc.all()
	if err := json.Unmarshal(got[3].body, &env); err != nil || env.Message.MessageID != pub.MessageIds[0] || env.Message.Attributes["k"] != "v" || env.Message.Data != "aGk=" || env.Subscription != "projects/jarvis-local/subscriptions/sub-1" {
		t.Fatalf("envelope %s (%v)", got[3].body, err)
	}
	// The default audience is the endpoint.
	p, err := idtoken.ParsePayload(strings.TrimPrefix(got[3].header.Get("Authorization"), "Bearer "))
	if err != nil || p.Audience != rc.URL || p.Claims["email"] != "push@jarvis-local.iam.gserviceaccount.com" {
		t.Fatalf("token %+v %v", p, err)
	}
	if st := e.srv.Stats(); st["pubsub.delivered"] != 1 || st["pubsub.failed"] != 3 || st["pubsub.projects.topics.publish"] != 1 {
		t.Fatalf("stats %v", st)
	}
}

// waitFor waits until cond holds, failing after thirty seconds: long
// enough for a machine busy with other work, since the wait ends as soon as
// the state is reached.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached in 30s")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestPushFaultsByAdminRouteRefuseThenDeliver(t *testing.T) {
	rc := newReceiver(t)
	e := newEnv(t, func(c *Config) { c.PubSubPush = []string{rc.URL} })
	var f Faults
	if code := e.adminJSON("/sandbox/faults", `{"push_refuse":"1h","push_delay":"5s","push_drop":0.5}`, &f); code != 200 {
		t.Fatalf("faults: %d", code)
	}
	if f.PushRefuse == nil || time.Duration(*f.PushRefuse) != time.Hour || *f.PushDrop != 0.5 || time.Duration(*f.PushDelay) != 5*time.Second {
		t.Fatalf("faults answer %+v", f)
	}
	if code := e.adminJSON("/sandbox/faults", `{"push_drop":1.5}`, nil); code != 400 {
		t.Fatalf("push_drop 1.5: %d", code)
	}
	if code := e.adminJSON("/sandbox/faults", `{"push_drop":0,"push_delay":"0s"}`, nil); code != 200 {
		t.Fatal(code)
	}
	tok := e.signIn("ada@example.com", gmail.GmailReadonlyScope)
	if _, err := e.gmail(tok).Users.Watch("me", &gmail.WatchRequest{TopicName: DefaultPushTopic}).Do(); err != nil {
		t.Fatal(err)
	}
	e.deliverN("ada@example.com", 1, time.Second)
	var fl struct {
		Attempts []push.Entry `json:"attempts"`
		Pending  int          `json:"pending"`
	}
	// The dispatcher may have made its own attempt just before the flush.
	if code := e.adminJSON("/sandbox/pubsub/flush", `{}`, &fl); code != 200 || len(fl.Attempts) == 0 || fl.Attempts[len(fl.Attempts)-1].Outcome != push.Refused || fl.Pending != 1 {
		t.Fatalf("flush during a refusal: %d %+v", code, fl)
	}
	if len(rc.all()) != 0 {
		t.Fatal("a push got through a refusal")
	}
	e.adminJSON("/sandbox/faults", `{"push_refuse":"0s"}`, nil)
	if code := e.adminJSON("/sandbox/pubsub/flush", `{}`, &fl); code != 200 || len(fl.Attempts) == 0 || fl.Attempts[len(fl.Attempts)-1].Outcome != push.Delivered || fl.Pending != 0 {
		t.Fatalf("flush after the refusal: %+v", fl)
	}
	resp, err := http.Get(e.base + "/sandbox/pubsub/log")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var lg struct {
		Deliveries []push.Entry `json:"deliveries"`
	}
	// The first attempt may be the dispatcher's own, before the flush.
	if err := json.NewDecoder(resp.Body).Decode(&lg); err != nil || len(lg.Deliveries) < 2 || lg.Deliveries[0].Kind != "pubsub" ||
		lg.Deliveries[len(lg.Deliveries)-1].Outcome != push.Delivered || lg.Deliveries[len(lg.Deliveries)-2].Outcome != push.Refused {
		t.Fatalf("log %+v %v", lg, err)
	}
	if st := e.srv.Stats(); st["pubsub.refused"] != int64(len(lg.Deliveries)-1) || st["pubsub.delivered"] != 1 || st["gmail.push"] != 1 {
		t.Fatalf("stats %v", st)
	}
}

func TestCalendarWatchChannelNotifies(t *testing.T) {
	rc := newReceiver(t, 200, 503)
	e := newEnv(t, nil)
	tok := e.signIn("ada@example.com", "https://www.googleapis.com/auth/calendar.readonly")
	cal := e.calendar(tok)
	ch, err := cal.Events.Watch("primary", &calendarChannel{Id: "chan-1", Type: "web_hook", Address: rc.URL + "/hook", Token: "target=jarvis", Params: map[string]string{"ttl": "3600"}}).Do()
	if err != nil {
		t.Fatal(err)
	}
	if ch.ResourceId == "" || ch.ResourceUri != e.base+"/calendar/v3/calendars/primary/events?alt=json" || ch.Expiration != e.clock.Now().Add(time.Hour).UnixMilli() || ch.Id != "chan-1" {
		t.Fatalf("channel %+v", ch)
	}
	if _, err := cal.Events.Watch("primary", &calendarChannel{Id: "chan-1", Type: "web_hook", Address: rc.URL}).Do(); apiCode(err) != 400 {
		t.Fatalf("second channel with the same id: %v", err)
	}
	e.srv.FlushPushes()
	if err := e.srv.calendar.LoadICS("ada@example.com", "new.ics", []byte("BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:fresh-1\r\nDTSTART:20260326T100000Z\r\nDTEND:20260326T110000Z\r\nSUMMARY:Fresh\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")); err != nil {
		t.Fatal(err)
	}
	e.srv.FlushPushes() // the exists notification answered 503
	e.srv.FlushPushes() // and its retry 200
	got := rc.all()
	if len(got) != 3 {
		t.Fatalf("%d notifications, want sync, exists, exists again", len(got))
	}
	for i, want := range []struct{ state, number string }{{"sync", "1"}, {"exists", "2"}, {"exists", "2"}} {
		h := got[i].header
		if h.Get("X-Goog-Resource-State") != want.state || h.Get("X-Goog-Message-Number") != want.number ||
			h.Get("X-Goog-Channel-ID") != "chan-1" || h.Get("X-Goog-Channel-Token") != "target=jarvis" ||
			h.Get("X-Goog-Resource-ID") != ch.ResourceId || h.Get("X-Goog-Resource-URI") != ch.ResourceUri ||
			h.Get("X-Goog-Channel-Expiration") != time.UnixMilli(ch.Expiration).UTC().Format(http.TimeFormat) || len(got[i].body) != 0 {
			t.Fatalf("notification %d: %v %q", i, h, got[i].body)
		}
	}
	if err := cal.Channels.Stop(&calendarChannel{Id: "chan-1", ResourceId: ch.ResourceId}).Do(); err != nil {
		t.Fatal(err)
	}
	if err := cal.Channels.Stop(&calendarChannel{Id: "chan-1", ResourceId: ch.ResourceId}).Do(); apiCode(err) != 404 {
		t.Fatalf("stop twice: %v", err)
	}
	_ = e.srv.calendar.LoadICS("ada@example.com", "again.ics", []byte("BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:fresh-2\r\nDTSTART:20260327T100000Z\r\nDTEND:20260327T110000Z\r\nSUMMARY:Again\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"))
	e.srv.FlushPushes()
	if n := len(rc.all()); n != 3 {
		t.Fatalf("%d notifications after channels.stop", n)
	}
	if st := e.srv.Stats(); st["calendar.events.watch"] != 2 || st["calendar.channels.stop"] != 2 || st["calendar.delivered"] != 2 || st["calendar.failed"] != 1 {
		t.Fatalf("stats %v", st)
	}
}

func TestPushStateSurvivesRestart(t *testing.T) {
	path := t.TempDir() + "/jarvis-sandbox.json"
	e := newEnv(t, withState(path))
	ps, err := pubsubapi.NewService(context.Background(), option.WithEndpoint(e.base+"/"), option.WithoutAuthentication())
	if err != nil {
		t.Fatal(err)
	}
	topic, sub := "projects/jarvis-local/topics/gmail", "projects/jarvis-local/subscriptions/pull"
	if _, err := ps.Projects.Topics.Create(topic, &pubsubapi.Topic{}).Do(); err != nil {
		t.Fatal(err)
	}
	if _, err := ps.Projects.Subscriptions.Create(sub, &pubsubapi.Subscription{Topic: topic}).Do(); err != nil {
		t.Fatal(err)
	}
	tok := e.signIn("ada@example.com", gmail.GmailReadonlyScope)
	if _, err := e.gmail(tok).Users.Watch("me", &gmail.WatchRequest{TopicName: topic}).Do(); err != nil {
		t.Fatal(err)
	}
	e.deliverN("ada@example.com", 1, time.Second)
	if err := e.srv.Close(); err != nil {
		t.Fatal(err)
	}
	e2 := newEnv(t, withState(path))
	e2.clock.Add(time.Minute)
	e2.deliverN("ada@example.com", 1, time.Second)
	ps2, _ := pubsubapi.NewService(context.Background(), option.WithEndpoint(e2.base+"/"), option.WithoutAuthentication())
	resp, err := ps2.Projects.Subscriptions.Pull(sub, &pubsubapi.PullRequest{MaxMessages: 10, ReturnImmediately: true}).Do()
	if err != nil || len(resp.ReceivedMessages) != 2 {
		t.Fatalf("after restart: %d messages (%v), want the kept one and the new one", len(resp.ReceivedMessages), err)
	}
	if a, b := resp.ReceivedMessages[0].Message.MessageId, resp.ReceivedMessages[1].Message.MessageId; a == b {
		t.Fatalf("message ids repeat after restart: %s", a)
	}
}

func TestPushFlagsAndSpecs(t *testing.T) {
	for _, bad := range []string{"ftp://x", "http://x,topic=nope", "http://x,colour=red", "http://x,audience"} {
		if _, err := ParsePushSpec(bad); err == nil {
			t.Fatalf("ParsePushSpec(%q) accepted", bad)
		}
	}
	sp, err := ParsePushSpec("https://example.com/push,audience=aud,topic=projects/p1/topics/topic-1,email=a@b.iam.gserviceaccount.com")
	if err != nil || sp != (PushSpec{"https://example.com/push", "aud", "projects/p1/topics/topic-1", "a@b.iam.gserviceaccount.com"}) {
		t.Fatalf("%+v %v", sp, err)
	}
	if _, err := New(Config{BaseURL: "http://127.0.0.1:9", SigningKey: testKey(), PushDrop: 2}); err == nil {
		t.Fatal("PushDrop 2 accepted")
	}
}

type calendarChannel = calendarapi.Channel

// calendar returns the official Calendar client for a token.
func (e *env) calendar(tok *oauth2.Token) *calendarapi.Service {
	e.t.Helper()
	ctx := context.Background()
	svc, err := calendarapi.NewService(ctx, option.WithEndpoint(e.base+"/calendar/v3/"), option.WithTokenSource(e.conf.TokenSource(ctx, tok)))
	if err != nil {
		e.t.Fatal(err)
	}
	return svc
}

// apiCode is the HTTP status of a Google API error, 0 for another error
// or none.
func apiCode(err error) int {
	var ge *googleapi.Error
	if errors.As(err, &ge) {
		return ge.Code
	}
	return 0
}
