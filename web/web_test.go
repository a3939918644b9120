package web

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/base64"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"golang.org/x/net/html"
)

func get(tb testing.TB, h http.Handler, method, target string, header http.Header) *http.Response {
	tb.Helper()
	req := httptest.NewRequest(method, target, nil)
	for k, v := range header {
		req.Header[k] = v
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Result()
}

func body(tb testing.TB, res *http.Response) string {
	tb.Helper()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		tb.Fatal(err)
	}
	return string(b)
}

// pages lists the HTML files of the embedded export.
func pages(tb testing.TB) []string {
	tb.Helper()
	var out []string
	err := fs.WalkDir(Dist(), ".", func(name string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(name, ".html") {
			out = append(out, name)
		}
		return err
	})
	if err != nil {
		tb.Fatal(err)
	}
	if len(out) == 0 {
		tb.Fatal("the export has no pages")
	}
	return out
}

// firstStaticAsset returns the path of one hashed asset referenced by the inbox.
func firstStaticAsset(tb testing.TB) string {
	tb.Helper()
	for _, s := range inlineAndExternalScripts(tb, mustRead(tb, "index.html")) {
		if strings.HasPrefix(s.src, "/_next/static/") {
			return s.src
		}
	}
	tb.Fatal("index.html references no /_next/static/ script")
	return ""
}

func mustRead(tb testing.TB, name string) []byte {
	tb.Helper()
	b, err := fs.ReadFile(Dist(), name)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

type script struct {
	src, typ, text string
	nomodule       bool
}

// inlineAndExternalScripts parses an HTML document with a real HTML parser
// and returns its script elements.
func inlineAndExternalScripts(tb testing.TB, doc []byte) []script {
	tb.Helper()
	root, err := html.Parse(bytes.NewReader(doc))
	if err != nil {
		tb.Fatal(err)
	}
	var out []script
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode && n.Data == "script" {
			var s script
			for _, a := range n.Attr {
				switch a.Key {
				case "src":
					s.src = a.Val
				case "type":
					s.typ = a.Val
				case "nomodule":
					s.nomodule = true
				}
			}
			for c := n.FirstChild; c != nil; c = c.NextSibling {
				if c.Type == html.TextNode {
					s.text += c.Data
				}
			}
			out = append(out, s)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(root)
	return out
}

func cspDirective(csp, name string) []string {
	for _, d := range strings.Split(csp, ";") {
		f := strings.Fields(d)
		if len(f) > 0 && f[0] == name {
			return f[1:]
		}
	}
	return nil
}

func TestSecurityHeadersOnEveryResponse(t *testing.T) {
	h := Handler()
	for _, target := range []string{"/", "/thread?id=abc", "/agenda", firstStaticAsset(t), "/no-such-page", "/no-such-file.js"} {
		res := get(t, h, "GET", target, nil)
		for k, want := range map[string]string{
			"X-Content-Type-Options":     "nosniff",
			"Referrer-Policy":            "no-referrer",
			"Cross-Origin-Opener-Policy": "same-origin",
		} {
			if got := res.Header.Get(k); got != want {
				t.Errorf("%s: %s = %q, want %q", target, k, got, want)
			}
		}
		if res.Header.Get("Permissions-Policy") == "" {
			t.Errorf("%s: no Permissions-Policy", target)
		}
	}
}

func TestPagesAndCaching(t *testing.T) {
	h := Handler()
	tests := []struct {
		target, status, cache, ctype string
	}{
		{"/", "200", "no-cache", "text/html"},
		{"/index.html", "200", "no-cache", "text/html"},
		{"/thread?id=t1", "200", "no-cache", "text/html"},
		{"/agenda", "200", "no-cache", "text/html"},
		{"/assistant", "200", "no-cache", "text/html"},
		{"/signin?error=access_denied", "200", "no-cache", "text/html"},
		{firstStaticAsset(t), "200", "public, max-age=31536000, immutable", "text/javascript"},
		{"/thread.txt", "200", "no-cache", "text/plain"},
		{"/__next._tree.txt", "200", "no-cache", "text/plain"},
		{"/thread/__next._tree.txt", "200", "no-cache", "text/plain"},
		{"/somewhere/else", "404", "no-cache", "text/html"},
		{"/missing.js", "404", "no-cache", "text/plain"},
		{"/_csp.json", "404", "no-cache", "text/plain"},
		{"/_source_hash", "404", "no-cache", "text/html"},
		{"/../../etc/passwd", "404", "no-cache", "text/html"},
	}
	for _, tt := range tests {
		res := get(t, h, "GET", tt.target, nil)
		if got := res.Status[:3]; got != tt.status {
			t.Errorf("%s: status %s, want %s", tt.target, got, tt.status)
		}
		if got := res.Header.Get("Cache-Control"); got != tt.cache {
			t.Errorf("%s: Cache-Control %q, want %q", tt.target, got, tt.cache)
		}
		if got := res.Header.Get("Content-Type"); !strings.HasPrefix(got, tt.ctype) {
			t.Errorf("%s: Content-Type %q, want %s", tt.target, got, tt.ctype)
		}
	}
	if res := get(t, h, "GET", "/somewhere/else", nil); !strings.Contains(body(t, res), "Page not found") {
		t.Error("an unknown page path does not get the dashboard's 404 page")
	}
	if res := get(t, h, "GET", "/thread", nil); body(t, res) != string(mustRead(t, "thread.html")) {
		t.Error("/thread is not thread.html")
	}
}

func TestMethods(t *testing.T) {
	h := Handler()
	res := get(t, h, "POST", "/", nil)
	if res.StatusCode != http.StatusMethodNotAllowed || res.Header.Get("Allow") != "GET, HEAD" {
		t.Errorf("POST /: %d Allow=%q", res.StatusCode, res.Header.Get("Allow"))
	}
	res = get(t, h, "HEAD", "/", nil)
	if res.StatusCode != 200 || body(t, res) != "" || res.Header.Get("Content-Length") == "" {
		t.Errorf("HEAD /: %d, body or length wrong", res.StatusCode)
	}
}

func TestCSPIsStrict(t *testing.T) {
	h := Handler()
	for _, page := range pages(t) {
		target := "/" + page
		csp := get(t, h, "GET", target, nil).Header.Get("Content-Security-Policy")
		if csp == "" {
			t.Fatalf("%s: no CSP", target)
		}
		for _, want := range []string{"default-src 'self'", "frame-ancestors 'none'", "object-src 'none'", "base-uri 'none'", "form-action 'self'", "frame-src 'self'"} {
			if !strings.Contains(csp, want) {
				t.Errorf("%s: CSP lacks %q", target, want)
			}
		}
		for _, bad := range []string{"'unsafe-inline'", "'unsafe-eval'", "http:", "https:", "*"} {
			if strings.Contains(csp, bad) {
				t.Errorf("%s: CSP allows %s: %s", target, bad, csp)
			}
		}
	}
}

// The hashes in each page's CSP must be exactly those of the inline scripts
// the browser will see, or the dashboard does not start in a browser.
func TestCSPHashesMatchInlineScripts(t *testing.T) {
	h := Handler()
	for _, page := range pages(t) {
		res := get(t, h, "GET", "/"+page, nil)
		doc := body(t, res)
		allowed := map[string]bool{}
		for _, src := range cspDirective(res.Header.Get("Content-Security-Policy"), "script-src") {
			allowed[src] = true
		}
		inline := 0
		for _, s := range inlineAndExternalScripts(t, []byte(doc)) {
			if s.src != "" {
				if !strings.HasPrefix(s.src, "/") || strings.HasPrefix(s.src, "//") {
					t.Errorf("%s: script from another origin: %s", page, s.src)
				}
				continue
			}
			if s.typ != "" && s.typ != "module" && s.typ != "text/javascript" {
				continue
			}
			inline++
			sum := sha256.Sum256([]byte(s.text))
			hash := "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
			if !allowed[hash] {
				t.Errorf("%s: inline script %.60q has hash %s, not in the CSP", page, s.text, hash)
			}
		}
		if inline == 0 {
			t.Errorf("%s: no inline scripts found; the export looks wrong", page)
		}
		if strings.Contains(doc, " style=\"") {
			t.Errorf("%s: has a style attribute, which style-src 'self' blocks", page)
		}
	}
}

func TestGzipAndETag(t *testing.T) {
	h := Handler()
	asset := firstStaticAsset(t)
	plain := get(t, h, "GET", asset, nil)
	want := body(t, plain)
	if plain.Header.Get("Content-Encoding") != "" {
		t.Fatal("compressed without Accept-Encoding")
	}
	res := get(t, h, "GET", asset, http.Header{"Accept-Encoding": {"br, gzip"}})
	if res.Header.Get("Content-Encoding") != "gzip" || !strings.Contains(res.Header.Get("Vary"), "Accept-Encoding") {
		t.Fatalf("no gzip: %v", res.Header)
	}
	zr, err := gzip.NewReader(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(zr)
	if string(got) != want {
		t.Fatal("gzip body differs")
	}
	etag := plain.Header.Get("ETag")
	if etag == "" {
		t.Fatal("no ETag")
	}
	if res := get(t, h, "GET", asset, http.Header{"If-None-Match": {etag}}); res.StatusCode != http.StatusNotModified {
		t.Errorf("If-None-Match: %d, want 304", res.StatusCode)
	}
	if res := get(t, h, "GET", asset, http.Header{"Accept-Encoding": {"gzip;q=0"}}); res.Header.Get("Content-Encoding") != "" {
		t.Error("gzip;q=0 still compressed")
	}
}

func TestAcceptsGzip(t *testing.T) {
	for header, want := range map[string]bool{
		"": false, "gzip": true, "deflate, gzip;q=1.0": true, "gzip;q=0": false, "gzip; q=0.5": true,
		"br": false, "*": true, "GZIP": true, "gzip;q=0.0": false,
	} {
		if got := acceptsGzip(header); got != want {
			t.Errorf("acceptsGzip(%q) = %v, want %v", header, got, want)
		}
	}
}

func TestNewRejectsIncompleteExport(t *testing.T) {
	if _, err := New(fstestMap{"index.html": "<html></html>"}); err == nil {
		t.Error("an export without a CSP manifest was accepted")
	}
	if _, err := New(fstestMap{"_csp.json": `{"version":1,"pages":{}}`, "index.html": "x", "404.html": "y"}); err == nil {
		t.Error("a manifest that lacks pages was accepted")
	}
}
