package intake

import (
	"context"
	"log/slog"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/api/pubsub/v1"
)

// Pull receives notifications from a Pub/Sub subscription, for deployments
// that Google cannot reach: each message is acknowledged only after its
// high-water mark is stored, so a crash in between means a redelivery, not
// a loss.
type Pull struct {
	Service      *pubsub.Service
	Subscription string // projects/P/subscriptions/S
	Recorder     Recorder
	Logger       *slog.Logger
	// Backoff is the wait after a failed pull (default 5 s).
	Backoff time.Duration
	// Tracer, when set, makes a span of each message received, so that the
	// sync it schedules (a job carrying the span) continues its trace, as
	// a push's request does; nil: none.
	Tracer trace.TracerProvider
}

// Run pulls until ctx ends.
func (p *Pull) Run(ctx context.Context) {
	backoff := p.Backoff
	if backoff <= 0 {
		backoff = 5 * time.Second
	}
	for ctx.Err() == nil {
		if err := p.pullOnce(ctx); err != nil && ctx.Err() == nil {
			p.Logger.Warn("pubsub pull failed", "subscription", p.Subscription, "err", err)
			select {
			case <-ctx.Done():
			case <-time.After(backoff):
			}
		}
	}
}

// record records one notification, in a span of its own when traced.
func (p *Pull) record(ctx context.Context, messageID string, n Notification) error {
	if p.Tracer == nil {
		return record(ctx, p.Recorder, p.Logger, n)
	}
	ctx, span := p.Tracer.Tracer("github.com/jarvis-hq/jarvis/internal/intake").Start(ctx, "receive gmail notification",
		trace.WithSpanKind(trace.SpanKindConsumer), trace.WithAttributes(attribute.String("messaging.system", "gcp_pubsub"),
			attribute.String("messaging.operation.type", "receive"), attribute.String("messaging.message.id", messageID)))
	defer span.End()
	err := record(ctx, p.Recorder, p.Logger, n)
	if err != nil {
		span.SetStatus(codes.Error, "not recorded")
	}
	return err
}

// pullOnce waits for a batch, records each notification and acknowledges
// those recorded (a malformed one too: redelivering it cannot help).
func (p *Pull) pullOnce(ctx context.Context) error {
	resp, err := p.Service.Projects.Subscriptions.Pull(p.Subscription, &pubsub.PullRequest{MaxMessages: 100}).Context(ctx).Do()
	if err != nil {
		return err
	}
	var ack []string
	for _, m := range resp.ReceivedMessages {
		if m.Message == nil {
			ack = append(ack, m.AckId)
			continue
		}
		n, err := decode(m.Message.Data)
		if err != nil {
			p.Logger.Warn("pubsub message is not a gmail notification", "message_id", m.Message.MessageId)
			ack = append(ack, m.AckId)
			continue
		}
		if err := p.record(ctx, m.Message.MessageId, n); err != nil {
			p.Logger.Warn("pubsub notification not recorded; it will be redelivered", "err", err)
			continue
		}
		ack = append(ack, m.AckId)
	}
	if len(ack) == 0 {
		return nil
	}
	_, err = p.Service.Projects.Subscriptions.Acknowledge(p.Subscription, &pubsub.AcknowledgeRequest{AckIds: ack}).Context(ctx).Do()
	return err
}
