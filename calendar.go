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
	// Account names the Google account whose calendar holds the event.
	Account *AccountRef `json:"account" doc:"The Google account whose calendar holds the event."`
}

// EventList is the events of one account's calendar, or of several merged
// in time order.
type EventList struct {
	// Accounts are the accounts read, the primary first.
	Accounts []AccountRef
	Events   []Event
	// Source says where the events were read: SourceIndex or SourceGoogle.
	Source string
}

// SourceGoogle marks events read from Google Calendar itself.
const SourceGoogle = "google"

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
	TimeZone string     // the calendar's IANA time zone (of the primary account, when several are merged)
	Busy     []Interval // sorted, in UTC
	// Accounts are the accounts whose calendars were read.
	Accounts []AccountRef
}

// CalendarService reads the primary calendar of one of the user's Google
// accounts, named as MailService's are; where a method says so, account may
// also be AllAccounts, which merges every account's calendar (an error of
// any account fails the call, naming that account). Errors as MailService.
type CalendarService interface {
	// Upcoming lists events overlapping [now, now+days), ordered by start,
	// each naming its account. AllAccounts merges.
	Upcoming(ctx context.Context, userID, account string, days, maxResults int) (*EventList, error)
	// Events lists events overlapping [from, to), ordered by start, each
	// naming its account. AllAccounts merges.
	Events(ctx context.Context, userID, account string, from, to time.Time, maxResults int) (*EventList, error)
	// TimeZone returns the account's primary calendar's IANA time zone; the
	// primary account's is the user's.
	TimeZone(ctx context.Context, userID, account string) (string, error)
	// FreeBusy returns the busy intervals of the account's primary calendar
	// in [from, to). AllAccounts merges: time busy in any calendar is busy.
	FreeBusy(ctx context.Context, userID, account string, from, to time.Time) (*FreeBusy, error)
}
