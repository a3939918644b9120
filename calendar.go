package jarvis

import (
	"context"
	"time"
)

// Event is a calendar event, with recurring events already expanded.
// Start and End are RFC 3339 in UTC for timed events and YYYY-MM-DD for
// all-day ones (End exclusive, as Google has it).
type Event struct {
	ID          string `json:"id"`
	Summary     string `json:"summary"`
	Description string `json:"description,omitempty" doc:"The event's description, as Google stores it."`
	Start       string `json:"start"`
	End         string `json:"end"`
	AllDay      bool   `json:"all_day"`
	// TimeZone is the zone of the event's start, else its calendar's.
	TimeZone  string     `json:"time_zone" doc:"The IANA time zone of the event's start (a series repeats in it), else its calendar's."`
	Location  string     `json:"location"`
	Attendees []Attendee `json:"attendees"`
	Organizer *Attendee  `json:"organizer"`
	MeetLink  string     `json:"meet_link"`
	HTMLLink  string     `json:"html_link"`
	Status    string     `json:"status"`
	// Recurrence is a series' RRULE/RDATE/EXDATE lines: only a series
	// itself has them (listings expand series into instances).
	Recurrence []string `json:"recurrence,omitempty" doc:"A series' RRULE, RDATE and EXDATE lines (the series itself, as a write answers it; listings show instances)."`
	// RecurringEventID is the series an instance belongs to, and
	// OriginalStart the instance's start in the series' rule.
	RecurringEventID string `json:"recurring_event_id,omitempty" doc:"For an instance of a series: the series' id."`
	OriginalStart    string `json:"original_start,omitempty" doc:"For an instance: its start as the series' rule places it (RFC 3339 in UTC, or a date)."`
	// Account names the Google account whose calendar holds the event.
	Account *AccountRef `json:"account" doc:"The Google account whose calendar holds the event."`
	// Indexed, on a write's answer, says whether the local index has the
	// change already.
	Indexed *bool `json:"indexed,omitempty" doc:"On a write's answer: true when the local index has the change already (GET /calendar/upcoming shows it), false when it arrives with the account's next calendar sync, within seconds."`
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
	Comment        string `json:"comment,omitempty" doc:"The guest's note with their response."`
	// Self marks the user's own entry.
	Self bool `json:"self,omitempty" doc:"true on the entry of the account whose calendar was read."`
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
