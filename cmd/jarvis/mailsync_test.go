package main

import (
	"context"
	"encoding/base64"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
	"google.golang.org/api/gmail/v1"
	"google.golang.org/api/option"

	"github.com/jarvis-hq/jarvis/internal/google"
	"github.com/jarvis-hq/jarvis/internal/mailsync"
	"github.com/jarvis-hq/jarvis/internal/sandbox"
	"github.com/jarvis-hq/jarvis/internal/sqldb"
	"github.com/jarvis-hq/jarvis/internal/sqldb/sqldbtest"
)

// fullGmail returns a Gmail client acting as the sandbox user with full
// access (https://mail.google.com/), for a test to change the mailbox as
// the user would in Gmail itself.
func fullGmail(t testing.TB, base, email string) *gmail.Service {
	t.Helper()
	return fullGmailVia(t, base, email, nil)
}

// sandboxGrant is the sandbox's authorization code flow for email with the
// scope, as a Google client of the user's own would run it: the config and
// the token it gives.
func sandboxGrant(t testing.TB, base, email, scope string) (*oauth2.Config, *oauth2.Token) {
	t.Helper()
	ctx := context.Background()
	provider, err := oidc.NewProvider(ctx, base)
	if err != nil {
		t.Fatal(err)
	}
	conf := &oauth2.Config{ClientID: sandbox.DefaultClientID, ClientSecret: sandbox.DefaultClientSecret,
		RedirectURL: "http://127.0.0.1:1/callback", Endpoint: provider.Endpoint(),
		Scopes: []string{oidc.ScopeOpenID, "email", scope}}
	verifier := oauth2.GenerateVerifier()
	authURL := conf.AuthCodeURL("st", oauth2.AccessTypeOffline, oauth2.S256ChallengeOption(verifier),
		oauth2.SetAuthURLParam("login_hint", email), oauth2.SetAuthURLParam("prompt", "none"))
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noFollow.Get(authURL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, _ := url.Parse(resp.Header.Get("Location"))
	tok, err := conf.Exchange(ctx, loc.Query().Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatalf("sandbox token for %s: %v (redirect %s)", email, err, loc)
	}
	return conf, tok
}

// fullGmailVia is fullGmail whose requests go through wrap's round
// tripper (nil: straight).
func fullGmailVia(t testing.TB, base, email string, wrap func(http.RoundTripper) http.RoundTripper) *gmail.Service {
	t.Helper()
	ctx := context.Background()
	conf, tok := sandboxGrant(t, base, email, gmail.MailGoogleComScope)
	var rt http.RoundTripper = http.DefaultTransport
	if wrap != nil {
		rt = wrap(rt)
	}
	client := &http.Client{Transport: &oauth2.Transport{Source: conf.TokenSource(ctx, tok), Base: rt}}
	svc, err := gmail.NewService(ctx, option.WithEndpoint(base+"/"), option.WithHTTPClient(client))
	if err != nil {
		t.Fatal(err)
	}
	return svc
}

// syncEngine returns an engine over the test Jarvis's index and Google.
func syncEngine(e *testEnv, pageSize int64) (*mailsync.Engine, *sqldb.MailIndex) {
	x := sqldb.NewMailIndex(e.Main.DB)
	return mailsync.New(mailsync.Config{Store: x, Google: e.Main.Google, Decode: google.IndexMessage, IndexBodies: true,
		PageSize: pageSize, Logger: e.Main.Logger}), x
}

// accountOf returns the id of the Google account email, signing in with it.
func (e *testEnv) accountOf(email string) string {
	e.t.Helper()
	integ, err := e.Main.Integrations.FindGoogleIntegration(context.Background(), e.me(e.signIn(email)).User.ID, email)
	if err != nil {
		e.t.Fatal(err)
	}
	return integ.ID
}

// mailboxView is a mailbox reduced to what the index must equal: each
// message's thread and labels.
type mailboxView map[string]string

func (v mailboxView) String() string {
	var b strings.Builder
	for _, id := range slices.Sorted(maps.Keys(v)) {
		fmt.Fprintf(&b, "%s %s\n", id, v[id])
	}
	return b.String()
}

// gmailView reads the whole mailbox, spam and trash included, through the
// official client.
func gmailView(t testing.TB, svc *gmail.Service) mailboxView {
	t.Helper()
	v := mailboxView{}
	err := svc.Users.Messages.List("me").IncludeSpamTrash(true).MaxResults(500).Pages(context.Background(), func(l *gmail.ListMessagesResponse) error {
		for _, m := range l.Messages {
			full, err := svc.Users.Messages.Get("me", m.Id).Format("minimal").Do()
			if err != nil {
				return err
			}
			labels := slices.Clone(full.LabelIds)
			slices.Sort(labels)
			v[m.Id] = full.ThreadId + " " + strings.Join(labels, ",")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// indexView reads the same from the index, and checks that every thread
// aggregate agrees with its messages.
func indexView(t testing.TB, x *sqldb.MailIndex, accountID string) mailboxView {
	t.Helper()
	ctx := context.Background()
	msgs, err := x.Messages(ctx, accountID)
	if err != nil {
		t.Fatal(err)
	}
	v := mailboxView{}
	byThread := map[string][]mailsync.Message{}
	for _, m := range msgs {
		labels := slices.Clone(m.Labels)
		slices.Sort(labels)
		v[m.ID] = m.ThreadID + " " + strings.Join(labels, ",")
		byThread[m.ThreadID] = append(byThread[m.ThreadID], m)
	}
	threads, err := x.IndexedThreads(ctx, accountID)
	if err != nil {
		t.Fatal(err)
	}
	if len(threads) != len(byThread) {
		t.Fatalf("%d thread rows for %d threads", len(threads), len(byThread))
	}
	for _, th := range threads {
		want := mailsync.Summarize(th.ID, byThread[th.ID])
		if th.MessageCount != want.MessageCount || th.UnreadCount != want.UnreadCount || !slices.Equal(th.Labels, want.Labels) ||
			!th.LastDate.Equal(want.LastDate) || th.Subject != want.Subject {
			t.Fatalf("thread %s aggregate %+v, want %+v", th.ID, th, want)
		}
	}
	return v
}

func assertIndexEqualsMailbox(t testing.TB, x *sqldb.MailIndex, accountID string, svc *gmail.Service) {
	t.Helper()
	got, want := indexView(t, x, accountID), gmailView(t, svc)
	if got.String() != want.String() {
		t.Fatalf("index differs from the mailbox:\nindex:\n%s\nmailbox:\n%s", got, want)
	}
}

func deliver(t testing.TB, e *testEnv, to, from, subject string) (id, threadID string) {
	t.Helper()
	raw := fmt.Sprintf("From: %s\r\nTo: %s\r\nSubject: %s\r\nMessage-ID: <%s@example.com>\r\n\r\nHello about %s.\r\n", from, to, subject,
		strings.ReplaceAll(subject, " ", "."), subject)
	id, threadID, err := e.Sandbox.Google.Deliver(to, []byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	return id, threadID
}

// A full sync indexes the whole mailbox; incremental syncs follow every kind
// of change; when the history has expired, a resync reconciles the index
// with the mailbox — each time the index equals the mailbox exactly.
func TestSyncEngineFollowsTheMailbox(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) {
		ctx := context.Background()
		e := startEnv(t, envOptions{dialect: d})
		const ada = "ada@example.com"
		account := e.synced(ada)
		engine, x := syncEngine(e, 7) // several pages
		// The sync the connection started is done; this test syncs afresh.
		if err := x.Wipe(ctx, account); err != nil {
			t.Fatal(err)
		}
		user := fullGmail(t, e.Sandbox.URL, ada)
		if err := engine.Sync(ctx, account); err != nil {
			t.Fatal(err)
		}
		st, _ := x.State(ctx, account)
		if st.Phase != mailsync.PhaseIncremental || st.Done == 0 || st.LastSuccessAt.IsZero() || st.LastError != "" {
			t.Fatalf("after the full sync: %+v", st)
		}
		assertIndexEqualsMailbox(t, x, account, user)

		// Every kind of change: new mail, label changes, trash, a delete, a send.
		newID, _ := deliver(t, e, ada, "Grace <grace@example.com>", "Compiler review")
		if _, err := user.Users.Messages.Modify("me", newID, &gmail.ModifyMessageRequest{AddLabelIds: []string{"STARRED"}, RemoveLabelIds: []string{"UNREAD"}}).Do(); err != nil {
			t.Fatal(err)
		}
		list, err := user.Users.Messages.List("me").MaxResults(3).Do()
		if err != nil || len(list.Messages) < 3 {
			t.Fatalf("list: %v", err)
		}
		if _, err := user.Users.Messages.Trash("me", list.Messages[1].Id).Do(); err != nil {
			t.Fatal(err)
		}
		if err := user.Users.Messages.Delete("me", list.Messages[2].Id).Do(); err != nil {
			t.Fatal(err)
		}
		if _, err := user.Users.Messages.Send("me", &gmail.Message{Raw: rawMail("ada@example.com", "grace@example.com", "Re: Compiler review")}).Do(); err != nil {
			t.Fatal(err)
		}
		if err := engine.Sync(ctx, account); err != nil {
			t.Fatal(err)
		}
		assertIndexEqualsMailbox(t, x, account, user)

		// The history expires while changes wait: the resync loses nothing.
		deliver(t, e, ada, "Linus <linus@example.com>", "Kernel patch")
		if _, err := user.Users.Messages.Trash("me", newID).Do(); err != nil {
			t.Fatal(err)
		}
		e.Sandbox.Google.ExpireHistory(ada)
		if err := user.Users.Messages.Delete("me", list.Messages[0].Id).Do(); err != nil {
			t.Fatal(err)
		}
		if err := engine.Sync(ctx, account); err != nil {
			t.Fatal(err)
		}
		assertIndexEqualsMailbox(t, x, account, user)
		if st, _ := x.State(ctx, account); st.Phase != mailsync.PhaseIncremental {
			t.Fatalf("after the resync: %+v", st)
		}
	})
}

// rawMail is a minimal RFC 5322 message, base64url-encoded for messages.send.
func rawMail(from, to, subject string) string {
	return base64.URLEncoding.EncodeToString([]byte(fmt.Sprintf("From: %s\r\nTo: %s\r\nSubject: %s\r\n\r\nSee you there.\r\n", from, to, subject)))
}
