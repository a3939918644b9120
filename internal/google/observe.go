package google

import (
	"net/http"
	"strings"
	"time"

	"github.com/jarvis-hq/jarvis/internal/quota"
)

// Observer is told of every HTTP call to Google and every token refresh,
// for metrics. It never sees who a call was for.
type Observer interface {
	// GoogleCall reports one HTTP call (each attempt of a retried one):
	// its API method (APIMethod), its outcome (ok, 4xx, 429, 5xx, or
	// error when no answer came) and how long it took to its headers.
	GoogleCall(method, outcome string, elapsed time.Duration)
	// TokenRefresh reports a refresh of an access token at Google: ok,
	// reauth_required (the grant is gone) or error.
	TokenRefresh(outcome string)
}

// observedTransport reports each call it sends to the observer.
type observedTransport struct {
	base http.RoundTripper
	obs  Observer
}

func (t observedTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	start := time.Now()
	resp, err := t.base.RoundTrip(req)
	t.obs.GoogleCall(APIMethod(req.Method, req.URL.EscapedPath()), Outcome(resp, err), time.Since(start))
	return resp, err
}

// Outcome classifies an answer from Google: ok (below 400), 429, 4xx, 5xx,
// or error when there was none.
func Outcome(resp *http.Response, err error) string {
	switch {
	case err != nil || resp == nil:
		return "error"
	case resp.StatusCode == http.StatusTooManyRequests:
		return "429"
	case resp.StatusCode >= 500:
		return "5xx"
	case resp.StatusCode >= 400:
		return "4xx"
	}
	return "ok"
}

// APIMethod names the Google API method a request calls, as Google's
// discovery documents do (gmail.users.threads.list, calendar.events.list,
// oauth2.token), from its HTTP method and URL path; the base URL may put a
// prefix before the API's path. A call it does not know is "<api>.other",
// or "other": never a part of the path itself, which holds ids.
func APIMethod(httpMethod, path string) string {
	if i := strings.Index(path, "/gmail/v1/users/"); i >= 0 {
		m, _ := quota.Method(httpMethod, path[i:])
		if m == "gmail.other" {
			return m
		}
		return "gmail.users." + strings.TrimPrefix(m, "gmail.")
	}
	if i := strings.Index(path, "/calendar/v3/"); i >= 0 {
		return calendarMethod(httpMethod, strings.Split(path[i+len("/calendar/v3/"):], "/"))
	}
	switch {
	case strings.HasSuffix(path, "/token"):
		return "oauth2.token"
	case strings.HasSuffix(path, "/revoke"):
		return "oauth2.revoke"
	case strings.HasSuffix(path, "/.well-known/openid-configuration"):
		return "oidc.discovery"
	case strings.HasSuffix(path, "/certs"):
		return "oidc.jwks"
	case strings.HasSuffix(path, "/userinfo"):
		return "oauth2.userinfo"
	case strings.Contains(path, "/subscriptions/"):
		if _, verb, ok := strings.Cut(path[strings.LastIndexByte(path, '/'):], ":"); ok && isWord(verb) {
			return "pubsub.projects.subscriptions." + verb
		}
		return "pubsub.other"
	}
	return "other"
}

// calendarMethod names a Calendar call from the segments after /calendar/v3/.
func calendarMethod(httpMethod string, s []string) string {
	get, post := httpMethod == http.MethodGet, httpMethod == http.MethodPost
	switch {
	case len(s) == 2 && s[0] == "calendars" && get:
		return "calendar.calendars.get"
	case len(s) >= 3 && s[0] == "calendars" && s[2] == "events":
		e := s[3:]
		switch {
		case len(e) == 0 && get:
			return "calendar.events.list"
		case len(e) == 0 && post:
			return "calendar.events.insert"
		case len(e) == 1 && post && (e[0] == "watch" || e[0] == "import" || e[0] == "quickAdd"):
			return "calendar.events." + e[0]
		case len(e) == 1:
			switch httpMethod {
			case http.MethodGet:
				return "calendar.events.get"
			case http.MethodPatch:
				return "calendar.events.patch"
			case http.MethodPut:
				return "calendar.events.update"
			case http.MethodDelete:
				return "calendar.events.delete"
			}
		case len(e) == 2 && get && e[1] == "instances":
			return "calendar.events.instances"
		case len(e) == 2 && post && e[1] == "move":
			return "calendar.events.move"
		}
	case len(s) == 2 && s[0] == "channels" && s[1] == "stop" && post:
		return "calendar.channels.stop"
	case len(s) == 1 && s[0] == "freeBusy" && post:
		return "calendar.freebusy.query"
	case len(s) == 3 && s[0] == "users" && s[2] == "calendarList" && get:
		return "calendar.calendarList.list"
	case len(s) == 4 && s[0] == "users" && s[2] == "calendarList" && get:
		return "calendar.calendarList.get"
	}
	return "calendar.other"
}

// isWord reports whether s is a short run of letters (a method verb such as
// pull or acknowledge).
func isWord(s string) bool {
	if s == "" || len(s) > 32 {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return false
		}
	}
	return true
}
