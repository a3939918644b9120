package oauthserver

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"

	"github.com/jarvis-hq/jarvis"
)

// registration is a dynamic client registration request (RFC 7591 §2)
// and, as answered, the client's metadata.
type registration struct {
	ClientID                string   `json:"client_id,omitempty"`
	ClientIDIssuedAt        int64    `json:"client_id_issued_at,omitempty"`
	ClientName              string   `json:"client_name,omitempty"`
	ClientURI               string   `json:"client_uri,omitempty"`
	RedirectURIs            []string `json:"redirect_uris"`
	GrantTypes              []string `json:"grant_types,omitempty"`
	ResponseTypes           []string `json:"response_types,omitempty"`
	TokenEndpointAuthMethod string   `json:"token_endpoint_auth_method,omitempty"`
	Scope                   string   `json:"scope,omitempty"`
}

// ServeRegister is dynamic client registration (RFC 7591, POST
// /oauth/register), the fallback for clients without a metadata document.
// Every client is public (token_endpoint_auth_method none, no secret) and
// may use the authorization_code and refresh_token grants. The caller
// rate-limits it per address.
func (s *Server) ServeRegister(w http.ResponseWriter, r *http.Request) {
	fail := func(code, description string) {
		writeJSON(w, http.StatusBadRequest, &oauthError{Code: code, Description: description})
	}
	if ct := strings.ToLower(strings.TrimSpace(strings.Split(r.Header.Get("Content-Type"), ";")[0])); ct != "application/json" {
		fail("invalid_client_metadata", "The body must be application/json.")
		return
	}
	var req registration
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxFormBytes))
	if err := dec.Decode(&req); err != nil {
		fail("invalid_client_metadata", "The body is not a JSON object of client metadata, or is larger than 16 KiB.")
		return
	}
	if err := checkRedirectURIs(req.RedirectURIs); err != nil {
		fail("invalid_redirect_uri", err.Error())
		return
	}
	if m := req.TokenEndpointAuthMethod; m != "" && m != "none" && m != "client_secret_basic" && m != "client_secret_post" {
		fail("invalid_client_metadata", "token_endpoint_auth_method must be none: Jarvis registers public clients only.")
		return
	}
	for _, g := range req.GrantTypes {
		if g != "authorization_code" && g != "refresh_token" {
			fail("invalid_client_metadata", "Only the authorization_code and refresh_token grant types are supported.")
			return
		}
	}
	if len(req.ResponseTypes) > 0 && !slices.Equal(req.ResponseTypes, []string{"code"}) {
		fail("invalid_client_metadata", "Only the code response type is supported.")
		return
	}
	if _, unknown := parseScopes(req.Scope); unknown != "" {
		fail("invalid_client_metadata", "Unknown scope "+truncate(unknown, 64)+".")
		return
	}
	now := s.now()
	c := &Client{ID: "jdcr_" + newSecret("")[:32], RedirectURIs: req.RedirectURIs, URI: safeURI(req.ClientURI), CreatedAt: now}
	c.Name = clientName(req.ClientName, "")
	if c.Name == "Unnamed client" {
		if h := redirectHost(req.RedirectURIs[0]); h != "" {
			c.Name = h
		}
	}
	if err := s.cfg.Store.CreateOAuthClient(r.Context(), c); err != nil {
		s.writeError(w, r, err)
		return
	}
	s.cfg.Auditor.Record(r.Context(), jarvis.AuditEntry{Action: jarvis.AuditOAuthClientRegistered, TargetType: "oauth_client", TargetID: c.ID,
		Outcome: jarvis.OutcomeSuccess, Metadata: map[string]any{"client_id": c.ID, "redirect_hosts": redirectHosts(c.RedirectURIs)}})
	// A client that asked for a secret gets none: the answer says which
	// method it is registered with (RFC 7591 §3.2.1).
	writeJSON(w, http.StatusCreated, registration{ClientID: c.ID, ClientIDIssuedAt: now.Unix(), ClientName: c.Name, ClientURI: c.URI,
		RedirectURIs: c.RedirectURIs, GrantTypes: []string{"authorization_code", "refresh_token"}, ResponseTypes: []string{"code"},
		TokenEndpointAuthMethod: "none", Scope: strings.Join(jarvis.MCPScopes, " ")})
}

func redirectHosts(uris []string) []string {
	out := make([]string, 0, len(uris))
	for _, u := range uris {
		out = append(out, redirectHost(u))
	}
	return out
}
