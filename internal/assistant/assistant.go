// Package assistant is Jarvis's chat agent: it runs the model in a bounded
// loop over the user's mail and calendar tools, streams what happens as
// chat events, keeps the conversation, and holds every action with a side
// effect in the approval queue for the user's approval (or the user's
// policy).
//
// Email and calendar content reaches the model only wrapped and marked as
// untrusted data; the model can search, read and request actions, never
// approve them. Only the user (through Decide or the queue's routes), or a
// policy the user set, lets an action run.
package assistant

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/google/uuid"

	"github.com/jarvis-hq/jarvis"
	"github.com/jarvis-hq/jarvis/internal/llm"
)

// Store is the storage the assistant needs. Every method is scoped to the
// user it names: a row of another user is ENOTFOUND.
type Store interface {
	FindUserByID(ctx context.Context, id string) (*jarvis.User, error)

	// CreateConversation fills c's id and times.
	CreateConversation(ctx context.Context, c *jarvis.Conversation) error
	FindConversation(ctx context.Context, userID, id string) (*jarvis.Conversation, error)
	ListConversations(ctx context.Context, userID, pageToken string, limit int) (*jarvis.ConversationPage, error)
	DeleteConversation(ctx context.Context, userID, id string) error

	// ListChatMessages returns the messages oldest first, with their tool
	// calls and approvals.
	ListChatMessages(ctx context.Context, userID, conversationID string) ([]jarvis.ChatMessage, error)
	// InsertChatMessage keeps m.ID when set and fills m.CreatedAt.
	InsertChatMessage(ctx context.Context, userID, conversationID string, m *jarvis.ChatMessage) error
	UpdateChatMessage(ctx context.Context, userID, id, text, status string, tokens int) error
	InsertToolCall(ctx context.Context, userID string, c *jarvis.ToolCallRecord) error
}

// Limits bound what one turn (one user message) may cost. Zero fields take
// the defaults.
type Limits struct {
	// MaxSteps is the number of model calls in a turn.
	MaxSteps int
	// MaxTurnTokens is the budget of a turn: input and output tokens summed
	// over its model calls, as the provider reports them.
	MaxTurnTokens int
	// MaxToolCallsPerStep is how many tool calls of one model answer run;
	// the rest are refused.
	MaxToolCallsPerStep int
	// MaxAnswerTokens caps each model answer.
	MaxAnswerTokens int
	// MaxToolResultBytes caps the text of a tool result sent to the model.
	MaxToolResultBytes int
	// MaxHistory is how many earlier messages of the conversation are sent.
	MaxHistory int
}

// Default limits.
const (
	DefaultMaxSteps            = 6
	DefaultMaxTurnTokens       = 200_000
	DefaultMaxToolCallsPerStep = 5
	DefaultMaxToolResultBytes  = 24 << 10
	DefaultMaxHistory          = 40
)

func (l Limits) withDefaults() Limits {
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&l.MaxSteps, DefaultMaxSteps)
	def(&l.MaxTurnTokens, DefaultMaxTurnTokens)
	def(&l.MaxToolCallsPerStep, DefaultMaxToolCallsPerStep)
	def(&l.MaxAnswerTokens, llm.DefaultMaxTokens)
	def(&l.MaxToolResultBytes, DefaultMaxToolResultBytes)
	def(&l.MaxHistory, DefaultMaxHistory)
	return l
}

// Config is what the assistant is built from.
type Config struct {
	Model    llm.Provider
	Store    Store
	Mail     jarvis.MailService
	Calendar jarvis.CalendarService
	// Accounts lists the user's Google accounts; when nil, the tools act
	// for the primary account only.
	Accounts AccountLister
	// Auditor records tool calls, proposals and decisions; none when nil.
	Auditor jarvis.Auditor
	// ValidateDraft checks a proposed draft the way drafting will, so that
	// a proposal the user could never execute is refused when it is made.
	ValidateDraft func(jarvis.DraftInput) error
	Clock         jarvis.Clock
	Logger        *slog.Logger
	Limits        Limits
	// Actions is the approval queue: every action the assistant proposes
	// is requested there, as the assistant of its conversation.
	Actions jarvis.ActionService
	// CalendarWriter proposes meeting times (suggest_meeting_times); the
	// tool answers unavailable without it.
	CalendarWriter jarvis.CalendarWriter
}

// Service implements jarvis.ChatService.
type Service struct {
	cfg    Config
	limits Limits
	log    *slog.Logger
	tools  *toolbox
	zones  zones
}

var _ jarvis.ChatService = (*Service)(nil)

// New returns the assistant. It returns an error when the model, store,
// mail or calendar service is missing.
func New(cfg Config) (*Service, error) {
	switch {
	case cfg.Model == nil:
		return nil, errors.New("assistant: a model is required")
	case cfg.Store == nil:
		return nil, errors.New("assistant: a store is required")
	case cfg.Mail == nil || cfg.Calendar == nil:
		return nil, errors.New("assistant: the mail and calendar services are required")
	case cfg.Actions == nil:
		return nil, errors.New("assistant: the approval queue is required")
	}
	if cfg.Clock == nil {
		cfg.Clock = jarvis.SystemClock
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.ValidateDraft == nil {
		cfg.ValidateDraft = func(jarvis.DraftInput) error { return nil }
	}
	s := &Service{cfg: cfg, limits: cfg.Limits.withDefaults(), log: cfg.Logger}
	s.tools = newToolbox()
	return s, nil
}

// ListConversations returns a page of the user's conversations, the most
// recently active first. EINVALID (field page_token) for a bad page token.
func (s *Service) ListConversations(ctx context.Context, userID, pageToken string, limit int) (*jarvis.ConversationPage, error) {
	return s.cfg.Store.ListConversations(ctx, userID, pageToken, limit)
}

// GetConversation returns the user's conversation with its messages, tool
// calls and approvals. ENOTFOUND unless the conversation is the user's.
func (s *Service) GetConversation(ctx context.Context, userID, id string) (*jarvis.ConversationDetail, error) {
	c, err := s.cfg.Store.FindConversation(ctx, userID, id)
	if err != nil {
		return nil, err
	}
	msgs, err := s.cfg.Store.ListChatMessages(ctx, userID, id)
	if err != nil {
		return nil, err
	}
	return &jarvis.ConversationDetail{Conversation: *c, Messages: msgs}, nil
}

// DeleteConversation deletes the user's conversation, with its messages and
// approvals: a pending proposal in it can no longer be approved. ENOTFOUND
// unless the conversation is the user's.
func (s *Service) DeleteConversation(ctx context.Context, userID, id string) error {
	if err := s.cfg.Store.DeleteConversation(ctx, userID, id); err != nil {
		return err
	}
	s.audit(ctx, jarvis.AuditEntry{Action: jarvis.AuditChatConversationDeleted, TargetType: "conversation", TargetID: id})
	return nil
}

// audit records e when an auditor is configured.
func (s *Service) audit(ctx context.Context, e jarvis.AuditEntry) {
	if s.cfg.Auditor != nil {
		s.cfg.Auditor.Record(ctx, e)
	}
}

// now is the clock's time in UTC.
func (s *Service) now() time.Time { return s.cfg.Clock.Now().UTC() }

// user returns the user the assistant works for: the signed-in user from
// ctx when it is the same, else from the store.
func (s *Service) user(ctx context.Context, userID string) (*jarvis.User, error) {
	if u := jarvis.UserFromContext(ctx); u != nil && u.ID == userID {
		return u, nil
	}
	return s.cfg.Store.FindUserByID(ctx, userID)
}

// finalContext is for the writes that record how a turn ended: they must
// happen even when the client has gone and the request's ctx is cancelled.
func finalContext(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
}

func newID() string { return uuid.Must(uuid.NewV7()).String() }
