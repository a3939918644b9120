package calendar

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"strconv"
	"strings"
	"time"

	// The sandbox must resolve TZIDs the same way in a scratch container
	// without a system zoneinfo database.
	_ "time/tzdata"

	ics "github.com/arran4/golang-ical"
)

// windowsZones maps the Windows time zone names that Outlook and Exchange
// write as TZIDs to IANA zones (the "001" territory of CLDR's windowsZones).
var windowsZones = map[string]string{
	"Dateline Standard Time":          "Etc/GMT+12",
	"UTC-11":                          "Etc/GMT+11",
	"Hawaiian Standard Time":          "Pacific/Honolulu",
	"Alaskan Standard Time":           "America/Anchorage",
	"Pacific Standard Time":           "America/Los_Angeles",
	"Pacific Standard Time (Mexico)":  "America/Tijuana",
	"US Mountain Standard Time":       "America/Phoenix",
	"Mountain Standard Time":          "America/Denver",
	"Mountain Standard Time (Mexico)": "America/Mazatlan",
	"Central America Standard Time":   "America/Guatemala",
	"Central Standard Time":           "America/Chicago",
	"Central Standard Time (Mexico)":  "America/Mexico_City",
	"Canada Central Standard Time":    "America/Regina",
	"SA Pacific Standard Time":        "America/Bogota",
	"Eastern Standard Time":           "America/New_York",
	"US Eastern Standard Time":        "America/Indiana/Indianapolis",
	"Venezuela Standard Time":         "America/Caracas",
	"Atlantic Standard Time":          "America/Halifax",
	"Pacific SA Standard Time":        "America/Santiago",
	"Newfoundland Standard Time":      "America/St_Johns",
	"E. South America Standard Time":  "America/Sao_Paulo",
	"Argentina Standard Time":         "America/Argentina/Buenos_Aires",
	"SA Eastern Standard Time":        "America/Cayenne",
	"UTC-02":                          "Etc/GMT+2",
	"Azores Standard Time":            "Atlantic/Azores",
	"UTC":                             "Etc/UTC",
	"GMT Standard Time":               "Europe/London",
	"Greenwich Standard Time":         "Atlantic/Reykjavik",
	"Morocco Standard Time":           "Africa/Casablanca",
	"W. Europe Standard Time":         "Europe/Berlin",
	"Central Europe Standard Time":    "Europe/Budapest",
	"Romance Standard Time":           "Europe/Paris",
	"Central European Standard Time":  "Europe/Warsaw",
	"W. Central Africa Standard Time": "Africa/Lagos",
	"GTB Standard Time":               "Europe/Bucharest",
	"E. Europe Standard Time":         "Europe/Chisinau",
	"FLE Standard Time":               "Europe/Kiev",
	"Israel Standard Time":            "Asia/Jerusalem",
	"Jordan Standard Time":            "Asia/Amman",
	"Egypt Standard Time":             "Africa/Cairo",
	"South Africa Standard Time":      "Africa/Johannesburg",
	"Turkey Standard Time":            "Europe/Istanbul",
	"Russian Standard Time":           "Europe/Moscow",
	"Arab Standard Time":              "Asia/Riyadh",
	"Arabian Standard Time":           "Asia/Dubai",
	"E. Africa Standard Time":         "Africa/Nairobi",
	"Iran Standard Time":              "Asia/Tehran",
	"Pakistan Standard Time":          "Asia/Karachi",
	"India Standard Time":             "Asia/Kolkata",
	"Nepal Standard Time":             "Asia/Kathmandu",
	"Central Asia Standard Time":      "Asia/Almaty",
	"Bangladesh Standard Time":        "Asia/Dhaka",
	"SE Asia Standard Time":           "Asia/Bangkok",
	"China Standard Time":             "Asia/Shanghai",
	"Singapore Standard Time":         "Asia/Singapore",
	"Taipei Standard Time":            "Asia/Taipei",
	"W. Australia Standard Time":      "Australia/Perth",
	"Tokyo Standard Time":             "Asia/Tokyo",
	"Korea Standard Time":             "Asia/Seoul",
	"Cen. Australia Standard Time":    "Australia/Adelaide",
	"AUS Central Standard Time":       "Australia/Darwin",
	"E. Australia Standard Time":      "Australia/Brisbane",
	"AUS Eastern Standard Time":       "Australia/Sydney",
	"Tasmania Standard Time":          "Australia/Hobart",
	"New Zealand Standard Time":       "Pacific/Auckland",
	"Tonga Standard Time":             "Pacific/Tongatapu",
}

// zone is a resolved TZID: the location to compute in, and the IANA name to
// report as an event's timeZone ("" when the zone has none, e.g. one built
// from a VTIMEZONE with a made-up name).
type zone struct {
	loc  *time.Location
	iana string
}

var utcZone = zone{loc: time.UTC, iana: "UTC"}

// zoneSet resolves the TZIDs of one iCalendar file.
type zoneSet struct {
	defs  map[string]*ics.VTimezone // the file's VTIMEZONE blocks by TZID
	cache map[string]zone
}

func newZoneSet(cal *ics.Calendar) *zoneSet {
	zs := &zoneSet{defs: map[string]*ics.VTimezone{}, cache: map[string]zone{}}
	for _, tz := range cal.Timezones() {
		if p := tz.GetProperty(ics.ComponentPropertyTzid); p != nil {
			zs.defs[p.Value] = tz
		}
	}
	return zs
}

// resolve turns a TZID into a zone: an IANA name as is; a Windows name
// through the CLDR table; otherwise the rules of the file's VTIMEZONE of that
// name; otherwise UTC.
func (zs *zoneSet) resolve(tzid string) zone {
	if z, ok := zs.cache[tzid]; ok {
		return z
	}
	z, ok := lookupIANA(tzid)
	if !ok {
		if def := zs.defs[tzid]; def != nil {
			if loc := locationFromVTimezone(tzid, def); loc != nil {
				z, ok = zone{loc: loc}, true
			}
		}
		if !ok {
			z = utcZone
		}
	}
	zs.cache[tzid] = z
	return z
}

// lookupIANA finds tzid in the IANA database, directly, as a Windows name,
// or as the tail of a prefixed name such as "/mozilla.org/20050126_1/Europe/Berlin".
func lookupIANA(tzid string) (zone, bool) {
	name := strings.Trim(strings.TrimSpace(tzid), `"`)
	if w, ok := windowsZones[name]; ok {
		name = w
	}
	for {
		// LoadLocation reads "" as UTC and "Local" as the host's zone;
		// neither is what a file means.
		if name == "" || strings.EqualFold(name, "Local") {
			return zone{}, false
		}
		if loc, err := time.LoadLocation(name); err == nil {
			return zone{loc: loc, iana: loc.String()}, true
		}
		i := strings.IndexByte(name, '/')
		if i < 0 {
			return zone{}, false
		}
		name = name[i+1:]
	}
}

// observance is one STANDARD or DAYLIGHT block of a VTIMEZONE.
type observance struct {
	start    string // DTSTART value, local time before the change
	offset   int    // TZOFFSETTO in seconds east of UTC
	name     string
	rule     string // the POSIX "Mm.w.d/time" form of its RRULE, "" if none
	hasRRule bool
}

// locationFromVTimezone builds a location from a VTIMEZONE's latest STANDARD
// and DAYLIGHT observances, by writing them as a POSIX TZ rule in an
// otherwise empty TZif file. Rules that do not fit that mould fall back to
// the fixed standard offset; nil when there is no usable offset at all.
func locationFromVTimezone(tzid string, def *ics.VTimezone) *time.Location {
	var std, dst *observance
	for _, sub := range def.SubComponents() {
		var cb *ics.ComponentBase
		var isDST bool
		switch c := sub.(type) {
		case *ics.Standard:
			cb = &c.ComponentBase
		case *ics.Daylight:
			cb, isDST = &c.ComponentBase, true
		default:
			continue
		}
		o, ok := readObservance(cb)
		if !ok {
			continue
		}
		if isDST {
			if dst == nil || o.start > dst.start {
				dst = &o
			}
		} else if std == nil || o.start > std.start {
			std = &o
		}
	}
	if std == nil {
		if dst == nil {
			return nil
		}
		std, dst = dst, nil
	}
	tz := posixName(std.name, "STD") + posixOffset(std.offset)
	if dst != nil && std.rule != "" && dst.rule != "" && dst.offset != std.offset {
		tz += posixName(dst.name, "DST") + posixOffset(dst.offset) + "," + dst.rule + "," + std.rule
	}
	loc, err := time.LoadLocationFromTZData(tzid, tzif(std.offset, tz))
	if err != nil {
		return time.FixedZone(tzid, std.offset)
	}
	return loc
}

func readObservance(cb *ics.ComponentBase) (observance, bool) {
	var o observance
	to := cb.GetProperty("TZOFFSETTO")
	if to == nil {
		return o, false
	}
	off, ok := parseUTCOffset(to.Value)
	if !ok {
		return o, false
	}
	o.offset = off
	if p := cb.GetProperty("TZNAME"); p != nil {
		o.name = p.Value
	}
	if p := cb.GetProperty(ics.ComponentPropertyDtStart); p != nil {
		o.start = p.Value
	}
	if p := cb.GetProperty(ics.ComponentPropertyRrule); p != nil {
		o.hasRRule = true
		o.rule = posixRule(p.Value, o.start)
	}
	return o, true
}

// parseUTCOffset reads "+0100", "-0500" or "+053000".
func parseUTCOffset(s string) (int, bool) {
	s = strings.TrimSpace(s)
	if len(s) != 5 && len(s) != 7 || (s[0] != '+' && s[0] != '-') {
		return 0, false
	}
	n := 0
	for i := 1; i < len(s); i += 2 {
		v, err := strconv.Atoi(s[i : i+2])
		if err != nil || v < 0 || v > 59 && i > 1 {
			return 0, false
		}
		n = n*60 + v
	}
	if len(s) == 5 {
		n *= 60
	}
	if n > 26*3600 {
		return 0, false
	}
	if s[0] == '-' {
		n = -n
	}
	return n, true
}

// posixRule turns a yearly VTIMEZONE rule such as
// "FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU" (or the older
// "BYDAY=SU;BYMONTHDAY=8,9,10,11,12,13,14") into "M3.5.0/02:00:00".
func posixRule(rule, dtstart string) string {
	var month, week, day = 0, 0, -1
	var monthDays []int
	for _, part := range strings.Split(strings.ToUpper(rule), ";") {
		k, v, _ := strings.Cut(part, "=")
		switch k {
		case "FREQ":
			if v != "YEARLY" {
				return ""
			}
		case "BYMONTH":
			m, err := strconv.Atoi(v)
			if err != nil || m < 1 || m > 12 {
				return ""
			}
			month = m
		case "BYDAY":
			i := len(v) - 2
			if i < 0 {
				return ""
			}
			d := strings.Index("SUMOTUWETHFRSA", v[i:])
			if d < 0 || d%2 != 0 {
				return ""
			}
			day = d / 2
			if i > 0 {
				n, err := strconv.Atoi(strings.TrimPrefix(v[:i], "+"))
				if err != nil || n == 0 || n > 4 || n < -1 {
					return ""
				}
				if n == -1 {
					n = 5
				}
				week = n
			}
		case "BYMONTHDAY":
			for _, f := range strings.Split(v, ",") {
				n, err := strconv.Atoi(f)
				if err != nil {
					return ""
				}
				monthDays = append(monthDays, n)
			}
		}
	}
	if week == 0 && len(monthDays) > 0 {
		// A run of seven month days picks one weekday: 8..14 is the second,
		// -7..-1 the last.
		first := monthDays[0]
		switch {
		case first < 0:
			week = 5
		case (first-1)%7 == 0 && first <= 22:
			week = (first-1)/7 + 1
		}
	}
	if month == 0 || week == 0 || day < 0 {
		return ""
	}
	clock := "02:00:00"
	if i := strings.IndexByte(dtstart, 'T'); i >= 0 && len(dtstart) >= i+7 {
		c := dtstart[i+1 : i+7]
		if _, err := strconv.Atoi(c); err == nil {
			clock = c[0:2] + ":" + c[2:4] + ":" + c[4:6]
		}
	}
	return fmt.Sprintf("M%d.%d.%d/%s", month, week, day, clock)
}

// posixName quotes a zone abbreviation in the <...> form, keeping only the
// characters POSIX allows there.
func posixName(name, fallback string) string {
	var b strings.Builder
	for _, r := range name {
		if r < 128 && (r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '+' || r == '-') {
			b.WriteRune(r)
		}
	}
	if b.Len() < 3 {
		return "<" + fallback + ">"
	}
	return "<" + b.String() + ">"
}

// posixOffset writes an offset east of UTC in POSIX's inverted sign.
func posixOffset(east int) string {
	west, sign := -east, ""
	if west < 0 {
		west, sign = -west, "-"
	}
	return fmt.Sprintf("%s%d:%02d:%02d", sign, west/3600, west/60%60, west%60)
}

// tzif writes a version-2 TZif file with no transitions, one zone type and
// the POSIX rule as its footer, which the time package applies to all times.
func tzif(offset int, rule string) []byte {
	var b bytes.Buffer
	block := func() {
		b.WriteString("TZif2")
		b.Write(make([]byte, 15))
		for _, n := range []uint32{0, 0, 0, 0, 1, 4} { // isut, isstd, leap, time, type, char counts
			_ = binary.Write(&b, binary.BigEndian, n)
		}
		_ = binary.Write(&b, binary.BigEndian, int32(offset))
		b.Write([]byte{0, 0})
		b.WriteString("STD\x00")
	}
	block() // version 1 data, skipped by readers of version 2
	block()
	b.WriteString("\n" + rule + "\n")
	return b.Bytes()
}
