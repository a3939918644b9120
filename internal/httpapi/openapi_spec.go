package httpapi

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/jarvis-hq/jarvis"
)

// OpenAPIDocument is the OpenAPI 3.1 description, built once from the
// operation table below and the Go types of the requests and responses.
var OpenAPIDocument = sync.OnceValue(func() []byte {
	b, err := json.MarshalIndent(buildSpec(), "", "  ")
	if err != nil {
		panic(err)
	}
	return b
})

// param is a path or query parameter.
type param struct {
	name, in, typ, desc string
	required            bool
}

// operation describes one route. Every route the server registers must have
// one, and every status a test sees it answer must be listed: a test holds
// the two together.
type operation struct {
	method, path, summary, tag string
	auth                       bool
	params                     []param
	body                       any    // request body type, JSON
	ok                         int    // success status
	resp                       any    // success body type, JSON; nil for none
	media                      string // success media type when not JSON
	errors                     []int
	headers                    []string       // request headers it reads
	upload                     bool           // body also as multipart/form-data: the JSON in "draft", files in "attachments"
	also                       map[int]string // other success statuses, with what they mean
}

func q(name, typ, desc string) param { return param{name: name, in: "query", typ: typ, desc: desc} }
func path(name, desc string) param {
	return param{name: name, in: "path", typ: "string", desc: desc, required: true}
}
func errs(codes ...int) []int       { return codes }
func authErrs(codes ...int) []int   { return append([]int{401}, codes...) }
func googleErrs(codes ...int) []int { return append(authErrs(403, 404, 409, 429, 502, 504), codes...) }

// eventScopeQ is how far a change to an event reaches in its series.
var eventScopeQ = q("scope", "string", "instance, following or series; default: what the id names (an instance, or the series)")

// accountQ is the account a Gmail or Calendar route acts for.
var accountQ = q("account", "string", "an account id or email as GET /accounts lists them; default: the primary. Another user's, or an unknown one, is 404")

func orgErrs(codes ...int) []int  { return authErrs(append([]int{403, 404}, codes...)...) }
func chatErrs(codes ...int) []int { return authErrs(append([]int{503}, codes...)...) }

type eventsResponse struct {
	Account  *jarvis.AccountRef  `json:"account,omitempty" doc:"The account read (one account asked for)."`
	Accounts []jarvis.AccountRef `json:"accounts,omitempty" doc:"The accounts merged (account=all), the primary first."`
	Events   []jarvis.Event      `json:"events"`
	Source   string              `json:"source" doc:"index: answered from the local index, with no call to Google (every account's calendar synced); google: read from Google."`
}
type invitationsResponse struct {
	Invitations []jarvis.Invitation `json:"invitations"`
}

type membersResponse struct {
	Members []jarvis.Member `json:"members"`
}
type startResponse struct {
	AuthorizationURL string `json:"authorization_url"`
	State            string `json:"state"`
}
type healthResponse struct {
	Status string `json:"status"`
}
type readyResponse struct {
	Status string            `json:"status"`
	Checks map[string]string `json:"checks"`
}

var operations = []operation{
	{method: "GET", path: "/livez", summary: "Liveness: the process answers (no dependency is checked)", tag: "service", ok: 200, resp: healthResponse{}},
	{method: "GET", path: "/readyz", summary: "Readiness: the database answers (never Google or the LLM). 503 service_unavailable naming the failing check in field, or field shutdown from SIGTERM on, while the replica drains. Redis, when configured, is reported in checks (ok or unavailable) without making the replica unready: its limits fail open", tag: "service", ok: 200, resp: readyResponse{}, errors: errs(503)},
	{method: "GET", path: "/health", summary: "Liveness, as GET /livez", tag: "service", ok: 200, resp: healthResponse{}},
	{method: "GET", path: "/ready", summary: "Readiness, as GET /readyz", tag: "service", ok: 200, resp: readyResponse{}, errors: errs(503)},
	{method: "GET", path: "/openapi.json", summary: "This description", tag: "service", ok: 200, resp: map[string]any{}},
	{method: "GET", path: "/me", summary: "The caller, their orgs and roles, and their Google connection", tag: "auth", auth: true, ok: 200, resp: meResponse{}, errors: authErrs()},
	{method: "POST", path: "/auth/logout", summary: "Revoke the token this request is made with", tag: "auth", auth: true, ok: 204, errors: authErrs(403)},
	{method: "POST", path: "/auth/logout-all", summary: "Revoke every token of the caller (sign out everywhere)", tag: "auth", auth: true, ok: 204, errors: authErrs(403)},
	{method: "GET", path: "/auth/google/start", summary: "Start a Google sign-in: 302 to Google, setting a short-lived cookie that binds the sign-in to this browser; or the URL as JSON, without a cookie, with Accept: application/json. 429 past the per-address limit", tag: "auth",
		params: []param{q("redirect", "string", "a path on this site to land on after sign-in")}, ok: 200, resp: startResponse{}, errors: errs(302, 429, 502)},
	{method: "GET", path: "/auth/google/callback", summary: "Google's redirect back: signs the browser that started the sign-in in with cookies and redirects (303) to the app (another browser: 303 to /signin?error=signin_other_browser, or 403); with Accept: application/json, answers the token instead. For a flow started by POST /accounts/connect: connects the account to the signed-in user and redirects (303) to its redirect (a failure: 303 to /settings?error=CODE), or answers {user, account}", tag: "auth",
		params: []param{q("code", "string", ""), q("state", "string", ""), q("error", "string", "")}, ok: 200, resp: tokenResponse{}, errors: errs(303, 400, 401, 403, 409, 429, 502, 504)},
	{method: "POST", path: "/auth/google/callback", summary: "Finish a Google sign-in for an API client: a Jarvis access token. 409 conflict when the email belongs to a user linked to another Google account. Finishing a flow started by POST /accounts/connect needs the same user's bearer token, and answers {user, account} without a token (409 " + jarvis.EACCOUNTLINKED + " when another user holds the Google account)", tag: "auth",
		body: callbackRequest{}, ok: 200, resp: tokenResponse{}, errors: errs(400, 401, 403, 409, 413, 429, 502, 504)},
	{method: "DELETE", path: "/auth/google", summary: "Disconnect Google: every account of the user, each revoked and deleted as DELETE /accounts/{id} does; the user keeps a Jarvis login", tag: "auth", auth: true, ok: 204, errors: authErrs(403, 404)},

	{method: "GET", path: "/orgs/{org_id}/members", summary: "List an org's members", tag: "orgs", auth: true, params: []param{path("org_id", "")}, ok: 200, resp: membersResponse{}, errors: orgErrs()},
	{method: "POST", path: "/orgs/{org_id}/members", summary: "Invite someone by email (owners and admins): they join only when they accept. The answer does not say whether the email belongs to a user", tag: "orgs", auth: true, params: []param{path("org_id", "")},
		body: memberRequest{}, ok: 201, resp: jarvis.Invitation{}, errors: orgErrs(400, 409, 413)},
	{method: "PATCH", path: "/orgs/{org_id}/members/{user_id}", summary: "Change a member's role (owners and admins)", tag: "orgs", auth: true,
		params: []param{path("org_id", ""), path("user_id", "")}, body: roleRequest{}, ok: 200, resp: jarvis.Member{}, errors: orgErrs(400, 409, 413)},
	{method: "GET", path: "/orgs/{org_id}/invitations", summary: "The org's pending invitations (owners and admins)", tag: "orgs", auth: true,
		params: []param{path("org_id", "")}, ok: 200, resp: invitationsResponse{}, errors: orgErrs()},
	{method: "DELETE", path: "/orgs/{org_id}/invitations/{id}", summary: "Withdraw a pending invitation (owners and admins)", tag: "orgs", auth: true,
		params: []param{path("org_id", ""), path("id", "")}, ok: 204, errors: orgErrs(400)},
	{method: "GET", path: "/invitations", summary: "The pending invitations to the caller's email, with each org's name and who invited them", tag: "orgs", auth: true,
		ok: 200, resp: invitationsResponse{}, errors: authErrs()},
	{method: "POST", path: "/invitations/{id}/accept", summary: "Accept an invitation: join the org with its role", tag: "orgs", auth: true,
		params: []param{path("id", "")}, ok: 200, resp: jarvis.Member{}, errors: authErrs(400, 404)},
	{method: "POST", path: "/invitations/{id}/decline", summary: "Decline an invitation", tag: "orgs", auth: true,
		params: []param{path("id", "")}, ok: 204, errors: authErrs(400, 404)},
	{method: "DELETE", path: "/orgs/{org_id}/members/{user_id}", summary: "Remove a member (owners and admins); with user_id me (or your own id), leave the org — 409 for its last owner", tag: "orgs", auth: true,
		params: []param{path("org_id", ""), path("user_id", "")}, ok: 204, errors: orgErrs(409)},
	{method: "GET", path: "/orgs/{org_id}/audit-logs", summary: "The org's audit log, newest first (owners and admins)", tag: "orgs", auth: true,
		params: []param{path("org_id", ""), q("action", "string", "one of: "+strings.Join(jarvis.AuditActions, ", ")), q("actor_user_id", "string", ""), q("page_token", "string", ""), q("max_results", "integer", "1–200, default 50")},
		ok:     200, resp: jarvis.AuditPage{}, errors: orgErrs(400)},

	{method: "GET", path: "/accounts", summary: "The user's connected Google accounts, the primary first: id, email, name, picture, primary, status, granted scopes, connected and last used times", tag: "accounts", auth: true,
		ok: 200, resp: accountsResponse{}, errors: authErrs()},
	{method: "POST", path: "/accounts/connect", summary: "Start connecting one more Google account (or reconnecting one, with login_hint): the consent URL (prompt=consent select_account) and its state, with the same state, PKCE, nonce and allowlist rules as a sign-in. A browser also gets the cookie binding the flow to it. Google's redirect comes back to /auth/google/callback, which connects the account to the caller — only to the caller, who must be signed in there (or send the same bearer token) — and answers {user, account} (a browser: 303 to redirect, default /settings). 409 " + jarvis.EACCOUNTLINKED + " when another Jarvis user holds that Google account", tag: "accounts", auth: true,
		body: connectRequest{}, ok: 200, resp: startResponse{}, errors: authErrs(400, 403, 413)},
	{method: "GET", path: "/events", summary: "The user's changes as server-sent events, from every replica: mail.changed {account_id, thread_ids}, calendar.changed {account_id} and sync.progress {account_id, phase, done, total}; a comment every 25 s keeps the stream open; a reader too slow to keep up gets event reload and the stream ends (reconnect and refetch); an event too large to carry between replicas arrives with only account_id and truncated: true. The stream ends when its token expires or is revoked (a logout on any replica). At most 8 streams per user per replica at once (429)", tag: "sync", auth: true,
		ok: 200, media: "text/event-stream", errors: authErrs(429, 503)},
	{method: "GET", path: "/accounts/{id}/sync", summary: "How far the account's sync into the local index is: phase, done, total, rate, eta, the history cursor, the last push, success and error, the watch expiry, and the calendar's sync (synced, window, last push and success, channel expiry)", tag: "accounts", auth: true,
		params: []param{path("id", "an account id (or email) as GET /accounts lists it")}, ok: 200, resp: syncStatus{}, errors: authErrs(404)},
	{method: "POST", path: "/webhooks/google/pubsub", summary: "Cloud Pub/Sub's push of a Gmail notification. The OIDC bearer token is verified first (Google's signature, iss, aud = JARVIS_PUBSUB_AUDIENCE, expiry, email = JARVIS_PUBSUB_SERVICE_ACCOUNT, email_verified): 401 without a valid one, 403 for another service account, and nothing is recorded. A valid push durably raises the account's high-water historyId and schedules its sync in one transaction, then answers 204 (also for an address no account has, so that Pub/Sub stops retrying); 503 when Jarvis is not in push mode", tag: "sync",
		ok: 204, errors: errs(400, 401, 403, 413, 503)},
	{method: "POST", path: "/webhooks/google/calendar", summary: "Google Calendar's notification on a channel Jarvis opened with events.watch (headers X-Goog-Channel-ID, X-Goog-Channel-Token, X-Goog-Resource-ID, X-Goog-Resource-State; no body). The channel id and its secret token are checked first (the token's SHA-256, compared in constant time): 401 without an id or token, 403 for a channel Jarvis has not open or a wrong token or resource, and nothing is recorded. A good notification durably records the push and schedules the account's calendar sync in one transaction, then answers 204; resource state sync (the channel was opened) is only acknowledged; 503 when Jarvis is not in push mode", tag: "sync",
		ok: 204, errors: errs(401, 403, 503)},
	{method: "PATCH", path: "/accounts/{id}", summary: "Make the account the primary (the one Gmail and Calendar use when a request names none)", tag: "accounts", auth: true,
		params: []param{path("id", "an account id (or email) as GET /accounts lists it")}, body: accountUpdate{}, ok: 200, resp: jarvis.GoogleAccount{}, errors: authErrs(400, 403, 404, 413)},
	{method: "DELETE", path: "/accounts/{id}", summary: "Disconnect the account: its grant revoked at Google, its tokens and everything Jarvis stored for it deleted, a google.disconnect audit row. When it was the primary, the earliest connected other account becomes primary. The last account goes only with " + keepLoginParam + "=true (else 409 " + jarvis.ELASTACCOUNT + "): the user then keeps their Jarvis login, sessions and data, Gmail and Calendar answer google_reauth_required until an account is connected again, and signing in with Google again (the account the user signed up with links back to them) connects it", tag: "accounts", auth: true,
		params: []param{path("id", "an account id (or email) as GET /accounts lists it"), q(keepLoginParam, "boolean", "true to disconnect the user's last Google account and keep a Jarvis login without Google")}, ok: 204, errors: authErrs(400, 403, 404, 409)},

	{method: "GET", path: "/gmail/labels", summary: "The Gmail labels of one account; once the account is synced, from the local index with their message and thread counts (source: index), with no call to Google", tag: "gmail", auth: true, params: []param{accountQ}, ok: 200, resp: jarvis.LabelList{}, errors: googleErrs(400)},
	{method: "GET", path: "/gmail/threads", summary: "A page of threads of one account, or of every account merged newest first with account=all (each thread naming its account). Once an account is synced, served from the local index with no call to Google when every operator of q is one the index answers exactly (source: index); otherwise asked of Gmail (source: gmail)", tag: "gmail", auth: true,
		params: []param{q("account", "string", "an account id or email as GET /accounts lists them, or all for every account merged; default: the primary. Another user's, or an unknown one, is 404"), q("q", "string", "Gmail search syntax"), q("label", "string", "a label id"), q("page_token", "string", "next_page_token of the previous page, with the same account, q and label"), q("max_results", "integer", "1–100, default 25")},
		ok:     200, resp: jarvis.ThreadPage{}, errors: googleErrs(400)},
	{method: "GET", path: "/gmail/thread/{id}", summary: "A thread with its messages decoded", tag: "gmail", auth: true, params: []param{path("id", "a Gmail thread id: hexadecimal digits"), accountQ},
		ok: 200, resp: jarvis.Thread{}, errors: googleErrs(400)},
	{method: "GET", path: "/gmail/message/{message_id}/html", summary: "A message's HTML, sanitised, for a sandboxed iframe", tag: "gmail", auth: true,
		params: []param{path("message_id", ""), accountQ, q("images", "string", "1 to allow remote images")}, ok: 200, media: "text/html", errors: googleErrs(400)},
	{method: "GET", path: "/gmail/message/{message_id}/attachment/{attachment_id}", summary: "An attachment's bytes, as a download", tag: "gmail", auth: true,
		params: []param{path("message_id", ""), path("attachment_id", ""), accountQ}, ok: 200, media: "application/octet-stream", errors: googleErrs(400, 413)},
	{method: "POST", path: "/gmail/drafts", summary: "Create a draft in one account: new, a threaded reply (reply_to_thread_id: the thread must be in that account), a reply-all (reply_all) or a forward (forward_message_id, its attachments kept unless in remove_attachment_ids). As JSON, or multipart/form-data with the JSON in the part \"draft\" and files in parts \"attachments\" (25 MB together with forwarded attachments, else 413; each file's type sniffed from its content; filenames RFC 2231-encoded in the message)", tag: "gmail", auth: true,
		params: []param{accountQ}, body: jarvis.DraftInput{}, upload: true, ok: 201, resp: jarvis.Draft{}, errors: googleErrs(400, 413), headers: []string{"Idempotency-Key"}},
	{method: "POST", path: "/gmail/draft", summary: "The same as POST /gmail/drafts (its first name)", tag: "gmail", auth: true,
		params: []param{accountQ}, body: jarvis.DraftInput{}, upload: true, ok: 201, resp: jarvis.Draft{}, errors: googleErrs(400, 413), headers: []string{"Idempotency-Key"}},
	{method: "GET", path: "/gmail/drafts/{id}", summary: "A draft of one account with its message decoded (attachment ids as GET /gmail/thread/{id} names them); 404 for a draft the account does not have", tag: "gmail", auth: true,
		params: []param{path("id", "the draft_id Jarvis answered"), accountQ}, ok: 200, resp: jarvis.Draft{}, errors: googleErrs(400)},
	{method: "PUT", path: "/gmail/drafts/{id}", summary: "Replace a draft's content: the same fields (and multipart uploads) as POST /gmail/drafts, composed the same way (a draft that should stay a reply names reply_to_thread_id again); answers the draft. 404 for a draft the account does not have", tag: "gmail", auth: true,
		params: []param{path("id", "the draft_id Jarvis answered"), accountQ}, body: jarvis.DraftInput{}, upload: true, ok: 200, resp: jarvis.Draft{}, errors: googleErrs(400, 413)},
	{method: "DELETE", path: "/gmail/drafts/{id}", summary: "Delete a draft; 404 for a draft the account does not have", tag: "gmail", auth: true,
		params: []param{path("id", "the draft_id Jarvis answered"), accountQ}, ok: 204, errors: googleErrs(400)},
	{method: "POST", path: "/gmail/messages", summary: "Send a message from one account (the fields of a draft, and send_at): it is drafted at once, then sent by Jarvis at the end of the undo window (JARVIS_SEND_UNDO_SECONDS, default 10; 0 sends before answering, with message_id) or at send_at (RFC 3339, in the future, within a year) — held durably, surviving restarts, sent exactly once by one replica. Cancel it until then with DELETE /gmail/scheduled/{id}. With an Idempotency-Key a repeat answers the first answer and sends nothing more", tag: "gmail", auth: true,
		params: []param{accountQ}, body: jarvis.SendInput{}, ok: 202, resp: jarvis.SendResult{}, errors: googleErrs(400, 413), headers: []string{"Idempotency-Key"}},
	{method: "POST", path: "/gmail/drafts/{id}/send", summary: "Send an existing draft of one account, as POST /gmail/messages sends (undo window, optional send_at in the body, Idempotency-Key); 409 when the draft is held by another send already", tag: "gmail", auth: true,
		params: []param{path("id", "a Gmail draft id"), accountQ}, body: jarvis.DraftSendInput{}, ok: 202, resp: jarvis.SendResult{}, errors: googleErrs(400, 413), headers: []string{"Idempotency-Key"}},
	{method: "GET", path: "/gmail/scheduled", summary: "The sends Jarvis holds that have not gone yet — in their undo window, scheduled, or being sent — of every account, the soonest first", tag: "gmail", auth: true,
		ok: 200, resp: scheduledList{}, errors: authErrs(503)},
	{method: "DELETE", path: "/gmail/scheduled/{id}", summary: "Cancel a send in its undo window or scheduled: nothing is sent and its draft stays in Drafts (204, also for a send cancelled already); 409 once it is being sent, was sent or failed; 404 for an unknown id or another user's", tag: "gmail", auth: true,
		params: []param{path("id", "the scheduled_id of the send")}, ok: 204, errors: authErrs(404, 409, 503)},
	{method: "POST", path: "/gmail/threads/{id}/modify", summary: "Add and remove labels on every message of a thread: archive (remove INBOX), mark read or unread (remove or add UNREAD), star (add STARRED), label (add Label_12). The user acting: no approval. Answers the thread as Gmail stores it afterwards, read back, once the local index has it too or after at most 2 s (indexed says which)", tag: "gmail", auth: true,
		params: []param{path("id", "a Gmail thread id: hexadecimal digits"), accountQ}, body: jarvis.ThreadModify{}, ok: 200, resp: jarvis.ThreadChange{}, errors: googleErrs(400, 413)},
	{method: "POST", path: "/gmail/threads/{id}/trash", summary: "Move a thread to the trash (never deleted for good); answers the thread as Gmail stores it afterwards, as modify does", tag: "gmail", auth: true,
		params: []param{path("id", "a Gmail thread id: hexadecimal digits"), accountQ}, ok: 200, resp: jarvis.ThreadChange{}, errors: googleErrs(400)},
	{method: "POST", path: "/gmail/threads/{id}/untrash", summary: "Move a thread out of the trash; answers the thread as Gmail stores it afterwards, as modify does", tag: "gmail", auth: true,
		params: []param{path("id", "a Gmail thread id: hexadecimal digits"), accountQ}, ok: 200, resp: jarvis.ThreadChange{}, errors: googleErrs(400)},
	{method: "GET", path: "/calendar/upcoming", summary: "Upcoming events of an account's primary calendar, recurring ones expanded; with account=all, every account's merged in time order, each event naming its account (if any account fails, so does the answer, naming it). Answered from the local index once the calendars asked for are synced (source index), else from Google (source google)", tag: "calendar", auth: true,
		params: []param{q("account", "string", "an account id or email (default: the primary), or all"), q("days", "integer", "1–90, default 7"), q("max_results", "integer", "1–250, default 50")}, ok: 200, resp: eventsResponse{}, errors: googleErrs(400)},
	{method: "POST", path: "/calendar/events", summary: "Create an event in one account's primary calendar: timed events need time_zone (an IANA zone; start and end as wall-clock times in it or RFC 3339), all-day ones dates; recurrence as RRULE lines; guests invited with send_updates. The user acting: no approval. Answers the event as Google stored it, read back, once the local index has it too or after at most 2 s (indexed says which)", tag: "calendar", auth: true,
		params: []param{accountQ}, body: jarvis.EventCreate{}, ok: 201, resp: jarvis.Event{}, errors: googleErrs(400, 413), headers: []string{"Idempotency-Key"}},
	{method: "PATCH", path: "/calendar/events/{id}", summary: "Change an event: only the fields given. For an instance of a series, scope instance changes it alone, following splits the series there (answering the new series), series changes them all. Answers the event as Google stored it, read back, as create does", tag: "calendar", auth: true,
		params: []param{path("id", "an event id, as GET /calendar/upcoming lists it"), accountQ, eventScopeQ}, body: jarvis.EventUpdate{}, ok: 200, resp: jarvis.Event{}, errors: googleErrs(400, 413)},
	{method: "DELETE", path: "/calendar/events/{id}", summary: "Cancel an event: one instance, it and the following ones (the series ends before it), or the series. Answers the event read back: cancelled, or for following the series, ended early", tag: "calendar", auth: true,
		params: []param{path("id", "an event id, as GET /calendar/upcoming lists it"), accountQ, eventScopeQ, q("send_updates", "string", "all, externalOnly or none (default)")}, ok: 200, resp: jarvis.Event{}, errors: googleErrs(400)},
	{method: "POST", path: "/calendar/events/{id}/rsvp", summary: "Answer an invitation: the user's own response (accepted, declined, tentative) and comment, which the organizer sees. 409 when the user is not a guest", tag: "calendar", auth: true,
		params: []param{path("id", "an event id, as GET /calendar/upcoming lists it"), accountQ}, body: jarvis.EventRSVP{}, ok: 200, resp: jarvis.Event{}, errors: googleErrs(400, 413)},
	{method: "POST", path: "/calendar/suggest", summary: "Propose meeting times: free in the user's calendar (account=all: every account's) and the attendees' (Google free/busy), within the owner's working hours (default Mon–Fri 09:00–17:00 in the calendar's zone), earliest first, none overlapping another", tag: "calendar", auth: true,
		params: []param{q("account", "string", "an account id or email (default: the primary), or all")}, body: jarvis.MeetingRequest{}, ok: 200, resp: jarvis.MeetingSuggestions{}, errors: googleErrs(400, 413)},

	{method: "POST", path: "/chat", summary: "Run one assistant turn, streamed as server-sent events (or one JSON answer with Accept: application/json)", tag: "chat", auth: true,
		body: chatRequest{}, ok: 200, media: "text/event-stream", errors: chatErrs(400, 403, 404, 413, 429)},
	{method: "GET", path: "/conversations", summary: "The user's conversations, newest first", tag: "chat", auth: true,
		params: []param{q("page_token", "string", "next_page_token of the previous page, with the same account, q and label"), q("max_results", "integer", "1–100, default 25")}, ok: 200, resp: jarvis.ConversationPage{}, errors: chatErrs(400)},
	{method: "GET", path: "/conversations/{id}", summary: "A conversation with its messages, tool calls and approvals", tag: "chat", auth: true,
		params: []param{path("id", "")}, ok: 200, resp: jarvis.ConversationDetail{}, errors: chatErrs(404)},
	{method: "DELETE", path: "/conversations/{id}", summary: "Delete a conversation", tag: "chat", auth: true, params: []param{path("id", "")}, ok: 204, errors: chatErrs(403, 404)},
	{method: "GET", path: "/actions", summary: "The approval queue: the owner's actions (what the assistant or an outside client asked to do, or the policy ran), newest first. A pending action past its expiry lists as expired, and is marked so (audit action.expired) when listed", tag: "actions", auth: true,
		params: []param{q("status", "string", "one of: "+strings.Join(jarvis.ActionStatuses, ", ")+"; default: all"), q("page_token", "string", "next_page_token of the previous page, with the same status"), q("max_results", "integer", "1–100, default 25")},
		ok:     200, resp: jarvis.ActionPage{}, errors: authErrs(400, 503)},
	{method: "GET", path: "/actions/{id}", summary: "One of the owner's actions: kind, status, summary, requester, account, the exact payload, the policy's verdict and flags, times, decider, result or error code. Another user's is 404", tag: "actions", auth: true,
		params: []param{path("id", "")}, ok: 200, resp: jarvis.Action{}, errors: authErrs(404, 503)},
	{method: "POST", path: "/actions/{id}/approve", summary: "Approve a pending action, once: its stored payload runs exactly as shown (an edited payload is a new action) and the action is answered executed, with its result. 409 once decided (of two racing decisions one wins), 410 approval_expired past its expiry (JARVIS_APPROVAL_TTL, default 24 h); when the operation fails the action is failed and its error is answered", tag: "actions", auth: true,
		params: []param{path("id", "")}, ok: 200, resp: jarvis.Action{}, errors: googleErrs(400, 410, 413, 503)},
	{method: "POST", path: "/actions/{id}/reject", summary: "Reject a pending action, once: it can never run. 409 once decided, 410 past its expiry", tag: "actions", auth: true,
		params: []param{path("id", "")}, ok: 200, resp: jarvis.Action{}, errors: authErrs(403, 404, 409, 410, 503)},
	{method: "GET", path: "/settings/policy", summary: "The caller's policy for agents: their own, and the effective one (their own under the floor of each of their organisations)", tag: "actions", auth: true,
		ok: 200, resp: jarvis.PolicyView{}, errors: authErrs(503)},
	{method: "PUT", path: "/settings/policy", summary: "Replace the caller's own policy (a field left out takes its default); answers the own and effective policy. 400 naming the field; audit policy.updated", tag: "actions", auth: true,
		body: jarvis.Policy{}, ok: 200, resp: jarvis.PolicyView{}, errors: authErrs(400, 403, 413, 503)},
	{method: "GET", path: "/orgs/{org_id}/policy", summary: "The org's policy: a floor its members' policies cannot lower (any member may read it)", tag: "orgs", auth: true,
		params: []param{path("org_id", "")}, ok: 200, resp: jarvis.Policy{}, errors: orgErrs(503)},
	{method: "PUT", path: "/orgs/{org_id}/policy", summary: "Replace the org's policy (owners and admins). 400 naming the field; audit policy.updated", tag: "orgs", auth: true,
		params: []param{path("org_id", "")}, body: jarvis.Policy{}, ok: 200, resp: jarvis.Policy{}, errors: orgErrs(400, 413, 503)},
	{method: "POST", path: "/chat/approvals/{id}", summary: "Approve or reject a proposed action, once, before it expires (410 approval_expired after JARVIS_APPROVAL_TTL, default 24 h): the assistant's proposals are actions of the approval queue (the approval id is the action id), and this decides them as POST /actions/{id}/approve and /reject do", tag: "chat", auth: true, params: []param{path("id", "")},
		body: decisionRequest{}, ok: 200, resp: decisionResponse{}, errors: chatErrs(400, 403, 404, 409, 410, 413, 429, 502, 504)},
}

// serverErrs are the statuses any route may answer: 500 internal, and 503
// service_unavailable when it needs the database and cannot have it.
func serverErrs(op operation) []int {
	if op.path == "/health" || op.path == "/livez" || op.path == "/openapi.json" {
		return []int{500}
	}
	return []int{500, 503}
}

func buildSpec() map[string]any {
	g := &schemaGen{defs: map[string]any{}}
	problem := map[string]any{"application/problem+json": map[string]any{"schema": g.ref("Problem", Problem{})}}
	paths := map[string]any{}
	for _, op := range operations {
		o := map[string]any{"summary": op.summary, "tags": []string{op.tag}, "operationId": operationID(op)}
		if op.auth {
			o["security"] = []any{map[string]any{"bearer": []string{}}, map[string]any{"cookie": []string{}}}
		}
		var ps []any
		for _, p := range op.params {
			ps = append(ps, map[string]any{"name": p.name, "in": p.in, "required": p.required, "description": p.desc, "schema": map[string]any{"type": p.typ}})
		}
		for _, h := range op.headers {
			ps = append(ps, map[string]any{"name": h, "in": "header", "required": false, "schema": map[string]any{"type": "string", "maxLength": 255}})
		}
		if len(ps) > 0 {
			o["parameters"] = ps
		}
		if op.body != nil {
			content := map[string]any{"application/json": map[string]any{"schema": g.ref(typeName(op.body), op.body)}}
			if op.upload {
				content["multipart/form-data"] = map[string]any{
					"schema": map[string]any{"type": "object", "required": []string{"draft"}, "properties": map[string]any{
						"draft":       g.ref(typeName(op.body), op.body),
						"attachments": map[string]any{"type": "array", "items": map[string]any{"type": "string", "contentMediaType": "application/octet-stream"}},
					}},
					"encoding": map[string]any{"draft": map[string]any{"contentType": "application/json"}},
				}
			}
			o["requestBody"] = map[string]any{"required": true, "content": content}
		}
		responses := map[string]any{}
		ok := map[string]any{"description": http.StatusText(op.ok)}
		switch {
		case op.media != "":
			ok["content"] = map[string]any{op.media: map[string]any{"schema": map[string]any{"type": "string"}}}
		case op.resp != nil:
			ok["content"] = map[string]any{"application/json": map[string]any{"schema": g.ref(typeName(op.resp), op.resp)}}
		}
		responses[strconv.Itoa(op.ok)] = ok
		for c, desc := range op.also {
			responses[strconv.Itoa(c)] = map[string]any{"description": desc}
		}
		for _, c := range append(op.errors, serverErrs(op)...) {
			if c >= 300 && c < 400 {
				responses[strconv.Itoa(c)] = map[string]any{"description": http.StatusText(c) + ": a redirect"}
				continue
			}
			responses[strconv.Itoa(c)] = map[string]any{"description": http.StatusText(c), "content": problem}
		}
		o["responses"] = responses
		if paths[op.path] == nil {
			paths[op.path] = map[string]any{}
		}
		paths[op.path].(map[string]any)[strings.ToLower(op.method)] = o
	}
	return map[string]any{
		"openapi": "3.1.0",
		"info": map[string]any{"title": "Jarvis API", "version": "1",
			"description": "A self-hosted AI executive assistant over Gmail and Google Calendar. Errors are RFC 9457 problems with a stable code."},
		"paths": paths,
		"components": map[string]any{
			"schemas": g.defs,
			"securitySchemes": map[string]any{
				"bearer": map[string]any{"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
				"cookie": map[string]any{"type": "apiKey", "in": "cookie", "name": sessionCookie,
					"description": "The browser session; unsafe methods also need the " + csrfHeader + " header echoing the " + csrfCookie + " cookie."},
			},
		},
	}
}

func typeName(v any) string {
	n := strings.TrimSuffix(strings.TrimSuffix(reflectName(v), "Request"), "Response")
	if n == "" {
		return "Object"
	}
	return strings.ToUpper(n[:1]) + n[1:]
}

func reflectName(v any) string {
	switch v.(type) {
	case map[string]any:
		return "Object"
	}
	t := strings.TrimPrefix(strings.TrimPrefix(typeString(v), "httpapi."), "jarvis.")
	return t
}

func operationID(op operation) string {
	parts := []string{strings.ToLower(op.method)}
	for _, s := range strings.Split(op.path, "/") {
		s = strings.Trim(s, "{}")
		s = strings.NewReplacer("-", "_", ".", "_").Replace(s)
		if s != "" {
			parts = append(parts, s)
		}
	}
	return strings.Join(parts, "_")
}
