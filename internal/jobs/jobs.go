// Package jobs runs the sync engine's background work on River: a mail sync
// job and a calendar sync job per account (each unique, retried with
// backoff, snoozed when Google asks to slow down) and periodic jobs on the
// elected leader that poll quiet accounts and renew Gmail watches and
// Calendar channels. On PostgreSQL River uses the
// database/sql driver over Jarvis's own pool, so that a job is inserted in
// the same transaction as the state that calls for it; on SQLite it uses
// River's SQLite driver over the same file.
package jobs

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"
	"github.com/riverqueue/river/rivertype"
	"go.opentelemetry.io/otel/trace"

	"github.com/jarvis-hq/jarvis"
	"github.com/jarvis-hq/jarvis/internal/mailsync"
)

// Syncer runs one account's sync to completion.
type Syncer interface {
	Sync(ctx context.Context, accountID string) error
}

// Watcher renews an account's Gmail watch and returns its expiry.
type Watcher interface {
	Watch(ctx context.Context, userID, accountID string) (time.Time, error)
}

// CalendarSyncer runs one account's calendar sync to completion.
type CalendarSyncer interface {
	SyncCalendar(ctx context.Context, accountID string) error
}

// ChannelRenewer opens a new Calendar channel for an account (stopping the
// one it replaces) and returns its expiry.
type ChannelRenewer interface {
	RenewChannel(ctx context.Context, accountID string) (time.Time, error)
}

// Store is what the jobs read and write of the sync state.
type Store interface {
	Accounts(ctx context.Context) ([]mailsync.Account, error)
	State(ctx context.Context, accountID string) (mailsync.State, error)
	SaveState(ctx context.Context, st *mailsync.State) error
	// LeaseSync takes or renews the account's sync lease for owner;
	// ReleaseSync gives it up.
	LeaseSync(ctx context.Context, accountID, owner string, ttl time.Duration) (bool, error)
	ReleaseSync(ctx context.Context, accountID, owner string) error
}

// leaseTTL is how long a sync's lease on its account lasts unless renewed
// (every third of it while the sync runs): a crashed process's lease lapses
// within it.
const leaseTTL = 30 * time.Second

// Config is what the runner needs.
type Config struct {
	DB *sql.DB
	// SQLite selects River's SQLite driver; PostgreSQL otherwise.
	SQLite bool
	Syncer Syncer
	Store  Store
	// Watcher renews Gmail watches (push and pull modes); nil: no watches.
	Watcher Watcher
	// Sender sends the mail Jarvis holds; nil: none is.
	Sender Sender
	// Actions runs again the approved actions whose run was interrupted,
	// every ActionSweepEvery (DefaultActionSweepEvery when 0) and once at
	// start; nil: no sweep.
	Actions          ActionSweeper
	ActionSweepEvery time.Duration
	// Calendar syncs calendars; nil: none are.
	Calendar CalendarSyncer
	// Channels renews Calendar channels (push mode); nil: no channels.
	Channels ChannelRenewer
	// PollEvery is how often quiet accounts are looked at; QuietAfter is how
	// long an account may go without a push before it is polled anyway (0:
	// every time, the poll mode).
	PollEvery  time.Duration
	QuietAfter time.Duration
	// Workers is how many jobs run at once in this process (default 4).
	Workers int
	Logger  *slog.Logger
	Now     func() time.Time
	// Tracer, when set, carries the enqueuer's trace into each job and
	// makes a span of each run (see tracing); nil: none.
	Tracer trace.TracerProvider
	// ScheduleEvery, when set, is how often this process makes the jobs
	// whose time has come (follow-ups, snoozed and retried jobs) runnable,
	// beside River's own pass, which its elected leader makes every 5
	// seconds: a job then starts within about ScheduleEvery, and the fetch
	// poll, of its time. 0: River's pass only.
	ScheduleEvery time.Duration
}

// SyncArgs is the job that syncs one account. It is unique per account
// while it waits or runs: a notification that arrives meanwhile is not
// lost, because the job syncs until the account's high-water mark.
type SyncArgs struct {
	AccountID string `json:"account_id" river:"unique"`
	// FollowUp marks the job scheduled when a notification found the
	// account's job already there (perhaps finishing): it has its own
	// uniqueness, so that one such job waits behind a running sync.
	FollowUp bool `json:"follow_up,omitempty" river:"unique"`
}

// jobSlice bounds one run of a job.
const jobSlice = 5 * time.Minute

// followUpDelay is how long a follow-up sync waits, so that the job it
// follows has finished.
const followUpDelay = time.Second

// Kind names the job.
func (SyncArgs) Kind() string { return "gmail_sync" }

// InsertOpts makes the job unique per account.
func (SyncArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{UniqueOpts: whileWaitingOrRunning, MaxAttempts: 20}
}

// whileWaitingOrRunning makes a job unique by its arguments among the jobs
// still to run or running. River's default also counts completed jobs
// (until they are pruned), which would refuse the next sync of an account.
var whileWaitingOrRunning = river.UniqueOpts{ByArgs: true, ByState: []rivertype.JobState{rivertype.JobStateAvailable,
	rivertype.JobStatePending, rivertype.JobStateRetryable, rivertype.JobStateRunning, rivertype.JobStateScheduled}}

// CalendarSyncArgs is the job that syncs one account's calendar, unique
// per account while it waits or runs as SyncArgs is: a channel notification
// that arrives meanwhile is not lost, because the job syncs again while the
// account's count of notifications is ahead of the one its sync saw.
type CalendarSyncArgs struct {
	AccountID string `json:"account_id" river:"unique"`
	FollowUp  bool   `json:"follow_up,omitempty" river:"unique"`
	// Pushes is, on a follow-up scheduled by a notification, the account's
	// count of notifications with it: unique to the notification, so that
	// a follow-up finishing (or the job, whose completion River records a
	// moment after its last look at the count) never swallows it; the
	// follow-up does nothing when a sync has begun since.
	Pushes int64 `json:"pushes,omitempty" river:"unique"`
}

// Kind names the job.
func (CalendarSyncArgs) Kind() string { return "calendar_sync" }

// InsertOpts makes the job unique per account.
func (CalendarSyncArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{UniqueOpts: whileWaitingOrRunning, MaxAttempts: 20}
}

// PollArgs is the periodic job that syncs accounts no push has woken lately.
type PollArgs struct{}

// Kind names the job.
func (PollArgs) Kind() string { return "gmail_poll" }

// InsertOpts keeps one poll at a time.
func (PollArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{UniqueOpts: whileWaitingOrRunning, MaxAttempts: 1}
}

// WatchArgs is the periodic job that renews Gmail watches and Calendar
// channels due for renewal.
type WatchArgs struct{}

// Kind names the job.
func (WatchArgs) Kind() string { return "gmail_watch_renew" }

// InsertOpts keeps one renewal at a time.
func (WatchArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{UniqueOpts: whileWaitingOrRunning, MaxAttempts: 1}
}

// Runner runs the jobs.
type Runner struct {
	cfg    Config
	client *river.Client[*sql.Tx]
	// channels serializes the Calendar channel renewals of each account.
	channels accountLocks
	exec     riverdriver.Executor
	// stopSchedule ends the ScheduleEvery pass; scheduled is closed when it
	// has. scheduleMu guards both.
	scheduleMu   sync.Mutex
	stopSchedule context.CancelFunc
	scheduled    chan struct{}
}

// accountLocks is a lock per account id, held by one goroutine at a time.
type accountLocks struct {
	mu   sync.Mutex
	held map[string]chan struct{} // closed when released
}

// lock waits until no one else holds the account's lock and takes it, or
// returns ctx's error. The function it returns releases the lock.
func (l *accountLocks) lock(ctx context.Context, id string) (func(), error) {
	for {
		l.mu.Lock()
		busy, ok := l.held[id]
		if !ok {
			if l.held == nil {
				l.held = map[string]chan struct{}{}
			}
			done := make(chan struct{})
			l.held[id] = done
			l.mu.Unlock()
			return func() {
				l.mu.Lock()
				delete(l.held, id)
				l.mu.Unlock()
				close(done)
			}, nil
		}
		l.mu.Unlock()
		select {
		case <-busy:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

func driver(cfg Config) riverdriver.Driver[*sql.Tx] {
	if cfg.SQLite {
		return riversqlite.New(cfg.DB)
	}
	return riverdatabasesql.New(cfg.DB)
}

// Migrate brings River's own tables up to date.
func Migrate(ctx context.Context, db *sql.DB, sqlite bool) error {
	m, err := rivermigrate.New(driver(Config{DB: db, SQLite: sqlite}), nil)
	if err != nil {
		return err
	}
	if _, err := m.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return fmt.Errorf("river migrations: %w", err)
	}
	return nil
}

// New returns a runner; Start starts it.
func New(cfg Config) (*Runner, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Workers <= 0 {
		cfg.Workers = 4
	}
	if cfg.PollEvery <= 0 {
		cfg.PollEvery = time.Minute
	}
	r := &Runner{cfg: cfg}
	workers := river.NewWorkers()
	river.AddWorker(workers, &syncWorker{r: r})
	river.AddWorker(workers, &pollWorker{r: r})
	river.AddWorker(workers, &watchWorker{r: r})
	river.AddWorker(workers, &calendarWorker{r: r})
	periodic := []*river.PeriodicJob{
		river.NewPeriodicJob(river.PeriodicInterval(cfg.PollEvery), func() (river.JobArgs, *river.InsertOpts) { return PollArgs{}, nil },
			&river.PeriodicJobOpts{ID: "gmail_poll"}),
	}
	if cfg.Sender != nil {
		river.AddWorker(workers, &sendWorker{r: r})
		river.AddWorker(workers, &sendSweepWorker{r: r})
		periodic = append(periodic, river.NewPeriodicJob(river.PeriodicInterval(sendSweepEvery),
			func() (river.JobArgs, *river.InsertOpts) { return SendSweepArgs{}, nil }, &river.PeriodicJobOpts{ID: "gmail_send_sweep", RunOnStart: true}))
	}
	if cfg.Actions != nil {
		if cfg.ActionSweepEvery <= 0 {
			cfg.ActionSweepEvery = DefaultActionSweepEvery
		}
		river.AddWorker(workers, &actionSweepWorker{r: r})
		periodic = append(periodic, river.NewPeriodicJob(river.PeriodicInterval(cfg.ActionSweepEvery),
			func() (river.JobArgs, *river.InsertOpts) { return ActionSweepArgs{}, nil }, &river.PeriodicJobOpts{ID: "action_sweep", RunOnStart: true}))
	}
	if cfg.Watcher != nil || cfg.Channels != nil {
		periodic = append(periodic, river.NewPeriodicJob(river.PeriodicInterval(time.Hour),
			func() (river.JobArgs, *river.InsertOpts) { return WatchArgs{}, nil }, &river.PeriodicJobOpts{ID: "gmail_watch_renew", RunOnStart: true}))
	}
	var middleware []rivertype.Middleware
	if cfg.Tracer != nil {
		middleware = append(middleware, &tracing{tracer: cfg.Tracer.Tracer(tracerName)})
	}
	drv := driver(cfg)
	r.exec = drv.GetExecutor()
	client, err := river.NewClient(drv, &river.Config{
		Middleware:        middleware,
		Queues:            map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: cfg.Workers}},
		Workers:           workers,
		PeriodicJobs:      periodic,
		FetchCooldown:     50 * time.Millisecond,
		FetchPollInterval: 250 * time.Millisecond,
		// A sync saves its progress as it goes: a long one is cut into
		// slices that continue at once, and a job left running by a crashed
		// process is rescued soon (the follow-ups keep the account syncing
		// meanwhile).
		JobTimeout:           jobSlice,
		RescueStuckJobsAfter: jobSlice + time.Minute,
		Logger:               cfg.Logger.With("component", "river"),
	})
	if err != nil {
		return nil, err
	}
	r.client = client
	return r, nil
}

// Start starts working jobs until Stop.
func (r *Runner) Start(ctx context.Context) error {
	if err := r.client.Start(ctx); err != nil {
		return err
	}
	r.scheduleMu.Lock()
	defer r.scheduleMu.Unlock()
	if r.cfg.ScheduleEvery > 0 && r.stopSchedule == nil {
		ctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
		r.stopSchedule, r.scheduled = cancel, make(chan struct{})
		go r.schedule(ctx, r.scheduled)
	}
	return nil
}

// schedule makes the jobs whose time has come runnable every
// ScheduleEvery, as River's leader does every 5 seconds, until ctx ends.
func (r *Runner) schedule(ctx context.Context, done chan struct{}) {
	defer close(done)
	t := time.NewTicker(r.cfg.ScheduleEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		now := r.cfg.Now()
		if _, err := r.exec.JobSchedule(ctx, &riverdriver.JobScheduleParams{Max: 1000, Now: &now}); err != nil && ctx.Err() == nil {
			r.cfg.Logger.Warn("schedule due jobs", "err", err)
		}
	}
}

// endSchedule stops the ScheduleEvery pass and waits for it.
func (r *Runner) endSchedule() {
	r.scheduleMu.Lock()
	defer r.scheduleMu.Unlock()
	if r.stopSchedule != nil {
		r.stopSchedule()
		<-r.scheduled
		r.stopSchedule = nil
	}
}

// Stop stops taking jobs and waits for those running to end, or for ctx.
func (r *Runner) Stop(ctx context.Context) error {
	r.endSchedule()
	return r.client.Stop(ctx)
}

// StopAndCancel stops taking jobs and cancels those running, then waits
// for them to return, or for ctx. A cancelled job is not lost: River
// records the attempt as failed and retries it, on any replica.
func (r *Runner) StopAndCancel(ctx context.Context) error {
	r.endSchedule()
	return r.client.StopAndCancel(ctx)
}

// EnqueueSync asks for a sync of the account (with a follow-up when its job
// is there already, as EnqueueSyncTx does).
func (r *Runner) EnqueueSync(ctx context.Context, accountID string) error {
	res, err := r.client.Insert(ctx, SyncArgs{AccountID: accountID}, nil)
	if err != nil || !res.UniqueSkippedAsDuplicate {
		return err
	}
	_, err = r.client.Insert(ctx, SyncArgs{AccountID: accountID, FollowUp: true}, r.followUpOpts())
	return err
}

func (r *Runner) followUpOpts() *river.InsertOpts {
	opts := river.InsertOpts{UniqueOpts: whileWaitingOrRunning, MaxAttempts: 20}
	opts.ScheduledAt = r.cfg.Now().Add(followUpDelay)
	return &opts
}

// EnqueueSyncTx asks for a sync of the account within tx: the job exists if
// and only if tx commits.
//
// A running job blocks another insert for its account (River's unique jobs
// count running ones), and a job that has taken its last look at the
// high-water mark may still be running: so when the insert is skipped, a
// follow-up job is scheduled a second later.
func (r *Runner) EnqueueSyncTx(ctx context.Context, tx *sql.Tx, accountID string) error {
	res, err := r.client.InsertTx(ctx, tx, SyncArgs{AccountID: accountID}, nil)
	if err != nil || !res.UniqueSkippedAsDuplicate {
		return err
	}
	_, err = r.client.InsertTx(ctx, tx, SyncArgs{AccountID: accountID, FollowUp: true}, r.followUpOpts())
	return err
}

// EnqueueCalendarSync asks for a sync of the account's calendar (with a
// follow-up when its job is there already); nothing when calendars are not
// synced.
func (r *Runner) EnqueueCalendarSync(ctx context.Context, accountID string) error {
	if r.cfg.Calendar == nil {
		return nil
	}
	res, err := r.client.Insert(ctx, CalendarSyncArgs{AccountID: accountID}, nil)
	if err != nil || !res.UniqueSkippedAsDuplicate {
		return err
	}
	_, err = r.client.Insert(ctx, CalendarSyncArgs{AccountID: accountID, FollowUp: true}, r.followUpOpts())
	return err
}

// EnqueueCalendarSyncTx asks for a sync of the account's calendar within
// tx, for the notification that brought its count to pushes: when the
// account's job is there already, a follow-up of that notification's own
// is scheduled a second later.
func (r *Runner) EnqueueCalendarSyncTx(ctx context.Context, tx *sql.Tx, accountID string, pushes int64) error {
	if r.cfg.Calendar == nil {
		return nil
	}
	res, err := r.client.InsertTx(ctx, tx, CalendarSyncArgs{AccountID: accountID}, nil)
	if err != nil || !res.UniqueSkippedAsDuplicate {
		return err
	}
	_, err = r.client.InsertTx(ctx, tx, CalendarSyncArgs{AccountID: accountID, FollowUp: true, Pushes: pushes}, r.followUpOpts())
	return err
}

type syncWorker struct {
	river.WorkerDefaults[SyncArgs]
	r *Runner
}

// Work syncs the account. Google's 429 snoozes the job until the time Google
// named; an account that is gone or needs reconnecting is not retried.
//
// While the job runs, River skips inserting another for the account; so a
// notification that came in meanwhile is caught by looking at the
// high-water mark once more before the job ends (and, in the instant
// between that look and River completing the job, by the next poll, which
// enqueues any account whose mark is ahead of its cursor).
func (w *syncWorker) Work(ctx context.Context, job *river.Job[SyncArgs]) error {
	// One sync per account at a time, on every replica: a follow-up that
	// finds the account's sync running waits for it.
	account, owner := job.Args.AccountID, fmt.Sprintf("job-%d", job.ID)
	held, err := w.r.cfg.Store.LeaseSync(ctx, account, owner, leaseTTL)
	if jarvis.IsCode(err, jarvis.ENOTFOUND) {
		return river.JobCancel(err)
	} else if err != nil {
		return err
	} else if !held {
		return river.JobSnooze(2 * time.Second)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go w.r.keepLease(ctx, cancel, account, owner)
	defer func() { _ = w.r.cfg.Store.ReleaseSync(context.WithoutCancel(ctx), account, owner) }()
	err = w.r.cfg.Syncer.Sync(ctx, job.Args.AccountID)
	for err == nil {
		w.r.watchIfLapsed(ctx, job.Args.AccountID)
		st, serr := w.r.cfg.Store.State(ctx, job.Args.AccountID)
		if serr != nil || st.HighWater <= st.HistoryID {
			break
		}
		err = w.r.cfg.Syncer.Sync(ctx, job.Args.AccountID)
	}
	return w.r.outcome(ctx, err)
}

// outcome is what a sync job's error makes of the job: Google's 429 snoozes
// it until the time Google named, a spent quota budget until it allows, a
// slice's end continues at once, an account that is gone or needs
// reconnecting is not retried, anything else is retried with backoff.
func (r *Runner) outcome(ctx context.Context, err error) error {
	var ra *mailsync.RetryAfter
	var je *jarvis.Error
	switch {
	case err == nil:
		return nil
	case errors.As(err, &je) && je.Code == jarvis.ERATELIMITED:
		return river.JobSnooze(max(je.RetryAfter, time.Second)) // the account's quota budget is spent for now
	case errors.Is(err, context.DeadlineExceeded) && ctx.Err() != nil:
		return river.JobSnooze(0) // the slice ended: carry on from the saved state
	case errors.As(err, &ra):
		return river.JobSnooze(max(ra.At.Sub(r.cfg.Now()), time.Second))
	case jarvis.IsCode(err, jarvis.ENOTFOUND), jarvis.IsCode(err, jarvis.EREAUTH), jarvis.IsCode(err, jarvis.ESCOPEMISSING):
		return river.JobCancel(err)
	}
	return err
}

type calendarWorker struct {
	river.WorkerDefaults[CalendarSyncArgs]
	r *Runner
}

// Work syncs the account's calendar, again while channel notifications came
// in after the sync began, then opens the account's channel if it has none
// or it lapses within the hour. Errors as the mail sync's.
//
// The calendar's state is versioned apart from the mail's, so this job runs
// beside the account's mail sync; two calendar syncs of one account (a job
// and its follow-up) are serialized by that version.
func (w *calendarWorker) Work(ctx context.Context, job *river.Job[CalendarSyncArgs]) error {
	if w.r.cfg.Calendar == nil {
		return nil
	}
	account := job.Args.AccountID
	if job.Args.Pushes > 0 {
		// A sync that began after the notification was recorded saw it.
		if st, err := w.r.cfg.Store.State(ctx, account); err == nil && st.CalendarSyncedPushes >= job.Args.Pushes {
			return nil
		}
	}
	err := w.r.cfg.Calendar.SyncCalendar(ctx, account)
	for err == nil {
		w.r.channelIfLapsed(ctx, account)
		st, serr := w.r.cfg.Store.State(ctx, account)
		if serr != nil || st.CalendarPushes <= st.CalendarSyncedPushes {
			break
		}
		err = w.r.cfg.Calendar.SyncCalendar(ctx, account)
	}
	return w.r.outcome(ctx, err)
}

// channelIfLapsed opens the account's Calendar channel when it has none or
// it lapses within the hour (a new account, or a renewal that failed).
func (r *Runner) channelIfLapsed(ctx context.Context, accountID string) {
	if r.cfg.Channels == nil {
		return
	}
	_ = r.renewChannel(ctx, accountID, func(st mailsync.State) bool {
		return st.CalendarChannelID == "" || !st.CalendarChannelExpiry.After(r.cfg.Now().Add(time.Hour))
	})
}

// renewChannel renews one account's Calendar channel (the renewer records
// it) if due says the account's state, read afresh, needs it. Renewals of
// one account in this process take turns, so that a calendar sync's first
// channel and the periodic renewal, when they meet, open one channel, not
// two. (Replicas may still meet: the later channel then replaces and stops
// the earlier one.)
func (r *Runner) renewChannel(ctx context.Context, accountID string, due func(mailsync.State) bool) error {
	unlock, err := r.channels.lock(ctx, accountID)
	if err != nil {
		return err
	}
	defer unlock()
	st, err := r.cfg.Store.State(ctx, accountID)
	if err != nil || !due(st) {
		return err
	}
	if _, err := r.cfg.Channels.RenewChannel(ctx, accountID); err != nil {
		r.cfg.Logger.Warn("calendar channel renewal failed", "account_id", accountID, "err", err)
		return err
	}
	return nil
}

// keepLease renews the sync lease until ctx ends; a lease lost (another
// owner took it after a stall) cancels the sync.
func (r *Runner) keepLease(ctx context.Context, cancel context.CancelFunc, account, owner string) {
	t := time.NewTicker(leaseTTL / 3)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if held, err := r.cfg.Store.LeaseSync(ctx, account, owner, leaseTTL); err == nil && !held {
				r.cfg.Logger.Warn("sync lease lost; the sync stops", "account_id", account)
				cancel()
				return
			}
		}
	}
}

// watchIfLapsed starts the account's Gmail watch when it has none or it
// lapses within the hour (a new account, or a renewal that failed), rather
// than waiting for the next periodic renewal.
func (r *Runner) watchIfLapsed(ctx context.Context, accountID string) {
	if r.cfg.Watcher == nil {
		return
	}
	st, err := r.cfg.Store.State(ctx, accountID)
	if err != nil || st.WatchExpiry.After(r.cfg.Now().Add(time.Hour)) {
		return
	}
	r.renew(ctx, mailsync.Account{ID: accountID, UserID: st.UserID})
}

// renew renews one account's watch and records its expiry.
func (r *Runner) renew(ctx context.Context, a mailsync.Account) error {
	expiry, err := r.cfg.Watcher.Watch(ctx, a.UserID, a.ID)
	if err != nil {
		r.cfg.Logger.Warn("gmail watch renewal failed", "account_id", a.ID, "err", err)
		return err
	}
	for range 5 {
		st, err := r.cfg.Store.State(ctx, a.ID)
		if err != nil {
			return err
		}
		st.WatchExpiry = expiry
		if err := r.cfg.Store.SaveState(ctx, &st); !jarvis.IsCode(err, jarvis.ECONFLICT) {
			return err
		}
	}
	return nil
}

// renewIdle renews the account's watch, if it is still due, under the
// account's sync lease; an account whose sync is running is left to it
// (the sync starts the watch as it ends if it has lapsed, and the next
// renewal comes within the hour). Without the lease both would call
// users.watch (100 quota units each) for a new account, and a renewal saved
// in the middle of a sync would make the sync's next page conflict and be
// fetched again.
func (r *Runner) renewIdle(ctx context.Context, a mailsync.Account, owner string, due func(mailsync.State) bool) error {
	held, err := r.cfg.Store.LeaseSync(ctx, a.ID, owner, leaseTTL)
	if jarvis.IsCode(err, jarvis.ENOTFOUND) || err == nil && !held {
		return nil
	} else if err != nil {
		return err
	}
	defer func() { _ = r.cfg.Store.ReleaseSync(context.WithoutCancel(ctx), a.ID, owner) }()
	st, err := r.cfg.Store.State(ctx, a.ID)
	if err != nil || !due(st) {
		return err // renewed meanwhile, by a sync that just ended
	}
	return r.renew(ctx, a)
}

type pollWorker struct {
	river.WorkerDefaults[PollArgs]
	r *Runner
}

// Work enqueues a sync of every account that is not caught up or that no
// push has woken within QuietAfter: pushes get lost. The same for each
// calendar, whose pushes are the channel's notifications.
func (w *pollWorker) Work(ctx context.Context, job *river.Job[PollArgs]) error {
	now := w.r.cfg.Now()
	return w.r.eachState(ctx, func(a mailsync.Account, st mailsync.State) error {
		quiet := st.LastPushAt.IsZero() || now.Sub(st.LastPushAt) >= w.r.cfg.QuietAfter
		if st.Phase != mailsync.PhaseIncremental || quiet || st.HighWater > st.HistoryID {
			if err := w.r.EnqueueSync(ctx, a.ID); err != nil {
				return err
			}
		}
		calQuiet := st.CalendarPushAt.IsZero() || now.Sub(st.CalendarPushAt) >= w.r.cfg.QuietAfter
		if st.CalendarSyncToken == "" || calQuiet || st.CalendarPushes > st.CalendarSyncedPushes {
			return w.r.EnqueueCalendarSync(ctx, a.ID)
		}
		return nil
	})
}

type watchWorker struct {
	river.WorkerDefaults[WatchArgs]
	r *Runner
}

// Work renews each watch and channel that expires within a day (the day
// jittered by up to an hour per account, so that renewals spread out), and
// any that failed or lapsed.
func (w *watchWorker) Work(ctx context.Context, job *river.Job[WatchArgs]) error {
	now := w.r.cfg.Now()
	var failed error
	owner := fmt.Sprintf("job-%d", job.ID)
	err := w.r.eachState(ctx, func(a mailsync.Account, st mailsync.State) error {
		jitter := time.Duration(rand.Int64N(int64(time.Hour)))
		due := func(st mailsync.State) bool { return !st.WatchExpiry.After(now.Add(24*time.Hour - jitter)) }
		if w.r.cfg.Watcher != nil && due(st) {
			if err := w.r.renewIdle(ctx, a, owner, due); err != nil {
				failed = err // the others are renewed still
			}
		}
		jitter = time.Duration(rand.Int64N(int64(time.Hour)))
		// A calendar not synced yet gets its channel from its first sync.
		channelDue := func(st mailsync.State) bool {
			return !st.CalendarSyncedAt.IsZero() &&
				(st.CalendarChannelID == "" || !st.CalendarChannelExpiry.After(now.Add(24*time.Hour-jitter)))
		}
		if w.r.cfg.Channels != nil && channelDue(st) {
			if err := w.r.renewChannel(ctx, a.ID, channelDue); err != nil {
				failed = err
			}
		}
		return nil
	})
	return errors.Join(err, failed)
}

// eachState calls fn with every active account and its sync state, until fn
// fails; an account whose state cannot be read is left for the next run.
func (r *Runner) eachState(ctx context.Context, fn func(mailsync.Account, mailsync.State) error) error {
	accounts, err := r.cfg.Store.Accounts(ctx)
	if err != nil {
		return err
	}
	for _, a := range accounts {
		st, err := r.cfg.Store.State(ctx, a.ID)
		if err != nil {
			continue
		}
		if err := fn(a, st); err != nil {
			return err
		}
	}
	return nil
}

// Pending reports whether River's tables need a migration.
func Pending(ctx context.Context, db *sql.DB, sqlite bool) (bool, error) {
	m, err := rivermigrate.New(driver(Config{DB: db, SQLite: sqlite}), nil)
	if err != nil {
		return false, err
	}
	res, err := m.Validate(ctx, nil)
	if err != nil {
		return false, err
	}
	return !res.OK, nil
}
