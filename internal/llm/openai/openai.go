// Package openai is the llm.Provider for OpenAI's Chat Completions API and
// every server that speaks it (Ollama, vLLM, llama.cpp server, LM Studio,
// Azure OpenAI), on the official openai-go SDK.
package openai

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	sdk "github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/openai/openai-go/v3/shared"

	"github.com/jarvis-hq/jarvis/internal/llm"
)

// Name is the provider's name.
const Name = "openai"

// DefaultBaseURL is OpenAI's own API.
const DefaultBaseURL = "https://api.openai.com/v1"

// Provider runs turns on one OpenAI-compatible chat model.
type Provider struct {
	cfg  llm.Config
	chat sdk.ChatCompletionService
	// completionTokens selects max_completion_tokens (OpenAI, Azure) over
	// max_tokens (what other compatible servers understand).
	completionTokens bool
}

var _ llm.Provider = (*Provider)(nil)

// New returns a provider for cfg. cfg.BaseURL is the API root including /v1
// (for Ollama "http://localhost:11434/v1"); empty means DefaultBaseURL.
// APIKey is required for OpenAI itself and optional elsewhere (local servers
// often need none); for Azure hosts it is also sent as the api-key header.
// The SDK's own retries are off: llm.Start retries. New reads no environment
// variables. It returns an error when Model is empty, APIKey is missing for
// OpenAI, or BaseURL is not an absolute http(s) URL.
func New(cfg llm.Config) (*Provider, error) {
	if cfg.Model == "" {
		return nil, errors.New("openai: model is required")
	}
	base := cfg.BaseURL
	if base == "" {
		base = DefaultBaseURL
	}
	u, err := llm.ParseBaseURL(Name, base)
	if err != nil {
		return nil, err
	}
	host := strings.ToLower(u.Hostname())
	official := host == "api.openai.com"
	azure := strings.HasSuffix(host, ".azure.com")
	if official && cfg.APIKey == "" {
		return nil, errors.New("openai: API key is required")
	}
	opts := []option.RequestOption{
		option.WithBaseURL(base),
		option.WithHTTPClient(cfg.Client()),
		option.WithMaxRetries(0),
	}
	if cfg.APIKey != "" {
		opts = append(opts, option.WithAPIKey(cfg.APIKey))
		if azure {
			opts = append(opts, option.WithHeader("api-key", cfg.APIKey))
		}
	}
	return &Provider{
		cfg:              cfg,
		chat:             sdk.NewChatCompletionService(opts...),
		completionTokens: official || azure,
	}, nil
}

// Name returns "openai".
func (p *Provider) Name() string { return Name }

// Model returns the configured model id.
func (p *Provider) Model() string { return p.cfg.Model }

// Stream starts a turn; see llm.Provider. An invalid req is a KindBadRequest
// error and nothing is sent.
func (p *Provider) Stream(ctx context.Context, req llm.Request) (llm.Stream, error) {
	if err := req.Validate(); err != nil {
		return nil, err
	}
	params, err := p.params(req)
	if err != nil {
		return nil, err
	}
	return llm.Start(ctx, p.cfg, Name, func(ctx context.Context) (llm.Stream, error) {
		var res *http.Response
		s := p.chat.NewStreaming(ctx, params, option.WithResponseInto(&res))
		if err := s.Err(); err != nil {
			_ = s.Close()
			return nil, classify(err, res)
		}
		return &stream{sdk: s}, nil
	})
}

// params maps req onto the Chat Completions request.
func (p *Provider) params(req llm.Request) (sdk.ChatCompletionNewParams, error) {
	params := sdk.ChatCompletionNewParams{
		Model:         shared.ChatModel(p.cfg.Model),
		StreamOptions: sdk.ChatCompletionStreamOptionsParam{IncludeUsage: sdk.Bool(true)},
	}
	if req.System != "" {
		params.Messages = append(params.Messages, sdk.SystemMessage(req.System))
	}
	for _, m := range req.Messages {
		switch m.Role {
		case llm.RoleUser:
			params.Messages = append(params.Messages, sdk.UserMessage(m.Text))
		case llm.RoleAssistant:
			var a sdk.ChatCompletionAssistantMessageParam
			if m.Text != "" {
				a.Content.OfString = sdk.String(m.Text)
			}
			for _, c := range m.ToolCalls {
				args := string(c.Arguments)
				if args == "" {
					args = "{}"
				}
				a.ToolCalls = append(a.ToolCalls, sdk.ChatCompletionMessageToolCallUnionParam{
					OfFunction: &sdk.ChatCompletionMessageFunctionToolCallParam{
						ID:       c.ID,
						Function: sdk.ChatCompletionMessageFunctionToolCallFunctionParam{Name: c.Name, Arguments: args},
					},
				})
			}
			params.Messages = append(params.Messages, sdk.ChatCompletionMessageParamUnion{OfAssistant: &a})
		case llm.RoleTool:
			for _, r := range m.ToolResults {
				params.Messages = append(params.Messages, sdk.ToolMessage(r.Content, r.CallID))
			}
		}
	}
	for _, t := range req.Tools {
		schema := shared.FunctionParameters{"type": "object", "properties": map[string]any{}}
		if len(t.Parameters) > 0 {
			schema = nil
			if err := json.Unmarshal(t.Parameters, &schema); err != nil {
				return params, &llm.Error{Kind: llm.KindBadRequest, Provider: Name, Message: "tool " + t.Name + ": parameters are not a JSON object"}
			}
		}
		def := shared.FunctionDefinitionParam{Name: t.Name, Parameters: schema}
		if t.Description != "" {
			def.Description = sdk.String(t.Description)
		}
		params.Tools = append(params.Tools, sdk.ChatCompletionFunctionTool(def))
	}
	if req.MaxTokens > 0 {
		if p.completionTokens {
			params.MaxCompletionTokens = sdk.Int(int64(req.MaxTokens))
		} else {
			params.MaxTokens = sdk.Int(int64(req.MaxTokens))
		}
	}
	if req.Temperature != nil {
		params.Temperature = sdk.Float(*req.Temperature)
	}
	return params, nil
}

// classify turns an SDK error into an *llm.Error. res is the last HTTP
// response, when there was one.
func classify(err error, res *http.Response) error {
	var apiErr *sdk.Error
	if errors.As(err, &apiErr) {
		return llm.StatusError(Name, apiErr.StatusCode, llm.ResponseHeader(apiErr.Response), llm.VendorMessage(apiErr.StatusCode, apiErr.Message), err)
	}
	if res != nil && res.StatusCode >= 400 {
		return llm.StatusError(Name, res.StatusCode, res.Header, "", err)
	}
	return llm.Unavailable(Name, "cannot reach the model", err)
}
