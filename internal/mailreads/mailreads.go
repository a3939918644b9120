// Package mailreads serves mail reads from the local index when it can
// answer them exactly, and from Gmail when it cannot.
//
// A listing is read from the index when the account has finished its first
// sync (its sync is incremental, or re-syncing over a complete index) and
// every operator of the query is one the index answers exactly; otherwise it
// is asked of Gmail, and the answer's source says which. A listing of every
// account (account=all) merges each account's threads in Gmail's order,
// whichever source each account is read from. Reading a single thread or
// message always asks Gmail.
package mailreads

import (
	"context"
	"log/slog"
	"strings"
	"time"

	"github.com/jarvis-hq/jarvis"
	"github.com/jarvis-hq/jarvis/internal/gmailquery"
	"github.com/jarvis-hq/jarvis/internal/mailsync"
)

// defaultPageSize is a listing's size when the caller gives none.
const defaultPageSize = 25

// Index is the local index the reads are served from.
type Index interface {
	State(ctx context.Context, accountID string) (mailsync.State, error)
	ListThreads(ctx context.Context, accountID string, f mailsync.ThreadFilter) ([]mailsync.Thread, error)
	Labels(ctx context.Context, accountID string) ([]mailsync.Label, error)
}

// Live reads Gmail itself, and changes it.
type Live interface {
	jarvis.MailService
	jarvis.MailOrganiser
	ListLabels(ctx context.Context, userID, account string) (*jarvis.LabelList, error)
}

// Accounts lists a user's Google accounts and records their use.
type Accounts interface {
	ListGoogleAccounts(ctx context.Context, userID string) ([]jarvis.GoogleAccount, error)
	TouchGoogleAccount(ctx context.Context, userID, accountID string, t time.Time) error
}

// lastUsedEvery is how often a read records the account's last use, as a
// live read does.
const lastUsedEvery = time.Minute

// Config is what the service needs.
type Config struct {
	Live     Live
	Index    Index
	Accounts Accounts
	Auditor  jarvis.Auditor
	Now      func() time.Time
	// Sync schedules an account's sync, after a change to its mail (nil:
	// the index learns of changes only from Gmail's notifications and
	// polls).
	Sync func(ctx context.Context, accountID string) error
	// Settle bounds how long a change waits for the index to have it
	// (default 2 s).
	Settle time.Duration
	Logger *slog.Logger
}

// Service is a jarvis.MailService that lists threads and labels from the
// index where it can; every other read is the live one. Its changes
// (jarvis.MailOrganiser) are Gmail's, followed by a sync of the account so
// that the next listing from the index shows them.
type Service struct {
	Live
	cfg Config
}

var (
	_ jarvis.MailService   = (*Service)(nil)
	_ jarvis.MailOrganiser = (*Service)(nil)
)

// New returns the service.
func New(cfg Config) *Service {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Service{Live: cfg.Live, cfg: cfg}
}

// servable reports whether the account's index answers reads: its first
// sync is over. A resync keeps serving the complete index it is
// reconciling.
func servable(st mailsync.State) bool {
	return st.Phase == mailsync.PhaseIncremental || st.Phase == mailsync.PhaseResync
}

// account finds the user's account named by account (id, email, or "" for
// the primary); nil when there is no such account, for the live service to
// answer with its error.
func (s *Service) account(ctx context.Context, userID, account string) (*jarvis.GoogleAccount, []jarvis.GoogleAccount, error) {
	all, err := s.cfg.Accounts.ListGoogleAccounts(ctx, userID)
	if err != nil {
		return nil, nil, err
	}
	for i, a := range all {
		if account == "" && a.Primary || account != "" && (a.ID == account || strings.EqualFold(a.Email, account)) {
			return &all[i], all, nil
		}
	}
	return nil, all, nil
}

// fromIndex reports whether the account's reads are served from its index
// and, when they are, records its use (at most once a minute), as a read
// from Gmail does.
func (s *Service) fromIndex(ctx context.Context, userID string, a *jarvis.GoogleAccount) (bool, error) {
	if a == nil || a.Status != jarvis.GoogleActive {
		return false, nil
	}
	st, err := s.cfg.Index.State(ctx, a.ID)
	if err != nil || !servable(st) {
		return false, err
	}
	if now := s.cfg.Now(); a.LastUsedAt == nil || now.Sub(*a.LastUsedAt) >= lastUsedEvery {
		if err := s.cfg.Accounts.TouchGoogleAccount(ctx, userID, a.ID, now); err != nil {
			return false, err
		}
		a.LastUsedAt = &now
	}
	return true, nil
}

// record writes the audit row of a read served from the index, as the live
// read writes its own.
func (s *Service) record(ctx context.Context, action string, a *jarvis.GoogleAccount, err error, meta map[string]any) {
	e := jarvis.AuditEntry{Action: action, TargetType: "mailbox", Outcome: jarvis.OutcomeSuccess, Metadata: meta}
	e.Metadata["account_id"], e.Metadata["source"] = a.ID, jarvis.SourceIndex
	if err != nil {
		e.Outcome = jarvis.OutcomeFailure
		e.Metadata["error_code"] = jarvis.ErrorCode(err)
	}
	s.cfg.Auditor.Record(ctx, e)
}

// ListLabels lists the account's labels with their counts from the index,
// or asks Gmail (without counts) while its first sync runs.
func (s *Service) ListLabels(ctx context.Context, userID, account string) (_ *jarvis.LabelList, err error) {
	if account == jarvis.AllAccounts {
		return nil, jarvis.Invalid("account", "Labels belong to one account: name it by id or email, or leave account out for the primary.")
	}
	a, _, err := s.account(ctx, userID, account)
	if err != nil {
		return nil, err
	}
	if ok, err := s.fromIndex(ctx, userID, a); err != nil || !ok {
		if err != nil {
			return nil, err
		}
		return s.Live.ListLabels(ctx, userID, account)
	}
	defer func() { s.record(ctx, jarvis.AuditGmailLabelsList, a, err, map[string]any{}) }()
	labels, err := s.cfg.Index.Labels(ctx, a.ID)
	if err != nil {
		return nil, err
	}
	out := &jarvis.LabelList{Account: &jarvis.AccountRef{ID: a.ID, Email: a.Email}, Source: jarvis.SourceIndex,
		Labels: make([]jarvis.Label, len(labels))}
	for i, l := range labels {
		out.Labels[i] = jarvis.Label{ID: l.ID, Name: l.Name, Type: l.Type, MessagesTotal: &l.MessagesTotal,
			MessagesUnread: &l.MessagesUnread, ThreadsTotal: &l.ThreadsTotal, ThreadsUnread: &l.ThreadsUnread}
	}
	return out, nil
}

// ListThreads lists a page of threads: from the index when it answers the
// query exactly, else from Gmail. With account AllAccounts, every account's
// threads are merged newest first, each naming its account.
func (s *Service) ListThreads(ctx context.Context, userID, account string, q jarvis.ThreadQuery) (*jarvis.ThreadPage, error) {
	if q.MaxResults <= 0 {
		q.MaxResults = defaultPageSize
	}
	var cur *cursor
	if isCursor(q.PageToken) {
		var err error
		if cur, err = decodeCursor(q.PageToken); err != nil {
			return nil, err
		}
	}
	a, all, err := s.account(ctx, userID, account)
	if err != nil {
		return nil, err
	}
	if account == jarvis.AllAccounts {
		if len(all) == 0 {
			// The live service says the user has no account.
			return s.Live.ListThreads(ctx, userID, "", q)
		}
		return s.merge(ctx, userID, all, q, cur, true)
	}
	if a == nil {
		return s.Live.ListThreads(ctx, userID, account, q)
	}
	exact := gmailquery.Parse(q.Q).Exact()
	if cur == nil {
		if ok, err := s.fromIndex(ctx, userID, a); err != nil {
			return nil, err
		} else if !ok || !exact || q.PageToken != "" {
			// A Gmail page token continues a Gmail listing.
			return s.Live.ListThreads(ctx, userID, account, q)
		}
	}
	return s.merge(ctx, userID, []jarvis.GoogleAccount{*a}, q, cur, false)
}
