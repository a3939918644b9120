// Package quota keeps each Google account's Gmail calls within a budget of
// quota units per minute, charged at Google's cost per method, and shared by
// every replica: in Redis when it is configured, else in PostgreSQL, else
// (SQLite, one process) in memory.
//
// The budget is a token bucket kept as a generic cell rate algorithm
// (GCRA): one timestamp per account, the theoretical arrival time, that a
// call moves forward by its cost. Interactive calls may empty the bucket;
// background calls (the sync engine) must leave a reserve in it for them,
// and wait, bounded by their context, until they can. An interactive call
// the bucket cannot pay for within a short wait fails at once with
// ERATELIMITED and the time to retry. A 429 from Google pauses the account,
// on every replica, until the time Google gave.
package quota

import (
	"context"
	"net/http"
	"strings"
)

// costs are the quota units of each Gmail method, from the Gmail API's
// usage limits (developers.google.com/gmail/api/reference/quota). The
// sandbox models the same table (a test keeps them equal).
var costs = map[string]int{
	"gmail.drafts.create": 10, "gmail.drafts.delete": 10, "gmail.drafts.get": 5, "gmail.drafts.list": 5,
	"gmail.drafts.send": 100, "gmail.drafts.update": 15, "gmail.getProfile": 1, "gmail.history.list": 2,
	"gmail.labels.create": 5, "gmail.labels.delete": 5, "gmail.labels.get": 1, "gmail.labels.list": 1,
	"gmail.labels.update": 5, "gmail.labels.patch": 5, "gmail.messages.attachments.get": 5,
	"gmail.messages.batchDelete": 50, "gmail.messages.batchModify": 50, "gmail.messages.delete": 10,
	"gmail.messages.get": 5, "gmail.messages.import": 25, "gmail.messages.insert": 25,
	"gmail.messages.list": 5, "gmail.messages.modify": 5, "gmail.messages.send": 100,
	"gmail.messages.trash": 5, "gmail.messages.untrash": 5, "gmail.threads.delete": 20,
	"gmail.threads.get": 10, "gmail.threads.list": 10, "gmail.threads.modify": 10,
	"gmail.threads.trash": 10, "gmail.threads.untrash": 10, "gmail.watch": 100, "gmail.stop": 50,
}

// DefaultCost is what a Gmail method missing from the table costs.
const DefaultCost = 5

// Cost returns the quota units of a Gmail method ("gmail.messages.get").
func Cost(method string) int {
	if c, ok := costs[method]; ok {
		return c
	}
	return DefaultCost
}

// Costs returns a copy of the cost table.
func Costs() map[string]int {
	out := make(map[string]int, len(costs))
	for k, v := range costs {
		out[k] = v
	}
	return out
}

// Method names the Gmail method a request calls, from its HTTP method and
// URL path (/gmail/v1/users/{userId}/… or the /upload/ form). ok is false
// for anything that is not a Gmail API call (Calendar, OAuth); a Gmail path
// this table does not know is "gmail.other", charged DefaultCost.
func Method(httpMethod, path string) (method string, ok bool) {
	var rest string
	switch {
	case strings.HasPrefix(path, "/gmail/v1/users/"):
		rest = strings.TrimPrefix(path, "/gmail/v1/users/")
	case strings.HasPrefix(path, "/upload/gmail/v1/users/"):
		rest = strings.TrimPrefix(path, "/upload/gmail/v1/users/")
	default:
		return "", false
	}
	segs := strings.Split(rest, "/")
	if len(segs) < 2 {
		return "gmail.other", true
	}
	a := segs[1:]
	n := len(a)
	get, post := httpMethod == http.MethodGet, httpMethod == http.MethodPost
	switch a[0] {
	case "profile":
		return "gmail.getProfile", true
	case "watch":
		return "gmail.watch", true
	case "stop":
		return "gmail.stop", true
	case "history":
		return "gmail.history.list", true
	case "labels", "messages", "threads", "drafts":
		res := "gmail." + a[0]
		switch {
		case n == 1 && get:
			return res + ".list", true
		case n == 1 && post && a[0] == "messages":
			return res + ".insert", true
		case n == 1 && post:
			return res + ".create", true
		case n == 2 && post && (a[1] == "send" || a[1] == "import" || a[1] == "batchModify" || a[1] == "batchDelete"):
			return res + "." + a[1], true
		case n == 2 && get:
			return res + ".get", true
		case n == 2 && httpMethod == http.MethodDelete:
			return res + ".delete", true
		case n == 2 && httpMethod == http.MethodPut:
			return res + ".update", true
		case n == 2 && httpMethod == http.MethodPatch:
			return res + ".patch", true
		case n == 3 && post:
			return res + "." + a[2], true // modify, trash, untrash
		case n == 4 && a[0] == "messages" && a[2] == "attachments":
			return "gmail.messages.attachments.get", true
		}
	}
	return "gmail.other", true
}

// Priority says who waits for a call: a person, or the background sync.
type Priority int

const (
	// Interactive calls answer a person: they may use the whole budget
	// and never wait long.
	Interactive Priority = iota
	// Background calls (sync, backfill, watch renewal) leave the reserve
	// to interactive calls and wait for their turn.
	Background
)

// String names the priority: interactive or background.
func (p Priority) String() string {
	if p == Background {
		return "background"
	}
	return "interactive"
}

type priorityKey struct{}

// WithPriority marks the Google calls made with ctx as of priority p.
func WithPriority(ctx context.Context, p Priority) context.Context {
	return context.WithValue(ctx, priorityKey{}, p)
}

// InBackground marks ctx's calls as background work (it fits the sync
// engine's Config.Background).
func InBackground(ctx context.Context) context.Context { return WithPriority(ctx, Background) }

// PriorityOf returns the priority ctx carries; Interactive when none.
func PriorityOf(ctx context.Context) Priority {
	p, _ := ctx.Value(priorityKey{}).(Priority)
	return p
}
