// Package pubsub is the sandbox's Cloud Pub/Sub: topics, push and pull
// subscriptions, served as Pub/Sub's REST API v1 so that
// google.golang.org/api/pubsub/v1 runs against it unchanged. Gmail's
// users.watch publishes here. Push subscriptions deliver Pub/Sub's push
// envelope with an OIDC token through package push; pull subscriptions keep
// their messages until they are acknowledged, redelivering those whose ack
// deadline passes.
package pubsub

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jarvis-hq/jarvis/internal/sandbox/push"
)

// Pub/Sub's limits and defaults.
const (
	DefaultAckDeadline = 10 * time.Second
	MaxAckDeadline     = 600 * time.Second
	DefaultRetention   = 7 * 24 * time.Hour
	// tokenTTL is the push token's lifetime, as Pub/Sub's (one hour).
	tokenTTL = time.Hour
)

// Errors, each mapped to Pub/Sub's status by the handler.
var (
	ErrNotFound = errors.New("pubsub: not found")
	ErrExists   = errors.New("pubsub: already exists")
	ErrInvalid  = errors.New("pubsub: invalid argument")
)

var (
	topicName = regexp.MustCompile(`^projects/([a-z][a-z0-9-]{4,28}[a-z0-9]|[A-Za-z0-9._:-]{1,100})/topics/([A-Za-z][A-Za-z0-9\-_.~+%]{2,254})$`)
	subName   = regexp.MustCompile(`^projects/([a-z][a-z0-9-]{4,28}[a-z0-9]|[A-Za-z0-9._:-]{1,100})/subscriptions/([A-Za-z][A-Za-z0-9\-_.~+%]{2,254})$`)
)

// ValidTopic reports whether name looks like projects/P/topics/T.
func ValidTopic(name string) bool { return topicName.MatchString(name) }

// Message is a published message.
type Message struct {
	Data        []byte            `json:"data"`
	Attributes  map[string]string `json:"attributes,omitempty"`
	ID          string            `json:"id"`
	PublishTime time.Time         `json:"publish_time"`
}

// OIDCToken is a push subscription's token settings.
type OIDCToken struct {
	ServiceAccountEmail string `json:"serviceAccountEmail"`
	Audience            string `json:"audience,omitempty"`
}

// PushConfig is a subscription's push settings; an empty endpoint is a
// pull subscription.
type PushConfig struct {
	PushEndpoint string            `json:"pushEndpoint,omitempty"`
	Attributes   map[string]string `json:"attributes,omitempty"`
	OIDCToken    *OIDCToken        `json:"oidcToken,omitempty"`
}

// RetryPolicy bounds a push subscription's retry delay.
type RetryPolicy struct {
	MinimumBackoff string `json:"minimumBackoff,omitempty"`
	MaximumBackoff string `json:"maximumBackoff,omitempty"`
}

// Subscription is a subscription's settings, as the REST API shows them.
type Subscription struct {
	Name                     string       `json:"name"`
	Topic                    string       `json:"topic"`
	PushConfig               PushConfig   `json:"pushConfig"`
	AckDeadlineSeconds       int          `json:"ackDeadlineSeconds"`
	MessageRetentionDuration string       `json:"messageRetentionDuration,omitempty"`
	RetryPolicy              *RetryPolicy `json:"retryPolicy,omitempty"`
	State                    string       `json:"state,omitempty"`
}

// Topic is a topic, as the REST API shows it.
type Topic struct {
	Name string `json:"name"`
}

// outstanding is a message a pull subscription has not had acknowledged.
type outstanding struct {
	msg      Message
	ackID    string    // of the latest delivery; "" before the first
	deadline time.Time // the lease of the latest delivery
	attempts int
}

type subscription struct {
	Subscription
	minBackoff, maxBackoff time.Duration
	backlog                []*outstanding // pull only, publish order
}

func (s *subscription) push() bool { return s.PushConfig.PushEndpoint != "" }

// Config configures a Service.
type Config struct {
	Now func() time.Time
	// Sign signs a JWT's claims with the key the sandbox serves as
	// Google's certs; required for push subscriptions with an oidcToken.
	Sign func(claims map[string]any) string
	// Push delivers push messages; nil leaves push subscriptions silent.
	Push *push.Dispatcher
	// Count, when set, is told every REST call by method name.
	Count func(name string)
}

// Service is the sandbox's Pub/Sub. It is safe for concurrent use.
type Service struct {
	cfg Config

	mu     sync.Mutex
	topics map[string]bool
	subs   map[string]*subscription
	seq    uint64
	wake   chan struct{} // closed and replaced on every publish
}

// New returns an empty Pub/Sub.
func New(cfg Config) *Service {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Count == nil {
		cfg.Count = func(string) {}
	}
	var seed [4]byte
	_, _ = rand.Read(seed[:])
	return &Service{cfg: cfg, topics: map[string]bool{}, subs: map[string]*subscription{}, seq: uint64(seed[0])<<32 | uint64(seed[1])<<24 | 1_000_000_000_000, wake: make(chan struct{})}
}

// CreateTopic creates a topic; ErrExists if it is there, ErrInvalid for a
// name not shaped projects/P/topics/T.
func (s *Service) CreateTopic(name string) error {
	if !ValidTopic(name) {
		return errf(ErrInvalid, "Invalid [topics] name: (name=%s)", name)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.topics[name] {
		return errf(ErrExists, "Resource already exists in the project (resource=%s).", lastSeg(name))
	}
	s.topics[name] = true
	return nil
}

// EnsureTopic creates a topic unless it exists.
func (s *Service) EnsureTopic(name string) error {
	if err := s.CreateTopic(name); err != nil && !errors.Is(err, ErrExists) {
		return err
	}
	return nil
}

// HasTopic reports whether a topic exists.
func (s *Service) HasTopic(name string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.topics[name]
}

// DeleteTopic deletes a topic; its subscriptions stay, detached, as in
// Pub/Sub.
func (s *Service) DeleteTopic(name string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.topics[name] {
		return notFound(name)
	}
	delete(s.topics, name)
	for _, sub := range s.subs {
		if sub.Topic == name {
			sub.Topic = "_deleted-topic_"
		}
	}
	return nil
}

// Topics lists the topics of a project, sorted.
func (s *Service) Topics(project string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for t := range s.topics {
		if strings.HasPrefix(t, "projects/"+project+"/") {
			out = append(out, t)
		}
	}
	sort.Strings(out)
	return out
}

func lastSeg(name string) string { return name[strings.LastIndex(name, "/")+1:] }

// apiError is an error with the message Pub/Sub gives, of a kind
// (ErrNotFound, ErrExists, ErrInvalid) that sets its status.
type apiError struct {
	kind error
	msg  string
}

func (e *apiError) Error() string { return e.kind.Error() + ": " + e.msg }
func (e *apiError) Unwrap() error { return e.kind }

func errf(kind error, format string, args ...any) error {
	return &apiError{kind, fmt.Sprintf(format, args...)}
}

func notFound(name string) error {
	return errf(ErrNotFound, "Resource not found (resource=%s).", lastSeg(name))
}

// CreateSubscription creates a subscription on an existing topic, filling
// Pub/Sub's defaults: ack deadline 10 s (10–600), retention 7 days, retry
// backoff from the dispatcher, and an oidcToken audience of the push
// endpoint when it is left empty.
func (s *Service) CreateSubscription(in Subscription) (Subscription, error) {
	if !subName.MatchString(in.Name) {
		return Subscription{}, errf(ErrInvalid, "Invalid [subscriptions] name: (name=%s)", in.Name)
	}
	if !ValidTopic(in.Topic) {
		return Subscription{}, errf(ErrInvalid, "Invalid [topics] name: (name=%s)", in.Topic)
	}
	switch {
	case in.AckDeadlineSeconds == 0:
		in.AckDeadlineSeconds = int(DefaultAckDeadline / time.Second)
	case in.AckDeadlineSeconds < 10 || in.AckDeadlineSeconds > 600:
		return Subscription{}, errf(ErrInvalid, "The ack deadline must be between 10 and 600 seconds (got %d).", in.AckDeadlineSeconds)
	}
	if in.MessageRetentionDuration == "" {
		in.MessageRetentionDuration = strconv.Itoa(int(DefaultRetention/time.Second)) + "s"
	}
	if _, err := parseSeconds(in.MessageRetentionDuration); err != nil {
		return Subscription{}, errf(ErrInvalid, "Invalid messageRetentionDuration %q.", in.MessageRetentionDuration)
	}
	sub := &subscription{Subscription: in}
	sub.State = "ACTIVE"
	if p := in.PushConfig.PushEndpoint; p != "" {
		if !strings.HasPrefix(p, "http://") && !strings.HasPrefix(p, "https://") {
			return Subscription{}, errf(ErrInvalid, "Invalid push endpoint given (endpoint=%s).", p)
		}
		if t := in.PushConfig.OIDCToken; t != nil {
			if t.ServiceAccountEmail == "" {
				return Subscription{}, errf(ErrInvalid, "An OIDC token needs a service account email.")
			}
		}
	}
	if rp := in.RetryPolicy; rp != nil {
		var err error
		if rp.MinimumBackoff != "" {
			if sub.minBackoff, err = parseSeconds(rp.MinimumBackoff); err != nil || sub.minBackoff > 600*time.Second {
				return Subscription{}, errf(ErrInvalid, "Invalid minimumBackoff %q.", rp.MinimumBackoff)
			}
		}
		if rp.MaximumBackoff != "" {
			if sub.maxBackoff, err = parseSeconds(rp.MaximumBackoff); err != nil || sub.maxBackoff > 600*time.Second {
				return Subscription{}, errf(ErrInvalid, "Invalid maximumBackoff %q.", rp.MaximumBackoff)
			}
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.topics[in.Topic] {
		return Subscription{}, notFound(in.Topic)
	}
	if s.subs[in.Name] != nil {
		return Subscription{}, errf(ErrExists, "Resource already exists in the project (resource=%s).", lastSeg(in.Name))
	}
	s.subs[in.Name] = sub
	return sub.view(), nil
}

func (s *subscription) view() Subscription {
	v := s.Subscription
	v.PushConfig.Attributes = cloneMap(v.PushConfig.Attributes)
	if t := v.PushConfig.OIDCToken; t != nil {
		c := *t
		v.PushConfig.OIDCToken = &c
	}
	if rp := v.RetryPolicy; rp != nil {
		c := *rp
		v.RetryPolicy = &c
	}
	return v
}

func cloneMap(m map[string]string) map[string]string {
	if m == nil {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// parseSeconds reads a protobuf Duration in JSON ("600s", "3.5s").
func parseSeconds(v string) (time.Duration, error) {
	n, ok := strings.CutSuffix(v, "s")
	if !ok {
		return 0, ErrInvalid
	}
	f, err := strconv.ParseFloat(n, 64)
	if err != nil || f < 0 {
		return 0, ErrInvalid
	}
	return time.Duration(f * float64(time.Second)), nil
}

// Subscription returns a subscription's settings; ErrNotFound.
func (s *Service) Subscription(name string) (Subscription, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sub := s.subs[name]
	if sub == nil {
		return Subscription{}, notFound(name)
	}
	return sub.view(), nil
}

// Subscriptions lists a project's subscriptions, sorted by name.
func (s *Service) Subscriptions(project string) []Subscription {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Subscription
	for name, sub := range s.subs {
		if strings.HasPrefix(name, "projects/"+project+"/") {
			out = append(out, sub.view())
		}
	}
	slices.SortFunc(out, func(a, b Subscription) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// DeleteSubscription deletes a subscription, its backlog and its pending
// pushes; ErrNotFound.
func (s *Service) DeleteSubscription(name string) error {
	s.mu.Lock()
	if s.subs[name] == nil {
		s.mu.Unlock()
		return notFound(name)
	}
	delete(s.subs, name)
	s.mu.Unlock()
	if s.cfg.Push != nil {
		s.cfg.Push.Cancel(name)
	}
	return nil
}

// Publish publishes a message to a topic and returns its id; ErrNotFound
// for a topic that does not exist.
func (s *Service) Publish(topic string, data []byte, attrs map[string]string) (string, error) {
	s.mu.Lock()
	if !s.topics[topic] {
		s.mu.Unlock()
		return "", notFound(topic)
	}
	s.seq += 1 + s.seq%7
	msg := Message{Data: data, Attributes: cloneMap(attrs), ID: strconv.FormatUint(s.seq, 10), PublishTime: s.cfg.Now().UTC()}
	var pushes []*subscription
	names := make([]string, 0, len(s.subs))
	for name := range s.subs {
		names = append(names, name)
	}
	sort.Strings(names) // a stable order keeps seeded fault draws reproducible
	for _, name := range names {
		sub := s.subs[name]
		if sub.Topic != topic {
			continue
		}
		if sub.push() {
			pushes = append(pushes, sub)
			continue
		}
		sub.backlog = append(sub.backlog, &outstanding{msg: msg})
	}
	views := make([]Subscription, len(pushes))
	backoffs := make([][2]time.Duration, len(pushes))
	for i, sub := range pushes {
		views[i] = sub.view()
		backoffs[i] = [2]time.Duration{sub.minBackoff, sub.maxBackoff}
	}
	close(s.wake)
	s.wake = make(chan struct{})
	s.mu.Unlock()
	for i, sub := range views {
		s.enqueuePush(sub, msg, backoffs[i])
	}
	return msg.ID, nil
}

// envelope is Pub/Sub's push request body.
type envelope struct {
	Message      pushMessage `json:"message"`
	Subscription string      `json:"subscription"`
}

type pushMessage struct {
	Attributes   map[string]string `json:"attributes,omitempty"`
	Data         string            `json:"data"`
	MessageID    string            `json:"messageId"`
	MessageID2   string            `json:"message_id"`
	PublishTime  string            `json:"publishTime"`
	PublishTime2 string            `json:"publish_time"`
}

// publishTime formats a time as Pub/Sub does: RFC 3339, UTC, with the
// fraction it has.
func publishTime(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

func (s *Service) enqueuePush(sub Subscription, msg Message, backoff [2]time.Duration) {
	if s.cfg.Push == nil {
		return
	}
	pt := publishTime(msg.PublishTime)
	body, _ := json.Marshal(envelope{
		Message: pushMessage{
			Attributes: msg.Attributes,
			Data:       base64.StdEncoding.EncodeToString(msg.Data),
			MessageID:  msg.ID, MessageID2: msg.ID,
			PublishTime: pt, PublishTime2: pt,
		},
		Subscription: sub.Name,
	})
	retention, _ := parseSeconds(sub.MessageRetentionDuration)
	pc := sub.PushConfig
	s.cfg.Push.Enqueue(push.Delivery{
		Kind:   "pubsub",
		Source: sub.Name,
		ID:     msg.ID,
		URL:    pc.PushEndpoint,
		Body:   body,
		Header: func() http.Header {
			h := http.Header{}
			h.Set("Content-Type", "application/json")
			h.Set("User-Agent", "APIs-Google; (+https://developers.google.com/webmasters/APIs-Google.html)")
			if pc.OIDCToken != nil && s.cfg.Sign != nil {
				h.Set("Authorization", "Bearer "+s.Token(*pc.OIDCToken, pc.PushEndpoint))
			}
			return h
		},
		// Pub/Sub takes 102, 200, 201, 202 and 204 as an acknowledgement
		// and retries everything else.
		Success: func(st int) bool {
			return st == 102 || st == 200 || st == 201 || st == 202 || st == 204
		},
		Expires:    msg.PublishTime.Add(retention),
		MinBackoff: backoff[0],
		MaxBackoff: backoff[1],
	})
}

// Token signs the OIDC token Pub/Sub puts on a push: iss
// https://accounts.google.com, aud (the push endpoint when the audience is
// left empty), email, email_verified, sub and azp (the service account's
// id), iat and exp.
func (s *Service) Token(t OIDCToken, endpoint string) string {
	aud := t.Audience
	if aud == "" {
		aud = endpoint
	}
	now := s.cfg.Now()
	id := serviceAccountID(t.ServiceAccountEmail)
	return s.cfg.Sign(map[string]any{
		"iss":            "https://accounts.google.com",
		"aud":            aud,
		"azp":            id,
		"sub":            id,
		"email":          t.ServiceAccountEmail,
		"email_verified": true,
		"iat":            now.Unix(),
		"exp":            now.Add(tokenTTL).Unix(),
	})
}

// serviceAccountID derives a stable 21-digit numeric id from an email, as
// Google's service account unique ids look.
func serviceAccountID(email string) string {
	var n uint64 = 1469598103934665603
	for _, c := range []byte(strings.ToLower(email)) {
		n = (n ^ uint64(c)) * 1099511628211
	}
	return "1" + fmt.Sprintf("%020d", n)
}

// Received is a message handed out by Pull.
type Received struct {
	AckID           string
	Message         Message
	DeliveryAttempt int
}

// Pull hands out up to max messages of a pull subscription that are not
// leased, each leased until its ack deadline; messages whose deadline has
// passed are handed out again with a new ack id. ErrNotFound; ErrInvalid
// for a push subscription.
func (s *Service) Pull(name string, maxMessages int) ([]Received, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sub := s.subs[name]
	if sub == nil {
		return nil, notFound(name)
	}
	if maxMessages <= 0 {
		return nil, errf(ErrInvalid, "max_messages must be positive.")
	}
	now := s.cfg.Now()
	s.expire(sub, now)
	var out []Received
	for _, o := range sub.backlog {
		if len(out) == maxMessages {
			break
		}
		if o.ackID != "" && now.Before(o.deadline) {
			continue
		}
		o.ackID = newAckID()
		o.deadline = now.Add(time.Duration(sub.AckDeadlineSeconds) * time.Second)
		o.attempts++
		out = append(out, Received{AckID: o.ackID, Message: o.msg, DeliveryAttempt: o.attempts})
	}
	return out, nil
}

// expire drops messages older than the retention. The caller holds s.mu.
func (s *Service) expire(sub *subscription, now time.Time) {
	ret, _ := parseSeconds(sub.MessageRetentionDuration)
	sub.backlog = slices.DeleteFunc(sub.backlog, func(o *outstanding) bool {
		return ret > 0 && now.Sub(o.msg.PublishTime) > ret
	})
}

// Wait returns a channel closed at the next publish.
func (s *Service) Wait() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.wake
}

func newAckID() string {
	var b [24]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// Acknowledge removes the messages of the given ack ids; ids that are
// unknown or whose lease has passed are ignored, as Pub/Sub ignores them.
func (s *Service) Acknowledge(name string, ackIDs []string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	sub := s.subs[name]
	if sub == nil {
		return notFound(name)
	}
	now := s.cfg.Now()
	sub.backlog = slices.DeleteFunc(sub.backlog, func(o *outstanding) bool {
		return o.ackID != "" && slices.Contains(ackIDs, o.ackID) && !now.After(o.deadline)
	})
	return nil
}

// ModifyAckDeadline sets the lease of the given ack ids to seconds from
// now (0 hands them back at once); 0–600.
func (s *Service) ModifyAckDeadline(name string, ackIDs []string, seconds int) error {
	if seconds < 0 || seconds > 600 {
		return errf(ErrInvalid, "Invalid ack deadline given: %d (must be 0 to 600).", seconds)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	sub := s.subs[name]
	if sub == nil {
		return notFound(name)
	}
	now := s.cfg.Now()
	for _, o := range sub.backlog {
		if o.ackID != "" && slices.Contains(ackIDs, o.ackID) && !now.After(o.deadline) {
			o.deadline = now.Add(time.Duration(seconds) * time.Second)
			if seconds == 0 {
				o.deadline = now
			}
		}
	}
	return nil
}

// Backlog returns how many messages a pull subscription keeps unacked.
func (s *Service) Backlog(name string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if sub := s.subs[name]; sub != nil {
		return len(sub.backlog)
	}
	return 0
}

// State is the Pub/Sub's topics and subscriptions, with the messages pull
// subscriptions keep, as the sandbox's state file holds them. Leases and
// pushes on their way are not kept: after a restore every kept message is
// handed out again.
type State struct {
	Topics        []string            `json:"topics,omitempty"`
	Subscriptions []SubscriptionState `json:"subscriptions,omitempty"`
	Seq           uint64              `json:"seq,omitempty"`
}

// SubscriptionState is a subscription and its unacknowledged messages.
type SubscriptionState struct {
	Subscription
	Backlog []Message `json:"backlog,omitempty"`
}

// Snapshot returns the state to save.
func (s *Service) Snapshot() State {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := State{Seq: s.seq}
	for t := range s.topics {
		st.Topics = append(st.Topics, t)
	}
	sort.Strings(st.Topics)
	for _, sub := range s.subs {
		ss := SubscriptionState{Subscription: sub.view()}
		for _, o := range sub.backlog {
			ss.Backlog = append(ss.Backlog, o.msg)
		}
		st.Subscriptions = append(st.Subscriptions, ss)
	}
	slices.SortFunc(st.Subscriptions, func(a, b SubscriptionState) int { return strings.Compare(a.Name, b.Name) })
	return st
}

// Restore replaces the topics and subscriptions with a saved state. A
// subscription that does not hold together is an error, and then nothing
// changes.
func (s *Service) Restore(st State) error {
	topics := map[string]bool{}
	for _, t := range st.Topics {
		if !ValidTopic(t) {
			return fmt.Errorf("pubsub: topic %q is not a topic name", t)
		}
		topics[t] = true
	}
	subs := map[string]*subscription{}
	for _, ss := range st.Subscriptions {
		probe := &Service{cfg: s.cfg, topics: map[string]bool{ss.Topic: true}, subs: map[string]*subscription{}, wake: make(chan struct{})}
		in := ss.Subscription
		if in.Topic == "_deleted-topic_" {
			in.Topic = "projects/sandbox/topics/deleted"
			probe.topics[in.Topic] = true
		}
		if _, err := probe.CreateSubscription(in); err != nil {
			return fmt.Errorf("pubsub: subscription %q: %w", ss.Name, err)
		}
		sub := probe.subs[ss.Name]
		sub.Topic = ss.Topic
		for _, m := range ss.Backlog {
			sub.backlog = append(sub.backlog, &outstanding{msg: m})
		}
		subs[ss.Name] = sub
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.topics, s.subs = topics, subs
	s.seq = max(s.seq, st.Seq)
	return nil
}
