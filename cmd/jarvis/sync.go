package main

import (
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"time"

	"google.golang.org/api/option"
	"google.golang.org/api/pubsub/v1"

	"github.com/jarvis-hq/jarvis"
	"github.com/jarvis-hq/jarvis/internal/events"
	"github.com/jarvis-hq/jarvis/internal/google"
	"github.com/jarvis-hq/jarvis/internal/httpapi"
	"github.com/jarvis-hq/jarvis/internal/intake"
	"github.com/jarvis-hq/jarvis/internal/jobs"
	"github.com/jarvis-hq/jarvis/internal/mailsync"
	"github.com/jarvis-hq/jarvis/internal/quota"
	"github.com/jarvis-hq/jarvis/internal/sandbox"
	pubsubsandbox "github.com/jarvis-hq/jarvis/internal/sandbox/pubsub"
	"github.com/jarvis-hq/jarvis/internal/sqldb"
)

// googleCertsURL is where Google publishes the keys its OIDC tokens are
// signed with.
const googleCertsURL = "https://www.googleapis.com/oauth2/v3/certs"

// sandboxPushSubscription is the push subscription serve --sandbox makes in
// the sandbox's Pub/Sub, pointed at this Jarvis.
const sandboxPushSubscription = "projects/sandbox/subscriptions/jarvis-push"

// syncFetchConcurrency bounds each sync job's Gmail fetches in flight; the
// Google client keeps idle connections for that many per job.
const syncFetchConcurrency = 8

// wireSync starts the local index's sync: the engine, the jobs that run it
// and the intake chosen by JARVIS_GMAIL_PUSH.
func (m *Main) wireSync(ctx, bg context.Context, deps *httpapi.Deps) error {
	cfg := m.Config
	index := m.Index
	if index == nil {
		index = sqldb.NewMailIndex(m.DB)
		m.Index = index
	}
	deps.Syncs = index
	m.events = events.New(bg, m.eventTransport(), m.Logger.With("component", "events"))
	deps.Events = m.events
	if m.actions != nil {
		// The queue tells the dashboards of each step of an action.
		m.actions.SetNotifier(m.events)
	}
	mode := cfg.IntakeMode()
	// Calendar channels need an address Google can reach: the public URL
	// that Pub/Sub pushes to in push mode.
	channels := ""
	if mode == "push" {
		channels = cfg.PublicURL + calendarWebhookPath
	}
	m.Engine = mailsync.New(mailsync.Config{Store: index, Google: m.Google, Decode: google.IndexMessage, IndexBodies: cfg.IndexBodies, Concurrency: syncFetchConcurrency,
		Notifier: m.events, Background: quota.InBackground, Logger: m.Logger.With("component", "sync"),
		DecodeEvent: google.DecodeEvent, CalendarChannelAddress: channels})
	topic := cfg.PubSubTopic
	if topic == "" && m.Sandbox != nil {
		topic = sandbox.DefaultPushTopic
	}
	var watcher jobs.Watcher
	quiet := 10 * cfg.PollInterval
	if mode == "poll" {
		quiet = 0
	} else {
		watcher = gmailWatcher{g: m.Google, topic: topic}
	}
	var renewer jobs.ChannelRenewer
	if channels != "" {
		renewer = m.Engine
	}
	var sweeper jobs.ActionSweeper
	if m.actions != nil {
		// Approved actions whose process died mid-run are run again.
		sweeper = m.actions
	}
	runner, err := jobs.New(jobs.Config{DB: m.DB.SQL(), SQLite: m.DB.Dialect() == sqldb.SQLite, Syncer: m.Engine, Store: index,
		Watcher: watcher, PollEvery: cfg.PollInterval, QuietAfter: quiet, Workers: cfg.SyncWorkers, Logger: m.Logger,
		Calendar: m.Engine, Channels: renewer, Tracer: m.tracer(), Sender: outboxSender{m.Outbox}, ScheduleEvery: m.ScheduleJobsEvery,
		Actions: sweeper, ActionSweepEvery: m.ActionRuns.SweepEvery})
	if err != nil {
		return err
	}
	m.Jobs = runner
	m.Outbox.SetEnqueue(runner.EnqueueSendTx)
	recorder := notifications{index: index, jobs: runner, now: time.Now}
	switch mode {
	case "push":
		if err := m.wirePush(ctx, deps, recorder, topic); err != nil {
			return err
		}
		deps.CalendarPush = &intake.Calendar{Store: calendarNotifications{index: index, jobs: runner, now: time.Now},
			Logger: m.Logger.With("component", "calendar_channels")}
	case "pull":
		if err := m.startPull(bg, recorder, topic); err != nil {
			return err
		}
	}
	if err := runner.Start(bg); err != nil {
		return fmt.Errorf("start background jobs: %w", err)
	}
	m.closers = append(m.closers, func() error {
		stop, cancel := context.WithTimeout(context.Background(), m.Config.ShutdownGrace)
		defer cancel()
		return runner.Stop(stop)
	})
	m.Logger.Info("sync", "intake", mode, "poll_interval", cfg.PollInterval.String(), "index_bodies", cfg.IndexBodies)
	return nil
}

// eventTransport carries the dashboards' events between replicas: Redis
// when it is configured, else PostgreSQL; SQLite runs one process.
func (m *Main) eventTransport() events.Transport {
	log := m.Logger.With("component", "events")
	switch {
	case m.redis != nil:
		return &events.Redis{Client: m.redis.Client(), Log: log}
	case m.DB.Dialect() == sqldb.Postgres:
		return &events.Postgres{DB: m.DB.SQL(), URL: m.Config.DatabaseURL, Log: log}
	}
	return nil
}

// wirePush verifies and records Pub/Sub's pushes; under --sandbox it also
// makes the sandbox's push subscription that delivers them here.
func (m *Main) wirePush(ctx context.Context, deps *httpapi.Deps, recorder intake.Recorder, topic string) error {
	cfg := m.Config
	endpoint := cfg.PublicURL + "/webhooks/google/pubsub"
	audience, account, certs := cfg.PubSubAudience, cfg.PubSubServiceAccount, googleCertsURL
	if audience == "" {
		audience = endpoint
	}
	if account == "" && m.Sandbox != nil {
		account = sandbox.DefaultPushAccount
	}
	if cfg.GoogleBaseURL != "" {
		certs = cfg.GoogleBaseURL + "/oauth2/v3/certs"
	}
	push, err := intake.NewPush(ctx, intake.PushConfig{JWKSURL: certs, Audience: audience, ServiceAccount: account,
		Recorder: recorder, Logger: m.Logger.With("component", "pubsub")})
	if err != nil {
		return err
	}
	deps.Push = push
	if m.Sandbox == nil {
		return nil
	}
	ps := m.Sandbox.Google.PubSub()
	if err := ps.EnsureTopic(topic); err != nil {
		return err
	}
	_ = ps.DeleteSubscription(sandboxPushSubscription)
	_, err = ps.CreateSubscription(pubsubsandbox.Subscription{Name: sandboxPushSubscription, Topic: topic,
		PushConfig: pubsubsandbox.PushConfig{PushEndpoint: endpoint,
			OIDCToken: &pubsubsandbox.OIDCToken{ServiceAccountEmail: account, Audience: audience}}})
	return err
}

// startPull pulls the configured subscription (under --sandbox, a pull
// subscription it makes in the sandbox's Pub/Sub) until bg ends.
func (m *Main) startPull(bg context.Context, recorder intake.Recorder, topic string) error {
	cfg := m.Config
	sub := cfg.PubSubSubscription
	var opts []option.ClientOption
	if cfg.GoogleBaseURL != "" {
		opts = append(opts, option.WithEndpoint(cfg.GoogleBaseURL+"/"), option.WithHTTPClient(http.DefaultClient))
	}
	if m.Sandbox != nil {
		ps := m.Sandbox.Google.PubSub()
		if err := ps.EnsureTopic(topic); err != nil {
			return err
		}
		if sub == "" {
			sub = "projects/sandbox/subscriptions/jarvis-pull"
		}
		if _, err := ps.Subscription(sub); err != nil {
			if _, err := ps.CreateSubscription(pubsubsandbox.Subscription{Name: sub, Topic: topic}); err != nil {
				return err
			}
		}
	}
	svc, err := pubsub.NewService(bg, opts...)
	if err != nil {
		return fmt.Errorf("pub/sub client: %w", err)
	}
	p := &intake.Pull{Service: svc, Subscription: sub, Recorder: recorder, Logger: m.Logger.With("component", "pubsub"), Tracer: m.tracer()}
	go p.Run(bg)
	return nil
}

// notifications records a Gmail notification and schedules the account's
// sync in one transaction.
type notifications struct {
	index *sqldb.MailIndex
	jobs  *jobs.Runner
	now   func() time.Time
}

func (n notifications) RecordPush(ctx context.Context, email string, historyID uint64) (bool, error) {
	return n.index.RecordNotification(ctx, email, historyID, n.now(), func(ctx context.Context, tx *sql.Tx, accountID string) error {
		return n.jobs.EnqueueSyncTx(ctx, tx, accountID)
	})
}

// calendarWebhookPath is where Calendar posts its channels' notifications.
const calendarWebhookPath = "/webhooks/google/calendar"

// calendarNotifications finds Jarvis's Calendar channels and records their
// notifications, scheduling the calendar sync in the same transaction.
type calendarNotifications struct {
	index *sqldb.MailIndex
	jobs  *jobs.Runner
	now   func() time.Time
}

func (n calendarNotifications) CalendarChannel(ctx context.Context, id string) (intake.Channel, error) {
	c, err := n.index.CalendarChannel(ctx, id)
	return intake.Channel{AccountID: c.AccountID, TokenSHA256: c.TokenSHA256, ResourceID: c.ResourceID}, err
}

func (n calendarNotifications) RecordCalendarPush(ctx context.Context, accountID string) error {
	return n.index.RecordCalendarPush(ctx, accountID, n.now(), n.jobs.EnqueueCalendarSyncTx)
}

// gmailWatcher renews an account's users.watch on the topic.
type gmailWatcher struct {
	g     *google.Service
	topic string
}

func (w gmailWatcher) Watch(ctx context.Context, userID, accountID string) (time.Time, error) {
	return w.g.WatchGmail(quota.InBackground(ctx), userID, accountID, w.topic)
}

// connectHook starts a sync as soon as a Google account is connected, so
// that its first page is indexed within seconds.
type connectHook struct {
	jarvis.IntegrationStore
	m *Main
}

func (h connectHook) UpsertGoogleIntegration(ctx context.Context, g *jarvis.GoogleIntegration) error {
	if err := h.IntegrationStore.UpsertGoogleIntegration(ctx, g); err != nil {
		return err
	}
	if h.m.Jobs != nil {
		if err := h.m.Jobs.EnqueueSync(ctx, g.ID); err != nil {
			h.m.Logger.Warn("schedule the first sync", "account_id", g.ID, "err", err)
		}
		if err := h.m.Jobs.EnqueueCalendarSync(ctx, g.ID); err != nil {
			h.m.Logger.Warn("schedule the first calendar sync", "account_id", g.ID, "err", err)
		}
	}
	return nil
}
