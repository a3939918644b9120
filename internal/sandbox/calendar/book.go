// Package calendar is the sandbox's Google Calendar API v3: each account's
// primary calendar, filled from .ics files and a built-in demo, served on
// the wire the way Google serves it, so that the official
// google.golang.org/api/calendar/v3 client runs against it unchanged.
//
// Authentication, scopes, latency, faults and statistics belong to the
// caller; a Book only answers for the account the request's context names.
package calendar

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"strings"
	"sync"
	"time"
)

// Book holds the calendars of all sandbox accounts. It is safe for
// concurrent use.
type Book struct {
	now   func() time.Time
	epoch uint32 // tells this book's sync tokens from another's

	mu   sync.RWMutex
	cals map[string]*calendar // by lower-cased account email
	rev  int64                // counts writes, see event.rev
	// syncTTL is how long a sync token stays good; 0: for ever.
	syncTTL time.Duration

	hookMu sync.Mutex
	hooks  []func(account string)
	mailer func(Mail)
}

// calendar is an account's primary calendar.
type calendar struct {
	id        string // the account's email, as Google names a primary calendar
	ownerName string
	loc       *time.Location
	tzName    string
	tzSet     bool // set by the first file or demo that says
	created   time.Time
	events    map[string]*event // single events and series by id
	version   int64             // bumped by every change, for sync tokens
	// floor is the oldest version a sync token may name: tokens issued
	// before an invalidation are below it.
	floor int64
	// written is set by the first write through the API or the admin
	// calls: from then on the state file keeps the calendar's events.
	written bool
}

// NewBook returns an empty book whose clock is now.
func NewBook(now func() time.Time) *Book {
	var e [4]byte
	_, _ = rand.Read(e[:])
	return &Book{now: now, epoch: binary.BigEndian.Uint32(e[:]), cals: map[string]*calendar{}}
}

// AddAccount gives the account an empty primary calendar, in UTC until a
// file or the demo sets its zone. Adding an account twice keeps its events;
// a non-empty name replaces the owner's display name.
func (b *Book) AddAccount(email, name string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	c := b.calendarLocked(email)
	if name != "" {
		c.ownerName = name
	}
}

func (b *Book) calendarLocked(email string) *calendar {
	key := strings.ToLower(strings.TrimSpace(email))
	c := b.cals[key]
	if c == nil {
		c = &calendar{id: strings.TrimSpace(email), loc: time.UTC, tzName: "UTC", created: b.now().UTC(), events: map[string]*event{}}
		b.cals[key] = c
	}
	return c
}

// lookup finds an account's calendar; nil if the account is unknown.
func (b *Book) lookup(email string) *calendar {
	return b.cals[strings.ToLower(strings.TrimSpace(email))]
}

// LoadICS adds the events of an iCalendar file to the account's primary
// calendar, creating the account if needed. An event whose UID is already
// there replaces it unless its SEQUENCE is lower; an instance with a
// RECURRENCE-ID overrides that instance of its series, and a series loaded
// again drops the exceptions it no longer brings. The first file that
// names a zone (X-WR-TIMEZONE, else its first TZID) sets the calendar's;
// until then the calendar is in UTC. A malformed file changes nothing and yields an error that
// starts with filename and says what is wrong.
func (b *Book) LoadICS(account, filename string, data []byte) error {
	pf, err := parseICS(filename, data, b.now().UTC())
	if err != nil {
		return err
	}
	b.mu.Lock()
	b.loadLocked(account, pf)
	b.mu.Unlock()
	b.changed(account)
	return nil
}

// OnChange registers f to be called after every change to an account's
// calendar, with the account's address. f runs on the writer's goroutine
// after the book is unlocked; it should return quickly.
func (b *Book) OnChange(f func(account string)) {
	b.hookMu.Lock()
	b.hooks = append(b.hooks, f)
	b.hookMu.Unlock()
}

// changed announces a change to the accounts' calendars. The caller does
// not hold b.mu.
func (b *Book) changed(accounts ...string) {
	b.hookMu.Lock()
	hooks := append([]func(string){}, b.hooks...)
	b.hookMu.Unlock()
	for _, a := range accounts {
		for _, f := range hooks {
			f(a)
		}
	}
}

func (b *Book) loadLocked(account string, pf *parsedFile) {
	c := b.calendarLocked(account)
	if !c.tzSet && pf.zoneStated && pf.zone.iana != "" {
		c.setZone(pf.zone)
	}
	for _, ev := range pf.events {
		c.put(ev)
	}
	for _, ov := range pf.overrides {
		c.putOverride(ov)
	}
}

func (c *calendar) setZone(z zone) {
	c.loc, c.tzName, c.tzSet = z.loc, z.iana, true
}

func (c *calendar) bump() int64 {
	c.version++
	return c.version
}

// put stores a single event or a series, adopting any overrides of it that
// arrived before it.
func (c *calendar) put(ev *event) {
	old := c.events[ev.id]
	if old != nil && ev.sequence < old.sequence {
		return
	}
	if old != nil {
		// A series arrives with the exceptions its sender still means; the
		// ones it no longer mentions go with the old version.
		ev.created = old.created
	}
	ev.version = c.bump()
	c.events[ev.id] = ev
	if ev.rec == nil {
		return
	}
	for id, o := range c.events {
		if o.orphan && o.uid == ev.uid {
			delete(c.events, id)
			o.orphan = false
			c.attach(ev, o)
		}
	}
}

// putOverride stores an overridden instance with its series, or on its own
// until the series is loaded.
func (c *calendar) putOverride(ov *event) {
	master := c.events[eventID("uid", ov.uid)]
	if master == nil || master.rec == nil {
		ov.orphan = true
		ov.id = eventID("uid", ov.uid, ov.recurrenceID.key())
		if old := c.events[ov.id]; old != nil && ov.sequence < old.sequence {
			return
		}
		ov.version = c.bump()
		c.events[ov.id] = ov
		return
	}
	c.attach(master, ov)
}

func (c *calendar) attach(master, ov *event) {
	rid := sameKind(*ov.recurrenceID, master.start)
	rid.tz = master.start.tz
	ov.recurrenceID = &rid
	ov.masterID = master.id
	ov.id = master.id + "_" + rid.key()
	if master.overrides == nil {
		master.overrides = map[string]*event{}
	}
	if old := master.overrides[rid.key()]; old != nil && ov.sequence < old.sequence {
		return
	}
	ov.version = c.bump()
	master.overrides[rid.key()] = ov
}

type accountKey struct{}

// WithAccount returns a context that makes email the account a request to
// the Book is answered for.
func WithAccount(ctx context.Context, email string) context.Context {
	return context.WithValue(ctx, accountKey{}, email)
}

func accountFrom(ctx context.Context) string {
	s, _ := ctx.Value(accountKey{}).(string)
	return s
}

// InvalidateSyncTokens makes every sync token issued so far for the
// account's calendar, or for every calendar when account is "", answer
// 410 fullSyncRequired, as Google does when it can no longer tell a
// client what changed. It returns how many calendars it touched.
func (b *Book) InvalidateSyncTokens(account string) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	n := 0
	for _, c := range b.cals {
		if account != "" && !strings.EqualFold(c.id, account) {
			continue
		}
		c.floor = c.bump()
		n++
	}
	return n
}

// SetSyncTokenTTL makes sync tokens older than d answer 410
// fullSyncRequired; 0 keeps them good for ever.
func (b *Book) SetSyncTokenTTL(d time.Duration) {
	b.mu.Lock()
	b.syncTTL = d
	b.mu.Unlock()
}

// SyncTokenTTL is the sync tokens' lifetime; 0 is for ever.
func (b *Book) SyncTokenTTL() time.Duration {
	b.mu.RLock()
	defer b.mu.RUnlock()
	return b.syncTTL
}
