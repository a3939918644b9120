package jobs

import (
	"context"
	"database/sql"
	"time"

	"github.com/riverqueue/river"
)

// Sender sends the mail Jarvis holds (the outbox).
type Sender interface {
	// Deliver sends the user's send id if it is due, exactly once, and
	// returns how long to wait when it is not due yet. An error is a
	// passing failure, retried.
	Deliver(ctx context.Context, userID, id string) (time.Duration, error)
	// Stalled lists the sends whose job may be lost or stuck, with their
	// attempts so far.
	Stalled(ctx context.Context) ([]StalledSend, error)
}

// StalledSend is a send whose job may be lost or stuck.
type StalledSend struct {
	UserID, ID string
	Attempts   int
}

// SendArgs is the job that sends one held send. It is unique per send and
// attempt while it waits or runs: the sweep gives a stalled send a job of
// its own (the next attempt's) beside one that may be stuck.
type SendArgs struct {
	UserID  string `json:"user_id" river:"unique"`
	ID      string `json:"id" river:"unique"`
	Attempt int    `json:"attempt,omitempty" river:"unique"`
}

// Kind names the job.
func (SendArgs) Kind() string { return "gmail_send" }

// InsertOpts makes the job unique per send and attempt. River never gives
// up on it first: the outbox ends a send that keeps failing, as failed.
func (SendArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{UniqueOpts: whileWaitingOrRunning, MaxAttempts: 50}
}

// SendSweepArgs is the periodic job that finds stalled sends.
type SendSweepArgs struct{}

// Kind names the job.
func (SendSweepArgs) Kind() string { return "gmail_send_sweep" }

// InsertOpts keeps one sweep at a time.
func (SendSweepArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{UniqueOpts: whileWaitingOrRunning, MaxAttempts: 1}
}

// sendSweepEvery is how often stalled sends are looked for.
const sendSweepEvery = 30 * time.Second

// sendTimeout bounds one attempt at a send, within the outbox's lease.
const sendTimeout = 45 * time.Second

// EnqueueSendTx schedules the job of the user's send id at at, within tx:
// the job exists if and only if tx commits.
func (r *Runner) EnqueueSendTx(ctx context.Context, tx *sql.Tx, userID, id string, at time.Time, attempt int) error {
	opts := SendArgs{}.InsertOpts()
	opts.ScheduledAt = at
	_, err := r.client.InsertTx(ctx, tx, SendArgs{UserID: userID, ID: id, Attempt: attempt}, &opts)
	return err
}

type sendWorker struct {
	river.WorkerDefaults[SendArgs]
	r *Runner
}

// Timeout bounds an attempt.
func (w *sendWorker) Timeout(*river.Job[SendArgs]) time.Duration { return sendTimeout }

// NextRetry retries a passing failure soon, then backing off to five
// minutes: a message waits for Google's trouble to pass, not for River's
// default hours.
func (w *sendWorker) NextRetry(job *river.Job[SendArgs]) time.Time {
	d := 500 * time.Millisecond << min(job.Attempt, 10)
	return w.r.cfg.Now().Add(min(d, 5*time.Minute))
}

// Work sends the send if it is due; one that is not due yet (the job ran
// early) is snoozed until it is.
func (w *sendWorker) Work(ctx context.Context, job *river.Job[SendArgs]) error {
	wait, err := w.r.cfg.Sender.Deliver(ctx, job.Args.UserID, job.Args.ID)
	if err != nil {
		return err
	}
	if wait > 0 {
		return river.JobSnooze(wait)
	}
	return nil
}

type sendSweepWorker struct {
	river.WorkerDefaults[SendSweepArgs]
	r *Runner
}

// Work gives each stalled send a job for its next attempt.
func (w *sendSweepWorker) Work(ctx context.Context, job *river.Job[SendSweepArgs]) error {
	stalled, err := w.r.cfg.Sender.Stalled(ctx)
	if err != nil {
		return err
	}
	for _, s := range stalled {
		if _, err := w.r.client.Insert(ctx, SendArgs{UserID: s.UserID, ID: s.ID, Attempt: s.Attempts + 1}, nil); err != nil {
			return err
		}
	}
	return nil
}
