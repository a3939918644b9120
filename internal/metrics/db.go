package metrics

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// scrapeTimeout bounds the queries one scrape makes.
const scrapeTimeout = 5 * time.Second

// ageBuckets are the upper bounds, in seconds, of the sync lag and push
// age histograms across accounts.
var ageBuckets = []float64{10, 30, 60, 300, 900, 3600, 6 * 3600, 24 * 3600, 7 * 24 * 3600}

// jobStates are the River job states reported, every kind with each (zero
// when none): waiting (available, scheduled, pending), being worked
// (running), failed and to be retried (retryable), failed for good
// (discarded) and cancelled. Completed jobs are not counted.
var jobStates = []string{"available", "scheduled", "pending", "running", "retryable", "discarded", "cancelled"}

// WatchDB reports, at each scrape, the pool of db and what it holds: the
// sync lag and push age across active accounts (from sync_state), and the
// background jobs by kind and state (from River's river_job). kinds are the
// job kinds always reported, zero or not.
func (m *Metrics) WatchDB(db *sql.DB, kinds []string, log *slog.Logger) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	m.reg.MustRegister(collectors.NewDBStatsCollector(db, "jarvis"), &dbCollector{db: db, kinds: kinds, log: log, now: time.Now})
}

// dbCollector reads the sync state and the job queue when scraped.
type dbCollector struct {
	db    *sql.DB
	kinds []string
	log   *slog.Logger
	now   func() time.Time
}

var (
	syncLagDesc = prometheus.NewDesc(namespace+"_sync_lag_seconds",
		"Seconds since each active Google account's last successful mail sync, across accounts (no per-account series); accounts never synced are in jarvis_sync_accounts_unsynced.", nil, nil)
	syncLagMaxDesc = prometheus.NewDesc(namespace+"_sync_lag_max_seconds",
		"The largest sync lag of any active Google account: seconds since its last successful mail sync.", nil, nil)
	unsyncedDesc = prometheus.NewDesc(namespace+"_sync_accounts_unsynced",
		"Active Google accounts whose mail has never synced successfully (a first sync may be running).", nil, nil)
	pushAgeDesc = prometheus.NewDesc(namespace+"_push_age_seconds",
		"Seconds since each active Google account's last Gmail push notification, across accounts that have had one.", nil, nil)
	pushAgeMaxDesc = prometheus.NewDesc(namespace+"_push_age_max_seconds",
		"The largest push age of any active Google account that has had a push: seconds since its last Gmail push notification.", nil, nil)
	jobsDesc = prometheus.NewDesc(namespace+"_jobs",
		"Background jobs in the queue by kind and state: available, scheduled and pending wait; running are being worked; retryable failed and will be retried; discarded failed for good (kept a week); cancelled. Completed jobs are not counted.",
		[]string{"kind", "state"}, nil)
	scrapeErrorsDesc = prometheus.NewDesc(namespace+"_metrics_scrape_errors",
		"1 when this scrape could not read a database figure (sync or jobs), whose metrics are then missing; 0 otherwise.", []string{"source"}, nil)
)

func (c *dbCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{syncLagDesc, syncLagMaxDesc, unsyncedDesc, pushAgeDesc, pushAgeMaxDesc, jobsDesc, scrapeErrorsDesc} {
		ch <- d
	}
}

func (c *dbCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), scrapeTimeout)
	defer cancel()
	failed := 0.0
	if err := c.collectSync(ctx, ch); err != nil {
		c.log.Warn("metrics: reading the sync state failed", "err", err)
		failed = 1
	}
	ch <- prometheus.MustNewConstMetric(scrapeErrorsDesc, prometheus.GaugeValue, failed, "sync")
	failed = 0
	if err := c.collectJobs(ctx, ch); err != nil {
		c.log.Warn("metrics: reading the job queue failed", "err", err)
		failed = 1
	}
	ch <- prometheus.MustNewConstMetric(scrapeErrorsDesc, prometheus.GaugeValue, failed, "jobs")
}

// ageColumns are the aggregates of one age column (Unix milliseconds, 0 for
// never) at now: how many have one, the sum of ages, the oldest, and how
// many are within each bucket. now is a number the code made, not input.
func ageColumns(col string, nowMS int64) string {
	var b strings.Builder
	fmt.Fprintf(&b, "COALESCE(SUM(CASE WHEN s.%[1]s > 0 THEN 1 ELSE 0 END), 0), COALESCE(SUM(CASE WHEN s.%[1]s > 0 THEN %[2]d - s.%[1]s ELSE 0 END), 0), "+
		"COALESCE(MIN(CASE WHEN s.%[1]s > 0 THEN s.%[1]s END), 0)", col, nowMS)
	for _, le := range ageBuckets {
		fmt.Fprintf(&b, ", COALESCE(SUM(CASE WHEN s.%[1]s > 0 AND s.%[1]s >= %[2]d THEN 1 ELSE 0 END), 0)", col, nowMS-int64(le*1000))
	}
	return b.String()
}

// age is what ageColumns reads.
type age struct {
	count, sumMS, oldestMS float64
	buckets                []float64
}

func (a *age) dest() []any {
	a.buckets = make([]float64, len(ageBuckets))
	d := []any{&a.count, &a.sumMS, &a.oldestMS}
	for i := range a.buckets {
		d = append(d, &a.buckets[i])
	}
	return d
}

func (a *age) emit(ch chan<- prometheus.Metric, hist, maxDesc *prometheus.Desc, nowMS int64) {
	b := make(map[float64]uint64, len(ageBuckets))
	for i, le := range ageBuckets {
		b[le] = uint64(a.buckets[i])
	}
	ch <- prometheus.MustNewConstHistogram(hist, uint64(a.count), a.sumMS/1000, b)
	oldest := 0.0
	if a.count > 0 {
		oldest = max(float64(nowMS)-a.oldestMS, 0) / 1000
	}
	ch <- prometheus.MustNewConstMetric(maxDesc, prometheus.GaugeValue, oldest)
}

// collectSync reads every active account's sync state in one aggregate
// query: no per-account row leaves the database.
func (c *dbCollector) collectSync(ctx context.Context, ch chan<- prometheus.Metric) error {
	nowMS := c.now().UnixMilli()
	q := "SELECT COUNT(*), " + ageColumns("last_success_at", nowMS) + ", " + ageColumns("last_push_at", nowMS) +
		" FROM sync_state s JOIN integrations_google g ON g.id = s.account_id WHERE g.status = 'active'"
	var total float64
	var lag, push age
	dest := append([]any{&total}, append(lag.dest(), push.dest()...)...)
	if err := c.db.QueryRowContext(ctx, q).Scan(dest...); err != nil {
		return err
	}
	lag.emit(ch, syncLagDesc, syncLagMaxDesc, nowMS)
	ch <- prometheus.MustNewConstMetric(unsyncedDesc, prometheus.GaugeValue, total-lag.count)
	push.emit(ch, pushAgeDesc, pushAgeMaxDesc, nowMS)
	return nil
}

// collectJobs counts the jobs not completed by kind and state.
func (c *dbCollector) collectJobs(ctx context.Context, ch chan<- prometheus.Metric) error {
	rows, err := c.db.QueryContext(ctx, "SELECT kind, state, COUNT(*) FROM river_job WHERE state <> 'completed' GROUP BY kind, state")
	if err != nil {
		return err
	}
	defer rows.Close()
	type key struct{ kind, state string }
	counts := map[key]float64{}
	for _, k := range c.kinds {
		for _, s := range jobStates {
			counts[key{k, s}] = 0
		}
	}
	for rows.Next() {
		var k key
		var n float64
		if err := rows.Scan(&k.kind, &k.state, &n); err != nil {
			return err
		}
		counts[k] = n
	}
	if err := rows.Err(); err != nil {
		return err
	}
	for k, n := range counts {
		ch <- prometheus.MustNewConstMetric(jobsDesc, prometheus.GaugeValue, n, k.kind, k.state)
	}
	return nil
}
