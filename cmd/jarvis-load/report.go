package main

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// p99Target and errorTarget are the issue's: the knee is the highest rate
// whose p99 is under 500 ms with under 0.1 % errors beyond the faults.
const (
	p99Target   = 500 * time.Millisecond
	errorTarget = 0.001
)

// describeMachine says what the figures were measured on.
func describeMachine() string {
	cpu := "unknown CPU"
	if f, err := os.Open("/proc/cpuinfo"); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
				cpu = strings.TrimSpace(v)
				break
			}
		}
		f.Close()
	}
	mem := ""
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		var kb int64
		if _, err := fmt.Sscanf(string(b), "MemTotal: %d kB", &kb); err == nil {
			mem = fmt.Sprintf(", %.1f GiB memory", float64(kb)/(1<<20))
		}
	}
	commit := "unknown"
	if b, err := exec.Command("git", "rev-parse", "--short", "HEAD").Output(); err == nil {
		commit = strings.TrimSpace(string(b))
		if out, err := exec.Command("git", "status", "--porcelain", "--untracked-files=no").Output(); err == nil && len(out) > 0 {
			commit += " (with local changes)"
		}
	}
	pg := ""
	if b, err := exec.Command("psql", "--version").Output(); err == nil {
		pg = strings.TrimSpace(string(b))
	}
	hap := ""
	if b, err := exec.Command("haproxy", "-v").Output(); err == nil {
		hap, _, _ = strings.Cut(string(b), "\n")
		hap, _, _ = strings.Cut(hap, " - ")
	}
	return fmt.Sprintf("%s, %d cores%s, %s/%s, %s, commit %s; %s, %s, Redis on 127.0.0.1:6379; measured %s",
		cpu, runtime.NumCPU(), mem, runtime.GOOS, runtime.GOARCH, runtime.Version(), commit, pg, hap,
		time.Now().UTC().Format("2006-01-02 15:04 UTC"))
}

// loadAverage is the machine's load average over the last minute.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return "?"
	}
	return f[0]
}

// knee is the highest rate that met the targets, and the first that did
// not, judging the latency of what m picks.
func knee(runs []*Run, m func(*Run) *vegeta.Metrics) (best, first *Run) {
	for _, r := range runs {
		ok := m(r).Latencies.P99 < p99Target && r.ErrorRate() < errorTarget && r.All.Rate >= 0.95*r.Rate
		if ok && first == nil {
			best = r
		}
		if !ok && first == nil {
			first = r
		}
	}
	return best, first
}

func sweepReport(o options, machine string, runs []*Run, check *Check, stats map[string]int64) string {
	var b strings.Builder
	fmt.Fprintf(&b, "## Request rates\n\n")
	fmt.Fprintf(&b, "%d replicas of `jarvis serve` behind HAProxy (health checks on `/readyz`), on PostgreSQL and Redis, "+
		"with `jarvis sandbox` as Google (%s a call; 1 %% of calls answer 500 and 0.5 %% 429) and as the chat model. "+
		"%d users, each signed in through Google's OAuth flow with a mailbox of %d generated messages, "+
		"make a mixed workload at a constant arrival rate (vegeta's open model: a slow answer does not delay the next request): ",
		o.cluster.Replicas, o.cluster.Latency, o.cluster.Users, o.cluster.Messages)
	var mix []string
	for _, k := range Kinds {
		mix = append(mix, fmt.Sprintf("%d %% %s", Weights[k], kindLabel[k]))
	}
	fmt.Fprintf(&b, "%s. Each rate runs %s. Deliveries go to the sandbox, not to Jarvis, and are not counted in Jarvis's figures; "+
		"the pushes they cause are.\n\n", strings.Join(mix, ", "), o.duration)
	fmt.Fprintf(&b, "Machine: %s. The load generator, HAProxy, PostgreSQL, Redis and the sandbox share it with the replicas; *machine load* is the one-minute load average at the end of each rate (other work on the machine included: above %d the cores were oversubscribed).\n\n", machine, runtime.NumCPU())
	b.WriteString("Rates count every request, deliveries included; latencies and errors are Jarvis's answers. " +
		"*Faults injected* counts the sandbox's injected 500s and 429s; Jarvis retries most of them, " +
		"and *errors from injected faults* are those it passed on (`upstream_unavailable`, `rate_limited`); a Google call that did not answer in time " +
		"(`upstream_timeout`) counts among the errors beyond the faults, since the sandbox adds no delay beyond its latency.\n\n")
	b.WriteString("| Rate asked | Achieved | p50 | p99 | max | p99 but chat | Errors beyond the faults | Errors from injected faults | Jarvis requests | Faults injected | Machine load |\n")
	b.WriteString("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, r := range runs {
		m := r.Jarvis
		fmt.Fprintf(&b, "| %.0f/s | %.1f/s | %s | %s | %s | %s | %.3f %% (%d) | %.3f %% (%d) | %d | %d | %s |\n",
			r.Rate, r.All.Rate, ms(m.Latencies.P50), ms(m.Latencies.P99), ms(m.Latencies.Max), ms(r.NoChat.Latencies.P99),
			100*r.ErrorRate(), r.Errors, 100*r.FaultRate(), r.Faults, r.Requests, r.Injected, r.Load)
	}
	all := func(r *Run) *vegeta.Metrics { return r.Jarvis }
	noChat := func(r *Run) *vegeta.Metrics { return r.NoChat }
	b.WriteString("\n")
	writeKnee(&b, "**The knee**", runs, all)
	b.WriteString("\n")
	writeKnee(&b, "**Without the chat turns**, whose time is mostly the model's streaming (the sandbox model writes a chunk every 15 ms)", runs, noChat)
	b.WriteString("\n")
	b.WriteString("By kind of request (p50 / p99):\n\n| Rate | ")
	var kinds []string
	for _, k := range Kinds {
		if k != KindDeliver {
			kinds = append(kinds, k)
		}
	}
	b.WriteString(strings.Join(kinds, " | ") + " |\n|---:|" + strings.Repeat("---:|", len(kinds)) + "\n")
	for _, r := range runs {
		fmt.Fprintf(&b, "| %.0f/s |", r.Rate)
		for _, k := range kinds {
			l := r.ByKind[k].Latencies
			fmt.Fprintf(&b, " %s / %s |", ms(l.P50), ms(l.P99))
		}
		b.WriteString("\n")
	}
	b.WriteString("\nWhat failed, by kind and answer:\n\n")
	for _, r := range runs {
		errs, faults := topReasons(r.Reasons, 6), topReasons(r.FaultReasons, 6)
		if errs == "" {
			errs = "none"
		}
		if faults == "" {
			faults = "none"
		}
		fmt.Fprintf(&b, "- %.0f/s: beyond the faults: %s; from injected faults: %s\n", r.Rate, errs, faults)
	}
	if check != nil {
		fmt.Fprintf(&b, "\nAfterwards: %s.", check)
	}
	if stats != nil {
		fmt.Fprintf(&b, " Pushes from the sandbox's Pub/Sub: %d delivered, %d failed and retried.",
			stats["pubsub.delivered"], stats["pubsub.failed"])
	}
	b.WriteString("\n\n```sh\nmake benchmarks   # or: go run ./cmd/jarvis-load bench\n```\n")
	return b.String()
}

func writeKnee(b *strings.Builder, lead string, runs []*Run, m func(*Run) *vegeta.Metrics) {
	best, first := knee(runs, m)
	switch {
	case best != nil && first != nil:
		fmt.Fprintf(b, "%s: up to **%.0f requests a second** p99 stays under %s (%s) with errors beyond the injected faults under %.1f %%; at %.0f/s %s.\n",
			lead, best.Rate, ms(p99Target), ms(m(best).Latencies.P99), 100*errorTarget, first.Rate, why(first, m))
	case best != nil:
		fmt.Fprintf(b, "%s: beyond the rates swept; at %.0f requests a second, the highest, p99 is still %s with %.3f %% errors beyond the faults.\n",
			lead, best.Rate, ms(m(best).Latencies.P99), 100*best.ErrorRate())
	default:
		fmt.Fprintf(b, "%s: no rate met the target (p99 under %s, errors beyond the faults under %.1f %%): at %.0f/s %s.\n",
			lead, ms(p99Target), 100*errorTarget, runs[0].Rate, why(runs[0], m))
	}
}

var kindLabel = map[string]string{KindInbox: "inbox pages", KindThread: "thread reads", KindSearch: "searches",
	KindDraft: "drafts", KindChat: "chat turns", KindDeliver: "mail delivered (Gmail pushes it to Jarvis)"}

func why(r *Run, m func(*Run) *vegeta.Metrics) string {
	var parts []string
	if p99 := m(r).Latencies.P99; p99 >= p99Target {
		parts = append(parts, "p99 is "+ms(p99))
	}
	if r.ErrorRate() >= errorTarget {
		parts = append(parts, fmt.Sprintf("%.3f %% of requests fail beyond the faults", 100*r.ErrorRate()))
	}
	if r.All.Rate < 0.95*r.Rate {
		parts = append(parts, fmt.Sprintf("the generator achieves only %.1f/s", r.All.Rate))
	}
	if len(parts) == 0 {
		return "it meets the target"
	}
	return strings.Join(parts, " and ")
}

const reportHeader = `# Benchmarks

Measured by ` + "`jarvis-load`" + ` ([cmd/jarvis-load](cmd/jarvis-load)), which starts the cluster it measures, and
regenerated by ` + "`make benchmarks`" + `; each section says the command that wrote it. See the README's
[Load and faults](README.md#load-and-faults).
`

// sectionOrder is the order of the report's sections.
var sectionOrder = []string{"sweep", "rolling-restart", "kill9", "postgres-restart", "redis-stop"}

// updateReport replaces the section named name in the report at path
// (between <!-- name --> and <!-- /name -->), keeping the others.
func updateReport(path, name, body string) error {
	old, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		return err
	}
	sections := map[string]string{}
	text := string(old)
	for _, s := range sectionOrder {
		open, end := "<!-- "+s+" -->\n", "<!-- /"+s+" -->\n"
		i := strings.Index(text, open)
		j := strings.Index(text, end)
		if i >= 0 && j > i {
			sections[s] = text[i+len(open) : j]
		}
	}
	sections[name] = strings.TrimRight(body, "\n") + "\n"
	var b strings.Builder
	b.WriteString(reportHeader)
	for _, s := range sectionOrder {
		if sections[s] == "" {
			continue
		}
		fmt.Fprintf(&b, "\n<!-- %s -->\n%s<!-- /%s -->\n", s, sections[s], s)
	}
	return os.WriteFile(path, []byte(b.String()), 0o644)
}
