package main

import (
	"context"

	"github.com/jarvis-hq/jarvis"
	"github.com/jarvis-hq/jarvis/internal/httpapi"
	"github.com/jarvis-hq/jarvis/internal/sqldb"
)

// wireGoogle connects the Google services: sign-in, Gmail and Calendar.
func (m *Main) wireGoogle(ctx context.Context, deps *httpapi.Deps, integrations *sqldb.Integrations, auditor jarvis.Auditor) error {
	return nil
}

// wireChat connects the model and the assistant.
func (m *Main) wireChat(ctx context.Context, deps *httpapi.Deps, auditor jarvis.Auditor) error {
	return nil
}
