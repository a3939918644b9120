package main

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/jarvis-hq/jarvis"
	"github.com/jarvis-hq/jarvis/internal/actions"
	"github.com/jarvis-hq/jarvis/internal/assistant"
	"github.com/jarvis-hq/jarvis/internal/calendarreads"
	"github.com/jarvis-hq/jarvis/internal/google"
	"github.com/jarvis-hq/jarvis/internal/httpapi"
	"github.com/jarvis-hq/jarvis/internal/mailreads"
	"github.com/jarvis-hq/jarvis/internal/sqldb"
)

// wireGoogle connects the Google services: sign-in, Gmail and Calendar.
func (m *Main) wireGoogle(ctx context.Context, deps *httpapi.Deps, integrations *sqldb.Integrations, auditor jarvis.Auditor) error {
	cfg := m.Config
	m.Google = google.New(google.Config{
		ClientID: cfg.GoogleClientID, ClientSecret: cfg.GoogleClientSecret, RedirectURL: cfg.GoogleRedirectURL, BaseURL: cfg.GoogleBaseURL,
		AllowedEmails: cfg.AllowedEmails, AllowedDomains: cfg.AllowedDomains, OpenSignup: cfg.OpenSignup, Logger: m.Logger,
		Quota: m.Quota, Observer: m.googleObserver(), Tracer: m.tracer(), BackgroundCalls: cfg.SyncWorkers * syncFetchConcurrency,
	}, google.Stores{Users: m.DB, Profiles: m.DB, Integrations: connectHook{IntegrationStore: integrations, m: m}, States: m.DB, Auditor: auditor, Invitations: m.DB, Identities: m.DB})
	// Mail listings are read from the local index once an account is synced.
	m.Index = sqldb.NewMailIndex(m.DB)
	// A change to a thread schedules the account's sync (the jobs start in
	// wireSync), so that the next listing from the index shows it.
	sync := func(ctx context.Context, accountID string) error {
		if m.Jobs == nil {
			return nil
		}
		return m.Jobs.EnqueueSync(ctx, accountID)
	}
	reads := mailreads.New(mailreads.Config{Live: m.Google, Index: m.Index, Accounts: integrations, Auditor: auditor,
		Sync: sync, Logger: m.Logger.With("component", "mail")})
	// So are calendar events, once an account's calendar is synced.
	// Changes to events are Google's; each is then counted for the
	// account's calendar sync as a notification is (with no push time:
	// it is not Calendar's), so that the write can wait for a sync that
	// saw it.
	changed := func(ctx context.Context, accountID string) (int64, error) {
		if m.Jobs == nil {
			return 0, errors.New("no job runner")
		}
		var mark int64
		err := m.Index.RecordCalendarPush(ctx, accountID, time.Time{}, func(ctx context.Context, tx *sql.Tx, accountID string, pushes int64) error {
			mark = pushes
			return m.Jobs.EnqueueCalendarSyncTx(ctx, tx, accountID, pushes)
		})
		return mark, err
	}
	calendar := calendarreads.New(calendarreads.Config{Live: m.Google, Index: m.Index, Accounts: integrations, Auditor: auditor,
		CanRead: google.CanReadCalendar, Writer: m.Google, Changed: changed, Logger: m.Logger.With("component", "calendar")})
	deps.SignIn, deps.Mail, deps.Labels, deps.Organiser, deps.Calendar, deps.CalendarWriter = m.Google, reads, reads, reads, calendar, calendar
	m.wireOutbox(deps, integrations, auditor)
	return m.wireActions(deps, integrations, auditor)
}

// wireActions builds the approval queue, with an executor for each kind of
// action over the domain services, and the owners' policies.
func (m *Main) wireActions(deps *httpapi.Deps, integrations *sqldb.Integrations, auditor jarvis.Auditor) error {
	thread := func(kind string) actions.ThreadOrganiser {
		return actions.ThreadOrganiser{Kind: kind, Organiser: deps.Organiser, Mail: deps.Mail, Accounts: integrations}
	}
	event := func(kind string) actions.EventWriter {
		return actions.EventWriter{Kind: kind, Writer: deps.CalendarWriter, Events: m.Google, Accounts: integrations}
	}
	queue, err := actions.New(actions.Config{
		Store: m.DB, Auditor: auditor, Logger: m.Logger.With("component", "actions"), TTL: m.Config.ApprovalTTL,
		RunLease: m.ActionRuns.Lease, Interrupt: m.ActionRuns.Interrupt,
		Executors: map[string]jarvis.ActionExecutor{
			jarvis.ActionDraftCreate:   actions.DraftCreator{Mail: deps.Mail, Accounts: integrations, Validate: google.ValidateDraft},
			jarvis.ActionDraftUpdate:   actions.DraftUpdater{Mail: deps.Mail, Accounts: integrations, Validate: google.ValidateDraft},
			jarvis.ActionThreadModify:  thread(jarvis.ActionThreadModify),
			jarvis.ActionThreadTrash:   thread(jarvis.ActionThreadTrash),
			jarvis.ActionThreadUntrash: thread(jarvis.ActionThreadUntrash),
			// Sends go through the outbox, under the action's own
			// Idempotency-Key: an approved action sends once.
			jarvis.ActionMessageSend:    actions.MessageSender{Outbox: deps.Outbox, Mail: deps.Mail, Accounts: integrations, Validate: google.ValidateDraft},
			jarvis.ActionDraftSend:      actions.DraftSender{Outbox: deps.Outbox, Mail: deps.Mail, Accounts: integrations},
			jarvis.ActionScheduleCancel: actions.SendCanceller{Outbox: deps.Outbox},
			jarvis.ActionEventCreate:    event(jarvis.ActionEventCreate),
			jarvis.ActionEventUpdate:    event(jarvis.ActionEventUpdate),
			jarvis.ActionEventDelete:    event(jarvis.ActionEventDelete),
			jarvis.ActionEventRSVP:      event(jarvis.ActionEventRSVP),
		},
	})
	if err != nil {
		return err
	}
	deps.Actions, deps.Policies = queue, queue
	m.actions = queue
	// Meeting-time proposals fall within the owner's effective working hours.
	m.Google.SetWorkingHours(queue)
	return nil
}

// wireChat connects the model and the assistant.
func (m *Main) wireChat(ctx context.Context, deps *httpapi.Deps, auditor jarvis.Auditor) error {
	// Without a provider configured (and no API key to pick one by) there is
	// no chat: deps.Chat stays nil and the chat routes answer 503.
	provider, err := newModel(m.Config)
	if err != nil || provider == nil {
		return err
	}
	chat, err := assistant.New(assistant.Config{
		Model: m.observedModel(provider), Store: m.DB, Mail: deps.Mail, Calendar: deps.Calendar, Accounts: deps.Integrations, Auditor: auditor,
		ValidateDraft: google.ValidateDraft, Logger: m.Logger.With("component", "assistant"), Actions: deps.Actions,
		CalendarWriter: deps.CalendarWriter,
	})
	if err != nil {
		return err
	}
	deps.Chat = chat
	m.Logger.Info("chat model", "provider", provider.Name(), "model", provider.Model())
	return nil
}
