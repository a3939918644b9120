package sandbox

import (
	"net/http"
	"slices"
	"strings"

	"github.com/jarvis-hq/jarvis/internal/sandbox/calendar"

	"github.com/jarvis-hq/jarvis/internal/sandbox/wire"
)

// Scope sets that open Google APIs; any one scope of a set suffices.
const googleAuth = "https://www.googleapis.com/auth/"

var (
	gmailRead     = []string{googleAuth + "gmail.readonly", googleAuth + "gmail.modify", "https://mail.google.com/"}
	gmailMetadata = append(slices.Clone(gmailRead), googleAuth+"gmail.metadata")
	gmailDrafts   = append(slices.Clone(gmailRead), googleAuth+"gmail.compose")
	gmailCompose  = []string{googleAuth + "gmail.compose", googleAuth + "gmail.modify", "https://mail.google.com/"}
	gmailModify   = []string{googleAuth + "gmail.modify", "https://mail.google.com/"}
	gmailLabels   = append(slices.Clone(gmailMetadata), googleAuth+"gmail.labels", googleAuth+"gmail.compose")
	gmailAny      = append(slices.Clone(gmailLabels), googleAuth+"gmail.send", googleAuth+"gmail.insert")
	// Writes, as the Gmail API reference lists each method's scopes.
	gmailSend        = append(slices.Clone(gmailCompose), googleAuth+"gmail.send")
	gmailInsert      = []string{googleAuth + "gmail.insert", googleAuth + "gmail.modify", "https://mail.google.com/"}
	gmailLabelsWrite = []string{googleAuth + "gmail.labels", googleAuth + "gmail.modify", "https://mail.google.com/"}
	gmailFull        = []string{"https://mail.google.com/"}
	calendarRead     = []string{googleAuth + "calendar.readonly", googleAuth + "calendar", googleAuth + "calendar.events.readonly", googleAuth + "calendar.events"}
	// Calendar writes, as the Calendar API reference lists their scopes:
	// the read-only scopes are refused (403 insufficientPermissions).
	calendarWrite = []string{googleAuth + "calendar", googleAuth + "calendar.events", googleAuth + "calendar.events.owned"}
	// calendarEvents reads events (list, get, instances, watch).
	calendarEvents = append(slices.Clone(calendarRead), googleAuth+"calendar.events.owned", googleAuth+"calendar.events.owned.readonly")
)

// calendarScopes are the scopes that open a Calendar method.
func calendarScopes(method string) []string {
	if calendar.Writes(method) {
		return calendarWrite
	}
	if strings.HasPrefix(method, "calendar.events.") {
		return calendarEvents
	}
	return calendarRead
}

// authenticate checks the bearer token of an API call and answers 401 itself
// when it is missing ("required", Login Required) or invalid, expired or
// revoked ("authError", Invalid Credentials).
func (s *Server) authenticate(w http.ResponseWriter, r *http.Request) (*account, *family, bool) {
	tok, ok := bearer(r)
	if !ok {
		w.Header().Set("WWW-Authenticate", `Bearer realm="https://accounts.google.com/"`)
		wire.WriteError(w, http.StatusUnauthorized, wire.ErrorItem{Domain: "global", Reason: "required", Message: "Login Required.", Location: "Authorization", LocationType: "header"})
		return nil, nil, false
	}
	fam, ok := s.tokens.lookupAccess(tok)
	if !ok || s.byEmail[fam.email] == nil {
		w.Header().Set("WWW-Authenticate", `Bearer realm="https://accounts.google.com/", error="invalid_token"`)
		wire.WriteError(w, http.StatusUnauthorized, wire.ErrorItem{Domain: "global", Reason: "authError", Message: "Invalid Credentials", Location: "Authorization", LocationType: "header"})
		return nil, nil, false
	}
	return s.byEmail[fam.email], fam, true
}

// permitted answers 403 insufficientPermissions unless the grant holds one
// of the scopes.
func permitted(w http.ResponseWriter, fam *family, anyOf []string) bool {
	for _, sc := range fam.scopes {
		if slices.Contains(anyOf, sc) {
			return true
		}
	}
	w.Header().Set("WWW-Authenticate", `Bearer realm="https://accounts.google.com/", error="insufficient_scope"`)
	wire.WriteError(w, http.StatusForbidden, wire.ErrorItem{Domain: "global", Reason: "insufficientPermissions", Message: "Request had insufficient authentication scopes."})
	return false
}
