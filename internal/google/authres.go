package google

import (
	"net/mail"
	"strings"

	"google.golang.org/api/gmail/v1"

	jarvis "github.com/jarvis-hq/jarvis"
)

// authResult is one result of an Authentication-Results header: a method
// (spf, dkim, dmarc, …) and its result, both lowercase, with the
// properties that name what was checked ("header.from", "smtp.mailfrom",
// keys lowercase).
type authResult struct {
	method, result string
	props          map[string]string
}

// authResults is one parsed Authentication-Results header.
type authResults struct {
	servID  string // the authserv-id: the server that checked
	results []authResult
}

// parseAuthResults reads an Authentication-Results header value (RFC 8601
// section 2.2): the authserv-id, an optional version, then results
// separated by semicolons, each "method[/version]=result" followed by an
// optional reason and "ptype.property=value" properties. Comments in
// parentheses (nested, with quoted-pairs) are dropped; values may be quoted
// strings; folding whitespace is whitespace. A result that does not read
// as one is skipped, and so is everything after a comment or quoted string
// left open. ok is false when there is no authserv-id or the version is not
// 1: such a header is to be ignored.
func parseAuthResults(v string) (authResults, bool) {
	segs := splitResinfo(authStripComments(v))
	head := strings.Fields(segs[0])
	if len(head) == 0 {
		return authResults{}, false
	}
	out := authResults{servID: unquote(head[0])}
	if out.servID == "" || len(head) > 2 || len(head) == 2 && head[1] != "1" {
		return authResults{}, false
	}
	for _, seg := range segs[1:] {
		if r, ok := parseResinfo(seg); ok {
			out.results = append(out.results, r)
		}
	}
	return out, true
}

// authStripComments replaces each comment of v with a space and each control
// character (CR, LF, tab of folding) with a space, keeping quoted strings
// as they are. An unclosed comment runs to the end.
func authStripComments(v string) string {
	var b strings.Builder
	depth, quoted := 0, false
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case depth > 0:
			switch c {
			case '\\':
				i++
			case '(':
				depth++
			case ')':
				if depth--; depth == 0 {
					b.WriteByte(' ')
				}
			}
		case quoted:
			b.WriteByte(c)
			switch c {
			case '\\':
				if i+1 < len(v) {
					i++
					b.WriteByte(v[i])
				}
			case '"':
				quoted = false
			}
		case c == '(':
			depth = 1
		case c == '"':
			quoted = true
			b.WriteByte(c)
		case c < ' ' || c == 0x7f:
			b.WriteByte(' ')
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// splitResinfo splits at the semicolons outside quoted strings.
func splitResinfo(v string) []string {
	var segs []string
	start, quoted := 0, false
	for i := 0; i < len(v); i++ {
		switch c := v[i]; {
		case quoted && c == '\\':
			i++
		case c == '"':
			quoted = !quoted
		case !quoted && c == ';':
			segs = append(segs, v[start:i])
			start = i + 1
		}
	}
	return append(segs, v[start:])
}

// parseResinfo reads "method[/version]=result [reason=value]
// [ptype.property=value …]" with any spaces around "=", "/" and ".".
func parseResinfo(seg string) (authResult, bool) {
	s := scanner{s: seg}
	key, ok := s.key()
	if !ok {
		return authResult{}, false // "none", or garbage
	}
	method, _, _ := strings.Cut(key, "/")
	result := strings.ToLower(s.value())
	if !isKeyword(method) || !isKeyword(result) {
		return authResult{}, false
	}
	r := authResult{method: strings.ToLower(method), result: result, props: map[string]string{}}
	for {
		key, ok := s.key()
		if !ok {
			break
		}
		val := s.value()
		if key = strings.ToLower(key); strings.Contains(key, ".") {
			if _, seen := r.props[key]; !seen {
				r.props[key] = val
			}
		}
	}
	return r, true
}

// scanner reads the key=value pairs of one result.
type scanner struct {
	s string
	i int
}

// key reads up to the next "=", spaces removed; false when none is left.
func (s *scanner) key() (string, bool) {
	eq := strings.IndexByte(s.s[s.i:], '=')
	if eq < 0 {
		return "", false
	}
	fs := strings.Fields(s.s[s.i : s.i+eq])
	s.i += eq + 1
	if len(fs) == 0 {
		return "", false
	}
	// The key is the last word, joined to those before it by "." or "/"
	// ("header . from", "dkim / 1"); a stray word before it is dropped.
	k := fs[len(fs)-1]
	for j := len(fs) - 2; j >= 0; j-- {
		if !strings.HasPrefix(k, ".") && !strings.HasPrefix(k, "/") && !strings.HasSuffix(fs[j], ".") && !strings.HasSuffix(fs[j], "/") {
			break
		}
		k = fs[j] + k
	}
	return k, true
}

// value reads a quoted string or a run of non-space characters.
func (s *scanner) value() string {
	for s.i < len(s.s) && s.s[s.i] == ' ' {
		s.i++
	}
	if s.i < len(s.s) && s.s[s.i] == '"' {
		var b strings.Builder
		for s.i++; s.i < len(s.s); s.i++ {
			c := s.s[s.i]
			if c == '\\' && s.i+1 < len(s.s) {
				s.i++
				b.WriteByte(s.s[s.i])
				continue
			}
			if c == '"' {
				s.i++
				break
			}
			b.WriteByte(c)
		}
		return b.String()
	}
	start := s.i
	for s.i < len(s.s) && s.s[s.i] != ' ' {
		s.i++
	}
	return s.s[start:s.i]
}

// isKeyword reports whether s is an RFC 8601 Keyword: letters, digits and
// hyphens (and underscores, which real servers write).
func isKeyword(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

func unquote(s string) string {
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		return strings.ReplaceAll(s[1:len(s)-1], `\`, "")
	}
	return s
}

// authenticationFromGmail is the verdict of Gmail's own check of a
// message's sender. Gmail adds an Authentication-Results header with its
// authserv-id mx.google.com on top of a message it receives; any header
// below it, or with another authserv-id, may have been written by the
// sender and is ignored (RFC 8601 section 5). So only the topmost
// Authentication-Results counts, and only when it is Gmail's. Without one
// (the user's own mail, drafts, mail inserted as it was) VerifiedBy is ""
// and every result none.
func authenticationFromGmail(p *gmail.MessagePart, from string) jarvis.Authentication {
	none := noAuthentication()
	ar, ok := parseAuthResults(headerValue(p, "Authentication-Results"))
	if !ok || !strings.EqualFold(ar.servID, jarvis.GmailAuthServID) {
		return none
	}
	return authenticationFrom(ar, from)
}

// noAuthentication is the verdict of a message nobody checked.
func noAuthentication() jarvis.Authentication {
	return jarvis.Authentication{SPF: jarvis.AuthNone, DKIM: jarvis.AuthNone, DMARC: jarvis.AuthNone}
}

// authenticationFrom sums a trusted header up: the first spf and dmarc
// results; for dkim the first pass, else the first result; none for a
// method the header does not report. from is the message's From address.
func authenticationFrom(ar authResults, from string) jarvis.Authentication {
	a := jarvis.Authentication{VerifiedBy: jarvis.GmailAuthServID, SPF: jarvis.AuthNone, DKIM: jarvis.AuthNone, DMARC: jarvis.AuthNone}
	var spf, dkim, dmarc *authResult
	for i := range ar.results {
		r := &ar.results[i]
		switch r.method {
		case "spf":
			if spf == nil {
				spf = r
			}
		case "dkim":
			if dkim == nil || dkim.result != jarvis.AuthPass && r.result == jarvis.AuthPass {
				dkim = r
			}
		case "dmarc":
			if dmarc == nil {
				dmarc = r
			}
		}
	}
	if spf != nil {
		a.SPF = authWord(spf.result)
		a.SPFDomain = authDomain(firstNonEmpty(spf.props["smtp.mailfrom"], spf.props["smtp.helo"]))
	}
	if dkim != nil {
		a.DKIM = authWord(dkim.result)
		a.DKIMDomain = authDomain(firstNonEmpty(dkim.props["header.d"], dkim.props["header.i"]))
	}
	if dmarc != nil {
		a.DMARC = authWord(dmarc.result)
		a.FromDomain = authDomain(dmarc.props["header.from"])
	}
	a.SenderVerified = a.DMARC == jarvis.AuthPass && a.FromDomain != "" && a.FromDomain == authDomain(from)
	return a
}

// authWord maps a result to RFC 8601's words: hardfail (old SPF) is fail;
// Gmail's bestguesspass (the domain publishes no DMARC policy) is none;
// any other unknown word is neutral, a result that asserts nothing.
func authWord(r string) string {
	switch r {
	case jarvis.AuthPass, jarvis.AuthFail, jarvis.AuthSoftfail, jarvis.AuthNeutral, jarvis.AuthNone,
		jarvis.AuthTemperror, jarvis.AuthPermerror, jarvis.AuthPolicy:
		return r
	case "hardfail":
		return jarvis.AuthFail
	case "bestguesspass":
		return jarvis.AuthNone
	}
	return jarvis.AuthNeutral
}

// authDomain is the lowercase domain of an address, an "@domain" or a bare
// domain (as header.i, smtp.mailfrom and header.from give them).
func authDomain(s string) string {
	s = strings.TrimSpace(s)
	if a, err := mail.ParseAddress(s); err == nil {
		s = a.Address
	}
	if i := strings.LastIndexByte(s, '@'); i >= 0 {
		s = s[i+1:]
	}
	return strings.ToLower(strings.TrimSuffix(strings.Trim(s, "<> "), "."))
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
