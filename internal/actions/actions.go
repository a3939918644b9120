// Package actions is the approval queue: every side effect an agent (the
// chat assistant, an outside client) asks for passes here. A request is
// prepared by its kind's executor — the payload made exact, so that what
// the owner is shown is what runs — judged by the owner's policy, stored,
// and either run at once (the owner asked, or the policy auto-approves it)
// or left pending for the owner to approve or reject, once, before it
// expires. Every step is audited.
//
// An approved action runs under a lease (RunLease, a little longer than a
// run may take), taken with the decision: a process that dies before
// recording how the run went leaves the action approved with its lease
// lapsing. Sweep, on any replica, takes such an action (one replica wins)
// and runs it again — the executors are safe to run again: a send keeps
// its Idempotency-Key, a created event its id — up to
// jarvis.MaxActionRuns runs in all; then it is failed as
// jarvis.ErrorCodeInterrupted, audited, and never runs again.
//
// Expiry is marked lazily: a pending action past its expiry reads as
// expired everywhere at once, can never be decided (the decision's
// compare-and-set checks the time), and is marked expired — with its
// action.expired audit row, once — when the owner next lists their actions
// or tries to decide it.
package actions

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/jarvis-hq/jarvis"
)

// DefaultTTL is how long an action waits for its owner by default.
const DefaultTTL = 24 * time.Hour

// runTimeout bounds one run of an action's executor.
const runTimeout = 2 * time.Minute

// DefaultRunLease is how long a run holds its action by default: longer
// than runTimeout, so that a live run records its outcome before anyone
// can think it interrupted.
const DefaultRunLease = runTimeout + time.Minute

// Store is the storage the queue needs.
type Store interface {
	jarvis.ActionStore
	jarvis.PolicyStore
	// ListOrgsForUser lists the orgs whose policies are the user's floor.
	ListOrgsForUser(ctx context.Context, userID string) ([]jarvis.OrgWithRole, error)
	// FindUserByID reads the owner of an action a sweep runs again, whose
	// audit rows are theirs.
	FindUserByID(ctx context.Context, id string) (*jarvis.User, error)
}

// Config is what the queue is built from.
type Config struct {
	Store Store
	// Executors run each kind; a kind without one cannot be requested.
	Executors map[string]jarvis.ActionExecutor
	Auditor   jarvis.Auditor
	Clock     jarvis.Clock
	Logger    *slog.Logger
	// TTL is how long a pending action can be decided; DefaultTTL when 0.
	TTL time.Duration
	// Notifier, when set, tells the user's open dashboards of each step
	// of an action (jarvis.EventAction*), so that the pending-actions
	// badge and the approvals page follow without polling.
	Notifier Notifier
	// RunLease is how long a run holds its action before a sweep may
	// think it interrupted and run it again; DefaultRunLease when 0.
	RunLease time.Duration
	// Interrupt, for fault-injection tests, is asked at two steps of each
	// run: before the executor (step "execute") and before the outcome is
	// recorded (step "finish"). true abandons the run there, leaving the
	// action approved under its lease, as a process that died would.
	Interrupt func(a *jarvis.Action, step string) bool
}

// Steps of a run, as Config.Interrupt names them.
const (
	StepExecute = "execute"
	StepFinish  = "finish"
)

// Notifier publishes an event to a user's open dashboards (the event bus).
type Notifier interface {
	Publish(ctx context.Context, userID, typ string, data any) error
}

// Service implements jarvis.ActionService and jarvis.PolicyService.
type Service struct {
	cfg Config
	log *slog.Logger

	mu       sync.RWMutex
	notifier Notifier
}

var (
	_ jarvis.ActionService = (*Service)(nil)
	_ jarvis.PolicyService = (*Service)(nil)
)

// New returns the queue.
func New(cfg Config) (*Service, error) {
	if cfg.Store == nil {
		return nil, errors.New("actions: a store is required")
	}
	if cfg.Clock == nil {
		cfg.Clock = jarvis.SystemClock
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.TTL <= 0 {
		cfg.TTL = DefaultTTL
	}
	if cfg.RunLease <= 0 {
		cfg.RunLease = DefaultRunLease
	}
	cfg.Executors = maps.Clone(cfg.Executors)
	return &Service{cfg: cfg, log: cfg.Logger, notifier: cfg.Notifier}, nil
}

// SetNotifier sets where the steps of actions are published (the event
// bus, which may be made after the queue).
func (s *Service) SetNotifier(n Notifier) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.notifier = n
}

// Register adds (or replaces) the executor of a kind.
func (s *Service) Register(kind string, e jarvis.ActionExecutor) {
	if s.cfg.Executors == nil {
		s.cfg.Executors = map[string]jarvis.ActionExecutor{}
	}
	s.cfg.Executors[kind] = e
}

// Kinds lists the kinds that can be requested.
func (s *Service) Kinds() []string {
	return slices.Sorted(maps.Keys(s.cfg.Executors))
}

// Request prepares, judges and stores an action, and runs it at once when
// the owner asked or the owner's policy auto-approves it; otherwise it
// waits, pending. EINVALID naming kind for a kind that cannot be requested,
// and the executor's errors for a payload it refuses (EINVALID naming the
// field, ENOTFOUND for a thread or account that is not the user's). An
// action run at once that fails is returned failed, with the error.
func (s *Service) Request(ctx context.Context, userID string, r jarvis.Requester, kind string, payload json.RawMessage) (*jarvis.Action, error) {
	exec, ok := s.cfg.Executors[kind]
	if !ok {
		return nil, jarvis.Invalid("kind", "%q is not an action Jarvis can run.", kind)
	}
	switch r.Type {
	case jarvis.RequesterUser, jarvis.RequesterAssistant, jarvis.RequesterClient:
	default:
		return nil, jarvis.Invalid("requester", "Unknown requester type %q.", r.Type)
	}
	prep, err := exec.Prepare(ctx, userID, payload)
	if err != nil {
		return nil, err
	}
	now := s.now()
	a := &jarvis.Action{UserID: userID, Kind: kind, Status: jarvis.ActionPending, Summary: prep.Summary, Requester: r, Account: prep.Account,
		Payload: prep.Payload, Sends: prep.Sends, ExpiresAt: now.Add(s.cfg.TTL)}
	if r.Type == jarvis.RequesterUser {
		r.ID = userID
		a.Requester.ID = userID
		a.Policy = jarvis.ActionPolicy{Verdict: jarvis.VerdictOwner, Flags: []string{}}
	}
	capN := 0
	if r.Type != jarvis.RequesterUser {
		if a.Policy, capN, err = s.judge(ctx, userID, kind, prep); err != nil {
			return nil, err
		}
	}
	if a.Policy.Verdict != jarvis.VerdictApprovalRequired {
		lease := now.Add(s.cfg.RunLease)
		a.Status, a.DecidedAt, a.DecidedBy, a.RunLeaseUntil = jarvis.ActionApproved, &now, jarvis.DecidedByPolicy, &lease
		if r.Type == jarvis.RequesterUser {
			a.DecidedBy = userID
		}
	}
	if a.Policy.Verdict == jarvis.VerdictAutoApproved && a.Sends && capN > 0 {
		// The cap is counted and the send stored as approved in one
		// transaction, under the user's lock: of concurrent requests no
		// more run than the cap allows; the others wait for the owner.
		within, err := s.cfg.Store.InsertActionWithinCap(ctx, a, now.Add(-24*time.Hour), capN)
		if err != nil {
			return nil, err
		}
		if !within {
			a.Status, a.DecidedAt, a.DecidedBy, a.RunLeaseUntil = jarvis.ActionPending, nil, "", nil
			a.Policy = jarvis.ActionPolicy{Verdict: jarvis.VerdictApprovalRequired, Flags: append(a.Policy.Flags, jarvis.FlagDailySendCap)}
			if err := s.cfg.Store.InsertAction(ctx, a); err != nil {
				return nil, err
			}
		}
	} else if err := s.cfg.Store.InsertAction(ctx, a); err != nil {
		return nil, err
	}
	// The audit row is written later, in a batch: it keeps its own copy.
	s.audit(ctx, a, jarvis.AuditActionRequested, jarvis.OutcomeSuccess, map[string]any{"verdict": a.Policy.Verdict, "flags": slices.Clone(a.Policy.Flags)})
	if a.Status == jarvis.ActionPending {
		return a, nil
	}
	if r.Type != jarvis.RequesterUser {
		s.audit(ctx, a, jarvis.AuditActionApproved, jarvis.OutcomeSuccess, nil)
	}
	return s.run(ctx, a)
}

// judge evaluates the user's effective policy on an agent's action, and
// returns the daily send cap that applies to it (0: none).
func (s *Service) judge(ctx context.Context, userID, kind string, prep *jarvis.PreparedAction) (jarvis.ActionPolicy, int, error) {
	p, err := s.EffectivePolicy(ctx, userID)
	if err != nil {
		return jarvis.ActionPolicy{}, 0, err
	}
	flags := []string{}
	for _, rcpt := range prep.Recipients {
		if !jarvis.DomainAllowed(rcpt, p.AllowedRecipientDomains) {
			flags = append(flags, jarvis.FlagOutsideAllowedDomains)
			break
		}
	}
	if prep.Sends && p.DraftsOnly {
		flags = append(flags, jarvis.FlagDraftsOnly)
	}
	if prep.Sends && p.MaxAgentSendsPerDay > 0 {
		n, err := s.cfg.Store.CountAgentSends(ctx, userID, s.now().Add(-24*time.Hour))
		if err != nil {
			return jarvis.ActionPolicy{}, 0, err
		}
		if n >= p.MaxAgentSendsPerDay {
			flags = append(flags, jarvis.FlagDailySendCap)
		}
	}
	verdict := jarvis.VerdictApprovalRequired
	if len(flags) == 0 && slices.Contains(p.AutoApprove, kind) {
		verdict = jarvis.VerdictAutoApproved
	}
	capN := 0
	if prep.Sends {
		capN = p.MaxAgentSendsPerDay
	}
	return jarvis.ActionPolicy{Verdict: verdict, Flags: flags}, capN, nil
}

// GetAction returns the user's action. ENOTFOUND for another user's.
func (s *Service) GetAction(ctx context.Context, userID, id string) (*jarvis.Action, error) {
	return s.cfg.Store.FindAction(ctx, userID, id)
}

// ListActions returns a page of the user's actions, newest first, after
// marking those that expired. EINVALID naming status or page_token.
func (s *Service) ListActions(ctx context.Context, userID string, f jarvis.ActionFilter) (*jarvis.ActionPage, error) {
	s.expire(ctx, userID)
	return s.cfg.Store.ListActions(ctx, userID, f)
}

// Approve decides the user's pending action and runs its stored payload,
// exactly. ENOTFOUND for another user's action, ECONFLICT once decided,
// EEXPIRED past its expiry. When the execution fails the action is failed
// (never retried) and the executor's error is returned with it. Should
// this process die before the outcome is recorded, Sweep runs the action
// again.
func (s *Service) Approve(ctx context.Context, userID, id string) (*jarvis.Action, error) {
	a, err := s.decide(ctx, userID, id, jarvis.ActionApproved)
	if err != nil {
		return nil, err
	}
	s.audit(ctx, a, jarvis.AuditActionApproved, jarvis.OutcomeSuccess, nil)
	return s.run(ctx, a)
}

// Reject decides the user's pending action: it can never run. Errors as
// Approve's.
func (s *Service) Reject(ctx context.Context, userID, id string) (*jarvis.Action, error) {
	a, err := s.decide(ctx, userID, id, jarvis.ActionRejected)
	if err != nil {
		return nil, err
	}
	s.audit(ctx, a, jarvis.AuditActionRejected, jarvis.OutcomeSuccess, nil)
	return a, nil
}

func (s *Service) decide(ctx context.Context, userID, id, status string) (*jarvis.Action, error) {
	a, err := s.cfg.Store.DecideAction(ctx, userID, id, status, userID, s.now().Add(s.cfg.RunLease))
	if jarvis.IsCode(err, jarvis.EEXPIRED) {
		s.expire(ctx, userID)
	}
	return a, err
}

// expire marks the user's actions that expired, auditing each once. A
// failure is logged: expiry holds by time whether it is marked or not.
func (s *Service) expire(ctx context.Context, userID string) {
	expired, err := s.cfg.Store.ExpireActions(ctx, userID)
	if err != nil {
		s.log.WarnContext(ctx, "mark expired actions", "err", err)
	}
	for i := range expired {
		s.audit(ctx, &expired[i], jarvis.AuditActionExpired, jarvis.OutcomeSuccess, nil)
	}
}

// errInterrupted is what a run abandoned by Config.Interrupt returns.
var errInterrupted = jarvis.Errorf(jarvis.EUNAVAILABLE, "The action was interrupted; it will be run again shortly.")

// run executes an approved action, which holds its run lease, and records
// the outcome, even when the caller goes away: the decision is taken. An
// outcome another run of the action recorded first (a sweep that thought
// this run interrupted) stands: this one's is neither recorded nor
// audited.
func (s *Service) run(ctx context.Context, a *jarvis.Action) (*jarvis.Action, error) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), runTimeout)
	defer cancel()
	if s.interrupted(a, StepExecute) {
		return a, errInterrupted
	}
	exec, ok := s.cfg.Executors[a.Kind]
	var result json.RawMessage
	var err error
	if !ok {
		err = jarvis.Errorf(jarvis.EINTERNAL, "This action can no longer be run.")
	} else {
		result, err = exec.Execute(jarvis.WithActionID(ctx, a.ID), a.UserID, a.Payload)
	}
	if s.interrupted(a, StepFinish) {
		return a, errInterrupted
	}
	var extra map[string]any
	if a.RunAttempts > 1 {
		extra = map[string]any{"run": a.RunAttempts}
	}
	if err != nil {
		code := jarvis.ErrorCode(err)
		done, ferr := s.cfg.Store.FinishAction(ctx, a.UserID, a.ID, nil, code)
		if s.finishedElsewhere(ctx, a, ferr) {
			return s.current(ctx, a), err
		}
		if ferr != nil {
			s.log.ErrorContext(ctx, "store action failure", "action_id", a.ID, "err", ferr)
			done = a
		}
		extra = withMeta(extra, "error_code", code)
		s.audit(ctx, done, jarvis.AuditActionFailed, jarvis.OutcomeFailure, extra)
		return done, err
	}
	done, ferr := s.cfg.Store.FinishAction(ctx, a.UserID, a.ID, result, "")
	if s.finishedElsewhere(ctx, a, ferr) {
		return s.current(ctx, a), nil
	}
	if ferr != nil {
		s.log.ErrorContext(ctx, "store action result", "action_id", a.ID, "err", ferr)
		done = a
		done.Status, done.Result = jarvis.ActionExecuted, result
	}
	s.audit(ctx, done, jarvis.AuditActionExecuted, jarvis.OutcomeSuccess, extra)
	return done, nil
}

func withMeta(m map[string]any, k string, v any) map[string]any {
	if m == nil {
		m = map[string]any{}
	}
	m[k] = v
	return m
}

// interrupted asks Config.Interrupt whether to abandon the run at step.
func (s *Service) interrupted(a *jarvis.Action, step string) bool {
	return s.cfg.Interrupt != nil && s.cfg.Interrupt(a, step)
}

// finishedElsewhere reports whether recording a run's outcome failed
// because another run recorded its own first (ECONFLICT: the action is no
// longer approved).
func (s *Service) finishedElsewhere(ctx context.Context, a *jarvis.Action, err error) bool {
	if !jarvis.IsCode(err, jarvis.ECONFLICT) {
		return false
	}
	s.log.InfoContext(ctx, "another run of the action recorded its outcome first", "action_id", a.ID)
	return true
}

// current reads the action as it is now; a as given if it cannot.
func (s *Service) current(ctx context.Context, a *jarvis.Action) *jarvis.Action {
	now, err := s.cfg.Store.FindAction(ctx, a.UserID, a.ID)
	if err != nil {
		return a
	}
	return now
}

// maxSweep bounds the actions one sweep takes.
const maxSweep = 100

// Sweep runs again the approved actions, of every user, whose run was
// interrupted (their run lease lapsed, here or on another replica), each
// taken by one replica only and run as Approve runs it, audited and
// published; one interrupted jarvis.MaxActionRuns times is failed as
// jarvis.ErrorCodeInterrupted, audited and published, and never runs
// again. The actions are taken one at a time, each when its run starts,
// until there are none or ctx ends. It returns how many it took.
func (s *Service) Sweep(ctx context.Context) (int, error) {
	n := 0
	for ; n < maxSweep && ctx.Err() == nil; n++ {
		now := s.now()
		a, err := s.cfg.Store.ClaimInterruptedAction(ctx, now, now.Add(s.cfg.RunLease), jarvis.MaxActionRuns)
		if err != nil {
			return n, err
		}
		if a == nil {
			return n, nil
		}
		actx := ctx
		if u, err := s.cfg.Store.FindUserByID(ctx, a.UserID); err == nil {
			actx = jarvis.NewContextWithUser(ctx, u) // the audit rows are the owner's
		}
		if a.Status == jarvis.ActionFailed {
			s.log.WarnContext(ctx, "an approved action was interrupted too often: failed", "action_id", a.ID, "kind", a.Kind, "runs", a.RunAttempts)
			s.audit(actx, a, jarvis.AuditActionFailed, jarvis.OutcomeFailure, map[string]any{"error_code": a.ErrorCode, "run": a.RunAttempts})
			continue
		}
		s.log.InfoContext(ctx, "run an interrupted action again", "action_id", a.ID, "kind", a.Kind, "run", a.RunAttempts)
		_, _ = s.run(actx, a)
	}
	return n, ctx.Err()
}

// audit records one step of an action: its kind, id and requester, never
// its payload; and publishes it to the user's dashboards as the event of
// the same name.
func (s *Service) audit(ctx context.Context, a *jarvis.Action, action, outcome string, extra map[string]any) {
	s.publish(ctx, a, action)
	if s.cfg.Auditor == nil {
		return
	}
	meta := map[string]any{"kind": a.Kind, "action_id": a.ID, "requester_type": a.Requester.Type, "requester_id": a.Requester.ID}
	if a.DecidedBy != "" {
		meta["decided_by"] = a.DecidedBy
	}
	if a.Account != nil {
		meta["account_id"] = a.Account.ID
	}
	maps.Copy(meta, extra)
	s.cfg.Auditor.Record(ctx, jarvis.AuditEntry{Action: action, TargetType: "action", TargetID: a.ID, Outcome: outcome, Metadata: meta})
}

// publish tells the user's open dashboards of a step of an action. A
// failure is logged: the dashboards catch up on their next read.
func (s *Service) publish(ctx context.Context, a *jarvis.Action, event string) {
	s.mu.RLock()
	n := s.notifier
	s.mu.RUnlock()
	if n == nil {
		return
	}
	data := jarvis.ActionEvent{ActionID: a.ID, Kind: a.Kind, Status: a.Status, RequesterType: a.Requester.Type, ErrorCode: a.ErrorCode}
	if err := n.Publish(context.WithoutCancel(ctx), a.UserID, event, data); err != nil {
		s.log.WarnContext(ctx, "publish action event", "event", event, "action_id", a.ID, "err", err)
	}
}

func (s *Service) now() time.Time { return s.cfg.Clock.Now().UTC() }
