package calendar

import (
	"encoding/base64"
	"fmt"
	"strings"
	"time"
)

// The JSON shapes of Calendar v3 resources, as Google writes them.

type eventJSON struct {
	Kind              string          `json:"kind"`
	Etag              string          `json:"etag"`
	ID                string          `json:"id"`
	Status            string          `json:"status"`
	HTMLLink          string          `json:"htmlLink,omitempty"`
	Created           string          `json:"created,omitempty"`
	Updated           string          `json:"updated,omitempty"`
	Summary           string          `json:"summary,omitempty"`
	Description       string          `json:"description,omitempty"`
	Location          string          `json:"location,omitempty"`
	Creator           *personJSON     `json:"creator,omitempty"`
	Organizer         *personJSON     `json:"organizer,omitempty"`
	Start             *timeJSON       `json:"start,omitempty"`
	End               *timeJSON       `json:"end,omitempty"`
	Recurrence        []string        `json:"recurrence,omitempty"`
	RecurringEventID  string          `json:"recurringEventId,omitempty"`
	OriginalStartTime *timeJSON       `json:"originalStartTime,omitempty"`
	Transparency      string          `json:"transparency,omitempty"`
	Visibility        string          `json:"visibility,omitempty"`
	ICalUID           string          `json:"iCalUID,omitempty"`
	Sequence          int             `json:"sequence"`
	Attendees         []attendeeJSON  `json:"attendees,omitempty"`
	AttendeesOmitted  bool            `json:"attendeesOmitted,omitempty"`
	HangoutLink       string          `json:"hangoutLink,omitempty"`
	ConferenceData    *conferenceJSON `json:"conferenceData,omitempty"`
	Reminders         *remindersJSON  `json:"reminders,omitempty"`
	EventType         string          `json:"eventType,omitempty"`
}

type timeJSON struct {
	Date     string `json:"date,omitempty"`
	DateTime string `json:"dateTime,omitempty"`
	TimeZone string `json:"timeZone,omitempty"`
}

type personJSON struct {
	Email       string `json:"email,omitempty"`
	DisplayName string `json:"displayName,omitempty"`
	Self        bool   `json:"self,omitempty"`
}

type attendeeJSON struct {
	Email          string `json:"email"`
	DisplayName    string `json:"displayName,omitempty"`
	Organizer      bool   `json:"organizer,omitempty"`
	Self           bool   `json:"self,omitempty"`
	Resource       bool   `json:"resource,omitempty"`
	Optional       bool   `json:"optional,omitempty"`
	ResponseStatus string `json:"responseStatus"`
	Comment        string `json:"comment,omitempty"`
}

type conferenceJSON struct {
	EntryPoints        []entryPointJSON `json:"entryPoints"`
	ConferenceSolution struct {
		Key struct {
			Type string `json:"type"`
		} `json:"key"`
		Name    string `json:"name"`
		IconURI string `json:"iconUri"`
	} `json:"conferenceSolution"`
	ConferenceID string `json:"conferenceId"`
}

type entryPointJSON struct {
	EntryPointType string `json:"entryPointType"`
	URI            string `json:"uri"`
	Label          string `json:"label"`
}

type remindersJSON struct {
	UseDefault bool `json:"useDefault"`
}

// view renders events for one response: whose calendar, for whom, and in
// which zone date-times are written.
type view struct {
	cal          *calendar
	account      string
	loc          *time.Location
	maxAttendees int // 0: all
}

// Google's layouts: timestamps in UTC with milliseconds, event times with
// the offset of the response's zone.
const (
	stampLayout = "2006-01-02T15:04:05.000Z"
	dateLayout  = "2006-01-02"
)

func stamp(t time.Time) string { return t.UTC().Format(stampLayout) }

func etag(t time.Time, version int64) string {
	return fmt.Sprintf(`"%d"`, t.UnixMilli()*1000+version%1000)
}

func (v *view) time(w when) *timeJSON {
	if w.allDay {
		return &timeJSON{Date: w.t.Format(dateLayout)}
	}
	return &timeJSON{DateTime: w.t.In(v.loc).Format(time.RFC3339), TimeZone: w.tz}
}

func (v *view) person(p *person) *personJSON {
	if p == nil {
		return &personJSON{Email: v.cal.id, DisplayName: v.cal.ownerName, Self: true}
	}
	return &personJSON{Email: p.email, DisplayName: p.name, Self: strings.EqualFold(p.email, v.account)}
}

// event renders a single event, a series, or an instance of one.
func (v *view) event(e *event) eventJSON {
	j := eventJSON{
		Kind:        "calendar#event",
		Etag:        etag(e.updated, e.version),
		ID:          e.id,
		Status:      e.status,
		HTMLLink:    "https://www.google.com/calendar/event?eid=" + base64.RawURLEncoding.EncodeToString([]byte(e.id+" "+v.cal.id)),
		Created:     stamp(e.created),
		Updated:     stamp(e.updated),
		Summary:     e.summary,
		Description: e.description,
		Location:    e.location,
		Start:       v.time(e.start),
		End:         v.time(e.end),
		ICalUID:     e.uid,
		Sequence:    e.sequence,
		Reminders:   &remindersJSON{UseDefault: true},
		EventType:   "default",
		Visibility:  e.visibility,
	}
	if e.transparent {
		j.Transparency = "transparent"
	}
	j.Organizer = v.person(e.organizer)
	j.Creator = j.Organizer
	if e.rec != nil {
		j.Recurrence = e.rec.lines
	}
	if e.masterID != "" && e.recurrenceID != nil {
		j.RecurringEventID = e.masterID
		j.OriginalStartTime = v.time(*e.recurrenceID)
	}
	for _, a := range e.attendees {
		if v.maxAttendees > 0 && len(j.Attendees) == v.maxAttendees {
			j.AttendeesOmitted = true
			break
		}
		j.Attendees = append(j.Attendees, attendeeJSON{
			Email:          a.email,
			DisplayName:    a.name,
			Organizer:      e.organizer != nil && strings.EqualFold(a.email, e.organizer.email),
			Self:           strings.EqualFold(a.email, v.account),
			Resource:       a.resource,
			Optional:       a.optional,
			ResponseStatus: a.status,
			Comment:        a.comment,
		})
	}
	if e.meet != "" {
		j.HangoutLink = e.meet
		code := strings.TrimPrefix(e.meet, "https://meet.google.com/")
		c := &conferenceJSON{ConferenceID: code}
		c.EntryPoints = []entryPointJSON{{EntryPointType: "video", URI: e.meet, Label: "meet.google.com/" + code}}
		c.ConferenceSolution.Key.Type = "hangoutsMeet"
		c.ConferenceSolution.Name = "Google Meet"
		c.ConferenceSolution.IconURI = "https://fonts.gstatic.com/s/i/productlogos/meet_2020q4/v6/web-512dp/logo_meet_2020q4_color_2x_web_512dp.png"
		j.ConferenceData = c
	}
	return j
}

// eventsJSON is the Events resource of events.list and events.instances.
type eventsJSON struct {
	Kind             string      `json:"kind"`
	Etag             string      `json:"etag"`
	Summary          string      `json:"summary"`
	Description      string      `json:"description,omitempty"`
	Updated          string      `json:"updated"`
	TimeZone         string      `json:"timeZone"`
	AccessRole       string      `json:"accessRole"`
	DefaultReminders []struct{}  `json:"defaultReminders"`
	NextPageToken    string      `json:"nextPageToken,omitempty"`
	NextSyncToken    string      `json:"nextSyncToken,omitempty"`
	Items            []eventJSON `json:"items"`
}

type calendarListEntryJSON struct {
	Kind                 string     `json:"kind"`
	Etag                 string     `json:"etag"`
	ID                   string     `json:"id"`
	Summary              string     `json:"summary"`
	TimeZone             string     `json:"timeZone"`
	ColorID              string     `json:"colorId"`
	BackgroundColor      string     `json:"backgroundColor"`
	ForegroundColor      string     `json:"foregroundColor"`
	Selected             bool       `json:"selected"`
	AccessRole           string     `json:"accessRole"`
	DefaultReminders     []struct{} `json:"defaultReminders"`
	ConferenceProperties *confProps `json:"conferenceProperties"`
	Primary              bool       `json:"primary"`
}

type confProps struct {
	AllowedConferenceSolutionTypes []string `json:"allowedConferenceSolutionTypes"`
}

type calendarJSON struct {
	Kind                 string     `json:"kind"`
	Etag                 string     `json:"etag"`
	ID                   string     `json:"id"`
	Summary              string     `json:"summary"`
	TimeZone             string     `json:"timeZone"`
	ConferenceProperties *confProps `json:"conferenceProperties"`
}

var meetOnly = &confProps{AllowedConferenceSolutionTypes: []string{"hangoutsMeet"}}

func (c *calendar) listEntry() calendarListEntryJSON {
	return calendarListEntryJSON{
		Kind:                 "calendar#calendarListEntry",
		Etag:                 etag(c.created, c.version),
		ID:                   c.id,
		Summary:              c.id,
		TimeZone:             c.tzName,
		ColorID:              "14",
		BackgroundColor:      "#9fe1e7",
		ForegroundColor:      "#000000",
		Selected:             true,
		AccessRole:           "owner",
		DefaultReminders:     []struct{}{},
		ConferenceProperties: meetOnly,
		Primary:              true,
	}
}

func (c *calendar) resource() calendarJSON {
	return calendarJSON{
		Kind:                 "calendar#calendar",
		Etag:                 etag(c.created, c.version),
		ID:                   c.id,
		Summary:              c.id,
		TimeZone:             c.tzName,
		ConferenceProperties: meetOnly,
	}
}
