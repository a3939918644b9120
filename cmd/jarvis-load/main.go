// Command jarvis-load measures Jarvis as it runs in production: three
// `jarvis serve` replicas behind HAProxy, on PostgreSQL and Redis, with
// `jarvis sandbox` as Google (20 ms a call, 1 % 5xx and 0.5 % 429
// injected), under a mixed workload of many signed-in users at a constant
// arrival rate (vegeta's open model). It sweeps rates, runs fault
// scenarios under load, and writes what it measured into BENCHMARKS.md.
//
//	jarvis-load bench [flags]            sweep request rates
//	jarvis-load fault SCENARIO [flags]   rolling-restart, kill9, postgres-restart, redis-stop
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "jarvis-load:", err)
		os.Exit(1)
	}
}

const usage = `Usage:
  jarvis-load bench [flags]            sweep request rates, write the sweep into BENCHMARKS.md
  jarvis-load fault SCENARIO [flags]   run a fault under load, write its figure into BENCHMARKS.md
                                       SCENARIO: rolling-restart, kill9, postgres-restart, redis-stop

Run "jarvis-load bench -h" or "jarvis-load fault -h" for the flags.`

// options are the flags both commands share.
type options struct {
	cluster  ClusterConfig
	out      string
	duration time.Duration
	rate     float64
	rates    string
	noWrite  bool
}

func (o *options) register(fs *flag.FlagSet) {
	fs.StringVar(&o.cluster.Jarvis, "jarvis", "", "jarvis binary to run (default: built from the module)")
	fs.StringVar(&o.cluster.Postgres, "postgres", "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable", "PostgreSQL admin URL: a fresh database is created on it and dropped after")
	fs.StringVar(&o.cluster.Redis, "redis", "redis://127.0.0.1:6379/12", "Redis URL with a database number of the tool's own (flushed at start and end)")
	fs.IntVar(&o.cluster.Users, "users", 100, "sandbox users, each signed in through Google's OAuth flow")
	fs.IntVar(&o.cluster.Messages, "messages", 50, "generated messages in each user's mailbox")
	fs.DurationVar(&o.cluster.Latency, "latency", 20*time.Millisecond, "the sandbox's latency per Google call")
	fs.StringVar(&o.out, "out", "BENCHMARKS.md", "the report to update")
	fs.BoolVar(&o.noWrite, "no-write", false, "print the figures, leave the report alone")
}

func run(ctx context.Context, args []string, stdout io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprintln(stdout, usage)
		return nil
	}
	var o options
	o.cluster.Log = stdout
	switch args[0] {
	case "bench":
		fs := flag.NewFlagSet("bench", flag.ContinueOnError)
		o.register(fs)
		fs.StringVar(&o.rates, "rates", "50,100,150,200,300,400,500", "request rates to sweep, per second, comma-separated")
		fs.DurationVar(&o.duration, "duration", 30*time.Second, "how long each rate runs")
		if err := fs.Parse(args[1:]); err != nil {
			return err
		}
		o.cluster.defaults()
		rates, err := parseRates(o.rates)
		if err != nil {
			return err
		}
		return bench(ctx, o, rates, stdout)
	case "fault":
		fs := flag.NewFlagSet("fault", flag.ContinueOnError)
		o.register(fs)
		fs.Float64Var(&o.rate, "rate", 50, "request rate during the scenario, per second")
		fs.DurationVar(&o.duration, "duration", 0, "how long the load runs (default: what the scenario needs)")
		if len(args) < 2 || strings.HasPrefix(args[1], "-") {
			return errors.New("fault: name a scenario: " + strings.Join(scenarioNames(), ", "))
		}
		name := args[1]
		if err := fs.Parse(args[2:]); err != nil {
			return err
		}
		o.cluster.defaults()
		return fault(ctx, o, name, stdout)
	}
	return fmt.Errorf("unknown command %q\n\n%s", args[0], usage)
}

func parseRates(s string) ([]float64, error) {
	var out []float64
	for _, p := range strings.Split(s, ",") {
		r, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil || r <= 0 {
			return nil, fmt.Errorf("--rates: %q is not a positive number", p)
		}
		out = append(out, r)
	}
	return out, nil
}

// faults is the sandbox's fault injection under load: 1 % of Google's
// calls answer 500, 0.5 % 429 (with Retry-After).
var injectedFaults = map[string]any{"fail": []string{"*=500:0.01", "*=429:0.005"}}

// setUp starts the cluster, signs the users in, waits for their first
// syncs, then turns the faults on.
func setUp(ctx context.Context, o options, stdout io.Writer) (*Cluster, *Workload, error) {
	c, err := StartCluster(ctx, o.cluster)
	if err != nil {
		return nil, nil, err
	}
	users, err := SignInAll(ctx, c.URL, o.cluster.Users, stdout)
	if err == nil {
		err = WaitSynced(ctx, c.URL, users, 5*time.Minute, stdout)
	}
	if err == nil {
		err = c.SetFaults(ctx, injectedFaults)
	}
	if err != nil {
		c.Close()
		return nil, nil, err
	}
	return c, NewWorkload(c.URL, c.Sandbox, users), nil
}

func bench(ctx context.Context, o options, rates []float64, stdout io.Writer) error {
	machine := describeMachine()
	c, w, err := setUp(ctx, o, stdout)
	if err != nil {
		return err
	}
	defer c.Close()
	// A short warm-up fills the pools and caches.
	w.Attack(ctx, rates[0], 5*time.Second)
	var runs []*Run
	for _, r := range rates {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		before := c.InjectedFaults()
		run := w.Attack(ctx, r, o.duration)
		run.Injected = c.InjectedFaults() - before
		runs = append(runs, run)
		fmt.Fprintln(stdout, summary(run))
		// Let the queues drain before the next rate.
		_ = sleepCtx(ctx, 3*time.Second)
	}
	_ = c.SetFaults(ctx, map[string]any{"fail": []string{}})
	check, err := w.Verify(ctx, 60*time.Second)
	if err != nil {
		return fmt.Errorf("verify: %w", err)
	}
	fmt.Fprintln(stdout, "after the sweep:", check)
	stats, _ := c.SandboxStats(ctx)
	section := sweepReport(o, machine, runs, check, stats)
	if o.noWrite {
		fmt.Fprintln(stdout, section)
		return nil
	}
	if err := updateReport(o.out, "sweep", section); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote the sweep into %s\n", o.out)
	return nil
}

func summary(r *Run) string {
	m := r.Jarvis
	return fmt.Sprintf("rate %4.0f/s: achieved %6.1f/s  p50 %7s  p99 %7s  max %7s  errors %.3f%%  injected-fault errors %.3f%%  (%d requests; %d faults injected)",
		r.Rate, r.All.Rate, ms(m.Latencies.P50), ms(m.Latencies.P99), ms(m.Latencies.Max), 100*r.ErrorRate(), 100*r.FaultRate(), r.Requests, r.Injected)
}

func ms(d time.Duration) string {
	switch {
	case d >= 10*time.Second:
		return fmt.Sprintf("%.1f s", d.Seconds())
	case d >= 100*time.Millisecond:
		return fmt.Sprintf("%.0f ms", float64(d)/float64(time.Millisecond))
	default:
		return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond))
	}
}
