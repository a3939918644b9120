package assistant

import (
	"context"
	"sync"
	"time"
)

// zoneTTL is how long a user's time zone is remembered between turns.
const zoneTTL = 10 * time.Minute

// zones remembers each user's calendar time zone for a while, so that a
// turn does not ask Google for it every time.
type zones struct {
	mu   sync.Mutex
	seen map[string]zoneEntry
}

type zoneEntry struct {
	loc *time.Location
	at  time.Time
}

// zone returns the user's time zone: their primary calendar's. It fails
// as the calendar does (no calendar permission, Google unreachable).
func (s *Service) zone(ctx context.Context, userID string) (*time.Location, error) {
	now := s.now()
	s.zones.mu.Lock()
	e, hit := s.zones.seen[userID]
	s.zones.mu.Unlock()
	if hit && now.Sub(e.at) < zoneTTL && now.Sub(e.at) >= 0 {
		return e.loc, nil
	}
	name, err := s.cfg.Calendar.TimeZone(ctx, userID, "")
	if err != nil {
		return nil, err
	}
	loc, err := time.LoadLocation(name)
	if err != nil || name == "" || name == "Local" {
		loc = time.UTC
	}
	s.zones.mu.Lock()
	if s.zones.seen == nil {
		s.zones.seen = map[string]zoneEntry{}
	}
	if len(s.zones.seen) > 10_000 {
		clear(s.zones.seen)
	}
	s.zones.seen[userID] = zoneEntry{loc: loc, at: now}
	s.zones.mu.Unlock()
	return loc, nil
}
