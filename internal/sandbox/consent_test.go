package sandbox

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"golang.org/x/oauth2"
	"google.golang.org/api/gmail/v1"
)

var requestField = regexp.MustCompile(`name="request" value="([^"]+)"`)

// consent opens the consent page, then posts it as a browser would: the
// account chosen, every scope ticked except untick, and the decision
// button. It returns the redirect's query.
func (e *env) consent(conf *oauth2.Config, account string, untick []string, decision string, opts ...oauth2.AuthCodeOption) url.Values {
	e.t.Helper()
	authURL := conf.AuthCodeURL("st4te", opts...)
	resp, err := noFollow.Get(authURL)
	if err != nil {
		e.t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		e.t.Fatalf("consent page: %d %s", resp.StatusCode, page)
	}
	m := requestField.FindSubmatch(page)
	if m == nil {
		e.t.Fatalf("no request field in %s", page)
	}
	form := url.Values{"request": {string(m[1])}, "account": {account}, "decision": {decision}}
	for _, sc := range normalizeScopes(strings.Join(conf.Scopes, " ")) {
		if !slices.Contains(untick, sc) {
			form.Add("scope", sc)
		}
	}
	u, _ := url.Parse(authURL)
	resp, err = noFollow.PostForm(e.base+u.Path, form)
	if err != nil {
		e.t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound {
		e.t.Fatalf("consent post: %d", resp.StatusCode)
	}
	loc, _ := url.Parse(resp.Header.Get("Location"))
	if loc.Query().Get("state") != "st4te" {
		e.t.Fatalf("state lost: %v", loc)
	}
	return loc.Query()
}

func TestConsentPageListsAccountsAndScopes(t *testing.T) {
	e := newEnv(t, nil)
	resp, err := http.Get(e.conf.AuthCodeURL("s", oauth2.SetAuthURLParam("login_hint", "grace@example.com")))
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	html := string(page)
	for _, want := range []string{
		`<html lang="en">`, "<h1>", "<legend>Choose an account</legend>",
		`value="ada@example.com"`, `<label for="account-1">grace@example.com</label>`,
		`value="grace@example.com" aria-describedby="account-1-name" checked`,
		`value="` + gmail.GmailReadonlyScope + `" checked`, "View your email messages and settings",
		`<button type="submit" name="decision" value="allow" class="allow">Allow</button>`, ">Deny</button>",
	} {
		if !strings.Contains(html, want) {
			t.Errorf("consent page lacks %s", want)
		}
	}
	if resp.Header.Get("Cache-Control") != "no-store" || resp.Header.Get("X-Frame-Options") != "DENY" {
		t.Errorf("headers: %v", resp.Header)
	}
}

func TestConsentDenyAndUntickedScope(t *testing.T) {
	e := newEnv(t, nil)
	q := e.consent(e.conf, "ada@example.com", nil, "deny")
	if q.Get("error") != "access_denied" || q.Get("code") != "" {
		t.Errorf("deny: %v", q)
	}

	// Unticking gmail.readonly: sign-in works, mail reads are refused,
	// drafts (gmail.compose) still work.
	v := oauth2.GenerateVerifier()
	q = e.consent(e.conf, "grace@example.com", []string{gmail.GmailReadonlyScope}, "allow", oauth2.S256ChallengeOption(v))
	if strings.Contains(q.Get("scope"), gmail.GmailReadonlyScope) {
		t.Errorf("unticked scope granted: %s", q.Get("scope"))
	}
	tok, err := e.conf.Exchange(context.Background(), q.Get("code"), oauth2.VerifierOption(v))
	if err != nil {
		t.Fatal(err)
	}
	if sc, _ := tok.Extra("scope").(string); strings.Contains(sc, "gmail.readonly") {
		t.Errorf("token scope %q", sc)
	}
	svc := e.gmail(tok)
	_, err = svc.Users.Threads.List("me").Do()
	ge := assertAPIError(t, err, 403, "insufficientPermissions")
	if ge.Message != "Request had insufficient authentication scopes." {
		t.Errorf("message %q", ge.Message)
	}
	if _, err := svc.Users.Drafts.List("me").Do(); err != nil {
		t.Errorf("drafts with compose: %v", err)
	}
	prof, err := svc.Users.GetProfile("me").Do()
	if err != nil || prof.EmailAddress != "grace@example.com" {
		t.Errorf("profile: %v %v", prof, err)
	}

	// A consent form cannot be answered twice.
	resp, err := http.PostForm(e.base+"/o/oauth2/v2/auth", url.Values{"request": {"gone"}, "decision": {"allow"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 400 {
		t.Errorf("unknown request: %d", resp.StatusCode)
	}
}
