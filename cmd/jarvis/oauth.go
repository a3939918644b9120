package main

import (
	"crypto/x509"
	"fmt"
	"os"

	"github.com/jarvis-hq/jarvis"
	"github.com/jarvis-hq/jarvis/internal/httpapi"
	"github.com/jarvis-hq/jarvis/internal/oauthserver"
	"github.com/jarvis-hq/jarvis/internal/sqldb"
)

// wireOAuth builds Jarvis's OAuth authorization server for /mcp: its
// issuer is the public URL, its state in the database.
func (m *Main) wireOAuth(deps *httpapi.Deps, integrations *sqldb.Integrations, auditor jarvis.Auditor) error {
	roots, err := clientCAs(m.Config.OAuthClientCAFile)
	if err != nil {
		return err
	}
	as, err := oauthserver.New(oauthserver.Config{
		Issuer: m.Config.PublicURL, Store: sqldb.NewOAuthServer(m.DB), Accounts: integrations, Users: m.DB, Auditor: auditor,
		Logger: m.Logger.With("component", "oauthserver"), AllowLoopbackClients: m.Config.AllowLoopbackClients(), MetadataRootCAs: roots,
		RefreshLifetime: m.Config.OAuthRefreshLifetime,
	})
	if err != nil {
		return err
	}
	m.OAuth, deps.OAuth = as, as
	return nil
}

// clientCAs returns the system's certificate authorities with those of
// the PEM file added, or nil (the system's) when file is empty.
func clientCAs(file string) (*x509.CertPool, error) {
	if file == "" {
		return nil, nil
	}
	pem, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("JARVIS_OAUTH_CLIENT_CA_FILE: %w", err)
	}
	roots, err := x509.SystemCertPool()
	if err != nil || roots == nil {
		roots = x509.NewCertPool()
	}
	if !roots.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("JARVIS_OAUTH_CLIENT_CA_FILE: %s holds no PEM certificate", file)
	}
	return roots, nil
}
