// Package anthropic is the llm.Provider for Anthropic's Messages API, on the
// official anthropic-sdk-go SDK.
package anthropic

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"

	sdk "github.com/anthropics/anthropic-sdk-go/v2"
	"github.com/anthropics/anthropic-sdk-go/v2/option"

	"github.com/jarvis-hq/jarvis/internal/llm"
)

// Name is the provider's name.
const Name = "anthropic"

// DefaultBaseURL is Anthropic's own API.
const DefaultBaseURL = "https://api.anthropic.com"

// Provider runs turns on one Anthropic model.
type Provider struct {
	cfg      llm.Config
	messages sdk.MessageService
}

var _ llm.Provider = (*Provider)(nil)

// New returns a provider for cfg. cfg.BaseURL is the API root without /v1
// (the SDK adds v1/messages); empty means DefaultBaseURL, where APIKey is
// required. The SDK's own retries are off: llm.Start retries. New reads no
// environment variables or credential files. It returns an error when Model
// is empty, APIKey is missing for Anthropic itself, or BaseURL is not an
// absolute http(s) URL.
func New(cfg llm.Config) (*Provider, error) {
	if cfg.Model == "" {
		return nil, errors.New("anthropic: model is required")
	}
	base := cfg.BaseURL
	if base == "" {
		base = DefaultBaseURL
		if cfg.APIKey == "" {
			return nil, errors.New("anthropic: API key is required")
		}
	}
	if _, err := llm.ParseBaseURL(Name, base); err != nil {
		return nil, err
	}
	opts := []option.RequestOption{
		option.WithoutEnvironmentDefaults(),
		option.WithBaseURL(base),
		option.WithHTTPClient(cfg.Client()),
		option.WithMaxRetries(0),
	}
	if cfg.APIKey != "" {
		opts = append(opts, option.WithAPIKey(cfg.APIKey))
	}
	client := sdk.NewClient(opts...)
	return &Provider{cfg: cfg, messages: client.Messages}, nil
}

// Name returns "anthropic".
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
	var extra []option.RequestOption
	if req.Temperature != nil {
		// Not a field of the SDK's params any more; still part of the API.
		extra = append(extra, option.WithJSONSet("temperature", *req.Temperature))
	}
	return llm.Start(ctx, p.cfg, Name, func(ctx context.Context) (llm.Stream, error) {
		var res *http.Response
		s := p.messages.NewStreaming(ctx, params, append(extra, option.WithResponseInto(&res))...)
		if err := s.Err(); err != nil {
			_ = s.Close()
			return nil, classify(err, res)
		}
		return &stream{sdk: s}, nil
	})
}

// params maps req onto the Messages request. Tool results become a user
// message of tool_result blocks, as the API wants.
func (p *Provider) params(req llm.Request) (sdk.MessageNewParams, error) {
	params := sdk.MessageNewParams{
		Model:     sdk.Model(p.cfg.Model),
		MaxTokens: llm.DefaultMaxTokens,
	}
	if req.MaxTokens > 0 {
		params.MaxTokens = int64(req.MaxTokens)
	}
	if req.System != "" {
		params.System = []sdk.TextBlockParam{{Text: req.System}}
	}
	for _, m := range req.Messages {
		switch m.Role {
		case llm.RoleUser:
			params.Messages = append(params.Messages, sdk.NewUserMessage(sdk.NewTextBlock(m.Text)))
		case llm.RoleAssistant:
			var blocks []sdk.ContentBlockParamUnion
			if m.Text != "" {
				blocks = append(blocks, sdk.NewTextBlock(m.Text))
			}
			for _, c := range m.ToolCalls {
				blocks = append(blocks, sdk.NewToolUseBlock(c.ID, toolInput(c.Arguments), c.Name))
			}
			params.Messages = append(params.Messages, sdk.NewAssistantMessage(blocks...))
		case llm.RoleTool:
			blocks := make([]sdk.ContentBlockParamUnion, 0, len(m.ToolResults))
			for _, r := range m.ToolResults {
				blocks = append(blocks, toolResult(r))
			}
			params.Messages = append(params.Messages, sdk.NewUserMessage(blocks...))
		}
	}
	for _, t := range req.Tools {
		schema, err := inputSchema(t.Parameters)
		if err != nil {
			return params, &llm.Error{Kind: llm.KindBadRequest, Provider: Name, Message: "tool " + t.Name + ": " + err.Error()}
		}
		tool := sdk.ToolParam{Name: t.Name, InputSchema: schema}
		if t.Description != "" {
			tool.Description = sdk.String(t.Description)
		}
		params.Tools = append(params.Tools, sdk.ToolUnionParam{OfTool: &tool})
	}
	return params, nil
}

// toolInput is a tool_use block's input: the arguments object, or {} when
// they are not one (the API accepts only objects).
func toolInput(args json.RawMessage) any {
	var obj map[string]json.RawMessage
	if len(args) == 0 || json.Unmarshal(args, &obj) != nil || obj == nil {
		return map[string]any{}
	}
	return json.RawMessage(args)
}

func toolResult(r llm.ToolResult) sdk.ContentBlockParamUnion {
	b := sdk.ToolResultBlockParam{ToolUseID: r.CallID}
	if r.Content != "" { // the API refuses empty text blocks
		b.Content = []sdk.ToolResultBlockParamContentUnion{{OfText: &sdk.TextBlockParam{Text: r.Content}}}
	}
	if r.IsError {
		b.IsError = sdk.Bool(true)
	}
	return sdk.ContentBlockParamUnion{OfToolResult: &b}
}

// inputSchema splits a JSON Schema object into the SDK's fields.
func inputSchema(raw json.RawMessage) (sdk.ToolInputSchemaParam, error) {
	var s sdk.ToolInputSchemaParam
	if len(raw) == 0 {
		s.Properties = map[string]any{}
		return s, nil
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil || m == nil {
		return s, errors.New("parameters are not a JSON object")
	}
	s.Properties = m["properties"]
	if req, ok := m["required"].([]any); ok {
		for _, r := range req {
			if name, ok := r.(string); ok {
				s.Required = append(s.Required, name)
			}
		}
	}
	delete(m, "properties")
	delete(m, "required")
	delete(m, "type")
	if len(m) > 0 {
		s.ExtraFields = m
	}
	return s, nil
}

// classify turns an SDK error into an *llm.Error. res is the last HTTP
// response, when there was one. An error event inside a 200 stream is
// classified by its type.
func classify(err error, res *http.Response) error {
	var apiErr *sdk.Error
	if errors.As(err, &apiErr) {
		if apiErr.StatusCode >= 400 {
			return llm.StatusError(Name, apiErr.StatusCode, llm.ResponseHeader(apiErr.Response), llm.VendorMessage(apiErr.StatusCode, apiErr.Message), err)
		}
		return &llm.Error{Kind: kindForType(apiErr.Type()), Provider: Name, Message: "model failed mid-stream: " + string(apiErr.Type()), Err: err}
	}
	if res != nil && res.StatusCode >= 400 {
		return llm.StatusError(Name, res.StatusCode, res.Header, "", err)
	}
	return llm.Unavailable(Name, "cannot reach the model", err)
}

func kindForType(t sdk.ErrorType) llm.Kind {
	switch t {
	case sdk.ErrorTypeRateLimitError:
		return llm.KindRateLimited
	case sdk.ErrorTypeAuthenticationError, sdk.ErrorTypePermissionError, sdk.ErrorTypeBillingError:
		return llm.KindAuth
	case sdk.ErrorTypeInvalidRequestError, sdk.ErrorTypeNotFoundError:
		return llm.KindBadRequest
	}
	return llm.KindUnavailable
}
