package httpapi

import (
	"strings"
	"testing"

	"github.com/jarvis-hq/jarvis"
)

// Each way a message could point the browser at something it should not:
// data: outside image sources, relative, protocol-relative and same-origin
// URLs in images and links (whatever images=1 says), and the encodings and
// attributes that hide them (SECURITY.md line 41).
func TestSanitizeMailURLs(t *testing.T) {
	const png = "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
	msg := &jarvis.Message{ID: "18c0ffee", Attachments: []jarvis.Attachment{{ID: "att1", ContentID: "chart@x"}}}
	own := []string{"jarvis.example", "127.0.0.1"}
	cases := []struct {
		name   string
		in     string
		remote bool
		want   []string // substrings the output must have
		not    []string // substrings it must not have
	}{
		{"data: link", `<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">open</a>`, true, []string{"open"}, []string{"data:", "href"}},
		{"entity-encoded data: link", `<a href="&#100;&#x61;ta:text/html,<script>alert(1)</script>">x</a>`, true, nil, []string{"data:", "href", "script"}},
		{"mixed-case DaTa: link", `<a href="DaTa:text/html,hi">x</a>`, true, nil, []string{"href", "hi"}},
		{"leading space data: link", `<a href=" data:text/html,hi">x</a>`, true, nil, []string{"href"}},
		{"tab inside the scheme", `<a href="da&#x09;ta:text/html,hi">x</a>`, true, nil, []string{"href"}},
		{"newline inside javascript:", `<a href="java&#x0A;script:alert(1)">x</a>`, true, nil, []string{"href", "alert"}},
		{"control character before the scheme", "<a href=\"\x01data:text/html,hi\">x</a>", true, nil, []string{"href"}},
		{"data: area", `<map name="m"><area href="data:text/html,hi" shape="rect" coords="0,0,1,1"></map>`, true, nil, []string{"data:"}},
		{"data: form action", `<form action="data:text/html,hi"><button formaction="data:text/html,hi">go</button></form>`, true, nil, []string{"data:", "action"}},
		{"data: image stays", `<img src="` + png + `" alt="dot">`, false, []string{`src="data:image/png;base64,`}, nil},
		{"data: non-image source", `<img src="data:text/html,hi">`, true, nil, []string{"src=", "data:"}},
		{"data: svg background", `<table background="data:image/svg+xml,x"><tr><td>t</td></tr></table>`, true, []string{"<td>t</td>"}, []string{"background", "data:"}},
		{"relative image, images=1", `<img src="/gmail/threads">`, true, nil, []string{"src=", "/gmail"}},
		{"relative image path", `<img src="gmail/threads">`, true, nil, []string{"src=", "gmail"}},
		{"protocol-relative image", `<img src="//evil.example/x.png">`, true, nil, []string{"src=", "evil"}},
		{"own origin image, images=1", `<img src="https://jarvis.example/gmail/threads">`, true, nil, []string{"src=", "jarvis.example"}},
		{"own host, other case and port", `<img src="HTTPS://JARVIS.EXAMPLE.:8443/me">`, true, nil, []string{"src=", "/me"}},
		{"request host image", `<img src="http://127.0.0.1:8080/gmail/labels">`, true, nil, []string{"src=", "labels"}},
		{"relative link", `<a href="/auth/logout">out</a>`, true, []string{"out"}, []string{"href", "logout"}},
		{"fragment link", `<a href="#top">top</a>`, true, nil, []string{"href"}},
		{"own origin link", `<a href="https://jarvis.example/settings">s</a>`, true, nil, []string{"href", "jarvis.example"}},
		{"protocol-relative link", `<a href="//jarvis.example/settings">s</a>`, true, nil, []string{"href"}},
		{"srcset", `<img src="https://cdn.example/a.png" srcset="/gmail/threads 1x, https://cdn.example/b.png 2x">`, true,
			[]string{`src="https://cdn.example/a.png"`}, []string{"srcset", "/gmail", "b.png"}},
		{"background attribute", `<body background="/gmail/threads"><table background="https://jarvis.example/x"><tr><td>t</td></tr></table></body>`, true, []string{"t"}, []string{"background", "gmail", "jarvis.example"}},
		{"style url()", `<div style="background-image:url(/gmail/threads);color:red">x</div>`, true, nil, []string{"url(", "gmail"}},
		{"base href", `<base href="https://jarvis.example/"><img src="x.png"><a href="y">y</a>`, true, nil, []string{"base", "jarvis.example", "x.png", "href"}},
		{"svg xlink:href", `<svg><image xlink:href="/gmail/threads"></image></svg>`, true, nil, []string{"gmail"}},
		{"remote image blocked", `<img src="https://cdn.example/a.png" alt="logo">`, false, []string{"[remote image blocked]"}, []string{"cdn.example"}},
		{"remote image shown", `<img src="https://cdn.example/a.png" alt="logo">`, true, []string{`src="https://cdn.example/a.png"`}, []string{"blocked"}},
		{"cid image", `<img src="cid:chart@x">`, false, []string{`src="/gmail/message/18c0ffee/attachment/att1"`}, nil},
		{"unknown cid", `<img src="cid:nope@x">`, false, nil, []string{"src=", "cid"}},
		{"link kept", `<a href="https://example.org/a?b=c">x</a>`, false, []string{`href="https://example.org/a?b=c"`, `target="_blank"`, "noreferrer"}, nil},
		{"mailto kept", `<a href="mailto:grace@example.com">mail</a>`, false, []string{`href="mailto:grace@example.com"`}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out := sanitizeMail(tc.in, msg, tc.remote, own)
			lower := strings.ToLower(out)
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
			for _, n := range tc.not {
				if strings.Contains(lower, strings.ToLower(n)) {
					t.Errorf("output has %q:\n%s", n, out)
				}
			}
		})
	}
}
