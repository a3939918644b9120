package sandbox

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime"
	"sync"
	"testing"
	"time"

	"golang.org/x/oauth2"
	"google.golang.org/api/gmail/v1"
	"google.golang.org/api/option"
)

// The generated-mailbox benchmarks measure what the README quotes:
//
//	go test -run '^$' -bench 'Generate' -benchtime 1x ./internal/sandbox/
//
// BenchmarkGenerate is the start of a sandbox with --generate 100000 (the
// demo's two accounts, so 200,000 messages): the time until it serves
// (ns/op), until the bodies are indexed (s-indexed), and the live heap it
// keeps. BenchmarkGeneratedWalk is a full sync of one of those
// mailboxes through the official Gmail client over loopback HTTP:
// messages.list pages of 500, then messages.get(format=metadata) of every
// message by walkWorkers parallel callers, reported as gets/s.

const (
	benchGenerate = 100000
	walkWorkers   = 16
)

func BenchmarkGenerate(b *testing.B) {
	var heap float64
	var indexed time.Duration
	for b.Loop() {
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		start := time.Now()
		srv, err := New(Config{BaseURL: "http://127.0.0.1:1", SigningKey: testKey(), Generate: benchGenerate, Seed: 1})
		if err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		srv.waitIndexed()
		indexed += time.Since(start)
		runtime.GC()
		runtime.ReadMemStats(&after)
		heap = float64(after.HeapAlloc-before.HeapAlloc) / (1 << 20)
		runtime.KeepAlive(srv)
		b.StartTimer()
	}
	b.ReportMetric(indexed.Seconds()/float64(b.N), "s-indexed")
	b.ReportMetric(heap, "MiB-heap")
}

var walkServer = sync.OnceValues(func() (*Server, error) {
	return New(Config{BaseURL: "http://127.0.0.1:1", SigningKey: testKey(), Generate: benchGenerate, Seed: 1})
})

func BenchmarkGeneratedWalk(b *testing.B) {
	srv, err := walkServer()
	if err != nil {
		b.Fatal(err)
	}
	srv.waitIndexed()
	ts := httptest.NewServer(srv.Handler())
	defer ts.Close()
	svc := benchGmail(b, ts.URL, srv, srv.Accounts()[0])
	ctx := context.Background()
	var gets int
	var elapsed time.Duration
	for b.Loop() {
		start := time.Now()
		ids := make(chan string, 1000)
		var wg sync.WaitGroup
		errs := make(chan error, walkWorkers)
		for range walkWorkers {
			wg.Go(func() {
				for id := range ids {
					if _, err := svc.Users.Messages.Get("me", id).Format("metadata").
						MetadataHeaders("From", "To", "Subject", "Date").Context(ctx).Do(); err != nil {
						errs <- err
						return
					}
				}
			})
		}
		n := 0
		err := svc.Users.Messages.List("me").MaxResults(500).IncludeSpamTrash(true).Pages(ctx, func(page *gmail.ListMessagesResponse) error {
			for _, m := range page.Messages {
				ids <- m.Id
				n++
			}
			return nil
		})
		close(ids)
		wg.Wait()
		if err != nil {
			b.Fatal(err)
		}
		select {
		case err := <-errs:
			b.Fatal(err)
		default:
		}
		if n < benchGenerate {
			b.Fatalf("the walk saw %d messages, want at least %d", n, benchGenerate)
		}
		gets += n
		elapsed += time.Since(start)
	}
	b.ReportMetric(float64(gets)/elapsed.Seconds(), "gets/s")
}

// benchGmail signs email in through the sandbox's OAuth flow and returns
// an official Gmail client whose transport keeps enough connections for
// the parallel walk.
func benchGmail(b *testing.B, base string, srv *Server, email string) *gmail.Service {
	b.Helper()
	conf := &oauth2.Config{
		ClientID: srv.ClientID(), ClientSecret: srv.ClientSecret(), RedirectURL: testRedirect,
		Scopes:   []string{gmail.GmailReadonlyScope},
		Endpoint: oauth2.Endpoint{AuthURL: base + "/o/oauth2/v2/auth", TokenURL: base + "/token"},
	}
	verifier := oauth2.GenerateVerifier()
	resp, err := noFollow.Get(conf.AuthCodeURL("st4te", oauth2.AccessTypeOffline, oauth2.S256ChallengeOption(verifier),
		oauth2.SetAuthURLParam("login_hint", email), oauth2.SetAuthURLParam("prompt", "none")))
	if err != nil {
		b.Fatal(err)
	}
	resp.Body.Close()
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || loc.Query().Get("code") == "" {
		b.Fatalf("authorize: status %d, location %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	ctx := context.Background()
	tok, err := conf.Exchange(ctx, loc.Query().Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		b.Fatal(err)
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = walkWorkers
	client := &http.Client{Transport: &oauth2.Transport{Source: conf.TokenSource(ctx, tok), Base: tr}}
	svc, err := gmail.NewService(ctx, option.WithEndpoint(base+"/"), option.WithHTTPClient(client))
	if err != nil {
		b.Fatal(err)
	}
	return svc
}
