package main

import (
	"context"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/api/gmail/v1"

	"github.com/jarvis-hq/jarvis/internal/gmailquery"
	"github.com/jarvis-hq/jarvis/internal/searchtext"
	"github.com/jarvis-hq/jarvis/internal/sqldb"
	"github.com/jarvis-hq/jarvis/internal/sqldb/sqldbtest"
)

// gmailSearch lists the ids of every message matching q, as Gmail answers.
func gmailSearch(t testing.TB, svc *gmail.Service, q string) []string {
	t.Helper()
	ids := []string{}
	err := svc.Users.Messages.List("me").Q(q).MaxResults(500).Pages(context.Background(), func(l *gmail.ListMessagesResponse) error {
		for _, m := range l.Messages {
			ids = append(ids, m.Id)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("messages.list q=%q: %v", q, err)
	}
	return ids
}

// The index answers every query it calls exact as Gmail does: a table of
// the operators, and seeded random combinations of them and of words taken
// from the mailbox, negated and joined with OR.
func TestIndexSearchEqualsGmail(t *testing.T) {
	t.Parallel()
	seed := uint64(envInt(t, "JARVIS_SEARCH_SEED", time.Now().UnixNano()))
	t.Logf("seed %d (reproduce: JARVIS_SEARCH_SEED=%d go test -run TestIndexSearchEqualsGmail ./cmd/jarvis)", seed, seed)
	sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) {
		ctx := context.Background()
		e := startEnv(t, envOptions{dialect: d})
		const ada = "ada@example.com"
		user := fullGmail(t, e.Sandbox.URL, ada)
		deliver(t, e, ada, `"Doe, John" <john.doe@example.org>`, "Quarterly numbers 50% up_front")
		account := e.synced(ada)
		x := sqldb.NewMailIndex(e.Main.DB)
		waitFor(t, "the delivery in the index", func() bool {
			ids, _ := x.MessageIDs(ctx, account)
			return len(ids) == len(gmailSearch(t, user, "in:anywhere"))
		})

		queries := []string{"dinner", "DINNER", "from:grace", "to:ada", "cc:grace", "subject:invoice", "is:unread", "-is:unread",
			"is:read", "is:starred", "is:important", "is:sent", "in:inbox", "in:sent", "in:trash", "in:spam", "in:anywhere dinner",
			"has:attachment", "-has:attachment", "label:important", "label:inbox", "is:starred OR is:unread", "newer_than:2d",
			"older_than:1y", "newer_than:3m", "after:2026/01/01", "before:2020/01/01", `"friday dinner"`, "-from:grace in:inbox",
			"category:promotions", "from:(grace)", "subject:(dinner friday)", "50%", "up_front", "john", `from:"doe, john"`,
			"in:inbox -in:inbox", "zzzznotthere", "is:unread from:grace OR from:linus",
			// Whole words, not substrings; phrases in a row within one field.
			"quarter", "quarterly", "dinne", `"numbers 50"`, `"50 numbers"`, `subject:"numbers 50"`, "from:doe",
			"from:do", "from:example.org", "from:john.doe@example.org", `to:"ada example"`, "打ち合わせ", "合わせ", "%"}
		rng := rand.New(rand.NewPCG(seed, 7))
		msgs, err := x.Messages(ctx, account)
		if err != nil {
			t.Fatal(err)
		}
		// Words of the subjects and senders, pieces of them (which match
		// only where they are words themselves), and phrases of two words.
		var words []string
		for _, m := range msgs {
			for _, f := range strings.Fields(strings.ToLower(m.Subject + " " + m.From.Name)) {
				if f = strings.Trim(f, `"(){}:-|`); len(f) > 2 {
					r := []rune(f)
					words = append(words, f, string(r[:len(r)-1]))
				}
			}
			if w := searchtext.Words(m.Subject); len(w) > 1 {
				i := rng.IntN(len(w) - 1)
				words = append(words, `"`+w[i]+" "+w[i+1]+`"`)
			}
		}
		ops := []string{"", "", "from:", "to:", "subject:", "cc:"}
		flags := []string{"is:unread", "is:starred", "in:inbox", "has:attachment", "in:sent", "label:important", "newer_than:30d"}
		for range 40 {
			var terms []string
			for range 1 + rng.IntN(3) {
				term := ops[rng.IntN(len(ops))] + words[rng.IntN(len(words))]
				if rng.IntN(3) == 0 {
					term = flags[rng.IntN(len(flags))]
				}
				if rng.IntN(4) == 0 {
					term = "-" + term
				}
				if len(terms) > 0 && rng.IntN(4) == 0 {
					terms = append(terms, "OR")
				}
				terms = append(terms, term)
			}
			queries = append(queries, strings.Join(terms, " "))
		}
		nonEmpty := 0
		for _, q := range queries {
			pq := gmailquery.Parse(q)
			if !pq.Exact() {
				t.Fatalf("q=%q is not exact", q)
			}
			got, err := x.SearchMessages(ctx, account, pq, 0)
			if err != nil {
				t.Fatalf("q=%q: %v", q, err)
			}
			want := gmailSearch(t, user, q)
			if len(want) > 0 {
				nonEmpty++
			}
			slices.Sort(got)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("seed %d: q=%q: index %d messages, Gmail %d\nindex: %v\nGmail: %v", seed, q, len(got), len(want), got, want)
			}
		}
		if nonEmpty < len(queries)/2 {
			t.Fatalf("only %d of %d queries match anything: the test proves little", nonEmpty, len(queries))
		}
		t.Logf("%d queries, %d with matches", len(queries), nonEmpty)
		for _, q := range []string{"filename:pdf", "larger:1M", "bcc:grace", "list:dev.example.com", "has:userlabels", "deliveredto:ada"} {
			if gmailquery.Parse(q).Exact() {
				t.Errorf("q=%q claims to be exact", q)
			}
		}
	})
}
