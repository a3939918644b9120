package main

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"google.golang.org/api/gmail/v1"

	"github.com/jarvis-hq/jarvis/internal/mailsync"
	"github.com/jarvis-hq/jarvis/internal/sandbox"
	"github.com/jarvis-hq/jarvis/internal/sandbox/pubsub"
	"github.com/jarvis-hq/jarvis/internal/sqldb"
	"github.com/jarvis-hq/jarvis/internal/sqldb/sqldbtest"
)

var (
	buildOnce sync.Once
	builtBin  string
	buildErr  error
)

// jarvisBinary builds the jarvis command once per test run.
func jarvisBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "jarvis-bin-")
		if err != nil {
			buildErr = err
			return
		}
		builtBin = filepath.Join(dir, "jarvis")
		if out, err := exec.Command("go", "build", "-o", builtBin, ".").CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return builtBin
}

func envInt(t *testing.T, name string, def int64) int64 {
	t.Helper()
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		t.Fatalf("%s=%q: %v", name, v, err)
	}
	return n
}

// jarvisProcess is a `jarvis serve` run as its own process, as an operator
// runs it, so that a test can kill it without warning.
type jarvisProcess struct {
	t    *testing.T
	bin  string
	addr string
	env  []string
	log  *os.File
	cmd  *exec.Cmd
}

func (p *jarvisProcess) URL() string { return "http://" + p.addr }

func (p *jarvisProcess) start() {
	p.t.Helper()
	cmd := exec.Command(p.bin, "serve", "--migrate")
	cmd.Env = append(os.Environ(), p.env...)
	cmd.Env = append(cmd.Env, "JARVIS_ADDR="+p.addr)
	cmd.Stdout, cmd.Stderr = p.log, p.log
	if err := cmd.Start(); err != nil {
		p.t.Fatal(err)
	}
	p.cmd = cmd
	waitFor(p.t, "jarvis at "+p.addr, func() bool {
		resp, err := http.Get(p.URL() + "/health")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
}

// kill ends the process at once (SIGKILL): no shutdown, no flush.
func (p *jarvisProcess) kill() {
	if p.cmd == nil {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	_ = p.cmd.Wait()
	p.cmd = nil
}

// The sync never loses a change: a seeded random run drives two sandbox
// mailboxes through deliveries, sends between the users, replies, label
// changes, trash, untrash and deletes, while Pub/Sub pushes are dropped,
// duplicated, reordered and delayed, the history of one mailbox expires
// mid-run and a Jarvis process is killed (SIGKILL) and started again. Once
// quiet, each account's index equals its mailbox exactly: message ids,
// threads, labels, thread aggregates and label counts. SQLite runs one
// Jarvis process; PostgreSQL runs two on one database.
//
// Reproduce a run with the seed it prints; run thousands of operations with
// JARVIS_SYNC_OPS=5000.
func TestSyncRandomized(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	seed := uint64(envInt(t, "JARVIS_SYNC_SEED", time.Now().UnixNano()))
	ops := int(envInt(t, "JARVIS_SYNC_OPS", 80))
	t.Logf("seed %d, %d operations (reproduce: JARVIS_SYNC_SEED=%d JARVIS_SYNC_OPS=%d go test -run TestSyncRandomized ./cmd/jarvis)", seed, ops, seed, ops)
	bin := jarvisBinary(t)
	sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) {
		t.Parallel() // each run has its own sandbox, database and processes
		procs := 1
		if d == sqldb.Postgres {
			procs = 2
		}
		randomRun(t, bin, d, seed, ops, procs)
	})
}

func randomRun(t *testing.T, bin string, d sqldb.Dialect, seed uint64, ops, procs int) {
	ctx := context.Background()
	// The operations draw from their own source, so that a seed replays
	// them exactly; the push faults (drawn on the sandbox's goroutines, in
	// an order that timing decides) from another.
	rng := rand.New(rand.NewPCG(seed, uint64(len(d))))
	faults := rand.New(rand.NewPCG(seed, uint64(len(d))+1))
	var rmu sync.Mutex
	draw := func() float64 { rmu.Lock(); defer rmu.Unlock(); return faults.Float64() }
	sb, err := newSandbox("127.0.0.1:0", sandbox.Config{Rand: draw, PushDrop: 0.2, PushDuplicate: 0.2, PushReorder: 0.2,
		PushDelay: 50 * time.Millisecond, PushBackoffMin: 200 * time.Millisecond, PushBackoffMax: 2 * time.Second}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sb.Close() })

	dbURL := sqldbtest.URL(t, d)
	secrets := testSecrets(t)
	first := freeAddr(t)
	endpoint := "http://" + first + "/webhooks/google/pubsub"
	env := []string{"JARVIS_DATABASE_URL=" + dbURL, "JARVIS_JWT_SECRET=" + string(secrets.JWTSecret),
		"JARVIS_ENCRYPTION_KEYS=" + secrets.EncryptionKeys, "GOOGLE_CLIENT_ID=" + sandbox.DefaultClientID,
		"GOOGLE_CLIENT_SECRET=" + sandbox.DefaultClientSecret, "JARVIS_GOOGLE_BASE_URL=" + sb.URL, "JARVIS_OPEN_SIGNUP=true",
		"JARVIS_GMAIL_PUSH=push", "JARVIS_PUBSUB_TOPIC=" + sandbox.DefaultPushTopic, "JARVIS_PUBSUB_SERVICE_ACCOUNT=" + sandbox.DefaultPushAccount,
		"JARVIS_PUBSUB_AUDIENCE=" + endpoint, "JARVIS_POLL_INTERVAL=1s", "JARVIS_LOG_FORMAT=json", "JARVIS_LOG_LEVEL=info",
		"JARVIS_SHUTDOWN_GRACE=2s"}
	logPath := filepath.Join(t.TempDir(), "jarvis.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	var jarvises []*jarvisProcess
	for i := range procs {
		addr := first
		if i > 0 {
			addr = freeAddr(t)
		}
		p := &jarvisProcess{t: t, bin: bin, addr: addr, env: env, log: logFile}
		p.start() // one at a time: the first migrates
		jarvises = append(jarvises, p)
	}
	t.Cleanup(func() {
		for _, p := range jarvises {
			p.kill()
		}
		if t.Failed() {
			b, _ := os.ReadFile(logPath)
			lines := strings.Split(string(b), "\n")
			t.Logf("last lines of the Jarvis log:\n%s", strings.Join(lines[max(0, len(lines)-60):], "\n"))
		}
	})
	ps := sb.Google.PubSub()
	if err := ps.EnsureTopic(sandbox.DefaultPushTopic); err != nil {
		t.Fatal(err)
	}
	if _, err := ps.CreateSubscription(pubsub.Subscription{Name: "projects/sandbox/subscriptions/random", Topic: sandbox.DefaultPushTopic,
		PushConfig: pubsub.PushConfig{PushEndpoint: endpoint, OIDCToken: &pubsub.OIDCToken{ServiceAccountEmail: sandbox.DefaultPushAccount}}}); err != nil {
		t.Fatal(err)
	}

	users := []string{"ada@example.com", "grace@example.com"}
	api := &testEnv{t: t, URL: jarvises[0].URL(), Sandbox: sb, client: &http.Client{Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	for _, u := range users {
		api.signIn(u)
	}
	db := sqldbtest.OpenURL(t, dbURL)
	x := sqldb.NewMailIndex(db)
	accounts := map[string]string{}
	gm := map[string]*gmail.Service{}
	for _, u := range users {
		var id string
		if err := db.SQL().QueryRowContext(ctx, `SELECT id FROM integrations_google WHERE email = $1`, u).Scan(&id); err != nil {
			t.Fatal(err)
		}
		accounts[u], gm[u] = id, fullGmail(t, sb.URL, u)
	}

	mail := newMailDriver(t, sb.Google, rng, users, gm)
	cals := newRandomCalendars(t, sb.URL, users, seed, uint64(len(d)), ops, func(u string) error { _, err := sb.Google.InvalidateSyncTokens(u); return err })
	pick := mail.pick
	expireAt, killAt, restartAt := ops/2, ops/3, ops/3+ops/10+1
	var expired string
	var staled bool
	for i := range ops {
		if i == expireAt {
			expired = pick(users)
			sb.Google.ExpireHistory(expired)
		}
		if expired != "" && !staled {
			// Once the resync is listing, its page token goes stale: the
			// listing must start again, not fail.
			if st, err := x.State(ctx, accounts[expired]); err == nil && st.Phase == mailsync.PhaseResync && st.ListPageToken != "" {
				staled = true
				if err := sb.Google.InvalidatePageTokens(expired); err != nil {
					t.Fatal(err)
				}
			}
		}
		if i == killAt {
			jarvises[len(jarvises)-1].kill()
		}
		if i == restartAt {
			jarvises[len(jarvises)-1].start()
		}
		mail.step(i)
		cals.step(i)
	}
	if jarvises[len(jarvises)-1].cmd == nil {
		jarvises[len(jarvises)-1].start()
	}

	// Quiet: the index has caught up with each mailbox's historyId (some
	// pushes were lost: the quiet-account polls catch those).
	for _, u := range users {
		account := accounts[u]
		deadline := time.Now().Add(90 * time.Second)
		for {
			p, err := gm[u].Users.GetProfile("me").Do()
			if err != nil {
				t.Fatal(err)
			}
			st, err := x.State(ctx, account)
			if err != nil {
				t.Fatal(err)
			}
			if st.Phase == mailsync.PhaseIncremental && st.HistoryID >= p.HistoryId {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("seed %d: %s did not catch up: state %+v, mailbox historyId %d", seed, u, st, p.HistoryId)
			}
			time.Sleep(50 * time.Millisecond)
		}
		assertIndexEqualsMailbox(t, x, account, gm[u])
		assertThreadsEqualMailbox(t, x, account, gm[u])
		// A label made or deleted with no message changed is in no history:
		// the quiet account's poll refreshes the list.
		for diff := labelsDiffer(t, x, account, gm[u]); diff != ""; diff = labelsDiffer(t, x, account, gm[u]) {
			if time.Now().After(deadline) {
				t.Fatalf("seed %d: %s: the index's labels differ from Gmail's:\n%s", seed, u, diff)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	cals.assertQuiet(seed, x, accounts)
}
