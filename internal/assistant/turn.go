package assistant

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jarvis-hq/jarvis"
	"github.com/jarvis-hq/jarvis/internal/llm"
)

// maxTitle bounds a conversation's title, in characters.
const maxTitle = 80

// toolName keeps a model's tool name to what every vendor accepts in a
// conversation sent back to it (letters, digits, _ and -, at most 64), so
// that a made-up name cannot make the history unsendable.
func toolName(s string) string {
	b := make([]byte, 0, min(len(s), 64))
	for i := 0; i < len(s) && len(b) < 64; i++ {
		if c := s[i]; c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' {
			b = append(b, c)
		}
	}
	if len(b) == 0 {
		return "unnamed_tool"
	}
	return string(b)
}

// Send adds the user's message to the conversation (a new one when
// conversationID is empty) and runs the assistant's turn, calling emit for
// each event as it happens: text deltas as the model writes them, tool
// calls and their results, approval requests, and message.done at the end.
//
// Nothing is stored until the model has answered: ENOTFOUND for another
// user's conversation and ELLM when the model cannot be reached are
// returned before any event. After that, a model failure is ELLM with the
// answer recorded as failed; a cancelled ctx (the client went away) or an
// emit error stops the turn, records the answer as interrupted and returns
// the cause. EINVALID for an empty message.
func (s *Service) Send(ctx context.Context, userID, conversationID, message string, emit func(jarvis.ChatEvent) error) error {
	message = strings.TrimSpace(message)
	if message == "" {
		return jarvis.Invalid("message", "message is required.")
	}
	user, err := s.user(ctx, userID)
	if err != nil {
		return err
	}
	t := &turn{s: s, ctx: ctx, user: user, emit: emit}
	if conversationID != "" {
		if t.conv, err = s.cfg.Store.FindConversation(ctx, userID, conversationID); err != nil {
			return err
		}
		earlier, err := s.cfg.Store.ListChatMessages(ctx, userID, conversationID)
		if err != nil {
			return err
		}
		t.history = replay(earlier, s.limits.MaxHistory)
	}
	t.history = append(t.history, llm.Message{Role: llm.RoleUser, Text: message})
	if t.loc, err = s.zone(ctx, userID); err != nil {
		// The prompt then gives the time in UTC; a tool that needs the
		// zone reports the calendar's error itself.
		s.log.DebugContext(ctx, "calendar time zone", "err", err)
		t.loc = nil
	}
	t.system = systemPrompt(user, s.now(), t.loc)
	if list, err := t.accounts(); err == nil {
		t.system += accountsLine(list)
	}

	stream, err := s.cfg.Model.Stream(ctx, t.request())
	if err != nil {
		return s.modelError(ctx, err)
	}
	if err := t.begin(message); err != nil {
		stream.Close()
		return err
	}
	return t.run(stream)
}

// turn is one run of the agent loop for one user message.
type turn struct {
	s       *Service
	ctx     context.Context
	user    *jarvis.User
	conv    *jarvis.Conversation
	emit    func(jarvis.ChatEvent) error
	system  string
	history []llm.Message
	// loc is the user's time zone, nil when it could not be read.
	loc *time.Location
	// accountList is the user's Google accounts, read once (see accounts).
	accountList []jarvis.GoogleAccount

	msgID  string
	text   strings.Builder
	tokens int
	gone   error // why the client can no longer be reached
}

func (t *turn) request() llm.Request {
	return llm.Request{System: t.system, Messages: t.history, Tools: t.s.tools.offer, MaxTokens: t.s.limits.MaxAnswerTokens}
}

// begin stores the conversation (when new), the user's message and the
// assistant's message, and announces the conversation. The assistant's
// message is stored as interrupted until the turn ends otherwise, so that a
// process that dies mid-turn leaves an honest record.
func (t *turn) begin(message string) error {
	st := t.s.cfg.Store
	if t.conv == nil {
		t.conv = &jarvis.Conversation{UserID: t.user.ID, Title: title(message)}
		if err := st.CreateConversation(t.ctx, t.conv); err != nil {
			return err
		}
	}
	if err := st.InsertChatMessage(t.ctx, t.user.ID, t.conv.ID, &jarvis.ChatMessage{Role: jarvis.RoleUser, Text: message, Status: jarvis.MessageComplete}); err != nil {
		return err
	}
	m := &jarvis.ChatMessage{ID: newID(), Role: jarvis.RoleAssistant, Status: jarvis.MessageInterrupted}
	if err := st.InsertChatMessage(t.ctx, t.user.ID, t.conv.ID, m); err != nil {
		return err
	}
	t.msgID = m.ID
	_ = t.send(jarvis.EventConversation, conversationEvent{ConversationID: t.conv.ID})
	return nil
}

// send emits an event, remembering when the client has gone.
func (t *turn) send(typ string, data any) error {
	if t.gone != nil {
		return t.gone
	}
	if err := t.emit(jarvis.ChatEvent{Type: typ, Data: data}); err != nil {
		t.gone = err
		return err
	}
	return nil
}

// run is the agent loop: stream the model's answer, run the tools it
// called, and call it again with their results, until it answers without
// tools or a limit is reached.
func (t *turn) run(stream llm.Stream) error {
	lim := t.s.limits
	for step := 1; ; step++ {
		text, calls, stop, err := t.consume(stream)
		if err != nil {
			return t.fail(err)
		}
		if len(calls) == 0 {
			if stop == llm.StopMaxTokens {
				t.note("[The answer was cut short: it reached the length limit.]")
			}
			return t.finish(jarvis.MessageComplete)
		}
		stepsLeft := step < lim.MaxSteps
		budgetLeft := t.tokens < lim.MaxTurnTokens
		results := t.runTools(calls, stepsLeft && budgetLeft)
		t.history = append(t.history,
			llm.Message{Role: llm.RoleAssistant, Text: text, ToolCalls: calls},
			llm.Message{Role: llm.RoleTool, ToolResults: results})
		if t.gone != nil || t.ctx.Err() != nil {
			return t.interrupted()
		}
		switch {
		case !stepsLeft:
			t.note(fmt.Sprintf("[I stopped here: this request needed more than %d steps. Ask me to continue if you want me to go on.]", lim.MaxSteps))
			return t.finish(jarvis.MessageComplete)
		case !budgetLeft:
			t.note(fmt.Sprintf("[I stopped here: this request used its budget of %d tokens. Ask me to continue if you want me to go on.]", lim.MaxTurnTokens))
			return t.finish(jarvis.MessageComplete)
		}
		if stream, err = t.s.cfg.Model.Stream(t.ctx, t.request()); err != nil {
			return t.fail(err)
		}
	}
}

// consume reads one model answer to its end, emitting text deltas as they
// arrive, and closes the stream. The tool calls it returns carry ids of
// Jarvis's own, under which they are stored and sent back to the model.
func (t *turn) consume(stream llm.Stream) (string, []llm.ToolCall, llm.StopReason, error) {
	defer stream.Close()
	var text strings.Builder
	var calls []llm.ToolCall
	var stop llm.StopReason
	for stream.Next() {
		ev := stream.Event()
		switch ev.Type {
		case llm.EventTextDelta:
			if ev.Text == "" {
				continue
			}
			delta := ev.Text
			if text.Len() == 0 && t.text.Len() > 0 && !strings.HasSuffix(t.text.String(), "\n") {
				delta = "\n\n" + delta // a new step's text starts a paragraph
			}
			text.WriteString(ev.Text)
			t.text.WriteString(delta)
			if err := t.send(jarvis.EventMessageDelta, deltaEvent{Text: delta}); err != nil {
				return "", nil, "", err
			}
		case llm.EventToolCall:
			if ev.ToolCall != nil {
				c := *ev.ToolCall
				c.ID, c.Name = newID(), toolName(c.Name)
				calls = append(calls, c)
			}
		case llm.EventDone:
			t.tokens += ev.Usage.InputTokens + ev.Usage.OutputTokens
			stop = ev.StopReason
		}
	}
	if err := stream.Err(); err != nil {
		return "", nil, "", err
	}
	if err := t.ctx.Err(); err != nil {
		return "", nil, "", err
	}
	return text.String(), calls, stop, nil
}

// runTools runs one answer's tool calls in order, each announced, recorded,
// audited and answered. When run is false (a limit was reached) none runs,
// but each still gets a result, so the conversation stays well formed.
func (t *turn) runTools(calls []llm.ToolCall, run bool) []llm.ToolResult {
	results := make([]llm.ToolResult, 0, len(calls))
	for i, c := range calls {
		name := c.Name
		_ = t.send(jarvis.EventToolCall, toolCallEvent{ID: c.ID, Name: name, Arguments: c.Arguments})
		var o outcome
		switch {
		case t.gone != nil || t.ctx.Err() != nil:
			o = failed("interrupted", "The user went away; the tool did not run.", "Not run: interrupted")
		case !run:
			o = failed("turn_limit", "Not run: this turn reached its limit of steps or tokens.", "Not run: turn limit reached")
		case i >= t.s.limits.MaxToolCallsPerStep:
			o = failed("too_many_tool_calls", fmt.Sprintf("Refused: at most %d tool calls run per step. Call it again in the next step if it is still needed.", t.s.limits.MaxToolCallsPerStep),
				"Refused: too many tool calls in one step")
		default:
			o = t.s.tools.call(t, c)
		}
		t.record(c, name, o)
		_ = t.send(jarvis.EventToolResult, toolResultEvent{ID: c.ID, Name: name, OK: !o.isError, Summary: o.summary})
		results = append(results, llm.ToolResult{CallID: c.ID, Name: c.Name, Content: o.content, IsError: o.isError})
	}
	return results
}

// record stores and audits a tool call. The audit row names the tool, its
// target and the outcome, never the content.
func (t *turn) record(c llm.ToolCall, name string, o outcome) {
	ctx, cancel := finalContext(t.ctx)
	defer cancel()
	rec := &jarvis.ToolCallRecord{ID: c.ID, MessageID: t.msgID, Name: name, Arguments: c.Arguments, OK: !o.isError, Summary: o.summary}
	if err := t.s.cfg.Store.InsertToolCall(ctx, t.user.ID, rec); err != nil {
		t.s.log.ErrorContext(ctx, "store tool call", "tool", name, "err", err)
	}
	e := jarvis.AuditEntry{Action: jarvis.AuditChatToolCall, TargetType: o.targetType, TargetID: o.targetID, Outcome: jarvis.OutcomeSuccess,
		Metadata: map[string]any{"tool": name, "tool_call_id": c.ID, "conversation_id": t.conv.ID}}
	for k, v := range o.meta {
		e.Metadata[k] = v
	}
	switch {
	case o.denied:
		e.Outcome = jarvis.OutcomeDenied
	case o.isError:
		e.Outcome = jarvis.OutcomeFailure
	}
	if o.code != "" {
		e.Metadata["error_code"] = o.code
	}
	t.s.audit(ctx, e)
}

// note appends a line of Jarvis's own to the answer.
func (t *turn) note(s string) {
	if t.text.Len() > 0 {
		s = "\n\n" + s
	}
	t.text.WriteString(s)
	_ = t.send(jarvis.EventMessageDelta, deltaEvent{Text: s})
}

// finish records the answer with status and announces its end.
func (t *turn) finish(status string) error {
	if err := t.save(status); err != nil {
		return err
	}
	if err := t.send(jarvis.EventMessageDone, doneEvent{MessageID: t.msgID}); err != nil {
		return err
	}
	return nil
}

// save records the answer's text and status, even when ctx is cancelled.
func (t *turn) save(status string) error {
	ctx, cancel := finalContext(t.ctx)
	defer cancel()
	if err := t.s.cfg.Store.UpdateChatMessage(ctx, t.user.ID, t.msgID, t.text.String(), status, t.tokens); err != nil {
		t.s.log.ErrorContext(ctx, "store chat message", "status", status, "err", err)
		return err
	}
	return nil
}

// interrupted records a turn the client left, and returns why it stopped.
func (t *turn) interrupted() error {
	_ = t.save(jarvis.MessageInterrupted)
	if err := t.ctx.Err(); err != nil {
		return err
	}
	return t.gone
}

// fail ends the turn after an error of the model or of the client.
func (t *turn) fail(err error) error {
	if t.gone != nil || t.ctx.Err() != nil {
		return t.interrupted()
	}
	_ = t.save(jarvis.MessageFailed)
	return t.s.modelError(t.ctx, err)
}

// modelError turns a model failure into ELLM (or the caller's own ctx
// error). The cause is logged, never sent.
func (s *Service) modelError(ctx context.Context, err error) error {
	if cerr := ctx.Err(); cerr != nil {
		return cerr
	}
	e := &jarvis.Error{Code: jarvis.ELLM, Message: "The assistant's model is unavailable right now. Try again shortly.", Err: err}
	level := slog.LevelWarn
	var le *llm.Error
	if errors.As(err, &le) {
		switch le.Kind {
		case llm.KindRateLimited:
			e.Message, e.RetryAfter = "The assistant's model is busy. Try again shortly.", le.RetryAfter
		case llm.KindAuth, llm.KindBadRequest:
			level = slog.LevelError // configuration or code, not weather
		}
	}
	s.log.Log(ctx, level, "model call failed", "err", err)
	return e
}

// title makes a conversation's title of the first line of its first message.
func title(message string) string {
	line, _, _ := strings.Cut(message, "\n")
	line = strings.Join(strings.Fields(line), " ")
	if utf8.RuneCountInString(line) > maxTitle {
		r := []rune(line)
		line = strings.TrimSpace(string(r[:maxTitle-1])) + "…"
	}
	if line == "" {
		line = "New conversation"
	}
	return line
}
