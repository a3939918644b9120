package google

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"golang.org/x/oauth2"
	"google.golang.org/api/googleapi"

	"github.com/jarvis-hq/jarvis"
)

// upstreamError turns what a Google call returned into a jarvis error that
// says what the caller can do about it. Domain errors pass through. A 400
// from Google names no field: use fieldError when the call has one input
// Google may reject.
func upstreamError(ctx context.Context, err error, what string) error {
	return fieldError(ctx, err, what, "")
}

// fieldError is upstreamError for a call whose 400 answer means that the
// caller's field (a query, an id) was rejected: the problem names it.
func fieldError(ctx context.Context, err error, what, field string) error {
	if err == nil {
		return nil
	}
	var je *jarvis.Error
	if errors.As(err, &je) {
		return err
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return &jarvis.Error{Code: jarvis.EUPSTREAMTIMEOUT, Message: "Google did not answer in time. Try again.", Err: err}
	}
	if errors.Is(err, context.Canceled) {
		return &jarvis.Error{Code: jarvis.EUPSTREAM, Message: "The request was cancelled.", Err: err}
	}
	var re *oauth2.RetrieveError
	if errors.As(err, &re) && re.ErrorCode == "invalid_grant" {
		return reauthError(nil, err)
	}
	var ge *googleapi.Error
	if !errors.As(err, &ge) {
		return &jarvis.Error{Code: jarvis.EUPSTREAM, Message: "Google cannot be reached. Try again shortly.", Err: err}
	}
	switch {
	case ge.Code == http.StatusNotFound:
		return &jarvis.Error{Code: jarvis.ENOTFOUND, Message: what + " not found.", Err: err}
	case ge.Code == http.StatusUnauthorized:
		return reauthError(nil, err)
	case ge.Code == http.StatusTooManyRequests || (ge.Code == http.StatusForbidden && isRateReason(reasonOf(ge))):
		return &jarvis.Error{Code: jarvis.ERATELIMITED, Message: "Google's rate limit was reached. Retry later.", RetryAfter: retryAfter(ge.Header, time.Second), Err: err}
	case ge.Code == http.StatusForbidden:
		return &jarvis.Error{Code: jarvis.ESCOPEMISSING, Message: "Google refused access: reconnect your Google account and grant the requested permissions.", Err: err}
	case ge.Code == http.StatusBadRequest:
		if f, ok := googleLocations[locationOf(ge)]; ok {
			field = f
		}
		return &jarvis.Error{Code: jarvis.EINVALID, Field: field, Message: "Google rejected the request: " + ge.Message, Err: err}
	case ge.Code >= 500:
		return &jarvis.Error{Code: jarvis.EUPSTREAM, Message: "Google is having trouble. Try again shortly.", RetryAfter: retryAfter(ge.Header, 0), Err: err}
	}
	return &jarvis.Error{Code: jarvis.EUPSTREAM, Message: "Google answered unexpectedly.", Err: err}
}

// reauthError says that the account's grant is gone, naming the account to
// reconnect (g may be nil when it is not known).
func reauthError(g *jarvis.GoogleIntegration, err error) error {
	if g == nil {
		return &jarvis.Error{Code: jarvis.EREAUTH, Message: "Jarvis's access to your Google account has expired or was revoked. Connect your Google account again.", Err: err}
	}
	return &jarvis.Error{Code: jarvis.EREAUTH, Account: g.Ref(),
		Message: fmt.Sprintf("Jarvis's access to the Google account %s has expired or was revoked. Connect it again.", g.Email), Err: err}
}

// googleLocations maps the parameter a Google 400 names (its error's
// location) to Jarvis's name for the same input.
var googleLocations = map[string]string{
	"q": "q", "pageToken": "page_token", "labelIds": "label", "maxResults": "max_results",
	"timeMin": "days", "timeMax": "days",
}

// locationOf reads the location of the first error item in Google's
// answer, which the client library does not parse.
func locationOf(ge *googleapi.Error) string {
	var body struct {
		Error struct {
			Errors []struct {
				Location string `json:"location"`
			} `json:"errors"`
		} `json:"error"`
	}
	if json.Unmarshal([]byte(ge.Body), &body) != nil || len(body.Error.Errors) == 0 {
		return ""
	}
	return body.Error.Errors[0].Location
}

func reasonOf(ge *googleapi.Error) string {
	if len(ge.Errors) > 0 {
		return ge.Errors[0].Reason
	}
	return ""
}

func isRateReason(r string) bool {
	return r == "rateLimitExceeded" || r == "userRateLimitExceeded" || r == "dailyLimitExceeded" || r == "quotaExceeded"
}

// retryAfter reads a Retry-After header in seconds (or as an HTTP date).
func retryAfter(h http.Header, def time.Duration) time.Duration {
	v := h.Get("Retry-After")
	if v == "" {
		return def
	}
	if n, err := strconv.Atoi(v); err == nil && n >= 0 {
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := time.Until(t); d > 0 {
			return d
		}
	}
	return def
}
