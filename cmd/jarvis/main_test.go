package main

import (
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/jarvis-hq/jarvis/internal/httpapi"
)

// observed collects every route and status the end-to-end tests saw, so
// that TestMain can hold the OpenAPI description to what the server answers.
var observed = &observations{seen: map[string]map[int]bool{}}

type observations struct {
	mu   sync.Mutex
	seen map[string]map[int]bool // "METHOD pattern" → statuses
}

func (o *observations) record(method, pattern string, status int, _ time.Duration) {
	if pattern == "" || pattern == "/" {
		return
	}
	if _, p, ok := strings.Cut(pattern, " "); ok {
		pattern = p
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	k := method + " " + pattern
	if o.seen[k] == nil {
		o.seen[k] = map[int]bool{}
	}
	o.seen[k][status] = true
}

func TestMain(m *testing.M) {
	code := m.Run()
	if code == 0 && !testing.Short() && runAllTests() {
		if err := checkSpecAgainstObserved(); err != nil {
			fmt.Fprintln(os.Stderr, "FAIL: OpenAPI description:", err)
			code = 1
		}
	}
	if code == 0 {
		if err := goleak.Find(goleak.IgnoreCurrent(), goleak.IgnoreTopFunction("database/sql.(*DB).connectionOpener"),
			goleak.IgnoreTopFunction("internal/poll.runtime_pollWait"), goleak.IgnoreTopFunction("net/http.(*persistConn).writeLoop"),
			goleak.IgnoreTopFunction("net/http.(*persistConn).readLoop"), goleak.IgnoreAnyFunction("modernc.org/sqlite.interruptOnDone"),
			goleak.IgnoreAnyFunction("github.com/jackc/pgx/v5/pgconn/ctxwatch.(*ContextWatcher).Watch.func1")); err != nil {
			fmt.Fprintln(os.Stderr, "FAIL: leaked goroutines:", err)
			code = 1
		}
	}
	os.Exit(code)
}

// runAllTests reports whether the whole suite ran (no -run filter), which
// the spec check needs to have seen every route.
func runAllTests() bool {
	for _, a := range os.Args {
		if strings.HasPrefix(a, "-test.run") {
			return false
		}
	}
	return true
}

// checkSpecAgainstObserved fails on any route the server registers that the
// spec lacks, and on any status a test saw that the spec does not declare.
func checkSpecAgainstObserved() error {
	var spec struct {
		Paths map[string]map[string]struct {
			Responses map[string]any `json:"responses"`
		} `json:"paths"`
	}
	if err := json.Unmarshal(httpapi.OpenAPIDocument(), &spec); err != nil {
		return err
	}
	var problems []string
	declared := func(method, path string) (map[string]any, bool) {
		ops, ok := spec.Paths[path]
		if !ok {
			return nil, false
		}
		op, ok := ops[strings.ToLower(method)]
		return op.Responses, ok
	}
	for _, r := range httpapi.New(httpapi.Config{}, httpapi.Deps{}).Routes() {
		method, path, _ := strings.Cut(r, " ")
		if _, ok := declared(method, path); !ok {
			problems = append(problems, "route "+r+" is not in the spec")
		}
	}
	observed.mu.Lock()
	defer observed.mu.Unlock()
	for k, statuses := range observed.seen {
		method, path, _ := strings.Cut(k, " ")
		resp, ok := declared(method, path)
		if !ok {
			problems = append(problems, "observed route "+k+" is not in the spec")
			continue
		}
		for st := range statuses {
			if _, ok := resp[fmt.Sprint(st)]; !ok {
				problems = append(problems, fmt.Sprintf("%s answered %d, which the spec does not declare", k, st))
			}
		}
	}
	if len(problems) > 0 {
		sort.Strings(problems)
		return fmt.Errorf("\n  %s", strings.Join(problems, "\n  "))
	}
	return nil
}
