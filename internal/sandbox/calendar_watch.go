package sandbox

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jarvis-hq/jarvis/internal/sandbox/push"
	"github.com/jarvis-hq/jarvis/internal/sandbox/wire"
)

// channelTTL is a Calendar channel's lifetime when params.ttl does not say:
// a week, as Google's.
const channelTTL = 7 * 24 * time.Hour

// ChannelState is a Calendar watch channel, as the state file keeps it.
type ChannelState struct {
	ID         string    `json:"id"`
	Account    string    `json:"account"`
	CalendarID string    `json:"calendar_id"` // as the watch named it ("primary")
	Address    string    `json:"address"`
	Token      string    `json:"token,omitempty"`
	ResourceID string    `json:"resource_id"`
	Expiration time.Time `json:"expiration"`
	Number     int64     `json:"number"` // the last X-Goog-Message-Number
}

// channels are the Calendar watch channels, by id.
type channels struct {
	mu sync.Mutex
	by map[string]*ChannelState
}

// calendarWatchRoute names the channel methods, which the sandbox serves
// beside package calendar: events.watch and channels.stop.
func calendarWatchRoute(r *http.Request) (method, calendarID string) {
	if r.Method != http.MethodPost {
		return "", ""
	}
	p := r.URL.EscapedPath()
	if p == "/calendar/v3/channels/stop" {
		return "calendar.channels.stop", ""
	}
	rest, ok := strings.CutPrefix(p, "/calendar/v3/calendars/")
	if !ok {
		return "", ""
	}
	id, ok := strings.CutSuffix(rest, "/events/watch")
	if !ok || id == "" || strings.Contains(id, "/") {
		return "", ""
	}
	id, err := url.PathUnescape(id)
	if err != nil {
		return "", ""
	}
	return "calendar.events.watch", id
}

// channelJSON is Calendar's Channel resource.
type channelJSON struct {
	Kind        string            `json:"kind,omitempty"`
	ID          string            `json:"id"`
	ResourceID  string            `json:"resourceId,omitempty"`
	ResourceURI string            `json:"resourceUri,omitempty"`
	Token       string            `json:"token,omitempty"`
	Expiration  string            `json:"expiration,omitempty"`
	Type        string            `json:"type,omitempty"`
	Address     string            `json:"address,omitempty"`
	Params      map[string]string `json:"params,omitempty"`
}

// resourceID names a watched collection: the same for every channel on
// it, opaque, as Google's.
func resourceID(account, calendarID string) string {
	sum := sha256.Sum256([]byte(strings.ToLower(account) + "\x00" + calendarID))
	return base64.RawURLEncoding.EncodeToString(sum[:20])
}

func (s *Server) resourceURI(calendarID string) string {
	return s.base + "/calendar/v3/calendars/" + url.PathEscape(calendarID) + "/events?alt=json"
}

// watchEvents is events.watch: it opens a channel on the account's own
// calendar and sends its "sync" notification.
func (s *Server) watchEvents(w http.ResponseWriter, r *http.Request, a *account, calendarID string) {
	if calendarID != "primary" && !strings.EqualFold(calendarID, a.email) {
		wire.NotFound(w)
		return
	}
	var in channelJSON
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&in); err != nil {
		wire.BadRequest(w, "body", "Invalid JSON payload received.")
		return
	}
	switch {
	case in.ID == "":
		wire.Error(w, http.StatusBadRequest, "required", "Required channel id")
		return
	case in.Type != "web_hook" && in.Type != "webhook":
		wire.Error(w, http.StatusBadRequest, "invalid", "Invalid channel type: "+in.Type)
		return
	}
	if u, err := url.Parse(in.Address); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		wire.Error(w, http.StatusBadRequest, "invalid", "Invalid channel address: "+in.Address)
		return
	}
	now := s.now()
	exp := now.Add(channelTTL)
	if v := in.Params["ttl"]; v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n <= 0 {
			wire.Error(w, http.StatusBadRequest, "invalid", "Invalid ttl: "+v)
			return
		}
		exp = now.Add(time.Duration(n) * time.Second)
	}
	if in.Expiration != "" {
		if ms, err := strconv.ParseInt(in.Expiration, 10, 64); err == nil && time.UnixMilli(ms).Before(exp) {
			exp = time.UnixMilli(ms)
		}
	}
	ch := &ChannelState{ID: in.ID, Account: a.email, CalendarID: calendarID, Address: in.Address, Token: in.Token,
		ResourceID: resourceID(a.email, calendarID), Expiration: exp}
	s.chans.mu.Lock()
	if s.chans.by == nil {
		s.chans.by = map[string]*ChannelState{}
	}
	if old := s.chans.by[in.ID]; old != nil && now.Before(old.Expiration) {
		s.chans.mu.Unlock()
		wire.Error(w, http.StatusBadRequest, "channelIdNotUnique", "Channel id "+in.ID+" not unique")
		return
	}
	s.chans.by[in.ID] = ch
	s.notifyChannel(ch, "sync")
	s.chans.mu.Unlock()
	wire.WriteJSON(w, http.StatusOK, channelJSON{
		Kind: "api#channel", ID: ch.ID, ResourceID: ch.ResourceID, ResourceURI: s.resourceURI(calendarID),
		Token: ch.Token, Expiration: strconv.FormatInt(exp.UnixMilli(), 10),
	})
}

// stopChannel is channels.stop: {id, resourceId} of a channel the caller
// opened; 404 for any other.
func (s *Server) stopChannel(w http.ResponseWriter, r *http.Request, a *account) {
	var in channelJSON
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&in); err != nil {
		wire.BadRequest(w, "body", "Invalid JSON payload received.")
		return
	}
	s.chans.mu.Lock()
	ch := s.chans.by[in.ID]
	if ch == nil || ch.ResourceID != in.ResourceID || !strings.EqualFold(ch.Account, a.email) {
		s.chans.mu.Unlock()
		wire.Error(w, http.StatusNotFound, "notFound", "Channel '"+in.ID+"' not found for project '"+s.cfg.ClientID+"'")
		return
	}
	delete(s.chans.by, in.ID)
	s.chans.mu.Unlock()
	s.push.Cancel("channel:" + in.ID)
	w.WriteHeader(http.StatusNoContent)
}

// calendarChanged is the calendar book's change hook: an "exists"
// notification on every live channel watching the account's calendar.
func (s *Server) calendarChanged(account string) {
	s.chans.mu.Lock()
	defer s.chans.mu.Unlock()
	now := s.now()
	for id, ch := range s.chans.by {
		if !strings.EqualFold(ch.Account, account) {
			continue
		}
		if now.After(ch.Expiration) {
			delete(s.chans.by, id)
			continue
		}
		s.notifyChannel(ch, "exists")
	}
}

// notifyChannel queues an empty POST with Google's channel headers;
// retried on 5xx until the channel expires. The caller holds s.chans.mu.
func (s *Server) notifyChannel(ch *ChannelState, state string) {
	ch.Number++
	n := ch.Number
	c := *ch
	s.count("calendar.notify")
	s.push.Enqueue(push.Delivery{
		Kind:   "calendar",
		Source: "channel:" + c.ID,
		ID:     strconv.FormatInt(n, 10),
		URL:    c.Address,
		Header: func() http.Header {
			h := http.Header{}
			h.Set("User-Agent", "APIs-Google; (+https://developers.google.com/webmasters/APIs-Google.html)")
			h.Set("X-Goog-Channel-ID", c.ID)
			if c.Token != "" {
				h.Set("X-Goog-Channel-Token", c.Token)
			}
			h.Set("X-Goog-Channel-Expiration", c.Expiration.UTC().Format(http.TimeFormat))
			h.Set("X-Goog-Resource-ID", c.ResourceID)
			h.Set("X-Goog-Resource-URI", s.resourceURI(c.CalendarID))
			h.Set("X-Goog-Resource-State", state)
			h.Set("X-Goog-Message-Number", strconv.FormatInt(n, 10))
			return h
		},
		Retry:   func(st int) bool { return st >= 500 },
		Expires: c.Expiration,
	})
}

// channelSnapshot and restoreChannels carry the channels through the
// state file.
func (s *Server) channelSnapshot() []ChannelState {
	s.chans.mu.Lock()
	defer s.chans.mu.Unlock()
	var out []ChannelState
	for _, ch := range s.chans.by {
		out = append(out, *ch)
	}
	slices.SortFunc(out, func(a, b ChannelState) int { return strings.Compare(a.ID, b.ID) })
	return out
}

func (s *Server) restoreChannels(st []ChannelState) {
	s.chans.mu.Lock()
	defer s.chans.mu.Unlock()
	s.chans.by = map[string]*ChannelState{}
	for _, ch := range st {
		if s.byEmail[ch.Account] != nil {
			c := ch
			s.chans.by[ch.ID] = &c
		}
	}
}
