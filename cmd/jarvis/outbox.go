package main

import (
	"context"
	"time"

	"github.com/jarvis-hq/jarvis"
	"github.com/jarvis-hq/jarvis/internal/httpapi"
	"github.com/jarvis-hq/jarvis/internal/jobs"
	"github.com/jarvis-hq/jarvis/internal/outbox"
	"github.com/jarvis-hq/jarvis/internal/sqldb"
)

// wireOutbox makes the outbox, which sends mail held until its time; its
// jobs run with the sync's (wireSync).
func (m *Main) wireOutbox(deps *httpapi.Deps, integrations *sqldb.Integrations, auditor jarvis.Auditor) {
	m.Outbox = outbox.New(outbox.Config{Store: sqldb.NewOutbox(m.DB), Mail: deps.Mail, Drafts: m.Google, Accounts: integrations,
		Users: m.DB, Idempotency: m.DB, Auditor: auditor, Undo: m.Config.SendUndo, Logger: m.Logger.With("component", "outbox")})
	deps.Outbox = m.Outbox
}

// outboxSender runs the outbox's sends as jobs.
type outboxSender struct{ o *outbox.Service }

func (s outboxSender) Deliver(ctx context.Context, userID, id string) (time.Duration, error) {
	return s.o.Deliver(ctx, userID, id)
}

func (s outboxSender) Stalled(ctx context.Context) ([]jobs.StalledSend, error) {
	list, err := s.o.Overdue(ctx)
	out := make([]jobs.StalledSend, 0, len(list))
	for _, st := range list {
		out = append(out, jobs.StalledSend{UserID: st.UserID, ID: st.ID, Attempts: st.Attempts})
	}
	return out, err
}
