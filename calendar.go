package jarvis

import (
	"context"
	"time"
)

// Event is a calendar event, with recurring events already expanded.
// Start and End are RFC 3339 in UTC for timed events and YYYY-MM-DD for
// all-day ones (End exclusive, as Google has it).
type Event struct {
	ID        string     `json:"id"`
	Summary   string     `json:"summary"`
	Start     string     `json:"start"`
	End       string     `json:"end"`
	AllDay    bool       `json:"all_day"`
	TimeZone  string     `json:"time_zone"`
	Location  string     `json:"location"`
	Attendees []Attendee `json:"attendees"`
	Organizer *Attendee  `json:"organizer"`
	MeetLink  string     `json:"meet_link"`
	HTMLLink  string     `json:"html_link"`
	Status    string     `json:"status"`
}

// Attendee is a person invited to an event.
type Attendee struct {
	Email          string `json:"email"`
	Name           string `json:"name"`
	ResponseStatus string `json:"response_status,omitempty"`
}

// Interval is a half-open span of time.
type Interval struct {
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
}

// FreeBusy is a calendar's busy time within a window.
type FreeBusy struct {
	TimeZone string     // the calendar's IANA time zone
	Busy     []Interval // sorted, in UTC
}

// CalendarService reads the user's primary calendar. Errors as MailService.
type CalendarService interface {
	// Upcoming lists events overlapping [now, now+days), ordered by start.
	Upcoming(ctx context.Context, userID string, days, maxResults int) ([]Event, error)
	// Events lists events overlapping [from, to), ordered by start.
	Events(ctx context.Context, userID string, from, to time.Time, maxResults int) ([]Event, error)
	// TimeZone returns the primary calendar's IANA time zone: the user's.
	TimeZone(ctx context.Context, userID string) (string, error)
	// FreeBusy returns the busy intervals of the primary calendar in [from, to).
	FreeBusy(ctx context.Context, userID string, from, to time.Time) (*FreeBusy, error)
}
