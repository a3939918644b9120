package sqldb_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jarvis-hq/jarvis"
	"github.com/jarvis-hq/jarvis/internal/gmailquery"
	"github.com/jarvis-hq/jarvis/internal/mailsync"
	"github.com/jarvis-hq/jarvis/internal/sqldb"
	"github.com/jarvis-hq/jarvis/internal/sqldb/sqldbtest"
	"github.com/jarvis-hq/jarvis/internal/vault"
)

// Size of the generated mailbox the index benchmarks search.
const (
	benchMessages = 100_000
	benchPage     = 250
	benchSeed     = 12
	benchSamples  = 30 // timed searches per query and iteration
	benchRareWord = "quokkafest"
	benchLimit    = 100 // ids per search: a page, as Gmail's messages.list returns by default
	benchThreads  = 50  // threads per listing: an inbox page
)

// benchMailbox generates a seeded mailbox of n messages over the two years
// before now: about 30% of messages start a thread (so ~30,000 threads),
// the rest reply in the current one; senders and body words follow a Zipf
// law; a few messages carry benchRareWord.
func benchMailbox(n int, now time.Time) []mailsync.Message {
	r := rand.New(rand.NewPCG(benchSeed, 0))
	words := make([]string, 5000)
	for i := range words {
		var sb strings.Builder
		for range 3 + r.IntN(6) {
			sb.WriteByte(byte('a' + r.IntN(26)))
		}
		words[i] = sb.String()
	}
	wordZipf := rand.NewZipf(r, 1.1, 2, uint64(len(words)-1))
	senders := make([]jarvis.Address, 2000)
	for i := range senders {
		first, last := words[r.IntN(len(words))], words[r.IntN(len(words))]
		senders[i] = jarvis.Address{Name: first + " " + last, Email: fmt.Sprintf("%s.%s@d%d.example.com", first, last, i%97)}
	}
	senderZipf := rand.NewZipf(r, 1.2, 4, uint64(len(senders)-1))
	text := func(nw int) string {
		out := make([]string, nw)
		for i := range out {
			out[i] = words[wordZipf.Uint64()]
		}
		return strings.Join(out, " ")
	}
	span := 2 * 365 * 24 * time.Hour
	start := now.Add(-span)
	msgs := make([]mailsync.Message, 0, n)
	var thread, subject string
	for i := range n {
		if i == 0 || r.Float64() < 0.3 {
			thread, subject = fmt.Sprintf("t%06d", i), text(3+r.IntN(5))
		}
		at := start.Add(time.Duration(int64(span) / int64(n) * int64(i))).Truncate(time.Millisecond)
		labels := []string{}
		switch p := r.Float64(); {
		case p < 0.02:
			labels = append(labels, "TRASH")
		case p < 0.03:
			labels = append(labels, "SPAM")
		case p < 0.13:
			labels = append(labels, "SENT")
		case p < 0.75:
			labels = append(labels, "INBOX")
		}
		if r.Float64() < 0.15 {
			labels = append(labels, "UNREAD")
		}
		if r.Float64() < 0.03 {
			labels = append(labels, "STARRED")
		}
		if r.Float64() < 0.15 {
			labels = append(labels, fmt.Sprintf("Label_%d", r.IntN(20)))
		}
		if r.Float64() < 0.3 {
			labels = append(labels, []string{"CATEGORY_PROMOTIONS", "CATEGORY_SOCIAL", "CATEGORY_UPDATES"}[r.IntN(3)])
		}
		slices.Sort(labels)
		body := text(40 + r.IntN(80)) // a few hundred bytes
		if i%20_000 == 7 {
			body += " " + benchRareWord
		}
		s := subject
		if thread != fmt.Sprintf("t%06d", i) {
			s = "Re: " + subject
		}
		msgs = append(msgs, mailsync.Message{ID: fmt.Sprintf("m%06d", i), ThreadID: thread, HistoryID: uint64(i + 1),
			InternalDate: at, Date: at, Labels: labels, From: senders[senderZipf.Uint64()],
			To: []jarvis.Address{{Email: "a@example.com"}}, Subject: s, Snippet: body[:min(len(body), 100)],
			SizeEstimate: int64(len(body) + 500), BodyText: body})
	}
	return msgs
}

// BenchmarkMailIndex builds an index of a generated 100,000-message mailbox
// through ApplyPage (reporting messages/s), then times SearchMessages for
// typical queries, a page of benchLimit ids each, and reports their p50 and
// p95 and the query's total hits; then ListThreads for a page of
// benchThreads threads that the same query selects. Run it with
//
//	JARVIS_TEST_POSTGRES_URL=... go test -run '^$' -bench MailIndex -benchtime 1x ./internal/sqldb/
func BenchmarkMailIndex(b *testing.B) {
	for _, d := range sqldbtest.Dialects(b) {
		b.Run(string(d), func(b *testing.B) {
			ctx := context.Background()
			db := sqldbtest.Open(b, d)
			store := sqldb.NewIntegrations(db, benchCipher(b))
			u, err := db.EnsureUser(ctx, "a@example.com", "")
			if err != nil {
				b.Fatal(err)
			}
			g := newIntegration(u.ID, "a")
			if err := store.UpsertGoogleIntegration(ctx, g); err != nil {
				b.Fatal(err)
			}
			x := sqldb.NewMailIndex(db)
			msgs := benchMailbox(benchMessages, time.Now())
			built := false
			b.Run("ingest", func(b *testing.B) {
				if built {
					b.Skip("built once")
				}
				built = true
				st, err := x.State(ctx, g.ID)
				if err != nil {
					b.Fatal(err)
				}
				st.Phase = mailsync.PhaseFull
				t0 := time.Now()
				for i := 0; i < len(msgs); i += benchPage {
					page := mailsync.Page{Upserts: msgs[i:min(i+benchPage, len(msgs))]}
					if err := x.ApplyPage(ctx, g.ID, page, &st); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(len(msgs))/time.Since(t0).Seconds(), "msgs/s")
				// Statistics, as PostgreSQL's autovacuum gathers them within a
				// minute of a bulk load.
				if _, err := db.SQL().ExecContext(ctx, "ANALYZE"); err != nil {
					b.Fatal(err)
				}
			})
			if !built {
				b.Skip("no index")
			}
			from := msgs[len(msgs)/2].From.Email
			for _, q := range []string{benchRareWord, "the", "from:" + from, "is:unread in:inbox",
				"subject:" + strings.Fields(msgs[len(msgs)-1].Subject)[1] + " newer_than:30d"} {
				if q == "the" {
					q = strings.Fields(msgs[0].BodyText)[0] // a common word of the generated text
				}
				query := gmailquery.Parse(q)
				b.Run(strings.NewReplacer(" ", "_", ":", "=").Replace(q), func(b *testing.B) {
					all, err := x.SearchMessages(ctx, g.ID, query, 0)
					if err != nil {
						b.Fatal(err)
					}
					hits := len(all)
					var took []time.Duration
					for b.Loop() {
						for range benchSamples {
							t0 := time.Now()
							ids, err := x.SearchMessages(ctx, g.ID, query, benchLimit)
							took = append(took, time.Since(t0))
							if err != nil {
								b.Fatal(err)
							}
							if !slices.Equal(ids, all[:min(len(all), benchLimit)]) {
								b.Fatalf("q=%q: the first %d of %d hits differ from the full answer's", q, benchLimit, hits)
							}
						}
					}
					reportLatency(b, took)
					b.ReportMetric(float64(hits), "hits")
				})
				// The same query as a page of threads (ListThreads, as
				// GET /gmail/threads reads it).
				b.Run(strings.NewReplacer(" ", "_", ":", "=").Replace(q)+"/threads", func(b *testing.B) {
					f := mailsync.ThreadFilter{Query: query, Limit: benchThreads}
					var took []time.Duration
					n := 0
					for b.Loop() {
						for range benchSamples {
							t0 := time.Now()
							page, err := x.ListThreads(ctx, g.ID, f)
							took = append(took, time.Since(t0))
							if err != nil {
								b.Fatal(err)
							}
							n = len(page)
						}
					}
					reportLatency(b, took)
					b.ReportMetric(float64(n), "threads")
				})
			}
		})
	}
}

// reportLatency reports the p50 and p95 of the samples.
func reportLatency(b *testing.B, took []time.Duration) {
	slices.Sort(took)
	b.ReportMetric(float64(took[len(took)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(took[len(took)*95/100].Microseconds())/1000, "p95-ms")
}

func benchCipher(b *testing.B) vault.Cipher {
	k, err := vault.GenerateKey("k1")
	if err != nil {
		b.Fatal(err)
	}
	kr, err := vault.ParseKeys(k)
	if err != nil {
		b.Fatal(err)
	}
	return vault.Cipher{Keys: kr}
}
