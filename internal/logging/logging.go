// Package logging builds Jarvis's slog logger: JSON in production, colourless
// text on a terminal, every line of a request carrying its request id (and,
// when it is traced, its trace_id and span_id), and attributes whose names
// suggest a secret redacted.
package logging

import (
	"context"
	"io"
	"log/slog"
	"os"
	"strings"

	"go.opentelemetry.io/otel/trace"
	"golang.org/x/term"

	"github.com/jarvis-hq/jarvis"
)

// New returns a logger writing to w in the format ("json", "text" or "auto")
// at the level ("debug", "info", "warn", "error").
func New(w io.Writer, format, level string) *slog.Logger {
	var lv slog.Level
	_ = lv.UnmarshalText([]byte(level))
	opts := &slog.HandlerOptions{Level: lv, ReplaceAttr: redact}
	if format == "auto" {
		format = "json"
		if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
			format = "text"
		}
	}
	var h slog.Handler
	if format == "text" {
		h = slog.NewTextHandler(w, opts)
	} else {
		h = slog.NewJSONHandler(w, opts)
	}
	return slog.New(contextHandler{h})
}

// secretish are attribute names whose values are never logged.
var secretish = []string{"token", "secret", "password", "authorization", "cookie", "code", "verifier", "key", "nonce"}

func redact(groups []string, a slog.Attr) slog.Attr {
	k := strings.ToLower(a.Key)
	if k == "request_id" || k == "status_code" || k == "error_code" || strings.HasSuffix(k, "_id") {
		return a
	}
	for _, s := range secretish {
		if strings.Contains(k, s) {
			return slog.String(a.Key, "[redacted]")
		}
	}
	return a
}

// contextHandler adds the request id, user id and span found in the context.
type contextHandler struct{ slog.Handler }

func (h contextHandler) Handle(ctx context.Context, r slog.Record) error {
	if sc := trace.SpanContextFromContext(ctx); sc.IsValid() {
		r.AddAttrs(slog.String("trace_id", sc.TraceID().String()), slog.String("span_id", sc.SpanID().String()))
	}
	if id := jarvis.RequestIDFromContext(ctx); id != "" {
		r.AddAttrs(slog.String("request_id", id))
	}
	if id := jarvis.UserIDFromContext(ctx); id != "" {
		r.AddAttrs(slog.String("user_id", id))
	}
	return h.Handler.Handle(ctx, r)
}

func (h contextHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return contextHandler{h.Handler.WithAttrs(as)}
}

func (h contextHandler) WithGroup(name string) slog.Handler {
	return contextHandler{h.Handler.WithGroup(name)}
}
