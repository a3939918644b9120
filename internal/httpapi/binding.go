package httpapi

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"time"

	"github.com/jarvis-hq/jarvis"
)

// Why a browser flow's callback is refused.
const (
	bindingMissing  = "binding_cookie_missing"
	bindingMismatch = "binding_cookie_mismatch"
)

// signInError is the error code the sign-in page is sent for a callback
// opened in a browser other than the one that started the flow.
const signInOtherBrowser = "signin_other_browser"

// browserBinding ties an OAuth flow started in a browser (sign-in, or
// connecting another account) to that browser: starting the flow sets a
// short-lived HttpOnly cookie holding a hash of the flow's state, and the
// callback that would sign the browser in is refused unless the same
// browser presents it. A callback link made by someone else (login CSRF)
// therefore signs nobody in. API clients, which receive the state and code
// themselves and never get a session cookie, are not bound.
type browserBinding struct {
	// name is the cookie's name: "__Host-" prefixed on https, so that a
	// sibling subdomain cannot plant one.
	name   string
	secure bool
	ttl    time.Duration
}

func newBrowserBinding(flow string, secure bool, ttl time.Duration) browserBinding {
	name := "jarvis_" + flow
	if secure {
		name = "__Host-" + name
	}
	return browserBinding{name: name, secure: secure, ttl: ttl}
}

// value is what the cookie holds for a state: its SHA-256, so the cookie
// alone does not reveal the state.
func (b browserBinding) value(state string) string {
	sum := sha256.Sum256([]byte("jarvis browser binding\x00" + state))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// bind sets the binding cookie for state on the response.
func (b browserBinding) bind(w http.ResponseWriter, state string) {
	http.SetCookie(w, &http.Cookie{Name: b.name, Value: b.value(state), Path: "/", MaxAge: int(b.ttl.Seconds()),
		HttpOnly: true, Secure: b.secure, SameSite: http.SameSiteLaxMode})
}

// check reports why the request's browser is not the one that started the
// flow with state ("" when it is). A cookie that fits is cleared: it serves
// once. One that does not is left alone, since it may belong to a flow this
// browser really started.
func (b browserBinding) check(w http.ResponseWriter, r *http.Request, state string) (refusal string) {
	c, err := r.Cookie(b.name)
	if err != nil || c.Value == "" {
		return bindingMissing
	}
	if subtle.ConstantTimeCompare([]byte(c.Value), []byte(b.value(state))) != 1 {
		return bindingMismatch
	}
	http.SetCookie(w, &http.Cookie{Name: b.name, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, Secure: b.secure, SameSite: http.SameSiteLaxMode})
	return ""
}

// errOtherBrowser is the answer to a browser callback that check refused.
var errOtherBrowser = &jarvis.Error{Code: jarvis.EFORBIDDEN,
	Message: "This sign-in was started in another browser (or its cookie expired). Start the sign-in again here."}
