package main

import (
	"github.com/jarvis-hq/jarvis"
	"github.com/jarvis-hq/jarvis/internal/httpapi"
	"github.com/jarvis-hq/jarvis/internal/oauthserver"
	"github.com/jarvis-hq/jarvis/internal/sqldb"
)

// wireOAuth builds Jarvis's OAuth authorization server for /mcp: its
// issuer is the public URL, its state in the database.
func (m *Main) wireOAuth(deps *httpapi.Deps, integrations *sqldb.Integrations, auditor jarvis.Auditor) error {
	as, err := oauthserver.New(oauthserver.Config{
		Issuer: m.Config.PublicURL, Store: sqldb.NewOAuthServer(m.DB), Accounts: integrations, Users: m.DB, Auditor: auditor,
		Logger: m.Logger.With("component", "oauthserver"), AllowLoopbackClients: m.Config.AllowLoopbackClients(),
	})
	if err != nil {
		return err
	}
	m.OAuth, deps.OAuth = as, as
	return nil
}
