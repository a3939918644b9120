package sandbox

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

// The sandbox's pages have an icon, and /favicon.ico answers with it.
func TestFavicon(t *testing.T) {
	e := newEnv(t, nil)
	resp, err := http.Get(e.base + "/favicon.ico")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "image/svg+xml" || !strings.HasPrefix(string(b), "<svg") {
		t.Fatalf("favicon: %d %s %q", resp.StatusCode, resp.Header.Get("Content-Type"), b)
	}
	page, err := http.Get(e.conf.AuthCodeURL("state"))
	if err != nil {
		t.Fatal(err)
	}
	b, _ = io.ReadAll(page.Body)
	page.Body.Close()
	if !strings.Contains(string(b), `<link rel="icon" href="/favicon.ico"`) {
		t.Fatalf("the consent page has no icon:\n%s", b)
	}
}
