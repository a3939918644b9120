package sandbox

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jarvis-hq/jarvis/internal/sandbox/mailbox"
	"github.com/jarvis-hq/jarvis/internal/sandbox/pubsub"
	"github.com/jarvis-hq/jarvis/internal/sandbox/wire"
)

// watchTTL is how long a Gmail watch lasts, as Gmail's: seven days.
const watchTTL = 7 * 24 * time.Hour

// notifyEvery is Gmail's limit: at most one notification per second per
// mailbox; the changes in between are announced once, with the latest id.
const notifyEvery = time.Second

// WatchState is a mailbox's watch, as the state file keeps it.
type WatchState struct {
	Topic      string    `json:"topic"`
	LabelIDs   []string  `json:"label_ids,omitempty"`
	Exclude    bool      `json:"exclude,omitempty"`
	Expiration time.Time `json:"expiration"`
	Checked    uint64    `json:"checked"` // changes up to this history id were considered
}

// gmailWatch is a live watch.
type gmailWatch struct {
	WatchState
	lastSent time.Time
	pending  bool
	timer    *time.Timer
}

// watches are the Gmail watches, by account.
type watches struct {
	mu     sync.Mutex
	by     map[string]*gmailWatch
	closed bool
}

// watchGmail is users.watch: {topicName, labelIds, labelFilterBehavior}
// → {historyId, expiration}. A second watch replaces the first.
func (s *Server) watchGmail(c *gmailCall) {
	var in struct {
		TopicName           string   `json:"topicName"`
		LabelIDs            []string `json:"labelIds"`
		LabelFilterBehavior string   `json:"labelFilterBehavior"`
		LabelFilterAction   string   `json:"labelFilterAction"` // its deprecated name
	}
	if err := json.NewDecoder(io.LimitReader(c.r.Body, 1<<20)).Decode(&in); err != nil && err != io.EOF {
		wire.BadRequest(c.w, "body", "Invalid JSON payload received.")
		return
	}
	if !pubsub.ValidTopic(in.TopicName) {
		wire.WriteError(c.w, http.StatusBadRequest, wire.ErrorItem{Domain: "global", Reason: "invalidArgument",
			Message: "Invalid topicName does not match projects/SOME-PROJECT/topics/*"})
		return
	}
	if !s.pubsub.HasTopic(in.TopicName) {
		seg := in.TopicName[strings.LastIndex(in.TopicName, "/")+1:]
		wire.WriteError(c.w, http.StatusNotFound, wire.ErrorItem{Domain: "global", Reason: "notFound",
			Message: "Error sending test message to Cloud PubSub " + in.TopicName + " : Resource not found (resource=" + seg + ")."})
		return
	}
	behavior := strings.ToLower(in.LabelFilterBehavior)
	if behavior == "" {
		behavior = strings.ToLower(in.LabelFilterAction)
	}
	if behavior != "" && behavior != "include" && behavior != "exclude" {
		wire.BadRequest(c.w, "labelFilterBehavior", "Invalid labelFilterBehavior: "+in.LabelFilterBehavior)
		return
	}
	for _, id := range in.LabelIDs {
		if _, err := c.acct.mail.Label(id); err != nil {
			wire.BadRequest(c.w, "labelIds", "Invalid label: "+id)
			return
		}
	}
	_, _, hid := c.acct.mail.Profile()
	exp := s.now().Add(watchTTL)
	w := &gmailWatch{WatchState: WatchState{Topic: in.TopicName, LabelIDs: slices.Clone(in.LabelIDs), Exclude: behavior == "exclude", Expiration: exp, Checked: hid}}
	s.wat.mu.Lock()
	if s.wat.by == nil {
		s.wat.by = map[string]*gmailWatch{}
	}
	if old := s.wat.by[c.acct.email]; old != nil && old.timer != nil {
		old.timer.Stop()
	}
	s.wat.by[c.acct.email] = w
	s.wat.mu.Unlock()
	wire.WriteJSON(c.w, http.StatusOK, map[string]string{
		"historyId":  strconv.FormatUint(hid, 10),
		"expiration": strconv.FormatInt(exp.UnixMilli(), 10),
	})
}

// stopGmail is users.stop: no more notifications for the mailbox.
func (s *Server) stopGmail(c *gmailCall) {
	s.wat.mu.Lock()
	if w := s.wat.by[c.acct.email]; w != nil {
		if w.timer != nil {
			w.timer.Stop()
		}
		delete(s.wat.by, c.acct.email)
	}
	s.wat.mu.Unlock()
	c.w.WriteHeader(http.StatusNoContent)
}

// mailChanged is every mailbox's OnChange hook: a change the watch's label
// filter lets through is published at once, or, within a second of the
// last notification, once when that second is over.
func (s *Server) mailChanged(a *account, historyID uint64) {
	s.wat.mu.Lock()
	defer s.wat.mu.Unlock()
	w := s.wat.by[a.email]
	if w == nil || s.wat.closed {
		return
	}
	now := s.now()
	if now.After(w.Expiration) {
		delete(s.wat.by, a.email)
		return
	}
	match := s.watchMatches(a, w.WatchState)
	if historyID > w.Checked {
		w.Checked = historyID
	}
	if !match || w.pending {
		return
	}
	if wait := w.lastSent.Add(notifyEvery).Sub(now); wait > 0 {
		w.pending = true
		w.timer = time.AfterFunc(wait, func() { s.sendPending(a) })
		return
	}
	s.notifyMailbox(a, w, now)
}

// sendPending publishes a notification held back by the one-per-second
// limit.
func (s *Server) sendPending(a *account) {
	s.wat.mu.Lock()
	defer s.wat.mu.Unlock()
	w := s.wat.by[a.email]
	if w == nil || !w.pending || s.wat.closed {
		return
	}
	s.notifyMailbox(a, w, s.now())
}

// flushWatches publishes every held-back notification now.
func (s *Server) flushWatches() {
	s.wat.mu.Lock()
	defer s.wat.mu.Unlock()
	for _, a := range s.accounts {
		if w := s.wat.by[a.email]; w != nil && w.pending {
			if w.timer != nil {
				w.timer.Stop()
			}
			s.notifyMailbox(a, w, s.now())
		}
	}
}

// notifyMailbox publishes {"emailAddress","historyId"} with the mailbox's
// current history id. The caller holds s.wat.mu.
func (s *Server) notifyMailbox(a *account, w *gmailWatch, now time.Time) {
	w.pending, w.lastSent, w.timer = false, now, nil
	_, _, hid := a.mail.Profile()
	data, _ := json.Marshal(struct {
		EmailAddress string `json:"emailAddress"`
		HistoryID    uint64 `json:"historyId"`
	}{a.email, hid})
	if _, err := s.pubsub.Publish(w.Topic, data, nil); err != nil {
		s.log.Warn("sandbox: a Gmail notification found no topic", "topic", w.Topic, "err", err)
		return
	}
	s.count("gmail.push")
}

// watchMatches reports whether the changes after w.Checked touch what the
// watch's label filter asks for: with include, a message that has (or
// gained or lost) one of the labels; with exclude, a message that has none
// of them. History that has expired counts as a match.
func (s *Server) watchMatches(a *account, w WatchState) bool {
	if len(w.LabelIDs) == 0 {
		return true
	}
	token := ""
	for {
		page, _, err := a.mail.History(mailbox.HistoryOptions{StartHistoryID: w.Checked, MaxResults: 500, PageToken: token})
		if errors.Is(err, mailbox.ErrHistoryGone) {
			return true
		}
		if err != nil {
			return false
		}
		for _, r := range page.Items {
			var sets [][]string
			for _, m := range append(slices.Clone(r.MessagesAdded), r.MessagesDeleted...) {
				sets = append(sets, m.LabelIDs)
			}
			for _, c := range append(slices.Clone(r.LabelsAdded), r.LabelsRemoved...) {
				sets = append(sets, append(slices.Clone(c.Message.LabelIDs), c.LabelIDs...))
			}
			for _, labels := range sets {
				hit := slices.ContainsFunc(labels, func(l string) bool { return slices.Contains(w.LabelIDs, l) })
				if hit != w.Exclude {
					return true
				}
			}
		}
		if page.NextPageToken == "" {
			return false
		}
		token = page.NextPageToken
	}
}

// closeWatches stops the held-back notifications' timers.
func (s *Server) closeWatches() {
	s.wat.mu.Lock()
	defer s.wat.mu.Unlock()
	s.wat.closed = true
	for _, w := range s.wat.by {
		if w.timer != nil {
			w.timer.Stop()
		}
	}
}

// watchSnapshot and restoreWatches carry the watches through the state
// file.
func (s *Server) watchSnapshot() map[string]WatchState {
	s.wat.mu.Lock()
	defer s.wat.mu.Unlock()
	if len(s.wat.by) == 0 {
		return nil
	}
	out := map[string]WatchState{}
	for email, w := range s.wat.by {
		ws := w.WatchState
		ws.LabelIDs = slices.Clone(ws.LabelIDs)
		out[email] = ws
	}
	return out
}

func (s *Server) restoreWatches(st map[string]WatchState) {
	s.wat.mu.Lock()
	defer s.wat.mu.Unlock()
	s.wat.by = map[string]*gmailWatch{}
	for email, ws := range st {
		if s.byEmail[email] != nil {
			s.wat.by[email] = &gmailWatch{WatchState: ws}
		}
	}
}
