package llm

import (
	"context"
	"errors"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
)

// tracerName names the spans this package makes.
const tracerName = "github.com/jarvis-hq/jarvis/internal/llm"

// Traced returns p making a client span of each of its calls, from the
// request to the end of the stream, after the OpenTelemetry GenAI semantic
// conventions: "chat <model>", with gen_ai.operation.name, gen_ai.system
// (and its newer name gen_ai.provider.name), gen_ai.request.model,
// gen_ai.request.max_tokens, and at the end gen_ai.usage.input_tokens,
// gen_ai.usage.output_tokens and gen_ai.response.finish_reasons. Neither
// the prompt nor the completion is ever recorded, nor a tool's arguments or
// results.
func Traced(p Provider, tp trace.TracerProvider) Provider {
	return traced{Provider: p, tracer: tp.Tracer(tracerName)}
}

type traced struct {
	Provider
	tracer trace.Tracer
}

func (p traced) Stream(ctx context.Context, req Request) (Stream, error) {
	attrs := []attribute.KeyValue{
		attribute.String("gen_ai.operation.name", "chat"),
		attribute.String("gen_ai.system", p.Name()),
		attribute.String("gen_ai.provider.name", p.Name()),
		attribute.String("gen_ai.request.model", p.Model()),
	}
	if req.MaxTokens > 0 {
		attrs = append(attrs, attribute.Int("gen_ai.request.max_tokens", req.MaxTokens))
	}
	ctx, span := p.tracer.Start(ctx, "chat "+p.Model(), trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(attrs...))
	s, err := p.Provider.Stream(ctx, req)
	if err != nil {
		endLLMSpan(span, err, Event{})
		return nil, err
	}
	return onEnd(s, func(done Event, err error) { endLLMSpan(span, err, done) }), nil
}

// endLLMSpan records a call's usage and outcome and ends its span. A
// failure is named by its kind (error.type), never by its message, which
// may quote the vendor's answer.
func endLLMSpan(span trace.Span, err error, done Event) {
	if done.Type == EventDone {
		span.SetAttributes(attribute.Int("gen_ai.usage.input_tokens", done.Usage.InputTokens),
			attribute.Int("gen_ai.usage.output_tokens", done.Usage.OutputTokens))
		if done.StopReason != "" {
			span.SetAttributes(attribute.StringSlice("gen_ai.response.finish_reasons", []string{string(done.StopReason)}))
		}
	}
	if err != nil && !errors.Is(err, context.Canceled) {
		span.SetAttributes(attribute.String("error.type", outcome(err)))
		span.SetStatus(codes.Error, outcome(err))
	}
	span.End()
}
