package jarvis

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"time"
)

// Action kinds: what an action does. Each is also the audit action its
// execution is recorded under, except where the audit names differ.
const (
	ActionDraftCreate    = "gmail.draft.create"
	ActionDraftUpdate    = "gmail.draft.update"
	ActionDraftSend      = "gmail.draft.send"
	ActionMessageSend    = "gmail.message.send"
	ActionThreadModify   = "gmail.thread.modify"
	ActionThreadTrash    = "gmail.thread.trash"
	ActionThreadUntrash  = "gmail.thread.untrash"
	ActionEventCreate    = "calendar.event.create"
	ActionEventUpdate    = "calendar.event.update"
	ActionEventDelete    = "calendar.event.delete"
	ActionEventRSVP      = "calendar.event.rsvp"
	ActionScheduleCancel = "gmail.send.cancel"
)

// PreparedAction is an action's payload made exact before anyone decides
// on it: what is shown to the owner is what runs. Preparing may ask Google
// (a reply-all's recipients are computed from the thread then, not when it
// runs) but changes nothing.
type PreparedAction struct {
	// Payload is the canonical payload: stored, shown, and executed as is.
	Payload json.RawMessage
	// Account is the Google account the action acts in.
	Account *AccountRef
	// Summary is one line for the owner ("Send “Q3 plan” to ann@example.com").
	Summary string
	// Recipients are the addresses the action sends mail to (sends, replies,
	// forwards, invitations): what the policy's allowed domains and daily
	// cap are checked against. Empty for an action that sends nothing.
	Recipients []string
	// Sends is true for an action that sends mail (drafts-only mode refuses
	// it for agents and the daily cap counts it).
	Sends bool
}

// ActionExecutor prepares and runs one kind of action for a user. Both
// take the user explicitly and act only within that user's accounts.
type ActionExecutor interface {
	// Prepare validates a requested payload (EINVALID naming the field)
	// and makes it exact.
	Prepare(ctx context.Context, userID string, payload json.RawMessage) (*PreparedAction, error)
	// Execute runs a prepared payload and returns what it made (the draft,
	// the sent or scheduled message, the event as Google stored it), as the
	// REST route for the same operation answers.
	Execute(ctx context.Context, userID string, payload json.RawMessage) (json.RawMessage, error)
}

// WorkingHours are when the owner takes meetings: meeting-time proposals
// fall within them. A policy without them means Monday to Friday, 09:00 to
// 17:00, in the calendar's time zone.
type WorkingHours struct {
	// TimeZone is an IANA zone; "" means the calendar's own.
	TimeZone string `json:"time_zone" doc:"IANA time zone of the hours; empty: the calendar's."`
	// Days are the working weekdays: mon, tue, wed, thu, fri, sat, sun.
	Days []string `json:"days" doc:"Working weekdays: mon, tue, wed, thu, fri, sat, sun."`
	// Start and End are wall-clock times, HH:MM, Start before End.
	Start string `json:"start" doc:"Start of the working day, HH:MM."`
	End   string `json:"end" doc:"End of the working day, HH:MM."`
}

// WorkingHoursSource gives a user's effective working hours (their own,
// else their organisation's, else nil for the default).
type WorkingHoursSource interface {
	WorkingHours(ctx context.Context, userID string) (*WorkingHours, error)
}

// Action statuses. An action is pending until its owner (or the policy)
// decides; approved while it runs; executed or failed once it ran.
// Rejected and expired actions never run.
const (
	ActionPending  = "pending"
	ActionApproved = "approved"
	ActionRejected = "rejected"
	ActionExpired  = "expired"
	ActionExecuted = "executed"
	ActionFailed   = "failed"
)

// ActionStatuses lists the statuses, for filters.
var ActionStatuses = []string{ActionPending, ActionApproved, ActionRejected, ActionExpired, ActionExecuted, ActionFailed}

// ActionKinds lists the kinds an action can have.
var ActionKinds = []string{ActionDraftCreate, ActionDraftUpdate, ActionDraftSend, ActionMessageSend, ActionThreadModify, ActionThreadTrash, ActionThreadUntrash,
	ActionEventCreate, ActionEventUpdate, ActionEventDelete, ActionEventRSVP, ActionScheduleCancel}

// Requester types: who asked for an action.
const (
	// RequesterUser is the owner acting: it needs no approval.
	RequesterUser = "user"
	// RequesterAssistant is the chat assistant; its id is the conversation's.
	RequesterAssistant = "assistant"
	// RequesterClient is an outside client (an MCP client); its id is the
	// client's.
	RequesterClient = "client"
)

// DecidedByPolicy is the decider of an action the owner's policy let run
// without asking.
const DecidedByPolicy = "policy"

// Requester is who asked for an action.
type Requester struct {
	Type string `json:"type" doc:"user (the owner), assistant (the chat assistant) or client (an outside client, such as an MCP client)."`
	ID   string `json:"id" doc:"The user's id, the conversation's (assistant) or the client's."`
	Name string `json:"name" doc:"A name to show: the client's name, or the assistant's."`
	// Tool is the tool the requester called, when it called one.
	Tool string `json:"tool,omitempty" doc:"The tool the requester called, if any."`
	// MessageID is the chat message that proposed the action (assistant).
	MessageID string `json:"-"`
}

// Agent reports whether the requester is an agent (not the owner acting),
// whose actions the policy governs.
func (r Requester) Agent() bool { return r.Type != RequesterUser }

// Policy verdicts on a requested action.
const (
	// VerdictOwner: the owner asked; the policy does not apply.
	VerdictOwner = "owner"
	// VerdictAutoApproved: the policy let the action run without asking.
	VerdictAutoApproved = "auto_approved"
	// VerdictApprovalRequired: the action waits for the owner.
	VerdictApprovalRequired = "approval_required"
)

// Policy flags: why an agent's action may not run without the owner, even
// where the policy auto-approves its kind.
const (
	FlagOutsideAllowedDomains = "outside_allowed_domains"
	FlagDraftsOnly            = "drafts_only"
	FlagDailySendCap          = "daily_send_cap_reached"
)

// ActionPolicy is the policy's verdict on an action, taken when it was
// requested.
type ActionPolicy struct {
	Verdict string   `json:"verdict" doc:"owner (the owner asked), auto_approved (the policy ran it) or approval_required."`
	Flags   []string `json:"flags" doc:"Why it may not run without the owner: outside_allowed_domains, drafts_only, daily_send_cap_reached."`
}

// Action is something done, or to be done, in a user's mail or calendar,
// with who asked, the exact payload, the decision and the outcome.
type Action struct {
	ID        string          `json:"id"`
	UserID    string          `json:"-"`
	Kind      string          `json:"kind" doc:"What the action does: gmail.draft.create, gmail.message.send, gmail.thread.modify, calendar.event.create, …"`
	Status    string          `json:"status" doc:"pending, approved (running), rejected, expired, executed or failed."`
	Summary   string          `json:"summary" doc:"One line for the owner."`
	Requester Requester       `json:"requester"`
	Account   *AccountRef     `json:"account" doc:"The Google account the action acts in."`
	Payload   json.RawMessage `json:"payload" doc:"The exact payload: what is shown is what runs."`
	Policy    ActionPolicy    `json:"policy"`
	// Sends is true for an action that sends mail (the daily cap counts it).
	Sends     bool            `json:"-"`
	CreatedAt time.Time       `json:"created_at"`
	ExpiresAt time.Time       `json:"expires_at" doc:"When a pending action stops being decidable."`
	DecidedAt *time.Time      `json:"decided_at"`
	DecidedBy string          `json:"decided_by" doc:"The user id of who decided, or policy; empty while pending."`
	Result    json.RawMessage `json:"result" doc:"What the action made, as the REST route for the same operation answers; null until executed."`
	ErrorCode string          `json:"error_code" doc:"The error code of a failed action."`
	// RunAttempts counts the runs of an approved action: the first, and
	// each run again after an interrupted one (see ActionStore).
	RunAttempts int `json:"-"`
	// RunLeaseUntil is, while the action is approved, until when its
	// current run holds it: past it, the run was interrupted.
	RunLeaseUntil *time.Time `json:"-"`
}

// ErrorCodeInterrupted is the error code of an approved action whose runs
// were interrupted (the process running it died before recording how it
// went) MaxActionRuns times: it is failed and never run again.
const ErrorCodeInterrupted = "interrupted"

// MaxActionRuns is how many times an approved action is run in all, the
// first run included, before it is failed as interrupted.
const MaxActionRuns = 3

// ActionFilter selects a user's actions, newest first.
type ActionFilter struct {
	// Status is one of ActionStatuses, or "" for all.
	Status    string
	PageToken string
	Limit     int
}

// ActionPage is one page of actions.
type ActionPage struct {
	Actions       []Action `json:"actions"`
	NextPageToken string   `json:"next_page_token,omitempty"`
}

// ActionStore keeps actions. Every method is scoped to the user it names:
// another user's action is ENOTFOUND.
type ActionStore interface {
	// InsertAction stores a (pending or approved) action, filling its id and
	// creation time. An approved action is stored running: under the
	// lease a.RunLeaseUntil, its first run counted.
	InsertAction(ctx context.Context, a *Action) error
	FindAction(ctx context.Context, userID, id string) (*Action, error)
	// ListActions returns a page of the user's actions, newest first. A
	// pending action past its expiry lists as expired. EINVALID naming
	// page_token for a bad token.
	ListActions(ctx context.Context, userID string, f ActionFilter) (*ActionPage, error)
	// DecideAction moves a pending, unexpired action to approved or
	// rejected in one compare-and-set: of two racing decisions one wins.
	// Approved, it is running: under a lease until leaseUntil, its first
	// run counted, in the same statement. ECONFLICT once decided, EEXPIRED
	// past its expiry.
	DecideAction(ctx context.Context, userID, id, status, decidedBy string, leaseUntil time.Time) (*Action, error)
	// ClaimInterruptedAction takes one approved action, of any user, whose
	// run lease lapsed before now: in one compare-and-set, so that of
	// replicas sweeping at once exactly one takes it. Under maxRuns runs it
	// is leased until leaseUntil, its run counted, and returned approved
	// to be run again; at maxRuns it is failed with ErrorCodeInterrupted
	// and returned failed. nil when there is none.
	ClaimInterruptedAction(ctx context.Context, now, leaseUntil time.Time, maxRuns int) (*Action, error)
	// FinishAction records how an approved action went: its result, or
	// failed with the error code (errorCode non-empty). ECONFLICT unless
	// it is approved.
	FinishAction(ctx context.Context, userID, id string, result json.RawMessage, errorCode string) (*Action, error)
	// ExpireActions marks the user's pending actions past their expiry
	// expired and returns them.
	ExpireActions(ctx context.Context, userID string) ([]Action, error)
	// CountAgentSends counts the user's actions that send mail, asked for
	// by an agent and approved since the time given.
	CountAgentSends(ctx context.Context, userID string, since time.Time) (int, error)
	// InsertActionWithinCap stores an approved action that sends mail
	// only if the user's agent sends since the time given (as
	// CountAgentSends counts them) are fewer than limit, counting and
	// inserting atomically: of concurrent requests no more than limit
	// are stored. within is false, and nothing stored, at the cap.
	InsertActionWithinCap(ctx context.Context, a *Action, since time.Time, limit int) (within bool, err error)
}

// ActionService is the approval queue: every side effect an agent asks
// for passes through it.
type ActionService interface {
	// Request prepares the payload with the kind's executor (EINVALID
	// naming the field), evaluates the user's policy, stores the action
	// and runs it at once when the requester is the user or the policy
	// auto-approves it; otherwise it stays pending. EINVALID (field kind)
	// for an unknown kind.
	Request(ctx context.Context, userID string, r Requester, kind string, payload json.RawMessage) (*Action, error)
	// GetAction returns the user's action; ENOTFOUND for another user's.
	GetAction(ctx context.Context, userID, id string) (*Action, error)
	ListActions(ctx context.Context, userID string, f ActionFilter) (*ActionPage, error)
	// Approve runs the stored payload exactly, once. ENOTFOUND, ECONFLICT
	// once decided, EEXPIRED past its expiry; when the execution fails the
	// action is failed and the executor's error is returned.
	Approve(ctx context.Context, userID, id string) (*Action, error)
	// Reject rejects a pending action: it can never run.
	Reject(ctx context.Context, userID, id string) (*Action, error)
}

// actionIDKey carries the id of the action an executor runs.
type actionIDKey struct{}

// WithActionID returns ctx carrying the id of the action being executed:
// the queue sets it for ActionExecutor.Execute, so that an executor can
// derive what must be the same on every run of the action (a send's
// idempotency key).
func WithActionID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, actionIDKey{}, id)
}

// ActionIDFrom returns the id of the action being executed, "" outside an
// execution.
func ActionIDFrom(ctx context.Context) string {
	id, _ := ctx.Value(actionIDKey{}).(string)
	return id
}

// ActionIdempotencyKey is the Idempotency-Key of the send an action makes:
// the same on every run of the action, so that it sends once.
func ActionIdempotencyKey(actionID string) string { return "action:" + actionID }

// ActionEventID is the Google Calendar event id an action that creates an
// event gives it: the same on every run of the action, so that a re-run
// meets the event the first run made (Google answers 409) instead of
// making a second. Lower-case hex is base32hex, as Google requires.
func ActionEventID(actionID string) string {
	sum := sha256.Sum256([]byte("jarvis-action-event:" + actionID))
	return hex.EncodeToString(sum[:16])
}

// Events on the user's event stream (GET /events) as actions move: the
// dashboard's pending-actions badge and approvals page follow them. Each
// carries ActionEvent.
const (
	EventActionRequested = "action.requested"
	EventActionApproved  = "action.approved"
	EventActionRejected  = "action.rejected"
	EventActionExpired   = "action.expired"
	EventActionExecuted  = "action.executed"
	EventActionFailed    = "action.failed"
)

// ActionEvent is the data of an action.* event: which action, and where it
// is now. Never its payload.
type ActionEvent struct {
	ActionID      string `json:"action_id"`
	Kind          string `json:"kind"`
	Status        string `json:"status"`
	RequesterType string `json:"requester_type"`
	ErrorCode     string `json:"error_code,omitempty"`
}
