package main

import (
	"context"
	"errors"
	"io"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/jarvis-hq/jarvis"
	"github.com/jarvis-hq/jarvis/internal/httpapi"
	"github.com/jarvis-hq/jarvis/internal/mcpserver"
	"github.com/jarvis-hq/jarvis/internal/sqldb"
)

// wireMCP builds /mcp and the personal tokens it accepts. Tokens from
// Jarvis's OAuth authorization server are verified by the verifiers that
// follow the personal tokens'.
func (m *Main) wireMCP(deps *httpapi.Deps, integrations *sqldb.Integrations, auditor jarvis.Auditor, verifiers ...jarvis.MCPTokenVerifier) error {
	pats := &mcpserver.PersonalTokens{Store: m.DB, Accounts: integrations, Auditor: auditor, Logger: m.Logger.With("component", "mcp")}
	deps.PersonalTokens = pats
	if deps.Mail == nil || deps.Actions == nil {
		return nil // no Google: /mcp answers 503
	}
	srv, err := mcpserver.New(mcpserver.Config{
		PublicURL: m.Config.PublicURL, AllowedOrigins: m.Config.MCPAllowedOrigins,
		Verifiers:       append([]jarvis.MCPTokenVerifier{pats}, verifiers...),
		Limiter:         deps.Limiter,
		ClientRateLimit: m.Config.MCPClientRequestsPerMinute, UserRateLimit: m.Config.MCPUserRequestsPerMinute,
		MaxRequestBytes: m.Config.MCPMaxRequestBytes, CallTimeout: m.Config.MCPCallTimeout,
		SessionTimeout: m.Config.MCPSessionIdleTimeout, SessionsPerUser: m.Config.MCPSessionsPerUser,
		Mail: deps.Mail, Labels: deps.Labels, Calendar: deps.Calendar, CalendarWriter: deps.CalendarWriter, Actions: deps.Actions,
		Accounts: integrations, Users: m.DB, Auditor: auditor, Logger: m.Logger.With("component", "mcp"),
	})
	if err != nil {
		return err
	}
	deps.MCP = srv
	return nil
}

// runMCP runs `jarvis mcp --stdio`: an MCP server on stdin and stdout for a
// local desktop client, with the tools of a running Jarvis reached over
// HTTP with a personal token.
func runMCP(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, lookup env) error {
	flags := newFlagSet("mcp")
	stdio := flags.Bool("stdio", false, "serve MCP on stdin and stdout (the only transport of this command)")
	url := flags.String("url", "", "the Jarvis to reach (default: $JARVIS_URL, else http://127.0.0.1:8080)")
	const synopsis = "Usage: jarvis mcp --stdio [--url URL]\n\nServes MCP on stdin and stdout for a local client (a desktop app, an IDE agent), with the tools of the\n" +
		"Jarvis at --url (JARVIS_URL), authenticated by a personal token made in Settings (JARVIS_TOKEN)."
	if err := parseFlags(flags, args, synopsis, stdout); err != nil {
		return err
	}
	if !*stdio {
		return errors.New("mcp needs --stdio (jarvis mcp -h for help)")
	}
	base := *url
	if base == "" {
		base, _ = lookup("JARVIS_URL")
	}
	if base == "" {
		base = "http://127.0.0.1:8080"
	}
	token, _ := lookup("JARVIS_TOKEN")
	if token == "" {
		return errors.New("set JARVIS_TOKEN to a personal token (Settings → Personal tokens)")
	}
	return mcpserver.Proxy(ctx, mcpserver.ProxyConfig{URL: base, Token: token},
		&mcp.IOTransport{Reader: io.NopCloser(stdin), Writer: nopWriteCloser{stdout}})
}

type nopWriteCloser struct{ io.Writer }

func (nopWriteCloser) Close() error { return nil }
