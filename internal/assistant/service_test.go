package assistant_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jarvis-hq/jarvis"
	"github.com/jarvis-hq/jarvis/internal/actions"
	"github.com/jarvis-hq/jarvis/internal/assistant"
	"github.com/jarvis-hq/jarvis/internal/llm"
	"github.com/jarvis-hq/jarvis/internal/llm/openai"
	"github.com/jarvis-hq/jarvis/internal/sandbox/model"
	"github.com/jarvis-hq/jarvis/internal/sqldb"
	"github.com/jarvis-hq/jarvis/internal/sqldb/sqldbtest"
)

var _ assistant.Store = (*sqldb.DB)(nil)

// fakeGoogle is the user's mail and calendar, recording who asked.
type fakeGoogle struct {
	mu      sync.Mutex
	users   []string
	queries []jarvis.ThreadQuery
	windows []jarvis.Interval
	drafts  []jarvis.DraftInput
	fail    error
	// calendar holds the events Events lists, in the time zone zone
	// ("UTC" when empty).
	calendar []jarvis.Event
	zone     string
	// replyTo is what ReplyRecipients answers.
	replyTo []string
}

func (f *fakeGoogle) saw(userID string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.users = append(f.users, userID)
}

func (f *fakeGoogle) ListThreads(_ context.Context, userID, _ string, q jarvis.ThreadQuery) (*jarvis.ThreadPage, error) {
	f.saw(userID)
	f.mu.Lock()
	f.queries = append(f.queries, q)
	f.mu.Unlock()
	return &jarvis.ThreadPage{Threads: []jarvis.ThreadSummary{{ID: "f1", Subject: "Board pack", From: jarvis.Address{Name: "Charles", Email: "charles@example.com"}, Snippet: "Final check"}}}, nil
}

func (f *fakeGoogle) GetThread(_ context.Context, userID, _, id string) (*jarvis.Thread, error) {
	f.saw(userID)
	if id == "ab12" { // a forged bank, a colleague Gmail verified, the user's own reply
		return &jarvis.Thread{ID: id, Subject: "Confirm your account", Messages: []jarvis.Message{
			{ID: "m1", From: jarvis.Address{Email: "security@bank.example"}, Text: "Click here.",
				Authentication: jarvis.Authentication{VerifiedBy: "mx.google.com", SPF: "fail", DKIM: "none", DMARC: "fail", FromDomain: "bank.example"}},
			{ID: "m2", From: jarvis.Address{Email: "charles@example.com"}, Text: "Looks like phishing.",
				Authentication: jarvis.Authentication{VerifiedBy: "mx.google.com", SPF: "pass", DKIM: "pass", DMARC: "pass", FromDomain: "example.com", SenderVerified: true}},
			{ID: "m3", From: jarvis.Address{Email: "ada@example.com"}, Text: "Thanks.", Labels: []string{"SENT"},
				Authentication: jarvis.Authentication{SPF: "none", DKIM: "none", DMARC: "none"}},
		}}, nil
	}
	return &jarvis.Thread{ID: id, Subject: "Board pack", Messages: []jarvis.Message{{ID: "m1", Text: strings.Repeat("long body ", 20000)}}}, nil
}

func (f *fakeGoogle) GetMessage(context.Context, string, string, string) (*jarvis.Message, error) {
	return nil, errors.New("not used")
}

func (f *fakeGoogle) GetAttachment(context.Context, string, string, string, string) (*jarvis.AttachmentData, error) {
	return nil, errors.New("not used")
}

func (f *fakeGoogle) CreateDraft(_ context.Context, userID, _ string, in jarvis.DraftInput) (*jarvis.Draft, error) {
	f.saw(userID)
	if f.fail != nil {
		return nil, f.fail
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.drafts = append(f.drafts, in)
	return &jarvis.Draft{DraftID: "r1", MessageID: "m9", ThreadID: "t9"}, nil
}

func (f *fakeGoogle) ReplyRecipients(_ context.Context, userID, _, threadID string) ([]string, error) {
	f.saw(userID)
	return f.replyTo, nil
}

func (f *fakeGoogle) ReplyAllRecipients(context.Context, string, string, string) (*jarvis.ReplyAll, error) {
	return nil, errors.New("not used")
}

func (f *fakeGoogle) GetDraft(context.Context, string, string, string) (*jarvis.Draft, error) {
	return nil, errors.New("not used")
}

func (f *fakeGoogle) UpdateDraft(context.Context, string, string, string, jarvis.DraftInput) (*jarvis.Draft, error) {
	return nil, errors.New("not used")
}

func (f *fakeGoogle) DeleteDraft(context.Context, string, string, string) error {
	return errors.New("not used")
}

func (f *fakeGoogle) Upcoming(_ context.Context, userID, _ string, days, max int) (*jarvis.EventList, error) {
	f.saw(userID)
	return &jarvis.EventList{Events: []jarvis.Event{}}, nil
}

// Events lists the timed events of f.calendar overlapping [from, to).
func (f *fakeGoogle) Events(_ context.Context, userID, _ string, from, to time.Time, max int) (*jarvis.EventList, error) {
	f.saw(userID)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.windows = append(f.windows, jarvis.Interval{Start: from, End: to})
	out := []jarvis.Event{}
	for _, e := range f.calendar {
		st, _ := time.Parse(time.RFC3339, e.Start)
		en, _ := time.Parse(time.RFC3339, e.End)
		if st.Before(to) && en.After(from) && len(out) < max {
			out = append(out, e)
		}
	}
	return &jarvis.EventList{Events: out}, nil
}

func (f *fakeGoogle) TimeZone(context.Context, string, string) (string, error) {
	if f.fail != nil {
		return "", f.fail
	}
	if f.zone == "" {
		return "UTC", nil
	}
	return f.zone, nil
}

func (f *fakeGoogle) FreeBusy(_ context.Context, userID, _ string, from, to time.Time) (*jarvis.FreeBusy, error) {
	f.saw(userID)
	f.mu.Lock()
	f.windows = append(f.windows, jarvis.Interval{Start: from, End: to})
	f.mu.Unlock()
	return &jarvis.FreeBusy{TimeZone: "Europe/London", Busy: []jarvis.Interval{}}, nil
}

// fixture is an assistant on a real database, speaking to the sandbox model
// through the OpenAI SDK.
type fixture struct {
	svc      *assistant.Service
	provider llm.Provider
	db       *sqldb.DB
	model    *model.Handler
	google   *fakeGoogle
	queue    *actions.Service
	user     *jarvis.User
	events   []jarvis.ChatEvent
}

func newFixture(t *testing.T, d sqldb.Dialect, lim assistant.Limits, modelURL string) *fixture {
	t.Helper()
	f := &fixture{db: sqldbtest.Open(t, d), model: model.New(model.Config{}), google: &fakeGoogle{}}
	srv := httptest.NewServer(f.model)
	t.Cleanup(func() { f.model.Close(); srv.Close() })
	if modelURL == "" {
		modelURL = srv.URL
	}
	hc := &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}
	t.Cleanup(hc.CloseIdleConnections)
	p, err := openai.New(llm.Config{APIKey: "k", BaseURL: modelURL + "/v1", Model: model.Name, HTTPClient: hc, MaxRetries: -1})
	if err != nil {
		t.Fatal(err)
	}
	if f.user, err = f.db.EnsureUser(context.Background(), "ada@example.com", "Ada"); err != nil {
		t.Fatal(err)
	}
	f.provider = p
	f.queue = newQueue(t, f.db, f.google)
	f.svc, err = assistant.New(assistant.Config{Model: p, Store: f.db, Mail: f.google, Calendar: f.google, Limits: lim, Actions: f.queue})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// primaryOnly is a user with one Google account.
type primaryOnly struct{}

func (primaryOnly) ListGoogleAccounts(context.Context, string) ([]jarvis.GoogleAccount, error) {
	return []jarvis.GoogleAccount{{ID: "acct-1", Email: "ada@example.com", Primary: true}}, nil
}

// newQueue is the approval queue over the fake Google.
func newQueue(t *testing.T, db *sqldb.DB, g *fakeGoogle) *actions.Service {
	t.Helper()
	q, err := actions.New(actions.Config{Store: db, Executors: map[string]jarvis.ActionExecutor{
		jarvis.ActionDraftCreate: actions.DraftCreator{Mail: g, Accounts: primaryOnly{}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	return q
}

func (f *fixture) emit(e jarvis.ChatEvent) error {
	f.events = append(f.events, e)
	return nil
}

// only returns the stored conversation of the user, which must be the only one.
func (f *fixture) only(t *testing.T) *jarvis.ConversationDetail {
	t.Helper()
	page, err := f.svc.ListConversations(context.Background(), f.user.ID, "", 10)
	if err != nil || len(page.Conversations) != 1 {
		t.Fatalf("conversations: %v %+v", err, page)
	}
	c, err := f.svc.GetConversation(context.Background(), f.user.ID, page.Conversations[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestTurnLimits(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) {
		f := newFixture(t, d, assistant.Limits{MaxTurnTokens: 10, MaxToolCallsPerStep: 2}, "")
		f.model.Script(model.Turn{ToolCalls: []model.ToolCall{{Name: "search_threads"}, {Name: "search_threads"}, {Name: "search_threads"}}})
		if err := f.svc.Send(context.Background(), f.user.ID, "", "Search three times", f.emit); err != nil {
			t.Fatal(err)
		}
		if len(f.model.Requests()) != 1 || len(f.google.users) != 0 {
			t.Fatalf("after the budget: %d model calls, %d tool runs", len(f.model.Requests()), len(f.google.users))
		}
		c := f.only(t)
		ans := c.Messages[1]
		if !strings.Contains(ans.Text, "budget of 10 tokens") || ans.Status != jarvis.MessageComplete || len(ans.ToolCalls) != 3 {
			t.Fatalf("answer %+v", ans)
		}
		if last := f.events[len(f.events)-1]; last.Type != jarvis.EventMessageDone {
			t.Fatalf("last event %+v", last)
		}

		// Within the budget, the third call of a step is refused.
		g := newFixture(t, d, assistant.Limits{MaxToolCallsPerStep: 2}, "")
		g.model.Script(model.Turn{ToolCalls: []model.ToolCall{{Name: "search_threads"}, {Name: "search_threads", Arguments: `{"max_results":3}`}, {Name: "search_threads"}}}, model.Turn{Text: "Done."})
		if err := g.svc.Send(context.Background(), g.user.ID, "", "Search three times", g.emit); err != nil {
			t.Fatal(err)
		}
		calls := g.only(t).Messages[1].ToolCalls
		if len(g.google.queries) != 2 || g.google.queries[0].MaxResults != 10 || g.google.queries[1].MaxResults != 3 || g.google.queries[0].Q != "in:inbox" || calls[2].OK {
			t.Fatalf("queries %+v, calls %+v", g.google.queries, calls)
		}
		for _, u := range g.google.users {
			if u != g.user.ID {
				t.Fatalf("a tool ran as %q", u)
			}
		}
	})
}

func TestToolResultsAreSized(t *testing.T) {
	f := newFixture(t, sqldb.SQLite, assistant.Limits{MaxToolResultBytes: 8 << 10}, "")
	f.model.Script(model.Turn{ToolCalls: []model.ToolCall{{Name: "get_thread", Arguments: `{"thread_id":"f1"}`}, {Name: "find_free_time", Arguments: `{"duration_minutes":45,"days":3}`}}}, model.Turn{Text: "Done."})
	if err := f.svc.Send(context.Background(), f.user.ID, "", "Read it", f.emit); err != nil {
		t.Fatal(err)
	}
	res := f.model.Requests()[1].Messages[2].ToolResults
	if len(res[0].Content) > 8<<10 || !strings.Contains(res[0].Content, "[…truncated]") {
		t.Fatalf("thread result of %d bytes", len(res[0].Content))
	}
	if !strings.Contains(res[1].Content, `"time_zone":"Europe/London"`) || !strings.Contains(res[1].Content, `"slots":[{`) {
		t.Fatalf("free time %s", res[1].Content)
	}
	if w := f.google.windows[0]; w.End.Sub(w.Start) != 72*time.Hour {
		t.Fatalf("free/busy window %v", w)
	}
}

// A thread read in the chat says of each message whether Gmail verified
// its sender, and the model is told what that means.
func TestThreadResultsSayWhetherTheSenderIsVerified(t *testing.T) {
	f := newFixture(t, sqldb.SQLite, assistant.Limits{}, "")
	f.model.Script(model.Turn{ToolCalls: []model.ToolCall{{Name: "get_thread", Arguments: `{"thread_id":"ab12"}`}}}, model.Turn{Text: "Done."})
	if err := f.svc.Send(context.Background(), f.user.ID, "", "Read it", f.emit); err != nil {
		t.Fatal(err)
	}
	req := f.model.Requests()[1]
	got := req.Messages[2].ToolResults[0].Content
	for _, want := range []string{`"message_id":"m1","sender_check":"failed"`, `"message_id":"m2","sender_check":"verified"`, `"message_id":"m3","sender_check":"not_checked"`} {
		if !strings.Contains(got, want) {
			t.Fatalf("result lacks %s: %s", want, got)
		}
	}
	if !strings.Contains(req.System, `sender_check is "failed" may be forged`) {
		t.Fatalf("the prompt does not explain sender_check")
	}
}

func TestClientGoneMidAnswer(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) {
		f := newFixture(t, d, assistant.Limits{}, "")
		f.model.Script(model.Turn{Text: "Never finished.", Hang: true})
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		err := f.svc.Send(ctx, f.user.ID, "", "hello", func(e jarvis.ChatEvent) error {
			if e.Type == jarvis.EventMessageDelta {
				cancel()
			}
			return nil
		})
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("Send: %v", err)
		}
		if m := f.only(t).Messages[1]; m.Status != jarvis.MessageInterrupted || !strings.HasPrefix(m.Text, "Never") {
			t.Fatalf("stored %+v", m)
		}

		// An emit that fails (the connection broke) stops the turn the same way.
		g := newFixture(t, d, assistant.Limits{}, "")
		g.model.Script(model.Turn{Text: "Never finished either.", Hang: true})
		broken := errors.New("broken pipe")
		err = g.svc.Send(context.Background(), g.user.ID, "", "hello", func(e jarvis.ChatEvent) error {
			if e.Type == jarvis.EventMessageDelta {
				return broken
			}
			return nil
		})
		if !errors.Is(err, broken) || g.only(t).Messages[1].Status != jarvis.MessageInterrupted {
			t.Fatalf("Send: %v", err)
		}
	})
}

func TestModelDownStoresNothing(t *testing.T) {
	down := httptest.NewServer(http.NotFoundHandler())
	down.Close()
	f := newFixture(t, sqldb.SQLite, assistant.Limits{}, down.URL)
	err := f.svc.Send(context.Background(), f.user.ID, "", "hello", f.emit)
	if !jarvis.IsCode(err, jarvis.ELLM) || len(f.events) != 0 {
		t.Fatalf("Send: %v, events %v", err, f.events)
	}
	if page, _ := f.svc.ListConversations(context.Background(), f.user.ID, "", 10); len(page.Conversations) != 0 {
		t.Fatalf("stored %+v", page)
	}
	if err := f.svc.Send(context.Background(), f.user.ID, "0190a0c0-0000-7000-8000-000000000001", "hello", f.emit); !jarvis.IsCode(err, jarvis.ENOTFOUND) {
		t.Fatalf("unknown conversation: %v", err)
	}
	if err := f.svc.Send(context.Background(), f.user.ID, "", " \n", f.emit); !jarvis.IsCode(err, jarvis.EINVALID) {
		t.Fatalf("empty message: %v", err)
	}
}

func TestDecideWhenDraftingFails(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) {
		f := newFixture(t, d, assistant.Limits{}, "")
		ctx := context.Background()
		f.google.fail = &jarvis.Error{Code: jarvis.EUPSTREAM, Message: "Gmail is unavailable."}
		if err := f.svc.Send(ctx, f.user.ID, "", "Draft an email to bob@example.com saying hi", f.emit); err != nil {
			t.Fatal(err)
		}
		c := f.only(t)
		id := c.Messages[1].Approvals[0].ID
		if _, err := f.svc.Decide(ctx, f.user.ID, id, true); !jarvis.IsCode(err, jarvis.EUPSTREAM) {
			t.Fatalf("Decide: %v", err)
		}
		if a := f.only(t).Messages[1].Approvals[0]; a.Status != jarvis.ApprovalFailed {
			t.Fatalf("approval %+v", a)
		}
		if _, err := f.svc.Decide(ctx, f.user.ID, id, true); !jarvis.IsCode(err, jarvis.ECONFLICT) {
			t.Fatalf("second Decide: %v", err)
		}
		if _, err := f.svc.Decide(ctx, "someone-else", id, false); !jarvis.IsCode(err, jarvis.ENOTFOUND) {
			t.Fatalf("another user's Decide: %v", err)
		}
		// The next turn tells the model what became of it.
		if err := f.svc.Send(ctx, f.user.ID, c.ID, "Did it work?", f.emit); err != nil {
			t.Fatal(err)
		}
		reqs := f.model.Requests()
		var told bool
		for _, m := range reqs[len(reqs)-1].Messages {
			for _, r := range m.ToolResults {
				told = told || strings.Contains(r.Content, `"status":"failed"`)
			}
		}
		if !told {
			t.Fatal("the model was not told the approval failed")
		}
	})
}
