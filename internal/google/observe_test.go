package google

import (
	"errors"
	"net/http"
	"testing"
)

func TestAPIMethod(t *testing.T) {
	for _, c := range []struct{ method, path, want string }{
		{"GET", "/gmail/v1/users/me/threads", "gmail.users.threads.list"},
		{"GET", "/gmail/v1/users/me/threads/18c2f0a1b2c3d4e5", "gmail.users.threads.get"},
		{"GET", "/proxy/gmail/v1/users/me/messages/abc/attachments/def", "gmail.users.messages.attachments.get"},
		{"POST", "/upload/gmail/v1/users/me/drafts", "gmail.users.drafts.create"},
		{"GET", "/gmail/v1/users/me/profile", "gmail.users.getProfile"},
		{"GET", "/gmail/v1/users/me/history", "gmail.users.history.list"},
		{"POST", "/gmail/v1/users/me/watch", "gmail.users.watch"},
		{"GET", "/gmail/v1/users/me/unknown/x/y/z", "gmail.other"},
		{"GET", "/calendar/v3/calendars/primary/events", "calendar.events.list"},
		{"GET", "/calendar/v3/calendars/ada%40example.com/events/ev1", "calendar.events.get"},
		{"POST", "/calendar/v3/calendars/primary/events/watch", "calendar.events.watch"},
		{"POST", "/calendar/v3/channels/stop", "calendar.channels.stop"},
		{"POST", "/calendar/v3/freeBusy", "calendar.freebusy.query"},
		{"GET", "/calendar/v3/users/me/calendarList", "calendar.calendarList.list"},
		{"GET", "/calendar/v3/whatever/ada@example.com", "calendar.other"},
		{"POST", "/token", "oauth2.token"},
		{"POST", "/revoke", "oauth2.revoke"},
		{"GET", "/.well-known/openid-configuration", "oidc.discovery"},
		{"GET", "/oauth2/v3/certs", "oidc.jwks"},
		{"POST", "/v1/projects/p/subscriptions/s:pull", "pubsub.projects.subscriptions.pull"},
		{"POST", "/v1/projects/p/subscriptions/s:a-b", "pubsub.other"},
		{"GET", "/users/ada@example.com", "other"},
	} {
		if got := APIMethod(c.method, c.path); got != c.want {
			t.Errorf("APIMethod(%s %s) = %q, want %q", c.method, c.path, got, c.want)
		}
	}
}

func TestOutcome(t *testing.T) {
	for _, c := range []struct {
		status int
		err    error
		want   string
	}{{200, nil, "ok"}, {304, nil, "ok"}, {404, nil, "4xx"}, {429, nil, "429"}, {503, nil, "5xx"}, {0, errors.New("refused"), "error"}} {
		var resp *http.Response
		if c.err == nil {
			resp = &http.Response{StatusCode: c.status}
		}
		if got := Outcome(resp, c.err); got != c.want {
			t.Errorf("Outcome(%d, %v) = %q, want %q", c.status, c.err, got, c.want)
		}
	}
}
