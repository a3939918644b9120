// Package sandbox is a faithful local Google: OAuth 2.0 and OpenID Connect,
// Gmail v1 and (through package calendar) Calendar v3, speaking the real
// wire protocol so that golang.org/x/oauth2, go-oidc and the generated
// google.golang.org/api clients run against it unchanged. It is the test bed
// of every Google path in Jarvis and its offline demo.
//
// Mailboxes come from a data directory of .eml, .mbox and .ics files or
// from a built-in demo; latency, token lifetimes and faults can be set at
// start or at run time under /sandbox/.
//
// # Method names
//
// Stats count, and fault rules (Config.Fail, POST /sandbox/faults) match,
// these stable names:
//
//   - token.exchange, token.refresh (grant types of /token; other grant
//     types count as "token"), token.revoke, oauth.userinfo
//   - gmail.getProfile, gmail.labels.list, gmail.labels.get,
//     gmail.threads.list, gmail.threads.get, gmail.messages.list,
//     gmail.messages.get, gmail.messages.modify,
//     gmail.messages.attachments.get, gmail.drafts.create, gmail.drafts.get,
//     gmail.drafts.list, gmail.history.list, gmail.messages.send,
//     gmail.messages.insert, gmail.messages.import, gmail.messages.batchModify,
//     gmail.messages.batchDelete, gmail.messages.trash, gmail.messages.untrash,
//     gmail.messages.delete, gmail.threads.modify, gmail.threads.trash,
//     gmail.threads.untrash, gmail.threads.delete, gmail.labels.create,
//     gmail.labels.update, gmail.labels.patch, gmail.labels.delete,
//     gmail.drafts.update, gmail.drafts.send, gmail.drafts.delete,
//     gmail.watch, gmail.stop (also inside a batch)
//   - refusals counted by the per-user limits: gmail.quota_exceeded,
//     gmail.concurrent_exceeded; admin actions: sandbox.deliver,
//     sandbox.labels, sandbox.history.expire, sandbox.outbox,
//     sandbox.calendar.create, sandbox.calendar.move, sandbox.calendar.cancel,
//     sandbox.calendar.respond, sandbox.calendar.invalidate_sync_tokens
//   - calendar.calendarList.list, calendar.calendarList.get,
//     calendar.calendars.get, calendar.events.list, calendar.events.get,
//     calendar.events.instances, calendar.freebusy.query,
//     calendar.events.watch, calendar.channels.stop, calendar.events.insert,
//     calendar.events.update, calendar.events.patch, calendar.events.delete;
//     counted only: calendar.mail (an invitation, update, cancellation or
//     reply sent)
//   - pubsub.projects.topics.create, .get, .delete, .list, .publish,
//     pubsub.projects.topics.subscriptions.list,
//     pubsub.projects.subscriptions.create, .get, .delete, .list, .pull,
//     .acknowledge, .modifyAckDeadline
//   - counted only: gmail.push (a Gmail notification published),
//     calendar.notify (a channel notification queued), and each delivery
//     attempt's outcome as pubsub.OUTCOME or calendar.OUTCOME (delivered,
//     failed, rejected, dropped, refused, expired, cancelled),
//     sandbox.pubsub.flush
//   - counted only, never delayed or faulted: oauth.authorize (the consent
//     page), oidc.discovery, oidc.jwks, gmail.batch (the envelope)
//
// A rule's METHOD may also be a prefix such as "gmail.*", or "*".
package sandbox

import (
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"fmt"
	"log/slog"
	randv2 "math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jarvis-hq/jarvis/internal/sandbox/pubsub"
	"github.com/jarvis-hq/jarvis/internal/sandbox/push"
)

// The OAuth client the sandbox knows when Config leaves it empty.
const (
	DefaultClientID     = "sandbox-client-id.apps.googleusercontent.com"
	DefaultClientSecret = "sandbox-client-secret"
)

// Config configures a sandbox. Only BaseURL is required.
type Config struct {
	// BaseURL is the sandbox's external base URL, e.g.
	// "http://127.0.0.1:8090". It is the OpenID Connect issuer.
	BaseURL string
	// ClientID and ClientSecret are the one OAuth client the sandbox
	// accepts; empty means DefaultClientID / DefaultClientSecret.
	ClientID, ClientSecret string
	// RedirectURIs are registered redirect URIs besides the loopback ones
	// (http://127.0.0.1[:port]/… and http://localhost[:port]/…), which are
	// always accepted, as Google accepts them for desktop clients.
	RedirectURIs []string
	// DataDir holds one directory per account, named by its address, with
	// .eml, .mbox and .ics files (searched recursively). Empty means the
	// built-in demo.
	DataDir string
	// Latency is added to every API call (Gmail, Calendar, token, userinfo).
	Latency time.Duration
	// TokenTTL is the access-token lifetime; default one hour.
	TokenTTL time.Duration
	// Fail injects faults: "METHOD=STATUS:RATE" (see ParseFault).
	Fail []string
	// RotateRefreshTokens makes every refresh return a new refresh token
	// and invalidate the old one.
	RotateRefreshTokens bool
	// SyncTokenTTL is how long a Calendar sync token stays good; older
	// ones answer 410 fullSyncRequired. 0 keeps them good for ever.
	SyncTokenTTL time.Duration
	// HistoryRetention is how long each mailbox keeps history: a duration
	// ("168h") or a number of records ("5000"); default a week.
	HistoryRetention string
	// GmailQuota is the per-user Gmail quota in units per minute (Gmail's
	// own is 15000); 0 means unlimited.
	GmailQuota int
	// GmailMaxConcurrent is how many Gmail calls a user may have in flight
	// before 429 "Too many concurrent requests for user"; 0 means no limit.
	GmailMaxConcurrent int
	// Generate, when positive, adds that many synthetic messages to every
	// account's mailbox (see mailbox.GenerateOptions), deterministic from
	// Seed: the same seed gives the same messages, ids and labels. A
	// mailbox restored from the state file is not generated again.
	Generate int
	// Seed seeds Generate.
	Seed uint64
	// Now is the clock; default time.Now.
	Now func() time.Time
	// Rand returns numbers in [0,1) for fault injection; default
	// math/rand/v2. It is called under a lock.
	Rand func() float64
	// Logger receives load problems and request errors; default discards.
	Logger *slog.Logger
	// SigningKey signs id_tokens; a new 2048-bit key when nil (or the
	// state file's key).
	SigningKey *rsa.PrivateKey
	// PubSubPush are push subscriptions made at start, each
	// "URL[,audience=A][,topic=projects/P/topics/T][,email=E]" (see
	// ParsePushSpec): projects/sandbox/subscriptions/push-1, push-2, … on
	// the topic (default DefaultPushTopic, created), with an OIDC token.
	PubSubPush []string
	// PushDrop, PushDuplicate and PushReorder are the probabilities that a
	// Pub/Sub push or Calendar notification is lost, made twice, or held
	// back so that later ones overtake it; PushDelay delays every one;
	// PushRefuse refuses them all for that long after the start.
	PushDrop, PushDuplicate, PushReorder float64
	PushDelay, PushRefuse                time.Duration
	// PushBackoffMin and PushBackoffMax bound the retry delay of a failed
	// push or notification; default 10 s and 600 s, as Pub/Sub's.
	PushBackoffMin, PushBackoffMax time.Duration
	// PushClient makes the pushes and notifications; default a client
	// with a 30 s timeout.
	PushClient *http.Client
	// StateFile, when set, keeps the sandbox's state (grants, mailboxes,
	// drafts, history, the signing key) across restarts: read at start,
	// saved shortly after every change and by Close, locked against a
	// second sandbox. Empty keeps everything in memory.
	StateFile string
}

// Server is a running sandbox. Its Handler serves every endpoint; its
// methods inspect and steer it from Go.
type Server struct {
	cfg      Config
	base     string
	now      func() time.Time
	log      *slog.Logger
	key      *rsa.PrivateKey
	kid      string
	accounts []*account
	byEmail  map[string]*account
	report   []string
	tokens   *tokenStore
	settings atomic.Pointer[settings]
	calendar calendarBook
	handler  http.Handler

	randMu sync.Mutex
	rand   func() float64

	statsMu sync.Mutex
	stats   map[string]int64

	gm gmailState

	push   *push.Dispatcher
	pubsub *pubsub.Service
	wat    watches  // Gmail users.watch, by account
	chans  channels // Calendar watch channels, by id

	persist *persist // nil without a state file
}

// New builds a sandbox: it checks the configuration, loads the data
// directory or the demo, and generates its signing key. A bad BaseURL or
// fault flag is an error naming it; a malformed data file is only reported
// (see LoadReport).
func New(cfg Config) (*Server, error) {
	u, err := url.Parse(cfg.BaseURL)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return nil, fmt.Errorf("sandbox: BaseURL %q must be an absolute URL such as http://127.0.0.1:8090", cfg.BaseURL)
	}
	if cfg.ClientID == "" {
		cfg.ClientID = DefaultClientID
	}
	if cfg.ClientSecret == "" {
		cfg.ClientSecret = DefaultClientSecret
	}
	if cfg.TokenTTL <= 0 {
		cfg.TokenTTL = time.Hour
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Rand == nil {
		cfg.Rand = randv2.Float64
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	for _, ru := range cfg.RedirectURIs {
		if u, err := url.Parse(ru); err != nil || u.Scheme == "" || u.Host == "" {
			return nil, fmt.Errorf("sandbox: redirect URI %q must be absolute", ru)
		}
	}
	faults, err := parseFaults(cfg.Fail)
	if err != nil {
		return nil, err
	}
	var retainAge time.Duration
	var retainCount int
	if cfg.HistoryRetention != "" {
		if retainAge, retainCount, err = parseRetention(cfg.HistoryRetention); err != nil {
			return nil, err
		}
	}
	if cfg.SyncTokenTTL < 0 {
		return nil, errors.New("sandbox: --sync-token-ttl must not be negative")
	}
	if cfg.GmailQuota < 0 || cfg.GmailMaxConcurrent < 0 {
		return nil, errors.New("sandbox: the Gmail quota and concurrency limits must not be negative")
	}
	if err := validPushFaults(cfg); err != nil {
		return nil, err
	}
	for _, v := range cfg.PubSubPush {
		if _, err := ParsePushSpec(v); err != nil {
			return nil, err
		}
	}
	s := &Server{
		cfg:     cfg,
		base:    strings.TrimRight(cfg.BaseURL, "/"),
		now:     cfg.Now,
		log:     cfg.Logger,
		key:     cfg.SigningKey,
		byEmail: map[string]*account{},
		rand:    cfg.Rand,
		stats:   map[string]int64{},
	}
	s.tokens = newTokenStore(s.now)
	var saved *State
	if cfg.StateFile != "" {
		if saved, err = s.openState(cfg.StateFile); err != nil {
			return nil, err
		}
	}
	ok := false
	defer func() {
		if !ok && s.persist != nil {
			unlockState(s.persist.lock)
		}
	}()
	s.settings.Store(&settings{
		latency:  cfg.Latency,
		tokenTTL: cfg.TokenTTL,
		rotate:   cfg.RotateRefreshTokens,
		faults:   faults,
		fail:     append([]string(nil), cfg.Fail...),
		quota:    cfg.GmailQuota,

		maxConcurrent: cfg.GmailMaxConcurrent,
	})
	if s.key == nil {
		if s.key, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			return nil, fmt.Errorf("sandbox: signing key: %w", err)
		}
	}
	s.kid = keyID(&s.key.PublicKey)
	s.newPush(cfg)
	defer func() {
		if !ok {
			s.push.Close()
		}
	}()
	s.calendar = newCalendar(s.now)
	if cfg.DataDir != "" {
		err = s.loadDir(cfg.DataDir)
	} else {
		err = s.loadDemo()
	}
	if err != nil {
		return nil, err
	}
	if len(s.accounts) == 0 {
		return nil, errors.New("sandbox: no accounts: the data directory needs one folder per address, e.g. ada@example.com/")
	}
	if cfg.Generate < 0 {
		return nil, errors.New("sandbox: --generate must not be negative")
	}
	if cfg.Generate > 0 {
		s.generate(cfg.Generate, cfg.Seed, saved)
	}
	if cfg.HistoryRetention != "" {
		for _, a := range s.accounts {
			a.mail.SetRetention(retainAge, retainCount)
		}
	}
	if saved != nil {
		if err := s.restore(cfg.StateFile, *saved); err != nil {
			return nil, err
		}
	}
	if err := s.addPushSubscriptions(cfg.PubSubPush); err != nil {
		return nil, err
	}
	for _, a := range s.accounts {
		a.mail.OnChange(func(id uint64) { s.mailChanged(a, id) })
	}
	s.calendar.OnChange(s.calendarChanged)
	s.calendar.SetMailer(s.calendarMail)
	s.calendar.SetSyncTokenTTL(cfg.SyncTokenTTL)
	s.handler = s.routes()
	if s.persist != nil {
		for _, a := range s.accounts {
			a.mail.OnChange(func(uint64) { s.changed() })
		}
		s.handler = s.saving(s.handler)
		if err := s.startSaver(); err != nil {
			return nil, fmt.Errorf("sandbox: save state file %s: %w", cfg.StateFile, err)
		}
	}
	ok = true
	return s, nil
}

// Handler serves every endpoint, rooted at "/".
func (s *Server) Handler() http.Handler { return s.handler }

// Accounts returns the account addresses, the primary one first.
func (s *Server) Accounts() []string {
	out := make([]string, len(s.accounts))
	for i, a := range s.accounts {
		out[i] = a.email
	}
	return out
}

// LoadReport lists the data files that were skipped, each with its reason.
func (s *Server) LoadReport() []string { return append([]string(nil), s.report...) }

// ClientID returns the OAuth client id the sandbox accepts.
func (s *Server) ClientID() string { return s.cfg.ClientID }

// ClientSecret returns the OAuth client secret the sandbox accepts.
func (s *Server) ClientSecret() string { return s.cfg.ClientSecret }

// Issuer returns the OpenID Connect issuer: the base URL without a
// trailing slash.
func (s *Server) Issuer() string { return s.base }

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	for _, p := range []string{"/o/oauth2/v2/auth", "/o/oauth2/auth"} {
		mux.HandleFunc("GET "+p, s.handleAuthorize)
		mux.HandleFunc("POST "+p, s.handleConsent)
	}
	mux.HandleFunc("POST /token", s.handleToken)
	mux.HandleFunc("POST /revoke", s.handleRevoke)
	mux.HandleFunc("GET /revoke", s.handleRevoke)
	mux.HandleFunc("GET /.well-known/openid-configuration", s.handleDiscovery)
	mux.HandleFunc("GET /oauth2/v3/certs", s.handleJWKS)
	for _, p := range []string{"/v1/userinfo", "/oauth2/v3/userinfo"} {
		mux.HandleFunc("GET "+p, s.handleUserinfo)
		mux.HandleFunc("POST "+p, s.handleUserinfo)
	}
	mux.HandleFunc("GET /sandbox/avatar/{email}", s.handleAvatar)
	mux.HandleFunc("GET /favicon.ico", handleFavicon)
	mux.HandleFunc("/gmail/v1/", s.handleGmail)
	mux.HandleFunc("/upload/gmail/v1/", s.handleGmail)
	mux.HandleFunc("POST /batch/gmail/v1", s.handleBatch)
	mux.HandleFunc("/calendar/v3/", s.handleCalendar)
	mux.HandleFunc(pubsub.PathPrefix, s.handlePubSub)
	admin := http.NewServeMux()
	s.adminRoutes(admin)
	mux.Handle("/sandbox/", s.adminGuard(admin))
	return mux
}
