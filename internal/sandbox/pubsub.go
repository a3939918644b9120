package sandbox

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/jarvis-hq/jarvis/internal/sandbox/pubsub"
	"github.com/jarvis-hq/jarvis/internal/sandbox/push"
	"github.com/jarvis-hq/jarvis/internal/sandbox/wire"
)

// The topic and service account a --pubsub-push subscription uses unless
// it names others.
const (
	DefaultPushTopic   = "projects/sandbox/topics/gmail"
	DefaultPushAccount = "pubsub-push@sandbox.iam.gserviceaccount.com"
)

// PushSpec is one --pubsub-push subscription.
type PushSpec struct {
	Endpoint string
	Audience string // default: the endpoint, as Pub/Sub's
	Topic    string // default DefaultPushTopic
	Email    string // the token's service account; default DefaultPushAccount
}

// ParsePushSpec reads "URL[,audience=A][,topic=projects/P/topics/T][,email=E]".
func ParsePushSpec(v string) (PushSpec, error) {
	parts := strings.Split(v, ",")
	sp := PushSpec{Endpoint: strings.TrimSpace(parts[0]), Topic: DefaultPushTopic, Email: DefaultPushAccount}
	bad := func(why string) (PushSpec, error) {
		return PushSpec{}, fmt.Errorf("sandbox: --pubsub-push %q: %s (want URL[,audience=A][,topic=projects/P/topics/T][,email=E])", v, why)
	}
	if u, err := url.Parse(sp.Endpoint); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return bad("the endpoint must be an http or https URL")
	}
	for _, p := range parts[1:] {
		k, val, ok := strings.Cut(strings.TrimSpace(p), "=")
		if !ok || val == "" {
			return bad("options are key=value")
		}
		switch k {
		case "audience":
			sp.Audience = val
		case "topic":
			if !pubsub.ValidTopic(val) {
				return bad("topic must look like projects/P/topics/T")
			}
			sp.Topic = val
		case "email":
			sp.Email = val
		default:
			return bad("unknown option " + k)
		}
	}
	return sp, nil
}

// newPush starts the delivery of pushes and channel notifications and the
// Pub/Sub, and creates the --pubsub-push subscriptions.
func (s *Server) newPush(cfg Config) {
	s.push = push.New(push.Config{
		Client:     cfg.PushClient,
		Now:        s.now,
		Draw:       s.draw,
		MinBackoff: cfg.PushBackoffMin,
		MaxBackoff: cfg.PushBackoffMax,
		Count:      s.count,
	})
	f := push.Faults{Drop: cfg.PushDrop, Duplicate: cfg.PushDuplicate, Reorder: cfg.PushReorder, Delay: cfg.PushDelay}
	if cfg.PushRefuse > 0 {
		f.RefuseUntil = s.now().Add(cfg.PushRefuse)
	}
	s.push.SetFaults(f)
	s.pubsub = pubsub.New(pubsub.Config{Now: s.now, Sign: s.sign, Push: s.push}) // handlePubSub counts the calls
}

// addPushSubscriptions creates the --pubsub-push subscriptions, named
// projects/sandbox/subscriptions/push-1, push-2, … (replacing ones of the
// same name a state file brought back), with their topics.
func (s *Server) addPushSubscriptions(specs []string) error {
	for i, v := range specs {
		sp, err := ParsePushSpec(v)
		if err != nil {
			return err
		}
		if err := s.pubsub.EnsureTopic(sp.Topic); err != nil {
			return fmt.Errorf("sandbox: --pubsub-push %q: %w", v, err)
		}
		name := "projects/sandbox/subscriptions/push-" + strconv.Itoa(i+1)
		_ = s.pubsub.DeleteSubscription(name)
		if _, err := s.pubsub.CreateSubscription(pubsub.Subscription{
			Name:       name,
			Topic:      sp.Topic,
			PushConfig: pubsub.PushConfig{PushEndpoint: sp.Endpoint, OIDCToken: &pubsub.OIDCToken{ServiceAccountEmail: sp.Email, Audience: sp.Audience}},
		}); err != nil {
			return fmt.Errorf("sandbox: --pubsub-push %q: %w", v, err)
		}
	}
	return nil
}

// validPushFaults checks the push fault settings of a Config.
func validPushFaults(cfg Config) error {
	for name, p := range map[string]float64{"push drop": cfg.PushDrop, "push duplicate": cfg.PushDuplicate, "push reorder": cfg.PushReorder} {
		if p < 0 || p > 1 {
			return fmt.Errorf("sandbox: the %s probability must be from 0 to 1", name)
		}
	}
	if cfg.PushDelay < 0 || cfg.PushRefuse < 0 || cfg.PushBackoffMin < 0 || cfg.PushBackoffMax < 0 {
		return fmt.Errorf("sandbox: push delay, refusal and backoff must not be negative")
	}
	return nil
}

// PubSub returns the sandbox's Cloud Pub/Sub.
func (s *Server) PubSub() *pubsub.Service { return s.pubsub }

// FlushPushes publishes the Gmail notifications held back by the
// one-per-second limit, then attempts every waiting push and channel
// notification now, whatever its backoff, delay or reordering, and
// returns the log entries of those attempts.
func (s *Server) FlushPushes() []push.Entry {
	s.flushWatches()
	return s.push.Flush()
}

// PushLog returns every delivery attempt of pushes and channel
// notifications (the latest thousand), oldest first.
func (s *Server) PushLog() []push.Entry { return s.push.Log() }

// handlePubSub serves Pub/Sub's REST API v1 (/v1/projects/…): latency
// and faults by method name, then the Pub/Sub.
func (s *Server) handlePubSub(w http.ResponseWriter, r *http.Request) {
	method := pubsub.MethodName(r)
	if method == "" {
		wire.NotFound(w)
		return
	}
	if !s.begin(w, r, method, false) {
		return
	}
	s.pubsub.ServeHTTP(w, r)
}

// pushFaults returns the push faults as Faults fields.
func (s *Server) pushFaults(f *Faults) {
	pf := s.push.Faults()
	drop, dup, reorder, delay := pf.Drop, pf.Duplicate, pf.Reorder, Duration(pf.Delay)
	f.PushDrop, f.PushDuplicate, f.PushReorder, f.PushDelay = &drop, &dup, &reorder, &delay
	if left := pf.RefuseUntil.Sub(s.now()); left > 0 {
		d := Duration(left)
		f.PushRefuse = &d
	}
	minB, maxB := s.push.Backoff()
	bmin, bmax := Duration(minB), Duration(maxB)
	f.PushBackoffMin, f.PushBackoffMax = &bmin, &bmax
}

// checkPushFaults checks the push fields of f.
func (s *Server) checkPushFaults(f Faults) error {
	for name, p := range map[string]*float64{"push_drop": f.PushDrop, "push_duplicate": f.PushDuplicate, "push_reorder": f.PushReorder} {
		if p != nil && (*p < 0 || *p > 1) {
			return fmt.Errorf("sandbox: %s must be a probability from 0 to 1", name)
		}
	}
	for name, d := range map[string]*Duration{"push_delay": f.PushDelay, "push_refuse": f.PushRefuse, "push_backoff_min": f.PushBackoffMin, "push_backoff_max": f.PushBackoffMax} {
		if d != nil && *d < 0 {
			return fmt.Errorf("sandbox: %s must not be negative", name)
		}
	}
	return nil
}

// setPushFaults applies the push fields of f, checked by checkPushFaults.
func (s *Server) setPushFaults(f Faults) error {
	pf := s.push.Faults()
	if f.PushDrop != nil {
		pf.Drop = *f.PushDrop
	}
	if f.PushDuplicate != nil {
		pf.Duplicate = *f.PushDuplicate
	}
	if f.PushReorder != nil {
		pf.Reorder = *f.PushReorder
	}
	if f.PushDelay != nil {
		pf.Delay = time.Duration(*f.PushDelay)
	}
	if f.PushRefuse != nil {
		pf.RefuseUntil = s.now().Add(time.Duration(*f.PushRefuse))
	}
	s.push.SetFaults(pf)
	if f.PushBackoffMin != nil || f.PushBackoffMax != nil {
		var minB, maxB time.Duration
		if f.PushBackoffMin != nil {
			minB = time.Duration(*f.PushBackoffMin)
		}
		if f.PushBackoffMax != nil {
			maxB = time.Duration(*f.PushBackoffMax)
		}
		s.push.SetBackoff(minB, maxB)
	}
	return nil
}

// pushAdminRoutes are /sandbox/pubsub/flush and /sandbox/pubsub/log.
func (s *Server) pushAdminRoutes(mux *http.ServeMux) {
	mux.HandleFunc("POST /sandbox/pubsub/flush", func(w http.ResponseWriter, r *http.Request) {
		s.count("sandbox.pubsub.flush")
		out := s.FlushPushes()
		if out == nil {
			out = []push.Entry{}
		}
		wire.WriteJSON(w, http.StatusOK, map[string]any{"attempts": out, "pending": s.push.Pending()})
	})
	mux.HandleFunc("GET /sandbox/pubsub/log", func(w http.ResponseWriter, r *http.Request) {
		out := s.PushLog()
		if out == nil {
			out = []push.Entry{}
		}
		wire.WriteJSON(w, http.StatusOK, map[string]any{"deliveries": out, "pending": s.push.Pending()})
	})
}
