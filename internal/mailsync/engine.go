package mailsync

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"golang.org/x/sync/errgroup"
	"google.golang.org/api/calendar/v3"
	"google.golang.org/api/gmail/v1"
	"google.golang.org/api/googleapi"

	"github.com/jarvis-hq/jarvis"
)

// Google gives the engine clients acting for one account.
type Google interface {
	GmailService(ctx context.Context, userID, accountID string) (*gmail.Service, error)
	CalendarService(ctx context.Context, userID, accountID string) (*calendar.Service, error)
}

// Config is what the engine needs.
type Config struct {
	Store  Store
	Google Google
	// Decode turns a message fetched with format=full into the index's row
	// (withBody: keep its capped text).
	Decode   func(m *gmail.Message, withBody bool) Message
	Notifier Notifier // optional
	Logger   *slog.Logger
	Now      func() time.Time
	// IndexBodies keeps each message's text for search
	// (JARVIS_INDEX_BODIES).
	IndexBodies bool
	// PageSize is the messages listed per full-sync page (default 100).
	PageSize int64
	// Concurrency bounds the message fetches in flight (default 8).
	Concurrency int
	// Background marks a context's Google calls as background work, so
	// that interactive requests go first (optional).
	Background func(context.Context) context.Context
	// DecodeEvent turns a Calendar event into Jarvis's shape, as the live
	// reads do; calendarTZ is the calendar's time zone.
	DecodeEvent func(e *calendar.Event, calendarTZ string) jarvis.Event
	// CalendarChannelAddress is where Calendar posts its channels'
	// notifications (see calendar.go); empty: no channels are opened.
	CalendarChannelAddress string
}

// Engine syncs accounts into the index. It keeps no state of its own: every
// step reads and writes the Store, so any replica can continue what another
// began, and a step whose state changed meanwhile is refused by the store
// and retried from the new state.
type Engine struct{ cfg Config }

// New returns an engine.
func New(cfg Config) *Engine {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.PageSize <= 0 {
		cfg.PageSize = 100
	}
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = 8
	}
	if cfg.Background == nil {
		cfg.Background = func(ctx context.Context) context.Context { return ctx }
	}
	return &Engine{cfg: cfg}
}

// RetryAfter is Google's answer 429: the account's calls wait until At.
type RetryAfter struct {
	At  time.Time
	Err error
}

func (e *RetryAfter) Error() string {
	return fmt.Sprintf("Google asked to retry after %s: %v", e.At.Format(time.RFC3339), e.Err)
}
func (e *RetryAfter) Unwrap() error { return e.Err }

// errHistoryExpired is history.list's 404: the cursor is older than the
// history Gmail keeps.
var errHistoryExpired = errors.New("history expired")

// errListingStale is a listing's saved page token that Gmail refused (400),
// or that was issued more than maxPageTokenAge ago (a token saved before its
// time was recorded is trusted until Gmail refuses it).
var errListingStale = errors.New("listing page token stale")

// maxPageTokenAge is how long a saved listing page token is trusted: Gmail
// documents no lifetime for them, and a listing left that long (an account
// that needed reconnecting, a process down) is better begun afresh.
const maxPageTokenAge = 24 * time.Hour

// maxConflicts bounds the retries of a step whose state another writer
// changed meanwhile.
const maxConflicts = 5

// Sync brings the account's index up to date: the first full sync (or the
// rest of it), a resync after the history expired, then incremental syncs
// until the cursor has reached the high-water mark of the notifications.
func (e *Engine) Sync(ctx context.Context, accountID string) error {
	ctx = e.cfg.Background(ctx)
	conflicts := 0
	for {
		err := e.syncOnce(ctx, accountID)
		if !jarvis.IsCode(err, jarvis.ECONFLICT) || conflicts >= maxConflicts {
			if err != nil {
				e.recordError(ctx, accountID, err)
			}
			return err
		}
		conflicts++
	}
}

func (e *Engine) syncOnce(ctx context.Context, accountID string) error {
	st, err := e.cfg.Store.State(ctx, accountID)
	if err != nil {
		return err
	}
	svc, err := e.cfg.Google.GmailService(ctx, st.UserID, accountID)
	if err != nil {
		return err
	}
	s := &accountSync{e: e, svc: svc, st: &st}
	for {
		var err error
		switch st.Phase {
		case PhaseNew:
			err = s.start(ctx, PhaseFull)
		case PhaseFull, PhaseBackfill, PhaseResync:
			if err = s.listPage(ctx); err == nil && st.Phase == PhaseBackfill {
				// Fresh mail is not held up by the backfill.
				err = s.incremental(ctx)
			}
		default:
			if err = s.incremental(ctx); err == nil {
				// A notification may have raised the mark meanwhile; else
				// the account has caught up.
				fresh, ferr := e.cfg.Store.State(ctx, accountID)
				if ferr != nil {
					return ferr
				}
				if fresh.HighWater <= st.HistoryID {
					return s.finish(ctx)
				}
			}
		}
		if errors.Is(err, errHistoryExpired) || errors.Is(err, errListingStale) {
			// Either way the listing starts again from a fresh profile, and
			// reconciles what the index holds with what it lists.
			why := "history expired"
			if errors.Is(err, errListingStale) {
				why = "listing page token stale"
			}
			e.cfg.Logger.Info("resync: the listing starts again", "account_id", accountID, "phase", st.Phase, "reason", why)
			err = s.start(ctx, PhaseResync)
		}
		if err != nil {
			return err
		}
	}
}

// finish refreshes the labels and records the success.
func (s *accountSync) finish(ctx context.Context) error {
	if err := s.labels(ctx); err != nil {
		return err
	}
	s.st.LastSuccessAt, s.st.LastError = s.e.cfg.Now(), ""
	return s.e.cfg.Store.SaveState(ctx, s.st)
}

// recordError keeps the last error on the state, for the status route.
func (e *Engine) recordError(ctx context.Context, accountID string, err error) {
	if ctx.Err() != nil {
		return
	}
	e.cfg.Logger.Warn("sync failed", "account_id", accountID, "err", err)
	for range maxConflicts {
		st, serr := e.cfg.Store.State(ctx, accountID)
		if serr != nil {
			return
		}
		st.LastError = syncErrorText(err)
		if serr = e.cfg.Store.SaveState(ctx, &st); !jarvis.IsCode(serr, jarvis.ECONFLICT) {
			return
		}
	}
}

// syncErrorText is what the status route may show of an error: its domain
// message, never a token or an upstream body.
func syncErrorText(err error) string {
	var je *jarvis.Error
	if errors.As(err, &je) {
		return je.Message
	}
	var ra *RetryAfter
	if errors.As(err, &ra) {
		return "Google asked Jarvis to slow down until " + ra.At.UTC().Format(time.RFC3339) + "."
	}
	var ge *googleapi.Error
	if errors.As(err, &ge) {
		return fmt.Sprintf("Google answered %d.", ge.Code)
	}
	return "The sync failed; it will be retried."
}

// upstream turns a Google error into RetryAfter for a 429 (or a 403 whose
// reason says the rate limit was hit).
func (e *Engine) upstream(err error) error {
	var ge *googleapi.Error
	if !errors.As(err, &ge) {
		return err
	}
	limited := ge.Code == http.StatusTooManyRequests
	for _, item := range ge.Errors {
		if item.Reason == "rateLimitExceeded" || item.Reason == "userRateLimitExceeded" {
			limited = true
		}
	}
	if !limited {
		return err
	}
	wait := time.Second
	if v := ge.Header.Get("Retry-After"); v != "" {
		if secs, perr := strconv.Atoi(v); perr == nil {
			wait = time.Duration(secs) * time.Second
		} else if at, perr := http.ParseTime(v); perr == nil {
			wait = at.Sub(e.cfg.Now())
		}
	}
	return &RetryAfter{At: e.cfg.Now().Add(max(wait, time.Second)), Err: err}
}

func isBadRequest(err error) bool {
	var ge *googleapi.Error
	return errors.As(err, &ge) && ge.Code == http.StatusBadRequest
}

func isNotFound(err error) bool {
	var ge *googleapi.Error
	return errors.As(err, &ge) && ge.Code == http.StatusNotFound
}

// accountSync is one sync run of one account.
type accountSync struct {
	e   *Engine
	svc *gmail.Service
	st  *State
}

// start begins a full sync or a resync: the profile's historyId is read
// before anything is listed, so that every change made during the listing
// is replayed from it afterwards.
func (s *accountSync) start(ctx context.Context, phase Phase) error {
	p, err := s.svc.Users.GetProfile("me").Context(ctx).Do()
	if err != nil {
		return s.e.upstream(err)
	}
	st := s.st
	st.Phase, st.ListHistoryID, st.HistoryID, st.ListPageToken, st.ListPageAt = phase, p.HistoryId, p.HistoryId, "", time.Time{}
	st.Done, st.Total, st.StartedAt = 0, int(p.MessagesTotal), s.e.cfg.Now()
	if err := s.labels(ctx); err != nil {
		return err
	}
	if err := s.e.cfg.Store.SaveState(ctx, st); err != nil {
		return err
	}
	s.progress(ctx)
	return nil
}

// labels refreshes the account's label list (label changes are not in
// Gmail's history).
func (s *accountSync) labels(ctx context.Context) error {
	list, err := s.svc.Users.Labels.List("me").Context(ctx).Do()
	if err != nil {
		return s.e.upstream(err)
	}
	labels := make([]Label, 0, len(list.Labels))
	for _, l := range list.Labels {
		labels = append(labels, Label{ID: l.Id, Name: l.Name, Type: l.Type})
	}
	return s.e.cfg.Store.ReplaceLabels(ctx, s.st.AccountID, labels)
}

// listPage indexes the next page of the listing, newest first, and saves
// the page token with it. After the first page of a full sync the newest
// mail is servable (backfill). A resync resumes from its saved page too,
// however often it is interrupted (a job's slice ending, a quota pause):
// what its listing removed from the index is found at its end.
func (s *accountSync) listPage(ctx context.Context) error {
	st := s.st
	call := s.svc.Users.Messages.List("me").Context(ctx).IncludeSpamTrash(true).MaxResults(s.e.cfg.PageSize)
	if st.ListPageToken != "" {
		if !st.ListPageAt.IsZero() && s.e.cfg.Now().Sub(st.ListPageAt) > maxPageTokenAge {
			return errListingStale
		}
		call = call.PageToken(st.ListPageToken)
	}
	list, err := call.Do()
	if st.ListPageToken != "" && isBadRequest(err) {
		// The page token is the only thing a 400 can be about: the same
		// request without it was taken.
		return errListingStale
	}
	if err != nil {
		return s.e.upstream(err)
	}
	ids := make([]string, len(list.Messages))
	for i, m := range list.Messages {
		ids[i] = m.Id
	}
	upserts, gone, err := s.fetch(ctx, ids)
	if err != nil {
		return err
	}
	next := *st
	next.ListPageToken, next.ListPageAt, next.Done = list.NextPageToken, s.e.cfg.Now(), st.Done+len(ids)
	if next.Phase == PhaseFull {
		next.Phase = PhaseBackfill
	}
	page := Page{Upserts: upserts, Deletes: gone}
	if list.NextPageToken == "" {
		if st.Phase == PhaseResync {
			unlisted, err := s.unlisted(ctx)
			if err != nil {
				return err
			}
			// A listing is no snapshot (a message deleted meanwhile shifts
			// the pages after it): what it did not show is fetched before
			// it is removed. A 404 confirms it gone; a message still there
			// is indexed afresh.
			still, gone, err := s.fetch(ctx, unlisted)
			if err != nil {
				return err
			}
			page.Upserts, page.Deletes = append(page.Upserts, still...), append(page.Deletes, gone...)
		}
		next.Phase, next.Total = PhaseIncremental, max(next.Total, next.Done)
	}
	if err := s.e.cfg.Store.ApplyPage(ctx, st.AccountID, page, &next); err != nil {
		return err
	}
	*st = next
	s.changed(ctx, page.Upserts, nil)
	s.progress(ctx)
	return nil
}

// unlisted returns the ids the index holds that a listing of the mailbox
// does not show: a resync's listing began after the history expired, so
// what was deleted before it is in no history the index will see. One
// listing of ids only (500 a call) finds them; a message deleted after the
// profile was read is removed again, harmlessly, when its history is
// replayed.
func (s *accountSync) unlisted(ctx context.Context) ([]string, error) {
	listed := map[string]bool{}
	err := s.svc.Users.Messages.List("me").Context(ctx).IncludeSpamTrash(true).MaxResults(500).
		Pages(ctx, func(l *gmail.ListMessagesResponse) error {
			for _, m := range l.Messages {
				listed[m.Id] = true
			}
			return nil
		})
	if err != nil {
		return nil, s.e.upstream(err)
	}
	held, err := s.e.cfg.Store.MessageIDs(ctx, s.st.AccountID)
	if err != nil {
		return nil, err
	}
	var gone []string
	for _, id := range held {
		if !listed[id] {
			gone = append(gone, id)
		}
	}
	return gone, nil
}

// fetch gets the messages (format=full: headers, attachments, text),
// bounded in flight; a message gone meanwhile is reported in gone.
func (s *accountSync) fetch(ctx context.Context, ids []string) (msgs []Message, gone []string, err error) {
	out := make([]*Message, len(ids))
	missing := make([]bool, len(ids))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(s.e.cfg.Concurrency)
	for i, id := range ids {
		g.Go(func() error {
			m, err := s.svc.Users.Messages.Get("me", id).Context(gctx).Format("full").Do()
			if isNotFound(err) {
				missing[i] = true
				return nil
			}
			if err != nil {
				return s.e.upstream(err)
			}
			row := s.e.cfg.Decode(m, s.e.cfg.IndexBodies)
			out[i] = &row
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, nil, err
	}
	for i, m := range out {
		if missing[i] {
			gone = append(gone, ids[i])
		} else if m != nil {
			msgs = append(msgs, *m)
		}
	}
	return msgs, gone, nil
}

// incremental applies Gmail's history from the cursor to now: one page of
// records and the cursor after it per transaction. Each page is asked for
// afresh from the cursor the previous one saved, never with its page token:
// a page token belongs to the request that gave it, and sent with a newer
// startHistoryId it would skip records.
func (s *accountSync) incremental(ctx context.Context) error {
	st := s.st
	for {
		call := s.svc.Users.History.List("me").Context(ctx).StartHistoryId(st.HistoryID).MaxResults(500).
			HistoryTypes("messageAdded", "messageDeleted", "labelAdded", "labelRemoved")
		resp, err := call.Do()
		if isNotFound(err) {
			return errHistoryExpired
		}
		if err != nil {
			return s.e.upstream(err)
		}
		page, added := historyPage(resp.History)
		upserts, gone, err := s.fetch(ctx, added)
		if err != nil {
			return err
		}
		page.Upserts, page.Deletes = upserts, append(page.Deletes, gone...)
		next := *st
		if resp.NextPageToken == "" {
			next.HistoryID = max(st.HistoryID, resp.HistoryId)
		} else if n := len(resp.History); n > 0 {
			next.HistoryID = max(st.HistoryID, resp.History[n-1].Id)
		}
		moved := next.HistoryID != st.HistoryID
		if moved || len(resp.History) > 0 {
			if err := s.e.cfg.Store.ApplyPage(ctx, st.AccountID, page, &next); err != nil {
				return err
			}
			*st = next
			s.changed(ctx, upserts, resp.History)
		}
		if resp.NextPageToken == "" || !moved {
			// Done, or a page that did not move the cursor (nothing
			// further can be asked for from it).
			return nil
		}
	}
}

// historyPage turns history records into index changes: label changes
// applied without fetching, deletions, and the ids of added messages to
// fetch.
func historyPage(records []*gmail.History) (Page, []string) {
	var p Page
	var added []string
	for _, h := range records {
		for _, a := range h.MessagesAdded {
			if a.Message != nil {
				added = append(added, a.Message.Id)
			}
		}
		for _, d := range h.MessagesDeleted {
			if d.Message != nil {
				p.Deletes = append(p.Deletes, d.Message.Id)
			}
		}
		for _, l := range h.LabelsAdded {
			if l.Message != nil {
				p.LabelChanges = append(p.LabelChanges, LabelChange{MessageID: l.Message.Id, HistoryID: h.Id, Add: l.LabelIds})
			}
		}
		for _, l := range h.LabelsRemoved {
			if l.Message != nil {
				p.LabelChanges = append(p.LabelChanges, LabelChange{MessageID: l.Message.Id, HistoryID: h.Id, Remove: l.LabelIds})
			}
		}
	}
	return p, added
}

// changed tells the user's dashboards which threads changed.
func (s *accountSync) changed(ctx context.Context, upserts []Message, records []*gmail.History) {
	if s.e.cfg.Notifier == nil {
		return
	}
	threads := map[string]bool{}
	for _, m := range upserts {
		threads[m.ThreadID] = true
	}
	for _, h := range records {
		for _, m := range h.Messages {
			threads[m.ThreadId] = true
		}
	}
	if len(threads) == 0 {
		return
	}
	ids := make([]string, 0, len(threads))
	for id := range threads {
		ids = append(ids, id)
	}
	if err := s.e.cfg.Notifier.Publish(ctx, s.st.UserID, "mail.changed", map[string]any{"account_id": s.st.AccountID, "thread_ids": ids}); err != nil {
		s.e.cfg.Logger.Warn("publish mail.changed", "err", err)
	}
}

// progress tells the user's dashboards how far the sync is.
func (s *accountSync) progress(ctx context.Context) {
	if s.e.cfg.Notifier == nil {
		return
	}
	st := s.st
	if err := s.e.cfg.Notifier.Publish(ctx, st.UserID, "sync.progress", map[string]any{"account_id": st.AccountID,
		"phase": st.Phase, "done": st.Done, "total": st.Total}); err != nil {
		s.e.cfg.Logger.Warn("publish sync.progress", "err", err)
	}
}
