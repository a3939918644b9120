package sandbox

import (
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/jarvis-hq/jarvis/internal/sandbox/calendar"
	"github.com/jarvis-hq/jarvis/internal/sandbox/mailbox"
	"github.com/jarvis-hq/jarvis/internal/sandbox/pubsub"
)

// StateVersion is the version of the state file this sandbox writes and
// reads. A field added with a zero value that means "nothing yet" keeps
// the version; a change old files cannot be read under bumps it.
const StateVersion = 1

// saveDelay is how long the sandbox waits after a change before it saves,
// so that a burst of changes is written once.
const saveDelay = 100 * time.Millisecond

// State is the sandbox's whole mutable state, as its state file holds it:
// each component exports and restores its own part.
type State struct {
	Version int `json:"version"`
	// SigningKey is the id_token key (PKCS #1 DER), so that issued
	// id_tokens and the kid stay valid.
	SigningKey []byte                  `json:"signing_key"`
	Tokens     TokenState              `json:"tokens"`
	Accounts   map[string]AccountState `json:"accounts"`
	Outbox     []outboxItem            `json:"outbox,omitempty"`
	// PubSub, Watches and Channels are the Pub/Sub's topics and
	// subscriptions, the Gmail watches by account and the Calendar
	// channels.
	PubSub   pubsub.State          `json:"pubsub,omitzero"`
	Watches  map[string]WatchState `json:"watches,omitempty"`
	Channels []ChannelState        `json:"channels,omitempty"`
	// Calendar is every calendar with its events and sync state; a file
	// without it keeps the calendars the data loaded.
	Calendar *calendar.BookState `json:"calendar,omitempty"`
}

// AccountState is one account's state: its Google subject and mailbox.
type AccountState struct {
	Subject    string             `json:"subject"`
	Generation int                `json:"generation,omitempty"`
	SendAs     []SendAs           `json:"send_as,omitempty"`
	Mail       mailbox.StoreState `json:"mail"`
}

// persist is the state file's machinery: its lock and the saver.
type persist struct {
	path  string
	lock  *os.File
	dirty chan struct{}
	stop  chan struct{}
	done  chan struct{}
	once  sync.Once
	mu    sync.Mutex // serialises saves
}

// snapshot collects the state of every component.
func (s *Server) snapshot() State {
	st := State{
		Version:    StateVersion,
		SigningKey: x509.MarshalPKCS1PrivateKey(s.key),
		Tokens:     s.tokens.snapshot(),
		Accounts:   map[string]AccountState{},
	}
	for _, a := range s.accounts {
		a.subMu.Lock()
		as := AccountState{Subject: a.sub, Generation: a.gen, SendAs: slices.Clone(a.sendAs)}
		a.subMu.Unlock()
		as.Mail = a.mail.Snapshot()
		st.Accounts[a.email] = as
	}
	s.gm.mu.Lock()
	st.Outbox = append([]outboxItem(nil), s.gm.outbox...)
	s.gm.mu.Unlock()
	st.PubSub = s.pubsub.Snapshot()
	st.Watches = s.watchSnapshot()
	st.Channels = s.channelSnapshot()
	cal := s.calendar.Snapshot()
	st.Calendar = &cal
	return st
}

// restore puts a state read from path back into every component. The
// signing key was taken before the data was loaded.
func (s *Server) restore(path string, st State) error {
	var unknown []string
	for email := range st.Accounts {
		if s.byEmail[email] == nil {
			unknown = append(unknown, email)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return fmt.Errorf("sandbox: state file %s has accounts this sandbox does not (%v): it was written with other data (--data); start with that data, or move the file away to start afresh", path, unknown)
	}
	for _, a := range s.accounts {
		as, ok := st.Accounts[a.email]
		if !ok {
			continue // a new account starts from its data
		}
		if err := a.mail.Restore(as.Mail); err != nil {
			return fmt.Errorf("sandbox: state file %s: account %s: %w; move the file away to start afresh", path, a.email, err)
		}
		a.subMu.Lock()
		if as.Subject != "" {
			a.sub, a.gen = as.Subject, as.Generation
		}
		if as.SendAs != nil {
			a.sendAs = as.SendAs
		}
		a.subMu.Unlock()
	}
	if err := s.pubsub.Restore(st.PubSub); err != nil {
		return fmt.Errorf("sandbox: state file %s: %w; move the file away to start afresh", path, err)
	}
	if st.Calendar != nil {
		if err := s.calendar.Restore(*st.Calendar); err != nil {
			return fmt.Errorf("sandbox: state file %s: %w; move the file away to start afresh", path, err)
		}
	}
	s.restoreWatches(st.Watches)
	s.restoreChannels(st.Channels)
	s.tokens.restore(st.Tokens)
	s.gm.mu.Lock()
	s.gm.outbox = append([]outboxItem(nil), st.Outbox...)
	s.gm.mu.Unlock()
	return nil
}

// readState reads a state file; a missing file is (nil, nil).
func readState(path string) (*State, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("sandbox: read state file %s: %w", path, err)
	}
	var probe struct {
		Version int `json:"version"`
	}
	if err := json.Unmarshal(data, &probe); err != nil {
		return nil, fmt.Errorf("sandbox: state file %s is corrupt (%v): move it away to start the sandbox afresh (its grants, drafts and sent mail are then forgotten, and users reconnect Google)", path, err)
	}
	if probe.Version != StateVersion {
		return nil, fmt.Errorf("sandbox: state file %s has version %d, this sandbox reads version %d: move it away to start the sandbox afresh (users then reconnect Google)", path, probe.Version, StateVersion)
	}
	var st State
	if err := json.Unmarshal(data, &st); err != nil {
		return nil, fmt.Errorf("sandbox: state file %s is corrupt (%v): move it away to start the sandbox afresh (users then reconnect Google)", path, err)
	}
	return &st, nil
}

// openState locks path and reads it. The key in a state file replaces a
// generated one.
func (s *Server) openState(path string) (*State, error) {
	lock, err := lockState(path)
	if err != nil {
		return nil, err
	}
	st, err := readState(path)
	if err != nil {
		unlockState(lock)
		return nil, err
	}
	if st != nil && s.cfg.SigningKey == nil {
		key, err := x509.ParsePKCS1PrivateKey(st.SigningKey)
		if err != nil {
			unlockState(lock)
			return nil, fmt.Errorf("sandbox: state file %s has a corrupt signing key (%v): move it away to start afresh", path, err)
		}
		s.key = key
	}
	s.persist = &persist{path: path, lock: lock, dirty: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
	return st, nil
}

// startSaver saves once, then after every change.
func (s *Server) startSaver() error {
	p := s.persist
	if err := s.save(); err != nil {
		return err
	}
	go func() {
		defer close(p.done)
		for {
			select {
			case <-p.stop:
				return
			case <-p.dirty:
			}
			select {
			case <-p.stop:
				return // Close saves
			case <-time.After(saveDelay):
			}
			if err := s.save(); err != nil {
				s.log.Error("sandbox: could not save its state", "file", p.path, "err", err)
			}
		}
	}()
	return nil
}

// changed notes a change to save.
func (s *Server) changed() {
	if s.persist == nil {
		return
	}
	select {
	case s.persist.dirty <- struct{}{}:
	default:
	}
}

// save writes the state file atomically: a temporary file beside it,
// synced, renamed over it, mode 0600.
func (s *Server) save() error {
	p := s.persist
	p.mu.Lock()
	defer p.mu.Unlock()
	data, err := json.Marshal(s.snapshot())
	if err != nil {
		return err
	}
	return writeFileAtomic(p.path, data)
}

func writeFileAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	ok := false
	defer func() {
		if !ok {
			f.Close()
			os.Remove(tmp)
		}
	}()
	if err := f.Chmod(0o600); err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	ok = true
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
	return nil
}

// Close stops the deliveries of pushes and channel notifications (those in
// flight are cancelled), saves the state file (when there is one) and
// releases its lock.
func (s *Server) Close() error {
	s.closeWatches()
	s.push.Close()
	p := s.persist
	if p == nil {
		return nil
	}
	var err error
	p.once.Do(func() {
		close(p.stop)
		<-p.done
		err = s.save()
		unlockState(p.lock)
	})
	return err
}

// StateFile returns the state file's path, "" when the sandbox keeps its
// state in memory only.
func (s *Server) StateFile() string {
	if s.persist == nil {
		return ""
	}
	return s.persist.path
}

// saving marks the state changed after every request that may change it:
// anything but GET and HEAD, and GET /revoke.
func (s *Server) saving(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.ServeHTTP(w, r)
		if (r.Method != http.MethodGet && r.Method != http.MethodHead) || r.URL.Path == "/revoke" {
			s.changed()
		}
	})
}
