package mcpserver

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// ProxyConfig configures the stdio proxy of `jarvis mcp --stdio`.
type ProxyConfig struct {
	// URL is the Jarvis to reach (its /mcp is URL/mcp).
	URL string
	// Token is a personal token (jarvis_pat_…) or an access token.
	Token string
	// HTTPClient makes the requests (nil: one with a 60 s timeout).
	HTTPClient *http.Client
}

// bearer adds the token to every request to Jarvis.
type bearer struct {
	token string
	next  http.RoundTripper
}

func (b bearer) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+b.token)
	return b.next.RoundTrip(r)
}

// Proxy serves MCP on t (stdio, for a local desktop client) with the
// tools of the Jarvis at cfg.URL, calling them there over Streamable HTTP
// with the token. A tool that asks the user (an action waiting for
// approval) is forwarded to the local client as an elicitation when it
// can take one. Proxy returns when the local client goes away or ctx ends.
func Proxy(ctx context.Context, cfg ProxyConfig, t mcp.Transport) error {
	if cfg.URL == "" || cfg.Token == "" {
		return errors.New("the Jarvis URL and a token are needed (JARVIS_URL, JARVIS_TOKEN)")
	}
	hc := cfg.HTTPClient
	if hc == nil {
		hc = &http.Client{Timeout: 60 * time.Second}
	}
	next := hc.Transport
	if next == nil {
		next = http.DefaultTransport
	}
	withToken := *hc
	withToken.Transport = bearer{token: cfg.Token, next: next}
	// Jarvis's questions (an action waiting for approval) pass through as
	// they are: the proxy returns them to the local client, which answers
	// (itself on 2026-07-28; through elicitation/create, asked by the local
	// server, on older versions), and the retry carries the answers back.
	client := mcp.NewClient(&mcp.Implementation{Name: "jarvis-mcp-stdio", Version: ServerVersion}, &mcp.ClientOptions{
		MultiRoundTrip: &mcp.MultiRoundTripOptions{Disabled: true},
		ElicitationHandler: func(context.Context, *mcp.ElicitRequest) (*mcp.ElicitResult, error) {
			return &mcp.ElicitResult{Action: "cancel"}, nil
		},
	})
	remote, err := client.Connect(ctx, &mcp.StreamableClientTransport{Endpoint: strings.TrimSuffix(cfg.URL, "/") + "/mcp", HTTPClient: &withToken}, nil)
	if err != nil {
		return fmt.Errorf("connecting to %s/mcp: %w", strings.TrimSuffix(cfg.URL, "/"), err)
	}
	defer remote.Close()
	init := remote.InitializeResult()
	info := &mcp.Implementation{Name: "jarvis", Version: ServerVersion}
	instructions := ""
	if init != nil {
		if init.ServerInfo != nil {
			info = init.ServerInfo
		}
		instructions = init.Instructions
	}
	local := mcp.NewServer(info, &mcp.ServerOptions{Instructions: instructions})
	for tool, err := range remote.Tools(ctx, nil) {
		if err != nil {
			return fmt.Errorf("listing Jarvis's tools: %w", err)
		}
		local.AddTool(tool, func(ctx context.Context, req *mcp.CallToolRequest) (*mcp.CallToolResult, error) {
			res, err := remote.CallTool(ctx, &mcp.CallToolParams{Name: req.Params.Name, Arguments: req.Params.Arguments,
				InputResponses: req.Params.InputResponses, RequestState: req.Params.RequestState})
			if err != nil || res.InputRequests == nil || canElicit(req) {
				return res, err
			}
			// A local client that cannot be asked: the questions are
			// cancelled, and the action stays pending for the dashboard.
			cancelled := mcp.InputResponseMap{}
			for k := range res.InputRequests {
				cancelled[k] = &mcp.ElicitResult{Action: "cancel"}
			}
			return remote.CallTool(ctx, &mcp.CallToolParams{Name: req.Params.Name, Arguments: req.Params.Arguments,
				InputResponses: cancelled, RequestState: res.RequestState})
		})
	}
	ss, err := local.Connect(ctx, t, nil)
	if err != nil {
		return err
	}
	return ss.Wait()
}
