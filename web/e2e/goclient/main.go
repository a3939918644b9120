// Command goclient is an MCP client on the official Go SDK for the browser
// suite (web/e2e/mcp-go-sdk.spec.ts), which drives it step by step in JSON
// lines. It registers (dynamically, or by a client metadata document),
// prints {"authorize": url} for the browser and receives the redirect on its
// own loopback listener, connects, and then runs the commands it reads on
// stdin:
//
//	{"call": "search_threads", "args": {...}}  a tool call → {"result": ..., "is_error": false} or {"error": "..."}
//	{"refresh": true}  the token the SDK holds expires; a list_accounts call makes the transport refresh it
//	{"reuse": true}    the refresh token spent by the last refresh, presented again → {"refused": true, ...}
//	{"revoke": true}   RFC 7009 revocation of the refresh token → {"revoked": 200}
//	{"deny": true}     while the SDK waits for the browser (it printed authorize): give up
//	{"quit": true}
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/modelcontextprotocol/go-sdk/auth"
	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/modelcontextprotocol/go-sdk/oauthex"
	"golang.org/x/oauth2"
)

type command struct {
	Call    string         `json:"call"`
	Args    map[string]any `json:"args"`
	Refresh bool           `json:"refresh"`
	Reuse   bool           `json:"reuse"`
	Revoke  bool           `json:"revoke"`
	Deny    bool           `json:"deny"`
	Quit    bool           `json:"quit"`
}

var outMu sync.Mutex

// say prints one JSON line for the spec.
func say(v map[string]any) {
	outMu.Lock()
	defer outMu.Unlock()
	b, _ := json.Marshal(v)
	fmt.Println(string(b))
}

// tokens is the token source the SDK's handler uses (made through its
// NewTokenSource hook): oauth2's refreshing source, whose token can be aged
// so that the next request refreshes it, as it would after 15 minutes.
type tokens struct {
	mu    sync.Mutex
	ctx   context.Context
	conf  *oauth2.Config
	ts    oauth2.TokenSource
	last  *oauth2.Token
	spent string // the refresh token the last refresh exchanged
}

func (t *tokens) Token() (*oauth2.Token, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	tok, err := t.ts.Token()
	if err == nil {
		t.last = tok
	}
	return tok, err
}

func (t *tokens) set(ctx context.Context, conf *oauth2.Config, tok *oauth2.Token) (oauth2.TokenSource, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.ctx, t.conf, t.last, t.ts = ctx, conf, tok, conf.TokenSource(ctx, tok)
	return t, nil
}

// age makes the held token expired; it answers the refresh token it holds.
func (t *tokens) age() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	old := *t.last
	old.Expiry = time.Now().Add(-time.Minute)
	t.ts, t.spent = t.conf.TokenSource(t.ctx, &old), old.RefreshToken
	return old.RefreshToken
}

func (t *tokens) current() (*oauth2.Config, *oauth2.Token) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.conf, t.last
}

// spentToken answers what presenting the spent refresh token again needs.
func (t *tokens) spentToken() (context.Context, *oauth2.Config, string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.ctx, t.conf, t.spent
}

func main() {
	mcpURL := flag.String("url", "", "the MCP endpoint, such as http://127.0.0.1:8080/mcp")
	name := flag.String("name", "Go SDK", "the client's name (dynamic registration)")
	register := flag.String("register", "dcr", "dcr (dynamic client registration) or document (client ID metadata document)")
	document := flag.String("document", "", "with -register document: the https URL of the client's metadata document")
	scopes := flag.String("scopes", "", "the scopes to ask for, space-separated; default: those the server names")
	flag.Parse()
	if *mcpURL == "" || (*register == "document") != (*document != "") || (*register != "dcr" && *register != "document") {
		fmt.Fprintln(os.Stderr, "usage: goclient -url URL [-register dcr | -register document -document URL] [-name NAME] [-scopes 'a b']")
		os.Exit(2)
	}

	// The loopback redirect: the browser lands here after consent.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fail(err)
	}
	redirect := "http://" + ln.Addr().String() + "/callback"
	codes := make(chan url.Values, 1)
	go http.Serve(ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/callback" { // the browser asks for /favicon.ico too
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprint(w, "<!doctype html><title>Go SDK client</title><p>Connected. You may close this tab.</p>")
		select {
		case codes <- r.URL.Query():
		default:
		}
	}))
	say(map[string]any{"redirect": redirect})

	cmds := make(chan command)
	go func() {
		in := bufio.NewScanner(os.Stdin)
		for in.Scan() {
			var c command
			if err := json.Unmarshal(in.Bytes(), &c); err != nil {
				say(map[string]any{"error": "bad command: " + err.Error()})
				continue
			}
			cmds <- c
		}
		close(cmds)
	}()

	ts := &tokens{}
	cfg := auth.AuthorizationCodeHandlerConfig{
		RedirectURL:    redirect,
		NewTokenSource: ts.set,
		// The user's browser: the spec opens the URL, consents, and the redirect comes back here.
		AuthorizationCodeFetcher: func(ctx context.Context, args *auth.AuthorizationArgs) (*auth.AuthorizationResult, error) {
			say(map[string]any{"authorize": args.URL})
			select {
			case q := <-codes:
				if e := q.Get("error"); e != "" {
					return nil, fmt.Errorf("authorization refused: %s", e)
				}
				return &auth.AuthorizationResult{Code: q.Get("code"), State: q.Get("state"), Iss: q.Get("iss")}, nil
			case <-cmds:
				return nil, errors.New("the user did not authorize")
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		},
	}
	if *scopes != "" {
		cfg.ScopeFilter = func([]string) []string { return strings.Fields(*scopes) }
	}
	if *register == "document" {
		cfg.ClientIDMetadataDocumentConfig = &auth.ClientIDMetadataDocumentConfig{URL: *document}
	} else {
		cfg.DynamicClientRegistrationConfig = &auth.DynamicClientRegistrationConfig{Metadata: &oauthex.ClientRegistrationMetadata{
			ClientName: *name, RedirectURIs: []string{redirect}, GrantTypes: []string{"authorization_code", "refresh_token"},
			ResponseTypes: []string{"code"}, TokenEndpointAuthMethod: "none"}}
	}
	h, err := auth.NewAuthorizationCodeHandler(&cfg)
	if err != nil {
		fail(err)
	}
	ctx := context.Background()
	client := mcp.NewClient(&mcp.Implementation{Name: *name, Version: "1.0.0"}, nil)
	cs, err := client.Connect(ctx, &mcp.StreamableClientTransport{Endpoint: *mcpURL, OAuthHandler: h}, nil)
	if err != nil {
		fail(err)
	}
	defer cs.Close()
	conf, tok := ts.current()
	say(map[string]any{"connected": true, "client_id": conf.ClientID, "scope": tok.Extra("scope")})

	call := func(name string, args map[string]any) map[string]any {
		if args == nil {
			args = map[string]any{}
		}
		res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: name, Arguments: args})
		if err != nil {
			return map[string]any{"error": err.Error()}
		}
		text := ""
		for _, c := range res.Content {
			if t, ok := c.(*mcp.TextContent); ok {
				text += t.Text
			}
		}
		return map[string]any{"result": res.StructuredContent, "is_error": res.IsError, "text": text}
	}
	for c := range cmds {
		switch {
		case c.Call != "":
			say(call(c.Call, c.Args))
		case c.Refresh:
			// The SDK's transport asks the token source for a token before
			// each request: an expired one is refreshed by oauth2's grant.
			old := ts.age()
			out := call("list_accounts", nil)
			_, tok := ts.current()
			out["rotated"] = tok.RefreshToken != "" && tok.RefreshToken != old
			out["scope"] = tok.Extra("scope")
			say(out)
		case c.Reuse:
			ctx, conf, spent := ts.spentToken()
			_, err := conf.TokenSource(ctx, &oauth2.Token{RefreshToken: spent, Expiry: time.Now().Add(-time.Minute)}).Token()
			out := map[string]any{"refused": err != nil}
			var re *oauth2.RetrieveError
			if errors.As(err, &re) {
				out["error_code"], out["status"] = re.ErrorCode, re.Response.StatusCode
			}
			say(out)
		case c.Revoke:
			status, err := revoke(ctx, *mcpURL, ts)
			if err != nil {
				say(map[string]any{"error": err.Error()})
				continue
			}
			say(map[string]any{"revoked": status})
		case c.Quit:
			return
		}
	}
}

// revoke finds the revocation endpoint as the SDK finds the others (the
// protected resource's metadata names the authorization server) and
// revokes the refresh token the client holds (RFC 7009).
func revoke(ctx context.Context, mcpURL string, ts *tokens) (int, error) {
	u, err := url.Parse(mcpURL)
	if err != nil {
		return 0, err
	}
	prmURL := u.Scheme + "://" + u.Host + "/.well-known/oauth-protected-resource" + u.Path
	prm, err := oauthex.GetProtectedResourceMetadata(ctx, prmURL, mcpURL, http.DefaultClient)
	if err != nil {
		return 0, err
	}
	if len(prm.AuthorizationServers) == 0 {
		return 0, errors.New("the protected resource metadata names no authorization server")
	}
	asm, err := auth.GetAuthServerMetadata(ctx, prm.AuthorizationServers[0], http.DefaultClient)
	if err != nil {
		return 0, err
	}
	if asm == nil || asm.RevocationEndpoint == "" {
		return 0, errors.New("the authorization server names no revocation endpoint")
	}
	conf, tok := ts.current()
	form := url.Values{"token": {tok.RefreshToken}, "token_type_hint": {"refresh_token"}, "client_id": {conf.ClientID}}
	resp, err := http.PostForm(asm.RevocationEndpoint, form)
	if err != nil {
		return 0, err
	}
	resp.Body.Close()
	return resp.StatusCode, nil
}

func fail(err error) {
	say(map[string]any{"error": err.Error()})
	os.Exit(1)
}
