package google

import (
	"reflect"
	"testing"

	"google.golang.org/api/gmail/v1"

	jarvis "github.com/jarvis-hq/jarvis"
)

// gmailAR is Gmail's header as it arrives on a message from example.com,
// folded as Gmail folds it.
const gmailAR = "mx.google.com;\r\n       dkim=pass header.i=@example.com header.s=s1 header.b=abc;\r\n" +
	"       spf=pass (google.com: domain of a@example.com designates 1.2.3.4 as permitted sender) smtp.mailfrom=a@example.com;\r\n" +
	"       dmarc=pass (p=REJECT sp=REJECT dis=NONE) header.from=example.com"

func TestParseAuthResults(t *testing.T) {
	type res = authResult
	props := func(kv ...string) map[string]string {
		m := map[string]string{}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	tests := []struct {
		name   string
		in     string
		ok     bool
		servID string
		want   []res
	}{
		{"gmail, folded, comments", gmailAR, true, "mx.google.com", []res{
			{"dkim", "pass", props("header.i", "@example.com", "header.s", "s1", "header.b", "abc")},
			{"spf", "pass", props("smtp.mailfrom", "a@example.com")},
			{"dmarc", "pass", props("header.from", "example.com")},
		}},
		{"no result", "mx.example.org 1; none", true, "mx.example.org", nil},
		{"version 1", "mx.example.org 1; spf=pass smtp.mailfrom=example.net", true, "mx.example.org", []res{
			{"spf", "pass", props("smtp.mailfrom", "example.net")}}},
		{"unknown version", "mx.example.org 2; spf=pass smtp.mailfrom=example.net", false, "", nil},
		{"empty", "", false, "", nil},
		{"only spaces and a comment", "  (nothing here) ", false, "", nil},
		{"quoted authserv-id", `"mx.google.com"; dmarc=fail header.from=bank.example`, true, "mx.google.com", []res{
			{"dmarc", "fail", props("header.from", "bank.example")}}},
		{"two dkim signatures", "mx.google.com; dkim=fail header.d=a.example; dkim=pass header.d=b.example", true, "mx.google.com", []res{
			{"dkim", "fail", props("header.d", "a.example")}, {"dkim", "pass", props("header.d", "b.example")}}},
		{"spaces around = . and /, method version, reason", `example.com; dkim / 1 = PASS reason = "good sig" header . d = example.com`, true, "example.com", []res{
			{"dkim", "pass", props("header.d", "example.com")}}},
		{"nested comment with a semicolon and quote", `example.com; spf=softfail (a (nested; "odd) comment) smtp.mailfrom=x@example.com; dmarc=none`, true, "example.com", []res{
			{"spf", "softfail", props("smtp.mailfrom", "x@example.com")}, {"dmarc", "none", props()}}},
		{"quoted value with a semicolon", `example.com; auth=pass smtp.auth="a;b\"c"; spf=neutral`, true, "example.com", []res{
			{"auth", "pass", props("smtp.auth", `a;b"c`)}, {"spf", "neutral", props()}}},
		{"base64 value with padding", "example.com; dkim=pass header.b=ab/c+d== header.d=example.com", true, "example.com", []res{
			{"dkim", "pass", props("header.b", "ab/c+d==", "header.d", "example.com")}}},
		{"garbage between results", "example.com; ;; junk ; =pass; spf==; dmarc=pass stray header.from=example.com; x@y=pass", true, "example.com", []res{
			{"dmarc", "pass", props("header.from", "example.com")}}},
		{"unclosed comment", "example.com; spf=pass (open comment; dmarc=pass header.from=example.com", true, "example.com", []res{
			{"spf", "pass", props()}}},
		{"unclosed quote", `example.com; spf=pass smtp.mailfrom="x; dmarc=pass`, true, "example.com", []res{
			{"spf", "pass", props("smtp.mailfrom", "x; dmarc=pass")}}},
		{"garbage authserv-id line", "this is not a header; spf=pass", false, "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := parseAuthResults(tt.in)
			if ok != tt.ok {
				t.Fatalf("ok = %v, want %v (%+v)", ok, tt.ok, got)
			}
			if !ok {
				return
			}
			if got.servID != tt.servID {
				t.Errorf("servID = %q, want %q", got.servID, tt.servID)
			}
			if !reflect.DeepEqual(got.results, tt.want) {
				t.Errorf("results =\n%+v\nwant\n%+v", got.results, tt.want)
			}
		})
	}
}

func TestAuthenticationFromGmail(t *testing.T) {
	none := jarvis.Authentication{SPF: "none", DKIM: "none", DMARC: "none"}
	pass := jarvis.Authentication{VerifiedBy: "mx.google.com", SPF: "pass", DKIM: "pass", DMARC: "pass",
		FromDomain: "example.com", DKIMDomain: "example.com", SPFDomain: "example.com", SenderVerified: true}
	tests := []struct {
		name    string
		from    string
		headers []string // name, value, … in the message's order
		want    jarvis.Authentication
	}{
		{"gmail's header", "Ann <a@example.com>", []string{"Authentication-Results", gmailAR}, pass},
		{"no header: the user's own mail", "me@example.com", nil, none},
		{"a forged pass below gmail's fail is ignored", "Bank <alerts@bank.example>", []string{
			"Received", "from mail.evil.example",
			"Authentication-Results", "mx.google.com; spf=softfail (google.com: domain of transitioning alerts@bank.example does not designate 203.0.113.7 as permitted sender) smtp.mailfrom=alerts@bank.example; dmarc=fail (p=NONE sp=NONE dis=NONE) header.from=bank.example",
			"Authentication-Results", "mx.google.com; dkim=pass header.d=bank.example; spf=pass smtp.mailfrom=bank.example; dmarc=pass header.from=bank.example",
		}, jarvis.Authentication{VerifiedBy: "mx.google.com", SPF: "softfail", DKIM: "none", DMARC: "fail", FromDomain: "bank.example", SPFDomain: "bank.example"}},
		{"another server's header on top is not trusted", "a@example.com", []string{
			"Authentication-Results", "mail.example.com; dmarc=pass header.from=example.com",
			"Authentication-Results", gmailAR,
		}, none},
		{"a forged gmail header without gmail's on top of it", "a@example.com", []string{
			"ARC-Authentication-Results", "i=1; mx.google.com; dmarc=pass header.from=example.com",
		}, none},
		{"header names compare without case", "a@example.com", []string{"authentication-results", gmailAR}, pass},
		{"dkim: any pass wins, the d= of a passing signature", "n@news.example", []string{
			"Authentication-Results", "mx.google.com; dkim=fail header.i=@esp.example; dkim=pass header.i=@news.example header.s=k1; spf=pass smtp.mailfrom=bounce@esp.example; dmarc=pass (p=NONE) header.from=news.example",
		}, jarvis.Authentication{VerifiedBy: "mx.google.com", SPF: "pass", DKIM: "pass", DMARC: "pass", FromDomain: "news.example", DKIMDomain: "news.example", SPFDomain: "esp.example", SenderVerified: true}},
		{"dmarc pass for another domain than From's", "a@other.example", []string{"Authentication-Results", gmailAR},
			jarvis.Authentication{VerifiedBy: "mx.google.com", SPF: "pass", DKIM: "pass", DMARC: "pass", FromDomain: "example.com", DKIMDomain: "example.com", SPFDomain: "example.com"}},
		{"gmail's words outside RFC 8601", "a@small.example", []string{
			"Authentication-Results", "mx.google.com; spf=hardfail smtp.mailfrom=a@small.example; dkim=weird; dmarc=bestguesspass header.from=small.example",
		}, jarvis.Authentication{VerifiedBy: "mx.google.com", SPF: "fail", DKIM: "neutral", DMARC: "none", FromDomain: "small.example", SPFDomain: "small.example"}},
		{"gmail's header with no result", "a@example.com", []string{"Authentication-Results", "mx.google.com; none"},
			jarvis.Authentication{VerifiedBy: "mx.google.com", SPF: "none", DKIM: "none", DMARC: "none"}},
		{"garbage", "a@example.com", []string{"Authentication-Results", "(((;;;===\"\""}, none},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hs := hdrs(append([]string{"From", tt.from}, tt.headers...)...)
			m := MessageFromGmail(&gmail.Message{Id: "m1", Payload: &gmail.MessagePart{MimeType: "text/plain", Headers: hs, Body: &gmail.MessagePartBody{}}})
			if !reflect.DeepEqual(m.Authentication, tt.want) {
				t.Errorf("Authentication =\n%+v\nwant\n%+v", m.Authentication, tt.want)
			}
		})
	}
	if got := MessageFromGmail(nil).Authentication; !reflect.DeepEqual(got, none) {
		t.Errorf("nil message: %+v", got)
	}
}
