package jobs

import (
	"context"
	"time"

	"github.com/riverqueue/river"
)

// ActionSweeper runs again the approved actions whose run was interrupted
// (the approval queue's Sweep).
type ActionSweeper interface {
	Sweep(ctx context.Context) (int, error)
}

// ActionSweepArgs is the periodic job that runs interrupted actions again.
type ActionSweepArgs struct{}

// Kind names the job.
func (ActionSweepArgs) Kind() string { return "action_sweep" }

// InsertOpts keeps one sweep at a time; a failed one waits for the next.
func (ActionSweepArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{UniqueOpts: whileWaitingOrRunning, MaxAttempts: 1}
}

// DefaultActionSweepEvery is how often interrupted actions are looked
// for by default.
const DefaultActionSweepEvery = 30 * time.Second

type actionSweepWorker struct {
	river.WorkerDefaults[ActionSweepArgs]
	r *Runner
}

// Work runs the interrupted actions again, one after the other: each run
// is bounded by the queue, and the sweep takes no more once its job's
// time is up.
func (w *actionSweepWorker) Work(ctx context.Context, job *river.Job[ActionSweepArgs]) error {
	n, err := w.r.cfg.Actions.Sweep(ctx)
	if n > 0 {
		w.r.cfg.Logger.Info("interrupted actions taken", "count", n)
	}
	return err
}
