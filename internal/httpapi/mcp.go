package httpapi

import (
	"net/http"

	"github.com/jarvis-hq/jarvis"
)

// maxTokenBody bounds a personal token request.
const maxTokenBody = 16 << 10

// registerMCPRoutes registers /mcp (the MCP server, which authenticates
// its own bearer tokens) and the Settings routes of personal tokens.
func (s *Server) registerMCPRoutes() {
	mcp := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.MCP == nil {
			s.unavailable(w, r, jarvis.EUNAVAILABLE, "The MCP server")
			return
		}
		s.MCP.ServeHTTP(w, r)
	})
	s.handle("POST /mcp", mcp)
	s.handle("GET /mcp", mcp)
	s.handle("DELETE /mcp", mcp)
	s.handle("OPTIONS /mcp", mcp)
	s.handle("POST /settings/tokens", s.authed(s.createPersonalToken))
	s.handle("GET /settings/tokens", s.authed(s.listPersonalTokens))
	s.handle("DELETE /settings/tokens/{id}", s.authed(s.revokePersonalToken))
}

func init() {
	mcpDoc := "The MCP endpoint (Streamable HTTP, JSON-RPC 2.0; protocol 2026-07-28 stateless, 2025-11-25 with sessions bound to the user), " +
		"for MCP clients, not REST: a bearer token (an OAuth access token for this resource, or a personal token) is required; " +
		"401 carries WWW-Authenticate with resource_metadata, 403 insufficient_scope names the missing scope, " +
		"another user's Mcp-Session-Id is 404; audit mcp.tool.call"
	mcpErrs := errs(400, 401, 403, 404, 405, 406, 413, 415, 429)
	operations = append(operations,
		operation{method: "POST", path: "/mcp", summary: mcpDoc, tag: "mcp", ok: 200, media: "text/event-stream", errors: mcpErrs,
			also: map[int]string{202: "Accepted: a notification or response", 204: "No Content"}},
		operation{method: "GET", path: "/mcp", summary: "The server's event stream of a 2025-11-25 session (Mcp-Session-Id)", tag: "mcp", ok: 200, media: "text/event-stream", errors: mcpErrs},
		operation{method: "DELETE", path: "/mcp", summary: "End a 2025-11-25 session (Mcp-Session-Id)", tag: "mcp", ok: 204, errors: mcpErrs},
		operation{method: "OPTIONS", path: "/mcp", summary: "CORS preflight of a page of JARVIS_PUBLIC_URL's origin or one in JARVIS_MCP_ALLOWED_ORIGINS (403 for any other)", tag: "mcp", ok: 204, errors: errs(403)},
		operation{method: "POST", path: "/settings/tokens", summary: "Make a personal token for a local MCP client (jarvis mcp --stdio): scoped, limited to some Google accounts, expiring (at most 365 days); the token is in this answer only. 400 naming the field; audit mcp.personal_token.created", tag: "mcp", auth: true,
			body: jarvis.NewPersonalToken{}, ok: 201, resp: jarvis.CreatedPersonalToken{}, errors: authErrs(400, 403, 409, 413, 503)},
		operation{method: "GET", path: "/settings/tokens", summary: "The caller's live personal tokens, newest first (never the tokens themselves), with their last use", tag: "mcp", auth: true,
			ok: 200, resp: personalTokenList{}, errors: authErrs(503)},
		operation{method: "DELETE", path: "/settings/tokens/{id}", summary: "Revoke a personal token: it stops working at once. 404 for another user's; audit mcp.personal_token.revoked", tag: "mcp", auth: true,
			params: []param{path("id", "")}, ok: 204, errors: authErrs(403, 404, 503)},
	)
}

type personalTokenList struct {
	Tokens []jarvis.PersonalToken `json:"tokens"`
}

func (s *Server) createPersonalToken(w http.ResponseWriter, r *http.Request, u *jarvis.User) {
	if s.PersonalTokens == nil {
		s.unavailable(w, r, jarvis.EUNAVAILABLE, "Personal tokens")
		return
	}
	var in jarvis.NewPersonalToken
	if err := decodeJSON(w, r, maxTokenBody, &in); err != nil {
		s.Error(w, r, err)
		return
	}
	t, err := s.PersonalTokens.CreatePersonalToken(r.Context(), u.ID, in)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, t)
}

func (s *Server) listPersonalTokens(w http.ResponseWriter, r *http.Request, u *jarvis.User) {
	if s.PersonalTokens == nil {
		s.unavailable(w, r, jarvis.EUNAVAILABLE, "Personal tokens")
		return
	}
	list, err := s.PersonalTokens.ListPersonalTokens(r.Context(), u.ID)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, personalTokenList{Tokens: list})
}

func (s *Server) revokePersonalToken(w http.ResponseWriter, r *http.Request, u *jarvis.User) {
	if s.PersonalTokens == nil {
		s.unavailable(w, r, jarvis.EUNAVAILABLE, "Personal tokens")
		return
	}
	if err := s.PersonalTokens.RevokePersonalToken(r.Context(), u.ID, r.PathValue("id")); err != nil {
		s.Error(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
