package httpapi

import (
	"net/mail"
	"strings"

	"github.com/jarvis-hq/jarvis"
)

// validEmail checks a bare email address and returns it lower-cased.
func validEmail(field, s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", jarvis.Invalid(field, "%s is required.", field)
	}
	if len(s) > 254 || strings.ContainsAny(s, "\r\n\x00<> ") {
		return "", jarvis.Invalid(field, "%q is not a valid email address.", shorten(s))
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || a.Name != "" {
		return "", jarvis.Invalid(field, "%q is not a valid email address.", s)
	}
	return strings.ToLower(s), nil
}

// shorten cuts a value to 60 characters for a message.
func shorten(s string) string {
	if r := []rune(s); len(r) > 60 {
		return string(r[:60]) + "…"
	}
	return s
}

// validID checks an opaque id from a path before it goes anywhere near an
// upstream call: letters, digits, '-' and '_' only.
func validID(field, s string) error {
	if s == "" || len(s) > 256 {
		return jarvis.Invalid(field, "%s is not a valid id.", field)
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return jarvis.Invalid(field, "%s is not a valid id.", field)
		}
	}
	return nil
}

// validGmailID checks a Gmail message or thread id (hexadecimal digits)
// before any call to Google, naming the field when it is malformed.
func validGmailID(field, s string) error {
	if !jarvis.IsGmailID(s) {
		return jarvis.Invalid(field, "%s is not a Gmail id (hexadecimal digits, as Jarvis listed it).", field)
	}
	return nil
}
